"""A commune's latest approved report, as its officers look back at it once nothing is open."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Draft,
    DraftStatus,
    Person,
    ReportingPeriod,
    ReportingRound,
    Unit,
)
from storage.outbox import Delivery, delivery_of, office_deliveries


@dataclass(frozen=True)
class ApprovedReport:
    draft: Draft
    round: ReportingRound
    unit: Unit
    period: ReportingPeriod
    approver: Person | None
    office: Unit | None
    delivery: Delivery | None  # None: no message to an office was queued


async def latest_approved(
    *, session: AsyncSession, unit_ids: Collection[int], report_kinds: Collection[str]
) -> ApprovedReport | None:
    """The approved version of the latest period approved in these communes, of these report
    kinds (of two closing the same day, the one approved last), or None."""
    if not unit_ids or not report_kinds:
        return None
    deliveries = office_deliveries()
    row = (
        await session.execute(
            select(Draft, ReportingRound, Unit, ReportingPeriod, deliveries.c.status)
            .join(ReportingRound, ReportingRound.id == Draft.round_id)
            .join(Unit, Unit.id == ReportingRound.unit_id)
            .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
            .outerjoin(deliveries, deliveries.c.draft_id == Draft.id)
            .where(
                Draft.status == DraftStatus.APPROVED,
                ReportingRound.unit_id.in_(unit_ids),
                ReportingRound.kind.in_(report_kinds),
            )
            .order_by(ReportingPeriod.closes_on.desc(), Draft.decided_at.desc(), Draft.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    draft, round_, unit, period, status = row
    approver = (
        await session.get(Person, draft.decided_by_person_id)
        if draft.decided_by_person_id is not None
        else None
    )
    office = await session.get(Unit, unit.office_id) if unit.office_id is not None else None
    return ApprovedReport(
        draft=draft,
        round=round_,
        unit=unit,
        period=period,
        approver=approver,
        office=office,
        delivery=delivery_of(status, draft.delivered_at),
    )
