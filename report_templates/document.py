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

    @property
    def national_title(self) -> str:
        return "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"

    @property
    def motto(self) -> str:
        return "Độc lập - Tự do - Hạnh phúc"
