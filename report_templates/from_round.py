"""The composer's input for a stored round: its answers, last period's, the signer."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from definitions.forms import Form, load_form
from report_templates.compose import ReportInput, draft_date_for
from storage.approval import round_in_place
from storage.figures import window_figures
from storage.models import (
    DEFAULT_REPORT_KIND,
    Membership,
    PeriodKind,
    Person,
    Role,
    Unit,
)
from storage.periods import previous_code, window
from storage.questionnaire import answers_in_period, answers_of
from wording.units import KIND_LABELS


async def report_input_for_round(
    *,
    session: AsyncSession,
    round_id: int,
    signer_role: Role = Role.CHAIRMAN,
    form: Form | None = None,
    today: date | None = None,
) -> ReportInput:
    """Everything the report needs from one round; the signer is the unit's chairman (or
    vice-chairman) as imported, left blank when there is none yet. A draft is dated today, or
    the period's deadline once that has passed."""
    found = await round_in_place(session=session, round_id=round_id)
    if found is None:
        raise LookupError(f"round {round_id} does not exist")
    round_, unit, period = found
    office = await session.get(Unit, unit.office_id) if unit.office_id is not None else None
    signer = await session.scalar(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.unit_id == unit.id, Membership.role == signer_role)
        .order_by(Membership.id)
        .limit(1)
    )
    answers = {
        code: answer.value.get("value")
        for code, answer in (await answers_of(session=session, round_id=round_.id)).items()
    }
    form = form or load_form()
    if period.kind is not PeriodKind.QUARTER:
        # A six-month or annual report: the figures are its quarters' added up; only the
        # narrative was asked afresh, and it wins over anything carried.
        quarters = await window_figures(
            session=session, unit_id=unit.id, code=period.code, report_kind=round_.kind
        )
        answers = {**form.combine([quarter.answers for quarter in quarters]), **answers}
    previous = await figures_of_period(
        session=session,
        form=form,
        unit_id=unit.id,
        code=previous_code(period.code),
        report_kind=round_.kind,
    )
    return ReportInput(
        unit_kind_label=KIND_LABELS[unit.kind],
        unit_name=unit.name,
        period_kind=period.kind.value,
        period_year=period.year,
        period_number=period.number,
        answers=answers,
        previous=previous or None,
        signer_name=signer.full_name if signer is not None else "",
        signer_role=signer_role.value,
        receiving_office=office.name if office is not None else "",
        draft_date=draft_date_for(period.deadline_on or window(period.code).deadline_on, today),
        recipients=tuple(unit.recipients or ()),
    )


async def figures_of_period(
    *,
    session: AsyncSession,
    form: Form,
    unit_id: int,
    code: str,
    report_kind: str = DEFAULT_REPORT_KIND,
) -> dict[str, Any]:
    """A period's figures of `report_kind` as reported: a quarter's (approved version first),
    or a six-month or annual window's quarters combined, plus that round's own narrative."""
    quarters = await window_figures(
        session=session, unit_id=unit_id, code=code, report_kind=report_kind
    )
    if len(quarters) == 1:
        return dict(quarters[0].answers)
    own = await answers_in_period(
        session=session, unit_id=unit_id, period_code=code, report_kind=report_kind
    )
    return {**form.combine([quarter.answers for quarter in quarters]), **own}


def report_to_json(report: ReportInput) -> dict[str, Any]:
    """The composer's input as JSON, to freeze a version in the database."""
    data = dataclasses.asdict(report)
    for key in ("issued_on", "draft_date"):
        data[key] = data[key].isoformat() if data[key] is not None else None
    data["recipients"] = list(report.recipients)  # as the JSON column gives it back
    return data


def report_from_json(data: dict[str, Any], **changes: Any) -> ReportInput:
    """A frozen version back as composer input, with `changes` (number, signer...) applied.
    A key that versions frozen earlier lack (recipients) takes its default."""
    values = dict(data)
    for key in ("issued_on", "draft_date"):
        if values.get(key) is not None:
            values[key] = date.fromisoformat(values[key])
    if "recipients" in values:
        values["recipients"] = tuple(values["recipients"] or ())  # JSON keeps a list
    values.update(changes)
    return ReportInput(**values)
