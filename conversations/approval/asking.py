"""What a person was asked to type next: a return comment, a document number, or (for
/noinhan) the unit's recipients; and the versions a channel without buttons acts on."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import recipients, texts
from conversations.approval.decisions import Decisions
from conversations.outgoing import Outcome
from storage.approval import newest_awaiting_decision, newest_awaiting_number, text_asked_of_account
from storage.models import Draft, PendingInput, PendingInputKind, Person


class AskedText(Decisions):
    """A return comment or a document number, asked for and read from the next message."""

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
