"""Walk replies that reach the person, and the keeper that re-sends the ones that did not.

A walk's state lives in the database, so the question a person should be looking at is known
even when the message asking it was lost (a 5xx, a timeout, a crash after the answer was
stored). Each delivered prompt is recorded with its message id; the keeper finds walks whose
current prompt was never recorded and sends it again, at most once more than needed and
never zero times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.handlers.common import deliver
from bot.polling import ChatLanes
from conversations.engine import ACTIVE, OutMessage, Questionnaire, Reply
from storage.db import Database
from storage.models import Person, QuestionnaireState
from storage.questionnaire import prompt_delivered, record_delivered

logger = logging.getLogger(__name__)

CALLBACK_PREFIX = "q:"
# A walk changed this recently may still have its reply in flight: the turn sends it itself.
SETTLED = timedelta(seconds=10)
# Telegram keeps nothing older for a bot either; a prompt this stale is not worth sending.
FORGOTTEN = timedelta(hours=24)
SWEEP_EVERY_S = 20.0


def callback_data(state_id: int, step: int, action: str) -> str:
    return f"{CALLBACK_PREFIX}{state_id}:{step}:{action}"


def _keyboard(reply: Reply, out: OutMessage) -> InlineKeyboardMarkup | None:
    if not out.buttons or reply.state_id is None or reply.step is None:
        return None
    state_id, step = reply.state_id, reply.step
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    button.label, callback_data=callback_data(state_id, step, button.action)
                )
                for button in row
            ]
            for row in out.buttons
        ]
    )


class WalkReplies:
    """Sends a walk's reply message by message and records a delivered prompt."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def send(self, bot: Bot, chat_id: int, reply: Reply) -> bool:
        """True when every message went; a prompt then counts as shown from its last message."""
        last: Message | None = None
        for out in reply.messages:
            last = await deliver(
                partial(bot.send_message, chat_id, out.text, reply_markup=_keyboard(reply, out)),
                what="a reply",
            )
            if last is None:
                return False
        if last is not None and reply.is_prompt:
            assert reply.state_id is not None and reply.step is not None
            await record_delivered(
                self.database,
                state_id=reply.state_id,
                step=reply.step,
                question_code=reply.question_code,
                message_id=last.message_id,
            )
        return True


class PromptKeeper:
    """Re-sends the current prompt of walks whose last reply was lost."""

    def __init__(
        self,
        database: Database,
        questionnaire: Questionnaire,
        replies: WalkReplies,
        lanes: ChatLanes,
        *,
        settled: timedelta = SETTLED,
        every_s: float = SWEEP_EVERY_S,
    ) -> None:
        self.database = database
        self.questionnaire = questionnaire
        self.replies = replies
        self.lanes = lanes
        self.settled = settled
        self.every_s = every_s

    async def undelivered(self, now: datetime) -> list[tuple[int, int]]:
        """(person id, chat id) of walks whose current prompt never reached the person."""
        async with self.database.session() as session:
            rows = await session.execute(
                select(QuestionnaireState, Person.telegram_user_id)
                .join(Person, Person.id == QuestionnaireState.person_id)
                .where(
                    QuestionnaireState.status.in_(ACTIVE),
                    QuestionnaireState.updated_at > now - FORGOTTEN,
                    QuestionnaireState.updated_at < now - self.settled,
                    Person.telegram_user_id.is_not(None),
                    Person.blocked_bot_at.is_(None),
                )
            )
            found: dict[int, int] = {}
            for state, chat_id in rows:
                if not prompt_delivered(state) and chat_id is not None:
                    found[state.person_id] = chat_id
        return sorted(found.items())

    async def sweep(self, bot: Bot, now: datetime | None = None) -> int:
        """Send each undelivered prompt once; the number sent."""
        sent = 0
        for person_id, chat_id in await self.undelivered(now or datetime.now(UTC)):
            async with self.lanes.lane(chat_id):  # never between a turn and its reply
                reply = await self._still_undelivered(person_id)
                if reply is None:
                    continue
                logger.info("Re-sending a prompt that did not reach person %s", person_id)
                if await self.replies.send(bot, chat_id, reply):
                    sent += 1
        return sent

    async def _still_undelivered(self, person_id: int) -> Reply | None:
        """The person's current prompt, if it still has not reached them."""
        async with self.database.session() as session:
            person = await session.get(Person, person_id)
            if person is None:
                return None
            reply = await self.questionnaire.current_prompt(session, person=person)
            if reply is None or not reply.is_prompt:
                return None
            state = await session.get(QuestionnaireState, reply.state_id)
            return None if state is None or prompt_delivered(state) else reply

    async def run(self, bot: Bot, stop: asyncio.Event) -> None:
        """Sweep every `every_s` seconds until `stop` is set.

        Not at once on start: answers that waited at Telegram while the bot was down come
        first, and a prompt they answer must not be sent again meanwhile.
        """
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.every_s)
            if stop.is_set():
                break
            try:
                await self.sweep(bot)
            except Exception:  # a bad moment of the database must not end the keeper
                logger.exception("The prompt keeper's sweep failed")
