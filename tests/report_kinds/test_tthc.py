"""The second report kind, report_kinds/tthc: its bundle loads, its sample renders to a truthful
Decree 30 draft, and its sum rules refuse figures that cannot all be true."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.section import WD_ORIENT

from definitions.calendar import load_calendar
from definitions.forms import FormError, Rule, load_form, parse_form
from report_templates.compiled import totals
from report_templates.compose import ReportInput, TemplateError, compose, load_templates
from report_templates.docx_writer import write_docx
from report_templates.draft import (
    DraftInputError,
    KindBundle,
    load_bundle,
    read_answers_file,
    render_draft,
)
from report_templates.pdf import PdfConverter
from storage.compilation import CommuneReport
from storage.models import RoundStatus, UnitKind
from tests.report_templates.test_pdf import page_of, pages

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "report_kinds" / "tthc"
SAMPLE = BUNDLE / "sample_answers.yaml"

BALANCE = "Tổng số hồ sơ đã giải quyết, đang giải quyết và trả lại, rút không thể nhiều hơn"
APOLOGIES = "Số văn bản xin lỗi không thể nhiều hơn số hồ sơ quá hạn"
FULL_ONLINE = "Số hồ sơ trực tuyến toàn trình không thể nhiều hơn"
FEEDBACK = "Số phản ánh, kiến nghị đã xử lý không thể nhiều hơn"

# Every figure of the sample as the report prints it (dots between thousands, a leading zero
# under ten), and the totals and rates the report works out from them.
SAMPLE_FIGURES = (
    "02 văn bản",
    "09 công chức, viên chức",
    "3.450 lượt",
    "từ kỳ trước chuyển sang 86 hồ sơ",
    "trực tuyến 1.245 hồ sơ",
    "toàn trình 412 hồ sơ",
    "trực tiếp 638 hồ sơ",
    "bưu chính công ích 17 hồ sơ",
    "trước hạn 1.402 hồ sơ",
    "đúng hạn 389 hồ sơ",
    "quá hạn 06 hồ sơ",
    "trong hạn 171 hồ sơ",
    "quá hạn 02 hồ sơ",
    "xin rút hoặc dừng giải quyết: 16 hồ sơ",
    "08 văn bản xin lỗi",
    "289 thủ tục",
    "100% thủ tục hành chính",
    "92,5%",
    "86,4%",
    "tiếp nhận 03 phản ánh, kiến nghị",
    "đã xử lý xong 03 phản ánh, kiến nghị",
)
SAMPLE_TOTALS = (
    "Tổng số hồ sơ tiếp nhận: 1.986 hồ sơ",
    "mới tiếp nhận trong kỳ 1.900 hồ sơ",
    "Số hồ sơ đã giải quyết: 1.797 hồ sơ",
    "Số hồ sơ đang giải quyết: 173 hồ sơ",
)
SAMPLE_RATES = (
    "trước hạn và đúng hạn đạt 99,67%",  # (1 402 + 389) / 1 797
    "tiếp nhận trực tuyến đạt 65,53%",  # 1 245 / 1 900
    "(đạt 100%)",  # 3 of 3 handled
)
FIGURES = (
    "carried_over",
    "new_online",
    "new_direct",
    "new_post",
    "settled_early",
    "settled_on_time",
    "settled_late",
    "in_progress_in_time",
    "in_progress_overdue",
    "returned_withdrawn",
    "apologies",
)
SIGNATURE = ("Nơi nhận:", "- Văn phòng UBND tỉnh;", "- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")


@pytest.fixture(scope="module")
def bundle() -> KindBundle:
    return load_bundle(BUNDLE)


@pytest.fixture(scope="module")
def sample(bundle: KindBundle) -> ReportInput:
    return read_answers_file(SAMPLE, bundle.form, calendar=bundle.calendar)


def docx_text(path: Path) -> str:
    """Every paragraph of the .docx, tables' cells included (the header and the closing are
    tables), one a line, whitespace collapsed."""
    document = docx.Document(str(path))
    lines: list[str] = []

    def walk(container: Any) -> None:
        for paragraph in container.paragraphs:
            lines.append(" ".join(paragraph.text.split()))
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    walk(cell)

    walk(document)
    for section in document.sections:
        walk(section.header)
    return "\n".join(line for line in lines if line)


def rendered_text(bundle: KindBundle, report: ReportInput, folder: Path) -> str:
    """The report's words without its annex, whose table repeats the figures (tested apart)."""
    report = dataclasses.replace(report, with_annex=False)
    files = render_draft(
        report, folder, stem="tthc", templates=bundle.templates, layout=bundle.layout, pdf=False
    )
    return docx_text(files.docx)


def without(report: ReportInput, *codes: str, **values: Any) -> ReportInput:
    answers = {k: v for k, v in report.answers.items() if k not in codes}
    return dataclasses.replace(report, answers={**answers, **values})


# ----- the bundle --------------------------------------------------------------------------


def test_the_bundle_names_its_kind_and_its_files(bundle: KindBundle) -> None:
    assert (bundle.code, bundle.short_name, bundle.symbol) == ("tthc", "TTHC", "BC-UBND")
    assert bundle.file_prefix == "BC-TTHC"
    assert bundle.name == "tình hình, kết quả giải quyết thủ tục hành chính"
    assert bundle.receiver == "Văn phòng UBND tỉnh"
    assert bundle.templates.template_path == BUNDLE / "template.j2"
    assert bundle.templates.answer_codes == tuple(bundle.form.questions)
    assert bundle.templates.include_annex
    table = bundle.templates.annex_table
    assert table is not None and table.landscape and not bundle.templates.annex
    annexed = {code for column in table.leaves() for code in column.parts}
    assert annexed == set(FIGURES) - {"returned_withdrawn", "apologies"}


def test_the_form_and_calendar_load_on_their_own() -> None:
    form = load_form(BUNDLE / "form.yaml")
    assert form.form == "tthc_one_stop"
    assert set(FIGURES) <= set(form.questions)
    for code in FIGURES:  # zero is an answer, never a gap
        assert form.questions[code].required, code
    narrative = {"strengths", "limitations", "causes", "directions", "proposals"}
    assert {q.code for q in form.questions.values() if q.is_narrative} >= narrative
    assert all(section.answered_by == ("officer",) for section in form.sections)
    calendar = load_calendar(BUNDLE / "calendar.yaml")
    assert calendar.period_kinds == ("quarter", "half_year", "year")
    assert calendar.period("2026-Q1").closes_on.isoformat() == "2026-03-14"
    assert calendar.period("2026-H1").closes_on.isoformat() == "2026-06-14"
    assert calendar.period("2026-Y").closes_on.isoformat() == "2026-12-14"


def test_the_sample_keeps_every_rule(bundle: KindBundle, sample: ReportInput) -> None:
    for code, value in sample.answers.items():
        assert bundle.form.problem_with(code, value, sample.answers) is None, code


# ----- the draft -----------------------------------------------------------------------------


def test_the_sample_renders_a_decree_30_report(
    bundle: KindBundle, sample: ReportInput, tmp_path: Path
) -> None:
    text = rendered_text(bundle, sample, tmp_path)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN",
        "XÃ PHÚ THỊNH",
        "Số: 27/BC-UBND",
        "Phú Thịnh, ngày 16 tháng 3 năm 2026",
        "BÁO CÁO",
        "Tình hình, kết quả giải quyết thủ tục hành chính quý I năm 2026",
        "Kế hoạch số 18/KH-UBND ngày 06/01/2026 của UBND tỉnh",
        "Trung tâm Phục vụ hành chính công xã",
        "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ QUÝ II NĂM 2026",
        "Lê Văn Hùng",
        *SAMPLE_FIGURES,
        *SAMPLE_TOTALS,
        *SAMPLE_RATES,
        *SIGNATURE,
    ):
        assert expected in text, expected
    assert "tuyên truyền cải cách hành chính" not in text  # nothing of CCHC's wording


def test_a_figure_left_out_is_not_stated_nor_anything_added_from_it(
    bundle: KindBundle, sample: ReportInput, tmp_path: Path
) -> None:
    text = rendered_text(bundle, without(sample, "new_post", "settled_late"), tmp_path)
    for gone in (
        "bưu chính",
        "1.986",  # received: needs the post figure
        "1.900",
        "65,53%",  # the online rate: over the new dossiers, post included
        "1.797",  # settled: needs the late figure
        "99,67%",
        "quá hạn 06",
        "không có hồ sơ quá hạn",  # not given is not zero
    ):
        assert gone not in text, gone
    for kept in (
        "trực tuyến 1.245 hồ sơ",
        "trước hạn 1.402 hồ sơ",
        "quá hạn 02 hồ sơ",
        "173 hồ sơ",
    ):
        assert kept in text, kept


def test_zeros_are_said_where_reports_say_them(
    bundle: KindBundle, sample: ReportInput, tmp_path: Path
) -> None:
    report = without(
        sample,
        "feedback_handled",
        "late_reasons",
        settled_on_time=395,
        settled_late=0,
        in_progress_overdue=0,
        apologies=0,
        new_post=0,
        new_direct=655,  # the 17 by post came to the desk instead
        feedback_received=0,
    )
    for code, value in report.answers.items():
        assert bundle.form.problem_with(code, value, report.answers) is None, code
    text = rendered_text(bundle, report, tmp_path)
    assert text.count("không có hồ sơ quá hạn") == 2  # settled and in progress
    assert "100%." in text  # (1 402 + 395) / 1 797 early or on time
    assert "không nhận được phản ánh, kiến nghị nào" in text
    for gone in ("xin lỗi", "bưu chính", "Nguyên nhân hồ sơ quá hạn"):
        assert gone not in text, gone
    assert re.search(r"(?<![\d.])00(?![\d.])", text) is None  # a zero never reads "00"


def test_an_empty_round_says_only_the_frame(bundle: KindBundle, sample: ReportInput) -> None:
    document = compose(dataclasses.replace(sample, answers={}), templates=bundle.templates)
    assert [p.text for p in document.body] == [
        "Thực hiện chế độ báo cáo định kỳ về kiểm soát thủ tục hành chính, Ủy ban nhân dân xã "
        "báo cáo tình hình, kết quả giải quyết thủ tục hành chính quý I năm 2026 như sau:",
        "Trên đây là báo cáo tình hình, kết quả giải quyết thủ tục hành chính quý I năm 2026 "
        "của Ủy ban nhân dân xã Phú Thịnh./.",
    ]


def test_a_quarter_before_the_new_circular_names_the_old_apology_slip(
    bundle: KindBundle, sample: ReportInput
) -> None:
    old = dataclasses.replace(sample, period_year=2025, period_number=3, issued_on=None)
    text = "\n".join(p.text for p in compose(old, templates=bundle.templates).body)
    assert "08 phiếu xin lỗi và hẹn lại ngày trả kết quả" in text


# ----- the annex: the national table -----------------------------------------------------------

# The header of Biểu II.06a (TT 01/2020/TT-VPCP) as the draft draws it, row by row, a merged
# cell repeated over the columns it spans; then the row numbering the columns.
_GROUPS = ("Số hồ sơ nhận giải quyết", "Số hồ sơ đã giải quyết", "Số hồ sơ đang giải quyết")
_SETTLED = ("Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn")
_IN_PROGRESS = ("Tổng số", "Trong hạn", "Quá hạn")
ANNEX_HEADER = [
    [
        "STT",
        "Lĩnh vực, công việc giải quyết",
        *[_GROUPS[0]] * 4,
        *[_GROUPS[1]] * 4,
        *[_GROUPS[2]] * 3,
    ],
    [
        "STT",
        "Lĩnh vực, công việc giải quyết",
        "Tổng số",
        *["Trong đó"] * 3,
        *_SETTLED,
        *_IN_PROGRESS,
    ],
    [
        "STT",
        "Lĩnh vực, công việc giải quyết",
        "Tổng số",
        "Mới tiếp nhận trực tuyến",
        "Mới tiếp nhận trực tiếp, qua dịch vụ bưu chính",
        "Từ kỳ trước chuyển qua",
        *_SETTLED,
        *_IN_PROGRESS,
    ],
    [f"({number})" for number in range(1, 14)],
]
# The sample's figures in the columns (3) to (13): received 86 + 1 245 + 638 + 17; of them
# online, in person or by post (638 + 17), carried over; settled 1 402 + 389 + 6 and its parts;
# in progress 171 + 2 and its parts.
SAMPLE_ROW = ["1.986", "1.245", "655", "86", "1.797", "1.402", "389", "6", "173", "171", "2"]


def annex_grid(bundle: KindBundle, report: ReportInput, folder: Path) -> tuple[Any, list[Any]]:
    path = write_docx(compose(report, templates=bundle.templates), folder / "t.docx")
    document = docx.Document(str(path))
    table = document.tables[-1]
    return document, [[cell.text for cell in row.cells] for row in table.rows]


def test_the_draft_attaches_the_national_table_on_a_sideways_page(
    bundle: KindBundle, sample: ReportInput, tmp_path: Path
) -> None:
    document, grid = annex_grid(bundle, sample, tmp_path)
    assert len(document.tables) == 3  # the heading, the closing, the annex
    assert [section.orientation for section in document.sections] == [
        WD_ORIENT.PORTRAIT,
        WD_ORIENT.LANDSCAPE,
    ]
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert "Tình hình, kết quả giải quyết thủ tục hành chính quý I năm 2026" in texts
    assert "(Kèm theo Báo cáo số 27/BC-UBND ngày 16/03/2026 của UBND xã Phú Thịnh)" in texts
    assert "Đơn vị tính: Số hồ sơ thủ tục hành chính." in texts
    assert grid[:4] == ANNEX_HEADER
    assert grid[4] == ["1", "UBND xã Phú Thịnh (tất cả các lĩnh vực)", *SAMPLE_ROW]
    assert len(grid) == 5


def test_a_total_is_blank_unless_every_part_was_answered(
    bundle: KindBundle, sample: ReportInput, tmp_path: Path
) -> None:
    _, grid = annex_grid(bundle, without(sample, "new_post", "in_progress_overdue"), tmp_path)
    received, online, direct_or_post, carried = grid[4][2:6]
    assert (received, online, direct_or_post, carried) == ("", "1.245", "", "86")
    assert grid[4][6:10] == ["1.797", "1.402", "389", "6"]
    assert grid[4][10:] == ["", "171", ""]


def test_no_table_is_attached_without_a_figure(bundle: KindBundle, sample: ReportInput) -> None:
    narrative_only = {"strengths": "- Tốt", "late_reasons": "- Lỗi mạng"}
    document = compose(
        dataclasses.replace(sample, answers=narrative_only), templates=bundle.templates
    )
    assert document.annex_table is None and document.annex == ()
    assert compose(sample, templates=bundle.templates).annex_table is not None
    unattached = dataclasses.replace(sample, with_annex=False)
    assert compose(unattached, templates=bundle.templates).annex_table is None


@pytest.mark.parametrize(
    ("old", "new", "where", "problem"),
    [
        (
            "answer: new_online}",
            "answer: new_onlin}",
            "table.columns.2.columns.1.columns.0.answer",
            "'new_onlin' is not a question code of the form",
        ),
        (
            "sum: [new_direct, new_post]",
            "sum: [new_direct, tthc_posted]",
            "table.columns.2.columns.1.columns.1.sum.1",
            "'tthc_posted' is a percent question, which does not add up",
        ),
        (
            "answer: settled_late}",
            "answer: late_reasons}",
            "table.columns.3.columns.3.answer",
            "'late_reasons' is a long_text question: a table cell holds a figure",
        ),
        (
            "sum: [in_progress_in_time, in_progress_overdue]",
            "sum: [in_progress_in_time]",
            "table.columns.4.columns.0.sum",
            "sum adds two or more answers",
        ),
        (
            "hành chính {period}",
            "hành chính {quarter}",
            "title",
            "{quarter} is not something the annex fills",
        ),
        (
            "  orientation: landscape\n",
            "  orientation: sideways\n",
            "table.orientation",
            "orientation must be portrait or landscape",
        ),
        (
            '- {header: STT, text: "1"}',
            '- {header: STT, text: "1", answer: staff}',
            "table.columns.0",
            "give one of columns",
        ),
    ],
)
def test_a_broken_annex_file_is_named_by_file_line_and_key(
    tmp_path: Path, old: str, new: str, where: str, problem: str
) -> None:
    folder = tmp_path / "tthc"
    shutil.copytree(BUNDLE, folder)
    annex = folder / "annex.yaml"
    text = annex.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    annex.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TemplateError) as raised:
        load_bundle(folder)
    assert str(raised.value).startswith(f"{annex}:{line}: {where}: {problem}"), raised.value


# ----- six-month and annual reports -------------------------------------------------------------


def test_a_half_year_asks_only_the_narrative(bundle: KindBundle) -> None:
    asked = {q.code for s in bundle.form.asked_in("half_year") for q in s.questions}
    assert asked == {"late_reasons", "strengths", "limitations", "causes", "directions"} | {
        "proposals"
    }
    assert bundle.form.asked_in("year") == bundle.form.asked_in("half_year")


def second_quarter(sample: ReportInput) -> dict[str, Any]:
    """Q2 opens with what Q1 left in progress (171 + 2) and keeps the same balance:
    173 + 1 300 + 700 + 20 = 2 193 received = 2 050 settled + 130 in progress + 13 returned.
    The half year: 86 + 2 545 + 1 338 + 37 = 4 006 = 3 847 + 130 + 29."""
    return {
        **sample.answers,
        "carried_over": 173,
        "new_online": 1300,
        "new_online_full": 500,
        "new_direct": 700,
        "new_post": 20,
        "settled_early": 1600,
        "settled_on_time": 447,
        "settled_late": 3,
        "in_progress_in_time": 129,
        "in_progress_overdue": 1,
        "returned_withdrawn": 13,
        "apologies": 2,  # Q1's 2 overdue, settled late in Q2, had their letters in Q1
        "staff": 10,
    }


def test_a_half_year_adds_the_flows_and_keeps_the_stocks_at_its_ends(
    bundle: KindBundle, sample: ReportInput, tmp_path: Path
) -> None:
    q1, q2 = dict(sample.answers), second_quarter(sample)
    for code, value in q2.items():
        assert bundle.form.problem_with(code, value, q2) is None, code
    half = bundle.form.combine([q1, q2])
    assert half["carried_over"] == 86  # what the half year opened with: Q1's
    assert (half["in_progress_in_time"], half["in_progress_overdue"]) == (129, 1)  # Q2's
    assert half["new_online"] == 1245 + 1300 and half["settled_late"] == 6 + 3
    assert half["staff"] == 10  # a headcount: the latest
    received = half["carried_over"] + half["new_online"] + half["new_direct"] + half["new_post"]
    settled = half["settled_early"] + half["settled_on_time"] + half["settled_late"]
    in_progress = half["in_progress_in_time"] + half["in_progress_overdue"]
    assert received == settled + in_progress + half["returned_withdrawn"] == 4006
    # The half year keeps the balance its quarters kept; adding up the dossiers in progress
    # at each quarter's end would count Q1's again and break it.
    assert bundle.form.problem_with("returned_withdrawn", 29, half) is None
    summed = {**half, "in_progress_in_time": 171 + 129, "in_progress_overdue": 2 + 1}
    assert bundle.form.problem_with("returned_withdrawn", 29, summed) is not None

    # The half year's own round answers the narrative, which wins over anything carried.
    narrative = {q.code for q in bundle.form.questions.values() if q.is_narrative}
    own = {code: value for code, value in sample.answers.items() if code in narrative}
    report = dataclasses.replace(
        sample,
        period_kind="half_year",
        period_number=1,
        answers={**half, **own},
        number=None,
        issued_on=None,
    )
    _, grid = annex_grid(bundle, report, tmp_path)
    # Received 86 + 2 545 + 1 338 + 37; of them online, in person or by post, carried over;
    # settled and in progress with their parts.
    assert grid[4][2:] == [
        *("4.006", "2.545", "1.375", "86"),
        *("3.847", "3.002", "836", "9"),
        *("130", "129", "1"),
    ]
    text = rendered_text(bundle, report, tmp_path)
    for expected in (
        "Tình hình, kết quả giải quyết thủ tục hành chính 6 tháng đầu năm 2026",
        "Tổng số hồ sơ tiếp nhận: 4.006 hồ sơ",
        "từ kỳ trước chuyển sang 86 hồ sơ",
        "Số hồ sơ đang giải quyết: 130 hồ sơ",
        "PHƯƠNG HƯỚNG, NHIỆM VỤ 6 THÁNG CUỐI NĂM 2026",
    ):
        assert expected in text, expected


def test_the_office_adds_up_the_communes_dossiers_and_averages_their_procedures(
    bundle: KindBundle,
) -> None:
    """Across communes, what each had open when the period began is added up, as its new
    dossiers are, and so are the dossiers still in progress and the desks' staff (stocks the
    form marks `across_communes: sum`); the number of procedures, the same in every commune, is
    averaged."""
    communes = [
        CommuneReport(
            unit_id=index,
            code=f"X{index}",
            name=name,
            kind=UnitKind.COMMUNE,
            status=RoundStatus.APPROVED,
            first_submitted_at=None,
            approved_at=None,
            number=None,
            issued_on=None,
            delivered_at=None,
            draft_id=index,
            answers={
                "carried_over": carried,
                "new_online": 10,
                "tthc_count": count,
                "in_progress_in_time": 5,
                "staff": 7,
            },
        )
        for index, (name, carried, count) in enumerate((("A", 86, 280), ("B", 14, 300)), 1)
    ]
    by_code = {total.question.code: total for total in totals(bundle.form, communes)}
    assert (by_code["carried_over"].value, by_code["carried_over"].is_mean) == (100, False)
    assert by_code["new_online"].value == 20
    assert (by_code["tthc_count"].value, by_code["tthc_count"].is_mean) == (290, True)
    assert (by_code["in_progress_in_time"].value, by_code["in_progress_in_time"].is_mean) == (
        10,
        False,
    )
    assert (by_code["staff"].value, by_code["staff"].is_mean) == (14, False)


# ----- the sum rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"returned_withdrawn": 17}, BALANCE),  # one more out than came in
        ({"settled_early": 1403}, BALANCE),
        ({"carried_over": 85}, BALANCE),
        ({"apologies": 9}, APOLOGIES),  # more letters than late dossiers
        ({"new_online_full": 1246}, FULL_ONLINE),
        ({"feedback_handled": 4}, FEEDBACK),
    ],
)
def test_each_sum_rule_refuses_figures_that_cannot_all_be_true(
    bundle: KindBundle, sample: ReportInput, changed: dict[str, int], message: str
) -> None:
    ((code, value),) = changed.items()
    problem = bundle.form.problem_with(code, value, sample.answers)
    assert problem is not None and problem.startswith(message)
    assert "Anh/chị vui lòng kiểm tra lại" in problem


def test_the_answers_file_is_refused_with_the_rule_at_its_question(
    bundle: KindBundle, tmp_path: Path
) -> None:
    broken = SAMPLE.read_text(encoding="utf-8").replace("apologies: 8", "apologies: 9")
    broken = broken.replace("settled_early: 1402", "settled_early: 1500")
    path = tmp_path / "answers.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(DraftInputError) as raised:
        read_answers_file(path, bundle.form, calendar=bundle.calendar)
    lines = str(raised.value).splitlines()
    assert f"{path}: answers.returned_withdrawn: {BALANCE}" in "\n".join(lines)
    assert any(line.startswith(f"{path}: answers.apologies: {APOLOGIES}") for line in lines)
    assert len(lines) == 2


def test_the_balance_waits_for_its_last_figure(bundle: KindBundle, sample: ReportInput) -> None:
    """In the chat the officer answers in order: until `returned_withdrawn` is answered the
    sum is not compared, and a figure can always be corrected in some order (lower the settled
    before the received), since the rule says "not more than", never "equal"."""
    before = {k: v for k, v in sample.answers.items() if k != "returned_withdrawn"}
    assert bundle.form.problem_with("settled_early", 99999, before) is None
    lowered = {**sample.answers, "settled_early": 1302}
    assert bundle.form.problem_with("carried_over", 0, lowered) is None


def test_a_sum_rule_names_other_number_questions_only() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Rule(not_more_than="a", not_more_than_sum=("b",), message="m")
    with pytest.raises(ValueError, match="plus applies"):
        Rule(needs_positive="a", plus=("b",), message="m")
    text = (BUNDLE / "form.yaml").read_text(encoding="utf-8")
    with pytest.raises(FormError, match="rule refers to 'new_bus'"):
        parse_form(text.replace("new_direct, new_post]", "new_direct, new_bus]"), name="f.yaml")


# ----- the generalisation: a bundle's template sees its own form ----------------------------


def test_a_bundle_template_cannot_read_the_cchc_form(bundle: KindBundle, tmp_path: Path) -> None:
    folder = tmp_path / "tthc"
    shutil.copytree(BUNDLE, folder)
    template = folder / "template.j2"
    template.write_text(
        template.read_text(encoding="utf-8")
        + "{% call body() %}{{ a.radio_items }}{% endcall %}\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match="radio_items"):
        load_bundle(folder)
    shutil.copy(BUNDLE / "template.j2", template)
    annex = folder / "annex.yaml"
    annex.write_text(
        annex.read_text(encoding="utf-8").replace("answer: new_online", "answer: banners"),
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match=r"annex.yaml:\d+: .*'banners' is not a question code"):
        load_bundle(folder)


def test_cchc_templates_still_see_the_packaged_form() -> None:
    templates = load_templates()
    assert templates.form is None
    assert "radio_items" in templates.answer_codes
    assert templates.template_path.name == "bao_cao_cchc.j2"


def test_a_kind_file_with_a_missing_key_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "tthc"
    shutil.copytree(BUNDLE, folder)
    kind = folder / "kind.yaml"
    kind.write_text(
        kind.read_text(encoding="utf-8").replace("file_prefix: BC-TTHC\n", ""), encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"kind.yaml:\d+: file_prefix: required"):
        load_bundle(folder)


# ----- the PDF ---------------------------------------------------------------------------------

needs_office = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler (pdftotext) are not installed",
)


@pytest.fixture(scope="module")
def office() -> Iterator[PdfConverter]:
    converter = PdfConverter()
    yield converter
    converter.close()


@needs_office
@pytest.mark.xdist_group("libreoffice")  # with test_pdf: one warm office on one worker
def test_the_signature_block_sits_on_one_page(
    bundle: KindBundle, sample: ReportInput, office: PdfConverter, tmp_path: Path
) -> None:
    document = compose(sample, templates=bundle.templates)
    pdf = office.convert(write_docx(document, tmp_path / "tthc.docx", layout=bundle.layout))
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")
    texts = pages(pdf)
    block = [*document.authority, document.signer_name]
    where = {line: page_of(texts, "".join(line.split())) for line in block}
    assert len(set(where.values())) == 1, f"the signature block is split: {where}"
    assert "Tìnhhình,kếtquảgiảiquyếtthủtụchànhchínhquýInăm2026" in texts[0]
