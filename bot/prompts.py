"""Walk replies that reach the person, and the keeper that re-sends the ones that did not.

A walk's state lives in the database, so the question a person should be looking at is known
even when the message asking it was lost (a 5xx, a timeout, a crash after the answer was
stored). Each delivered prompt is recorded with its message id; the keeper finds walks whose
current prompt was never recorded and sends it again, on the channel the person is on now
(Telegram or Zalo), at most once more than needed and never zero times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Hashable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

from sqlalchemy import select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.handlers.common import deliver
from bot.polling import ChatLanes
from channels.zalo.conversation import ZaloConversation
from conversations.engine import ACTIVE, OutMessage, Questionnaire, Reply
from storage.contacts import destination, registered_anywhere
from storage.db import Database
from storage.deliveries import Delivery
from storage.models import ChannelName, Person, QuestionnaireState
from storage.questionnaire import prompt_delivered

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
            # Written by the walk's next turn or with others in a moment, not in a commit of
            # its own; every turn sees it meanwhile (storage.deliveries).
            self.database.deliveries.note(
                Delivery(
                    state_id=reply.state_id,
                    step=reply.step,
                    question_code=reply.question_code,
                    message_id=last.message_id,
                )
            )
        return True


class WalkChannel(Protocol):
    """How a walk's reply goes out on one channel, and the lanes its turns run in there."""

    lanes: ChatLanes

    async def send(self, address: str, reply: Reply) -> bool: ...

    def lane_key(self, address: str) -> Hashable: ...


class TelegramWalks:
    """The walk's replies on Telegram: messages with buttons, the prompt recorded when it went."""

    def __init__(self, bot: Bot, replies: WalkReplies, lanes: ChatLanes) -> None:
        self.bot = bot
        self.replies = replies
        self.lanes = lanes

    async def send(self, address: str, reply: Reply) -> bool:
        return await self.replies.send(self.bot, int(address), reply)

    def lane_key(self, address: str) -> Hashable:
        return int(address)  # Telegram's turns run in lanes keyed by the numeric chat id


class ZaloWalks:
    """The walk's replies on Zalo: text only, sent by the Zalo conversation, in its lanes."""

    def __init__(self, conversation: ZaloConversation, lanes: ChatLanes) -> None:
        self.conversation = conversation
        self.lanes = lanes

    async def send(self, address: str, reply: Reply) -> bool:
        return await self.conversation.send(address, reply)

    def lane_key(self, address: str) -> Hashable:
        return address


class PromptKeeper:
    """Re-sends the current prompt of walks whose last reply was lost."""

    def __init__(
        self,
        database: Database,
        questionnaire: Questionnaire,
        channels: Mapping[ChannelName, WalkChannel],
        *,
        settled: timedelta = SETTLED,
        every_s: float = SWEEP_EVERY_S,
    ) -> None:
        self.database = database
        self.questionnaire = questionnaire
        self.channels = channels
        self.settled = settled
        self.every_s = every_s

    async def undelivered(self, now: datetime) -> list[int]:
        """The people whose walk's current prompt never reached them."""
        async with self.database.session() as session:
            states = await session.scalars(
                select(QuestionnaireState)
                .join(Person, Person.id == QuestionnaireState.person_id)
                .where(
                    QuestionnaireState.status.in_(ACTIVE),
                    QuestionnaireState.updated_at > now - FORGOTTEN,
                    QuestionnaireState.updated_at < now - self.settled,
                    registered_anywhere(),
                    Person.blocked_bot_at.is_(None),
                )
            )
            return sorted({state.person_id for state in states if not prompt_delivered(state)})

    async def sweep(self, now: datetime | None = None) -> int:
        """Send each undelivered prompt once, where the person is; the number sent."""
        sent = 0
        for person_id in await self.undelivered(now or datetime.now(UTC)):
            async with self.database.session() as session:
                to = await destination(session=session, person_id=person_id)
            channel = self.channels.get(to.channel) if to is not None else None
            if to is None or channel is None:
                continue  # on a channel this bot does not run: nothing to send it with
            # Never between a turn and its reply: in the lane the person's turns run in.
            async with channel.lanes.lane(channel.lane_key(to.address)):
                reply = await self._still_undelivered(person_id)
                if reply is None:
                    continue
                logger.info(
                    "Re-sending a prompt that did not reach person %s on %s", person_id, to.channel
                )
                if await channel.send(to.address, reply):
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

    async def run(self, stop: asyncio.Event) -> None:
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
                await self.sweep()
            except Exception:  # a bad moment of the database must not end the keeper
                logger.exception("The prompt keeper's sweep failed")
