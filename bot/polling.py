"""Long polling that loses no update: each is stored on receipt, then confirmed to Telegram.

PTB's Updater confirms a batch (by asking for the next offset) while its updates are still
queued, so a crash at that moment loses them. Here every update is written to the inbox
(storage.inbox) before the next fetch confirms it, and leaves it once its turn is over, replies
included; what a crash left there is handled on the next start. The handlers record each update
id they act on, so one that comes twice is recognised and answered with where the person is.

Updates run in lanes: one chat's in order, different chats side by side, and the poller goes on
fetching while they run, so one chairman's approval (composing a .docx) or one chat's replies
waiting out Telegram's limits hold up nobody else. A chat that floods the bot (a script, a
stuck key) gets a burst handled, then one polite "please wait", and the rest of its flood is
dropped rather than queued. An update whose turn failed is handled again after a pause (its
transaction rolled back: nothing of it was kept), and if it keeps failing the person is told
plainly that it was not taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, Update
from telegram.error import (
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application

from bot.aiohttp_request import UpdatesRequest

# Re-exported: the lanes and the flood gate serve every channel (channels.lanes).
from channels.lanes import ChatLanes, FloodGate  # shared by every channel
from conversations import texts
from storage.audit import acting_on
from storage.db import Database
from storage.inbox import forget_updates, keep_updates, waiting_updates
from storage.models import ChannelName

logger = logging.getLogger(__name__)

LONG_POLL_S = 20
MAX_BACKOFF_S = 60.0
# A turn that failed (a busy database, a bug) rolled back: try it again after these waits,
# as Telegram would redeliver it, before telling the person it was not taken.
RETRY_DELAYS_S = (1.0, 4.0)
FAILED_UPDATES = "failed_update_ids"
# bot_data key of the request getUpdates goes through, when it keeps what Telegram sent
# (bot.aiohttp_request.UpdatesRequest).
RECEIVED_UPDATES = "updates_request"
# On stopping, turns under way get this long to finish.
STOP_GRACE_S = 10.0


def retry_after_seconds(exc: RetryAfter) -> float:
    """Seconds to wait; PTB gives an int, or a timedelta when PTB_TIMEDELTA is set (its future)."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def lane_key(update: Update) -> int:
    """The chat an update belongs to (the person, for a button without its message)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


def failed_updates(application: Application) -> set[int]:  # type: ignore[type-arg]
    """Update ids whose handling raised: the error handler adds them, the poller reads them."""
    failed: set[int] = application.bot_data.setdefault(FAILED_UPDATES, set())
    return failed


def _as_received(application: Application, update: Update) -> dict[str, Any]:  # type: ignore[type-arg]
    """The update's JSON as Telegram sent it, or rebuilt from PTB's object."""
    request = application.bot_data.get(RECEIVED_UPDATES)
    if isinstance(request, UpdatesRequest) and update.update_id in request.received:
        return request.received[update.update_id]
    return update.to_dict()


async def poll_updates(
    application: Application,  # type: ignore[type-arg]
    stop: asyncio.Event,
    *,
    database: Database,
    long_poll_s: int = LONG_POLL_S,
    lanes: ChatLanes | None = None,
    retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
    gate: FloodGate | None = None,
    stop_grace_s: float = STOP_GRACE_S,
) -> None:
    """Fetch, keep, handle and confirm updates until `stop` is set.

    Each fetched update admitted by the flood gate is stored in the inbox (storage.inbox)
    before anything else, and only then confirmed to Telegram (by the next fetch's offset), so
    Telegram never holds newer updates back behind one still being handled: one slow chat (a
    report being composed, replies waiting out Telegram's per-chat limit) holds up nobody else.
    What a previous run stored and did not finish is handled first.
    """
    bot = application.bot
    lanes = lanes or ChatLanes()
    gate = gate or FloodGate()
    running: dict[int, asyncio.Task[None]] = {}
    finished: set[int] = set()  # handled, replies sent: to be removed from the inbox
    some_finished = asyncio.Event()
    notes: set[asyncio.Task[None]] = set()  # "please wait" replies under way
    offset: int | None = None

    def start(updates: Sequence[Update]) -> None:
        for update in updates:
            key = lane_key(update)
            act = partial(_handle, retry_delays_s=retry_delays_s)
            task = asyncio.create_task(_in_lane(application, lanes, key, update, act))
            running[update.update_id] = task
            task.add_done_callback(
                partial(_finished, update.update_id, running, finished, some_finished)
            )

    # An update leaves the inbox once its turn is over, replies included: a crash between the
    # commit and the reply finds it there, and the turn, recognising it as handled, says again
    # where the person is. The forgetter clears them in batches, soon after they finish.
    forgetter = asyncio.create_task(_forget_as_they_finish(database, finished, some_finished))

    left, unreadable = await _left_over(database, bot)
    finished.update(unreadable)
    if left:
        logger.info("Handling %d update(s) received before the last stop", len(left))
        start(left)
    replayed = {update.update_id for update in left}
    backoff = 1.0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            bot.get_updates(
                offset=offset,
                timeout=long_poll_s,
                allowed_updates=Update.ALL_TYPES,
                read_timeout=long_poll_s + 10,
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not fetch.done():
            # Stopping mid-poll: anything this poll would bring is not confirmed, so it comes
            # again on the next start.
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, NetworkError):
                await fetch
            break
        stopping.cancel()
        try:
            updates = fetch.result()
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            logger.warning("The Bot API asks to wait %.0f s before polling again", wait)
            await _sleep_or_stop(stop, wait)
            continue
        except (InvalidToken, Forbidden, Conflict) as exc:
            # Conflict: another process polls with this token. Forbidden/InvalidToken: the
            # token was revoked. Neither heals by retrying quickly.
            logger.error(
                "Polling refused by the Bot API (%s); retrying in %.0f s",
                type(exc).__name__,
                MAX_BACKOFF_S,
            )
            await _sleep_or_stop(stop, MAX_BACKOFF_S)
            continue
        except TelegramError as exc:  # network trouble, timeouts, 5xx: worth another try
            logger.warning("Polling failed (%s); retrying in %.0f s", type(exc).__name__, backoff)
            await _sleep_or_stop(stop, backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            continue
        if not updates:
            backoff = 1.0
            continue
        # After a restart Telegram may bring again what the inbox already gave us.
        fresh = [u for u in updates if u.update_id not in running and u.update_id not in replayed]
        admitted = _admitted(application, lanes, gate, fresh, notes)
        try:
            if admitted:  # a fetch of only dropped or known updates has nothing to keep
                async with database.session() as session:
                    await keep_updates(
                        session=session,
                        channel=ChannelName.TELEGRAM,
                        updates=[
                            (str(u.update_id), _as_received(application, u)) for u in admitted
                        ],
                    )
        except (SQLAlchemyError, OSError) as exc:
            # Not kept, so not confirmed: Telegram brings them again on the next fetch.
            logger.warning("Could not keep received updates (%s); retrying in %.0f s", exc, backoff)
            await _sleep_or_stop(stop, backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            continue
        backoff = 1.0
        start(admitted)
        offset = updates[-1].update_id + 1  # kept (or dropped): the next fetch confirms them
    if running:
        # Let the turns under way finish (a reply waiting out a flood limit may take a while);
        # one still running after the grace is cancelled and rolls back, and stays in the
        # inbox for the next start.
        await asyncio.wait(running.values(), timeout=stop_grace_s)
        for task in list(running.values()):
            task.cancel()
        await asyncio.gather(*running.values(), return_exceptions=True)
    forgetter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await forgetter
    await _forget(database, finished)
    await _confirm(application, offset)


def _finished(
    update_id: int,
    running: dict[int, asyncio.Task[None]],
    finished: set[int],
    some_finished: asyncio.Event,
    task: asyncio.Task[None],
) -> None:
    running.pop(update_id, None)
    if not task.cancelled():
        finished.add(update_id)
        some_finished.set()


async def _forget_as_they_finish(
    database: Database, finished: set[int], some_finished: asyncio.Event
) -> None:
    while True:
        await some_finished.wait()
        some_finished.clear()
        await _forget(database, finished)
        if finished:  # not cleared (a busy database): try again in a moment
            await asyncio.sleep(1.0)
            some_finished.set()


async def _left_over(database: Database, bot: Bot) -> tuple[list[Update], list[int]]:
    """The updates a previous run kept and did not finish, oldest first, and the ids of any
    that can no longer be read (to be dropped, not tried on every start)."""
    async with database.session() as session:
        kept = await waiting_updates(session=session, channel=ChannelName.TELEGRAM)
    left: list[Update] = []
    unreadable: list[int] = []
    for key, payload in kept:
        update_id = int(key)
        try:
            update = Update.de_json(payload, bot)
        except (TypeError, ValueError, KeyError) as exc:
            logger.error("Inbox update %s cannot be read (%s); it is dropped", update_id, exc)
            unreadable.append(update_id)
            continue
        left.append(update)
    return left, unreadable


async def _forget(database: Database, finished: set[int]) -> None:
    """Remove handled updates from the inbox (best effort: one left is recognised as handled
    if it comes again, by the id its turn recorded)."""
    if not finished:
        return
    done = set(finished)
    try:
        async with database.session() as session:
            await forget_updates(
                session=session, channel=ChannelName.TELEGRAM, keys=[str(i) for i in done]
            )
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("Could not clear %d handled update(s) from the inbox: %s", len(done), exc)
        return
    finished.difference_update(done)


def _admitted(
    application: Application,  # type: ignore[type-arg]
    lanes: ChatLanes,
    gate: FloodGate,
    updates: Sequence[Update],
    notes: set[asyncio.Task[None]],
) -> list[Update]:
    """The updates the flood gate lets through; a flood's excess is dropped and its chat asked
    once to wait (in its lane, after what was admitted)."""
    admitted: list[Update] = []
    dropped = 0
    for update in updates:
        key = lane_key(update)
        handle, warn = gate.admit(key)
        if handle:
            admitted.append(update)
            continue
        dropped += 1
        if warn:
            logger.warning("Chat %s is flooding the bot; its excess updates are dropped", key)
            # Kept until done: the event loop holds only weak references to tasks.
            note = asyncio.create_task(_in_lane(application, lanes, key, update, _ask_to_wait))
            notes.add(note)
            note.add_done_callback(notes.discard)
    if dropped:
        logger.info("Dropped %d update(s) of flooding chats", dropped)
    return admitted


async def _in_lane(
    application: Application,  # type: ignore[type-arg]
    lanes: ChatLanes,
    key: int,
    update: Update,
    act: Callable[[Application, Update], Awaitable[None]],  # type: ignore[type-arg]
) -> None:
    async with lanes.lane(key):
        await act(application, update)


async def _handle(
    application: Application,  # type: ignore[type-arg]
    update: Update,
    *,
    retry_delays_s: tuple[float, ...],
) -> None:
    """Handle an update; if its turn failed (and so rolled back), handle it again a few
    times, as Telegram would redeliver it; then tell the person it was not taken."""
    failed = failed_updates(application)
    for attempt, delay in enumerate((*retry_delays_s, None), 1):
        failed.discard(update.update_id)
        with acting_on(ChannelName.TELEGRAM):
            await application.process_update(update)
        if update.update_id not in failed:
            return
        if delay is None:
            break
        logger.warning(
            "Update %s failed (try %d); trying again in %.0f s", update.update_id, attempt, delay
        )
        await asyncio.sleep(delay)
    failed.discard(update.update_id)
    logger.error("Gave up on update %s after %d tries", update.update_id, attempt)
    await _tell_not_taken(application, update)


async def _ask_to_wait(application: Application, update: Update) -> None:  # type: ignore[type-arg]
    """Once per flood: say that messages are coming too fast and the last ones were not read."""
    await _say_plainly(application, update, popup=texts.TOO_FAST, chat=texts.TOO_FAST)


async def _tell_not_taken(application: Application, update: Update) -> None:  # type: ignore[type-arg]
    """Say plainly that the message was not taken, so the person sends it again."""
    await _say_plainly(application, update, popup=texts.NOT_TAKEN_BUTTON, chat=texts.NOT_TAKEN)


async def _say_plainly(
    application: Application,  # type: ignore[type-arg]
    update: Update,
    *,
    popup: str,
    chat: str,
) -> None:
    """Answer a press with a pop-up (best effort), and say it in a private chat; in a group
    the bot speaks only when spoken to with an office command."""
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(popup, show_alert=True)
    where = update.effective_chat
    if where is None or where.type != "private":
        return
    try:
        await application.bot.send_message(where.id, chat)
    except TelegramError as exc:
        logger.warning("Could not tell chat %s: %s", where.id, exc)


async def _confirm(application: Application, offset: int | None) -> None:  # type: ignore[type-arg]
    """Tell Telegram the last handled update, so a clean restart does not see it again."""
    if offset is None:
        return
    try:
        await application.bot.get_updates(offset=offset, timeout=0, limit=1)
    except NetworkError as exc:  # the handlers recognise repeats, so this is only tidiness
        logger.info("Could not confirm the last update on stopping: %s", exc)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
