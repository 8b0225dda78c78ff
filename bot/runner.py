"""Run the bot: lock, migrate, connect with retries, poll until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.app import build_application, make_office_desk, make_questionnaire, make_workflow
from bot.config import Settings
from bot.kinds import KIND_ERRORS, deployment_kinds
from bot.menus import CommandMenus
from bot.outbox import Hook, OutboxSender, Pacer
from bot.polling import ChatLanes, poll_updates, retry_after_seconds
from bot.prompts import PromptKeeper, TelegramWalks, WalkChannel, WalkReplies, ZaloWalks
from bot.scheduler import CalendarClock, Leadership
from bot.sending import ReportFiles, linked_report
from channels.links import FileLinks, LinkServer
from channels.zalo.service import Listen, Webhook, ZaloService
from report_templates import pdf
from storage.db import Database, InstanceLock, sqlite_path, upgrade_database
from storage.models import ChannelName, OutboxMessage
from storage.questionnaire import forget_processed_updates

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RETRY_DELAY_S = 60.0
LEADER_RETRY_S = 5.0
PROCESSED_UPDATES_KEPT = timedelta(days=7)

EXIT_OK = 0
EXIT_TOKEN_REJECTED = 2
EXIT_BAD_FORM = 2
EXIT_ALREADY_RUNNING = 3


async def run_bot(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """Run until `stop` is set (or SIGINT/SIGTERM when no event is given); return an exit code."""
    try:
        # Loaded now so a broken form, calendar, template or layout stops the start, named by
        # file and line.
        kinds = deployment_kinds(settings)
    except KIND_ERRORS as exc:
        logger.error("A report kind is invalid:\n%s", exc)
        return EXIT_BAD_FORM
    for kind in kinds.values():
        logger.info(
            "Report kind %s: form %s version %s (%s)",
            kind.code,
            kind.form.form,
            kind.form.version,
            kind.folder,
        )
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
        workflow = make_workflow(settings, kinds)
        # One questionnaire for every channel: a round completed on Zalo is drafted too.
        questionnaire = make_questionnaire(settings, kinds, workflow)
        desk = make_office_desk(settings, kinds, questionnaire)
        duties = list(desk.duties.values())
        # Without a Telegram token the bot runs on Zalo alone (a province where Telegram is
        # blocked); `baocao run` starts the demo only when neither token is set.
        menus = CommandMenus(database, kinds.forms.values()) if settings.token is not None else None
        application = (
            build_application(settings, database, kinds, workflow, desk, menus)
            if settings.token is not None
            else None
        )
        if application is not None and not await _connect(application, settings, stop):
            await application.bot.shutdown()  # close the HTTP pool a failed connect opened
            return EXIT_TOKEN_REJECTED if not stop.is_set() else EXIT_OK
        files = ReportFiles(database, office=desk)  # one: a version's PDF is made once
        zalo = (
            ZaloService(
                database,
                questionnaire,
                token=settings.zalo_token,
                api_url=settings.zalo_api_url,
                poll_timeout_s=settings.zalo_poll_timeout_s,
                workflow=workflow,
                desk=desk,
                webhook=(
                    Webhook(url=settings.zalo_webhook_url, secret=settings.zalo_secret)
                    if settings.zalo_webhook_url and settings.zalo_secret
                    else None
                ),
                listen=Listen(settings.baocao_http_host, settings.baocao_http_port),
                links=(
                    LinkServer(
                        FileLinks(settings.link_secret, settings.baocao_public_url),
                        partial(linked_report, files),
                        host=settings.baocao_http_host,
                        port=settings.baocao_http_port,
                    )
                    if settings.baocao_public_url and settings.link_secret
                    else None
                ),
                pages=files,
            )
            if settings.zalo_token
            else None
        )
        sender = OutboxSender(
            application.bot if application is not None else None,
            database,
            files,
            after_sent=workflow.after_sent,
            on_blocked=duties[0].on_blocked,  # the same for every kind: a person blocked the bot
            on_failed=hooks_in_turn(desk.delivery_failed, workflow.delivery_failed),
            pacer=Pacer(settings.baocao_send_rate, settings.baocao_chat_rate),
            # Quiet hours are the default kind's calendar's: a person has one night.
            quiet_until=lambda now: kinds.default.calendar.quiet_until(now, settings.timezone),
            lease=timedelta(seconds=settings.baocao_outbox_lease_s),
            # On SQLite the instance lock makes this the only sender.
            only_sender=sqlite_path(settings.database_url) is not None,
            zalo=zalo.outlet if zalo is not None else None,
        )
        clock = CalendarClock(
            database, duties, every_s=settings.baocao_calendar_every_s, on_queued=sender.wake
        )
        try:
            lanes = ChatLanes()  # Telegram's turns: in order within a chat, chats side by side
            walks: dict[ChannelName, WalkChannel] = {}
            if application is not None:
                walks[ChannelName.TELEGRAM] = TelegramWalks(
                    application.bot, WalkReplies(database), lanes
                )
            if zalo is not None:
                walks[ChannelName.ZALO] = ZaloWalks(zalo.conversation, zalo.receiver.lanes)
            keeper = PromptKeeper(
                database,
                questionnaire,
                walks,
                settled=timedelta(seconds=settings.baocao_prompt_resend_after_s),
                every_s=settings.baocao_prompt_check_every_s,
            )
            try:
                await _serve(
                    application,
                    database,
                    sender,
                    clock,
                    keeper,
                    lanes,
                    Leadership(settings.database_url),
                    stop,
                    menus=menus,
                    zalo=zalo,
                )
            finally:
                if zalo is not None:
                    await zalo.close()
        except TokenRejected:
            _say_token_rejected(settings)
            return EXIT_TOKEN_REJECTED
        finally:
            if application is not None:
                await application.shutdown()
        if application is None and zalo is not None and zalo.token_rejected:
            return EXIT_TOKEN_REJECTED
        return EXIT_OK
    finally:
        await database.dispose()
        await asyncio.to_thread(pdf.shutdown)  # the warm LibreOffice, if one was started
        lock.release()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


class TokenRejected(Exception):
    """The Bot API answered that the token is not valid: retrying cannot help."""


async def _connect(application: Application, settings: Settings, stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
    """Reach the Bot API (getMe), retrying with backoff; False if the token is rejected or we
    must stop."""
    try:
        connected = await _until_done(
            stop, "connecting", application.initialize, api_url=settings.telegram_api_url
        )
        return connected is not None
    except TokenRejected:
        _say_token_rejected(settings)
        return False


def _say_token_rejected(settings: Settings) -> None:
    # PTB's message for this repeats the token; never log it.
    logger.error(
        "The Bot API at %s rejected TELEGRAM_BOT_TOKEN. Check the token with @BotFather.",
        settings.telegram_api_url,
    )


async def _until_done(
    stop: asyncio.Event,
    doing: str,
    call: Callable[[], Awaitable[T]],
    *,
    api_url: str = "the configured address",
) -> tuple[T] | None:
    """Call the Bot API until it answers: (the result,), or None if told to stop first.

    At start-up one 502, timeout or 429 must not end the process: network errors, timeouts
    and 5xx are tried again with backoff (1 s doubling to a minute), a 429 after its
    `retry_after`. A rejected token raises TokenRejected at once. Hand-written rather than
    PTB's bootstrap retries because those log only at debug level, and an operator needs to
    see which address is unreachable and when the next try is.
    """
    delay = 1.0
    while not stop.is_set():
        try:
            return (await call(),)
        except InvalidToken as exc:
            raise TokenRejected from exc
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            logger.warning("The Bot API asks to wait %.0f s before %s", wait, doing)
            await _sleep_or_stop(stop, wait)
        except TelegramError as exc:  # NetworkError, TimedOut, 5xx: worth another try
            logger.warning(
                "Cannot reach the Bot API at %s while %s (%s); retrying in %.0f s",
                api_url,
                doing,
                type(exc).__name__,
                delay,
            )
            await _sleep_or_stop(stop, delay)
            delay = min(delay * 2, MAX_RETRY_DELAY_S)
    return None


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _serve(
    application: Application | None,  # type: ignore[type-arg]
    database: Database,
    sender: OutboxSender,
    clock: CalendarClock,
    keeper: PromptKeeper,
    lanes: ChatLanes,
    leadership: Leadership,
    stop: asyncio.Event,
    menus: CommandMenus | None = None,
    zalo: ZaloService | None = None,
) -> None:
    if application is not None:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
    sending = asyncio.create_task(sender.run(stop), name="outbox")
    try:
        while not stop.is_set():
            if not await _lead(leadership, stop):
                break
            await _lead_until_lost(
                application,
                database,
                clock,
                keeper,
                lanes,
                leadership,
                stop,
                menus=menus,
                zalo=zalo,
            )
    finally:
        logger.info("Stopping")
        stop.set()
        await sending
        await leadership.release()
        if application is not None and application.running:
            await application.stop()


async def _lead(leadership: Leadership, stop: asyncio.Event) -> bool:
    """Wait until this instance leads; False if told to stop first."""
    said = False
    while not stop.is_set():
        try:
            if await leadership.try_acquire():
                return True
        except (DBAPIError, OperationalError) as exc:
            logger.warning("Cannot reach the database to take the lead: %s", exc)
        if not said:
            logger.info(
                "Another instance leads (polls Telegram, runs the calendar); this one sends "
                "from the outbox and takes over if it stops"
            )
            said = True
        await _sleep_or_stop(stop, LEADER_RETRY_S)
    return False


async def _lead_until_lost(
    application: Application | None,  # type: ignore[type-arg]
    database: Database,
    clock: CalendarClock,
    keeper: PromptKeeper,
    lanes: ChatLanes,
    leadership: Leadership,
    stop: asyncio.Event,
    menus: CommandMenus | None = None,
    zalo: ZaloService | None = None,
) -> None:
    """Poll Telegram (and Zalo, when configured), run the calendar and re-send lost prompts
    while this instance leads."""
    leading = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set() and await leadership.still_held():
            await _sleep_or_stop(stop, LEADER_RETRY_S)
        leading.set()

    if application is not None:
        # A webhook left from elsewhere would make getUpdates fail; pending updates are kept.
        removed = await _until_done(
            stop,
            "removing any webhook",
            lambda: application.bot.delete_webhook(drop_pending_updates=False),
        )
        if removed is None:  # told to stop meanwhile
            return
    clock.start()
    watching = asyncio.create_task(watch(), name="leadership")
    beside = [asyncio.create_task(keeper.run(leading), name="prompts")]
    serving: Awaitable[object]
    if application is None:
        assert zalo is not None, "a bot needs Telegram or Zalo"
        logger.info("Baocao bot is running on Zalo only; press Ctrl+C to stop")
        serving = _zalo_alone(zalo, leading, stop)
    else:
        logger.info("Baocao bot @%s is running; press Ctrl+C to stop", application.bot.username)
        if menus is not None:
            # The leader sets the menus that changed while it was down, beside the updates.
            setting = _logged(menus.sync(application.bot, leading), "Setting the command menus")
            beside.append(asyncio.create_task(setting, name="menus"))
        if zalo is not None:
            zalo_side = _logged(zalo.run(leading), "The Zalo side")
            beside.append(asyncio.create_task(zalo_side, name="zalo"))
        serving = poll_updates(application, leading, database=database, lanes=lanes)
    try:
        await serving
    finally:
        clock.stop()
        leading.set()
        for task in beside:
            await task
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching


async def _zalo_alone(zalo: ZaloService, leading: asyncio.Event, stop: asyncio.Event) -> None:
    """Zalo's side as the whole bot: a token Zalo refuses stops it."""
    await zalo.run(leading)
    if not leading.is_set():
        stop.set()  # the token was refused: nothing is left to serve


async def _logged(work: Awaitable[object], what: str) -> None:
    """Background work beside polling (menus, Zalo): a failure is logged at once, and the bot
    goes on serving Telegram."""
    try:
        await work
    except Exception:
        logger.exception("%s failed", what)


def hooks_in_turn(*hooks: Hook) -> Hook:
    """Several outbox hooks run one after another in the same transaction."""

    async def run_all(session: AsyncSession, row: OutboxMessage) -> None:
        for hook in hooks:
            await hook(session, row)

    return run_all
