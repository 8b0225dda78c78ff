"""The approver's decision on a version: approve it, or return it to the officers with a comment."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.approval.common import MEMBER_ROLES, SIGNER_TITLES, Case, decider_note_key
from conversations.approval.numbering import Numbering
from conversations.outgoing import Outcome, Text
from definitions.parsing import clean_text
from storage import audit
from storage.approval import (
    approvers_of,
    ask_next_message,
    latest_draft,
    registered_people,
    reopen_sections,
    roles_in,
    submitters,
)
from storage.models import (
    Draft,
    DraftStatus,
    Membership,
    PendingInput,
    PendingInputKind,
    Person,
    ReportingRound,
    Role,
    RoundStatus,
    utc_now,
)
from storage.questionnaire import lock_round


class Decisions(Numbering):
    """The approver's decision: approve (then the clerk numbers it) or return it with a comment."""

    async def _decide(
        self, session: AsyncSession, person: Person, case: Case, *, approve: bool
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
                            period=case.report_label,
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
            saved_as=decider_note_key(draft.id, person.id),
        )

    async def _not_approver(self, session: AsyncSession, person: Person, case: Case) -> str:
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

    async def _return(
        self, session: AsyncSession, person: Person, case: Case, text: str, pending: PendingInput
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
                        period=case.report_label,
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
