"""What the calendar makes the bot do: open rounds, ask, remind, escalate, report the late.

`CalendarDuties.run(session, now)` queues what is due at `now` in the outbox, each message under
a key naming its event and person, so running it every few minutes, after a restart, or on two
instances at once queues each message once. Nothing here talks to Telegram.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.engine import Questionnaire
from conversations.outgoing import Action, Text, to_payload
from definitions.calendar import Calendar, Event, EventKind
from definitions.forms import Section
from storage.approval import IS_APPROVER, registered_people
from storage.duties import answering_people, commune_memberships, period_rounds, reminded
from storage.models import (
    DEFAULT_REPORT_KIND,
    OutboxMessage,
    PeriodKind,
    Person,
    ReportingPeriod,
    ReportingRound,
    Role,
    RoundStatus,
    Unit,
)
from storage.outbox import enqueue
from storage.periods import OpenedRounds, open_rounds
from storage.questionnaire import answers_of, section_assignments, submissions_of

logger = logging.getLogger(__name__)

# The questionnaire's "continue" button on prompts and reminders, with the round's report kind:
# "r:go:tthc" starts that kind's round. Bare "r:go" (sent before report kinds) is /baocao.
RESUME_CALLBACK = "r:go"
RESUME_PATTERN = re.compile(r"^r:go(?::([a-z0-9_-]{1,32}))?$")


def resume_callback(report_kind: str) -> str:
    return f"{RESUME_CALLBACK}:{report_kind}"


ANSWERING = (RoundStatus.OPEN, RoundStatus.RETURNED)


@dataclass(frozen=True)
class Workload:
    """One person's part of a round that is not handed in yet."""

    person: Person
    sections: tuple[Section, ...]
    answered: int  # questions of those sections already answered
    questions: int


class AtDeadline(Protocol):
    def __call__(
        self, session: AsyncSession, period_code: str, report_kind: str, /
    ) -> Awaitable[int]: ...


class CalendarDuties:
    def __init__(
        self,
        questionnaire: Questionnaire,
        calendar: Calendar,
        zone: ZoneInfo,
        *,
        at_deadline: AtDeadline | None = None,
        report_kind: str = DEFAULT_REPORT_KIND,
    ) -> None:
        self.questionnaire = questionnaire
        self.calendar = calendar
        self.zone = zone
        # One report kind's calendar: its rounds are the ones opened, reminded and chased here.
        self.report_kind = report_kind
        # The receiving office's compiled files, queued when the deadline has passed.
        self.at_deadline = at_deadline

    async def run(self, session: AsyncSession, now: datetime) -> Counter[str]:
        """Queue everything due at `now`; how many messages of each kind were queued now."""
        queued: Counter[str] = Counter()
        due = self.calendar.due(now, self.zone)
        for event in due:
            if event.kind is EventKind.OPEN:
                opened = await self.open(session, event.period)
                if opened.opened:
                    logger.info("Opened %s for %s commune(s)", event.period, len(opened.opened))
        # Reminders before prompts: someone who gets one (back after downtime, or newly
        # registered) does not also need the opening prompt.
        for event in sorted(due, key=lambda e: e.kind is not EventKind.REMIND):
            if event.kind is EventKind.OPEN:
                queued["prompt"] += await self.ask(session, event)
            elif event.kind is EventKind.REMIND:
                queued["reminder"] += await self.ask(session, event)
            elif event.kind is EventKind.ESCALATE_CHAIRMAN:
                queued["escalation"] += await self.escalate(session, event)
            else:
                queued["late"] += await self.report_late(session, event)
                if self.at_deadline is not None:
                    queued["compiled"] += await self.at_deadline(
                        session, event.period, self.report_kind
                    )
        return queued

    async def open(
        self, session: AsyncSession, code: str, unit_codes: Sequence[str] = ()
    ) -> OpenedRounds:
        spec = self.calendar.period(code)
        return await open_rounds(
            session=session,
            code=code,
            unit_codes=unit_codes,
            deadline_on=spec.deadline_on,
            actor_label="calendar",
            report_kind=self.report_kind,
        )

    async def ask(self, session: AsyncSession, event: Event) -> int:
        """The opening prompt or a reminder, to each person with something left."""
        queued = 0
        for round_, unit, period in await self._rounds(session, event.period, ANSWERING):
            for work in await self.workloads(session, round_, unit):
                if event.kind is EventKind.OPEN:
                    text = texts.round_prompt(
                        subject=self.questionnaire.form_of(self.report_kind).title,
                        unit=texts.unit_display_name(unit),
                        period=texts.period_label(period),
                        starts_on=period.starts_on,
                        closes_on=period.closes_on,
                        sections=[section.title for section in work.sections],
                    )
                else:
                    text = texts.reminder(
                        period=self.report_label(period),
                        closes_on=period.closes_on,
                        days_left=event.days_before,
                        sections=[section.title for section in work.sections],
                        answered=work.answered,
                        questions=work.questions,
                    )
                if event.kind is EventKind.OPEN and await reminded(
                    session=session,
                    purpose=EventKind.REMIND.value,
                    round_id=round_.id,
                    person_id=work.person.id,
                ):
                    continue
                button = texts.START_BUTTON if work.answered == 0 else texts.CONTINUE_BUTTON
                queued += await self._queue(
                    session,
                    f"{event.slot}:{round_.id}:{work.person.id}",
                    event.kind.value,
                    Text(text, ((Action(button, resume_callback(round_.kind)),),)),
                    person_id=work.person.id,
                )
        return queued

    async def escalate(self, session: AsyncSession, event: Event) -> int:
        """Closing day: each approver hears which sections of their commune are missing."""
        queued = 0
        for round_, unit, period in await self._rounds(session, event.period, ANSWERING):
            missing = await self.missing_sections(session, round_, unit)
            if not missing:
                continue
            for approver, _ in await registered_people(session, unit.id, IS_APPROVER):
                queued += await self._queue(
                    session,
                    f"{event.slot}:{round_.id}:{approver.id}",
                    event.kind.value,
                    Text(
                        texts.escalation(
                            unit=texts.unit_display_name(unit),
                            period=self.report_label(period),
                            missing=missing,
                        )
                    ),
                    person_id=approver.id,
                )
        return queued

    async def report_late(self, session: AsyncSession, event: Event) -> int:
        """After the deadline: each office hears which of its communes have not delivered."""
        late: dict[int, list[tuple[Unit, RoundStatus]]] = defaultdict(list)
        rounds = await self._rounds(session, event.period, None)
        for round_, unit, _ in rounds:
            if unit.office_id is not None and round_.status is not RoundStatus.DELIVERED:
                late[unit.office_id].append((unit, round_.status))
        queued = 0
        for office_id, units in late.items():
            period = rounds[0][2]
            queued += await self._queue(
                session,
                self._office_key(event, office_id),
                event.kind.value,
                Text(
                    texts.late_communes(
                        period=self.report_label(period),
                        deadline=period.deadline_on,
                        communes=[
                            (texts.unit_display_name(unit), texts.ROUND_STATUS_LABELS[status])
                            for unit, status in units
                        ],
                    )
                ),
                office_id=office_id,
            )
        return queued

    async def on_blocked(self, session: AsyncSession, row: OutboxMessage) -> None:
        """Telegram answered 403 for a person: note it and tell their commune's approvers."""
        if row.person_id is None:
            return
        person = await session.get(Person, row.person_id)
        if person is None:
            return
        person.blocked_bot_at = person.blocked_bot_at or row.sent_at or _now()
        memberships = await commune_memberships(session=session, person_id=person.id)
        day = _now().astimezone(self.zone).date().isoformat()
        for role, unit in memberships:
            for approver, _ in await registered_people(session, unit.id, IS_APPROVER):
                if approver.id == person.id:
                    continue
                await self._queue(
                    session,
                    f"blocked:{person.id}:{unit.id}:{approver.id}:{day}",
                    "blocked_person",
                    Text(
                        texts.blocked_person(
                            name=person.full_name, role=texts.role_in_unit(role, unit)
                        )
                    ),
                    person_id=approver.id,
                )

    # ----- who has what left ----------------------------------------------------------------

    async def workloads(
        self, session: AsyncSession, round_: ReportingRound, unit: Unit
    ) -> list[Workload]:
        """Registered people of the commune with sections not handed in, and their progress."""
        rows = await answering_people(session=session, unit_id=unit.id)
        roles: dict[int, set[Role]] = defaultdict(set)
        people: dict[int, Person] = {}
        for person, role in rows:
            roles[person.id].add(role)
            people[person.id] = person
        assignments = await section_assignments(session=session, unit_id=unit.id)
        submitted = set(await submissions_of(session=session, round_id=round_.id))
        answers = await answers_of(session=session, round_id=round_.id)
        kind = await self._kind_of(session, round_)
        found = []
        for person_id, person in people.items():
            sections = [
                section
                for section in self.questionnaire.sections_for(
                    person_id, frozenset(roles[person_id]), assignments, kind, round_.kind
                )
                if section.code not in submitted
            ]
            if not sections:
                continue
            codes = [q.code for section in sections for q in section.questions]
            found.append(
                Workload(
                    person=person,
                    sections=tuple(sections),
                    answered=sum(1 for code in codes if code in answers),
                    questions=len(codes),
                )
            )
        return found

    async def missing_sections(
        self, session: AsyncSession, round_: ReportingRound, unit: Unit
    ) -> list[tuple[str, str]]:
        """(section title, who answers it) for each section not handed in."""
        submitted = set(await submissions_of(session=session, round_id=round_.id))
        owners: dict[str, list[str]] = defaultdict(list)
        for work in await self.workloads(session, round_, unit):
            for section in work.sections:
                owners[section.code].append(work.person.full_name)
        kind = await self._kind_of(session, round_)
        return [
            (section.title, ", ".join(owners.get(section.code, [])))
            for section in self.questionnaire.form_of(round_.kind).asked_in(kind)
            if section.code not in submitted
        ]

    def report_label(self, period: ReportingPeriod) -> str:
        """'CCHC quý IV năm 2026': this duty's report kind and the period."""
        return texts.report_label(self.questionnaire.kind_name(self.report_kind), period)

    @staticmethod
    async def _kind_of(session: AsyncSession, round_: ReportingRound) -> PeriodKind:
        period = await session.get(ReportingPeriod, round_.period_id)
        assert period is not None
        return period.kind

    # ----- queries ----------------------------------------------------------------------------

    def _office_key(self, event: Event, office_id: int) -> str:
        """The late-communes notice to an office, once per event and kind (CCHC's key is the
        one it had before report kinds, so an upgrade never sends it again)."""
        key = f"{event.slot}:{event.period}:office:{office_id}"
        return key if self.report_kind == DEFAULT_REPORT_KIND else f"{key}:{self.report_kind}"

    async def _rounds(
        self, session: AsyncSession, code: str, statuses: Sequence[RoundStatus] | None
    ) -> list[tuple[ReportingRound, Unit, ReportingPeriod]]:
        """The period's rounds of this duty's report kind."""
        return await period_rounds(
            session=session, period_code=code, report_kind=self.report_kind, statuses=statuses
        )

    @staticmethod
    async def _queue(
        session: AsyncSession,
        key: str,
        purpose: str,
        item: Text,
        *,
        person_id: int | None = None,
        office_id: int | None = None,
    ) -> int:
        queued = await enqueue(
            session=session,
            key=key,
            purpose=purpose,
            payload=to_payload(item),
            person_id=person_id,
            office_id=office_id,
        )
        return 1 if queued else 0


def _now() -> datetime:
    return datetime.now(UTC)
