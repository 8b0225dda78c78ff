"""What a receiving office needs for one period: each of its communes, where its report
stands, and the figures of the approved version (what the chairman signed and the office got).

Read in one query so that a whole country (3,321 communes) compiles in seconds; the .docx bytes
of the approved versions are streamed separately, one at a time, for the .zip.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    COMMUNE_LEVEL_KINDS,
    DEFAULT_REPORT_KIND,
    Draft,
    DraftStatus,
    ReportingPeriod,
    ReportingRound,
    RoundStatus,
    Unit,
    UnitKind,
)
from storage.outbox import Delivery, delivery_of, office_deliveries
from storage.periods import window

REPORTED = (RoundStatus.APPROVED, RoundStatus.DELIVERED)


@dataclass(frozen=True)
class CommuneReport:
    unit_id: int
    code: str
    name: str
    kind: UnitKind
    status: RoundStatus | None  # None: no round was opened for this commune
    first_submitted_at: datetime | None  # when its first complete version went to the chairman
    approved_at: datetime | None
    number: str | None  # "05/BC-UBND"
    issued_on: date | None
    delivered_at: datetime | None
    draft_id: int | None  # the approved version
    answers: Mapping[str, Any] = field(default_factory=dict)  # the approved version's figures
    reported_on: date | None = None  # delivered (or, with no office chat, approved) that day
    on_time: bool | None = None  # None while neither reported nor past the deadline
    # Where the approved version's message to the office stands: delivered, waiting (queued or
    # retrying) or failed for good; None when no message was queued (no office to send to).
    delivery: Delivery | None = None

    @property
    def reported(self) -> bool:
        return self.draft_id is not None

    @property
    def late(self) -> bool:
        return self.on_time is False


@dataclass(frozen=True)
class Compilation:
    office: Unit
    period_code: str
    period_kind: str  # "quarter" | "half_year" | "year"
    year: int
    number: int
    deadline_on: date
    today: date
    communes: Sequence[CommuneReport]
    report_kind: str = DEFAULT_REPORT_KIND

    @property
    def expected(self) -> int:
        return len(self.communes)

    @property
    def submitted(self) -> int:
        return sum(1 for c in self.communes if c.first_submitted_at is not None)

    @property
    def approved(self) -> int:
        return sum(1 for c in self.communes if c.reported)

    @property
    def on_time(self) -> int:
        return sum(1 for c in self.communes if c.on_time is True)

    @property
    def late(self) -> int:
        return sum(1 for c in self.communes if c.on_time is False)

    @property
    def delivery_waiting(self) -> int:
        """Approved, and its message to the office is queued or retrying."""
        return sum(1 for c in self.communes if c.reported and c.delivery is Delivery.WAITING)

    @property
    def delivery_failed(self) -> int:
        """Approved, but Telegram refused its message to the office for good."""
        return sum(1 for c in self.communes if c.reported and c.delivery is Delivery.FAILED)

    @property
    def missing(self) -> list[CommuneReport]:
        """Communes whose report the office has not got."""
        return [c for c in self.communes if not c.reported]


class UnknownOffice(LookupError):
    pass


async def find_office(session: AsyncSession, code: str) -> Unit:
    office = await session.scalar(select(Unit).where(Unit.code == code))
    if office is None or office.kind is not UnitKind.OFFICE:
        raise UnknownOffice(f"no receiving office with code {code!r}")
    return office


async def compile_period(
    *,
    session: AsyncSession,
    office: Unit,
    period_code: str,
    today: date,
    zone: ZoneInfo,
    report_kind: str = DEFAULT_REPORT_KIND,
) -> Compilation:
    """Every commune of the office for a period, with its approved figures of `report_kind`
    where there are."""
    spec = window(period_code)
    period = await session.scalar(select(ReportingPeriod).where(ReportingPeriod.code == spec.code))
    deadline = period.deadline_on if period is not None and period.deadline_on else spec.deadline_on
    period_id = period.id if period is not None else -1
    first_version = (
        select(Draft.round_id, func.min(Draft.created_at).label("first_at"))
        .group_by(Draft.round_id)
        .subquery()
    )
    approved = (
        select(
            Draft.round_id,
            Draft.id,
            Draft.report,
            Draft.number,
            Draft.issued_on,
            Draft.decided_at,
            Draft.delivered_at,
        )
        .where(Draft.status == DraftStatus.APPROVED)
        .subquery()
    )
    sent = office_deliveries()
    rows = await session.execute(
        select(
            Unit.id,
            Unit.code,
            Unit.name,
            Unit.kind,
            ReportingRound.status,
            first_version.c.first_at,
            approved.c.id,
            approved.c.report,
            approved.c.number,
            approved.c.issued_on,
            approved.c.decided_at,
            approved.c.delivered_at,
            sent.c.status,
        )
        .outerjoin(
            ReportingRound,
            and_(
                ReportingRound.unit_id == Unit.id,
                ReportingRound.period_id == period_id,
                ReportingRound.kind == report_kind,
            ),
        )
        .outerjoin(first_version, first_version.c.round_id == ReportingRound.id)
        .outerjoin(approved, approved.c.round_id == ReportingRound.id)
        .outerjoin(sent, sent.c.draft_id == approved.c.id)
        .where(Unit.office_id == office.id, Unit.kind.in_(COMMUNE_LEVEL_KINDS))
        .order_by(Unit.code)
    )

    def local(moment: datetime | None) -> date | None:
        return moment.astimezone(zone).date() if moment is not None else None

    communes = []
    for (
        unit_id,
        code,
        name,
        kind,
        status,
        first_at,
        draft_id,
        report,
        number,
        issued_on,
        decided_at,
        delivered_at,
        sent_status,
    ) in rows:
        reported_on = local(delivered_at) or local(decided_at) if draft_id is not None else None
        if reported_on is not None:
            on_time: bool | None = reported_on <= deadline
        else:
            on_time = False if today > deadline else None
        communes.append(
            CommuneReport(
                unit_id=unit_id,
                code=code,
                name=name,
                kind=kind,
                status=status,
                first_submitted_at=first_at,
                approved_at=decided_at,
                number=number,
                issued_on=issued_on,
                delivered_at=delivered_at,
                draft_id=draft_id,
                answers=(report or {}).get("answers") or {},
                reported_on=reported_on,
                on_time=on_time,
                delivery=delivery_of(sent_status, delivered_at) if draft_id is not None else None,
            )
        )
    return Compilation(
        office=office,
        period_code=spec.code,
        period_kind=spec.kind.value,
        year=spec.year,
        number=spec.number,
        deadline_on=deadline,
        today=today,
        communes=communes,
        report_kind=report_kind,
    )


async def approved_documents(
    session: AsyncSession, draft_ids: Sequence[int], *, batch: int = 50
) -> AsyncIterator[tuple[int, bytes, bytes | None]]:
    """(version id, .docx, .pdf or None) of approved versions, a batch at a time: a country's
    reports are too many to hold in memory at once."""
    for start in range(0, len(draft_ids), batch):
        chunk = list(draft_ids[start : start + batch])
        rows = await session.execute(
            select(Draft.id, Draft.docx, Draft.pdf).where(Draft.id.in_(chunk)).order_by(Draft.id)
        )
        for draft_id, docx, pdf in rows:
            yield draft_id, docx, pdf
