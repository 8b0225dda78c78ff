"""After approval: the clerk (or the register) numbers the version, the final file is made and
queued for the receiving office, and those who handed it in learn whether it arrived."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.approval.common import (
    SIGNER_TITLES,
    ApprovalBase,
    Case,
    callback,
    decider_note_key,
)
from conversations.outgoing import Action, Outcome, ReportFile, Text
from report_templates.compose import ReportInput, compose
from report_templates.docx_writer import docx_bytes
from report_templates.from_round import report_from_json
from report_templates.preview import preview_messages
from storage import audit
from storage.approval import ask_next_message, number_used, roles_in, submitters
from storage.models import (
    DocumentNumber,
    Draft,
    DraftStatus,
    OutboxMessage,
    PendingInput,
    PendingInputKind,
    Person,
    Role,
    RoundStatus,
    Unit,
    utc_now,
)
from storage.questionnaire import lock_round
from wording.units import KIND_LABELS

logger = logging.getLogger(__name__)

# How long the approver's confirmation waits in the outbox for the reply to go first: past the
# reply's own retries (bot/handlers/common.py), so the copy goes only when the reply did not.
REPLY_GRACE = timedelta(seconds=60)
# The number alone, or with the symbol after it as the register writes it ("05/BC-UBND").
_NUMBER = re.compile(r"^\s*(\d{1,4})\s*(?:/\s*([^\W\d_][\w\s-]*))?$")


class Numbering(ApprovalBase):
    """The clerk's number (or the register's), the final file, its delivery to the receiving
    office and the office's acknowledgement."""

    async def _clerk(
        self, session: AsyncSession, person: Person, case: Case, *, type_it: bool
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
        key = decider_note_key(case.draft.id, person.id)
        return Outcome(items=(Text(told),), drop_keyboard=True, saved_as=key)

    async def _typed_number(
        self, session: AsyncSession, person: Person, case: Case, text: str, pending: PendingInput
    ) -> Outcome:
        number = _typed_number(text, case.kind.symbol)
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
        return Outcome(items=(Text(told),), saved_as=decider_note_key(case.draft.id, person.id))

    @staticmethod
    def _why_not_numberable(draft: Draft) -> str | None:
        if draft.number is not None:
            return texts.already_numbered(draft.number)
        if draft.status is not DraftStatus.APPROVED:
            return texts.OLD_BUTTON
        return None

    async def _number_and_send(
        self, session: AsyncSession, case: Case, *, number: int | None, by: Person
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
        draft.number = f"{number:02d}/{case.kind.symbol}"
        draft.issued_on = issued_on
        final = report_from_json(draft.report, number=str(number), issued_on=issued_on)
        document = compose(final, templates=case.kind.templates, form=case.kind.form)
        draft.docx = docx_bytes(document, layout=case.kind.layout)
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
        self, session: AsyncSession, case: Case, final: ReportInput, *, by: Person
    ) -> str:
        draft = case.draft
        assert draft.number is not None and draft.issued_on is not None
        office = await session.get(Unit, case.unit.office_id) if case.unit.office_id else None
        issued = f"{draft.issued_on:%d/%m/%Y}"
        formats: Sequence[str] = ("docx", "pdf") if self.pdf_available else ("docx",)
        if office is not None:
            summary = texts.delivery_summary(
                unit=texts.unit_title(KIND_LABELS[case.unit.kind], case.unit.name),
                period=case.report_label,
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
                decider_note_key(draft.id, decider.id),
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
                            unit=case.unit_label, period=case.report_label, number=draft.number
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
                        period=case.report_label,
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
        labels = {"unit": case.unit_label, "period": case.report_label, "number": draft.number}
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

    async def _acknowledge(self, session: AsyncSession, person: Person, case: Case) -> Outcome:
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


def _typed_number(text: str, symbol: str) -> int:
    """The number a clerk typed ("5", "05", "05/BC-UBND" with the kind's symbol); 0 if it is
    not one."""
    match = _NUMBER.match(text)
    if match is None:
        return 0
    typed_symbol = match.group(2)
    if typed_symbol is not None and _bare(typed_symbol) != _bare(symbol):
        return 0
    return int(match.group(1))


def _bare(symbol: str) -> str:
    return re.sub(r"[\s-]", "", symbol).upper()
