"""Set the phone's command menu per person, by role (setMyCommands with a chat's scope).

The default scope holds what a stranger can use (/start, /help). A person's private chat gets
their roles' commands when they register, and at start-up for everyone whose menu changed since
it was last set (roles imported, the form or the texts changed): the digest of the menu set is
kept on the person, so a restart with nothing changed makes no call at all. An office's
registered group gets the office's commands. A menu is a convenience: a failure to set one is
logged and tried again at the next start, never allowed to stop the bot or a turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Iterable

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application

from bot.polling import retry_after_seconds
from conversations.menus import (
    OFFICE_GROUP_MENU,
    STRANGER_MENU,
    Menu,
    menu_digest,
    menu_for,
)
from definitions.forms import Form
from storage.db import Database
from storage.menus import MenuHolder, menu_holders, office_group_chats, record_menu
from storage.models import Role

logger = logging.getLogger(__name__)

# setMyCommands is not a message, but a burst of thousands at start-up still meets Telegram's
# flood limit: a steady few a second sets a whole province's menus in minutes, unnoticed.
SYNC_GAP_S = 0.1
LONGEST_WAIT_S = 60.0


class CommandMenus:
    def __init__(
        self, database: Database, forms: Form | Iterable[Form], *, gap_s: float = SYNC_GAP_S
    ) -> None:
        self.database = database
        # Roles that answer some section of a form (of any report kind) get /baocao, /xem, /huy.
        self.answering_roles = frozenset(
            Role(role)
            for form in ([forms] if isinstance(forms, Form) else forms)
            for section in form.sections
            for role in section.answered_by
        )
        self.gap_s = gap_s

    def menu_of(self, holder: MenuHolder) -> Menu:
        answers = holder.assigned_sections or bool(holder.roles & self.answering_roles)
        return menu_for(holder.roles, answers=answers)

    async def menu_of_person(self, person_id: int) -> Menu:
        """The commands a registered person has (what /help lists); the stranger's if none."""
        async with self.database.session() as session:
            holders = await menu_holders(session=session, person_ids=[person_id])
        return self.menu_of(holders[0]) if holders else STRANGER_MENU

    async def set_default(self, bot: Bot) -> bool:
        """What a stranger or a newcomer sees before registering."""
        return await _set(bot, STRANGER_MENU, BotCommandScopeDefault())

    async def set_default_at_start(self, application: Application) -> None:  # type: ignore[type-arg]
        """The application's post_init: the default menu, on every instance."""
        await self.set_default(application.bot)

    async def set_for_people(self, bot: Bot, person_ids: Collection[int]) -> int:
        """Set these people's menus now (they just registered), unless theirs is already set
        (an invitation link opened twice); how many were set."""
        return await self._set_changed(bot, person_ids, only_changed=True)

    async def set_for_office_group(self, bot: Bot, chat_id: int) -> bool:
        try:
            return await _set(bot, OFFICE_GROUP_MENU, BotCommandScopeChat(chat_id))
        except _LongFloodWait:
            return False

    async def sync(self, bot: Bot, stop: asyncio.Event) -> int:
        """At start-up: every office group's menu, and each person's whose menu changed since
        it was last set; how many people's were set."""
        try:
            async with self.database.session() as session:
                groups = await office_group_chats(session=session)
        except SQLAlchemyError as exc:
            logger.warning("Could not read the office groups to set their menus: %s", exc)
            groups = []
        for chat_id in groups:
            if stop.is_set():
                return 0
            await self.set_for_office_group(bot, chat_id)
        count = await self._set_changed(bot, None, only_changed=True, stop=stop)
        if count:
            logger.info("Set the command menu of %d people", count)
        return count

    async def _set_changed(
        self,
        bot: Bot,
        person_ids: Collection[int] | None,
        *,
        only_changed: bool,
        stop: asyncio.Event | None = None,
    ) -> int:
        try:
            async with self.database.session() as session:
                holders = await menu_holders(session=session, person_ids=person_ids)
        except SQLAlchemyError as exc:
            logger.warning("Could not read whose command menus to set: %s", exc)
            return 0
        count = 0
        for holder in holders:
            if stop is not None and stop.is_set():
                break
            menu = self.menu_of(holder)
            digest = menu_digest(menu)
            if only_changed and holder.command_menu == digest:
                continue
            if count and self.gap_s:
                await asyncio.sleep(self.gap_s)
            try:
                if not await _set(bot, menu, BotCommandScopeChat(holder.chat_id)):
                    continue
            except _LongFloodWait:
                break  # the rest waits for the next start rather than hit the limit again
            try:
                async with self.database.session() as session:
                    await record_menu(session=session, person_id=holder.person_id, digest=digest)
            except SQLAlchemyError as exc:  # it is set: at worst set again at the next start
                logger.warning(
                    "Could not record the menu set for person %s: %s", holder.person_id, exc
                )
            count += 1
        return count


class _LongFloodWait(Exception):
    """Telegram asks to wait longer than a menu is worth."""


async def _set(bot: Bot, menu: Menu, scope: BotCommandScopeChat | BotCommandScopeDefault) -> bool:
    """setMyCommands, waiting out one short flood wait; False when it did not go (a longer
    flood wait raises _LongFloodWait for a person's menu)."""
    commands = [BotCommand(name, about) for name, about in menu]
    for attempt in (1, 2):
        try:
            return await bot.set_my_commands(commands, scope=scope)
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if attempt == 2 or wait > LONGEST_WAIT_S:
                logger.warning("Flood wait of %.0f s while setting a command menu", wait)
                if isinstance(scope, BotCommandScopeChat):
                    raise _LongFloodWait from exc
                return False
            await asyncio.sleep(wait)
        except TelegramError as exc:  # e.g. a chat that no longer exists: not worth retrying
            logger.info("Could not set the command menu (%s): %s", scope.type, exc)
            return False
    return False
