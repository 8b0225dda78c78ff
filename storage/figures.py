"""A commune's figures for a period: the answers of a quarter, or the quarters of a six-month
or annual window added up (Decree 09/2019: H1 is Q1 + Q2, the year Q1 to Q4).

A quarter's figures are those of its approved version when there is one (what the chairman
signed and the office received), otherwise the answers as they stand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    DEFAULT_REPORT_KIND,
    Draft,
    DraftStatus,
    PeriodKind,
    ReportingPeriod,
    ReportingRound,
)
from storage.periods import window
from storage.questionnaire import answers_in_period


def quarters_of(code: str) -> tuple[str, ...]:
    """The quarter codes whose figures make up a period: itself for a quarter."""
    spec = window(code)
    if spec.kind is PeriodKind.QUARTER:
        return (spec.code,)
    last = 2 if spec.kind is PeriodKind.HALF_YEAR else 4
    return tuple(f"{spec.year}-Q{number}" for number in range(1, last + 1))


@dataclass(frozen=True)
class QuarterFigures:
    code: str  # "2026-Q1"
    answers: Mapping[str, Any]  # empty when the quarter was never reported
    number: str | None  # "03/BC-UBND" when taken from the approved version

    @property
    def reported(self) -> bool:
        return bool(self.answers)


async def quarter_figures(
    *, session: AsyncSession, unit_id: int, code: str, report_kind: str = DEFAULT_REPORT_KIND
) -> QuarterFigures:
    approved = (
        await session.execute(
            select(Draft.report, Draft.number)
            .join(ReportingRound, ReportingRound.id == Draft.round_id)
            .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
            .where(
                ReportingRound.unit_id == unit_id,
                ReportingRound.kind == report_kind,
                ReportingPeriod.code == code,
                Draft.status == DraftStatus.APPROVED,
            )
        )
    ).first()
    if approved is not None:
        report, number = approved
        return QuarterFigures(code=code, answers=dict(report.get("answers") or {}), number=number)
    answers = await answers_in_period(
        session=session, unit_id=unit_id, period_code=code, report_kind=report_kind
    )
    return QuarterFigures(code=code, answers=answers, number=None)


async def window_figures(
    *, session: AsyncSession, unit_id: int, code: str, report_kind: str = DEFAULT_REPORT_KIND
) -> tuple[QuarterFigures, ...]:
    return tuple(
        [
            await quarter_figures(
                session=session, unit_id=unit_id, code=quarter, report_kind=report_kind
            )
            for quarter in quarters_of(code)
        ]
    )
