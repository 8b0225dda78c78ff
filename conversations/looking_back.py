"""What an officer sees once their commune's report is approved and nothing is open: the
report's number and date, where it went, and the approved figures of their sections."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.approval import SIGNER_TITLES
from conversations.forms import Section
from conversations.values import display
from report_templates.preview import pack_messages
from storage.approved import ApprovedReport, latest_approved
from storage.models import Person, Role
from storage.questionnaire import answering_roles, section_assignments

SectionsFor = Callable[[int, frozenset[Any], dict[str, set[int]], str], list[Section]]


async def approved_for(session: AsyncSession, person: Person) -> ApprovedReport | None:
    """The latest approved report of the communes where the person answers."""
    roles = await answering_roles(session=session, person_id=person.id)
    return await latest_approved(session=session, unit_ids=list(roles))


def approved_status(report: ApprovedReport) -> str:
    """/baocao with nothing open: the report is approved, its number, where it is."""
    approver = None
    if report.approver is not None:
        title = SIGNER_TITLES.get(str(report.draft.report.get("signer_role")), "")
        approver = f"{title} {report.approver.full_name}".strip()
    return texts.approved_status(
        unit=texts.unit_display_name(report.unit),
        period=texts.period_label(report.period),
        number=report.draft.number,
        issued_on=report.draft.issued_on,
        approver=approver,
        office=None if report.office is None else report.office.name,
        delivery=None if report.delivery is None else report.delivery.value,
    )


async def approved_figures(
    session: AsyncSession,
    person: Person,
    report: ApprovedReport,
    *,
    sections_for: SectionsFor,
) -> list[str]:
    """/xem with nothing open: the figures of the person's sections as the approved version
    has them (what the chairman signed), under the report's status."""
    roles = (await answering_roles(session=session, person_id=person.id)).get(
        report.unit.id, frozenset({Role.OFFICER})
    )
    assignments = await section_assignments(session=session, unit_id=report.unit.id)
    sections = sections_for(person.id, roles, assignments, report.period.kind)
    answers: dict[str, Any] = report.draft.report.get("answers", {})
    parts: list[Sequence[str]] = [[approved_status(report) + "\n\n"]]
    parts.append([texts.approved_figures_header(texts.period_label(report.period)) + "\n"])
    for section in sections:
        shown = [
            f"• {question.title}: {display(question, answers[question.code])}\n"
            for question in section.questions
            if question.code in answers
        ]
        if shown:
            parts.append([f"\n{section.title}\n", *shown])
    return [message.rstrip("\n") for message in pack_messages(parts)]
