"""Drafts without LibreOffice: a .docx only, said once in the log."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from definitions import words
from definitions.calendar import parse_calendar
from definitions.forms import Form, load_form
from definitions.parsing import ParseError
from definitions.values import parse_answer
from report_templates import draft
from report_templates.compose import compose
from report_templates.draft import DraftInputError, read_answers_file, render_draft
from tests.factories import all_types_form

SAMPLE = (
    Path(__file__).resolve().parents[2] / "bot" / "demo_data" / "answers_tan_quang_2024_h1.json"
)


def test_without_libreoffice_a_docx_and_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice anywhere on it
    monkeypatch.setattr(draft, "_pdf_unavailable_said", False)
    report = read_answers_file(SAMPLE, load_form())
    with caplog.at_level(logging.INFO, logger="report_templates.draft"):
        first = render_draft(report, tmp_path / "a", stem="one")
        second = render_draft(report, tmp_path / "b", stem="two")
    assert first.pdf is None and second.pdf is None
    assert first.docx.stat().st_size > 10_000 and second.docx.exists()
    assert "06 chuyên mục" in first.preview.read_text(encoding="utf-8")
    said = [r for r in caplog.records if "LibreOffice" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.INFO


# ----- the answers file: every check the chat makes, all problems at once ---------------------

FORM = load_form()


def answers_file(tmp_path: Path, **changes: Any) -> Path:
    """The sample file with some keys changed (None removes a key), written as JSON."""
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    answers = {**data["answers"], **changes.pop("answers", {})}
    data = {**data, **changes, "answers": answers}
    path = tmp_path / "answers.json"
    path.write_text(
        json.dumps({key: value for key, value in data.items() if value is not None}),
        encoding="utf-8",
    )
    return path


def problems_of(path: Path, form: Form = FORM) -> list[str]:
    with pytest.raises(DraftInputError) as caught:
        read_answers_file(path, form)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return [line.removeprefix(f"{path}: ") for line in lines]


def test_a_file_saved_with_a_bom_is_read(tmp_path: Path) -> None:
    with_bom = tmp_path / "bom.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + SAMPLE.read_bytes())
    assert read_answers_file(with_bom, FORM) == read_answers_file(SAMPLE, FORM)


def test_every_problem_is_told_at_once_each_with_its_key(tmp_path: Path) -> None:
    path = answers_file(
        tmp_path,
        unit={"name": "Tân Quang", "kind": "huyện"},
        number="13a",
        issued_on="31/02/2024",
        answers={
            "radio_station": "none",  # the station's figures below are then not asked
            "web_posts": 3,
            "web_posts_digital": "5",  # more than all posts: the form's rule
            "banners": "sáu",  # a word for a number
            "tthc_posted_percent": 120,
            "meetings_cchc": 101,  # over the question's ceiling (100)
            "strengths": None,  # a required question skipped
            "other_directives": True,  # yes for a count that has no "done, not counted"
            "radio_colour": 1,
        },
    )
    found = problems_of(path)

    rule = FORM.questions["web_posts_digital"].rules[0].message
    expected = [
        "unit.kind: 'huyện' is not a commune-level kind "
        "(use one of: phường, thị trấn, xã, đặc khu)",
        'number: the number alone, 1 to 9999, such as "134"',
        "issued_on: a real date written dd/mm/yyyy, such as 14/06/2024",
        *(
            f"answers.{code}: the form asks this only when radio_station is 'active' "
            "(radio_station here: 'none'); leave it out"
            # the sample's radio figures (a zero is an answer given too)
            for code in (
                "radio_programs",
                "radio_items",
                "radio_minutes",
                "radio_per_day",
                "radio_relay",
            )
        ),
        f"answers.web_posts_digital: {rule}",  # once, at the question whose rule it is
        "answers.banners: " + parse_problem("banners", "sáu"),
        "answers.meetings_cchc: " + words.too_large(value=101, ceiling=100, unit="hội nghị"),
        "answers.other_directives: " + parse_problem("other_directives", "có"),
        "answers.tthc_posted_percent: " + parse_problem("tthc_posted_percent", "120"),
        "answers.strengths: " + words.REQUIRED,
        "answers.radio_colour: no such question in the form",
    ]
    assert sorted(found) == sorted(expected)
    assert len(found) == len(expected), "each problem once"


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (
            {},
            [
                "unit: required",
                "signer: required",
                "receiving_office: required",
                "period: required",
            ],
        ),
        (
            {"unit": {}, "signer": "Cao Văn Long", "receiving_office": "Sở Nội vụ", "period": "Q3"},
            [
                "unit.name: required",
                'signer: an object such as {"name": ...} (keys: name, role)',
                "period: 'Q3' is not a period code such as 2026-Q4, 2026-H1 or 2026-Y",
            ],
        ),
    ],
)
def test_missing_keys_are_each_named(
    tmp_path: Path, file: dict[str, Any], expected: list[str]
) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(file), encoding="utf-8")
    assert problems_of(path) == expected


def parse_problem(code: str, typed: str) -> str:
    return parse_problem_of(FORM, code, typed)


def parse_problem_of(form: Form, code: str, typed: str) -> str:
    """What the chat tells an officer who types this."""
    with pytest.raises(ParseError) as caught:
        parse_answer(form.questions[code], typed)
    return caught.value.message


def test_airtime_without_airings_is_refused_as_in_the_chat(tmp_path: Path) -> None:
    path = answers_file(tmp_path, answers={"radio_airings": 0, "radio_minutes": "60 phút"})
    (rule,) = FORM.questions["radio_minutes"].rules
    assert problems_of(path) == [f"answers.radio_minutes: {rule.message}"]
    fixed = answers_file(tmp_path, answers={"radio_airings": "12", "radio_minutes": "60 phút"})
    assert read_answers_file(fixed, FORM).answers["radio_airings"] == 12


def test_previous_figures_are_checked_like_the_answers(tmp_path: Path) -> None:
    path = answers_file(
        tmp_path, previous={"radio_station": "active", "radio_programs": "1.000", "web_posts": 4}
    )
    ceiling = FORM.questions["radio_programs"].ceiling
    assert ceiling == 500
    assert problems_of(path) == [
        "previous.radio_programs: " + words.too_large(value=1000, ceiling=500, unit="chuyên mục")
    ]


def test_json_numbers_and_booleans_are_read_as_typed(tmp_path: Path) -> None:
    path = answers_file(
        tmp_path,
        answers={"tthc_posted_percent": 99.5, "web_tthc_updated": False, "radio_per_day": 2},
    )
    answers = read_answers_file(path, FORM).answers
    assert answers["tthc_posted_percent"] == 99.5
    assert answers["web_tthc_updated"] is False
    assert answers["radio_per_day"] == 2


def test_every_question_type_is_read_as_the_chat_reads_it(tmp_path: Path) -> None:
    form = all_types_form()
    typed = {
        "q_count": "1.500 buổi",
        "q_minutes": "1 giờ 30",
        "q_percent": "99,5%",
        "q_yes_no": "có",
        "q_choice": "Trung bình",
        "q_short": "Tuyên truyền qua Zalo",
        "q_long": "Công tác tuyên truyền được triển khai kịp thời.",
        "q_date": "08/01/2026",
        "q_doc": "03/KH-UBND ngày 08/01/2026",
    }
    path = tmp_path / "answers.json"
    file = {
        "unit": {"name": "Côn Đảo", "kind": "dac khu"},
        "period": "2026-Q4",
        "signer": {"name": "Nguyễn Văn A"},
        "receiving_office": "Sở Nội vụ",
        "answers": typed,
    }
    path.write_text(json.dumps(file), encoding="utf-8")
    report = read_answers_file(path, form)
    assert report.unit_kind_label == "đặc khu"
    assert report.answers == {
        code: parse_answer(form.questions[code], text) for code, text in typed.items()
    }

    file["answers"] = {**typed, "q_count": 5001, "q_long": "   ", "q_short": None}
    path.write_text(json.dumps(file), encoding="utf-8")
    assert problems_of(path, form) == [
        "answers.q_count: " + words.too_large(value=5001, ceiling=5000, unit="buổi"),
        "answers.q_long: " + parse_problem_of(form, "q_long", "   "),
    ], "an optional question may be skipped (null)"


# ----- the date line of a draft ----------------------------------------------------------------


def test_a_past_periods_draft_is_dated_by_its_deadline_and_a_current_one_today(
    tmp_path: Path,
) -> None:
    path = answers_file(tmp_path, period="2025-Q3", number=None, issued_on=None)
    late = read_answers_file(path, FORM, today=date(2026, 1, 20))
    assert late.draft_date == date(2025, 9, 16)  # Q3 closes Sunday 14 September, +2 working days
    assert "ngày      tháng 9 năm 2025" in compose(late).place_date_line
    current = read_answers_file(path, FORM, today=date(2025, 9, 10))
    assert current.draft_date == date(2025, 9, 10)

    holidays = parse_calendar(
        "deadline_working_days: 20\nholidays: [2025-10-01]\n", name="calendar.yaml"
    )
    by_calendar = read_answers_file(path, FORM, calendar=holidays, today=date(2026, 1, 20))
    assert by_calendar.draft_date == date(2025, 10, 13)
    assert "tháng 10 năm 2025" in compose(by_calendar).place_date_line


def test_draft_month_gives_the_month_a_draft_prints(tmp_path: Path) -> None:
    path = answers_file(tmp_path, number=None, issued_on=None, draft_month="09/2025")
    report = read_answers_file(path, FORM, today=date(2026, 3, 1))
    assert compose(report).place_date_line == "Tân Quang, ngày      tháng 9 năm 2025"
    both = answers_file(tmp_path, draft_month="09/2025")  # the sample has issued_on
    assert problems_of(both) == [
        "draft_month: a dated report (issued_on) prints its own month; give one"
    ]


def test_recipients_in_the_file_are_printed(tmp_path: Path) -> None:
    path = answers_file(tmp_path, recipients=["Phòng Nội vụ huyện;", "Chủ tịch, PCT UBND xã"])
    assert compose(read_answers_file(path, FORM)).recipients == (
        "- Phòng Nội vụ huyện;",
        "- Chủ tịch, PCT UBND xã;",
        "- Lưu: VT.",
    )
    too_many = answers_file(tmp_path, recipients=";".join(f"Nơi {n}" for n in range(13)))
    assert problems_of(too_many) == ["recipients: 13 recipients; at most 12"]
