"""Composing a BÁO CÁO from answers: the golden seed, wording rules, injection, template errors."""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from definitions.forms import load_form
from report_templates.compose import (
    ANSWER_CODES,
    LEGACY_CODES,
    PACKAGE_FOLDER,
    ReportInput,
    TemplateError,
    compose,
    draft_date_for,
    hai_so,
    load_templates,
    phan_tram,
    phut,
    so,
)
from report_templates.document import Block, ReportDocument

PLAN = {"number": "03", "symbol": "KH-UBND", "year": None, "issued_on": "2024-01-08"}
HIGHER_PLAN = {"number": "181", "symbol": "KH-UBND", "year": None, "issued_on": "2024-12-29"}

LIMITATIONS = [
    "Một số cán bộ chuyên môn chưa nhận thức được tầm quan trọng của công tác tuyên truyền cải "
    "cách hành chính, chính vì vậy chưa phát huy được sự phối hợp nhịp nhàng trong tuyên truyền "
    "cải cách hành chính.",
    "Nguồn kinh phí phục vụ cho công tác tuyên truyền cải cách hành chính chưa đáp ứng được yêu "
    "cầu công việc.",
    "Thông tin về cải cách hành chính đôi lúc còn chậm được cập nhật.",
]
DIRECTIONS = [
    "Đài truyền thanh xã tiếp tục đẩy mạnh thực hiện tốt việc viết tin, bài, đưa tin các văn bản "
    "chỉ đạo, điều hành về công tác cải cách hành chính qua hệ thống đài truyền thanh.",
    "Đẩy mạnh tuyên truyền các nội dung về cải cách hành chính, đánh giá, tự chấm điểm chỉ số cải "
    "cách hành chính cấp xã thông qua các hội nghị, cuộc họp, đẩy mạnh công tác tuyên truyền, phổ "
    "biến sâu rộng về kỷ luật, kỷ cương hành chính đến tất cả cán bộ, công chức, TTHC đến người "
    "dân trên địa bàn.",
    "Thường xuyên cập nhật TTHC mới ban hành thay thế cho các TTHC cũ để niêm yết trên bảng niêm "
    "yết công khai TTHC tại bộ phận TN và TKQ. Tiếp tục lồng ghép công tác tuyên truyền cải cách "
    "hành chính với công tác tuyên truyền, phổ biến, giáo dục pháp luật.",
    "Thường xuyên đưa nội dung thực hiện cải cách hành chính vào các cuộc họp, hội nghị",
    "Xây dựng và thực hiện các hình thức tuyên truyền khác như: qua cổng thông tin điện tử xã, "
    "qua pano, áp phích, khẩu hiệu, tuyên truyền lưu động.",
]

# Every count the seed does not mention was zero that half-year.
ZEROS = {
    "other_directives": 0,
    "radio_items": 0,
    "radio_airings": 0,
    "web_posts_digital": 0,
    "social_posts": 0,
    "banners": 0,
    "slogans": 0,
    "panels": 0,
    "leaflets": 0,
    "meetings_integrated": 0,
    "meetings_cchc": 0,
    "dialogues": 0,
    "meeting_attendance": 0,
    "mobile_sessions": 0,
    "citizens_guided": 0,
    "contests": 0,
    "staged_events": 0,
    "trainings": 0,
}

GOLDEN_ANSWERS: dict[str, Any] = {
    **ZEROS,
    "plan_ref": PLAN,
    "higher_plan_ref": HIGHER_PLAN,
    "higher_plan_issuer": "UBND huyện Văn Lâm",
    "radio_station": "active",
    "radio_programs": 6,
    "radio_minutes": 60,
    "radio_per_day": 2,
    "radio_relay": True,
    "web_posts": 25,
    "web_tthc_updated": True,
    "tthc_posted_percent": 100,
    "limitations": "\n".join(f"- {line}" for line in LIMITATIONS),
    "directions": "\n\n".join(DIRECTIONS),
}


def golden_input(**changes: Any) -> ReportInput:
    report = ReportInput(
        unit_kind_label="xã",
        unit_name="Tân Quang",
        period_kind="half_year",
        period_year=2024,
        period_number=1,
        answers=GOLDEN_ANSWERS,
        signer_name="Cao Văn Long",
        signer_role="chairman",
        receiving_office="Phòng Nội vụ huyện",
        number="134",
        issued_on=date(2024, 6, 14),
    )
    return dataclasses.replace(report, **changes)


def with_answers(**answers: Any) -> ReportInput:
    return golden_input(answers={**GOLDEN_ANSWERS, **answers})


def joined(document: ReportDocument) -> str:
    return "\n".join(paragraph.text for paragraph in document.body)


def headings(document: ReportDocument) -> list[str]:
    return [p.text for p in document.body if p.kind is Block.HEADING_1]


# --- the golden seed ---------------------------------------------------------------------------


def test_golden_seed_figures_and_sections() -> None:
    document = compose(golden_input())
    text = joined(document)

    for expected in (
        "06 chuyên mục",
        "60 phút",
        "25 tin, bài",
        "100%",
        "1 ngày 2 lần",
        # Answers of form 2026.1 (one plan, one higher plan and its issuer apart) still render.
        "Căn cứ Kế hoạch số 181/KH-UBND ngày 29/12/2024 của UBND huyện Văn Lâm",
        "Kế hoạch số 03/KH-UBND ngày 08/01/2024 của UBND xã Tân Quang về tuyên truyền cải "
        "cách hành chính năm 2024",
        "Ủy ban nhân dân xã báo cáo kết quả công tác tuyên truyền cải cách hành chính "
        "6 tháng đầu năm 2024 như sau:",
        "tiếp sóng",
        # The unit is named once in the closing.
        "Trên đây là kết quả thực hiện công tác tuyên truyền cải cách hành chính 6 tháng đầu "
        "năm 2024 và phương hướng, nhiệm vụ 6 tháng cuối năm 2024. Ủy ban nhân dân xã Tân "
        "Quang trân trọng báo cáo./.",
    ):
        assert expected in text
    # Officers' lines get sentence case and a final full stop, words kept as typed.
    for line in LIMITATIONS + DIRECTIONS:
        assert line.rstrip(".") in text
    assert headings(document) == [
        "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH",
        "II. KẾT QUẢ ĐẠT ĐƯỢC",
        "III. ĐÁNH GIÁ CHUNG",
        "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ 6 THÁNG CUỐI NĂM 2024",
    ]
    assert [p.text for p in document.body if p.kind is Block.HEADING_2] == [
        "1. Các hình thức tuyên truyền",
        "1. Tồn tại, hạn chế",
    ]
    assert document.body[-1].kind is Block.BODY
    assert document.body[-1].text.endswith("trân trọng báo cáo./.")
    # The narrative lines are list items, one each, with the officer's dash not doubled.
    bullets = [p.text for p in document.body if p.kind is Block.BULLET]
    for line in LIMITATIONS + DIRECTIONS:
        assert f"- {line.rstrip('.')}." in bullets


def test_golden_seed_header_and_signature() -> None:
    document = compose(golden_input())

    assert document.issuing_body == ("ỦY BAN NHÂN DÂN", "XÃ TÂN QUANG")
    assert document.number_line == "Số: 134/BC-UBND"
    assert document.place_date_line == "Tân Quang, ngày 14 tháng 6 năm 2024"
    assert document.title == "BÁO CÁO"
    assert document.summary == (
        "Kết quả công tác tuyên truyền cải cách hành chính 6 tháng đầu năm 2024"
    )
    assert document.recipients == (
        "- Phòng Nội vụ huyện;",
        "- Chủ tịch, các Phó Chủ tịch UBND xã;",
        "- Lưu: VT.",
    )
    assert document.authority == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert document.signer_name == "Cao Văn Long"
    assert document.annex_subtitle == (
        "(Kèm theo Báo cáo số 134/BC-UBND ngày 14/06/2024 của UBND xã Tân Quang)"
    )


def test_answer_codes_are_the_packaged_form_and_the_earlier_versions() -> None:
    assert set(ANSWER_CODES) == set(load_form().questions) | set(LEGACY_CODES)


# --- numbers and zeros -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "00"), (6, "06"), (10, "10"), (1500, "1.500"), (1234567, "1.234.567")],
)
def test_hai_so(value: int, expected: str) -> None:
    assert hai_so(value) == expected


def test_filters_read_naturally() -> None:
    assert so(6, "chuyên mục") == "06 chuyên mục"
    assert so(1500, "lượt") == "1.500 lượt"
    assert phut(60) == "60 phút"
    assert phut(90) == "90 phút"
    assert phut(900) == "900 phút (15 giờ)"
    assert phut(125) == "125 phút (02 giờ 05 phút)"
    assert phan_tram(100) == "100%"
    assert phan_tram(99.5) == "99,5%"
    assert phan_tram(100.0) == "100%"


def test_zero_answers_never_print_zero_figures() -> None:
    zero_everything = {code: 0 for code in ZEROS} | {
        "radio_programs": 0,
        "radio_minutes": 0,
        "radio_per_day": 0,
        "web_posts": 0,
        "tthc_posted_percent": 0,
        "contest_participants": 0,
        "web_tthc_updated": False,
        "radio_relay": False,
    }
    document = compose(with_answers(**zero_everything))
    text = joined(document)

    assert not re.search(r"(?<![\d/.,])0{1,2} ", text), text
    # The active station answered zero: said in words.
    assert "Đài truyền thanh xã chưa phát chuyên mục, tin, bài riêng về cải cách hành chính" in text
    assert "chưa triển khai hình thức tuyên truyền cải cách hành chính nào" in text
    assert "0%" not in text
    assert "Các hình thức tuyên truyền" not in text  # no form was used: no list of forms


def test_counts_below_ten_have_a_leading_zero_and_thousands_a_dot() -> None:
    document = compose(
        with_answers(banners=2, slogans=5, panels=3, leaflets=1500, citizens_guided=1200)
    )
    text = joined(document)

    assert "treo, dựng 02 băng rôn, 05 khẩu hiệu và 03 pano, áp phích" in text
    assert "phát 1.500 tờ rơi, tờ gấp" in text
    assert "hướng dẫn trực tiếp 1.200 lượt người dân" in text


def test_meetings_and_other_forms_are_woven_into_sentences() -> None:
    document = compose(
        with_answers(
            meetings_integrated=12,
            meetings_cchc=1,
            dialogues=2,
            meeting_attendance=350,
            mobile_sessions=3,
            contests=1,
            contest_participants=250,
            web_posts_digital=10,
            social_posts=15,
        )
    )
    text = joined(document)

    assert (
        "lồng ghép nội dung cải cách hành chính tại 12 hội nghị, cuộc họp; tổ chức 01 hội nghị "
        "chuyên đề về cải cách hành chính; tổ chức 02 buổi đối thoại với người dân, doanh "
        "nghiệp, với khoảng 350 lượt người tham dự."
    ) in text
    assert "giao ban, học tập nghị quyết" not in text  # never an invented list of meetings
    assert "tổ chức 03 buổi tuyên truyền lưu động" in text
    assert "01 cuộc thi tìm hiểu về cải cách hành chính với 250 lượt người dự thi" in text
    assert (
        "đăng tải 25 tin, bài về cải cách hành chính, trong đó có 10 tin, bài về chuyển đổi số"
        in (text)
    )
    assert "đăng 15 bài về cải cách hành chính trên fanpage, nhóm Zalo của xã" in text


# --- radio -------------------------------------------------------------------------------------


def test_radio_without_a_station_is_one_sentence() -> None:
    text = joined(compose(with_answers(radio_station="none")))

    assert "Xã chưa có đài truyền thanh." in text
    assert "các hình thức khác" not in text  # no claim that other forms made up for it
    assert "chuyên mục cải cách hành chính, phát sóng" not in text
    assert "06 chuyên mục" not in text  # stale figures of a station that does not exist


def test_radio_broken_is_one_sentence() -> None:
    text = joined(compose(with_answers(radio_station="broken")))

    assert "Đài truyền thanh xã bị hỏng, đang được sửa chữa," in text
    assert "60 phút" not in text
    text = joined(compose(with_answers(radio_station="broken_unrepaired")))
    assert "Đài truyền thanh xã bị hỏng, chưa được sửa chữa," in text


# --- comparisons -------------------------------------------------------------------------------


def test_comparison_with_the_previous_quarter() -> None:
    report = golden_input(
        period_kind="quarter",
        period_number=4,
        period_year=2026,
        answers={**GOLDEN_ANSWERS, "radio_items": 12},
        previous={"radio_programs": 4, "radio_items": 15, "web_posts": 25},
    )
    text = joined(compose(report))

    assert "06 chuyên mục cải cách hành chính (tăng 02 chuyên mục so với quý trước)" in text
    assert "phát 12 tin, bài về cải cách hành chính (giảm 03 tin, bài so với quý trước)" in text
    assert "25 tin, bài về cải cách hành chính (bằng quý trước)" in text
    assert "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ QUÝ I NĂM 2027" in text


def test_comparison_for_half_year_says_previous_period() -> None:
    text = joined(compose(golden_input(previous={"web_posts": 20})))

    assert "(tăng 05 tin, bài so với kỳ trước)" in text


def test_no_comparison_without_a_previous_period() -> None:
    text = joined(compose(golden_input(previous=None)))

    assert "so với" not in text
    assert "bằng " not in text


# --- header variants ---------------------------------------------------------------------------


def test_draft_leaves_number_and_day_blank() -> None:
    document = compose(golden_input(number=None, issued_on=None, draft_date=date(2026, 12, 3)))

    assert document.number_line == "Số:      /BC-UBND"
    assert document.place_date_line == "Tân Quang, ngày      tháng 12 năm 2026"
    assert document.annex_subtitle == (
        "(Kèm theo Báo cáo số      /BC-UBND ngày      /12/2026 của UBND xã Tân Quang)"
    )


def test_numbered_report_pads_day_month_and_number() -> None:
    document = compose(golden_input(number="5", issued_on=date(2027, 1, 5), place="Như Quỳnh"))

    assert document.number_line == "Số: 05/BC-UBND"
    assert document.place_date_line == "Như Quỳnh, ngày 05 tháng 01 năm 2027"


def test_quarter_summary_and_ward() -> None:
    report = golden_input(
        unit_kind_label="phường", unit_name="Đông Ngạc", period_kind="quarter", period_number=4
    )
    document = compose(report)

    assert document.issuing_body == ("ỦY BAN NHÂN DÂN", "PHƯỜNG ĐÔNG NGẠC")
    assert document.summary.endswith("quý IV năm 2024")
    assert "- Chủ tịch, các Phó Chủ tịch UBND phường;" in document.recipients
    assert "Ủy ban nhân dân phường báo cáo" in joined(document)


# --- recipients ("Nơi nhận") ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        (
            # as a commune's report lists them, dashes and semicolons typed
            [
                "- Phòng Văn hóa - Thông tin huyện (BC);",
                "- TTĐU, HĐND xã;",
                "- Lãnh đạo UBND xã;",
                "- Trang TTĐT xã;",
                "- Lưu: VP.",
            ],
            (
                "- Phòng Văn hóa - Thông tin huyện (BC);",
                "- TTĐU, HĐND xã;",
                "- Lãnh đạo UBND xã;",
                "- Trang TTĐT xã;",
                "- Lưu: VP.",
            ),
        ),
        (
            # bare lines; the archive line without a colon, typed in the middle
            ["Phòng Nội vụ huyện", "Lưu VT", "Chủ tịch, PCT UBND xã"],
            ("- Phòng Nội vụ huyện;", "- Chủ tịch, PCT UBND xã;", "- Lưu VT."),
        ),
        (
            # no archive line: the clerk's "Lưu: VT." is added; an en dash is a dash too
            ["– Sở Nội vụ tỉnh Hưng Yên.", "  Đảng ủy xã ; "],
            ("- Sở Nội vụ tỉnh Hưng Yên;", "- Đảng ủy xã;", "- Lưu: VT."),
        ),
    ],
)
def test_a_units_recipients_print_one_dash_and_one_stop_each(
    typed: list[str], printed: tuple[str, ...]
) -> None:
    assert compose(golden_input(recipients=tuple(typed))).recipients == printed


def test_without_a_list_the_recipients_are_the_default_three() -> None:
    assert compose(golden_input(recipients=())).recipients == (
        "- Phòng Nội vụ huyện;",
        "- Chủ tịch, các Phó Chủ tịch UBND xã;",
        "- Lưu: VT.",
    )
    # No receiving office known yet: its line is left out rather than printed empty.
    assert compose(golden_input(receiving_office="")).recipients == (
        "- Chủ tịch, các Phó Chủ tịch UBND xã;",
        "- Lưu: VT.",
    )


# --- the month of a draft ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "dated"),
    [
        (date(2025, 9, 1), date(2025, 9, 1)),  # the window is open: today
        (date(2025, 6, 20), date(2025, 6, 20)),  # the period is ahead: today
        (date(2025, 9, 16), date(2025, 9, 16)),  # the deadline itself
        (date(2025, 9, 17), date(2025, 9, 16)),  # past: the deadline, never later
        (date(2026, 3, 2), date(2025, 9, 16)),
    ],
)
def test_a_draft_is_dated_today_until_its_deadline_has_passed(today: date, dated: date) -> None:
    deadline = date(2025, 9, 16)  # 2025-Q3 closes on 14 September, due two working days later
    assert draft_date_for(deadline, today) == dated


def test_vice_chairman_signs_for_the_chairman() -> None:
    document = compose(golden_input(signer_role="vice_chairman", signer_name="Nguyễn Thị Hoa"))

    assert document.authority == ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    assert document.signer_name == "Nguyễn Thị Hoa"


@pytest.mark.parametrize(
    "changes",
    [
        {"period_kind": "month"},
        {"period_kind": "quarter", "period_number": 5},
        {"signer_role": "x"},
    ],
)
def test_impossible_input_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        golden_input(**changes)


def test_basis_without_a_higher_plan() -> None:
    text = joined(compose(with_answers(higher_plan_ref=None, higher_plan_issuer=None)))

    assert text.startswith(
        "Căn cứ Kế hoạch số 03/KH-UBND ngày 08/01/2024 của UBND xã Tân Quang về tuyên truyền "
        "cải cách hành chính năm 2024; Ủy ban nhân dân xã báo cáo"
    )
    assert "181/KH-UBND" not in text


def test_proposals_add_a_fourth_section() -> None:
    document = compose(with_answers(proposals="Đề nghị cấp trên bố trí kinh phí."))

    assert headings(document)[-1] == "V. KIẾN NGHỊ, ĐỀ XUẤT"
    assert "- Đề nghị cấp trên bố trí kinh phí." in joined(document)


# --- hostile answers ---------------------------------------------------------------------------

HOSTILE = [
    "{{ 7*7 }}",
    "{% raw %}",
    "{% if %}",
    "<w:p>&amp;</w:p>",
    "# I. FAKE",
    "I. CÔNG TÁC GIẢ MẠO",
    "Hạn chế 🚧 kinh phí 💸",
    "x" * 3000,
]


def test_hostile_answers_stay_plain_paragraph_text() -> None:
    answers = {
        **GOLDEN_ANSWERS,
        "limitations": "\n".join(HOSTILE),
        "causes": "{{ a.plan_ref }}\n{{ caller() }}",
        "directions": "{% call heading1() %}X{% endcall %}",
        "proposals": "{{ 7*7 }}",
        "higher_plan_issuer": "{{ 7*7 }} <w:p>",
        "other_forms_text": "{% raw %}{{ 7*7 }}",
    }
    clean = compose(golden_input())
    document = compose(golden_input(answers=answers))
    text = joined(document)

    assert "49" not in text
    for line in HOSTILE:  # each kept as typed, in sentence case with a final full stop
        sentence = line[:1].upper() + line[1:]
        sentence = sentence if sentence[-1] in ".!?:;…" else f"{sentence}."
        assert any(p.text == f"- {sentence}" and p.kind is Block.BULLET for p in document.body)
    assert "Căn cứ Kế hoạch số 181/KH-UBND ngày 29/12/2024 của {{ 7*7 }} <w:p> về" in text
    assert "{{ a.plan_ref }}" in text
    assert "{{ caller() }}" in text
    assert "- {% call heading1() %}X{% endcall %}." in text
    assert "{% raw %}{{ 7*7 }}." in text
    # The only extra heading is the proposals section the answers asked for.
    assert headings(document) == [*headings(clean), "V. KIẾN NGHỊ, ĐỀ XUẤT"]


def test_multi_line_short_text_is_folded_into_its_sentence() -> None:
    document = compose(with_answers(higher_plan_issuer="UBND huyện\nVăn Lâm\n# II. X"))

    assert "của UBND huyện Văn Lâm # II. X về" in document.body[0].text
    assert len(headings(document)) == 4


# --- template errors ---------------------------------------------------------------------------


def copy_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    for name in ("bao_cao_cchc.j2", "annex.yaml"):
        shutil.copy(PACKAGE_FOLDER / name, folder / name)
    return folder


def break_line(folder: Path, name: str, old: str, new: str) -> int:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_packaged_templates_load() -> None:
    templates = load_templates()

    assert len(templates.annex) == 6


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    line = break_line(folder, "bao_cao_cchc.j2", "ĐIỀU HÀNH{% endcall %}", "ĐIỀU HÀNH{% endcal %}")

    with pytest.raises(TemplateError, match=rf"bao_cao_cchc\.j2:{line}: "):
        load_templates(folder)


def test_unknown_filter_names_file_and_line(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    line = break_line(folder, "bao_cao_cchc.j2", "| phan_tram", "| phan_tramm")

    with pytest.raises(TemplateError, match=rf"bao_cao_cchc\.j2:{line}: .*phan_tramm"):
        load_templates(folder)


def test_unknown_top_level_variable_names_file_and_line(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    line = break_line(folder, "bao_cao_cchc.j2", "{{ unit_name }}", "{{ unit_nam }}")

    with pytest.raises(
        TemplateError, match=rf"bao_cao_cchc\.j2:{line}: unknown variable 'unit_nam'"
    ):
        load_templates(folder)


def test_misspelt_answer_code_names_file_and_line(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    line = break_line(folder, "bao_cao_cchc.j2", "a.radio_per_day %}", "a.radio_per_dai %}")

    with pytest.raises(TemplateError, match=rf"bao_cao_cchc\.j2:{line}: .*radio_per_dai"):
        load_templates(folder)


def test_text_outside_a_block_is_refused(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    path = folder / "bao_cao_cchc.j2"
    path.write_text(path.read_text(encoding="utf-8") + "\nLost words\n", encoding="utf-8")

    with pytest.raises(TemplateError, match="Lost words"):
        load_templates(folder)


def test_edited_template_changes_the_wording(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    break_line(folder, "bao_cao_cchc.j2", "KẾT QUẢ ĐẠT ĐƯỢC", "KẾT QUẢ NỔI BẬT")

    document = compose(golden_input(), templates=load_templates(folder))

    assert "II. KẾT QUẢ NỔI BẬT" in [p.text for p in document.body]


# --- annex -------------------------------------------------------------------------------------


def test_annex_grades_only_from_the_answers() -> None:
    report = with_answers(
        tthc_posted_percent=95, banners=2, slogans="done", meetings_integrated="done"
    )
    document = compose(dataclasses.replace(report, with_annex=True))
    rows = {row.form: row for row in document.annex}

    radio = rows["Tuyên truyền cải cách hành chính trên hệ thống truyền thanh"]
    assert (radio.result, radio.level) == ("06 chuyên mục; 60 phút", "Đạt")
    tthc = rows["Niêm yết công khai thủ tục hành chính"]
    assert (tthc.result, tthc.level) == ("95% TTHC được niêm yết", "Đạt")  # done: never Chưa đạt
    visual = rows["Tuyên truyền trực quan"]
    assert (visual.result, visual.level) == ("02 băng rôn", "Đạt")
    meetings = rows["Lồng ghép tuyên truyền cải cách hành chính tại hội nghị, cuộc họp"]
    assert (meetings.result, meetings.level) == ("Có thực hiện", "Đạt")  # done, not counted
    others = rows[
        "Các hình thức tuyên truyền khác (lưu động, cuộc thi, tập huấn, hướng dẫn trực tiếp)"
    ]
    assert (others.result, others.level) == ("Chưa thực hiện", "Chưa đạt")  # answered zero


def test_annex_leaves_out_rows_nobody_answered() -> None:
    answers = {"radio_station": "active", "web_posts": 3}
    document = compose(golden_input(answers=answers, with_annex=True))

    assert [row.form for row in document.annex] == [
        "Đăng tin, bài về cải cách hành chính, chuyển đổi số trên Trang thông tin điện tử, "
        "mạng xã hội"
    ]


def test_annex_radio_row_only_with_an_active_station() -> None:
    document = compose(dataclasses.replace(with_answers(radio_station="none"), with_annex=True))

    assert not any("truyền thanh" in row.form for row in document.annex)
    assert len(document.annex) == 5


def test_annex_is_attached_only_where_asked(tmp_path: Path) -> None:
    assert compose(golden_input()).annex == ()  # the packaged annex file: include: false
    assert compose(golden_input(with_annex=True)).annex
    folder = copy_templates(tmp_path)
    break_line(folder, "annex.yaml", "include: false", "include: true")
    templates = load_templates(folder)
    assert compose(golden_input(), templates=templates).annex
    assert compose(golden_input(with_annex=False), templates=templates).annex == ()


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("include: false", "include: maybe", "include: include must be true or false"),
        ("answer: web_posts,", "answer: web_post,", "rows.1.counts.0.answer: 'web_post' is not"),
        ("    counts:\n", "    count:\n", "rows.0.count: unknown key 'count'"),
        ("format: minutes", "format: hours", "rows.0.counts.2.format: format must be"),
    ],
)
def test_annex_mistakes_name_file_line_and_key(
    tmp_path: Path, old: str, new: str, where: str
) -> None:
    folder = copy_templates(tmp_path)
    line = break_line(folder, "annex.yaml", old, new)

    with pytest.raises(TemplateError) as caught:
        load_templates(folder)

    assert f"annex.yaml:{line}: {where}" in str(caught.value)


# --- form 2026.2: done without figures, content, documents, names by period ---------------------

V2_ANSWERS: dict[str, Any] = {
    "plan_refs": [
        {"number": "17", "symbol": "KH-UBND", "year": None, "issued_on": "2023-02-21"},
        {
            "number": "72",
            "symbol": "KH-UBND",
            "year": None,
            "issued_on": "2022-12-30",
            "about": "cải cách hành chính nhà nước năm 2023",
        },
    ],
    "higher_docs": [
        {
            "number": "119",
            "symbol": "QĐ-UBND",
            "year": None,
            "issued_on": "2025-07-18",
            "issuer": "UBND tỉnh Quảng Ngãi",
            "about": "ban hành Kế hoạch cải cách hành chính năm 2025",
        }
    ],
    "directed_to": ["departments", "mass_organisations", "sub_units"],
    "content_topics": ["sipas", "pci", "discipline"],
    "content_docs": [
        {
            "number": "76",
            "symbol": "NQ-CP",
            "year": None,
            "issued_on": "2021-07-15",
            "issuer": "Chính phủ",
        }
    ],
    "radio_station": "active",
    "radio_programs": 0,
    "radio_items": "done",
    "radio_airings": 0,
    "radio_minutes": 0,
    "web_posts": 60,
    "web_posts_digital": 20,
    "slogans": "done",
    "banners": 0,
    "panels": 0,
    "leaflets": 0,
    "meetings_integrated": "done",
    "citizens_guided": 1500,
    "tthc_posted_percent": 100,
}


def v2_input(**changes: Any) -> ReportInput:
    report = golden_input(
        unit_name="Ngọc Kỳ", period_kind="year", period_number=1, period_year=2023
    )
    return dataclasses.replace(report, **{"answers": V2_ANSWERS, **changes})


def test_done_without_a_figure_is_said_without_one() -> None:
    text = joined(compose(v2_input()))

    assert "Đài truyền thanh xã đã phát tin, bài về cải cách hành chính" in text
    assert "chưa phát chuyên mục" not in text  # the station worked, with no figure given
    assert "treo, dựng khẩu hiệu về cải cách hành chính" in text
    assert "lồng ghép nội dung cải cách hành chính tại các hội nghị, cuộc họp" in text
    assert "đăng tải 60 tin, bài về cải cách hành chính, trong đó có 20 tin, bài về chuyển đổi" in (
        text
    )
    assert "băng rôn" not in text and "pano" not in text  # answered as not done
    assert "done" not in text


def test_documents_are_cited_with_their_kind_issuer_and_subject() -> None:
    text = joined(compose(v2_input()))

    assert text.startswith(
        "Căn cứ Quyết định số 119/QĐ-UBND ngày 18/07/2025 của UBND tỉnh Quảng Ngãi về ban hành "
        "Kế hoạch cải cách hành chính năm 2025; căn cứ Kế hoạch số 17/KH-UBND ngày 21/02/2023 "
        "của UBND xã Ngọc Kỳ về tuyên truyền cải cách hành chính năm 2023 và Kế hoạch số "
        "72/KH-UBND ngày 30/12/2022 của UBND xã Ngọc Kỳ về cải cách hành chính nhà nước năm 2023;"
    )
    assert "Tuyên truyền, phổ biến Nghị quyết số 76/NQ-CP ngày 15/07/2021 của Chính phủ." in text
    assert "Thực hiện các văn bản trên, Ủy ban nhân dân xã đã giao nhiệm vụ" in text
    # The plan reference is not repeated in the paragraph after the basis.
    assert text.count("17/KH-UBND") == 1


def test_content_topics_are_listed_in_the_forms_words() -> None:
    text = joined(compose(v2_input()))

    assert "2. Nội dung tuyên truyền" in text
    assert (
        "Tuyên truyền về Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan "
        "hành chính nhà nước (SIPAS); Chỉ số năng lực cạnh tranh cấp tỉnh (PCI); kỷ luật, kỷ "
        "cương hành chính." in text
    )


def test_no_direction_sentence_without_an_answer_behind_it() -> None:
    answers = {**V2_ANSWERS, "directed_to": None, "other_directives": 0}
    text = joined(compose(v2_input(answers=answers)))

    assert "giao nhiệm vụ" not in text and "đã chỉ đạo" not in text
    assert "Văn bản chỉ đạo, điều hành" not in text


@pytest.mark.parametrize(
    ("period", "desk"),
    [
        (("quarter", 2025, 2), "Bộ phận tiếp nhận và trả kết quả của UBND xã"),
        (("half_year", 2025, 1), "Bộ phận tiếp nhận và trả kết quả của UBND xã"),
        (("quarter", 2025, 3), "Trung tâm Phục vụ hành chính công xã"),
        (("year", 2025, 1), "Trung tâm Phục vụ hành chính công xã"),
    ],
)
def test_the_one_stop_desk_is_named_as_it_was_in_the_period(
    period: tuple[str, int, int], desk: str
) -> None:
    kind, year, number = period
    text = joined(compose(v2_input(period_kind=kind, period_year=year, period_number=number)))

    assert f"niêm yết công khai tại {desk}." in text
    assert f"hướng dẫn trực tiếp 1.500 lượt người dân về thủ tục hành chính tại {desk}" in text
    other = "Trung tâm" if desk.startswith("Bộ phận") else "Bộ phận tiếp nhận"
    assert other not in text


def test_sub_units_follow_the_kind_of_unit() -> None:
    ward = joined(compose(v2_input(unit_kind_label="phường")))
    commune = joined(compose(v2_input()))

    assert (
        "cho các ban, ngành, bộ phận chuyên môn, Mặt trận Tổ quốc, các đoàn thể và các tổ dân phố."
        in ward
    )
    assert not re.search(r"\bthôn\b", ward)
    assert "Mặt trận Tổ quốc, các đoàn thể và các thôn." in commune


def test_an_older_plan_keeps_its_own_year() -> None:
    old_plan = [{"number": "09", "symbol": "KH-UBND", "year": None, "issued_on": "2024-01-08"}]
    text = joined(
        compose(v2_input(period_year=2026, answers={**V2_ANSWERS, "plan_refs": old_plan}))
    )

    assert (
        "Kế hoạch số 09/KH-UBND ngày 08/01/2024 của UBND xã Ngọc Kỳ về tuyên truyền cải cách "
        "hành chính;" in text
    )
    assert "năm 2026;" not in text


def test_officers_text_gets_sentence_case_and_a_full_stop() -> None:
    answers = {**V2_ANSWERS, "limitations": "kinh phí còn hạn chế\n- cán bộ kiêm nhiệm;"}
    bullets = [p.text for p in compose(v2_input(answers=answers)).body]

    assert "- Kinh phí còn hạn chế." in bullets
    assert "- Cán bộ kiêm nhiệm;" in bullets


def test_numbered_lines_keep_their_number_without_a_dash() -> None:
    answers = {**V2_ANSWERS, "directions": "1. Duy trì chuyên mục.\nb) tăng tin, bài\n- Tập huấn"}
    bullets = [p.text for p in compose(v2_input(answers=answers)).body]

    assert "1. Duy trì chuyên mục." in bullets
    assert "b) Tăng tin, bài." in bullets
    assert "- Tập huấn." in bullets


def test_a_figure_prints_with_the_unit_the_officer_chose() -> None:
    chosen = {"meetings_cchc": 2, "meetings_cchc_unit": "session", "mobile_sessions": 3}
    text = joined(
        compose(v2_input(answers={**V2_ANSWERS, **chosen, "mobile_sessions_unit": "campaign"}))
    )

    assert "tổ chức 02 buổi chuyên đề về cải cách hành chính" in text
    assert "tổ chức 03 đợt tuyên truyền lưu động" in text
    text = joined(compose(v2_input(answers={**V2_ANSWERS, **chosen, "meetings_cchc_unit": None})))
    assert "tổ chức 02 hội nghị chuyên đề về cải cách hành chính" in text  # the form's default
    assert "tổ chức 03 buổi tuyên truyền lưu động" in text


def test_the_direction_sentence_names_the_kind_of_document_it_follows() -> None:
    decision = [{"number": "119", "symbol": "QĐ-UBND", "year": None, "issued_on": "2025-07-18"}]
    plan = [{"number": "09", "symbol": "KH-UBND", "year": None, "issued_on": "2025-01-08"}]
    for plans, words in ((decision, "Thực hiện văn bản trên"), (plan, "Thực hiện kế hoạch trên")):
        answers = {**V2_ANSWERS, "plan_refs": plans, "higher_docs": None}
        assert words in joined(compose(v2_input(answers=answers)))
