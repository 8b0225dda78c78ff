"""A round stored in the database composes into its report, compared with the previous quarter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from report_templates.compose import compose
from report_templates.from_round import report_input_for_round
from storage.db import Database
from storage.imports import import_people, import_units
from storage.models import Role
from storage.periods import open_rounds
from storage.questionnaire import round_of_unit
from tests.factories import store_answers


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
