"""What an officer sees once their commune's report is approved and nothing is open: the
report's number and date, where it went, and the approved figures of their sections."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.approval import SIGNER_TITLES
from definitions.forms import Section
from definitions.values import display
from report_templates.preview import pack_messages
from storage.approved import ApprovedReport, latest_approved
from storage.models import PeriodKind, Person, Role
from storage.questionnaire import answering_roles, section_assignments

SectionsFor = Callable[[int, frozenset[Any], dict[str, set[int]], str, str], list[Section]]


async def approved_for(
    session: AsyncSession, person: Person, *, sections_for: SectionsFor, kinds: Collection[str]
) -> ApprovedReport | None:
    """The latest approved report of the communes where the person answers, of a report kind
    (of `kinds`, those served) where they answer some section."""
    roles = await answering_roles(session=session, person_id=person.id)
    theirs: set[str] = set()
    for unit_id, unit_roles in roles.items():
        assignments = await section_assignments(session=session, unit_id=unit_id)
        theirs.update(
            kind
            for kind in kinds
            if sections_for(person.id, unit_roles, assignments, PeriodKind.QUARTER, kind)
        )
    return await latest_approved(session=session, unit_ids=list(roles), report_kinds=theirs)


def approved_status(report: ApprovedReport, kind_name: str) -> str:
    """/baocao with nothing open: the report is approved, its number, where it is
    (`kind_name`: its kind's short name, "CCHC")."""
    approver = None
    if report.approver is not None:
        title = SIGNER_TITLES.get(str(report.draft.report.get("signer_role")), "")
        approver = f"{title} {report.approver.full_name}".strip()
    return texts.approved_status(
        unit=texts.unit_display_name(report.unit),
        period=texts.report_label(kind_name, report.period),
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
    kind_name: str,
    *,
    sections_for: SectionsFor,
) -> list[str]:
    """/xem with nothing open: the figures of the person's sections as the approved version
    has them (what the chairman signed), under the report's status."""
    roles = (await answering_roles(session=session, person_id=person.id)).get(
        report.unit.id, frozenset({Role.OFFICER})
    )
    assignments = await section_assignments(session=session, unit_id=report.unit.id)
    sections = sections_for(person.id, roles, assignments, report.period.kind, report.round.kind)
    answers: dict[str, Any] = report.draft.report.get("answers", {})
    parts: list[Sequence[str]] = [[approved_status(report, kind_name) + "\n\n"]]
    label = texts.report_label(kind_name, report.period)
    parts.append([texts.approved_figures_header(label) + "\n"])
    for section in sections:
        shown = [
            f"• {question.title}: {display(question, answers[question.code])}\n"
            for question in section.questions
            if question.code in answers
        ]
        if shown:
            parts.append([f"\n{section.title}\n", *shown])
    return [message.rstrip("\n") for message in pack_messages(parts)]
