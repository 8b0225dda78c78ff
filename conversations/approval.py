"""From a complete round to a signed report at the receiving office, with no Telegram in it.

A round whose sections are all in becomes a draft version, sent to the commune's chairman and
vice-chairmen. One of them approves it or returns it with a comment; the clerk (if the commune
has one on the bot) gives the number, else the unit's register does; then the final file goes to
the receiving office. Every message for someone other than the person acting is written to the
outbox in the same transaction as the decision, so nothing decided is lost or sent twice.

Callback data is `a:<draft id>:<action>`; the draft id names the version, so a tap on an older
version's button is recognised.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import recipients, texts
from conversations.forms import Form
from conversations.outgoing import Action, Item, Outcome, ReportFile, Text, to_payload
from conversations.parsing import clean_text
from conversations.values import display
from report_templates.compiled import report_filename
from report_templates.compose import ReportInput, TemplateSet, compose
from report_templates.docx_writer import Layout, docx_bytes
from report_templates.from_round import report_from_json, report_input_for_round, report_to_json
from report_templates.preview import TELEGRAM_LIMIT, pack_messages, preview_messages
from storage import audit
from storage.approval import (
    IS_APPROVER,
    approvers_of,
    approving_roles,
    ask_next_message,
    drafts_of,
    highest_number,
    latest_draft,
    latest_rounds,
    memberships_of,
    newest_awaiting_decision,
    newest_awaiting_number,
    number_used,
    registered_people,
    reopen_sections,
    reports_received,
    roles_in,
    round_of_draft,
    submitters,
    text_asked_of_account,
)
from storage.contacts import on_zalo
from storage.models import (
    DocumentNumber,
    Draft,
    DraftStatus,
    Membership,
    OutboxMessage,
    PendingInput,
    PendingInputKind,
    Person,
    ReportingPeriod,
    ReportingRound,
    Role,
    RoundStatus,
    Unit,
    utc_now,
)
from storage.outbox import enqueue
from storage.questionnaire import lock_round
from wording.units import KIND_LABELS

logger = logging.getLogger(__name__)

CALLBACK_PREFIX = "a:"
CALLBACK_PATTERN = re.compile(r"^a:(\d{1,12}):(ok|ret|data|get|ack|num|typ)$")
MEMBER_ROLES = (Role.OFFICER, Role.CHAIRMAN, Role.VICE_CHAIRMAN, Role.CLERK)
# The roles whose next message may be asked for: a return comment or the recipients list
# (approvers), a document number (clerks and approvers).
ASKED_FOR_TEXT = (Role.CHAIRMAN, Role.VICE_CHAIRMAN, Role.CLERK)
DOCUMENT_SYMBOL = "BC-UBND"  # a People's Committee's report (Decree 30/2020, Annex III)
SIGNER_TITLES = {"chairman": "Chủ tịch", "vice_chairman": "Phó Chủ tịch"}
HISTORY_ROUNDS = 3
HISTORY_RECEIVED = 20  # an office's latest reports shown by /lichsu
# How long the approver's confirmation waits in the outbox for the reply to go first: past the
# reply's own retries (bot/handlers/common.py), so the copy goes only when the reply did not.
REPLY_GRACE = timedelta(seconds=60)
_NUMBER = re.compile(r"^\s*(\d{1,4})\s*(?:/\s*BC\s*-\s*UBND)?\s*$", re.IGNORECASE)


def callback(draft_id: int, action: str) -> str:
    return f"{CALLBACK_PREFIX}{draft_id}:{action}"


@dataclass(frozen=True)
class _Case:
    """A version with its round, commune and period, as most decisions need them together."""

    draft: Draft
    round: ReportingRound
    unit: Unit
    period: ReportingPeriod

    @property
    def unit_label(self) -> str:
        return texts.unit_display_name(self.unit)

    @property
    def period_label(self) -> str:
        return texts.period_label(self.period)

    def filename(self, fmt: str = "docx") -> str:
        """ASCII and named by commune and period: an office folder sorts, any phone opens it."""
        tail = (
            f"so{self.draft.number.split('/')[0]}"
            if self.draft.number
            else f"v{self.draft.version}"
        )
        return report_filename(
            period_code=self.period.code,
            unit_code=self.unit.code,
            unit_name=self.unit.name,
            tail=tail,
            fmt=fmt,
        )


class ApprovalWorkflow:
    def __init__(
        self,
        form: Form,
        *,
        templates: TemplateSet,
        layout: Layout,
        timezone: ZoneInfo,
        pdf_available: bool = False,
    ) -> None:
        self.form = form
        self.templates = templates
        self.layout = layout
        self.timezone = timezone
        self.pdf_available = pdf_available

    # ----- a round complete: a new version for the approvers ---------------------------------

    async def on_round_submitted(
        self, session: AsyncSession, round_id: int, person_id: int
    ) -> None:
        """Make a version from the round's answers and queue it for the approvers.

        Called in the transaction that submitted the last section. A resubmission that changed
        nothing keeps the version the approvers already have.
        """
        round_ = await lock_round(session=session, round_id=round_id)
        approvers = await registered_people(session, round_.unit_id, IS_APPROVER)
        report = await report_input_for_round(
            session=session, round_id=round_id, form=self.form, today=self._today()
        )
        if approvers:  # the draft shows who is expected to sign; the approver's name replaces it
            signer, role = approvers[0]
            report = dataclasses.replace(
                report, signer_name=signer.full_name, signer_role=role.value
            )
        frozen = report_to_json(report)
        latest = await latest_draft(session=session, round_id=round_id)
        if latest is not None and latest.status is DraftStatus.AWAITING:
            if _same_figures(latest.report, frozen):
                return
            latest.status = DraftStatus.SUPERSEDED
            await audit.record(
                session=session,
                action="draft.superseded",
                entity_type="draft",
                entity_id=latest.id,
                actor_person_id=person_id,
                details={"version": latest.version},
            )
        document = compose(report, templates=self.templates, form=self.form)
        preview = preview_messages(document)
        draft = Draft(
            round_id=round_id,
            version=(latest.version + 1) if latest is not None else 1,
            status=DraftStatus.AWAITING,
            report=frozen,
            preview_text="\n\n".join(preview),
            docx=docx_bytes(document, layout=self.layout),
            created_by_person_id=person_id,
        )
        session.add(draft)
        await session.flush()
        await audit.record(
            session=session,
            action="draft.created",
            entity_type="draft",
            entity_id=draft.id,
            actor_person_id=person_id,
            details={"round_id": round_id, "version": draft.version},
        )
        case = await self._case(session, draft)
        if case is None:
            raise LookupError(f"draft {draft.id} lost its round")
        if not approvers:
            logger.warning(
                "Round %s is complete but no approver of its unit is registered", round_id
            )
        for person, _role in approvers:
            await self._queue_for_approver(session, case, person, preview)

    async def _queue_for_approver(
        self, session: AsyncSession, case: _Case, person: Person, preview: list[str]
    ) -> None:
        labels = {"unit": case.unit_label, "period": case.period_label}
        items: list[Item] = [Text(texts.draft_intro(**labels, version=case.draft.version))]
        items.extend(Text(part) for part in preview)
        items.append(
            ReportFile(
                draft_id=case.draft.id,
                format="docx",
                filename=case.filename(),
                caption=texts.draft_caption(**labels, version=case.draft.version),
                buttons=self.decision_buttons(case.draft.id),
            )
        )
        for index, item in enumerate(items):
            await self._queue(
                session,
                f"draft:{case.draft.id}:approver:{person.id}:{index}",
                "draft_to_approver",
                item,
                person=person,
                draft_id=case.draft.id,
            )

    @staticmethod
    def decision_buttons(draft_id: int) -> tuple[tuple[Action, ...], ...]:
        return (
            (
                Action(texts.APPROVE_BUTTON, callback(draft_id, "ok")),
                Action(texts.RETURN_BUTTON, callback(draft_id, "ret")),
            ),
            (Action(texts.VIEW_DATA_BUTTON, callback(draft_id, "data")),),
        )

    @staticmethod
    def number_buttons(draft_id: int, next_number: int) -> tuple[tuple[Action, ...], ...]:
        """The clerk's choice: the register's next number, or one typed."""
        return (
            (
                Action(texts.use_number_button(next_number), callback(draft_id, "num")),
                Action(texts.TYPE_NUMBER_BUTTON, callback(draft_id, "typ")),
            ),
        )

    # ----- buttons ---------------------------------------------------------------------------

    async def press(
        self, session: AsyncSession, *, person: Person, draft_id: int, action: str
    ) -> Outcome:
        """Act on an approval, clerk, office or history button, if this person may."""
        draft = await session.get(Draft, draft_id)
        case = await self._case(session, draft) if draft is not None else None
        if case is None:
            return Outcome.refused(texts.OLD_BUTTON)
        if action in ("ok", "ret"):
            return await self._decide(session, person, case, approve=action == "ok")
        if action in ("num", "typ"):
            return await self._clerk(session, person, case, type_it=action == "typ")
        if action == "ack":
            return await self._acknowledge(session, person, case)
        if not await self._may_see(session, person, case):
            return Outcome.refused(texts.NOT_ALLOWED_TO_SEE)
        if action == "data":
            return Outcome(items=tuple(Text(part) for part in self._figures(case)))
        return Outcome(
            items=(
                ReportFile(
                    draft_id=case.draft.id,
                    format="docx",
                    filename=case.filename(),
                    caption=texts.version_caption(
                        unit=case.unit_label,
                        period=case.period_label,
                        version=case.draft.version,
                        status=case.draft.status.value,
                    ),
                ),
            )
        )

    async def _decide(
        self, session: AsyncSession, person: Person, case: _Case, *, approve: bool
    ) -> Outcome:
        role = await self._approver_role(session, person.id, case.unit.id)
        if role is None:
            return Outcome.refused(await self._not_approver(session, person, case))
        # Two approvers at once: the round row is locked, and the state read again after.
        round_ = await lock_round(session=session, round_id=case.round.id)
        await session.refresh(case.draft)
        refusal = await self._why_not_decidable(session, case.draft, round_)
        if refusal is not None:
            return Outcome.refused(refusal)
        if not approve:
            await ask_next_message(
                session=session,
                person_id=person.id,
                draft_id=case.draft.id,
                kind=PendingInputKind.RETURN_COMMENT,
            )
            return Outcome.say(texts.ASK_RETURN_COMMENT)
        draft = case.draft
        draft.status = DraftStatus.APPROVED
        draft.decided_at = utc_now()
        draft.decided_by_person_id = person.id
        draft.report = {**draft.report, "signer_name": person.full_name, "signer_role": role.value}
        round_.status = RoundStatus.APPROVED
        await session.flush()
        await audit.record(
            session=session,
            action="round.approved",
            entity_type="round",
            entity_id=round_.id,
            actor_person_id=person.id,
            details={"draft_id": draft.id, "version": draft.version, "role": role.value},
        )
        # Another approver's pending comment stays: when it arrives it is told this was approved.
        clerks = await registered_people(session, case.unit.id, Membership.role == Role.CLERK)
        if clerks:
            next_number = await self._next_number(session, case.unit.id)
            for clerk, _ in clerks:
                await self._queue(
                    session,
                    f"draft:{draft.id}:clerk:{clerk.id}",
                    "number_request",
                    Text(
                        texts.ask_clerk_number(
                            approver=f"{SIGNER_TITLES[role.value]} {person.full_name}",
                            unit=case.unit_label,
                            period=case.period_label,
                            next_number=next_number,
                        ),
                        self.number_buttons(draft.id, next_number),
                    ),
                    person=clerk,
                    draft_id=draft.id,
                )
            return Outcome.say(
                texts.approved_waiting_for_clerk([clerk.full_name for clerk, _ in clerks]),
                drop_keyboard=True,
            )
        told = await self._number_and_send(session, case, number=None, by=person)
        return Outcome(
            items=(Text(told),),
            drop_keyboard=True,
            saved_as=_decider_note_key(draft.id, person.id),
        )

    async def _not_approver(self, session: AsyncSession, person: Person, case: _Case) -> str:
        """Why this person may not decide, naming who may: to the commune's own people (a
        vice-chairman who does not sign must know whom to turn to); to anyone else, no names."""
        roles = await roles_in(session, person.id, case.unit.id)
        if not roles & set(MEMBER_ROLES):
            return texts.NOT_APPROVER
        approvers = await approvers_of(session=session, unit_id=case.unit.id)
        ordered = sorted(approvers, key=lambda row: row[1] is not Role.CHAIRMAN)
        return texts.not_approver(
            unit=case.unit_label,
            approvers=[(SIGNER_TITLES[role.value], name) for name, role in ordered],
            unassigned_vice=Role.VICE_CHAIRMAN in roles,
        )

    async def _why_not_decidable(
        self, session: AsyncSession, draft: Draft, round_: ReportingRound
    ) -> str | None:
        if draft.status is DraftStatus.APPROVED:
            return texts.ALREADY_APPROVED
        if draft.status is DraftStatus.RETURNED:
            return texts.ALREADY_RETURNED
        latest = await latest_draft(session=session, round_id=round_.id)
        if latest is not None and latest.id != draft.id:
            if latest.status is DraftStatus.APPROVED:
                return texts.ALREADY_APPROVED
            return texts.old_version(draft.version, latest.version)
        if round_.status is not RoundStatus.SUBMITTED:
            return texts.ROUND_REOPENED
        return None

    # ----- what the person types next --------------------------------------------------------

    async def take_text(
        self, session: AsyncSession, *, person: Person, text: str
    ) -> Outcome | None:
        """Read a message as a return comment, a document number or the unit's recipients
        (/noinhan), if one was asked for."""
        pending = await session.get(PendingInput, person.id)
        if pending is None:
            return None
        if pending.kind is PendingInputKind.RECIPIENTS:
            return await recipients.take_text(session, person=person, pending=pending, text=text)
        draft = await session.get(Draft, pending.draft_id) if pending.draft_id is not None else None
        case = await self._case(session, draft) if draft is not None else None
        if case is None:
            await session.delete(pending)
            return None
        if pending.kind is PendingInputKind.RETURN_COMMENT:
            return await self._return(session, person, case, text, pending)
        return await self._typed_number(session, person, case, text, pending)

    async def cancel(self, session: AsyncSession, *, person: Person) -> Outcome | None:
        """/huy while a comment or number is asked for: forget the question."""
        pending = await session.get(PendingInput, person.id)
        if pending is None:
            return None
        await session.delete(pending)
        return Outcome.say(texts.INPUT_CANCELLED)

    @staticmethod
    async def awaiting_decision(session: AsyncSession, *, person: Person) -> int | None:
        """The id of the newest draft waiting for this person's decision (they approve for its
        commune), for a channel without buttons where "duyệt" names no draft; None if none."""
        return await newest_awaiting_decision(session=session, person_id=person.id)

    @staticmethod
    async def awaiting_number(session: AsyncSession, *, person: Person) -> int | None:
        """The id of the newest approved version waiting for a number from this clerk, for a
        channel without buttons where "dùng số" names no version; None if none."""
        return await newest_awaiting_number(session=session, person_id=person.id)

    @staticmethod
    async def waiting_for(session: AsyncSession, *, person: Person) -> bool:
        """Whether the person's next message is a comment or number asked for."""
        return await session.get(PendingInput, person.id) is not None

    @staticmethod
    async def waiting_for_text(session: AsyncSession, *, telegram_user_id: int) -> bool:
        """Whether this account's next message is a comment or number asked for (one query, as
        it runs before every typed answer)."""
        return await text_asked_of_account(session=session, telegram_user_id=telegram_user_id)

    async def _return(
        self, session: AsyncSession, person: Person, case: _Case, text: str, pending: PendingInput
    ) -> Outcome:
        comment = clean_text(text)
        if not any(ch.isalnum() for ch in comment):
            return Outcome.say(texts.RETURN_COMMENT_EMPTY)
        if len(comment) > texts.RETURN_COMMENT_MAX:
            return Outcome.say(texts.RETURN_COMMENT_TOO_LONG)
        role = await self._approver_role(session, person.id, case.unit.id)
        round_ = await lock_round(session=session, round_id=case.round.id)
        await session.refresh(case.draft)
        refusal = (
            await self._not_approver(session, person, case)
            if role is None
            else await self._why_not_decidable(session, case.draft, round_)
        )
        await session.delete(pending)
        if refusal is not None:
            return Outcome.say(refusal)
        draft = case.draft
        draft.status = DraftStatus.RETURNED
        draft.comment = comment
        draft.decided_at = utc_now()
        draft.decided_by_person_id = person.id
        round_.status = RoundStatus.RETURNED
        handed_in = await submitters(session=session, round_id=round_.id)
        # Every section opens again; the officers' review shows "Gửi báo cáo" once more.
        await reopen_sections(session=session, round_id=round_.id)
        await audit.record(
            session=session,
            action="round.returned",
            entity_type="round",
            entity_id=round_.id,
            actor_person_id=person.id,
            details={"draft_id": draft.id, "version": draft.version, "comment": comment},
        )
        assert role is not None
        title = SIGNER_TITLES[role.value]
        told = []
        for officer in handed_in:
            queued = await self._queue(
                session,
                f"draft:{draft.id}:returned:{officer.id}",
                "returned_to_officer",
                Text(
                    texts.returned_to_officer(
                        approver=f"{title} {person.full_name}",
                        unit=case.unit_label,
                        period=case.period_label,
                        version=draft.version,
                        comment=comment,
                    )
                ),
                person=officer,
                draft_id=draft.id,
            )
            if queued:
                told.append(officer.full_name)
        return Outcome.say(texts.returned_done(told))

    # ----- numbering and delivery ------------------------------------------------------------

    async def _clerk(
        self, session: AsyncSession, person: Person, case: _Case, *, type_it: bool
    ) -> Outcome:
        if Role.CLERK not in await roles_in(session, person.id, case.unit.id):
            return Outcome.refused(texts.NOT_CLERK)
        refusal = self._why_not_numberable(case.draft)
        if refusal is not None:
            return Outcome.refused(refusal)
        if type_it:
            await ask_next_message(
                session=session,
                person_id=person.id,
                draft_id=case.draft.id,
                kind=PendingInputKind.DOCUMENT_NUMBER,
            )
            return Outcome.say(texts.ASK_NUMBER)
        await lock_round(session=session, round_id=case.round.id)
        await session.refresh(case.draft)
        refusal = self._why_not_numberable(case.draft)
        if refusal is not None:
            return Outcome.refused(refusal)
        told = await self._number_and_send(session, case, number=None, by=person)
        # A clerk who also approved it: the confirmation's held-back copy is theirs to settle.
        key = _decider_note_key(case.draft.id, person.id)
        return Outcome(items=(Text(told),), drop_keyboard=True, saved_as=key)

    async def _typed_number(
        self, session: AsyncSession, person: Person, case: _Case, text: str, pending: PendingInput
    ) -> Outcome:
        match = _NUMBER.match(text)
        number = int(match.group(1)) if match else 0
        if not 1 <= number <= 9999:
            return Outcome.say(texts.NUMBER_NOT_VALID)
        await lock_round(session=session, round_id=case.round.id)
        await session.refresh(case.draft)
        refusal = (
            texts.NOT_CLERK
            if Role.CLERK not in await roles_in(session, person.id, case.unit.id)
            else self._why_not_numberable(case.draft)
        )
        if refusal is not None:
            await session.delete(pending)
            return Outcome.say(refusal)
        year = self._today().year
        if await number_used(session=session, unit_id=case.unit.id, year=year, number=number):
            return Outcome.say(texts.number_taken(number, year))
        await session.delete(pending)
        told = await self._number_and_send(session, case, number=number, by=person)
        return Outcome(items=(Text(told),), saved_as=_decider_note_key(case.draft.id, person.id))

    @staticmethod
    def _why_not_numberable(draft: Draft) -> str | None:
        if draft.number is not None:
            return texts.already_numbered(draft.number)
        if draft.status is not DraftStatus.APPROVED:
            return texts.OLD_BUTTON
        return None

    async def _number_and_send(
        self, session: AsyncSession, case: _Case, *, number: int | None, by: Person
    ) -> str:
        """Give the approved version its number and date, make the final file, queue it out.

        Returns what to tell `by`, who gave the number (approver or clerk), straight away.
        """
        draft = case.draft
        issued_on = self._today()
        if number is None:
            number = await self._next_number(session, case.unit.id, issued_on.year)
        session.add(
            DocumentNumber(
                unit_id=case.unit.id,
                year=issued_on.year,
                number=number,
                draft_id=draft.id,
                assigned_by_person_id=by.id,
            )
        )
        draft.number = f"{number:02d}/{DOCUMENT_SYMBOL}"
        draft.issued_on = issued_on
        final = report_from_json(draft.report, number=str(number), issued_on=issued_on)
        document = compose(final, templates=self.templates, form=self.form)
        draft.docx = docx_bytes(document, layout=self.layout)
        draft.pdf = None
        draft.preview_text = "\n\n".join(preview_messages(document))
        await session.flush()
        await audit.record(
            session=session,
            action="draft.numbered",
            entity_type="draft",
            entity_id=draft.id,
            actor_person_id=by.id,
            details={"number": draft.number, "issued_on": issued_on.isoformat()},
        )
        return await self._queue_final(session, case, final, by=by)

    async def _queue_final(
        self, session: AsyncSession, case: _Case, final: ReportInput, *, by: Person
    ) -> str:
        draft = case.draft
        assert draft.number is not None and draft.issued_on is not None
        office = await session.get(Unit, case.unit.office_id) if case.unit.office_id else None
        issued = f"{draft.issued_on:%d/%m/%Y}"
        formats: Sequence[str] = ("docx", "pdf") if self.pdf_available else ("docx",)
        if office is not None:
            summary = texts.delivery_summary(
                unit=texts.unit_title(KIND_LABELS[case.unit.kind], case.unit.name),
                period=case.period_label,
                number=draft.number,
                issued_on=issued,
                signer=final.signer_name,
                signer_role=SIGNER_TITLES[final.signer_role],
            )
            for fmt in formats:
                await self._queue(
                    session,
                    f"draft:{draft.id}:office:{fmt}",
                    "office_delivery" if fmt == "docx" else "office_copy",
                    ReportFile(
                        draft_id=draft.id,
                        format=fmt,  # type: ignore[arg-type]
                        filename=case.filename(fmt),
                        caption=summary if fmt == "docx" else "",
                        buttons=(
                            ((Action(texts.ACKNOWLEDGE_BUTTON, callback(draft.id, "ack")),),)
                            if fmt == "docx"
                            else ()
                        ),
                    ),
                    office=office,
                    draft_id=draft.id,
                )
        else:
            logger.warning("Unit %s has no receiving office; the report stays here", case.unit.code)
        office_name = office.name if office is not None else ""
        decider = (
            await session.get(Person, draft.decided_by_person_id)
            if draft.decided_by_person_id
            else None
        )
        told = texts.approved_final(number=draft.number, issued_on=issued, office=office_name)
        if decider is not None:
            # The approver hears it from the outbox when the clerk numbered it; when they did,
            # as the reply to their tap, with this copy held back in case the reply is lost.
            await self._queue(
                session,
                _decider_note_key(draft.id, decider.id),
                "approved_to_approver",
                Text(told),
                person=decider,
                draft_id=draft.id,
                not_before=None if decider.id != by.id else utc_now() + REPLY_GRACE,
            )
            for fmt in formats:
                await self._queue(
                    session,
                    f"draft:{draft.id}:final:{decider.id}:{fmt}",
                    "approved_to_approver",
                    ReportFile(
                        draft_id=draft.id,
                        format=fmt,  # type: ignore[arg-type]
                        filename=case.filename(fmt),
                        caption=texts.final_caption(
                            unit=case.unit_label, period=case.period_label, number=draft.number
                        ),
                    ),
                    person=decider,
                    draft_id=draft.id,
                )
        for officer in await submitters(session=session, round_id=case.round.id):
            await self._queue(
                session,
                f"draft:{draft.id}:approved:{officer.id}",
                "approved_to_officer",
                Text(
                    texts.approved_to_officer(
                        unit=case.unit_label,
                        period=case.period_label,
                        number=draft.number,
                        office=office_name,
                        office_chat=office is not None and office.telegram_chat_id is not None,
                    )
                ),
                person=officer,
                draft_id=draft.id,
            )
        return told

    async def after_sent(self, session: AsyncSession, row: OutboxMessage) -> None:
        """Called in the transaction that marks a row sent: the office has the report."""
        if row.purpose != "office_delivery" or row.draft_id is None:
            return
        draft = await session.get(Draft, row.draft_id)
        if draft is None or draft.delivered_at is not None:
            return
        draft.delivered_at = utc_now()
        round_ = await lock_round(session=session, round_id=draft.round_id)
        round_.status = RoundStatus.DELIVERED
        await audit.record(
            session=session,
            action="round.delivered",
            entity_type="round",
            entity_id=round_.id,
            details={"draft_id": draft.id, "number": draft.number, "chat_id": row.chat_id},
        )
        await self._tell_delivery(session, draft, "delivered")

    async def delivery_failed(self, session: AsyncSession, row: OutboxMessage) -> None:
        """Called in the transaction that marks a row FAILED or BLOCKED: when it was a report
        to the office, its officers learn it has not arrived (the approver and the
        administrators are told by the office's desk, with what to do)."""
        if row.purpose != "office_delivery" or row.draft_id is None:
            return
        draft = await session.get(Draft, row.draft_id)
        if draft is not None and draft.delivered_at is None:
            await self._tell_delivery(session, draft, "undelivered")

    async def _tell_delivery(self, session: AsyncSession, draft: Draft, outcome: str) -> None:
        """Tell the officers who handed in the report (and, once it arrived, its approver)
        whether it reached the office: what they were told at approval was only that it is
        being sent."""
        case = await self._case(session, draft)
        if case is None or draft.number is None:
            return
        office = await session.get(Unit, case.unit.office_id) if case.unit.office_id else None
        office_name = office.name if office is not None else ""
        labels = {"unit": case.unit_label, "period": case.period_label, "number": draft.number}
        if outcome == "delivered":
            text = texts.delivered_to_commune(**labels, office=office_name)
        else:
            text = texts.undelivered_to_officer(**labels, office=office_name)
        told = await submitters(session=session, round_id=case.round.id)
        if outcome == "delivered" and draft.decided_by_person_id is not None:
            decider = await session.get(Person, draft.decided_by_person_id)
            if decider is not None and decider not in told:
                told.append(decider)
        for person in told:
            await self._queue(
                session,
                f"draft:{draft.id}:{outcome}:{person.id}",
                f"{outcome}_to_commune",
                Text(text),
                person=person,
                draft_id=draft.id,
            )

    async def _acknowledge(self, session: AsyncSession, person: Person, case: _Case) -> Outcome:
        office_id = case.unit.office_id
        if office_id is None or Role.OFFICE not in await roles_in(session, person.id, office_id):
            return Outcome.refused(texts.NOT_OFFICE)
        draft = case.draft
        if draft.acknowledged_at is not None:
            return Outcome.refused(texts.ALREADY_ACKNOWLEDGED)
        if draft.status is not DraftStatus.APPROVED or draft.number is None:
            return Outcome.refused(texts.OLD_BUTTON)
        draft.acknowledged_at = utc_now()
        draft.acknowledged_by_person_id = person.id
        await audit.record(
            session=session,
            action="report.acknowledged",
            entity_type="draft",
            entity_id=draft.id,
            actor_person_id=person.id,
            details={"number": draft.number},
        )
        return Outcome(alert=texts.ACKNOWLEDGED, drop_keyboard=True)

    # ----- history ---------------------------------------------------------------------------

    async def history(self, session: AsyncSession, *, person: Person) -> Outcome:
        """/lichsu: the versions of the person's communes' latest rounds, each downloadable.

        Office staff see the approved reports of their own communes only.
        """
        memberships = await memberships_of(session=session, person_id=person.id)
        unit_ids = {unit_id for unit_id, role in memberships if role in MEMBER_ROLES}
        office_ids = {unit_id for unit_id, role in memberships if role is Role.OFFICE}
        items: list[Item] = []
        if unit_ids:
            rounds = await latest_rounds(
                session=session, unit_ids=unit_ids, limit=HISTORY_ROUNDS * len(unit_ids)
            )
            for round_ in rounds:
                drafts = await drafts_of(session=session, round_id=round_.id)
                if drafts:
                    item = await self._history_item(session, drafts)
                    latest = drafts[-1]
                    if latest.status is DraftStatus.AWAITING and await self._approver_role(
                        session, person.id, round_.unit_id
                    ):
                        # An approver who registered after the draft went out decides from here.
                        item = Text(item.text, item.buttons + self.decision_buttons(latest.id))
                    items.append(item)
        if office_ids:
            received = await reports_received(
                session=session, office_ids=office_ids, limit=HISTORY_RECEIVED
            )
            for draft in received:
                items.append(await self._history_item(session, [draft]))
        if not items:
            return Outcome.say(texts.NO_HISTORY)
        return Outcome(items=tuple(items))

    async def _history_item(self, session: AsyncSession, drafts: Sequence[Draft]) -> Text:
        case = await self._case(session, drafts[0])
        assert case is not None
        lines = [texts.history_header(unit=case.unit_label, period=case.period_label)]
        buttons = []
        for draft in drafts:
            lines.append(
                texts.version_line(
                    version=draft.version,
                    status=draft.status.value,
                    at=f"{draft.created_at.astimezone(self.timezone):%d/%m/%Y %H:%M}",
                    number=draft.number,
                    comment=draft.comment,
                )
            )
            buttons.append(Action(texts.version_button(draft.version), callback(draft.id, "get")))
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return Text(_clip("\n".join(lines)), rows)

    # ----- figures behind a version ----------------------------------------------------------

    def _figures(self, case: _Case) -> list[str]:
        answers: dict[str, Any] = case.draft.report.get("answers", {})
        header = texts.data_header(
            unit=case.unit_label, period=case.period_label, version=case.draft.version
        )
        sections = [[header + "\n"]]
        for section in self.form.sections:
            shown = [
                f"• {question.short or question.label}: {display(question, answers[question.code])}"
                for question in section.questions
                if answers.get(question.code) is not None
            ]
            if shown:
                sections.append([f"\n{section.title}\n", *(f"{line}\n" for line in shown)])
        return [message.rstrip("\n") for message in pack_messages(sections)]

    # ----- queries ---------------------------------------------------------------------------

    async def _queue(
        self,
        session: AsyncSession,
        key: str,
        purpose: str,
        item: Item,
        *,
        person: Person | None = None,
        office: Unit | None = None,
        draft_id: int | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        if (
            person is not None
            and person.telegram_user_id is None
            and not await on_zalo(session, person.id)
        ):
            return False  # on no channel: nobody to send it to
        return await enqueue(
            session=session,
            key=key,
            purpose=purpose,
            payload=to_payload(item),
            office_id=office.id if office is not None else None,
            person_id=person.id if person is not None else None,
            draft_id=draft_id,
            not_before=not_before,
        )

    async def _case(self, session: AsyncSession, draft: Draft | None) -> _Case | None:
        if draft is None:
            return None
        row = await round_of_draft(session=session, round_id=draft.round_id)
        if row is None:
            return None
        round_, unit, period = row
        return _Case(draft=draft, round=round_, unit=unit, period=period)

    async def _may_see(self, session: AsyncSession, person: Person, case: _Case) -> bool:
        """The commune's people see every version; its office only what the commune approved
        (draft ids are sequential, so a forged button must not open a draft)."""
        unit = case.unit
        if await roles_in(session, person.id, unit.id) & set(MEMBER_ROLES):
            return True
        return (
            case.draft.status is DraftStatus.APPROVED
            and unit.office_id is not None
            and Role.OFFICE in await roles_in(session, person.id, unit.office_id)
        )

    @staticmethod
    async def _approver_role(session: AsyncSession, person_id: int, unit_id: int) -> Role | None:
        """CHAIRMAN or VICE_CHAIRMAN if the person approves for the unit, else None."""
        roles = await approving_roles(session=session, person_id=person_id, unit_id=unit_id)
        if Role.CHAIRMAN in roles:
            return Role.CHAIRMAN
        return Role.VICE_CHAIRMAN if roles else None

    async def _next_number(
        self, session: AsyncSession, unit_id: int, year: int | None = None
    ) -> int:
        year = year or self._today().year
        highest = await highest_number(session=session, unit_id=unit_id, year=year)
        return (highest or 0) + 1

    def _today(self) -> date:
        return datetime.now(self.timezone).date()


def _decider_note_key(draft_id: int, person_id: int) -> str:
    """The outbox key of the approver's "approved, number ..." note."""
    return f"draft:{draft_id}:final:{person_id}:note"


def _same_figures(before: dict[str, Any], after: dict[str, Any]) -> bool:
    keys = ("answers", "previous", "signer_name", "signer_role", "receiving_office", "recipients")
    # A version frozen before a key existed (recipients) has it absent, which reads as empty.
    return all((before.get(key) or None) == (after.get(key) or None) for key in keys)


def _clip(text: str) -> str:
    return text if len(text) <= TELEGRAM_LIMIT else text[: TELEGRAM_LIMIT - 1] + "…"
