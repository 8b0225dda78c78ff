"""The receiving office's desk: progress (/tiendo), reminding the late, and the compiled files
(/tonghop, the deadline, `baocao compile`); and who is told when a message, above all a report
to the office, failed for good. No Telegram in here.

An office sees only the communes whose `office_code` names it, and only their approved versions'
figures: what each chairman signed.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.duties import ANSWERING, CalendarDuties, resume_callback
from conversations.outgoing import (
    Action,
    CompiledFile,
    CompiledPart,
    Keyboard,
    Outcome,
    Picture,
    Text,
    to_payload,
)
from report_templates.compiled import (
    add_to_zip,
    commune_label,
    compiled_names,
    compiled_xlsx,
    office_summary,
    timeliness_label,
)
from report_templates.docx_writer import docx_bytes
from report_templates.draft import KindBundle
from report_templates.kinds import ReportKinds
from report_templates.preview import pack_messages
from report_templates.progress_chart import Standing, progress_png
from storage import audit
from storage.approval import IS_APPROVER, registered_people
from storage.compilation import CommuneReport, Compilation, approved_documents, compile_period
from storage.invitations import Registration
from storage.models import (
    DEFAULT_REPORT_KIND,
    DraftStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Person,
    ReportingPeriod,
    ReportingRound,
    Role,
    RoundStatus,
    Unit,
)
from storage.offices import admins as office_admins
from storage.offices import (
    approved_count,
    commune_rounds,
    draft_with_commune,
    kinds_in_period,
    offices_with_rounds,
    units_with_registered,
)
from storage.offices import latest_period as latest_period_of
from storage.offices import offices_of as offices_of_person
from storage.outbox import Delivery, enqueue
from storage.periods import PeriodCodeError, find_period, previous_code, window
from wording.folding import fold
from wording.periods import period_words

logger = logging.getLogger(__name__)

CALLBACK_PREFIX = "o:"
# The office's remind button: the period and the report kind ("o:rem:7:tthc"); a button sent
# before report kinds has no kind and was CCHC's.
REMIND_PATTERN = re.compile(r"^o:rem:(\d{1,12})(?::([a-z0-9_-]{1,32}))?$")
OFFICE_ARGUMENT_LIMIT = 60  # "tthc 2026-Q4" with room for a long kind code; longer is neither
# Where the office's files go, asked of staff who joined from a private chat: the office, the
# chat they went to when asked (a press after it changed is old), keep it or move them here.
DELIVERY_CHAT_PATTERN = re.compile(r"^o:chat:(\d{1,12}):(-?\d{1,20}):(keep|move)$")
PARTS: tuple[CompiledPart, ...] = ("xlsx", "docx", "zip")
PROGRESS_LINES = 150  # communes listed by /tiendo; a province has up to a few hundred
FAILURE_NOTICE = "failure_notice"  # the purpose of a notice that a message failed for good


@dataclass(frozen=True)
class CompiledFiles:
    compilation: Compilation
    xlsx: bytes
    docx: bytes
    reports_zipped: int
    names: dict[str, str]


class OfficeDesk:
    def __init__(
        self,
        kinds: Mapping[str, KindBundle] | KindBundle,
        *,
        zone: ZoneInfo,
        duties: Mapping[str, CalendarDuties] | CalendarDuties | None = None,
    ) -> None:
        # Each report kind's form, layout and names by code: a compilation is of one kind.
        self.kinds = ReportKinds([kinds] if isinstance(kinds, KindBundle) else kinds.values())
        self.zone = zone
        # Each kind's calendar duties, which know who has what left to answer.
        self.duties: dict[str, CalendarDuties] = (
            {duties.report_kind: duties}
            if isinstance(duties, CalendarDuties)
            else dict(duties or {})
        )

    # ----- the compiled files -----------------------------------------------------------------

    async def gather(
        self,
        session: AsyncSession,
        office: Unit,
        period_code: str,
        now: datetime,
        report_kind: str = DEFAULT_REPORT_KIND,
    ) -> Compilation:
        return await compile_period(
            session=session,
            office=office,
            period_code=period_code,
            today=now.astimezone(self.zone).date(),
            zone=self.zone,
            report_kind=report_kind,
        )

    def kind_of(self, compilation: Compilation) -> KindBundle:
        """The compilation's report kind; KeyError for a kind not loaded."""
        return self.kinds[compilation.report_kind]

    def report_label(self, compilation: Compilation) -> str:
        """'CCHC quý IV năm 2026': the compilation's kind and period."""
        label = period_words(compilation.period_kind, compilation.year, compilation.number)
        return f"{self.kind_of(compilation).short_name} {label}"

    async def build(
        self,
        session: AsyncSession,
        office: Unit,
        period_code: str,
        *,
        now: datetime,
        zip_out: IO[bytes],
        report_kind: str = DEFAULT_REPORT_KIND,
    ) -> CompiledFiles:
        """The spreadsheet and the summary in memory; the communes' reports into `zip_out`."""
        compilation = await self.gather(session, office, period_code, now, report_kind)
        xlsx = await asyncio.to_thread(self.xlsx, compilation, now)
        docx = await self.summary_docx(session, compilation, now)
        zipped = await self.write_zip(session, compilation, zip_out)
        return CompiledFiles(
            compilation=compilation,
            xlsx=xlsx,
            docx=docx,
            reports_zipped=zipped,
            names=compiled_names(compilation, self.kind_of(compilation).names),
        )

    def xlsx(self, compilation: Compilation, now: datetime) -> bytes:
        form = self.kind_of(compilation).form
        return compiled_xlsx(compilation, form, made_at=now, zone=self.zone)

    async def summary_docx(
        self, session: AsyncSession, compilation: Compilation, now: datetime
    ) -> bytes:
        office = compilation.office
        kind = self.kind_of(compilation)
        parent = await session.get(Unit, office.parent_id) if office.parent_id else None
        # Compared with the previous period only when it was opened: a period that never
        # was has no figures, and "everything went up" would not be true.
        before = previous_code(compilation.period_code)
        previous = (
            await self.gather(session, office, before, now, compilation.report_kind)
            if await find_period(session=session, code=before) is not None
            else None
        )
        document = office_summary(
            compilation,
            kind.form,
            parent=parent,
            today=now.astimezone(self.zone).date(),
            previous=previous,
            names=kind.names,
        )
        # Writing files is CPU work: off the event loop, so the bot keeps answering meanwhile.
        return await asyncio.to_thread(docx_bytes, document, layout=kind.layout)

    async def write_zip(
        self, session: AsyncSession, compilation: Compilation, out: IO[bytes]
    ) -> int:
        prefix = self.kind_of(compilation).file_prefix
        reported = {c.draft_id: c for c in compilation.communes if c.draft_id is not None}
        with zipfile.ZipFile(out, "w") as archive:
            async for draft_id, docx, pdf in approved_documents(session, list(reported)):
                add_to_zip(archive, compilation, reported[draft_id], docx, pdf, prefix)
        return len(reported)

    async def part(
        self, session: AsyncSession, item: CompiledFile, now: datetime
    ) -> tuple[str, bytes]:
        """One compiled file for the sender: its name and bytes (the Bot API client holds a
        whole upload in memory anyway; Telegram takes up to 50 MB from a bot)."""
        office = await session.get(Unit, item.office_id)
        if office is None:
            raise LookupError(f"office {item.office_id} does not exist")
        compilation = await self.gather(session, office, item.period_code, now, item.report_kind)
        name = compiled_names(compilation, self.kind_of(compilation).names)[item.part]
        if item.part == "xlsx":
            return name, await asyncio.to_thread(self.xlsx, compilation, now)
        if item.part == "docx":
            return name, await self.summary_docx(session, compilation, now)
        buffer = io.BytesIO()
        await self.write_zip(session, compilation, buffer)
        return name, buffer.getvalue()

    def files_for(self, compilation: Compilation) -> tuple[Text | CompiledFile, ...]:
        """The message and the three files an office gets for a period."""
        caption = texts.compiled_caption(
            office=compilation.office.name,
            period=self.report_label(compilation),
            approved=compilation.approved,
            expected=compilation.expected,
        )
        items: list[Text | CompiledFile] = [Text(caption)]
        for part in PARTS:
            if part == "zip" and compilation.approved == 0:
                continue  # an empty .zip helps nobody
            items.append(
                CompiledFile(
                    office_id=compilation.office.id,
                    period_code=compilation.period_code,
                    part=part,
                    caption=texts.COMPILED_PART_CAPTIONS[part],
                    report_kind=compilation.report_kind,
                )
            )
        return tuple(items)

    # ----- who is asking, and for which period -------------------------------------------------

    @staticmethod
    async def offices_of(session: AsyncSession, person: Person) -> list[Unit]:
        return await offices_of_person(session=session, person_id=person.id)

    async def office_for(
        self, session: AsyncSession, person: Person, group_chat_id: int | None
    ) -> Unit | None:
        """In a group: the person's office whose registered group it is, else None (an office's
        figures are not for any other group). In a private chat: the person's office."""
        offices = await self.offices_of(session, person)
        if group_chat_id is not None:
            return next((o for o in offices if o.telegram_chat_id == group_chat_id), None)
        return offices[0] if offices else None

    @staticmethod
    async def latest_period(session: AsyncSession, office: Unit) -> str | None:
        """The period most recently closing among the rounds of the office's communes; of a
        quarter and a half year closing together, the quarter."""
        period = await latest_period_of(session=session, office_id=office.id)
        return period.code if period is not None else None

    async def resolve(
        self, session: AsyncSession, person: Person, group_chat_id: int | None, argument: str
    ) -> tuple[Unit, str, list[str]] | Outcome | None:
        """The office, the period and the report kinds asked about ("/tiendo tthc 2026-Q3",
        either part optional); an answer to give instead; or None for someone who works for no
        receiving office. Without a kind: each kind the office's communes have rounds of in the
        period, in the settings' order."""
        office = await self.office_for(session, person, group_chat_id)
        if office is None:
            return None
        named_kinds: list[str] = []
        named_periods: list[str] = []
        for word in argument.split():
            kind = self._kind_named(word)
            if kind is not None:
                named_kinds.append(kind)
            else:
                named_periods.append(word)
        if len(named_periods) > 1:
            return Outcome.say(self.bad_argument())
        if named_periods:
            try:
                code = window(named_periods[0]).code
            except PeriodCodeError:
                return Outcome.say(self.bad_argument())
        else:
            latest = await self.latest_period(session, office)
            if latest is None:
                return Outcome.say(texts.NO_PERIOD_YET)
            code = latest
        if not named_kinds:
            present = await kinds_in_period(session=session, office_id=office.id, period_code=code)
            named_kinds = [kind for kind in self.kinds if kind in present] or [
                self.kinds.default.code
            ]
        return office, code, list(dict.fromkeys(named_kinds))

    def _kind_named(self, word: str) -> str | None:
        """The loaded kind a word names, by code or short name ("tthc", "TTHC")."""
        folded = fold(word)
        return next(
            (
                code
                for code, kind in self.kinds.items()
                if folded in (fold(code), fold(kind.short_name))
            ),
            None,
        )

    def bad_argument(self) -> str:
        """What to say to words that are neither a period nor a kind this desk serves."""
        if len(self.kinds) == 1:
            return texts.BAD_PERIOD_CODE
        return texts.bad_office_argument([kind.short_name for kind in self.kinds.values()])

    # ----- /tiendo and /tonghop ---------------------------------------------------------------

    async def progress(
        self,
        session: AsyncSession,
        *,
        person: Person,
        group_chat_id: int | None,
        argument: str,
        now: datetime,
    ) -> Outcome | None:
        """Who has reported, who is late, with a button to remind those who have not, for each
        report kind asked about; None for someone who works for no receiving office."""
        found = await self._compilations_for(session, person, group_chat_id, argument, now)
        if not isinstance(found, list):
            return found
        items: list[Text | Picture] = []
        for compilation in found:
            items.extend(await self._progress_of(session, compilation))
        return Outcome(items=tuple(items))

    async def _progress_of(
        self, session: AsyncSession, compilation: Compilation
    ) -> list[Text | Picture]:
        header = texts.office_progress_header(
            office=compilation.office.name,
            period=self.report_label(compilation),
            deadline=compilation.deadline_on,
            expected=compilation.expected,
            approved=compilation.approved,
            on_time=compilation.on_time,
        )
        if compilation.delivery_waiting or compilation.delivery_failed:
            header += "\n" + texts.office_progress_delivery(
                waiting=compilation.delivery_waiting, failed=compilation.delivery_failed
            )
        # Those still to report first, then reports that have not reached the office: that is
        # what the office acts on. A chat is no place for a thousand lines; the spreadsheet has
        # them all.
        ordered = sorted(compilation.communes, key=lambda c: (_progress_rank(c), c.code))
        lines = [f"{_progress_line(c)}\n" for c in ordered[:PROGRESS_LINES]]
        if len(ordered) > PROGRESS_LINES:
            lines.append(texts.more_communes(len(ordered) - PROGRESS_LINES))
        messages = pack_messages([[header + "\n\n"], lines])
        buttons: Keyboard = ()
        period = await find_period(session=session, code=compilation.period_code)
        if compilation.missing and period is not None:
            data = f"o:rem:{period.id}:{compilation.report_kind}"
            buttons = ((Action(texts.REMIND_BUTTON, data),),)
        items: list[Text | Picture] = [Text(message.rstrip("\n")) for message in messages]
        items[-1] = Text(messages[-1].rstrip("\n"), buttons)
        # The picture first: what a clerk reads at a glance, then the list to act on.
        return [await self.progress_picture(session, compilation), *items]

    async def standings(self, session: AsyncSession, compilation: Compilation) -> Counter[Standing]:
        """How many communes stand where; "nobody registered" is a report that waits on
        people none of whom is on the bot (those who answer the form while answering, its
        approvers while awaiting approval)."""
        office_id = compilation.office.id
        # The roles the form's sections go to (officers, in the packaged form): a commune
        # whose only registered person is its chairman has nobody to answer them.
        form = self.kind_of(compilation).form
        answering = {Role(role) for section in form.sections for role in section.answered_by}
        can_answer = await units_with_registered(
            session=session, office_id=office_id, who=Membership.role.in_(answering)
        )
        can_approve = await units_with_registered(
            session=session, office_id=office_id, who=IS_APPROVER
        )
        return Counter(
            _standing(
                commune,
                can_answer=commune.unit_id in can_answer,
                can_approve=commune.unit_id in can_approve,
            )
            for commune in compilation.communes
        )

    async def progress_picture(self, session: AsyncSession, compilation: Compilation) -> Picture:
        label = self.report_label(compilation)
        counts = await self.standings(session, compilation)
        title = texts.progress_picture_title(period=label)
        subtitle = texts.progress_picture_subtitle(
            office=compilation.office.name,
            approved=compilation.approved,
            expected=compilation.expected,
            deadline=compilation.deadline_on,
            overdue=compilation.today > compilation.deadline_on and bool(compilation.missing),
        )
        # Drawing is CPU work: off the event loop, so the bot keeps answering meanwhile.
        png = await asyncio.to_thread(progress_png, counts, title=title, subtitle=subtitle)
        return Picture(
            png,
            filename=(
                f"tien-do_{compilation.report_kind}_{compilation.period_code}_"
                f"{compilation.office.code}.png"
            ),
            caption=texts.progress_picture_caption(
                office=compilation.office.name,
                period=label,
                approved=compilation.approved,
                expected=compilation.expected,
            ),
        )

    async def compiled(
        self,
        session: AsyncSession,
        *,
        person: Person,
        group_chat_id: int | None,
        argument: str,
        now: datetime,
    ) -> Outcome | None:
        """/tonghop: the summary line and the three files of each report kind asked about,
        built as they are sent."""
        found = await self._compilations_for(session, person, group_chat_id, argument, now)
        if not isinstance(found, list):
            return found
        return Outcome(items=tuple(item for c in found for item in self.files_for(c)))

    async def _compilations_for(
        self,
        session: AsyncSession,
        person: Person,
        group_chat_id: int | None,
        argument: str,
        now: datetime,
    ) -> list[Compilation] | Outcome | None:
        resolved = await self.resolve(session, person, group_chat_id, argument)
        if resolved is None or isinstance(resolved, Outcome):
            return resolved
        office, code, kinds = resolved
        compilations = [await self.gather(session, office, code, now, kind) for kind in kinds]
        if not compilations[0].communes:  # the same communes whatever the kind
            return Outcome.say(texts.OFFICE_HAS_NO_COMMUNES)
        return compilations

    # ----- reminding the late -----------------------------------------------------------------

    async def remind(
        self,
        session: AsyncSession,
        *,
        person: Person,
        period_id: int,
        now: datetime,
        report_kind: str = DEFAULT_REPORT_KIND,
    ) -> Outcome:
        """The office's button: remind, once a day, everyone whose part of a late report is
        not done (officers with sections left; approvers with a version awaiting them); and
        name the communes where nobody registered on the bot could be reminded, with whom the
        office can ask instead."""
        period = await session.get(ReportingPeriod, period_id)
        offices = await self.offices_of(session, person)
        if period is None or not offices:
            return Outcome.refused(texts.NOT_YOUR_BUTTON)
        today = now.astimezone(self.zone).date()
        people = 0
        communes = 0
        already_reminded = 0
        unreachable: list[str] = []
        admins: list[str] | None = None  # looked up once, when some commune needs them
        for office in offices:
            rounds = await commune_rounds(
                session=session, office_id=office.id, period_id=period.id, report_kind=report_kind
            )
            for round_, unit in rounds:
                sent, reachable = await self._remind_round(
                    session, round_, unit, period, today.isoformat()
                )
                people += sent
                communes += 1 if sent else 0
                if reachable and not sent:
                    already_reminded += 1
                elif not reachable and self._waits_on_people(round_):
                    if admins is None:
                        admins = [admin.full_name for admin in await office_admins(session=session)]
                    unreachable.append(await self._whom_to_ask(session, round_, unit, admins))
        if people:
            await audit.record(
                session=session,
                action="office.reminded",
                entity_type="period",
                entity_id=period.id,
                actor_person_id=person.id,
                details={"people": people, "communes": communes},
            )
        if not unreachable:
            if people == 0:
                return Outcome.refused(texts.NOTHING_TO_REMIND)
            return Outcome.say(texts.reminded(people=people, communes=communes))
        if people:
            head = texts.reminded(people=people, communes=communes)
        elif already_reminded:
            head = texts.NOBODY_REMINDED_TODAY
        else:
            head = texts.NOBODY_REMINDED
        return Outcome.say(f"{head}\n\n{texts.nobody_to_remind(unreachable)}")

    async def remind_latest(
        self, session: AsyncSession, *, person: Person, now: datetime
    ) -> Outcome | None:
        """The remind button typed (on Zalo, «nhắc»): for the office's latest period, each
        report kind its communes have rounds of; None for someone who works for no office."""
        resolved = await self.resolve(session, person, None, "")
        if resolved is None or isinstance(resolved, Outcome):
            return resolved
        _, code, kinds = resolved
        period = await find_period(session=session, code=code)
        if period is None:
            return Outcome.say(texts.NO_PERIOD_YET)
        outcomes = [
            await self.remind(
                session, person=person, period_id=period.id, now=now, report_kind=kind
            )
            for kind in kinds
        ]
        said = [outcome for outcome in outcomes if outcome.accepted]
        if not said:
            return outcomes[0]
        return Outcome(items=tuple(item for outcome in said for item in outcome.items))

    async def _remind_round(
        self,
        session: AsyncSession,
        round_: ReportingRound,
        unit: Unit,
        period: ReportingPeriod,
        day: str,
    ) -> tuple[int, int]:
        """Queue today's reminders for one commune's round: (reminders queued now, people it
        has to remind, those reminded earlier today included)."""
        deadline = period.deadline_on or window(period.code).deadline_on
        name = texts.unit_display_name(unit)
        label = texts.report_label(self.kinds.short_name(round_.kind), period)
        queued = 0
        reachable = 0
        duties = self.duties.get(round_.kind)
        if round_.status in ANSWERING and duties is not None:
            for work in await duties.workloads(session, round_, unit):
                reachable += 1
                text = texts.office_reminder(
                    unit=name,
                    period=label,
                    deadline=deadline,
                    sections=[section.title for section in work.sections],
                )
                button = texts.START_BUTTON if work.answered == 0 else texts.CONTINUE_BUTTON
                queued += await _queue(
                    session,
                    f"officeremind:{day}:{round_.id}:{work.person.id}",
                    Text(text, ((Action(button, resume_callback(round_.kind)),),)),
                    work.person,
                )
        elif round_.status is RoundStatus.SUBMITTED:
            for approver, _ in await registered_people(session, unit.id, IS_APPROVER):
                reachable += 1
                text = texts.office_reminder_approver(unit=name, period=label, deadline=deadline)
                queued += await _queue(
                    session, f"officeremind:{day}:{round_.id}:{approver.id}", Text(text), approver
                )
        return queued, reachable

    def _waits_on_people(self, round_: ReportingRound) -> bool:
        """The round waits on its officers (when this desk can tell who they are) or on its
        approvers."""
        if round_.status in ANSWERING:
            return round_.kind in self.duties
        return round_.status is RoundStatus.SUBMITTED

    @staticmethod
    async def _whom_to_ask(
        session: AsyncSession, round_: ReportingRound, unit: Unit, admins: list[str]
    ) -> str:
        """One line for a commune whose report waits on people not registered on the bot:
        the commune's registered approver when it waits on its officers, else the
        administrators, who send invitations."""
        name = texts.unit_display_name(unit)
        if round_.status is RoundStatus.SUBMITTED:
            return texts.no_approver_registered(unit=name, admins=admins)
        approvers = await registered_people(session, unit.id, IS_APPROVER)
        if approvers:
            approver, role = approvers[0]
            return texts.no_officer_registered(
                unit=name, approver=approver.full_name, role=role, admins=admins
            )
        return texts.nobody_registered(unit=name, admins=admins)

    # ----- where the office's files go ------------------------------------------------------------

    @staticmethod
    def delivery_chat_question(registration: Registration) -> Text:
        """Asked of office staff who registered in a private chat while the office's reports
        and files go to another chat (its group): keep them there, or move them here?"""
        kept = registration.delivery_chat_kept
        assert kept is not None
        data = f"o:chat:{registration.unit.id}:{kept}"
        return Text(
            texts.delivery_chat_question(
                office=texts.unit_display_name(registration.unit), group=kept < 0
            ),
            (
                (
                    Action(texts.KEEP_DELIVERY_CHAT_BUTTON, f"{data}:keep"),
                    Action(texts.MOVE_DELIVERY_CHAT_BUTTON, f"{data}:move"),
                ),
            ),
        )

    async def choose_delivery_chat(
        self,
        session: AsyncSession,
        *,
        person: Person,
        office_id: int,
        asked_about: int,
        move: bool,
        now: datetime,
    ) -> Outcome:
        """The answer to `delivery_chat_question`, pressed in the person's private chat. A
        move is told to the chat the files leave, so the group knows where they went."""
        office = next(
            (o for o in await self.offices_of(session, person) if o.id == office_id), None
        )
        here = person.telegram_user_id
        if office is None or here is None:
            return Outcome.refused(texts.NOT_YOUR_BUTTON)
        name = texts.unit_display_name(office)
        if office.telegram_chat_id == here:
            return Outcome.say(texts.delivery_chat_moved_here(office=name), drop_keyboard=True)
        if office.telegram_chat_id != asked_about:
            return Outcome.refused(texts.OLD_BUTTON)
        if not move:
            return Outcome.say(
                texts.delivery_chat_kept(office=name, group=asked_about < 0), drop_keyboard=True
            )
        office.telegram_chat_id = here
        await audit.record(
            session=session,
            action="office.chat_moved",
            entity_type="unit",
            entity_id=office.id,
            actor_person_id=person.id,
            details={"from_chat": asked_about, "to_chat": here},
        )
        # To the chat itself, not to the office (whose chat is now this person's).
        await enqueue(
            session=session,
            key=f"chatmoved:{office.id}:{asked_about}:{here}:{now.isoformat()}",
            purpose="office_chat_moved",
            payload=to_payload(
                Text(texts.delivery_chat_moved_away(office=name, person=person.full_name))
            ),
            chat_id=asked_about,
        )
        return Outcome.say(texts.delivery_chat_moved_here(office=name), drop_keyboard=True)

    # ----- at the deadline --------------------------------------------------------------------

    async def deliver_at_deadline(
        self, session: AsyncSession, period_code: str, report_kind: str = DEFAULT_REPORT_KIND
    ) -> int:
        """Queue each office's compiled files of one report kind for the period, once (keyed by
        office, part and kind; CCHC's keys are those it had before report kinds, so an upgrade
        never sends them again)."""
        offices = await offices_with_rounds(
            session=session, period_code=period_code, report_kind=report_kind
        )
        queued = 0
        for office in offices:
            approved = await approved_count(
                session=session,
                office_id=office.id,
                period_code=period_code,
                report_kind=report_kind,
            )
            for part in PARTS:
                if part == "zip" and not approved:
                    continue  # an empty .zip helps nobody
                item = CompiledFile(
                    office_id=office.id,
                    period_code=period_code,
                    part=part,
                    caption=texts.COMPILED_PART_CAPTIONS[part],
                    report_kind=report_kind,
                )
                key = f"compiled:{period_code}:office:{office.id}:{part}"
                queued += await enqueue(
                    session=session,
                    key=key if report_kind == DEFAULT_REPORT_KIND else f"{key}:{report_kind}",
                    purpose="compiled",
                    payload=to_payload(item),
                    office_id=office.id,
                )
        return queued

    # ----- a message that failed for good -----------------------------------------------------

    async def delivery_failed(self, session: AsyncSession, row: OutboxMessage) -> int:
        """Telegram refused a message for good: tell the administrators (with the command that
        sends it again) and, for a report, the approver who signed it; through the outbox,
        each administrator once per message and the approver once per report. Returns how
        many notices were queued.

        Called in the transaction that marks the row FAILED or BLOCKED. A person who blocked
        the bot is their chairman's business (CalendarDuties.on_blocked), not the admins'.
        """
        if row.purpose == FAILURE_NOTICE:
            logger.error(
                "A notice of a failed message failed too (%s): %s", row.key, row.last_error
            )
            return 0
        if row.status is OutboxStatus.BLOCKED and row.office_id is None:
            return 0
        what, approver = await self._failed_what(session, row)
        where = await _failed_where(session, row)
        error = row.last_error or "?"
        # Nobody is told in the chat that just refused the message.
        admins = [
            person
            for person in await office_admins(session=session)
            if not _refused_by(row, person)
        ]
        queued = 0
        for admin in admins:
            text = texts.delivery_failed_to_admin(
                message_id=row.id, what=what, where=where, error=error
            )
            queued += await _queue(
                session, f"failed:{row.id}:{admin.id}", Text(text), admin, FAILURE_NOTICE
            )
        if not admins:
            logger.error(
                "Message %s (%s) failed for good and no administrator is registered on the bot "
                "to tell; see `baocao outbox list`, then `baocao outbox retry %s`",
                row.id,
                row.key,
                row.id,
            )
        if (
            approver is not None
            and not _refused_by(row, approver)
            and approver.id not in {admin.id for admin in admins}
        ):
            text = texts.delivery_failed_to_approver(
                what=what, where=where, admins_told=bool(admins)
            )
            # Once per report, though its .docx and its .pdf may both fail.
            key = f"failed:draft:{row.draft_id}:{approver.id}"
            queued += await _queue(session, key, Text(text), approver, FAILURE_NOTICE)
        return queued

    async def _failed_what(
        self, session: AsyncSession, row: OutboxMessage
    ) -> tuple[str, Person | None]:
        """What the failed message was, in words, and who approved it when it was a report."""
        if row.draft_id is not None:
            found = await draft_with_commune(session=session, draft_id=row.draft_id)
            if found is not None:
                draft, unit, period, report_kind = found
                what = texts.failed_report(
                    period=texts.report_label(self.kinds.short_name(report_kind), period),
                    unit=texts.unit_display_name(unit),
                    number=draft.number,
                )
                approver = (
                    await session.get(Person, draft.decided_by_person_id)
                    if draft.status is DraftStatus.APPROVED and draft.decided_by_person_id
                    else None
                )
                return what, approver
        if "compiled" in row.payload:
            return texts.FAILED_COMPILED_FILE, None
        return texts.FAILED_MESSAGE, None


def _refused_by(row: OutboxMessage, person: Person) -> bool:
    """Whether the failed message was the person's own (they are not told in the chat that
    refused it)."""
    if row.office_id is not None:
        return False
    return row.person_id == person.id or (
        row.chat_id is not None and row.chat_id == person.telegram_user_id
    )


async def _queue(
    session: AsyncSession, key: str, item: Text, person: Person, purpose: str = "office_reminder"
) -> int:
    # To the person, wherever they are when it goes (the outbox asks).
    return int(
        await enqueue(
            session=session,
            key=key,
            purpose=purpose,
            payload=to_payload(item),
            person_id=person.id,
        )
    )


def _standing(commune: CommuneReport, *, can_answer: bool, can_approve: bool) -> Standing:
    if commune.reported:
        return Standing.LATE if commune.on_time is False else Standing.ON_TIME
    if commune.status is None:
        return Standing.NOT_OPENED
    if commune.status is RoundStatus.SUBMITTED:
        return Standing.AWAITING_APPROVAL if can_approve else Standing.NOBODY_REGISTERED
    return Standing.ANSWERING if can_answer else Standing.NOBODY_REGISTERED


def _progress_rank(commune: CommuneReport) -> int:
    if not commune.reported:
        return 0
    if commune.delivery is Delivery.FAILED:
        return 1
    if commune.delivery is Delivery.WAITING:
        return 2
    return 3


def _progress_line(commune: CommuneReport) -> str:
    name = commune_label(commune)
    if commune.reported and commune.delivery in (Delivery.FAILED, Delivery.WAITING):
        # Approved, but the office's chat has not got it: say so, and claim no "on time".
        failed = commune.delivery is Delivery.FAILED
        approved = f", duyệt {commune.reported_on:%d/%m}" if commune.reported_on else ""
        return texts.office_progress_line(
            mark="⚠️" if failed else "📤",
            name=name,
            detail=f"số {commune.number}{approved}, "
            + (texts.DELIVERY_FAILED if failed else texts.DELIVERY_WAITING),
        )
    if commune.reported:
        when = f"{commune.reported_on:%d/%m}" if commune.reported_on else ""
        detail = f"số {commune.number}, {when}".rstrip(", ")
        mark = "✅" if commune.on_time is not False else "🟡"
        return texts.office_progress_line(
            mark=mark, name=name, detail=f"{detail} ({timeliness_label(commune).lower()})"
        )
    status = (
        texts.ROUND_STATUS_LABELS[commune.status]
        if commune.status is not None
        else "chưa mở kỳ báo cáo"
    )
    mark = "❌" if commune.on_time is False else "⏳"
    return texts.office_progress_line(mark=mark, name=name, detail=status)


async def _failed_where(session: AsyncSession, row: OutboxMessage) -> str:
    if row.office_id is not None:
        office = await session.get(Unit, row.office_id)
        if office is not None:
            return texts.unit_display_name(office)
    if row.person_id is not None:
        person = await session.get(Person, row.person_id)
        if person is not None:
            return person.full_name
    return f"cuộc trò chuyện {row.chat_id}"
