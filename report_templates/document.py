"""A report as a list of laid-out parts, before it becomes a .docx or a chat preview.

Composing (which figures, which sentences) and writing (fonts, margins, page numbers) are kept
apart: the composer fills a `ReportDocument`, the writers turn it into a file or a message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Block(enum.StrEnum):
    HEADING_1 = "heading_1"  # "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH": upper case, bold
    HEADING_2 = "heading_2"  # "1. Văn bản chỉ đạo, điều hành": bold
    HEADING_3 = "heading_3"  # "1.1. ...": bold italic
    BODY = "body"  # a justified paragraph with a first-line indent
    BULLET = "bullet"  # "- ..." as in the seeds: a body paragraph starting with a dash


@dataclass(frozen=True)
class Paragraph:
    kind: Block
    text: str


@dataclass(frozen=True)
class AnnexRow:
    """One line of the annex "BIỂU TỔNG HỢP": a form of publicity, what was done, its level."""

    form: str
    result: str
    level: str  # "Đạt" or "Chưa đạt"


@dataclass(frozen=True)
class HeaderCell:
    """One cell of an annex table's header, placed on the grid of its columns: a group's
    header spans the columns under it, a column's own header reaches down to the last header
    row."""

    text: str
    row: int  # the header row it starts on, 0 at the top
    column: int  # the first column it covers, 0 at the left
    width: int = 1  # columns covered
    height: int = 1  # header rows covered


@dataclass(frozen=True)
class AnnexTable:
    """An annex that is a table of its own (an annex file's `table:`), such as the national
    table of dossiers received, settled and in progress: a header of one or more rows whose
    group headers are merged over their columns, then rows of one text per column."""

    header: tuple[HeaderCell, ...]
    header_rows: int
    rows: tuple[tuple[str, ...], ...]
    alignments: tuple[str, ...]  # per column: "left", "center" or "right"
    numbered: bool = False  # a row "(1)", "(2)", ... under the header names the columns
    unit_note: str = ""  # "Đơn vị tính: hồ sơ.", right-aligned above the table
    landscape: bool = False  # on an A4 page of its own turned sideways

    @property
    def columns(self) -> int:
        return len(self.alignments)


@dataclass(frozen=True)
class ReportDocument:
    """Everything printed on a BÁO CÁO, top to bottom (Decree 30/2020, Appendix I)."""

    issuing_body: tuple[str, ...]  # ("ỦY BAN NHÂN DÂN", "XÃ TÂN QUANG"), printed upper case
    number_line: str  # "Số:      /BC-UBND" in a draft, "Số: 134/BC-UBND" once numbered
    place_date_line: str  # "Tân Quang, ngày      tháng 12 năm 2026"
    title: str  # "BÁO CÁO"
    summary: str  # "Kết quả công tác tuyên truyền cải cách hành chính quý IV năm 2026"
    body: tuple[Paragraph, ...]
    recipients: tuple[str, ...]  # the lines under "Nơi nhận:", ending "- Lưu: VT."
    authority: tuple[str, ...]  # ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH") or ("KT. CHỦ TỊCH", ...)
    signer_name: str
    annex_title: str = "BIỂU TỔNG HỢP"
    annex_subtitle: str = ""
    annex: tuple[AnnexRow, ...] = ()
    annex_table: AnnexTable | None = None  # instead of the rows, when the annex file draws one

    @property
    def national_title(self) -> str:
        return "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"

    @property
    def motto(self) -> str:
        return "Độc lập - Tự do - Hạnh phúc"
