"""Run the bot: lock, migrate, connect with retries, poll until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings
from bot.polling import poll_updates, retry_after_seconds
from conversations.forms import FormError, load_form
from report_templates.compose import TemplateError
from report_templates.docx_writer import LayoutError
from report_templates.draft import load_report_files
from storage.db import Database, InstanceLock, upgrade_database
from storage.questionnaire import forget_processed_updates

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY_S = 60.0
PROCESSED_UPDATES_KEPT = timedelta(days=7)

EXIT_OK = 0
EXIT_TOKEN_REJECTED = 2
EXIT_BAD_FORM = 2
EXIT_ALREADY_RUNNING = 3


async def run_bot(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """Run until `stop` is set (or SIGINT/SIGTERM when no event is given); return an exit code."""
    try:
        form = load_form(settings.baocao_form)
    except FormError as exc:
        logger.error("The questionnaire form is invalid:\n%s", exc)
        return EXIT_BAD_FORM
    logger.info("Questionnaire %s version %s", form.form, form.version)
    try:
        # Loaded now so a broken template or layout stops the start, named by file and line.
        load_report_files(settings.baocao_templates_dir)
    except (TemplateError, LayoutError) as exc:
        logger.error("The report templates are invalid:\n%s", exc)
        return EXIT_BAD_FORM
    lock = InstanceLock(settings.database_url)
    if not lock.acquire():
        logger.error(
            "Another Baocao bot is already running on this database (lock file %s). "
            "Stop it first, or use PostgreSQL to run several instances.",
            lock.path,
        )
        return EXIT_ALREADY_RUNNING
    stop = stop or _stop_on_signals()
    database = Database(settings.database_url)
    try:
        await upgrade_database(settings.database_url)
        async with database.session() as session:
            await forget_processed_updates(session=session, older_than=PROCESSED_UPDATES_KEPT)
        application = build_application(settings, database, form)
        if not await _connect(application, settings, stop):
            await application.bot.shutdown()  # close the HTTP pool a failed connect opened
            return EXIT_TOKEN_REJECTED if not stop.is_set() else EXIT_OK
        try:
            await _serve(application, stop)
        finally:
            await application.shutdown()
        return EXIT_OK
    finally:
        await database.dispose()
        lock.release()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _connect(application: Application, settings: Settings, stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
    """Reach the Bot API, retrying with backoff; False if the token is rejected or we must stop.

    Hand-written rather than PTB's bootstrap retries because those log only at debug level,
    and an operator needs to see which address is unreachable and when the next try is.
    """
    delay = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except InvalidToken:
            # PTB's message for this repeats the token; never log it.
            logger.error(
                "The Bot API at %s rejected TELEGRAM_BOT_TOKEN. Check the token with @BotFather.",
                settings.telegram_api_url,
            )
            return False
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            logger.warning("The Bot API asks to wait %.0f s before connecting", wait)
            await _sleep_or_stop(stop, wait)
        except TelegramError as exc:  # NetworkError, TimedOut, 5xx: worth another try
            logger.warning(
                "Cannot reach the Bot API at %s (%s); retrying in %.0f s",
                settings.telegram_api_url,
                type(exc).__name__,
                delay,
            )
            await _sleep_or_stop(stop, delay)
            delay = min(delay * 2, MAX_RETRY_DELAY_S)
    return False


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _serve(application: Application, stop: asyncio.Event) -> None:  # type: ignore[type-arg]
    if application.post_init is not None:
        await application.post_init(application)
    # A webhook left from elsewhere would make getUpdates fail; pending updates are kept.
    await application.bot.delete_webhook(drop_pending_updates=False)
    await application.start()
    logger.info("Baocao bot @%s is running; press Ctrl+C to stop", application.bot.username)
    try:
        await poll_updates(application, stop)
    finally:
        logger.info("Stopping")
        if application.running:
            await application.stop()
