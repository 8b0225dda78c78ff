"""The receiving office's queries: whose office a person works for, its communes' rounds and
approved reports in a period, who there is on the bot, and what a failed message was about.
The desk (conversations.office) decides what to say and send.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.contacts import registered_anywhere
from storage.models import (
    COMMUNE_LEVEL_KINDS,
    Draft,
    DraftStatus,
    Membership,
    PeriodKind,
    Person,
    ReportingPeriod,
    ReportingRound,
    Role,
    Unit,
    UnitKind,
)


async def offices_of(*, session: AsyncSession, person_id: int) -> list[Unit]:
    """The receiving offices the person works for, by code."""
    return list(
        (
            await session.scalars(
                select(Unit)
                .join(Membership, Membership.unit_id == Unit.id)
                .where(
                    Membership.person_id == person_id,
                    Membership.role == Role.OFFICE,
                    Unit.kind == UnitKind.OFFICE,
                )
                .order_by(Unit.code)
            )
        ).all()
    )


async def kinds_in_period(*, session: AsyncSession, office_id: int, period_code: str) -> set[str]:
    """The report kinds of which the office's communes have rounds in the period."""
    return set(
        (
            await session.scalars(
                select(ReportingRound.kind)
                .join(Unit, Unit.id == ReportingRound.unit_id)
                .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
                .where(Unit.office_id == office_id, ReportingPeriod.code == period_code)
                .distinct()
            )
        ).all()
    )


async def latest_period(*, session: AsyncSession, office_id: int) -> ReportingPeriod | None:
    """The period most recently closing among the rounds of the office's communes; of a
    quarter and a half year closing together, the quarter."""
    return await session.scalar(
        select(ReportingPeriod)
        .join(ReportingRound, ReportingRound.period_id == ReportingPeriod.id)
        .join(Unit, Unit.id == ReportingRound.unit_id)
        .where(Unit.office_id == office_id)
        .order_by(
            ReportingPeriod.closes_on.desc(),
            case((ReportingPeriod.kind == PeriodKind.QUARTER, 0), else_=1),
        )
        .limit(1)
    )


async def commune_rounds(
    *, session: AsyncSession, office_id: int, period_id: int, report_kind: str
) -> list[tuple[ReportingRound, Unit]]:
    """The rounds of one report kind of the office's communes in the period, by commune code."""
    rows = (
        await session.execute(
            select(ReportingRound, Unit)
            .join(Unit, Unit.id == ReportingRound.unit_id)
            .where(
                ReportingRound.period_id == period_id,
                ReportingRound.kind == report_kind,
                Unit.office_id == office_id,
                Unit.kind.in_(COMMUNE_LEVEL_KINDS),
            )
            .order_by(Unit.code)
        )
    ).all()
    return [(round_, unit) for round_, unit in rows]


async def offices_with_rounds(
    *, session: AsyncSession, period_code: str, report_kind: str
) -> list[Unit]:
    """The offices some of whose communes have a round of the kind in the period, by code."""
    return list(
        (
            await session.scalars(
                select(Unit)
                .where(
                    Unit.kind == UnitKind.OFFICE,
                    Unit.id.in_(
                        select(Unit.office_id)
                        .join(ReportingRound, ReportingRound.unit_id == Unit.id)
                        .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
                        .where(
                            ReportingPeriod.code == period_code,
                            ReportingRound.kind == report_kind,
                        )
                    ),
                )
                .order_by(Unit.code)
            )
        ).all()
    )


async def approved_count(
    *, session: AsyncSession, office_id: int, period_code: str, report_kind: str
) -> int:
    """How many approved versions of the kind the office's communes have in the period."""
    count = await session.scalar(
        select(func.count(Draft.id))
        .join(ReportingRound, ReportingRound.id == Draft.round_id)
        .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
        .join(Unit, Unit.id == ReportingRound.unit_id)
        .where(
            ReportingPeriod.code == period_code,
            ReportingRound.kind == report_kind,
            Unit.office_id == office_id,
            Draft.status == DraftStatus.APPROVED,
        )
    )
    return count or 0


async def units_with_registered(
    *, session: AsyncSession, office_id: int, who: ColumnElement[bool]
) -> set[int]:
    """The office's communes where someone whose membership matches `who` is on the bot."""
    return set(
        (
            await session.scalars(
                select(Membership.unit_id)
                .join(Person, Person.id == Membership.person_id)
                .join(Unit, Unit.id == Membership.unit_id)
                .where(Unit.office_id == office_id, who, registered_anywhere())
                .distinct()
            )
        ).all()
    )


async def admins(*, session: AsyncSession) -> list[Person]:
    """The administrators registered on the bot (role `admin` in any unit)."""
    return list(
        (
            await session.scalars(
                select(Person)
                .join(Membership, Membership.person_id == Person.id)
                .where(Membership.role == Role.ADMIN, Person.telegram_user_id.is_not(None))
                .distinct()
                .order_by(Person.id)
            )
        ).all()
    )


async def draft_with_commune(
    *, session: AsyncSession, draft_id: int
) -> tuple[Draft, Unit, ReportingPeriod, str] | None:
    """A version with its commune, period and report kind."""
    found = (
        await session.execute(
            select(Draft, Unit, ReportingPeriod, ReportingRound.kind)
            .join(ReportingRound, ReportingRound.id == Draft.round_id)
            .join(Unit, Unit.id == ReportingRound.unit_id)
            .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
            .where(Draft.id == draft_id)
        )
    ).first()
    if found is None:
        return None
    draft, unit, period, report_kind = found
    return draft, unit, period, report_kind
