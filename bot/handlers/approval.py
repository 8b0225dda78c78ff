"""Approval in chat: the approver's, clerk's and office's buttons, return comments, /lichsu.

The approval workflow decides; these handlers translate. A person asked for a comment or a
number has their next message read as that, so the text, /huy and non-text handlers here come
before the questionnaire's and hand over to it when nothing was asked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from functools import partial
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, Chat, Message, Update, User
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers.common import (
    Turn,
    answer_query,
    deliver,
    finish_press,
    turn,
)
from bot.handlers.questionnaire import Fallback
from bot.sending import ReportFiles
from channels.telegram import send_item
from conversations import texts
from conversations.approval import (
    ASKED_FOR_TEXT,
    CALLBACK_PATTERN,
    CALLBACK_PREFIX,
    ApprovalWorkflow,
)
from conversations.engine import Reply
from conversations.outgoing import Outcome
from storage.db import Database
from storage.models import Person
from storage.outbox import settle_reply_copy

logger = logging.getLogger(__name__)


class TypedAnswers(Protocol):
    """The questionnaire's two halves of a typed answer: in the turn, and after it."""

    async def read_text(self, now: Turn, message: Message) -> Reply | None: ...

    async def reply_to_text(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply | None
    ) -> None: ...


class PersonAction(Protocol):
    def __call__(
        self, session: AsyncSession, /, *, person: Person
    ) -> Awaitable[Outcome | None]: ...


class ApprovalHandlers:
    def __init__(
        self,
        database: Database,
        workflow: ApprovalWorkflow,
        files: ReportFiles,
        *,
        answers: TypedAnswers,
        cancel_otherwise: Fallback,
        not_text_otherwise: Fallback,
    ) -> None:
        self.database = database
        self.workflow = workflow
        self.files = files
        self.answers = answers  # the questionnaire, for a typed message that is an answer
        self.cancel_otherwise = cancel_otherwise
        self.not_text_otherwise = not_text_otherwise

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        return [
            # A private command: in a group it would show a person's reports to everyone there.
            CommandHandler("lichsu", self.history, filters=private),
            CallbackQueryHandler(self.press, pattern=f"^{CALLBACK_PREFIX}"),
            CommandHandler("huy", self.cancel, filters=private),
            MessageHandler(private & filters.TEXT & ~filters.COMMAND, self.text),
            MessageHandler(private & ~filters.TEXT, self.not_text),
        ]

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Approve, return, show figures, number, acknowledge or fetch a version."""
        query, user, chat = update.callback_query, update.effective_user, update.effective_chat
        if query is None or user is None:
            return
        match = CALLBACK_PATTERN.match(query.data or "")
        if match is None:
            await answer_query(query, texts.OLD_BUTTON)
            return
        draft_id, action = int(match.group(1)), match.group(2)
        in_group = chat is not None and chat.type != Chat.PRIVATE
        async with turn(self.database, update.update_id, user) as now:
            if now.known is None:
                outcome = Outcome.refused(texts.NOT_YOUR_BUTTON)
            elif in_group and chat is not None and not now.known.staffs_office_of_chat(chat.id):
                # A group sees what is pressed there: only its own office acts in it.
                outcome = Outcome.refused(
                    texts.NOT_OFFICE if action == "ack" else texts.NOT_YOUR_BUTTON
                )
            elif not await now.claim():
                outcome = Outcome.refused(
                    texts.ALREADY_APPROVED if action == "ok" else texts.OLD_BUTTON
                )
            else:
                outcome = await self.workflow.press(
                    now.session, person=now.known.person, draft_id=draft_id, action=action
                )
        # Best effort: a press answered late (the bot was down) still gets its messages.
        await finish_press(query, context.bot, outcome, partial(self._send, context.bot))

    async def history(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the versions of the person's reports, each with a button to download it."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        outcome = await self._for_person(update, user, self.workflow.history)
        if outcome is None:
            await message.reply_text(texts.NOT_REGISTERED)
            return
        await self._send(context.bot, message.chat_id, outcome)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A return comment or a document number, if one was asked for; else an answer.

        One turn for both: the questionnaire reads the answer in the same transaction when no
        comment or number is waiting, since this runs before every answer an officer types.
        """
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        outcome: Outcome | None = None
        reply: Reply | None = None
        async with turn(self.database, update.update_id, user) as now:
            person = now.person
            # Only an approver or a clerk is ever asked for a comment, a number or a list:
            # an officer's answer goes straight to the questionnaire, one query sooner.
            asked = now.known is not None and now.known.has_role(*ASKED_FOR_TEXT)
            if (
                person is not None
                and asked
                and await self.workflow.waiting_for(now.session, person=person)
            ):
                if not await now.claim():
                    return
                outcome = await self.workflow.take_text(
                    now.session, person=person, text=message.text
                )
            else:
                reply = await self.answers.read_text(now, message)
        if outcome is None:
            await self.answers.reply_to_text(update, context, reply)
            return
        await self._send(context.bot, message.chat_id, outcome)

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/huy: drop a comment or number being asked for, else pause the questionnaire."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        outcome = await self._for_person(update, user, self.workflow.cancel)
        if outcome is None:
            await self.cancel_otherwise(update, context)
            return
        await self._send(context.bot, message.chat_id, outcome)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A sticker or photo while a comment or number is asked for: ask for text."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        async with self.database.session() as session:
            waiting = await self.workflow.waiting_for_text(session, telegram_user_id=user.id)
        if not waiting:
            await self.not_text_otherwise(update, context)
            return
        await message.reply_text(texts.INPUT_NOT_TEXT)

    async def _for_person(self, update: Update, user: User, act: PersonAction) -> Outcome | None:
        """`act` for the registered person with this account; None for a stranger."""
        async with turn(self.database, update.update_id, user) as now:
            return None if now.person is None else await act(now.session, person=now.person)

    async def _send(self, bot: Bot, chat_id: int, outcome: Outcome) -> None:
        for index, item in enumerate(outcome.items):
            sent = await deliver(
                partial(send_item, bot, chat_id, item, self.files), what="an approval reply"
            )
            if sent is None:
                return  # in order or not at all: the rest would read wrong without it
            if index == 0 and outcome.saved_as is not None:
                await settle_reply_copy(self.database, outcome.saved_as, sent.message_id)
