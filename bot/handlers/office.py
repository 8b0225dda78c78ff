"""The receiving office in chat: /tiendo (progress, with a button to remind the late) and
/tonghop (the compiled files), in the office's group or in a private chat with its staff."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from functools import partial

from telegram import Chat, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.handlers.common import answer_query, deliver, deliver_text, finish_press, turn
from bot.sending import ReportFiles
from channels.telegram import send_item
from conversations import texts
from conversations.office import (
    CALLBACK_PREFIX,
    DELIVERY_CHAT_PATTERN,
    OFFICE_ARGUMENT_LIMIT,
    REMIND_PATTERN,
    OfficeDesk,
)
from conversations.outgoing import Outcome
from storage.db import Database
from storage.models import DEFAULT_REPORT_KIND

logger = logging.getLogger(__name__)


class OfficeHandlers:
    def __init__(self, database: Database, desk: OfficeDesk, files: ReportFiles) -> None:
        self.database = database
        self.desk = desk
        self.files = files

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        messages = filters.UpdateType.MESSAGE
        return [
            CommandHandler("tiendo", self.progress, filters=messages),
            CommandHandler("tonghop", self.compiled, filters=messages),
            CallbackQueryHandler(self.press, pattern=f"^{CALLBACK_PREFIX}"),
        ]

    async def progress(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._command(update, context, compiled=False)

    async def compiled(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._command(update, context, compiled=True)

    async def _command(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, *, compiled: bool
    ) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        argument = " ".join(context.args or [])
        private = message.chat.type == "private"
        async with turn(self.database, update.update_id, user) as now:
            session, known = now.session, now.known
            if known is None:
                if private:  # in a group the bot stays quiet to strangers
                    await message.reply_text(texts.NOT_REGISTERED)
                return
            if not private and not known.staffs_office_of_chat(message.chat_id):
                return  # in a group the bot answers only the staff of the office it belongs to
            outcome: Outcome | None
            if len(argument) > OFFICE_ARGUMENT_LIMIT:
                outcome = Outcome.say(self.desk.bad_argument())
            else:
                act = self.desk.compiled if compiled else self.desk.progress
                outcome = await act(
                    session,
                    person=known.person,
                    group_chat_id=None if private else message.chat_id,
                    argument=argument,
                    now=datetime.now(UTC),
                )
        if outcome is None:  # works for no receiving office, or not in this group
            if private:
                await message.reply_text(texts.NOT_OFFICE_STAFF)
            return
        if compiled and len(outcome.items) > 1:
            await message.reply_text(texts.COMPILING)
            try:
                await context.bot.send_chat_action(message.chat_id, ChatAction.UPLOAD_DOCUMENT)
            except TelegramError:
                logger.debug("Could not show the upload status")
        await self._send(context, message.chat_id, outcome)

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """🔔 Remind the late: office staff only; once a day per person reminded."""
        query, user, chat = update.callback_query, update.effective_user, update.effective_chat
        if query is None or user is None:
            return
        group_id = chat.id if chat is not None and chat.type != Chat.PRIVATE else None
        chat_choice = DELIVERY_CHAT_PATTERN.match(query.data or "")
        if chat_choice is not None:
            await self._choose_delivery_chat(update, context, chat_choice)
            return
        match = REMIND_PATTERN.match(query.data or "")
        if match is None:
            await answer_query(query, texts.OLD_BUTTON)
            return
        async with turn(self.database, update.update_id, user) as now:
            # In a group the button is for the staff of the office whose group it is.
            if now.known is None or (
                group_id is not None and not now.known.staffs_office_of_chat(group_id)
            ):
                outcome = Outcome.refused(texts.NOT_YOUR_BUTTON)
            elif not await now.claim():
                outcome = Outcome.refused(texts.NOTHING_TO_REMIND)
            else:
                outcome = await self.desk.remind(
                    now.session,
                    person=now.known.person,
                    period_id=int(match.group(1)),
                    now=datetime.now(UTC),
                    report_kind=match.group(2) or DEFAULT_REPORT_KIND,
                )
        # Best effort: a press answered late (the bot was down) still gets its messages.
        if outcome.accepted and outcome.items:
            await answer_query(query)
            if isinstance(query.message, Message):
                await self._send(context, query.message.chat_id, outcome)
            return
        answered = await answer_query(query, outcome.alert)
        if not answered and outcome.alert is not None and isinstance(query.message, Message):
            await deliver_text(context.bot, query.message.chat_id, outcome.alert)

    async def _choose_delivery_chat(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, choice: re.Match[str]
    ) -> None:
        """Keep the office's files where they go, or move them to this private chat."""
        query, user, chat = update.callback_query, update.effective_user, update.effective_chat
        assert query is not None and user is not None
        async with turn(self.database, update.update_id, user) as now:
            if now.known is None or chat is None or chat.id != user.id:
                outcome = Outcome.refused(texts.NOT_YOUR_BUTTON)  # asked in private only
            elif not await now.claim():
                outcome = Outcome.refused(texts.OLD_BUTTON)
            else:
                outcome = await self.desk.choose_delivery_chat(
                    now.session,
                    person=now.known.person,
                    office_id=int(choice.group(1)),
                    asked_about=int(choice.group(2)),
                    move=choice.group(3) == "move",
                    now=datetime.now(UTC),
                )
        await finish_press(query, context.bot, outcome, partial(self._send, context))

    async def _send(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, outcome: Outcome
    ) -> None:
        for item in outcome.items:
            sent = await deliver(
                partial(send_item, context.bot, chat_id, item, self.files), what="an office reply"
            )
            if sent is None:
                return
