"""Registration by deep link (/start <code>), /help, and what strangers and odd updates get.

In a group the bot answers only the staff of the office whose group it is, and only with the
office's commands; a private command typed there gets them a one-line pointer, anyone else
silence. The one exception is /start with an office's invitation, which registers the group.
"""

from __future__ import annotations

import logging

from telegram import Chat, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers.common import account_of, answer_query
from bot.menus import CommandMenus
from channels.telegram import keyboard
from conversations import texts
from conversations.office import OfficeDesk
from storage.db import Database
from storage.invitations import redeem_invitation
from storage.models import Role
from storage.people import KnownPerson, find_by_telegram_id

logger = logging.getLogger(__name__)

OFFICE_ONLY = frozenset({Role.OFFICE})
# The commands of a person's private chat with the bot (/start and /help have their own handlers).
PRIVATE_COMMANDS = ("baocao", "xem", "huy", "lichsu", "noinhan")


class RegistrationHandlers:
    def __init__(self, database: Database, menus: CommandMenus) -> None:
        self.database = database
        self.menus = menus

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        messages = filters.UpdateType.MESSAGE
        return [
            CommandHandler("start", self.start, filters=messages),
            CommandHandler("help", self.help, filters=messages),
            # Registered first, so no feature's handler answers these in a group.
            CommandHandler(
                PRIVATE_COMMANDS, self.private_only, filters=messages & filters.ChatType.GROUPS
            ),
        ]

    def fallbacks(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        """Handlers for whatever no feature claimed; registered last."""
        return [
            MessageHandler(
                filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE, self.edited
            ),
            MessageHandler(
                filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE, self.anything_else
            ),
            CallbackQueryHandler(self.stale_button),
        ]

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Register with an invitation code, or say who the person already is."""
        message, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None:
            return
        args = context.args or []
        in_group = chat.type in (Chat.GROUP, Chat.SUPERGROUP)
        if not args:
            if in_group:
                await self.private_only(update, context)
            else:
                await self._greet_known_or_refuse(update)
            return
        # A deep link carries exactly one word; anything else was typed by hand and is refused.
        code = args[0] if len(args) == 1 else ""
        async with self.database.session() as session:
            result = await redeem_invitation(
                session=session,
                code=code,
                account=account_of(user),
                chat_id=chat.id,
                only_roles=OFFICE_ONLY if in_group else None,
            )
        if result.registration is None:
            assert result.failure is not None
            logger.info(
                "Refused a registration from user %s in chat %s: %s",
                user.id,
                chat.id,
                result.failure.value,
            )
            if in_group:  # without an office's invitation, /start is a private command here
                await self.private_only(update, context)
            else:
                await message.reply_text(texts.INVALID_INVITATION)
            return
        registration = result.registration
        if registration.newly_registered:
            logger.info(
                "Registered person %s as %s of unit %s",
                registration.person.id,
                registration.role.value,
                registration.unit.code,
            )
        if in_group:
            await message.reply_text(texts.office_group_greeting(unit=registration.unit))
        else:
            await message.reply_text(
                texts.greeting(
                    full_name=registration.person.full_name,
                    role=registration.role,
                    unit=registration.unit,
                )
            )
        # After the greeting: the menu is a convenience, the greeting is the answer.
        await self.menus.set_for_people(context.bot, [registration.person.id])
        if in_group:
            await self.menus.set_for_office_group(context.bot, chat.id)
        if registration.delivery_chat_kept is not None:  # the office's group keeps its files
            question = OfficeDesk.delivery_chat_question(registration)
            await message.reply_text(question.text, reply_markup=keyboard(question.buttons))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List what this person can do."""
        message, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None:
            return
        if chat.type in (Chat.GROUP, Chat.SUPERGROUP):  # it names the person and their units
            await self.private_only(update, context)
            return
        known = await self._known(user.id)
        if known is None:
            await message.reply_text(texts.NOT_REGISTERED)
            return
        await message.reply_text(
            texts.help_text(
                full_name=known.person.full_name,
                roles=[(item.role, item.unit) for item in known.roles],
                commands=await self.menus.menu_of_person(known.person.id),
            )
        )

    async def private_only(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A private command typed in a group: point the group's office staff to the private
        chat; say nothing to anyone else."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        known = await self._known(user.id)
        if known is not None and known.staffs_office_of_chat(message.chat_id):
            await message.reply_text(texts.PRIVATE_CHAT_ONLY)
            return
        logger.info("Ignored a private command from user %s in group %s", user.id, message.chat_id)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say that edits are not read, so nobody believes a corrected figure was taken."""
        message = update.effective_message
        if message is not None:
            await message.reply_text(texts.EDITED_MESSAGE)

    async def anything_else(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a private message no feature handled: refuse strangers, guide the registered."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        known = await self._known(user.id)
        if known is None:
            await message.reply_text(texts.NOT_REGISTERED)
        elif message.text is None:
            await message.reply_text(texts.UNSUPPORTED_CONTENT)
        else:
            await message.reply_text(texts.NOTHING_TO_DO_YET)

    async def stale_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a button no feature recognised (old keyboard or forged data) without acting."""
        query = update.callback_query
        if query is not None:
            await answer_query(query, texts.STALE_BUTTON)

    async def _greet_known_or_refuse(self, update: Update) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        known = await self._known(user.id)
        if known is None:
            await message.reply_text(texts.NOT_REGISTERED)
        else:
            await message.reply_text(texts.ALREADY_REGISTERED)

    async def _known(self, telegram_user_id: int) -> KnownPerson | None:
        async with self.database.session() as session:
            return await find_by_telegram_id(session=session, telegram_user_id=telegram_user_id)
