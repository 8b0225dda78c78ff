"""The receiving office's files for one period: one spreadsheet with every commune's figures,
a draft of its own summary report, and a .zip of the communes' approved reports.

Figures come from the approved versions only (what each chairman signed); a commune without one
is marked, never counted. Totals are computed here, not by spreadsheet formulas, so the file reads
the same in any program and the summary report quotes exactly the same numbers.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from definitions.forms import DONE_UNCOUNTED, Form, Question, counted
from report_kinds import packaged_words
from report_templates.compose import CCHC_SUBJECT, DRAFT_BLANK, TIMEZONE, hai_so, phut, so
from report_templates.document import Block, Paragraph, ReportDocument
from storage.compilation import CommuneReport, Compilation
from storage.models import RoundStatus, Unit
from wording.folding import fold
from wording.numbers import group_thousands
from wording.periods import period_words
from wording.units import KIND_LABELS

DEFAULT_FILE_PREFIX = packaged_words()["file_prefix"]  # the CCHC kind's: "BC-CCHC"


@dataclass(frozen=True)
class KindNames:
    """What the office's files call a report kind (its kind.yaml): the summary's subject,
    the short name in the compiled files' names, the start of a commune report's name."""

    subject: str = CCHC_SUBJECT  # "kết quả công tác tuyên truyền cải cách hành chính"
    short_name: str = packaged_words()["short_name"]
    file_prefix: str = DEFAULT_FILE_PREFIX


CCHC_NAMES = KindNames()

STATUS_LABELS = {
    None: "Chưa mở kỳ báo cáo",
    RoundStatus.OPEN: "Đang nhập số liệu",
    RoundStatus.SUBMITTED: "Chờ Chủ tịch duyệt",
    RoundStatus.RETURNED: "Trả lại để sửa",
    RoundStatus.APPROVED: "Đã báo cáo",
    RoundStatus.DELIVERED: "Đã báo cáo",
    RoundStatus.CLOSED: "Đã đóng",
}
NOT_REPORTED = "Chưa báo cáo"
# What openpyxl refuses to write, and the two non-characters XML 1.0 forbids as well.
XML_ILLEGAL = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[\ufffe\uffff]")


def commune_label(commune: CommuneReport) -> str:
    return f"{KIND_LABELS[commune.kind]} {commune.name}"


def status_label(commune: CommuneReport) -> str:
    if commune.reported:
        return STATUS_LABELS[RoundStatus.APPROVED]
    return STATUS_LABELS[commune.status]


def timeliness_label(commune: CommuneReport) -> str:
    if commune.on_time is True:
        return "Đúng hạn"
    if commune.on_time is False:
        return "Muộn" if commune.reported else "Quá hạn, chưa báo cáo"
    return "Chưa đến hạn"


def figure_questions(form: Form) -> list[Question]:
    """The columns of the figures sheet: every question but the narrative, in form order."""
    return [q for q in form.questions.values() if not q.is_narrative]


def narrative_questions(form: Form) -> list[Question]:
    return [q for q in form.questions.values() if q.is_narrative]


def column_title(question: Question) -> str:
    """'Chuyên mục CCHC đã xây dựng (chuyên mục)': the label with its unit."""
    unit = question.answer_type.column_unit(question)
    return f"{question.title} ({unit})" if unit else question.title


# ---------------------------------------------------------------------------------------------
# Totals: one function, used by the spreadsheet and the summary report alike


@dataclass(frozen=True)
class Total:
    """A figure across the communes that reported it."""

    question: Question
    value: int | float | None  # the sum (counts, minutes) or the mean (percentages, rates)
    reporting: int  # communes that gave a value
    is_mean: bool = False
    yes: int = 0  # yes/no: how many said yes
    choices: tuple[tuple[str, int], ...] = ()  # choice: label and how many picked it
    uncounted: int = 0  # counts: communes that did it without giving a figure


def adds_up_across_communes(question: Question) -> bool:
    """Whether the communes' figures are added up rather than averaged: as the form says
    (`across_communes`), else amounts of the period (summed over quarters too) and what was
    open when it began (its first quarter's), which are dossiers of different communes. A
    figure kept from the latest quarter may be a rate."""
    if question.across_communes is not None:
        return question.across_communes == "sum"
    return question.combined_by in ("sum", "first")


def totals(form: Form, communes: Sequence[CommuneReport]) -> list[Total]:
    reported = [c for c in communes if c.reported]
    found = []
    for question in figure_questions(form):
        values = [
            c.answers[question.code] for c in reported if c.answers.get(question.code) is not None
        ]
        tally = question.answer_type.tally
        if tally == "figures":
            numbers = [n for n in (counted(v) for v in values) if n is not None]
            uncounted = sum(1 for v in values if v == DONE_UNCOUNTED)
            if adds_up_across_communes(question):
                found.append(Total(question, sum(numbers), len(numbers), uncounted=uncounted))
            else:
                mean = _one_decimal(sum(numbers) / len(numbers)) if numbers else None
                found.append(Total(question, mean, len(numbers), is_mean=True))
        elif tally == "yes":
            found.append(Total(question, None, len(values), yes=sum(1 for v in values if v)))
        elif tally == "choices":
            counts = Counter(
                str(item) for v in values for item in (v if isinstance(v, list) else [v])
            )
            labels = [(c.label, counts[c.value]) for c in question.choices if counts[c.value]]
            found.append(Total(question, None, len(values), choices=tuple(labels)))
    return found


def _one_decimal(value: float) -> float:
    """Rounded half up, as people round (Python's round() takes 2.25 to 2.2)."""
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------------
# The spreadsheet


def _cell_value(question: Question, value: Any) -> Any:
    if value is None:
        return None
    return question.answer_type.cell_value(question, value)


class _Sheet:
    """A write-only sheet (rows stream to disk, so memory stays flat) with a few cell styles."""

    BOLD = Font(name="Times New Roman", bold=True)
    TITLE = Font(name="Times New Roman", bold=True, size=13)
    WRAP = Alignment(wrap_text=True, vertical="top")
    HEADER = Alignment(wrap_text=True, vertical="center", horizontal="center")

    def __init__(self, book: Workbook, title: str, widths: Sequence[float]) -> None:
        self.sheet: WriteOnlyWorksheet = book.create_sheet(title)
        for index, width in enumerate(widths, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self._print_setup()

    def _print_setup(self) -> None:
        """Printed as an office prints a table: A4 landscape, one page wide and as many pages
        down as it takes, centred, page numbers in the footer. Margins in inches (15 mm at the
        sides, 20 mm top and bottom), wide enough for any office printer."""
        setup = self.sheet.page_setup
        setup.orientation = "landscape"
        setup.paperSize = Worksheet.PAPERSIZE_A4
        setup.fitToWidth = 1
        setup.fitToHeight = 0  # as many pages down as the communes take
        self.sheet.sheet_properties.pageSetUpPr.fitToPage = True
        self.sheet.page_margins = PageMargins(
            left=0.6, right=0.6, top=0.8, bottom=0.8, header=0.3, footer=0.3
        )
        self.sheet.print_options.horizontalCentered = True
        self.sheet.oddFooter.center.text = "Trang &P/&N"

    def repeat_on_each_page(self, first_row: int, last_row: int) -> None:
        """The header rows printed at the top of every page."""
        self.sheet.print_title_rows = f"{first_row}:{last_row}"

    def styled(self, value: Any, font: Font | None = None, align: Alignment | None = None) -> Any:
        cell = self._cell(value)
        if not isinstance(cell, Cell):
            cell = WriteOnlyCell(self.sheet, cell)
        if font is not None:
            cell.font = font
        if align is not None:
            cell.alignment = align
        return cell

    def title(self, *lines: str) -> None:
        first, *rest = lines
        self.sheet.append([self.styled(first, self.TITLE)])
        for line in rest:
            self.sheet.append([self._cell(line)])
        self.sheet.append([])

    def header(self, titles: Sequence[str]) -> None:
        self.sheet.append([self.styled(t, self.BOLD, self.HEADER) for t in titles])

    def row(self, values: Iterable[Any]) -> None:
        self.sheet.append([self._cell(value) for value in values])

    def _cell(self, value: Any) -> Any:
        if isinstance(value, date):
            # Shown as 16/12/2026 in any spreadsheet program, not as a serial number.
            cell = WriteOnlyCell(self.sheet, value)
            cell.number_format = "dd/mm/yyyy"
            return cell
        if isinstance(value, str):
            # Text as typed: openpyxl would make "=> ..." a formula and "#N/A" an error cell.
            # Characters XML cannot hold (a NUL pasted into a name) are dropped, not fatal: the
            # table is compiled from whatever the database already holds.
            cell = WriteOnlyCell(self.sheet, XML_ILLEGAL.sub("", value))
            cell.data_type = "s"
            return cell
        return value

    def bold_row(self, values: Iterable[Any]) -> None:
        self.sheet.append([self.styled(v, self.BOLD) for v in values])


def compiled_xlsx(
    compilation: Compilation, form: Form, *, made_at: datetime, zone: ZoneInfo = TIMEZONE
) -> bytes:
    """Three sheets: the figures (a row per commune, a totals row), the completeness, and the
    narrative. Dates are days in `zone`, the calendar's, as on-time was judged."""
    book = Workbook(write_only=True)
    label = period_words(compilation.period_kind, compilation.year, compilation.number)
    subtitle = (
        f"{compilation.office.name} · {compilation.approved}/{compilation.expected} đơn vị đã "
        f"báo cáo · tổng hợp lúc {made_at.astimezone(zone):%H:%M %d/%m/%Y}"
    )
    _figures_sheet(book, compilation, form, label, subtitle)
    _completeness_sheet(book, compilation, label, subtitle, zone)
    _narrative_sheet(book, compilation, form, label)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FIGURES_SHEET = "Số liệu"
COMPLETENESS_SHEET = "Tiến độ"
NARRATIVE_SHEET = "Nội dung"
FIRST_FIGURE_COLUMN = 6  # TT, code, commune, status, number, then the figures
FIGURES_HEADER_ROW = 5  # title, subtitle, blank, section names, then the header


def _figures_sheet(
    book: Workbook, compilation: Compilation, form: Form, label: str, subtitle: str
) -> None:
    questions = figure_questions(form)
    sheet = _Sheet(book, FIGURES_SHEET, [5, 10, 24, 16, 14, *[16] * len(questions)])
    sheet.sheet.freeze_panes = f"{get_column_letter(FIRST_FIGURE_COLUMN)}{FIGURES_HEADER_ROW + 1}"
    sheet.repeat_on_each_page(FIGURES_HEADER_ROW - 1, FIGURES_HEADER_ROW)  # sections, then titles
    sheet.title(f"TỔNG HỢP SỐ LIỆU TUYÊN TRUYỀN CẢI CÁCH HÀNH CHÍNH {label.upper()}", subtitle)
    sections: list[Any] = [None] * (FIRST_FIGURE_COLUMN - 1)
    last_section = None
    for question in questions:
        section = form.section_of[question.code]
        sections.append(
            sheet.styled(section.title, sheet.BOLD) if section != last_section else None
        )
        last_section = section
    sheet.row(sections)
    sheet.header(["TT", "Mã", "Đơn vị", "Tình trạng", "Số báo cáo", *map(column_title, questions)])
    for index, commune in enumerate(compilation.communes, 1):
        values = [_cell_value(q, commune.answers.get(q.code)) for q in questions]
        sheet.row(
            [
                index,
                commune.code,
                commune_label(commune),
                status_label(commune) if commune.reported else NOT_REPORTED,
                commune.number or "",
                *values,
            ]
        )
    by_code = {total.question.code: total for total in totals(form, compilation.communes)}
    sums: list[Any] = []
    means: list[Any] = []
    for question in questions:  # one cell per figure column, blank under the text columns
        total = by_code.get(question.code)
        sums.append(_total_cell(total) if total is not None and not total.is_mean else None)
        means.append(total.value if total is not None and total.is_mean else None)
    reported = compilation.approved
    sheet.bold_row([None, None, f"Tổng cộng ({reported} đơn vị đã báo cáo)", None, None, *sums])
    if any(value is not None for value in means):
        sheet.bold_row([None, None, "Bình quân các đơn vị đã báo cáo", None, None, *means])


def _total_cell(total: Total) -> Any:
    tally = total.question.answer_type.tally
    if tally == "yes":
        return f"{total.yes}/{total.reporting} có"
    if tally == "choices":
        return "; ".join(f"{name}: {count}" for name, count in total.choices) or None
    if total.uncounted and not total.value:
        return f"{total.uncounted} đơn vị có thực hiện, không thống kê"
    return total.value


def _completeness_sheet(
    book: Workbook, compilation: Compilation, label: str, subtitle: str, zone: ZoneInfo
) -> None:
    def local_date(moment: datetime | None) -> date | None:
        return moment.astimezone(zone).date() if moment is not None else None

    sheet = _Sheet(book, COMPLETENESS_SHEET, [5, 10, 24, 20, 14, 14, 14, 14, 14, 20])
    sheet.sheet.freeze_panes = "D13"  # below the summary and the header row
    sheet.repeat_on_each_page(12, 12)
    sheet.title(f"TIẾN ĐỘ BÁO CÁO {label.upper()}", subtitle)
    missing = compilation.expected - compilation.approved
    for name, value in (
        ("Hạn gửi báo cáo", compilation.deadline_on),
        ("Số đơn vị phải báo cáo", compilation.expected),
        ("Đã gửi Chủ tịch duyệt", compilation.submitted),
        ("Đã duyệt, gửi báo cáo", compilation.approved),
        ("Đúng hạn", compilation.on_time),
        ("Muộn hoặc quá hạn", compilation.late),
        ("Chưa báo cáo", missing),
    ):
        sheet.row([None, None, sheet.styled(name, sheet.BOLD), value])
    sheet.row([])
    sheet.header(
        [
            "TT",
            "Mã",
            "Đơn vị",
            "Tình trạng",
            "Gửi Chủ tịch duyệt",
            "Ngày duyệt",
            "Số báo cáo",
            "Ngày ban hành",
            "Ngày gửi đến cơ quan",
            "Đúng hạn / muộn",
        ]
    )
    for index, commune in enumerate(compilation.communes, 1):
        sheet.row(
            [
                index,
                commune.code,
                commune_label(commune),
                status_label(commune),
                local_date(commune.first_submitted_at),
                local_date(commune.approved_at),
                commune.number or "",
                commune.issued_on,
                local_date(commune.delivered_at),
                timeliness_label(commune),
            ]
        )


def _narrative_sheet(book: Workbook, compilation: Compilation, form: Form, label: str) -> None:
    questions = narrative_questions(form)
    sheet = _Sheet(book, NARRATIVE_SHEET, [5, 24, *[50] * len(questions)])
    sheet.sheet.freeze_panes = "C4"
    sheet.repeat_on_each_page(3, 3)
    sheet.title(f"NỘI DUNG BÁO CÁO CỦA CÁC ĐƠN VỊ {label.upper()}")
    sheet.header(["TT", "Đơn vị", *(q.title for q in questions)])
    for index, commune in enumerate(compilation.communes, 1):
        texts = [commune.answers.get(q.code) for q in questions]
        sheet.row(
            [
                index,
                commune_label(commune),
                *(sheet.styled(t, align=sheet.WRAP) if t else None for t in texts),
            ]
            if commune.reported
            else [index, commune_label(commune), NOT_REPORTED]
        )


# ---------------------------------------------------------------------------------------------
# The office's own summary report (a draft: number, day and signer left for the office)


def _office_names(office: Unit, parent: Unit | None) -> tuple[str, str | None]:
    """('Sở Nội vụ', 'UBND tỉnh Hưng Yên') from 'Sở Nội vụ tỉnh Hưng Yên' under Hưng Yên."""
    if parent is None:
        return office.name, None
    where = f"{KIND_LABELS[parent.kind]} {parent.name}".strip()
    short = office.name
    if fold(short).endswith(" " + fold(where)):
        short = short[: len(short) - len(where)].rstrip()
    return short, f"UBND {where}"


def _symbol(short_name: str) -> str:
    """'SNV' for 'Sở Nội vụ': the initials that follow 'BC-' in its document numbers."""
    return "".join(fold(word)[0].upper() for word in short_name.split() if fold(word))


def _head_title(short_name: str) -> str:
    folded = fold(short_name)
    if folded.startswith("so "):
        return "GIÁM ĐỐC"
    if folded.startswith("van phong"):
        return "CHÁNH VĂN PHÒNG"
    if folded.startswith("phong "):
        return "TRƯỞNG PHÒNG"
    return "THỦ TRƯỞNG CƠ QUAN"


def _names(communes: Iterable[CommuneReport]) -> str:
    return ", ".join(commune_label(c) for c in communes)


def total_text(total: Total) -> str | None:
    """'1.234 chuyên mục', 'bình quân 98,5%', '100/120 đơn vị có'; None when nothing to say."""
    question = total.question
    if total.reporting == 0:
        return None
    tally = question.answer_type.tally
    if tally == "yes":
        return f"{group_thousands(total.yes)}/{group_thousands(total.reporting)} đơn vị có"
    if tally == "choices":
        return "; ".join(f"{name}: {group_thousands(n)} đơn vị" for name, n in total.choices)
    if tally is None:
        return None  # documents and texts are cited in each commune's report, not added up
    if total.value is None:
        return None
    if total.uncounted:
        done = f"{hai_so(total.uncounted)} đơn vị thực hiện nhưng không thống kê số lượng"
        return done if not total.value else f"{so(total.value, question.unit)} ({done})"
    if total.is_mean:
        mean = f"{total.value:g}".replace(".", ",")
        percent = question.answer_type.figure_format == "percent"
        unit = "%" if percent else f" {question.unit}".rstrip()
        return f"bình quân {mean}{unit}"
    if question.answer_type.figure_format == "minutes":
        return phut(total.value) if total.value else "không có"
    return so(total.value, question.unit)  # "06 chuyên mục", "không có băng rôn"


# ---------------------------------------------------------------------------------------------
# Section III: what the figures say, drafted from them alone

TOP_CHANGES = 3  # the changes named in the evaluation


def publicity_forms(form: Form) -> list[Question]:
    """The forms of publicity: the counts a commune may say it did without a figure."""
    return [q for q in figure_questions(form) if q.uncounted]


def _did(value: Any) -> bool:
    return value == DONE_UNCOUNTED or bool(counted(value))


def _mid_sentence(title: str) -> str:
    """'Băng rôn' -> 'băng rôn'; 'CCHC ...' keeps its capitals."""
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]


def _percent(value: float) -> str:
    return f"{_one_decimal(value):g}".replace(".", ",") + "%"


def form_usage(form: Form, compilation: Compilation) -> list[tuple[Question, int]]:
    """Each form of publicity and how many reporting communes did it, in form order."""
    reported = [c for c in compilation.communes if c.reported]
    return [
        (question, sum(1 for c in reported if _did(c.answers.get(question.code))))
        for question in publicity_forms(form)
    ]


@dataclass(frozen=True)
class Change:
    question: Question
    before: int
    after: int
    communes: int  # the communes that gave a figure in both periods

    @property
    def relative(self) -> float:
        return (self.after - self.before) / self.before


def changes(form: Form, current: Compilation, previous: Compilation) -> list[Change]:
    """The summed figures that changed, largest relative change first: each compared over
    the communes that gave a figure for it in both periods (a commune that reported only
    once, or did it "without a figure", would make a change that did not happen)."""
    before_by_code = {c.code: c.answers for c in previous.communes if c.reported}
    pairs = [
        (before_by_code[c.code], c.answers)
        for c in current.communes
        if c.reported and c.code in before_by_code
    ]
    found = []
    for question in figure_questions(form):
        if not question.answer_type.is_amount:
            continue
        if not adds_up_across_communes(question):
            continue  # a rate or a mean is not a total that grows
        given = [
            (counted(before.get(question.code)), counted(after.get(question.code)))
            for before, after in pairs
        ]
        both = [(b, a) for b, a in given if b is not None and a is not None]
        before_sum = int(sum(b for b, _ in both))
        after_sum = int(sum(a for _, a in both))
        if before_sum > 0 and after_sum != before_sum:
            found.append(Change(question, before_sum, after_sum, len(both)))
    return sorted(found, key=lambda c: (-abs(c.relative), -abs(c.after - c.before)))


def _amount(question: Question, value: int) -> str:
    if question.answer_type.figure_format == "minutes":
        return phut(value)
    return f"{hai_so(value)} {question.unit}".rstrip()


def change_text(form: Form, change: Change) -> str:
    """'Tin, bài về CCHC (tuyên truyền qua hệ thống truyền thanh): tăng 50% (từ 30 lên 45
    tin, bài).'"""
    question = change.question
    word = "tăng" if change.after > change.before else "giảm"
    towards = "lên" if change.after > change.before else "xuống"
    section = _mid_sentence(form.section_of[question.code].title)
    return (
        f"- {question.title} ({section}): {word} {_percent(abs(change.relative) * 100)} "
        f"(từ {_amount(question, change.before)} {towards} {_amount(question, change.after)})."
    )


def _forms_named(form: Form, questions: list[Question]) -> str:
    """'tuyên truyền trực quan (băng rôn; tờ rơi); tuyên truyền qua ...': grouped under their
    section, whose name says the medium ("Tin, bài về CCHC" is the radio's or the website's)."""
    grouped: dict[str, list[str]] = {}
    for question in questions:
        section = form.section_of[question.code].title
        grouped.setdefault(section, []).append(_mid_sentence(question.title))
    return "; ".join(
        f"{_mid_sentence(section)} ({'; '.join(titles)})" for section, titles in grouped.items()
    )


def evaluation(
    compilation: Compilation, form: Form, *, previous: Compilation | None
) -> list[Paragraph]:
    """Section III: the forms most and least used, then the figures that changed most against
    the previous period. Each sentence states what the figures show, nothing more."""
    reported = compilation.approved
    if not reported:
        return [
            Paragraph(
                Block.BODY, "Chưa có đơn vị nào báo cáo nên chưa có số liệu để nhận xét, đánh giá."
            )
        ]
    found: list[Paragraph] = []
    usage = form_usage(form, compilation)
    of = f"/{group_thousands(reported)} đơn vị đã báo cáo"
    if usage:
        most = max(used for _, used in usage)
        least = min(used for _, used in usage)
        if most == least:
            found.append(
                Paragraph(
                    Block.BODY,
                    f"Các hình thức tuyên truyền đều được {group_thousands(most)}{of} thực hiện."
                    if most
                    else "Các đơn vị đã báo cáo chưa thực hiện hình thức tuyên truyền nào.",
                )
            )
        else:
            top = [q for q, used in usage if used == most]
            bottom = [q for q, used in usage if used == least]
            found.append(
                Paragraph(
                    Block.BODY,
                    f"Hình thức tuyên truyền được nhiều đơn vị thực hiện nhất "
                    f"({group_thousands(most)}{of}): {_forms_named(form, top)}.",
                )
            )
            found.append(
                Paragraph(
                    Block.BODY,
                    f"Hình thức chưa có đơn vị nào thực hiện: {_forms_named(form, bottom)}."
                    if least == 0
                    else f"Hình thức ít được thực hiện nhất ({group_thousands(least)}{of}): "
                    f"{_forms_named(form, bottom)}.",
                )
            )
    if previous is not None:
        changed = changes(form, compilation, previous)
        label = period_words(previous.period_kind, previous.year, previous.number)
        if changed:
            found.append(
                Paragraph(
                    Block.BODY,
                    f"So với {label}, tính trên các đơn vị có số liệu ở cả hai kỳ, các số liệu "
                    "thay đổi nhiều nhất:",
                )
            )
            found.extend(
                Paragraph(Block.BULLET, change_text(form, c)) for c in changed[:TOP_CHANGES]
            )
    return found


def office_summary(
    compilation: Compilation,
    form: Form,
    *,
    parent: Unit | None,
    today: date,
    previous: Compilation | None = None,
    names: KindNames = CCHC_NAMES,
) -> ReportDocument:
    """The office's summary report; `previous` is the period its figures are compared with
    (the previous quarter, the same half or the previous year), when it was opened."""
    label = period_words(compilation.period_kind, compilation.year, compilation.number)
    short, governing = _office_names(compilation.office, parent)
    body: list[Paragraph] = []

    def add(kind: Block, text: str) -> None:
        body.append(Paragraph(kind, text))

    late = [c for c in compilation.communes if c.reported and c.on_time is False]
    missing = compilation.missing
    add(Block.HEADING_1, "I. TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ CẤP XÃ")
    add(
        Block.BODY,
        f"Tổng số đơn vị cấp xã phải báo cáo {names.subject} "
        f"{label}: {group_thousands(compilation.expected)} đơn vị; đã báo cáo: "
        f"{group_thousands(compilation.approved)} đơn vị (đúng hạn "
        f"{group_thousands(compilation.on_time)}, muộn {group_thousands(len(late))}); "
        f"chưa báo cáo: {group_thousands(len(missing))} đơn vị. Hạn gửi báo cáo: "
        f"ngày {compilation.deadline_on:%d/%m/%Y}.",
    )
    if missing:
        add(Block.BODY, f"Các đơn vị chưa báo cáo: {_names(missing)}.")
    if late:
        add(Block.BODY, f"Các đơn vị báo cáo muộn: {_names(late)}.")
    add(Block.HEADING_1, f"II. {names.subject.upper()}")
    add(
        Block.BODY,
        f"Tổng hợp từ báo cáo đã được phê duyệt của {group_thousands(compilation.approved)} "
        "đơn vị, kết quả như sau:",
    )
    by_section: dict[str, list[str]] = {}
    for total in totals(form, compilation.communes):
        text = total_text(total)
        if text:
            section = form.section_of[total.question.code].title
            by_section.setdefault(section, []).append(f"- {total.question.title}: {text}.")
    for number, (section, lines) in enumerate(by_section.items(), 1):
        add(Block.HEADING_2, f"{number}. {section}")
        for line in lines:
            add(Block.BULLET, line)
    add(Block.HEADING_1, "III. NHẬN XÉT, ĐÁNH GIÁ")
    body.extend(evaluation(compilation, form, previous=previous))
    if compilation.approved:
        add(
            Block.BODY,
            "Ưu điểm, tồn tại, hạn chế, phương hướng và kiến nghị, đề xuất của từng đơn vị được "
            f'tổng hợp tại trang "{NARRATIVE_SHEET}" của tệp số liệu kèm theo báo cáo này.',
        )
    add(
        Block.BODY,
        f"Trên đây là báo cáo tổng hợp {names.subject} {label} "
        f"của các đơn vị cấp xã, {short} trân trọng báo cáo./.",
    )
    month = f"{today.month:02d}" if today.month <= 2 else str(today.month)
    place = parent.name if parent is not None else ""
    recipients = [f"- {governing} (để báo cáo);"] if governing else []
    recipients.append("- Lưu: VT.")
    return ReportDocument(
        issuing_body=tuple(line.upper() for line in (governing, short) if line),
        number_line=f"Số:{DRAFT_BLANK}/BC-{_symbol(short)}",
        place_date_line=f"{place}{', ' if place else ''}ngày{DRAFT_BLANK}tháng {month} "
        f"năm {today.year}",
        title="BÁO CÁO",
        summary=f"Tổng hợp {names.subject} {label} của các đơn vị cấp xã",
        body=tuple(body),
        recipients=tuple(recipients),
        authority=(_head_title(short),),
        signer_name="",
    )


# ---------------------------------------------------------------------------------------------
# File names and the .zip


def compiled_names(compilation: Compilation, names: KindNames = CCHC_NAMES) -> dict[str, str]:
    tail = f"{compilation.period_code}_{compilation.office.code}"
    return {
        "xlsx": f"TH-{names.short_name}_{tail}.xlsx",
        "docx": f"BC-TH-{names.short_name}_{tail}.docx",
        "zip": f"{names.file_prefix}_{tail}_cac-xa.zip",
    }


def report_filename(
    *,
    period_code: str,
    unit_code: str,
    unit_name: str,
    tail: str,
    fmt: str = "docx",
    prefix: str = DEFAULT_FILE_PREFIX,
) -> str:
    """ASCII and named by report kind, commune and period, so an office folder sorts and any
    phone opens it: BC-CCHC_2026-Q4_12151_tan-quang_so01.docx (`prefix` is the kind's)."""
    name = "-".join(fold(unit_name).split())
    return f"{prefix}_{period_code}_{unit_code}_{name}_{tail}.{fmt}"


def zip_entry_name(
    compilation: Compilation, commune: CommuneReport, fmt: str, prefix: str = DEFAULT_FILE_PREFIX
) -> str:
    number = (commune.number or "").split("/")[0]
    return report_filename(
        period_code=compilation.period_code,
        unit_code=commune.code,
        unit_name=commune.name,
        tail=f"so{number}" if number else "duyet",
        fmt=fmt,
        prefix=prefix,
    )


def add_to_zip(
    archive: zipfile.ZipFile,
    compilation: Compilation,
    commune: CommuneReport,
    docx: bytes,
    pdf: bytes | None,
    prefix: str = DEFAULT_FILE_PREFIX,
) -> None:
    """One commune's approved report (and its .pdf) into the office's .zip, named with the
    kind's `prefix`. Both formats are compressed already, so they are stored as they are."""
    for fmt, content in (("docx", docx), ("pdf", pdf)):
        if content is not None:
            name = zip_entry_name(compilation, commune, fmt, prefix)
            archive.writestr(name, content, zipfile.ZIP_STORED)
