"""The calendar duties' queries: a period's rounds of one report kind, who in a commune answers,
and whether a person was reminded already. The duties (conversations.duties) decide what to send.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.contacts import registered_anywhere
from storage.models import (
    COMMUNE_LEVEL_KINDS,
    Membership,
    OutboxMessage,
    Person,
    ReportingPeriod,
    ReportingRound,
    Role,
    RoundStatus,
    Unit,
)
from storage.questionnaire import ANSWERING_ROLES


async def period_rounds(
    *,
    session: AsyncSession,
    period_code: str,
    report_kind: str,
    statuses: Sequence[RoundStatus] | None,
) -> list[tuple[ReportingRound, Unit, ReportingPeriod]]:
    """The communes' rounds of one kind in the period, by commune code; only those in
    `statuses` unless None."""
    query = (
        select(ReportingRound, Unit, ReportingPeriod)
        .join(Unit, Unit.id == ReportingRound.unit_id)
        .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
        .where(
            ReportingPeriod.code == period_code,
            ReportingRound.kind == report_kind,
            Unit.kind.in_(COMMUNE_LEVEL_KINDS),
        )
        .order_by(Unit.code)
    )
    if statuses is not None:
        query = query.where(ReportingRound.status.in_(statuses))
    return [(r, u, p) for r, u, p in (await session.execute(query)).all()]


async def commune_memberships(*, session: AsyncSession, person_id: int) -> list[tuple[Role, Unit]]:
    """The person's roles in communes (wards, special zones: every commune-level unit)."""
    rows = (
        await session.execute(
            select(Membership.role, Unit)
            .join(Unit, Unit.id == Membership.unit_id)
            .where(Membership.person_id == person_id, Unit.kind.in_(COMMUNE_LEVEL_KINDS))
        )
    ).all()
    return [(role, unit) for role, unit in rows]


async def answering_people(*, session: AsyncSession, unit_id: int) -> list[tuple[Person, Role]]:
    """The commune's people on the bot in a role that answers sections, one row per role."""
    rows = (
        await session.execute(
            select(Person, Membership.role)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.unit_id == unit_id,
                Membership.role.in_(ANSWERING_ROLES),
                registered_anywhere(),
            )
            .order_by(Person.id)
        )
    ).all()
    return [(person, role) for person, role in rows]


async def reminded(*, session: AsyncSession, purpose: str, round_id: int, person_id: int) -> bool:
    """Whether a reminder (`purpose`) about the round was ever queued for the person."""
    found = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.purpose == purpose,
            OutboxMessage.key.like(f"remind%:{round_id}:{person_id}"),
        )
        .limit(1)
    )
    return found is not None
