"""Long polling that confirms an update to Telegram only after it was handled.

PTB's Updater confirms a batch (by asking for the next offset) while its updates are still
queued, so a crash at that moment loses them. Here the offset never passes an update still being
handled; after a crash Telegram delivers the unconfirmed ones again, and the handlers, which
record each update id in the transaction that acts on it, recognise the repeats.

Updates run in lanes: one chat's in order, different chats side by side, and the poller keeps
fetching while some are still running, so one chairman's approval (composing a .docx) or one
chat's replies waiting out Telegram's limits hold up nobody else. A chat that floods the bot (a
script, a stuck key) gets a burst handled, then one polite "please wait", and the rest of its
flood is dropped rather than queued. An update whose turn failed is handled again after a pause
(its transaction rolled back: nothing of it was kept), and if it keeps failing the person is
told plainly that it was not taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from telegram import Update
from telegram.error import (
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application

from conversations import texts

logger = logging.getLogger(__name__)

LONG_POLL_S = 20
MAX_BACKOFF_S = 60.0
# A turn that failed (a busy database, a bug) rolled back: try it again after these waits,
# as Telegram would redeliver it, before telling the person it was not taken.
RETRY_DELAYS_S = (1.0, 4.0)
FAILED_UPDATES = "failed_update_ids"
# While updates are being handled, look for new ones this often (see poll_updates).
BUSY_REFETCH_S = 0.5


def retry_after_seconds(exc: RetryAfter) -> float:
    """Seconds to wait; PTB gives an int, or a timedelta when PTB_TIMEDELTA is set (its future)."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class ChatLanes:
    """One lane per chat: a chat's updates (and re-sent prompts) run one at a time and in
    order, while different chats run side by side."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}

    @contextlib.asynccontextmanager
    async def lane(self, key: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:  # nobody waits: forget the chat
                del self._holders[key], self._locks[key]


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class FloodGate:
    """Per chat, a token bucket: a burst of `burst` updates, then one every `every_s`. An update
    beyond that is dropped; the first one dropped in a flood gets a "please wait" reply.

    Thirty at once and ten a second is more than anyone types or taps (a whole section answered
    as fast as the bot replies fits), while a chat that sends hundreds is a script or a stuck
    key, and handling all of it would hold up every other chat's batch. What is dropped was
    never acted on: the person sends it again when asked to wait.
    """

    MAX_CHATS = 10_000  # beyond this, chats whose bucket is full again are forgotten

    def __init__(
        self, burst: int = 30, every_s: float = 0.1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.every_s = every_s
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def admit(self, key: int) -> tuple[bool, bool]:
        """(handle it, warn the chat): warn is True for the first update dropped in a flood; a
        flood ends when the chat has been quiet long enough for its bucket to fill up again."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.MAX_CHATS:
                self._forget_calm(now)
            bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), at=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) / self.every_s)
        bucket.at = now
        if bucket.tokens >= self.burst:
            bucket.warned = False  # calm again since the last flood: a new one is told again
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return True, False
        warn = not bucket.warned
        bucket.warned = True
        return False, warn

    def _forget_calm(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.at) / self.every_s >= self.burst:
                del self._buckets[key]


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


async def poll_updates(
    application: Application,  # type: ignore[type-arg]
    stop: asyncio.Event,
    *,
    long_poll_s: int = LONG_POLL_S,
    lanes: ChatLanes | None = None,
    retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
    gate: FloodGate | None = None,
    busy_refetch_s: float = BUSY_REFETCH_S,
) -> None:
    """Fetch, handle and then confirm updates until `stop` is set.

    The offset given to Telegram (which confirms every update below it) never passes an update
    still being handled. While some are, the poller asks again every `busy_refetch_s` from the
    oldest of them: updates already in hand come back and are skipped, new ones start in their
    chat's lane at once, so one slow chat (a report being composed, replies waiting out
    Telegram's per-chat limit) holds up nobody else for longer than that.
    """
    bot = application.bot
    lanes = lanes or ChatLanes()
    gate = gate or FloodGate()
    running: dict[int, asyncio.Task[None]] = {}
    finished: set[int] = set()  # handled (or dropped), but above an update still running
    offset: int | None = None
    newest: int | None = None
    backoff = 1.0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            bot.get_updates(
                offset=offset,
                timeout=0 if running else long_poll_s,
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
        backoff = 1.0
        fresh = [u for u in updates if u.update_id not in running and u.update_id not in finished]
        for update in fresh:
            newest = max(newest or update.update_id, update.update_id)
        for update_id, task in _start(application, lanes, gate, fresh, retry_delays_s):
            running[update_id] = task
        finished.update(u.update_id for u in fresh if u.update_id not in running)
        if running:
            # Until every update in hand is done, or it is time to look for new ones.
            await asyncio.wait(running.values(), timeout=busy_refetch_s)
        for update_id, task in list(running.items()):
            if task.done():
                del running[update_id]
                finished.add(update_id)
        if newest is not None:
            # Everything below the oldest update still running is handled: confirm it.
            offset = min(running, default=newest + 1)
            finished = {update_id for update_id in finished if update_id >= offset}
    if running:  # let the turns under way finish, then confirm them
        await asyncio.gather(*running.values(), return_exceptions=True)
        offset = None if newest is None else newest + 1
    await _confirm(application, offset)


def _start(
    application: Application,  # type: ignore[type-arg]
    lanes: ChatLanes,
    gate: FloodGate,
    updates: Sequence[Update],
    retry_delays_s: tuple[float, ...],
) -> list[tuple[int, asyncio.Task[None]]]:
    """Start each admitted update in its chat's lane (tasks queue on the lane in update order);
    drop a flood's excess, asking the chat once to wait."""
    started: list[tuple[int, asyncio.Task[None]]] = []
    dropped = 0
    for update in updates:
        key = lane_key(update)
        handle, warn = gate.admit(key)
        if handle:
            handle_it = partial(_handle, retry_delays_s=retry_delays_s)
            task = asyncio.create_task(_in_lane(application, lanes, key, update, handle_it))
            started.append((update.update_id, task))
            continue
        dropped += 1
        if warn:
            logger.warning("Chat %s is flooding the bot; its excess updates are dropped", key)
            # In the chat's lane, after what was admitted; kept until done (the loop holds
            # only weak references to tasks).
            note = asyncio.create_task(_in_lane(application, lanes, key, update, _ask_to_wait))
            _NOTES.add(note)
            note.add_done_callback(_NOTES.discard)
    if dropped:
        logger.info("Dropped %d update(s) of flooding chats", dropped)
    return started


async def _in_lane(
    application: Application,  # type: ignore[type-arg]
    lanes: ChatLanes,
    key: int,
    update: Update,
    act: Callable[[Application, Update], Awaitable[None]],  # type: ignore[type-arg]
) -> None:
    async with lanes.lane(key):
        await act(application, update)


_NOTES: set[asyncio.Task[None]] = set()


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
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(texts.TOO_FAST, show_alert=True)
        return
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return  # in a group the bot speaks only when spoken to with an office command
    try:
        await application.bot.send_message(chat.id, texts.TOO_FAST)
    except TelegramError as exc:
        logger.warning("Could not ask chat %s to wait: %s", chat.id, exc)


async def _tell_not_taken(application: Application, update: Update) -> None:  # type: ignore[type-arg]
    """Say plainly that the message was not taken, so the person sends it again."""
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(texts.NOT_TAKEN_BUTTON, show_alert=True)
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return  # in a group the bot speaks only when spoken to with an office command
    try:
        await application.bot.send_message(chat.id, texts.NOT_TAKEN)
    except TelegramError as exc:
        logger.warning("Could not tell chat %s that its update was not taken: %s", chat.id, exc)


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
