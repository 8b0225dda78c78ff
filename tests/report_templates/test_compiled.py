"""The receiving office's files: the .xlsx (figures, completeness, narrative), its own summary
report and the .zip of the communes' approved reports.

The expected figures are computed here, from the answers each commune stored (seeded random
data), not with `totals()`; the rounds are submitted and approved through the real workflow.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from conversations.office import OfficeDesk
from definitions.forms import DONE_UNCOUNTED, Question, QuestionType
from definitions.values import parse_answer
from report_templates.compiled import (
    add_to_zip,
    compiled_names,
    compiled_xlsx,
    office_summary,
    report_filename,
    totals,
)
from report_templates.document import Block, ReportDocument
from storage.compilation import CommuneReport, Compilation, compile_period
from storage.db import Database
from storage.models import RoundStatus, Unit, UnitKind
from tests.conftest import copy_database, new_database
from tests.factories import TYPED_ROUND, docx_text, packaged_kind
from tests.storage.test_compilation import (
    FORM,
    PERIOD,
    WORKFLOW,
    ZONE,
    Commune,
    approve,
    compile_for,
    drafts_of,
    make_commune,
    make_office,
    make_province,
    open_for,
    set_answers,
    set_moments,
    set_round_status,
    submit,
    typed_answers,
    utc,
)

# On one worker: the province is built once per module and worker.
pytestmark = pytest.mark.xdist_group("compiled-province")

TODAY = date(2026, 12, 20)  # after the deadline (16/12/2026)
NOW = datetime(2026, 12, 20, 2, 30, tzinfo=ZONE)
FIGURES_SHEET, COMPLETENESS_SHEET, NARRATIVE_SHEET = "Số liệu", "Tiến độ", "Nội dung"
HEADER_ROW, FIRST_ROW, FIRST_FIGURE = 5, 6, 6

# Every question but the narrative (long_text) is a column of the figures sheet, in form order.
FIGURE_QUESTIONS = [
    q for section in FORM.sections for q in section.questions if q.type != QuestionType.LONG_TEXT
]
NARRATIVE_QUESTIONS = [
    q for section in FORM.sections for q in section.questions if q.type == QuestionType.LONG_TEXT
]
NUMBERS = (QuestionType.COUNT, QuestionType.MINUTES, QuestionType.PERCENT)
KIND_WORDS = {UnitKind.COMMUNE: "xã", UnitKind.WARD: "phường"}

# The office's communes: (code, name, kind, what became of its Q4 report). Made in this order,
# listed by code.
PROVINCE = (
    ("12166", "Nghĩa Trụ", UnitKind.COMMUNE, "approved"),
    ("12151", "Tân Quang", UnitKind.COMMUNE, "approved"),
    ("12162", "Minh Đức", UnitKind.COMMUNE, "unopened"),
    ("12155", "Hiến Nam", UnitKind.WARD, "approved"),
    ("12158", "Đông Hòa", UnitKind.COMMUNE, "submitted"),
    ("12153", "Phạm Ngũ Lão", UnitKind.COMMUNE, "approved"),
    ("12164", "Việt Hưng", UnitKind.COMMUNE, "approved"),
    ("12160", "Lạc Đạo", UnitKind.COMMUNE, "approved"),
)
FORMULA_NARRATIVE = "=> Kết quả: tuyên truyền đạt và vượt kế hoạch."
FORMULA_SHORT_TEXT = "=> Tuyên truyền qua nhóm Zalo thôn"
TEMPLATE_CODE = "{{ 7*7 }} {% if true %}chèn mã{% endif %}"


# ----- independent arithmetic and wording ------------------------------------------------------


def two_digits(number: int) -> str:
    """6 -> '06', 1500 -> '1.500'."""
    return f"{number:02d}" if number < 10 else f"{number:,}".replace(",", ".")


def minutes_text(minutes: int) -> str:
    text = f"{two_digits(minutes)} phút"
    if minutes >= 120:
        hours, rest = divmod(minutes, 60)
        spoken = f"{two_digits(hours)} giờ" + (f" {two_digits(rest)} phút" if rest else "")
        text += f" ({spoken})"
    return text


def mean_of(values: list[int | float]) -> Decimal:
    exact = sum(Decimal(str(v)) for v in values) / len(values)
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def decimal_comma(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral() else str(value).replace(".", ",")


def is_mean(question: Question) -> bool:
    return question.type is QuestionType.PERCENT or (
        question.type is QuestionType.COUNT and question.combined_by == "last"
    )


@dataclass(frozen=True)
class Expected:
    total: Any  # the totals row's cell
    mean: Decimal | None  # the means row's cell
    bullet: str | None  # the summary's text after "- <title>: ", None: no bullet


def expected_figure(question: Question, answer_sets: list[dict[str, Any]]) -> Expected:
    given = [a[question.code] for a in answer_sets if a.get(question.code) is not None]
    kind = question.type
    if kind in (QuestionType.COUNT, QuestionType.MINUTES) and not is_mean(question):
        assert question.combined_by == "sum"
        total = sum(given)
        if not given:
            return Expected(total, None, None)
        if kind is QuestionType.MINUTES:
            return Expected(total, None, minutes_text(total) if total else "không có")
        words = f"{two_digits(total)} {question.unit}" if total else f"không có {question.unit}"
        return Expected(total, None, words)
    if is_mean(question):
        if not given:
            return Expected(None, None, None)
        mean = mean_of(given)
        unit = "%" if kind is QuestionType.PERCENT else f" {question.unit}"
        return Expected(None, mean, f"bình quân {decimal_comma(mean)}{unit}")
    if kind is QuestionType.YES_NO:
        yes = sum(1 for v in given if v is True)
        bullet = f"{yes}/{len(given)} đơn vị có" if given else None
        return Expected(f"{yes}/{len(given)} có", None, bullet)
    if kind in (QuestionType.CHOICE, QuestionType.MULTI_CHOICE):
        # A multiple choice counts each commune once under every choice it picked.
        counts = Counter(
            v for value in given for v in (value if isinstance(value, list) else [value])
        )
        picked = [(c.label, counts[c.value]) for c in question.choices if counts[c.value]]
        return Expected(
            "; ".join(f"{label}: {n}" for label, n in picked) or None,
            None,
            "; ".join(f"{label}: {n} đơn vị" for label, n in picked) or None,
        )
    return Expected(None, None, None)  # text columns are not totalled


def column_title(question: Question) -> str:
    unit = {
        QuestionType.MINUTES: "phút",
        QuestionType.PERCENT: "%",
        QuestionType.YES_NO: "có/không",
    }.get(question.type, question.unit)
    return f"{question.short} ({unit})" if unit else question.short


# ----- the data -------------------------------------------------------------------------------


RADIO = {"radio_programs", "radio_items", "radio_airings", "radio_minutes", "radio_per_day"}
RANGES = {
    "leaflets": (200, 2500),
    "citizens_guided": (50, 1800),
    "meeting_attendance": (30, 900),
    "contest_participants": (10, 400),
    "radio_minutes": (15, 600),
    "radio_airings": (5, 120),
    "radio_per_day": (1, 5),
    "dialogues": (0, 1),  # adds up below ten: a leading zero
    "staged_events": (0, 0),  # nobody: "không có buổi"
}
PERCENTS = (100, 100, 95, 87.5, 90, 98.5, 100, 92)


def random_answers(rng: random.Random, *, name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A commune's stored answers, and how each text column shows them."""
    number = rng.randint(1, 40)
    plan = f"{number:02d}/KH-UBND ngày 08/01/2026"
    values = typed_answers(
        plan_refs=plan,
        strengths=f"Ưu điểm ở {name}: tuyên truyền đều đặn, đúng kế hoạch.",
        limitations=f"Hạn chế ở {name}: kinh phí còn ít.",
        directions=f"Phương hướng của {name}: tăng cường tuyên truyền qua loa.",
    )
    station = rng.choice(["active", "active", "active", "broken", "none"])
    values["radio_station"] = station
    for question in FIGURE_QUESTIONS:
        if question.type in (QuestionType.COUNT, QuestionType.MINUTES):
            low, high = RANGES.get(question.code, (0, 14))
            values[question.code] = 0 if low > 0 and rng.random() < 0.1 else rng.randint(low, high)
            if not question.required and rng.random() < 0.3:
                values[question.code] = None  # skipped
        elif question.type is QuestionType.PERCENT:
            values[question.code] = rng.choice(PERCENTS)
        elif question.type is QuestionType.YES_NO:
            values[question.code] = rng.random() < 0.6
    if station != "active":
        for code in (*RADIO, "radio_relay"):
            values[code] = None  # not asked
    else:
        values["radio_airings"] = max(values["radio_airings"] or 0, 1)
    if values["contests"] == 0:
        values["contest_participants"] = None
    values["web_posts_digital"] = min(values["web_posts_digital"], values["web_posts"])
    if rng.random() < 0.5:
        values["causes"] = f"Nguyên nhân ở {name}: cán bộ kiêm nhiệm."
    texts = {
        "plan_refs": plan,
        "higher_docs": TYPED_ROUND["higher_docs"],
    }
    return values, texts


@dataclass(frozen=True)
class Province:
    parent: Unit
    office: Unit
    communes: dict[str, Commune]  # by code
    fates: dict[str, str]
    answers: dict[str, dict[str, Any]]  # what each commune stored (and its approved version froze)
    texts: dict[str, dict[str, str]]
    drafts: dict[str, Any]  # code -> approved Draft
    other: Commune  # another office's commune, approved

    @property
    def codes(self) -> list[str]:
        return sorted(self.communes)

    @property
    def approved_codes(self) -> list[str]:
        return [code for code in self.codes if self.fates[code] == "approved"]

    def label(self, code: str) -> str:
        unit = self.communes[code].unit
        return f"{KIND_WORDS[unit.kind]} {unit.name}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def built_province(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: str
) -> AsyncIterator[tuple[str, Province]]:
    """The province built once for the module, in a database of its own: submitting and approving
    its communes through the real workflow takes a second or more."""
    async with new_database(tmp_path_factory.mktemp("province"), copy_of=migrated_template) as url:
        database = Database(url)
        try:
            built = await build_province(database)
        finally:
            await database.dispose()
        yield url, built


@pytest.fixture
async def province(built_province: tuple[str, Province], database: Database) -> Province:
    """The module's province, copied into this test's own database (a test may change it)."""
    url, built = built_province
    await database.dispose()  # nothing has connected yet; the copy replaces the whole database
    await copy_database(url, database.url)
    return built


async def build_province(database: Database) -> Province:
    rng = random.Random(20261216)
    parent = await make_province(database)
    office = await make_office(database, parent=parent)
    elsewhere = await make_office(database, code="SNV-HN", name="Sở Nội vụ thành phố Hà Nội")
    communes: dict[str, Commune] = {}
    answers: dict[str, dict[str, Any]] = {}
    texts: dict[str, dict[str, str]] = {}
    drafts: dict[str, Any] = {}
    for code, name, kind, fate in PROVINCE:
        period = None if fate == "unopened" else PERIOD
        commune = await make_commune(
            database, office, code=code, name=name, kind=kind, period=period
        )
        communes[code] = commune
        if fate == "unopened":
            continue
        values, shown = random_answers(rng, name=name)
        if code == "12151":
            values["strengths"] = FORMULA_NARRATIVE
        if code == "12153":
            values["limitations"] = TEMPLATE_CODE
        if code == "12155":
            values["other_forms_text"] = FORMULA_SHORT_TEXT
        answers[code], texts[code] = values, shown
        draft = await submit(database, commune, values)
        if fate == "approved":
            drafts[code] = await approve(database, commune, draft)
    # Another office's commune, approved, with figures that would show in any total.
    other = await make_commune(database, elsewhere, code="12157", name="Vĩnh Khúc")
    huge = typed_answers(radio_programs="480", leaflets="99.999", tthc_posted_percent="1%")
    await approve(database, other, await submit(database, other, huge))
    return Province(
        parent=parent,
        office=office,
        communes=communes,
        fates={code: fate for code, _, _, fate in PROVINCE},
        answers=answers,
        texts=texts,
        drafts=drafts,
        other=other,
    )


# ----- reading the files back ------------------------------------------------------------------


def open_book(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


def grid(sheet: Worksheet) -> list[list[Any]]:
    """Every row's values, padded to the sheet's width, 0-based."""
    width = sheet.max_column
    return [list(row) + [None] * (width - len(row)) for row in sheet.iter_rows(values_only=True)]


def cell(rows: list[list[Any]], row: int, column: int) -> Any:
    """The value at a spreadsheet's (row, column), 1-based; None beyond the written area."""
    if row > len(rows) or column > len(rows[row - 1]):
        return None
    return rows[row - 1][column - 1]


def dec(day: int) -> date:
    """A day of December 2026."""
    return date(2026, 12, day)


def blank(value: Any) -> bool:
    return value is None or value == ""


def expected_cell(question: Question, value: Any, shown: dict[str, str]) -> Any:
    if value is None:
        return None
    if question.type in NUMBERS:
        return value
    if question.type is QuestionType.YES_NO:
        return "Có" if value else "Không"
    if question.type is QuestionType.CHOICE:
        return {c.value: c.label for c in question.choices}[value]
    if question.type in (QuestionType.DOCUMENT_REF, QuestionType.DOCUMENT_REFS):
        return shown[question.code]
    if question.type is QuestionType.MULTI_CHOICE:
        return "; ".join(c.label for c in question.choices if c.value in value)
    return value  # short text, as typed


def bullets(document: ReportDocument) -> dict[str, str]:
    """'Title' -> the text after '- Title: ' (without the closing full stop)."""
    found: dict[str, str] = {}
    for paragraph in document.body:
        if paragraph.kind is Block.BULLET:
            match = re.fullmatch(r"- (.+?): (.+)\.", paragraph.text)
            assert match, paragraph.text
            assert match.group(1) not in found, f"two bullets for {match.group(1)}"
            found[match.group(1)] = match.group(2)
    return found


def body_text(document: ReportDocument) -> str:
    return "\n".join(paragraph.text for paragraph in document.body)


def every_cell_text(book: Any) -> str:
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


# ----- 1. the numbers add up ------------------------------------------------------------------


async def test_the_figures_sheet_and_the_summary_quote_the_approved_numbers(
    database: Database, province: Province
) -> None:
    compilation = await compile_for(database, province.office, today=TODAY)
    book = open_book(compiled_xlsx(compilation, FORM, made_at=NOW))
    assert book.sheetnames == [FIGURES_SHEET, COMPLETENESS_SHEET, NARRATIVE_SHEET]
    sheet = book[FIGURES_SHEET]
    rows = grid(sheet)

    # The header: five fixed columns, then one per figure question in form order, each under
    # its section's name where the section starts.
    assert [cell(rows, HEADER_ROW, c) for c in range(1, FIRST_FIGURE)] == [
        "TT",
        "Mã",
        "Đơn vị",
        "Tình trạng",
        "Số báo cáo",
    ]
    assert [cell(rows, HEADER_ROW, FIRST_FIGURE + i) for i in range(len(FIGURE_QUESTIONS) + 1)] == [
        *map(column_title, FIGURE_QUESTIONS),
        None,
    ]
    sections = [cell(rows, HEADER_ROW - 1, FIRST_FIGURE + i) for i in range(len(FIGURE_QUESTIONS))]
    starts = [
        FORM.section_of[q.code].title
        if i == 0 or FORM.section_of[q.code] != FORM.section_of[FIGURE_QUESTIONS[i - 1].code]
        else None
        for i, q in enumerate(FIGURE_QUESTIONS)
    ]
    assert sections == starts

    # One row per commune of the office, in code order; every figure as its approved version.
    assert [cell(rows, FIRST_ROW + i, 2) for i in range(len(province.codes) + 1)] == [
        *province.codes,
        None,
    ]
    for index, code in enumerate(province.codes):
        row = FIRST_ROW + index
        approved = province.fates[code] == "approved"
        assert cell(rows, row, 1) == index + 1
        assert cell(rows, row, 3) == province.label(code)
        assert cell(rows, row, 4) == ("Đã báo cáo" if approved else "Chưa báo cáo")
        figures = [cell(rows, row, FIRST_FIGURE + i) for i, _ in enumerate(FIGURE_QUESTIONS)]
        if not approved:  # submitted-not-approved and never-opened: marked, never counted
            assert blank(cell(rows, row, 5)) and all(blank(v) for v in figures), code
            continue
        assert cell(rows, row, 5) == "01/BC-UBND"
        stored = province.answers[code]
        assert figures == [
            expected_cell(q, stored.get(q.code), province.texts[code]) for q in FIGURE_QUESTIONS
        ], code

    # Totals and means: the right numbers, in column order (where they sit: the next test).
    approved_answers = [province.answers[code] for code in province.approved_codes]
    expected = {q.code: expected_figure(q, approved_answers) for q in FIGURE_QUESTIONS}
    totals_row = FIRST_ROW + len(province.codes)
    assert cell(rows, totals_row, 3) == "Tổng cộng (6 đơn vị đã báo cáo)"
    assert cell(rows, totals_row + 1, 3) == "Bình quân các đơn vị đã báo cáo"
    assert len(rows) == totals_row + 1, "nothing after the means"
    written_totals = [v for v in rows[totals_row - 1][FIRST_FIGURE - 1 :] if v is not None]
    assert written_totals == [e.total for e in expected.values() if e.total is not None]
    written_means = [v for v in rows[totals_row][FIRST_FIGURE - 1 :] if v is not None]
    wanted_means = [e.mean for e in expected.values() if e.mean is not None]
    assert len(written_means) == len(wanted_means) == 2  # the percentage and the daily rate
    assert written_means == [pytest.approx(float(m), abs=1e-9) for m in wanted_means]

    # The summary quotes the same numbers, as a report writes them.
    summary = office_summary(compilation, FORM, parent=province.parent, today=TODAY)
    wanted = {q.short: e.bullet for q in FIGURE_QUESTIONS if (e := expected[q.code]).bullet}
    assert bullets(summary) == wanted
    quoted = "\n".join(wanted.values())
    assert re.search(r"không có buổi", quoted), "a zero reads 'không có ...'"
    assert re.search(r"(^|: )0\d ", quoted, re.M), "a figure below ten has a leading zero"
    assert re.search(r"\d\.\d{3} ", quoted), "thousands are grouped with a dot"
    assert wanted["Buổi sân khấu hóa"] == "không có buổi"

    text = body_text(summary)
    assert (
        "phải báo cáo kết quả công tác tuyên truyền cải cách hành chính quý IV năm 2026: 8 đơn "
        "vị; đã báo cáo: 6 đơn vị (đúng hạn 6, muộn 0); chưa báo cáo: 2 đơn vị. Hạn gửi báo "
        "cáo: ngày 16/12/2026." in text
    )
    assert "Các đơn vị chưa báo cáo: xã Đông Hòa, xã Minh Đức." in text
    assert "Tổng hợp từ báo cáo đã được phê duyệt của 6 đơn vị" in text

    # Another office's commune is nowhere.
    everything = every_cell_text(book) + text
    assert "Vĩnh Khúc" not in everything and "12157" not in everything
    assert "99.999" not in text


async def test_each_total_sits_under_the_column_it_adds_up(
    database: Database, province: Province
) -> None:
    compilation = await compile_for(database, province.office, today=TODAY)
    rows = grid(open_book(compiled_xlsx(compilation, FORM, made_at=NOW))[FIGURES_SHEET])
    approved_answers = [province.answers[code] for code in province.approved_codes]
    totals_row = FIRST_ROW + len(province.codes)
    under: dict[str, tuple[Any, Any]] = {}
    wanted: dict[str, tuple[Any, Any]] = {}
    for index, question in enumerate(FIGURE_QUESTIONS):
        column = FIRST_FIGURE + index
        assert cell(rows, HEADER_ROW, column) == column_title(question)
        under[question.code] = (cell(rows, totals_row, column), cell(rows, totals_row + 1, column))
        expected = expected_figure(question, approved_answers)
        mean = float(expected.mean) if expected.mean is not None else None
        wanted[question.code] = (expected.total, mean)
    assert under == wanted


async def test_a_figure_changed_after_approval_changes_nothing_compiled(
    database: Database, province: Province
) -> None:
    before = await compile_for(database, province.office, today=TODAY)
    before_rows = grid(open_book(compiled_xlsx(before, FORM, made_at=NOW))[FIGURES_SHEET])
    before_bullets = bullets(office_summary(before, FORM, parent=province.parent, today=TODAY))
    commune = province.communes["12151"]
    assert commune.round_id is not None
    await set_answers(
        database,
        commune.round_id,
        {"web_posts": 1999, "leaflets": 88888, "tthc_posted_percent": 1, "web_tthc_updated": None},
    )

    after = await compile_for(database, province.office, today=TODAY)
    after_rows = grid(open_book(compiled_xlsx(after, FORM, made_at=NOW))[FIGURES_SHEET])
    after_bullets = bullets(office_summary(after, FORM, parent=province.parent, today=TODAY))

    web_posts = FIRST_FIGURE + FIGURE_QUESTIONS.index(FORM.questions["web_posts"])
    row = FIRST_ROW + province.codes.index("12151")
    assert cell(after_rows, row, web_posts) == province.answers["12151"]["web_posts"] != 1999
    assert after_rows == before_rows
    assert after_bullets == before_bullets
    assert "88.888" not in "".join(after_bullets.values())


# ----- 3. completeness --------------------------------------------------------------------------


async def test_the_completeness_sheet_counts_and_dates_each_commune(database: Database) -> None:
    office = await make_office(database)
    plan = (
        ("C01", "An Bình", "delivered on time"),
        ("C02", "Bình Minh", "delivered late"),
        ("C03", "Cẩm Xá", "approved on time"),
        ("C04", "Dị Sử", "submitted"),
        ("C05", "Đình Dù", "open"),
        ("C06", "Giai Phạm", "unopened"),
    )
    communes = {
        code: await make_commune(
            database, office, code=code, name=name, period=None if fate == "unopened" else PERIOD
        )
        for code, name, fate in plan
    }
    # UTC moments: created (sent to the chairman), decided, issued (a day), delivered
    moments = {
        "C01": (utc(2026, 12, 10, 2), utc(2026, 12, 15, 1), dec(15), utc(2026, 12, 16, 16, 59)),
        "C02": (
            utc(2026, 12, 14, 20),
            utc(2026, 12, 16, 16, 30),
            dec(16),
            utc(2026, 12, 16, 17, 1),
        ),
        "C03": (utc(2026, 12, 11, 3), utc(2026, 12, 16, 10), dec(16), None),
    }
    for code in ("C01", "C02", "C03", "C04"):
        draft = await submit(database, communes[code], typed_answers())
        if code in moments:
            draft = await approve(database, communes[code], draft)
            created, decided, issued, delivered = moments[code]
            await set_moments(
                database,
                draft.id,
                created_at=created,
                decided_at=decided,
                issued_on=issued,
                delivered_at=delivered,
            )
            if delivered is not None:
                await set_round_status(database, draft.round_id, RoundStatus.DELIVERED)
        else:
            await set_moments(database, draft.id, created_at=utc(2026, 12, 12, 1))

    compilation = await compile_for(database, office, today=TODAY)
    rows = grid(open_book(compiled_xlsx(compilation, FORM, made_at=NOW))[COMPLETENESS_SHEET])

    def as_date(value: Any) -> Any:
        return value.date() if isinstance(value, datetime) else value

    assert cell(rows, 1, 1) == "TIẾN ĐỘ BÁO CÁO QUÝ IV NĂM 2026"
    assert "0/6" not in str(cell(rows, 2, 1)) and "3/6 đơn vị đã báo cáo" in cell(rows, 2, 1)
    assert "tổng hợp lúc 02:30 20/12/2026" in cell(rows, 2, 1)
    counts = {cell(rows, r, 3): as_date(cell(rows, r, 4)) for r in range(4, 11)}
    assert counts == {
        "Hạn gửi báo cáo": date(2026, 12, 16),
        "Số đơn vị phải báo cáo": 6,
        "Đã gửi Chủ tịch duyệt": 4,
        "Đã duyệt, gửi báo cáo": 3,
        "Đúng hạn": 2,
        "Muộn hoặc quá hạn": 4,
        "Chưa báo cáo": 3,
    }
    header = next(r for r in range(1, len(rows) + 1) if cell(rows, r, 1) == "TT")
    assert [cell(rows, header, c) for c in range(1, 11)] == [
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
    table = [
        [as_date(v) if not blank(v) else None for v in rows[r - 1][:10]]
        for r in range(header + 1, len(rows) + 1)
    ]
    ok, no1, overdue = "Đã báo cáo", "01/BC-UBND", "Quá hạn, chưa báo cáo"
    assert table == [
        [1, "C01", "xã An Bình", ok, dec(10), dec(15), no1, dec(15), dec(16), "Đúng hạn"],
        # sent 03:00 and approved 23:30 local time; delivered 00:01 the day after the deadline
        [2, "C02", "xã Bình Minh", ok, dec(15), dec(16), no1, dec(16), dec(17), "Muộn"],
        [3, "C03", "xã Cẩm Xá", ok, dec(11), dec(16), no1, dec(16), None, "Đúng hạn"],
        [4, "C04", "xã Dị Sử", "Chờ Chủ tịch duyệt", dec(12), None, None, None, None, overdue],
        [5, "C05", "xã Đình Dù", "Đang nhập số liệu", None, None, None, None, None, overdue],
        [6, "C06", "xã Giai Phạm", "Chưa mở kỳ báo cáo", None, None, None, None, None, overdue],
    ]
    date_cells = [value for row in rows[header:] for value in row if isinstance(value, datetime)]
    assert date_cells, "dates are written as dates"

    # The same period before its deadline: nobody is overdue yet.
    early = await compile_for(database, office, today=date(2026, 12, 16))
    early_rows = grid(open_book(compiled_xlsx(early, FORM, made_at=NOW))[COMPLETENESS_SHEET])
    assert [cell(early_rows, header + i, 10) for i in range(1, 7)] == [
        "Đúng hạn",
        "Muộn",
        "Đúng hạn",
        "Chưa đến hạn",
        "Chưa đến hạn",
        "Chưa đến hạn",
    ]
    assert cell(early_rows, 9, 4) == 1  # late or overdue: the one delivered late

    summary = body_text(office_summary(compilation, FORM, parent=None, today=TODAY))
    assert "đã báo cáo: 3 đơn vị (đúng hạn 2, muộn 1); chưa báo cáo: 3 đơn vị" in summary
    assert "Các đơn vị chưa báo cáo: xã Dị Sử, xã Đình Dù, xã Giai Phạm." in summary
    assert "Các đơn vị báo cáo muộn: xã Bình Minh." in summary


async def test_dates_in_the_completeness_sheet_read_as_day_month_year(
    database: Database,
) -> None:
    office = await make_office(database)
    commune = await make_commune(database, office, code="C01", name="An Bình")
    await approve(database, commune, await submit(database, commune, typed_answers()))
    compilation = await compile_for(database, office, today=TODAY)
    sheet = open_book(compiled_xlsx(compilation, FORM, made_at=NOW))[COMPLETENESS_SHEET]
    dated = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, datetime)]
    assert len(dated) == 4  # deadline, sent, approved, issued
    assert {c.number_format for c in dated} == {"dd/mm/yyyy"}


async def test_figures_and_narrative_sheets_keep_their_header_in_view(
    database: Database, province: Province
) -> None:
    compilation = await compile_for(database, province.office, today=TODAY)
    book = open_book(compiled_xlsx(compilation, FORM, made_at=NOW))
    assert book[FIGURES_SHEET].freeze_panes == "F6"  # header row 5, columns A-E
    assert cell(grid(book[NARRATIVE_SHEET]), 3, 1) == "TT"
    assert book[NARRATIVE_SHEET].freeze_panes == "C4"


async def test_the_completeness_sheet_keeps_its_header_in_view(database: Database) -> None:
    office = await make_office(database)
    await make_commune(database, office, code="C01", name="An Bình")
    compilation = await compile_for(database, office, today=TODAY)
    sheet = open_book(compiled_xlsx(compilation, FORM, made_at=NOW))[COMPLETENESS_SHEET]
    header = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "TT")
    assert sheet.freeze_panes == f"D{header + 1}"


async def test_completeness_dates_are_those_on_time_was_judged_by(database: Database) -> None:
    office = await make_office(database)
    commune = await make_commune(database, office, code="C01", name="An Bình")
    draft = await approve(database, commune, await submit(database, commune, typed_answers()))
    # 20:00 UTC on the deadline: still the 16th in UTC, already the 17th in Hà Nội.
    await set_moments(database, draft.id, delivered_at=utc(2026, 12, 16, 20))
    async with database.session() as session:
        compilation = await compile_period(
            session=session, office=office, period_code=PERIOD, today=TODAY, zone=ZoneInfo("UTC")
        )
    [row] = compilation.communes
    assert (row.reported_on, row.on_time) == (dec(16), True)
    book = compiled_xlsx(compilation, FORM, made_at=NOW, zone=ZoneInfo("UTC"))
    rows = grid(open_book(book)[COMPLETENESS_SHEET])
    delivered, verdict = rows[-1][8], rows[-1][9]
    assert verdict == "Đúng hạn"
    assert delivered.date() == dec(16), "the day shown is the day judged on time"


# ----- 4. narrative ---------------------------------------------------------------------------


async def test_the_narrative_sheet_holds_each_reporting_communes_texts_as_typed(
    database: Database, province: Province
) -> None:
    compilation = await compile_for(database, province.office, today=TODAY)
    rows = grid(open_book(compiled_xlsx(compilation, FORM, made_at=NOW))[NARRATIVE_SHEET])

    assert cell(rows, 1, 1) == "NỘI DUNG BÁO CÁO CỦA CÁC ĐƠN VỊ QUÝ IV NĂM 2026"
    assert rows[2][: 2 + len(NARRATIVE_QUESTIONS)] == ["TT", "Đơn vị"] + [
        q.short for q in NARRATIVE_QUESTIONS
    ]
    assert len(rows) == 3 + len(province.codes)
    for index, code in enumerate(province.codes):
        row = rows[3 + index][: 2 + len(NARRATIVE_QUESTIONS)]
        if province.fates[code] != "approved":
            assert row == [index + 1, province.label(code), "Chưa báo cáo", None, None, None, None]
            continue
        stored = province.answers[code]
        assert row == [index + 1, province.label(code)] + [
            stored.get(q.code) for q in NARRATIVE_QUESTIONS
        ], code
    texts = "\n".join(str(v) for row in rows for v in row if v is not None)
    assert TEMPLATE_CODE in texts and "49" not in texts  # template code is kept, not run
    assert FORMULA_NARRATIVE in texts


def formula_cells(data: bytes, sheet_name: str) -> list[str]:
    book = open_book(data)
    return [
        f"{c.coordinate}: {c.value}"
        for row in book[sheet_name].iter_rows()
        for c in row
        if c.data_type == "f"
    ]


async def test_narrative_starting_with_an_equals_sign_is_stored_as_text(
    database: Database, province: Province
) -> None:
    question = FORM.questions["strengths"]
    assert parse_answer(question, FORMULA_NARRATIVE) == FORMULA_NARRATIVE  # officers can type it
    compilation = await compile_for(database, province.office, today=TODAY)
    data = compiled_xlsx(compilation, FORM, made_at=NOW)
    assert formula_cells(data, NARRATIVE_SHEET) == []


async def test_short_text_starting_with_an_equals_sign_is_stored_as_text(
    database: Database, province: Province
) -> None:
    question = FORM.questions["other_forms_text"]
    assert parse_answer(question, FORMULA_SHORT_TEXT) == FORMULA_SHORT_TEXT
    compilation = await compile_for(database, province.office, today=TODAY)
    data = compiled_xlsx(compilation, FORM, made_at=NOW)
    assert formula_cells(data, FIGURES_SHEET) == []


# ----- 5. the office's desk: the three files --------------------------------------------------


async def test_build_zips_each_approved_report_as_it_was_approved(
    database: Database, province: Province
) -> None:
    desk = OfficeDesk(packaged_kind(), zone=ZONE)
    out = io.BytesIO()
    async with database.session() as session:
        files = await desk.build(session, province.office, "2026-Q4", now=NOW, zip_out=out)

    assert files.names == {
        "xlsx": "TH-CCHC_2026-Q4_SNV-HY.xlsx",
        "docx": "BC-TH-CCHC_2026-Q4_SNV-HY.docx",
        "zip": "BC-CCHC_2026-Q4_SNV-HY_cac-xa.zip",
    }
    assert files.reports_zipped == 6
    assert [c.code for c in files.compilation.communes] == province.codes
    folded = {
        "12151": "tan-quang",
        "12153": "pham-ngu-lao",
        "12155": "hien-nam",
        "12160": "lac-dao",
        "12164": "viet-hung",
        "12166": "nghia-tru",
    }
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        entries = {name: archive.read(name) for name in archive.namelist()}
        assert len(archive.namelist()) == len(entries)  # no name twice
    assert set(entries) == {f"BC-CCHC_2026-Q4_{c}_{n}_so01.docx" for c, n in folded.items()}
    for code, name in folded.items():
        approved = province.drafts[code]
        assert entries[f"BC-CCHC_2026-Q4_{code}_{name}_so01.docx"] == approved.docx
        [stored] = [d for d in await drafts_of(database, approved.round_id) if d.id == approved.id]
        assert approved.docx == stored.docx and stored.number == "01/BC-UBND"
    template_report = docx_text(entries["BC-CCHC_2026-Q4_12153_pham-ngu-lao_so01.docx"])
    assert "Số: 01/BC-UBND" in template_report and TEMPLATE_CODE in template_report

    # The spreadsheet and the summary built with it say the same as compiled directly.
    book = open_book(files.xlsx)
    assert book.sheetnames == [FIGURES_SHEET, COMPLETENESS_SHEET, NARRATIVE_SHEET]
    assert (
        grid(book[FIGURES_SHEET])[5:]
        == grid(open_book(compiled_xlsx(files.compilation, FORM, made_at=NOW))[FIGURES_SHEET])[5:]
    )
    summary = docx_text(files.docx)
    expected = office_summary(files.compilation, FORM, parent=province.parent, today=TODAY)
    for paragraph in expected.body:
        assert paragraph.text in summary
    assert "Các đơn vị chưa báo cáo: xã Đông Hòa, xã Minh Đức." in summary
    assert "SỞ NỘI VỤ" in summary and "UBND TỈNH HƯNG YÊN" in summary
    assert "Vĩnh Khúc" not in summary


async def test_an_office_without_communes_gets_empty_but_valid_files(database: Database) -> None:
    office = await make_office(database)
    elsewhere = await make_office(database, code="SNV-HN", name="Sở Nội vụ thành phố Hà Nội")
    other = await make_commune(database, elsewhere, code="12157", name="Vĩnh Khúc")
    await approve(database, other, await submit(database, other, typed_answers()))

    desk = OfficeDesk(packaged_kind(), zone=ZONE)
    out = io.BytesIO()
    async with database.session() as session:
        files = await desk.build(session, office, PERIOD, now=NOW, zip_out=out)

    assert files.compilation.expected == 0 and files.reports_zipped == 0
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.namelist() == []
    rows = grid(open_book(files.xlsx)[FIGURES_SHEET])
    assert cell(rows, FIRST_ROW, 3) == "Tổng cộng (0 đơn vị đã báo cáo)"
    assert all(blank(v) or v == "0/0 có" or v == 0 for v in rows[FIRST_ROW - 1][FIRST_FIGURE - 1 :])
    summary = office_summary(files.compilation, FORM, parent=None, today=TODAY)
    assert bullets(summary) == {}
    assert "phải báo cáo" in body_text(summary) and ": 0 đơn vị; đã báo cáo: 0 đơn vị" in (
        body_text(summary)
    )
    assert "Các đơn vị chưa báo cáo" not in body_text(summary)
    assert "Vĩnh Khúc" not in docx_text(files.docx) + every_cell_text(open_book(files.xlsx))


async def test_a_period_never_opened_lists_every_commune_as_not_reported(
    database: Database,
) -> None:
    office = await make_office(database)
    for code, name in (("12153", "Phạm Ngũ Lão"), ("12151", "Tân Quang")):
        commune = await make_commune(database, office, code=code, name=name)
        await approve(database, commune, await submit(database, commune, typed_answers()))

    compilation = await compile_for(database, office, today=date(2027, 3, 20), period="2027-Q1")
    book = open_book(compiled_xlsx(compilation, FORM, made_at=NOW))
    figures = grid(book[FIGURES_SHEET])
    progress = grid(book[COMPLETENESS_SHEET])
    summary = body_text(office_summary(compilation, FORM, parent=None, today=date(2027, 3, 20)))

    assert cell(figures, 1, 1).endswith("QUÝ I NĂM 2027")
    assert [figures[FIRST_ROW - 1 + i][1:4] for i in range(2)] == [
        ["12151", "xã Tân Quang", "Chưa báo cáo"],
        ["12153", "xã Phạm Ngũ Lão", "Chưa báo cáo"],
    ]
    assert cell(figures, FIRST_ROW + 2, 3) == "Tổng cộng (0 đơn vị đã báo cáo)"
    assert [progress[r][3] for r in range(len(progress) - 2, len(progress))] == [
        "Chưa mở kỳ báo cáo",
        "Chưa mở kỳ báo cáo",
    ]
    assert [progress[r][9] for r in range(len(progress) - 2, len(progress))] == [
        "Quá hạn, chưa báo cáo",
        "Quá hạn, chưa báo cáo",
    ]
    assert ": 2 đơn vị; đã báo cáo: 0 đơn vị (đúng hạn 0, muộn 0); chưa báo cáo: 2 đơn vị" in (
        summary
    )
    assert "Hạn gửi báo cáo: ngày 16/03/2027." in summary
    assert "Các đơn vị chưa báo cáo: xã Tân Quang, xã Phạm Ngũ Lão." in summary


# ----- totals(), names and the .zip, without a database ----------------------------------------


def commune_report(code: str, answers: dict[str, Any] | None, **fields: Any) -> CommuneReport:
    return CommuneReport(
        unit_id=int(code),
        code=code,
        name=f"Xã {code}",
        kind=UnitKind.COMMUNE,
        status=RoundStatus.APPROVED if answers is not None else RoundStatus.SUBMITTED,
        first_submitted_at=None,
        approved_at=None,
        number=fields.pop("number", "03/BC-UBND" if answers is not None else None),
        issued_on=None,
        delivered_at=None,
        draft_id=int(code) if answers is not None else None,
        answers=answers or {},
        **fields,
    )


def test_totals_count_only_approved_versions_and_given_values() -> None:
    communes = [
        commune_report(
            "1",
            {
                "radio_programs": 6,
                "radio_minutes": 90,
                "radio_per_day": 2,
                "tthc_posted_percent": 100,
                "radio_relay": True,
                "radio_station": "active",
                "leaflets": 1000,
            },
        ),
        commune_report(
            "2",
            {
                "radio_programs": 0,
                "radio_minutes": 45,
                "radio_per_day": None,
                "tthc_posted_percent": 87.5,
                "radio_relay": False,
                "radio_station": "active",
                "leaflets": None,
            },
        ),
        commune_report(
            "3",
            {"radio_programs": 5, "tthc_posted_percent": 90, "radio_station": "none"},
        ),
        # with the chairman: its figures (if any leaked in) must not count
        commune_report("4", None),
    ]
    found = {t.question.code: t for t in totals(FORM, communes)}

    assert set(found) == {
        q.code
        for q in FIGURE_QUESTIONS
        if q.type
        not in (QuestionType.SHORT_TEXT, QuestionType.DOCUMENT_REF, QuestionType.DOCUMENT_REFS)
    }
    assert (found["radio_programs"].value, found["radio_programs"].reporting) == (11, 3)
    assert (found["radio_minutes"].value, found["radio_minutes"].reporting) == (135, 2)
    assert (found["leaflets"].value, found["leaflets"].reporting) == (1000, 1)
    percent = found["tthc_posted_percent"]
    assert (percent.value, percent.reporting, percent.is_mean) == (92.5, 3, True)
    per_day = found["radio_per_day"]
    assert (per_day.value, per_day.reporting, per_day.is_mean) == (2, 1, True)
    relay = found["radio_relay"]
    assert (relay.yes, relay.reporting) == (1, 2)
    assert found["radio_station"].choices == (("Đang hoạt động", 2), ("Không có đài", 1))
    assert (found["banners"].value, found["banners"].reporting) == (0, 0)


def test_file_names_are_ascii_and_sort_by_period_and_commune() -> None:
    office = Unit(id=7, code="SNV-HY", name="Sở Nội vụ tỉnh Hưng Yên", kind=UnitKind.OFFICE)
    compilation = Compilation(
        office=office,
        period_code="2026-H1",
        period_kind="half_year",
        year=2026,
        number=1,
        deadline_on=date(2026, 6, 16),
        today=date(2026, 6, 20),
        communes=(),
    )
    assert compiled_names(compilation) == {
        "xlsx": "TH-CCHC_2026-H1_SNV-HY.xlsx",
        "docx": "BC-TH-CCHC_2026-H1_SNV-HY.docx",
        "zip": "BC-CCHC_2026-H1_SNV-HY_cac-xa.zip",
    }
    assert (
        report_filename(
            period_code="2026-Q4", unit_code="12151", unit_name="Tân Quang", tail="so01"
        )
        == "BC-CCHC_2026-Q4_12151_tan-quang_so01.docx"
    )
    name = report_filename(
        period_code="2026-Q4", unit_code="12158", unit_name="Đông  Hòa", tail="v2", fmt="pdf"
    )
    assert name == "BC-CCHC_2026-Q4_12158_dong-hoa_v2.pdf" and name.isascii()

    reported = commune_report("12151", {"radio_programs": 1}, number="12/BC-UBND")
    unnumbered = commune_report("12153", {"radio_programs": 1}, number=None)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        add_to_zip(archive, compilation, reported, b"docx bytes", b"%PDF bytes")
        add_to_zip(archive, compilation, unnumbered, b"other docx", None)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert {i.filename: archive.read(i) for i in archive.infolist()} == {
            "BC-CCHC_2026-H1_12151_xa-12151_so12.docx": b"docx bytes",
            "BC-CCHC_2026-H1_12151_xa-12151_so12.pdf": b"%PDF bytes",
            "BC-CCHC_2026-H1_12153_xa-12153_duyet.docx": b"other docx",
        }
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}


async def test_the_summary_heading_names_the_office_under_its_province(
    database: Database, province: Province
) -> None:
    compilation = await compile_for(database, province.office, today=TODAY)
    summary = office_summary(compilation, FORM, parent=province.parent, today=TODAY)
    assert summary.issuing_body == ("UBND TỈNH HƯNG YÊN", "SỞ NỘI VỤ")
    assert summary.number_line == "Số:      /BC-SNV"
    assert summary.place_date_line == "Hưng Yên, ngày      tháng 12 năm 2026"
    assert summary.summary == (
        "Tổng hợp kết quả công tác tuyên truyền cải cách hành chính quý IV năm 2026 "
        "của các đơn vị cấp xã"
    )
    assert summary.recipients == ("- UBND tỉnh Hưng Yên (để báo cáo);", "- Lưu: VT.")
    assert summary.authority == ("GIÁM ĐỐC",) and summary.signer_name == ""
    february = office_summary(compilation, FORM, parent=province.parent, today=date(2027, 2, 3))
    assert february.place_date_line == "Hưng Yên, ngày      tháng 02 năm 2027"


# ----- text from the database, whatever it holds ---------------------------------------------

# Excel reads these as a formula or an error code when typed; a report's text keeps them.
FORMULA_LIKE = ("#N/A", "=1+1", "+84 912 000 001", "-", "@thon1", "#DIV/0!")


def hostile_compilation(name: str, number: str, answers: dict[str, Any]) -> Compilation:
    office = Unit(id=9, code="SNV", name="Sở Nội vụ\x0b tỉnh Mẫu Sơn", kind=UnitKind.OFFICE)
    commune = CommuneReport(**{**commune_report("1", answers).__dict__, "name": name})
    commune = CommuneReport(**{**commune.__dict__, "number": number})
    return Compilation(
        office=office,
        period_code=PERIOD,
        period_kind="quarter",
        year=2026,
        number=4,
        deadline_on=dec(16),
        today=TODAY,
        communes=[commune],
    )


def text_cells(data: bytes) -> dict[str, list[tuple[Any, str]]]:
    """Every non-empty cell's value and data type, by sheet."""
    book = open_book(data)
    return {
        sheet.title: [(c.value, c.data_type) for row in sheet.iter_rows() for c in row if c.value]
        for sheet in book.worksheets
    }


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_text_that_looks_like_a_formula_or_an_error_reads_as_typed(text: str) -> None:
    narrative = NARRATIVE_QUESTIONS[0].code
    short = next(q.code for q in FIGURE_QUESTIONS if q.type is QuestionType.SHORT_TEXT)
    compilation = hostile_compilation(f"Tân Quang {text}", text, {narrative: text, short: text})
    cells = text_cells(compiled_xlsx(compilation, FORM, made_at=NOW))
    figures, narratives = cells[FIGURES_SHEET], cells[NARRATIVE_SHEET]
    assert (text, "s") in figures  # the report's number
    assert (text, "s") in narratives
    assert any(value == text and kind == "s" for value, kind in figures[5:])  # the short text
    every = [kind for sheet in cells.values() for _, kind in sheet]
    assert "f" not in every and "e" not in every


def test_control_characters_already_stored_are_dropped_not_fatal() -> None:
    narrative = NARRATIVE_QUESTIONS[0].code
    compilation = hostile_compilation(
        "Tân\x00 Quang\x1f", "05\x08/BC-UBND", {narrative: "Ưu điểm\x0c: tốt\ufffe"}
    )
    cells = text_cells(compiled_xlsx(compilation, FORM, made_at=NOW))
    texts = [str(value) for sheet in cells.values() for value, _ in sheet]
    assert "xã Tân Quang" in texts
    assert "05/BC-UBND" in texts
    assert "Ưu điểm: tốt" in texts
    assert any("Sở Nội vụ tỉnh Mẫu Sơn" in text for text in texts)


# ----- printing --------------------------------------------------------------------------------


async def test_every_sheet_prints_landscape_one_page_wide_with_its_header_on_each_page(
    database: Database, province: Province
) -> None:
    """An office prints the table: each sheet on A4 landscape, scaled to one page wide (as many
    pages down as it takes), the header rows repeated on every page, margins a printer keeps."""
    compilation = await compile_for(database, province.office, today=TODAY)
    book = open_book(compiled_xlsx(compilation, FORM, made_at=NOW))
    header_rows = {}
    for sheet in book.worksheets:
        header = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "TT")
        header_rows[sheet.title] = sheet.print_title_rows
        setup = sheet.page_setup
        assert setup.orientation == "landscape", sheet.title
        assert str(setup.paperSize) == sheet.PAPERSIZE_A4, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True, sheet.title
        assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0), sheet.title
        first = 4 if sheet.title == FIGURES_SHEET else header  # the section names row too
        assert sheet.print_title_rows == f"${first}:${header}", sheet.title
        margins = sheet.page_margins
        for side in (margins.left, margins.right, margins.top, margins.bottom):
            assert 0.25 <= side <= 1.0, (sheet.title, side)  # inches
        assert "&P" in sheet.oddFooter.center.text, sheet.title  # page numbers
    assert header_rows == {
        FIGURES_SHEET: "$4:$5",
        COMPLETENESS_SHEET: "$12:$12",
        NARRATIVE_SHEET: "$3:$3",
    }


# ----- section III: drafted from the figures ---------------------------------------------------


def period_of(code: str, number: int, communes: list[CommuneReport]) -> Compilation:
    office = Unit(id=7, code="SNV-HY", name="Sở Nội vụ tỉnh Hưng Yên", kind=UnitKind.OFFICE)
    return Compilation(
        office=office,
        period_code=code,
        period_kind="quarter",
        year=2026,
        number=number,
        deadline_on=date(2026, 3 * number, 16),
        today=date(2026, 12, 20),
        communes=communes,
    )


def section_three(document: ReportDocument) -> list[str]:
    texts = [paragraph.text for paragraph in document.body]
    start = texts.index("III. NHẬN XÉT, ĐÁNH GIÁ")
    end = next(i for i, text in enumerate(texts) if text.startswith("Trên đây là"))
    return texts[start + 1 : end]


NOTHING_DONE = {q.code: 0 for q in FIGURE_QUESTIONS if q.type is QuestionType.COUNT}


def test_section_three_names_the_forms_most_and_least_used_and_the_largest_changes() -> None:
    """Three communes reported this quarter, two of them last quarter as well: the most used
    form is the one all three did, the least those none did; the changes are computed over
    the two that gave a figure both times (Như Quỳnh's 5 posts have nothing to compare with,
    Lạc Đạo's 100 posts last quarter were not reported this one), largest first."""
    done = {**NOTHING_DONE, "radio_station": "active"}
    current = period_of(
        "2026-Q4",
        4,
        [
            commune_report(
                "1",
                {**done, "web_posts": 35, "banners": 2, "leaflets": 1000, "radio_minutes": 90},
            ),
            commune_report("2", {**done, "web_posts": 10, "banners": DONE_UNCOUNTED}),
            commune_report("3", {**done, "web_posts": 5}),
            commune_report("4", None),
        ],
    )
    previous = period_of(
        "2026-Q3",
        3,
        [
            commune_report(
                "1",
                {**done, "web_posts": 20, "banners": 2, "leaflets": 1500, "radio_minutes": 60},
            ),
            commune_report("2", {**done, "web_posts": 10, "banners": 4}),
            commune_report("3", None),
            commune_report("4", {**done, "web_posts": 100}),
        ],
    )
    summary = office_summary(current, FORM, parent=None, today=TODAY, previous=previous)
    usage, least, compared, *changed, pointer = section_three(summary)
    assert usage == (
        "Hình thức tuyên truyền được nhiều đơn vị thực hiện nhất (3/3 đơn vị đã báo cáo): "
        "tuyên truyền trên trang thông tin điện tử, mạng xã hội "
        "(tin, bài CCHC trên trang thông tin điện tử)."
    )
    assert least.startswith(
        "Hình thức chưa có đơn vị nào thực hiện: tuyên truyền qua hệ thống truyền thanh "
        "(chuyên mục CCHC đã xây dựng; tin, bài về CCHC); "
    )
    assert "băng rôn" not in least and "tờ rơi" not in least  # 2 and 1 communes did them
    assert compared == (
        "So với quý III năm 2026, tính trên các đơn vị có số liệu ở cả hai kỳ, các số liệu "
        "thay đổi nhiều nhất:"
    )
    assert changed == [
        "- Tổng thời lượng phát sóng (tuyên truyền qua hệ thống truyền thanh): tăng 50% "
        "(từ 60 phút lên 90 phút).",
        "- Tin, bài CCHC trên trang thông tin điện tử (tuyên truyền trên trang thông tin điện "
        "tử, mạng xã hội): tăng 50% (từ 30 tin, bài lên 45 tin, bài).",
        "- Tờ rơi (tuyên truyền trực quan): giảm 33,3% (từ 1.500 tờ xuống 1.000 tờ).",
    ]
    # Băng rôn: Tân Quang's 2 both times, and Như Quỳnh gave no figure this quarter: no change.
    assert pointer.startswith("Ưu điểm, tồn tại, hạn chế")


def test_section_three_says_nothing_of_change_without_a_previous_period_or_reports() -> None:
    current = period_of("2026-Q4", 4, [commune_report("1", {**NOTHING_DONE, "web_posts": 3})])
    alone = section_three(office_summary(current, FORM, parent=None, today=TODAY))
    assert not any("So với" in text or "tăng" in text or "giảm" in text for text in alone)
    assert alone[0].startswith("Hình thức tuyên truyền được nhiều đơn vị thực hiện nhất (1/1")
    # Last quarter's round was opened but nobody reported: nothing to compare with either.
    empty_before = period_of("2026-Q3", 3, [commune_report("1", None)])
    compared = section_three(
        office_summary(current, FORM, parent=None, today=TODAY, previous=empty_before)
    )
    assert compared == alone
    nobody = period_of("2026-Q4", 4, [commune_report("1", None)])
    assert section_three(office_summary(nobody, FORM, parent=None, today=TODAY)) == [
        "Chưa có đơn vị nào báo cáo nên chưa có số liệu để nhận xét, đánh giá."
    ]


async def test_the_summary_compares_with_the_previous_quarter_once_it_was_opened(
    database: Database,
) -> None:
    """The desk compares the quarter with the one before only when that one was opened and
    approved: before Q3 is opened nothing is said of change."""
    office = await make_office(database)
    commune = await make_commune(database, office, code="C01", name="An Bình")
    await approve(database, commune, await submit(database, commune, typed_answers(web_posts="30")))
    desk = OfficeDesk(packaged_kind(), zone=ZONE)

    async def summary() -> str:
        async with database.session() as session:
            compilation = await desk.gather(session, office, PERIOD, NOW)
            return docx_text(await desk.summary_docx(session, compilation, NOW))

    assert "So với" not in await summary()
    q3 = await open_for(database, commune, "2026-Q3")
    draft = await submit(database, commune, typed_answers(web_posts="20"), round_id=q3)
    async with database.session() as session:  # its number is 02: not the helper's approve
        await WORKFLOW.press(session, person=commune.chairman, draft_id=draft.id, action="ok")
    assert (
        "Tin, bài CCHC trên trang thông tin điện tử (tuyên truyền trên trang thông tin điện tử, "
        "mạng xã hội): tăng 50% (từ 20 tin, bài lên 30 tin, bài)." in await summary()
    )
