"""/noinhan in Telegram: a commune's leaders see and set who its reports go to ("Nơi nhận").

The list typed after `/noinhan` is read by the approval handlers' text handler, which reads
every message a person was asked for (conversations.approval hands it to
conversations.recipients).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot.handlers.common import deliver_text, turn
from conversations import recipients, texts
from conversations.outgoing import Outcome, Text
from storage.db import Database

COMMAND = "noinhan"


class RecipientsHandlers:
    def __init__(self, database: Database) -> None:
        self.database = database

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        # Private only: the list names the commune, and a group is not where it is set.
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        return [CommandHandler(COMMAND, self.command, filters=private)]

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the commune's recipients and ask for a new list, or take the one typed after."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        # "/noinhan" alone, or followed (after a space or a line break) by the list itself.
        parts = (message.text or "").split(maxsplit=1)
        typed = parts[1] if len(parts) > 1 else ""
        outcome: Outcome | None = None
        async with turn(self.database, update.update_id, user) as now:
            if now.person is None:
                outcome = None
            elif typed.strip():
                if not await now.claim():
                    return  # delivered again after a crash: the list was already set
                outcome = await recipients.set_typed(now.session, person=now.person, text=typed)
            else:
                outcome = await recipients.show(now.session, person=now.person)
        if outcome is None:
            await message.reply_text(texts.NOT_REGISTERED)
            return
        for item in outcome.items:
            assert isinstance(item, Text)  # recipients answer in words only
            if await deliver_text(context.bot, message.chat_id, item.text) is None:
                return  # in order or not at all
