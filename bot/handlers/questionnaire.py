"""The questionnaire in Telegram: /baocao, /xem, /huy, typed answers and answer buttons.

These handlers only translate: an update goes to conversations.engine inside one turn (one
transaction that also records the update's id), and the engine's reply goes back through
bot.prompts, which records which prompt reached the person. A typed answer carries its message
id, so the engine reads it against the prompt the person saw, not the one the walk is on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Chat, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers.common import Turn, answer_query, deliver_text, drop_keyboard, turn
from bot.prompts import CALLBACK_PREFIX, WalkReplies
from conversations import texts
from conversations.duties import RESUME_PATTERN
from conversations.engine import Questionnaire, Reply
from storage.db import Database
from storage.models import Person

logger = logging.getLogger(__name__)

# q:<state id>:<step>:<action>, where action is a word with an optional small number ("v:2").
CALLBACK_PATTERN = re.compile(r"^q:(\d{1,12}):(\d{1,9}):([a-z]{1,8}(?::\d{1,3})?)$")

Fallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


class Command(Protocol):
    def __call__(self, session: AsyncSession, /, *, person: Person) -> Awaitable[Reply]: ...


class QuestionnaireHandlers:
    def __init__(
        self,
        database: Database,
        questionnaire: Questionnaire,
        *,
        not_in_walk: Fallback,
        edited_not_in_walk: Fallback,
        replies: WalkReplies | None = None,
    ) -> None:
        self.database = database
        self.questionnaire = questionnaire
        self.replies = replies or WalkReplies(database)
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
            CallbackQueryHandler(self.resume, pattern=RESUME_PATTERN),
            MessageHandler(
                private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
                self.text,
            ),
            MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.TEXT, self.not_text),
            MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, self.edited),
        ]

    async def begin(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Start or continue the person's part of the open round ("/baocao tthc": of that
        report, when several wait)."""
        # Repeating /baocao (or Telegram redelivering it) only shows the question again.
        report_kind = context.args[0] if context.args else None
        await self._for_registered(
            update, context, partial(self.questionnaire.begin, report_kind=report_kind)
        )

    async def resume(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The button on a prompt or reminder: the same as /baocao (of the prompt's kind)."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        match = RESUME_PATTERN.match(query.data or "")
        report_kind = match.group(1) if match else None
        async with turn(self.database, update.update_id, user) as now:
            reply = (
                None
                if now.person is None
                else await self.questionnaire.begin(
                    now.session, person=now.person, report_kind=report_kind
                )
            )
        if reply is None:
            await answer_query(query, texts.NOT_YOUR_BUTTON)
            return
        await answer_query(query)
        await self.replies.send(context.bot, user.id, reply)

    async def entered(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show what the person has entered so far."""
        await self._for_registered(update, context, self.questionnaire.entered)

    async def pause(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Pause answering; nothing entered is lost."""
        await self._for_registered(update, context, self.questionnaire.pause)

    async def _for_registered(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, command: Command
    ) -> None:
        """Run a command for a registered person and send its reply; refuse strangers."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        async with turn(self.database, update.update_id, user) as now:
            reply = None if now.person is None else await command(now.session, person=now.person)
        if reply is None:
            await deliver_text(context.bot, message.chat_id, texts.NOT_REGISTERED)
            return
        await self.replies.send(context.bot, message.chat_id, reply)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Read a typed message as the answer to the question the person saw when typing it."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        async with turn(self.database, update.update_id, user) as now:
            reply = await self.read_text(now, message)
        await self.reply_to_text(update, context, reply)

    async def read_text(self, now: Turn, message: Message) -> Reply | None:
        """The turn's part of a typed answer: store it (or not) and say what to reply; None
        when the person is not answering questions. Runs inside the caller's turn."""
        if now.person is None or message.text is None:
            return None
        if not await now.claim():
            # Telegram delivered this message again (e.g. after a crash): it was already
            # acted on, so only repeat where the person is.
            return await self.questionnaire.current_prompt(now.session, person=now.person)
        return await self.questionnaire.answer_text(
            now.session,
            person=now.person,
            text=message.text,
            message_order=message.message_id,
        )

    async def reply_to_text(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply | None
    ) -> None:
        """After the turn committed: send the reply, or what a message outside a walk gets."""
        message = update.effective_message
        if reply is None or message is None:
            await self.not_in_walk(update, context)
            return
        await self.replies.send(context.bot, message.chat_id, reply)

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
        async with turn(self.database, update.update_id, user) as now:
            reply = None
            if now.person is not None:
                reply = await self.questionnaire.current_prompt(now.session, person=now.person)
        if reply is None or not reply.messages:
            await otherwise(update, context)
            return
        await deliver_text(context.bot, message.chat_id, notice)
        await self.replies.send(context.bot, message.chat_id, reply)

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Act on an answer button, if it is this person's and from their latest question.

        The answer to Telegram is best effort (a press older than ~15 s cannot be answered):
        whatever happens to it, the turn goes on, and a refusal that could not pop up is said
        in the chat together with the question the person is on.
        """
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        chat = update.effective_chat
        if chat is not None and chat.type != Chat.PRIVATE:
            # Walk buttons live in private chats; one forged on a group's message acts on nothing.
            await answer_query(query, texts.NOT_YOUR_BUTTON)
            return
        match = CALLBACK_PATTERN.match(query.data or "")
        chat_id = user.id  # a walk's replies go to the person's private chat, nowhere else
        redelivered = False
        async with turn(self.database, update.update_id, user) as now:
            if match is None:
                reply = Reply(alert=texts.OLD_BUTTON, accepted=False)
            elif now.person is None:
                reply = Reply(alert=texts.NOT_YOUR_BUTTON, accepted=False)
            elif not await now.claim():
                # Pressed before a crash and delivered again: acted on already.
                redelivered = True
                reply = Reply(accepted=False)
            else:
                state_id, step, action = int(match[1]), int(match[2]), match[3]
                reply = await self.questionnaire.press(
                    now.session, person=now.person, state_id=state_id, step=step, action=action
                )
            if not reply.accepted and now.person is not None and match is not None:
                # Wherever the press went wrong, show where the person is.
                where = await self.questionnaire.current_prompt(now.session, person=now.person)
            else:
                where = None
        answered = await answer_query(query, reply.alert)
        if reply.accepted:
            if isinstance(query.message, Message):
                await drop_keyboard(query.message)
            await self.replies.send(context.bot, chat_id, reply)
            return
        if where is None or not where.messages:
            if not answered and reply.alert is not None:
                await deliver_text(context.bot, chat_id, reply.alert)
            return
        if redelivered or not answered:
            # The pop-up may not have shown: say it in the chat, then the current question.
            if reply.alert is not None:
                await deliver_text(context.bot, chat_id, reply.alert)
            await self.replies.send(context.bot, chat_id, where)
