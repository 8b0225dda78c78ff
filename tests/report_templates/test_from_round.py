"""A round stored in the database composes into its report, compared with the previous quarter."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from report_templates.compose import compose
from report_templates.from_round import report_from_json, report_input_for_round, report_to_json
from storage.db import Database
from storage.imports import import_people, import_units
from storage.models import Role
from storage.people import get_unit_by_code
from storage.periods import open_rounds, window
from storage.questionnaire import round_of_unit
from storage.units import set_recipients
from tests.factories import store_answers
from tests.report_templates.test_compose import golden_input


async def store(database: Database, period: str, answers: dict[str, Any]) -> int:
    async with database.session() as session:
        await open_rounds(session=session, code=period, unit_codes=["12151"])
        round_id = await round_of_unit(session=session, unit_code="12151", period=period)
        assert round_id is not None
        await store_answers(session, round_id=round_id, answers=answers)
        return round_id


async def test_a_stored_round_composes_with_its_signer_office_and_history(
    database: Database, province_files: tuple[Path, Path]
) -> None:
    units, people = province_files
    async with database.session() as session:
        await import_units(session=session, path=units)
        await import_people(session=session, path=people)
    await store(database, "2026-Q3", {"radio_station": "active", "radio_programs": 4})
    round_id = await store(
        database,
        "2026-Q4",
        {"radio_station": "active", "radio_programs": 6, "web_posts": 1500, "banners": 0},
    )

    async with database.session() as session:
        report = await report_input_for_round(session=session, round_id=round_id)
        deputy = await report_input_for_round(
            session=session, round_id=round_id, signer_role=Role.VICE_CHAIRMAN
        )
    document = compose(report)
    text = "\n".join(paragraph.text for paragraph in document.body)

    assert document.summary.endswith("quý IV năm 2026")
    assert document.issuing_body == ("ỦY BAN NHÂN DÂN", "XÃ TÂN QUANG")
    assert document.signer_name == "Lê Văn Cường"
    assert deputy.signer_name == "Phạm Thị Dung"
    assert any("Sở Nội vụ tỉnh Hưng Yên" in line for line in document.recipients)
    assert "06 chuyên mục" in text and "tăng 02 chuyên mục so với quý trước" in text
    assert "1.500 tin, bài" in text
    assert "băng rôn" not in text, "a zero is left out, never printed as 0"


async def test_a_round_takes_its_units_recipients_and_is_dated_by_its_deadline(
    database: Database, province_files: tuple[Path, Path]
) -> None:
    units, people = province_files
    async with database.session() as session:
        await import_units(session=session, path=units)
        await import_people(session=session, path=people)
    round_id = await store(database, "2025-Q3", {"radio_station": "none"})
    async with database.session() as session:
        unit = await get_unit_by_code(session=session, code="12151")
        assert unit is not None
        default = await report_input_for_round(session=session, round_id=round_id)
        await set_recipients(
            session=session, unit=unit, recipients=["Sở Nội vụ tỉnh Hưng Yên", "Lưu: VT, VP"]
        )
    async with database.session() as session:
        late = await report_input_for_round(
            session=session, round_id=round_id, today=date(2026, 2, 10)
        )
        on_time = await report_input_for_round(
            session=session, round_id=round_id, today=date(2025, 9, 12)
        )

    assert default.recipients == ()
    assert compose(late).recipients == ("- Sở Nội vụ tỉnh Hưng Yên;", "- Lưu: VT, VP.")
    # Q3 closes on 14 September; drafted months later, it is still dated by its deadline.
    assert late.draft_date == window("2025-Q3").deadline_on
    assert compose(late).place_date_line == "Tân Quang, ngày      tháng 9 năm 2025"
    assert on_time.draft_date == date(2025, 9, 12)


def test_a_version_frozen_before_recipients_existed_reads_back_with_the_default() -> None:
    report = golden_input(recipients=("Sở Nội vụ", "Lưu: VT"), number=None, issued_on=None)
    frozen = report_to_json(report)
    assert report_from_json(json.loads(json.dumps(frozen))) == report  # as the database keeps it

    older = {key: value for key, value in frozen.items() if key != "recipients"}
    back = report_from_json(older, number="07", issued_on=date(2025, 9, 16))
    assert back.recipients == ()
    assert compose(back).recipients[-1] == "- Lưu: VT."
