"""Reporting periods: windows of figures, deadlines, the period compared with, opening rounds."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.imports import import_people, import_units
from storage.models import (
    Answer,
    AuditEntry,
    PeriodKind,
    ReportingPeriod,
    ReportingRound,
    RoundStatus,
    Unit,
)
from storage.periods import (
    PeriodCodeError,
    add_working_days,
    get_or_create_period,
    open_rounds,
    previous_code,
    window,
)

# The sample province: four commune-level units (three xã, one phường), a province, an office.
COMMUNE_CODES = ("12151", "12154", "12160", "12197")


Q, H, Y = PeriodKind.QUARTER, PeriodKind.HALF_YEAR, PeriodKind.YEAR


@pytest.mark.parametrize(
    ("code", "kind", "number", "starts_on", "closes_on", "deadline_on"),
    [
        # Q1 starts the day after Q4 of the previous year closed; 14/03/2026 is a Saturday.
        ("2026-Q1", Q, 1, "2025-12-15", "2026-03-14", "2026-03-17"),
        # 14/06/2026 is a Sunday: Monday and Tuesday are the two working days.
        ("2026-Q2", Q, 2, "2026-03-15", "2026-06-14", "2026-06-16"),
        # 14/09/2026 is a Monday: Tuesday, Wednesday.
        ("2026-Q3", Q, 3, "2026-06-15", "2026-09-14", "2026-09-16"),
        ("2026-Q4", Q, 4, "2026-09-15", "2026-12-14", "2026-12-16"),
        ("2026-H1", H, 1, "2025-12-15", "2026-06-14", "2026-06-16"),
        ("2026-Y", Y, 1, "2025-12-15", "2026-12-14", "2026-12-16"),
        # 14/12/2025 is a Sunday.
        ("2025-Q4", Q, 4, "2025-09-15", "2025-12-14", "2025-12-16"),
        # 14/03/2027 is a Sunday; 14/12/2027 a Tuesday.
        ("2027-Q1", Q, 1, "2026-12-15", "2027-03-14", "2027-03-16"),
        ("2027-Y", Y, 1, "2026-12-15", "2027-12-14", "2027-12-16"),
    ],
)
def test_window(
    code: str, kind: PeriodKind, number: int, starts_on: str, closes_on: str, deadline_on: str
) -> None:
    period = window(code)
    assert period.code == code
    assert period.kind is kind
    assert period.year == int(code[:4])
    assert period.number == number
    assert period.starts_on == date.fromisoformat(starts_on)
    assert period.closes_on == date.fromisoformat(closes_on)
    assert period.deadline_on == date.fromisoformat(deadline_on)
    assert period.deadline_on.weekday() < 5  # a deadline never falls on a weekend


def test_quarters_tile_the_year_without_gaps_or_overlaps() -> None:
    codes = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"]
    windows = [window(code) for code in codes]
    for earlier, later in itertools.pairwise(windows):
        assert (later.starts_on - earlier.closes_on).days == 1
    # The half year and the year cover exactly their quarters.
    assert window("2026-H1").starts_on == window("2026-Q1").starts_on
    assert window("2026-H1").closes_on == window("2026-Q2").closes_on
    assert window("2026-Y").starts_on == window("2026-Q1").starts_on
    assert window("2026-Y").closes_on == window("2026-Q4").closes_on


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("2026-q4", "2026-Q4"),
        ("  2026-Q1\n", "2026-Q1"),
        ("2026-h1", "2026-H1"),
        ("2026-y", "2026-Y"),
    ],
)
def test_window_normalises_the_code(typed: str, code: str) -> None:
    assert window(typed).code == code
    assert window(typed) == window(code)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 14), 2, date(2026, 3, 17)),  # Saturday -> Tuesday
        (date(2026, 3, 15), 2, date(2026, 3, 17)),  # Sunday -> Tuesday
        (date(2026, 3, 13), 1, date(2026, 3, 16)),  # Friday -> Monday
        (date(2026, 3, 12), 2, date(2026, 3, 16)),  # Thursday -> Monday
        (date(2026, 3, 11), 2, date(2026, 3, 13)),  # Wednesday -> Friday
        (date(2026, 3, 13), 5, date(2026, 3, 20)),  # a full working week
        (date(2026, 3, 14), 0, date(2026, 3, 14)),  # nothing to add
        (date(2025, 12, 31), 2, date(2026, 1, 2)),  # across the new year (Wednesday -> Friday)
    ],
)
def test_add_working_days_skips_weekends(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize(
    ("code", "previous"),
    [
        ("2026-Q1", "2025-Q4"),
        ("2026-Q2", "2026-Q1"),
        ("2026-Q3", "2026-Q2"),
        ("2026-Q4", "2026-Q3"),
        ("2026-H1", "2025-H1"),
        ("2026-Y", "2025-Y"),
        ("2026-q1", "2025-Q4"),
    ],
)
def test_previous_code(code: str, previous: str) -> None:
    assert previous_code(code) == previous
    window(previous)  # the answer is itself a valid period code


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   ",
        "2026",
        "2026-Q0",
        "2026-Q5",
        "2026-H2",
        "2026-Y1",
        "2026Q1",
        "2026 Q1",
        "26-Q1",
        "20260-Q1",
        "Q1-2026",
        "2026-Q1-extra",
        "quý 4 năm 2026",
        "2026-Q1; DROP TABLE units",
    ],
)
def test_bad_codes_raise_period_code_error(code: str) -> None:
    with pytest.raises(PeriodCodeError, match="not a period code"):
        window(code)
    with pytest.raises(PeriodCodeError):
        previous_code(code)


@pytest.mark.parametrize(
    "code", ["0000-Q3", "0001-Q1", "0001-H1", "0000-Y", "1999-Q4", "2101-Q1", "9999-Y"]
)
def test_out_of_range_year_raises_period_code_error(code: str) -> None:
    # Year 0000 (or 0001 for periods starting the year before) once made date() raise a plain
    # ValueError, which `baocao` does not catch.
    with pytest.raises(PeriodCodeError, match="year"):
        window(code)
    with pytest.raises(PeriodCodeError):
        previous_code(code)


def test_years_at_the_edges_of_the_range() -> None:
    assert window("2000-Q1").starts_on == date(1999, 12, 15)
    assert window("2100-Y").closes_on == date(2100, 12, 14)


async def _import_province(database: Database, province_files: tuple[Path, Path]) -> None:
    units, people = province_files
    async with database.session() as session:
        await import_units(session=session, path=units)
        await import_people(session=session, path=people)


async def _rounds(database: Database) -> list[tuple[str, str, RoundStatus]]:
    async with database.session() as session:
        rows = await session.execute(
            select(ReportingPeriod.code, Unit.code, ReportingRound.status)
            .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
            .join(Unit, Unit.id == ReportingRound.unit_id)
            .order_by(ReportingPeriod.code, Unit.code)
        )
        return [(period, unit, status) for period, unit, status in rows]


async def _count(database: Database, model: type, *where: object) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def test_open_rounds_opens_one_round_per_commune_level_unit(
    database: Database, province_files: tuple[Path, Path]
) -> None:
    await _import_province(database, province_files)
    async with database.session() as session:
        result = await open_rounds(session=session, code="2026-Q4")
        assert sorted(unit.code for unit in result.opened) == list(COMMUNE_CODES)
        assert result.already_open == ()
        assert result.period.code == "2026-Q4"

    assert await _rounds(database) == [
        ("2026-Q4", code, RoundStatus.OPEN) for code in COMMUNE_CODES
    ]
    async with database.session() as session:
        period = await session.scalar(select(ReportingPeriod))
        assert period is not None
        spec = window("2026-Q4")
        assert (period.code, period.kind, period.year, period.number) == (
            "2026-Q4",
            PeriodKind.QUARTER,
            2026,
            4,
        )
        assert (period.starts_on, period.closes_on, period.deadline_on) == (
            spec.starts_on,
            spec.closes_on,
            spec.deadline_on,
        )
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "round.opened"))
        ).all()
    assert sorted(entry.details["unit"] for entry in entries) == list(COMMUNE_CODES)
    assert {entry.details["period"] for entry in entries} == {"2026-Q4"}
    assert {entry.actor_label for entry in entries} == {"cli"}


async def test_each_report_kind_has_its_own_round_and_answers(
    database: Database, province_files: tuple[Path, Path]
) -> None:
    """One commune, one period, two kinds: two rounds; each kind's answers and history are its
    own, though a question code is the same in both."""
    from storage.figures import quarter_figures
    from storage.questionnaire import answers_in_period

    await _import_province(database, province_files)
    async with database.session() as session:
        cchc = await open_rounds(session=session, code="2026-Q4", unit_codes=["12151"])
        tthc = await open_rounds(
            session=session, code="2026-Q4", unit_codes=["12151"], report_kind="tthc"
        )
        again = await open_rounds(
            session=session, code="2026-Q4", unit_codes=["12151"], report_kind="tthc"
        )
        rounds = {round_.kind: round_ for round_ in await session.scalars(select(ReportingRound))}
        for kind, value in (("cchc", 25), ("tthc", 130)):
            session.add(
                Answer(
                    round_id=rounds[kind].id,
                    question_code="proposals",
                    value={"value": value},
                    form_version="1",
                )
            )
    async with database.session() as session:
        unit_id = rounds["cchc"].unit_id
        cchc_answers = await answers_in_period(
            session=session, unit_id=unit_id, period_code="2026-Q4"
        )
        tthc_answers = await answers_in_period(
            session=session, unit_id=unit_id, period_code="2026-Q4", report_kind="tthc"
        )
        tthc_figures = await quarter_figures(
            session=session, unit_id=unit_id, code="2026-Q4", report_kind="tthc"
        )

    assert [u.code for u in cchc.opened] == [u.code for u in tthc.opened] == ["12151"]
    assert [u.code for u in again.already_open] == ["12151"]
    assert set(rounds) == {"cchc", "tthc"}
    assert cchc_answers == {"proposals": 25}
    assert tthc_answers == tthc_figures.answers == {"proposals": 130}


async def test_open_rounds_is_idempotent(
    database: Database, province_files: tuple[Path, Path]
) -> None:
    await _import_province(database, province_files)
    async with database.session() as session:
        first = await open_rounds(session=session, code="2026-Q4", unit_codes=["12151"])
    assert [unit.code for unit in first.opened] == ["12151"]

    async with database.session() as session:
        second = await open_rounds(session=session, code="2026-q4")
    assert sorted(unit.code for unit in second.opened) == ["12154", "12160", "12197"]
    assert [unit.code for unit in second.already_open] == ["12151"]
    assert second.period.id == first.period.id

    async with database.session() as session:
        third = await open_rounds(session=session, code="2026-Q4")
    assert third.opened == ()
    assert sorted(unit.code for unit in third.already_open) == list(COMMUNE_CODES)

    assert len(await _rounds(database)) == len(COMMUNE_CODES)
    assert await _count(database, ReportingPeriod) == 1
    assert await _count(database, AuditEntry, AuditEntry.action == "round.opened") == 4


async def test_open_rounds_for_several_periods_keeps_them_apart(
    database: Database, province_files: tuple[Path, Path]
) -> None:
    await _import_province(database, province_files)
    async with database.session() as session:
        await open_rounds(session=session, code="2026-Q3", unit_codes=["12151", "12197"])
        await open_rounds(session=session, code="2026-Q4", unit_codes=["12151"])
    assert await _rounds(database) == [
        ("2026-Q3", "12151", RoundStatus.OPEN),
        ("2026-Q3", "12197", RoundStatus.OPEN),
        ("2026-Q4", "12151", RoundStatus.OPEN),
    ]
    async with database.session() as session:
        again = await get_or_create_period(session=session, code="2026-Q3")
        assert again.code == "2026-Q3"
    assert await _count(database, ReportingPeriod) == 2


async def test_open_rounds_refuses_an_unknown_unit_code(
    database: Database, province_files: tuple[Path, Path]
) -> None:
    await _import_province(database, province_files)
    for unit_codes in [
        ["99999"],  # no such unit
        ["12151", "99999"],  # one good, one unknown: nothing is opened
        ["SNV-33"],  # an office is not a commune
        ["33"],  # nor is the province
    ]:
        with pytest.raises(LookupError, match="no commune-level unit with code") as caught:
            async with database.session() as session:
                await open_rounds(session=session, code="2026-Q4", unit_codes=unit_codes)
        assert "12151" not in str(caught.value)
        assert unit_codes[-1] in str(caught.value)
        assert await _rounds(database) == []
        assert await _count(database, ReportingPeriod) == 0
        assert await _count(database, AuditEntry, AuditEntry.action == "round.opened") == 0


async def test_open_rounds_refuses_a_bad_period_code(
    database: Database, province_files: tuple[Path, Path]
) -> None:
    await _import_province(database, province_files)
    with pytest.raises(PeriodCodeError):
        async with database.session() as session:
            await open_rounds(session=session, code="2026-Q5")
    assert await _rounds(database) == []
    assert await _count(database, ReportingPeriod) == 0
