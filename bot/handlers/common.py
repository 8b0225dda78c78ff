"""What every handler shares: the turn (one transaction for one update, with the person who
sent it), best-effort answers to button presses, and replies that survive a bad moment.

A turn commits before anything is sent, so a reply that fails never undoes what was stored;
sending then retries transient errors a few times, and what still fails is left to the
prompt keeper (bot/prompts.py), which re-sends a walk's undelivered prompt from the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, CallbackQuery, Message, User
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.polling import retry_after_seconds
from conversations.outgoing import Outcome
from storage.db import Database
from storage.invitations import TelegramAccount
from storage.models import ChannelName, Person
from storage.people import KnownPerson, find_by_telegram_id
from storage.questionnaire import claim_update

logger = logging.getLogger(__name__)

SEND_ATTEMPTS = 4
FIRST_RETRY_S = 0.5
LONGEST_WAIT_S = 30.0  # a longer flood wait is left to the prompt keeper, not held in a turn


def account_of(user: User) -> TelegramAccount:
    return TelegramAccount(
        user_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
    )


@dataclass
class Turn:
    """One update being acted on: its transaction and who sent it (None: a stranger)."""

    session: AsyncSession
    known: KnownPerson | None
    update_id: int

    @property
    def person(self) -> Person | None:
        return None if self.known is None else self.known.person

    async def claim(self) -> bool:
        """Record the update as handled in this transaction; False if it already was."""
        claimed = await claim_update(session=self.session, key=self.update_id)
        if not claimed:
            logger.info("Update %s was already handled", self.update_id)
        return claimed


@asynccontextmanager
async def turn(database: Database, update_id: int, user: User) -> AsyncIterator[Turn]:
    """Open the update's transaction and find who sent it; commits when the block ends."""
    async with database.session() as session:
        known = await find_by_telegram_id(session=session, telegram_user_id=user.id)
        if known is not None and known.person.last_channel not in (None, ChannelName.TELEGRAM):
            # Back on Telegram after Zalo: queued messages follow them here (written only on
            # a change, so an ordinary turn writes nothing more).
            known.person.last_channel = ChannelName.TELEGRAM
        yield Turn(session, known, update_id)


async def answer_query(query: CallbackQuery, text: str | None = None) -> bool:
    """Answer a button press (a pop-up if `text`); best effort, never aborts the turn.

    Telegram accepts an answer for about 15 s after the press: after a restart or a slow
    moment it refuses with "query is too old", which is normal. False when not answered, so
    the caller can say the same thing in the chat instead.
    """
    try:
        await query.answer(text, show_alert=text is not None)
    except BadRequest as exc:
        logger.info("Could not answer a button press: %s", exc)
        return False
    except TelegramError as exc:
        logger.warning("Could not answer a button press: %s", exc)
        return False
    return True


async def deliver(send: Callable[[], Awaitable[Message]], *, what: str) -> Message | None:
    """Send, retrying flood waits, network errors and 5xx with backoff; None if it did not go.

    A timed-out send may have reached Telegram: retrying it can show the message twice, which
    for a reply is better than not at all. Refusals (400, 403) are not retried.
    """
    delay = FIRST_RETRY_S
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await send()
        except (BadRequest, Forbidden) as exc:  # BadRequest is a NetworkError in PTB: first
            logger.warning("Telegram refused %s: %s", what, exc)
            return None
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if wait > LONGEST_WAIT_S or attempt == SEND_ATTEMPTS:
                logger.warning("Flood wait of %.0f s while sending %s; left for later", wait, what)
                return None
            await asyncio.sleep(wait)
        except NetworkError as exc:  # timeouts, 5xx, a dropped connection
            if attempt == SEND_ATTEMPTS:
                logger.warning("Could not send %s after %d tries: %s", what, attempt, exc)
                return None
            await asyncio.sleep(delay)
            delay *= 2
    return None


async def deliver_text(bot: Bot, chat_id: int, text: str) -> Message | None:
    """Send a plain text with `deliver`'s retries."""
    return await deliver(partial(bot.send_message, chat_id, text), what="a notice")


async def drop_keyboard(message: Message) -> None:
    """Take the buttons off a message once one was used, so an old one is not tapped again."""
    try:
        await message.edit_reply_markup(reply_markup=None)
    except BadRequest as exc:  # already without buttons, or too old to edit: harmless
        logger.debug("Could not remove a keyboard: %s", exc)
    except TelegramError as exc:  # a bad moment: the old buttons are refused by step anyway
        logger.info("Could not remove a keyboard: %s", exc)


async def finish_press(
    query: CallbackQuery,
    bot: Bot,
    outcome: Outcome,
    send: Callable[[int, Outcome], Awaitable[None]],
) -> None:
    """After a button's turn: answer the press (best effort), take the keyboard off when the
    outcome says so, say in the chat a refusal that could not pop up, then send the outcome."""
    answered = await answer_query(query, outcome.alert)
    if not isinstance(query.message, Message):
        return
    if outcome.drop_keyboard:
        await drop_keyboard(query.message)
    if not answered and outcome.alert is not None:
        await deliver_text(bot, query.message.chat_id, outcome.alert)
    await send(query.message.chat_id, outcome)
