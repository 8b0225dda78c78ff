"""Build the Telegram application: the one place where every handler is wired."""

from __future__ import annotations

import logging

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.config import Settings
from bot.handlers.questionnaire import QuestionnaireHandlers
from bot.handlers.registration import RegistrationHandlers
from conversations import texts
from conversations.engine import Questionnaire
from conversations.forms import Form
from storage.db import Database

logger = logging.getLogger(__name__)


def build_application(settings: Settings, database: Database, form: Form) -> Application:  # type: ignore[type-arg]
    token = settings.token
    if token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to build the bot")
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_file_base_url)
        # One update at a time keeps each person's answers in order; the load is small.
        .concurrent_updates(False)
        # bot.polling fetches updates itself, confirming each only after it was handled.
        .updater(None)
        .post_init(_set_commands)
        .build()
    )
    registration = RegistrationHandlers(database)
    questionnaire = QuestionnaireHandlers(
        database,
        Questionnaire(form),
        not_in_walk=registration.anything_else,
        edited_not_in_walk=registration.edited,
    )
    # One group: PTB runs only the first matching handler of a group, so the fallbacks,
    # added last, answer only what no feature handled.
    application.add_handlers(
        [*registration.handlers(), *questionnaire.handlers(), *registration.fallbacks()]
    )
    application.add_error_handler(_on_error)
    return application


async def _set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Show the commands in the phone's menu; a failure here must not stop the bot."""
    try:
        await application.bot.set_my_commands(
            [BotCommand(name, description) for name, description in texts.COMMANDS]
        )
    except TelegramError as exc:
        logger.warning("Could not set the command menu: %s", exc)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its traceback and tell the person something useful."""
    logger.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(texts.INTERNAL_ERROR, show_alert=True)
        except TelegramError:
            logger.debug("Could not answer the callback query after an error")
        return
    if update.effective_chat.type != "private":
        return
    try:
        await context.bot.send_message(update.effective_chat.id, texts.INTERNAL_ERROR)
    except TelegramError:
        logger.warning("Could not tell chat %s about an error", update.effective_chat.id)
