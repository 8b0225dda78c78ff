"""The questionnaire in Telegram: /baocao, /xem, /huy, typed answers and answer buttons.

These handlers only translate: an update goes to conversations.engine inside one transaction
that also records the update's id, and the engine's reply goes back as messages and buttons.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from conversations import texts
from conversations.duties import RESUME_CALLBACK
from conversations.engine import OutMessage, Questionnaire, Reply
from storage.db import Database
from storage.models import Person
from storage.people import find_by_telegram_id
from storage.questionnaire import claim_update

logger = logging.getLogger(__name__)

CALLBACK_PREFIX = "q:"
# q:<state id>:<step>:<action>, where action is a word with an optional small number ("v:2").
CALLBACK_PATTERN = re.compile(r"^q:(\d{1,12}):(\d{1,9}):([a-z]{1,8}(?::\d{1,3})?)$")

Fallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


class Command(Protocol):
    def __call__(self, session: AsyncSession, /, *, person: Person) -> Awaitable[Reply]: ...


def callback_data(state_id: int, step: int, action: str) -> str:
    return f"{CALLBACK_PREFIX}{state_id}:{step}:{action}"


class QuestionnaireHandlers:
    def __init__(
        self,
        database: Database,
        questionnaire: Questionnaire,
        *,
        not_in_walk: Fallback,
        edited_not_in_walk: Fallback,
    ) -> None:
        self.database = database
        self.questionnaire = questionnaire
        # What a message gets when the person is not answering questions (registration's answer).
        self.not_in_walk = not_in_walk
        self.edited_not_in_walk = edited_not_in_walk

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        private = filters.ChatType.PRIVATE
        return [
            CommandHandler("baocao", self.begin, filters=private & filters.UpdateType.MESSAGE),
            CommandHandler("xem", self.entered, filters=private & filters.UpdateType.MESSAGE),
            CommandHandler("huy", self.pause, filters=private & filters.UpdateType.MESSAGE),
            CallbackQueryHandler(self.press, pattern=f"^{CALLBACK_PREFIX}"),
            CallbackQueryHandler(self.resume, pattern=f"^{RESUME_CALLBACK}$"),
            MessageHandler(
                private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
                self.text,
            ),
            MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.TEXT, self.not_text),
            MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, self.edited),
        ]

    async def begin(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Start or continue the person's part of the open round."""
        # Repeating /baocao (or Telegram redelivering it) only shows the question again.
        await self._for_registered(update, self.questionnaire.begin)

    async def resume(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The button on a prompt or reminder: the same as /baocao."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        async with self.database.session() as session:
            known = await find_by_telegram_id(session=session, telegram_user_id=user.id)
            reply = (
                None
                if known is None
                else await self.questionnaire.begin(session, person=known.person)
            )
        if reply is None:
            await query.answer(texts.NOT_YOUR_BUTTON, show_alert=True)
            return
        await query.answer()
        if isinstance(query.message, Message):
            await self._send(query.message, reply)

    async def entered(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show what the person has entered so far."""
        await self._for_registered(update, self.questionnaire.entered)

    async def pause(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Pause answering; nothing entered is lost."""
        await self._for_registered(update, self.questionnaire.pause)

    async def _for_registered(self, update: Update, command: Command) -> None:
        """Run a command for a registered person and send its reply; refuse strangers."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        async with self.database.session() as session:
            known = await find_by_telegram_id(session=session, telegram_user_id=user.id)
            reply = None if known is None else await command(session, person=known.person)
        if reply is None:
            await message.reply_text(texts.NOT_REGISTERED)
            return
        await self._send(message, reply)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Read a typed message as the answer to the question the person is on."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        async with self.database.session() as session:
            known = await find_by_telegram_id(session=session, telegram_user_id=user.id)
            if known is None:
                reply = None
            elif not await claim_update(session=session, update_id=update.update_id):
                # Telegram delivered this message again (e.g. after a crash): it was already
                # acted on, so only repeat where the person is.
                logger.info("Update %s was already handled; repeating the prompt", update.update_id)
                reply = await self.questionnaire.current_prompt(session, person=known.person)
            else:
                reply = await self.questionnaire.answer_text(
                    session, person=known.person, text=message.text
                )
        if reply is None:
            await self.not_in_walk(update, context)
            return
        await self._send(message, reply)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A sticker, photo, voice note...: say what the bot reads, then ask the question again."""
        await self._repeat_with(update, context, texts.UNSUPPORTED_IN_WALK, self.not_in_walk)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message is not read: the first version may already be stored."""
        await self._repeat_with(update, context, texts.EDITED_IN_WALK, self.edited_not_in_walk)

    async def _repeat_with(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        notice: str,
        otherwise: Fallback,
    ) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        async with self.database.session() as session:
            known = await find_by_telegram_id(session=session, telegram_user_id=user.id)
            reply = None
            if known is not None:
                reply = await self.questionnaire.current_prompt(session, person=known.person)
        if reply is None or not reply.messages:
            await otherwise(update, context)
            return
        await message.reply_text(notice)
        await self._send(message, reply)

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Act on an answer button, if it is this person's and from their latest question."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        match = CALLBACK_PATTERN.match(query.data or "")
        if match is None:
            await query.answer(texts.OLD_BUTTON, show_alert=True)
            return
        state_id, step, action = int(match.group(1)), int(match.group(2)), match.group(3)
        async with self.database.session() as session:
            known = await find_by_telegram_id(session=session, telegram_user_id=user.id)
            if known is None:
                reply = Reply(alert=texts.NOT_YOUR_BUTTON, accepted=False)
            elif not await claim_update(session=session, update_id=update.update_id):
                reply = Reply(alert=texts.OLD_BUTTON, accepted=False)
            else:
                reply = await self.questionnaire.press(
                    session, person=known.person, state_id=state_id, step=step, action=action
                )
        if reply.alert is not None:
            await query.answer(reply.alert, show_alert=True)
        else:
            await query.answer()
        if not reply.accepted or not isinstance(query.message, Message):
            return
        await drop_keyboard(query.message)
        await self._send(query.message, reply)

    async def _send(self, anchor: Message, reply: Reply) -> None:
        for out in reply.messages:
            await anchor.chat.send_message(out.text, reply_markup=_keyboard(reply, out))


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


async def drop_keyboard(message: Message) -> None:
    """Take the buttons off a message once one was used, so an old one is not tapped again."""
    try:
        await message.edit_reply_markup(reply_markup=None)
    except BadRequest as exc:  # already without buttons, or too old to edit: harmless
        logger.debug("Could not remove a keyboard: %s", exc)
