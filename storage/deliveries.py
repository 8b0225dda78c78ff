"""Prompts delivered and not yet written down: written by the walk's next turn, or in batches.

Which prompt reached a person, as which message, is what their next typed answer is read
against (storage.questionnaire.shown_before), so every delivered prompt is recorded in the walk's
state (`questionnaire_states.shown`). A transaction of its own for each would cost a commit per
answer. Instead a delivery is noted here, in memory, and written by whichever comes first:

* the next transaction that loads the walk's state: usually the person's next turn, whose UPDATE
  of the state carries it at no extra cost (a turn sees it even before it is written, so an
  answer is never read against an older prompt because its record is still on its way);
* a batch writing every note taken meanwhile, in one transaction, `delay_s` after the first.

A note is forgotten only once a transaction that wrote it committed; one that rolled back leaves
it for the next. Notes not yet written when the process dies are lost, as a failed write of the
record always could be: the person's next answer is then taken as typed before that prompt and
the prompt is shown again, and the prompt keeper (bot.prompts) sends it again if nobody answers.
A clean stop writes them (Database.dispose).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import QueryContext, Session
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from storage.models import ChannelName, QuestionnaireState

if TYPE_CHECKING:
    from storage.db import Database

logger = logging.getLogger(__name__)

# Keys of Session.info: the database's notes, the states given notes and not yet flagged as
# changed, and the notes the transaction writes.
PENDING = "pending_deliveries"
TO_WRITE = "deliveries_to_write"
WRITTEN = "deliveries_written"

SHOWN_KEPT = 8  # prompts remembered per walk: enough to place a message typed a few turns late
WRITE_DELAY_S = 0.2  # a batch waits this long for more notes
RETRY_DELAY_S = 2.0  # after a batch that could not be written


@dataclass(frozen=True, eq=False)  # each note is itself: two alike are still two deliveries
class Delivery:
    """The prompt of `step` reached the person as message `message_id` (on Zalo, the message's
    timestamp in milliseconds)."""

    state_id: int
    step: int
    question_code: str | None
    message_id: int
    channel: str = ChannelName.TELEGRAM


def channel_of(entry: dict[str, Any]) -> str:
    return str(entry.get("channel", ChannelName.TELEGRAM))


def with_delivery(shown: list[dict[str, Any]] | None, delivery: Delivery) -> list[dict[str, Any]]:
    """`shown` (a walk's remembered prompts) with this delivery, the same message once."""
    channel = delivery.channel
    entries = [
        e
        for e in shown or []
        if (channel_of(e), int(e.get("message", 0))) != (channel, delivery.message_id)
    ]
    entry: dict[str, Any] = {
        "step": delivery.step,
        "question": delivery.question_code,
        "message": delivery.message_id,
    }
    if channel != ChannelName.TELEGRAM:
        entry["channel"] = str(channel)
    entries.append(entry)
    # Oldest first within a channel; the last SHOWN_KEPT are kept.
    entries.sort(key=lambda e: (channel_of(e) == channel, int(e["message"])))
    return entries[-SHOWN_KEPT:]


class PendingDeliveries:
    """The deliveries noted and not yet written, by walk state, for one database."""

    def __init__(self, database: Database, *, delay_s: float = WRITE_DELAY_S) -> None:
        self.database = database
        self.delay_s = delay_s
        self._notes: dict[int, list[Delivery]] = {}
        self._writer: asyncio.Task[None] | None = None

    def note(self, delivery: Delivery) -> None:
        """Remember a delivery, to be written soon (a running event loop is needed)."""
        self._notes.setdefault(delivery.state_id, []).append(delivery)
        if self._writer is None or self._writer.done():
            # A context of its own: not one inherited from a caller holding a session.
            self._writer = asyncio.get_running_loop().create_task(
                self._write_soon(), context=contextvars.Context()
            )

    def apply(self, state: QuestionnaireState, session: Session) -> None:
        """Put the notes of `state` into its `shown`, as loaded in `session`; they are
        forgotten when that session commits."""
        notes = self._notes.get(state.id)
        if not notes:
            return
        shown = state.shown
        for delivery in notes:
            shown = with_delivery(shown, delivery)
        # Set while loading, the value counts as the one loaded: flagged as changed before the
        # session's next flush (or its commit), it is written with the turn's other changes.
        set_committed_value(state, "shown", shown)
        session.info.setdefault(TO_WRITE, []).append(state)
        session.info.setdefault(WRITTEN, []).extend(notes)

    def forget(self, written: list[Delivery]) -> None:
        for delivery in written:
            notes = self._notes.get(delivery.state_id)
            if notes is None:
                continue
            kept = [n for n in notes if n is not delivery]
            if kept:
                self._notes[delivery.state_id] = kept
            else:
                del self._notes[delivery.state_id]

    async def write(self) -> None:
        """Write every note now, in one transaction (loading the states applies them)."""
        if not self._notes:
            return
        wanted = list(self._notes)
        async with self.database.session() as session:
            # Loaded here, each state takes its notes, written when the session commits.
            states = await session.scalars(
                select(QuestionnaireState)
                .where(QuestionnaireState.id.in_(wanted))
                .order_by(QuestionnaireState.id)  # rows locked in one order, as other batches
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            found = {state.id for state in states}
        for state_id in wanted:
            if state_id not in found:  # the walk was deleted: nothing to write into
                self._notes.pop(state_id, None)

    async def _write_soon(self) -> None:
        while self._notes:
            await asyncio.sleep(self.delay_s)
            try:
                await self.write()
            except (SQLAlchemyError, OSError) as exc:
                logger.warning("Could not record %d delivered prompt(s): %s", len(self._notes), exc)
                await asyncio.sleep(RETRY_DELAY_S)

    async def close(self) -> None:
        """Stop the batches and write what is left (best effort: see the module's doc)."""
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        try:
            await self.write()
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("Could not record %d delivered prompt(s): %s", len(self._notes), exc)


@event.listens_for(QuestionnaireState, "load")
def _apply_on_load(state: QuestionnaireState, context: QueryContext) -> None:
    pending = context.session.info.get(PENDING)
    if isinstance(pending, PendingDeliveries):
        pending.apply(state, context.session)


@event.listens_for(QuestionnaireState, "refresh")
def _apply_on_refresh(state: QuestionnaireState, context: QueryContext, _attrs: Any) -> None:
    _apply_on_load(state, context)


@event.listens_for(Session, "before_flush")
def _flag_before_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    _flag_as_changed(session)


@event.listens_for(Session, "before_commit")
def _flag_before_commit(session: Session) -> None:
    _flag_as_changed(session)


def take_unwritten(session: Session, state: QuestionnaireState) -> bool:
    """Whether `state` took notes in this session that are not written yet; from now on the
    caller writes them (its `shown`), and the flush will not."""
    waiting = session.info.get(TO_WRITE)
    if not waiting or not any(s is state for s in waiting):
        return False
    waiting[:] = [s for s in waiting if s is not state]
    return True


def _flag_as_changed(session: Session) -> None:
    for state in session.info.pop(TO_WRITE, ()):
        loaded = inspect(state)
        moved = loaded.modified  # the turn changed the walk's place, not only this
        flag_modified(state, "shown")
        if not moved and "updated_at" not in loaded.unloaded:
            # Written as it is, so not stamped anew: updated_at orders a person's walks, and
            # a delivery is not a change of place.
            flag_modified(state, "updated_at")


@event.listens_for(Session, "after_commit")
def _forget_written(session: Session) -> None:
    written = session.info.pop(WRITTEN, None)
    pending = session.info.get(PENDING)
    if written and isinstance(pending, PendingDeliveries):
        pending.forget(written)


@event.listens_for(Session, "after_rollback")
def _keep_unwritten(session: Session) -> None:
    session.info.pop(TO_WRITE, None)
    session.info.pop(WRITTEN, None)  # still noted: the next transaction writes them
