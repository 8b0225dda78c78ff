"""Reporting periods (2026-Q4, 2026-H1, 2026-Y) and opening a round for each commune.

Windows follow Decree 09/2019/NĐ-CP, Art. 12: figures close on the 14th of a quarter's last month
and the window starts the day after the previous closing (Q1 starts on 15 December).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import (
    COMMUNE_LEVEL_KINDS,
    DEFAULT_REPORT_KIND,
    PeriodKind,
    ReportingPeriod,
    ReportingRound,
    RoundStatus,
    Unit,
)

CLOSING_DAY = 14
DEADLINE_WORKING_DAYS = 2
MIN_YEAR, MAX_YEAR = 2000, 2100
EDITABLE_STATUSES = (RoundStatus.OPEN, RoundStatus.SUBMITTED, RoundStatus.RETURNED)

_CODE = re.compile(r"^(\d{4})-(Q[1-4]|H1|Y)$")


class PeriodCodeError(ValueError):
    """Not a period code such as 2026-Q4, 2026-H1 or 2026-Y."""


@dataclass(frozen=True)
class PeriodWindow:
    code: str
    kind: PeriodKind
    year: int
    number: int  # quarter 1-4; 1 for the half year and the year
    starts_on: date
    closes_on: date
    deadline_on: date


def window(code: str) -> PeriodWindow:
    """The window of figures, closing day and default deadline of a period code."""
    match = _CODE.match(code.strip().upper())
    if match is None:
        raise PeriodCodeError(f"{code!r} is not a period code such as 2026-Q4, 2026-H1 or 2026-Y")
    year, part = int(match.group(1)), match.group(2)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodCodeError(f"{code!r}: the year must be between {MIN_YEAR} and {MAX_YEAR}")
    if part.startswith("Q"):
        kind, number, last_month = PeriodKind.QUARTER, int(part[1]), 3 * int(part[1])
        first_month_after_close = last_month - 3
    elif part == "H1":
        kind, number, last_month, first_month_after_close = PeriodKind.HALF_YEAR, 1, 6, 0
    else:
        kind, number, last_month, first_month_after_close = PeriodKind.YEAR, 1, 12, 0
    closes_on = date(year, last_month, CLOSING_DAY)
    if first_month_after_close == 0:
        starts_on = date(year - 1, 12, CLOSING_DAY + 1)
    else:
        starts_on = date(year, first_month_after_close, CLOSING_DAY + 1)
    return PeriodWindow(
        code=f"{year}-{part}",
        kind=kind,
        year=year,
        number=number,
        starts_on=starts_on,
        closes_on=closes_on,
        deadline_on=add_working_days(closes_on, DEADLINE_WORKING_DAYS),
    )


def add_working_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def previous_code(code: str) -> str:
    """The period the figures are compared with: the previous quarter, half year or year."""
    period = window(code)
    if period.kind is PeriodKind.QUARTER:
        if period.number == 1:
            return f"{period.year - 1}-Q4"
        return f"{period.year}-Q{period.number - 1}"
    suffix = "H1" if period.kind is PeriodKind.HALF_YEAR else "Y"
    return f"{period.year - 1}-{suffix}"


async def find_period(*, session: AsyncSession, code: str) -> ReportingPeriod | None:
    """The period row, which exists once the period has been opened (by hand or the calendar)."""
    return await session.scalar(select(ReportingPeriod).where(ReportingPeriod.code == code))


async def get_or_create_period(
    *, session: AsyncSession, code: str, deadline_on: date | None = None
) -> ReportingPeriod:
    """The period row; `deadline_on` (the calendar's, with holidays) is used when creating it."""
    spec = window(code)
    period = await session.scalar(select(ReportingPeriod).where(ReportingPeriod.code == spec.code))
    if period is None:
        period = ReportingPeriod(
            code=spec.code,
            kind=spec.kind,
            year=spec.year,
            number=spec.number,
            starts_on=spec.starts_on,
            closes_on=spec.closes_on,
            deadline_on=deadline_on or spec.deadline_on,
        )
        session.add(period)
        await session.flush()
    return period


@dataclass(frozen=True)
class OpenedRounds:
    period: ReportingPeriod
    opened: tuple[Unit, ...]
    already_open: tuple[Unit, ...]


async def open_rounds(
    *,
    session: AsyncSession,
    code: str,
    unit_codes: Sequence[str] = (),
    actor_label: str = "cli",
    deadline_on: date | None = None,
    report_kind: str = DEFAULT_REPORT_KIND,
) -> OpenedRounds:
    """Open the period's round of `report_kind` for the named communes, or every commune;
    repeating is harmless."""
    period = await get_or_create_period(session=session, code=code, deadline_on=deadline_on)
    query = select(Unit).where(Unit.kind.in_(COMMUNE_LEVEL_KINDS)).order_by(Unit.code)
    if unit_codes:
        query = query.where(Unit.code.in_(unit_codes))
    units = list((await session.scalars(query)).all())
    missing = sorted(set(unit_codes) - {unit.code for unit in units})
    if missing:
        raise LookupError(f"no commune-level unit with code {', '.join(missing)}")
    existing = set(
        (
            await session.scalars(
                select(ReportingRound.unit_id).where(
                    ReportingRound.period_id == period.id, ReportingRound.kind == report_kind
                )
            )
        ).all()
    )
    opened, already = [], []
    for unit in units:
        if unit.id in existing:
            already.append(unit)
            continue
        round_ = ReportingRound(
            period_id=period.id, unit_id=unit.id, kind=report_kind, status=RoundStatus.OPEN
        )
        session.add(round_)
        await session.flush()
        await audit.record(
            session=session,
            action="round.opened",
            entity_type="round",
            entity_id=round_.id,
            actor_label=actor_label,
            details={"period": period.code, "unit": unit.code, "kind": report_kind},
        )
        opened.append(unit)
    return OpenedRounds(period=period, opened=tuple(opened), already_open=tuple(already))
