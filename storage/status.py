"""Where each commune's report for a period stands: for `baocao round status` and the office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    COMMUNE_LEVEL_KINDS,
    DEFAULT_REPORT_KIND,
    Draft,
    DraftStatus,
    ReportingPeriod,
    ReportingRound,
    RoundStatus,
    SectionSubmission,
    Unit,
)
from storage.outbox import Delivery, delivery_of, office_deliveries


@dataclass(frozen=True)
class RoundStanding:
    unit_code: str
    unit_name: str
    status: RoundStatus
    sections_submitted: int
    approved_on: date | None
    number: str | None
    delivered_on: date | None
    # The approved version's message to the office: delivered, waiting or failed for good.
    delivery: Delivery | None
    late: bool  # not delivered by the deadline (or delivered after it)


async def period_standing(
    *,
    session: AsyncSession,
    code: str,
    today: date,
    zone: ZoneInfo,
    report_kind: str = DEFAULT_REPORT_KIND,
) -> tuple[ReportingPeriod | None, list[RoundStanding]]:
    """Each commune's round of one report kind in the period, where it stands."""
    period = await session.scalar(select(ReportingPeriod).where(ReportingPeriod.code == code))
    if period is None:
        return None, []
    submitted = (
        select(SectionSubmission.round_id, func.count().label("sections"))
        .group_by(SectionSubmission.round_id)
        .subquery()
    )
    approved = (
        select(Draft.round_id, Draft.id, Draft.decided_at, Draft.number, Draft.delivered_at)
        .where(Draft.status == DraftStatus.APPROVED)
        .subquery()
    )
    sent = office_deliveries()
    rows = await session.execute(
        select(ReportingRound, Unit, submitted.c.sections, approved, sent.c.status)
        .join(Unit, Unit.id == ReportingRound.unit_id)
        .outerjoin(submitted, submitted.c.round_id == ReportingRound.id)
        .outerjoin(approved, approved.c.round_id == ReportingRound.id)
        .outerjoin(sent, sent.c.draft_id == approved.c.id)
        .where(
            ReportingRound.period_id == period.id,
            ReportingRound.kind == report_kind,
            Unit.kind.in_(COMMUNE_LEVEL_KINDS),
        )
        .order_by(Unit.code)
    )

    def local(moment: datetime | None) -> date | None:
        return moment.astimezone(zone).date() if moment is not None else None

    standings = []
    for round_, unit, sections, _, draft_id, decided_at, number, delivered_at, sent_status in rows:
        delivered_on = local(delivered_at)
        deadline = period.deadline_on
        if delivered_on is not None:
            late = deadline is not None and delivered_on > deadline
        else:
            late = deadline is not None and today > deadline
        standings.append(
            RoundStanding(
                unit_code=unit.code,
                unit_name=unit.name,
                status=round_.status,
                sections_submitted=int(sections or 0),
                approved_on=local(decided_at),
                number=number,
                delivered_on=delivered_on,
                delivery=delivery_of(sent_status, delivered_at) if draft_id is not None else None,
                late=late,
            )
        )
    return period, standings
