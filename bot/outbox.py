"""Send the outbox: each row once, in order per chat, within Telegram's limits.

Sends are paced under the overall and per-chat rates (30/s and 1/s by default), several in
flight at once. A RetryAfter pauses all sending (Telegram's flood limit is per bot); network
errors and 5xx retry that row with exponential backoff; 403 marks it blocked (and the person's
chairman is told) and 400 failed, both for good, and `on_failed` tells whoever must act (the
administrators; for a report, its approver). Nothing is sent in the calendar's quiet hours.
Rows are claimed in the database, so a restart, or a second instance, resumes from there.

Avoiding repeats:

- **Leases with a heartbeat.** A claim is a short lease (15 s by default) that this sender renews
  every third of the lease for every row it holds, for as long as the row is in flight (waiting
  for its slot, uploading, waiting for the answer, writing the outcome). A live instance's row is
  never taken over however slow its upload; a dead instance's rows are taken over by another
  within one lease, seconds rather than minutes. See storage/outbox.py for the alternatives.
- **Outcomes are recorded, not resent.** Once Telegram has answered, the outcome is written with
  retries (the database may be busy or briefly unreachable); a message Telegram took is never
  sent again because writing that down failed. Only a crash between Telegram's answer and the
  write (or a database down past the shutdown grace) leaves a row to be sent again.
- **A try whose answer never came** (the read timed out, or the connection dropped while
  waiting) may have reached the chat. Such a row is retried, since losing a report is worse than
  repeating it, but the row remembers it (`maybe_delivered` in its payload), and a report file to
  an office then goes with a note before its caption that it may repeat the earlier message.
  Documents wait longer for their answer than texts (bot/sending.py), which makes this rare.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.sending import ReportFiles, marked_as_possible_repeat
from channels.base import Failure, Outlet, SendError
from channels.telegram import TelegramOutlet
from channels.zalo.outlet import ZaloOutlet
from conversations.outgoing import from_payload
from storage import outbox
from storage.contacts import Destination, destination
from storage.db import Database
from storage.models import ChannelName, OutboxMessage, OutboxStatus, Unit

logger = logging.getLogger(__name__)

# Hooks run in the transaction that writes a row's outcome.
Hook = Callable[[AsyncSession, OutboxMessage], Awaitable[object]]
AfterSent = Hook
Blocked = Hook
Failed = Hook  # a row became FAILED or BLOCKED
QuietUntil = Callable[[datetime], datetime | None]

BATCH = 100
IDLE_S = 0.5
FIRST_RETRY_S = 2.0
MAX_RETRY_S = 300.0
NO_OFFICE_CHAT_RETRY = timedelta(minutes=10)
RECORD_FIRST_RETRY_S = 0.2  # writing an outcome down again after the database refused
RECORD_MAX_RETRY_S = 5.0
RECORD_GRACE_S = 30.0  # how long a stopping sender keeps trying to write an outcome down


class Pacer:
    """Keeps sends under Telegram's limits: evenly spaced a little below `per_second` (the margin
    absorbs jitter between here and Telegram; bursts would arrive bunched), and at least
    1/`per_chat_per_second` seconds apart in one chat."""

    def __init__(
        self, per_second: float = 30.0, per_chat_per_second: float = 1.0, margin: float = 1.05
    ) -> None:
        self.gap = margin / per_second
        self.chat_gap = margin / per_chat_per_second
        self._last = -1e9
        self._chat_next: dict[int, float] = {}
        self._lock = asyncio.Lock()

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until this chat may get another message."""
        return max(0.0, self._chat_next.get(chat_id, 0.0) - time.monotonic())

    async def acquire(self, chat_id: int) -> None:
        """Wait for the next slot: one gap after the previous send, and never in the past.

        The gap counts from when the previous send actually left: after a stall or a late
        wake-up the next send waits a whole gap again instead of catching up, since sends that
        catch up arrive bunched and a bunch over 30 in a second is a 429 for the whole bot.
        """
        async with self._lock:  # slots are handed out in the order asked
            slot = max(self._last + self.gap, time.monotonic())
            wait = slot - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            now = time.monotonic()
            self._last = max(slot, now)
            self._chat_next[chat_id] = now + self.chat_gap
            if len(self._chat_next) > 10_000:  # forget chats whose wait is long over
                self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}


@dataclass(frozen=True)
class _Claimed:
    id: int
    key: str
    chat_id: int | None
    office_id: int | None
    payload: dict[str, Any]
    attempts: int
    person_id: int | None = None


class OutboxSender:
    def __init__(
        self,
        bot: Bot | None,
        database: Database,
        files: ReportFiles,
        *,
        after_sent: AfterSent | None = None,
        on_blocked: Blocked | None = None,
        on_failed: Failed | None = None,
        pacer: Pacer | None = None,
        quiet_until: QuietUntil | None = None,
        lease: timedelta = outbox.DEFAULT_LEASE,
        only_sender: bool = False,
        first_retry_s: float = FIRST_RETRY_S,
        max_retry_s: float = MAX_RETRY_S,
        document_read_timeout_s: float | None = None,
        record_retry_s: float = RECORD_FIRST_RETRY_S,
        zalo: ZaloOutlet | None = None,
    ) -> None:
        # One outlet per channel this bot runs: a message for a channel it does not run (Telegram
        # on a bot that runs on Zalo alone) fails, listed and retryable.
        self.outlets: dict[ChannelName, Outlet] = {}
        if bot is not None:
            self.outlets[ChannelName.TELEGRAM] = TelegramOutlet(
                bot, files, document_read_timeout=document_read_timeout_s
            )
        if zalo is not None:
            self.outlets[ChannelName.ZALO] = zalo
        self.database = database
        self.files = files
        self.after_sent = after_sent
        self.on_blocked = on_blocked
        self.on_failed = on_failed
        self.pacer = pacer or Pacer()
        self.quiet_until = quiet_until
        self.lease = lease
        # The heartbeat renews this sender's claims three times a lease: two beats may be late
        # (a busy database) before another instance could take a row over.
        self.heartbeat_s = lease.total_seconds() / 3
        # None: bot.sending's defaults (a minute for a report); tests make it short.
        self.document_read_timeout_s = document_read_timeout_s
        self.record_retry_s = record_retry_s
        # True when no other process can be sending (SQLite's single instance): rows left
        # SENDING at start are then surely this process's previous life's, and go again at once.
        self.only_sender = only_sender
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.first_retry_s = first_retry_s
        self.max_retry_s = max_retry_s
        self._paused_until = 0.0  # time.monotonic(); quiet hours: nothing goes until then
        # time.monotonic() until which a channel's sends wait: it answered 429 (flood limits
        # are per bot, so one chat's 429 holds every send on that channel).
        self._paused: dict[ChannelName, float] = {}
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()  # rows claimed and not yet written down: renewed
        self._stop: asyncio.Event | None = None

    def wake(self) -> None:
        """Something was queued: look now rather than at the next idle tick."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        again = 0
        if self.only_sender:
            async with self.database.session() as session:
                again = await outbox.release_in_flight(session=session)
        if again:
            logger.warning(
                "%s message(s) were being sent when the bot stopped; sending again", again
            )
        while not stop.is_set():
            # Cleared before the pass, so a wake() during it is not lost.
            self._wake.clear()
            try:
                sent = await self.send_due()
            except Exception:  # the database was unreachable: claimed rows stay claimed
                logger.exception("The outbox sender failed; retrying")
                sent = 0
            if sent == 0:
                await self._idle(stop)

    async def _idle(self, stop: asyncio.Event) -> None:
        wait = max(IDLE_S, self._paused_until - time.monotonic(), self._flood_wait())
        stopping = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stopping, woken}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stopping, woken):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def send_due(self) -> int:
        """Send what is due now; the number of rows sent."""
        if time.monotonic() < self._paused_until or self._flood_wait() > 0 or self._quiet():
            return 0
        async with self.database.session() as session:
            rows = [
                _Claimed(
                    row.id,
                    row.key,
                    row.chat_id,
                    row.office_id,
                    row.payload,
                    row.attempts,
                    row.person_id,
                )
                for row in await outbox.claim_due(
                    session=session, limit=BATCH, owner=self.owner, lease=self.lease
                )
            ]
        if not rows:
            return 0
        ids = {row.id for row in rows}
        self._in_flight |= ids
        heartbeat = asyncio.create_task(self._heartbeat(), name="outbox-heartbeat")
        try:
            # One row per chat in a batch (claim_due), so they may all be in flight at once;
            # the pacer gives each its slot in turn.
            results = await asyncio.gather(*(self._send_guarded(row) for row in rows))
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
            self._in_flight -= ids
        return sum(results)

    async def _heartbeat(self) -> None:
        """Renew the lease of every row in flight until cancelled (when the batch is done)."""
        while True:
            await asyncio.sleep(self.heartbeat_s)
            try:
                async with self.database.session() as session:
                    await outbox.renew_claims(
                        session=session, row_ids=sorted(self._in_flight), owner=self.owner
                    )
            except (SQLAlchemyError, OSError) as exc:  # busy or unreachable: the next beat
                logger.warning("Could not renew the outbox's claims (%s); trying again", exc)

    def _flood_wait(self) -> float:
        """Seconds until some channel may send again: 0 unless every one is waiting out a 429."""
        now = time.monotonic()
        waits = [max(0.0, self._paused.get(channel, 0.0) - now) for channel in self.outlets]
        return min(waits, default=0.0)

    def _quiet(self) -> bool:
        if self.quiet_until is None:
            return False
        now = datetime.now(UTC)
        until = self.quiet_until(now)
        if until is None:
            return False
        self._paused_until = time.monotonic() + (until - now).total_seconds()
        logger.info("Quiet hours: the outbox waits until %s", until.isoformat(timespec="minutes"))
        return True

    async def _send_guarded(self, row: _Claimed) -> int:
        try:
            return await self._send(row)
        except Exception as exc:  # one bad row must not strand the rest of the batch
            logger.exception("Sending %s failed unexpectedly", row.key)
            try:
                await self._retry(row, self._backoff(row), f"{type(exc).__name__}: {exc}")
            except Exception:  # the row stays claimed; its lease ends and it is taken again
                logger.exception("Could not put %s back in the queue", row.key)
            return 0

    def _backoff(self, row: _Claimed) -> timedelta:
        # The exponent is capped first: 2 ** 1100 does not fit a float.
        delay = min(self.first_retry_s * 2 ** min(row.attempts - 1, 30), self.max_retry_s)
        return timedelta(seconds=delay * random.uniform(0.8, 1.2))

    async def _send(self, row: _Claimed) -> int:
        async with self.database.session() as session:
            to = await destination(
                session=session,
                person_id=row.person_id,
                office_id=row.office_id,
                chat_id=row.chat_id,
            )
        if to is None and row.office_id is not None:
            logger.warning("The office of message %s has no chat yet; it waits", row.key)
            await self._retry(row, NO_OFFICE_CHAT_RETRY, "the office has not registered a chat")
            return 0
        if to is None:
            await self._give_up(row, OutboxStatus.FAILED, "on no channel this bot runs")
            return 0
        outlet = self.outlets.get(to.channel)
        if outlet is None:
            await self._give_up(row, OutboxStatus.FAILED, f"{to.channel} is not set up on this bot")
            return 0
        if to.channel is ChannelName.TELEGRAM:
            # Telegram's limits: 30 messages a second per bot, about one a second per chat.
            chat_id = int(to.address)
            chat_wait = self.pacer.chat_wait(chat_id)
            if chat_wait > 0:  # this chat had a message under a second ago: later, not now
                await self._put_back(row, chat_wait, "waiting for the chat's pace")
                return 0
            await self.pacer.acquire(chat_id)
        paused_until = self._paused.get(to.channel, 0.0)
        if time.monotonic() < paused_until:
            # A 429 came back while this one waited for its slot: it waits with the rest.
            await self._put_back(row, paused_until - time.monotonic(), "waiting out a 429")
            return 0
        try:
            item = from_payload(row.payload)
        except (KeyError, TypeError, ValueError) as exc:
            logger.error("Message %s cannot be read (%r); dropped", row.key, exc)
            await self._give_up(row, OutboxStatus.FAILED, f"unreadable payload: {exc!r}")
            return 0
        if row.office_id is not None and row.payload.get(outbox.MAYBE_DELIVERED):
            # An earlier try may have arrived: the office is told this one may repeat it.
            item = marked_as_possible_repeat(item)
        try:
            sent = await outlet.send(to.address, item)
        except SendError as exc:
            await self._not_sent(row, to, exc)
            return 0
        # Telegram's message ids are numbers, kept with the row; Zalo's are not.
        message_id = int(sent.message_id) if to.channel is ChannelName.TELEGRAM else None
        await self._sent(row, message_id, to.channel)
        return 1

    async def _not_sent(self, row: _Claimed, to: Destination, exc: SendError) -> None:
        """What a failed send means for its row, whatever the channel said it in."""
        error = exc.description
        if to.channel is not ChannelName.TELEGRAM:
            error = f"{to.channel}: {error}"
        if exc.failure is Failure.MOVED and exc.moved_to is not None:
            # The group became a supergroup: the same chat under a new id, asked again now.
            await self._chat_moved(row, int(to.address), int(exc.moved_to))
        elif exc.failure is Failure.RETRY_LATER and exc.retry_after is not None:
            # A flood limit is the bot's, not the chat's: every send on the channel waits.
            wait = exc.retry_after
            self._paused[to.channel] = time.monotonic() + wait
            logger.warning(
                "%s asks to wait %.0f s (429); its sends pause", to.channel.title(), wait
            )
            if to.channel is ChannelName.TELEGRAM:
                error = f"429: retry after {wait:.0f} s"
            await self._retry(row, timedelta(seconds=wait), error)
        elif exc.failure is Failure.RETRY_LATER:  # a timeout, a 5xx: the next try may work
            delay = self._backoff(row)
            logger.warning(
                "Sending %s on %s failed (%s)%s; try %s again in %.0f s",
                row.key,
                to.channel,
                error,
                " after it may have arrived" if exc.maybe_delivered else "",
                row.attempts + 1,
                delay.total_seconds(),
            )
            await self._retry(row, delay, error, maybe_delivered=exc.maybe_delivered)
        elif exc.failure is Failure.BLOCKED:
            logger.warning(
                "%s %s refuses the bot (%s); %s not sent", to.channel, to.address, error, row.key
            )
            await self._give_up(row, OutboxStatus.BLOCKED, error)
        else:
            logger.error("%s refused %s for good: %s", to.channel, row.key, error)
            await self._give_up(row, OutboxStatus.FAILED, error)

    async def _sent(self, row: _Claimed, message_id: int | None, channel: ChannelName) -> None:
        """Write down that Telegram has it, with what follows from that (the round delivered).

        Never raises: the message is out, and a failure here must not send it again.
        """

        async def mark(session: AsyncSession) -> OutboxMessage:
            return await outbox.mark_sent(
                session=session, row_id=row.id, message_id=message_id, channel=channel
            )

        try:
            await self._record(row, mark, self.after_sent)
        except Exception:
            logger.exception(
                "%s was sent but that could not be written down; it may be sent again after "
                "a restart",
                row.key,
            )
            return
        logger.info("Sent %s", row.key)

    async def _record(
        self,
        row: _Claimed,
        write: Callable[[AsyncSession], Awaitable[OutboxMessage]],
        *hooks: Hook | None,
    ) -> None:
        """Write an outcome Telegram has decided, and run the hooks in the same transaction.

        A busy or unreachable database is waited out and the write tried again (while the
        heartbeat keeps the row this sender's); a stopping sender gives up after a grace.
        A hook that fails otherwise is logged, and the outcome is written without it.
        """
        delay = self.record_retry_s
        give_up_at: float | None = None
        run_hooks = True
        while True:
            try:
                async with self.database.session() as session:
                    stored = await write(session)
                    for hook in hooks if run_hooks else ():
                        if hook is not None:
                            await hook(session, stored)
                return
            except Exception as exc:
                if not _transient(exc):
                    if not run_hooks or not any(hooks):
                        raise
                    logger.exception("Recording what follows from %s failed", row.key)
                    run_hooks = False
                    continue
                if self._stop is not None and self._stop.is_set():
                    give_up_at = give_up_at or time.monotonic() + RECORD_GRACE_S
                    if time.monotonic() > give_up_at:
                        raise
                logger.warning(
                    "Cannot write down the outcome of %s (%s); trying again in %.1f s",
                    row.key,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECORD_MAX_RETRY_S)

    async def _chat_moved(self, row: _Claimed, old_chat_id: int, new_chat_id: int) -> None:
        logger.warning("Chat %s is now %s; sending %s there", old_chat_id, new_chat_id, row.key)
        async with self.database.session() as session:
            if row.office_id is not None:
                office = await session.get(Unit, row.office_id)
                if office is not None and office.telegram_chat_id == old_chat_id:
                    office.telegram_chat_id = new_chat_id
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.chat_id == old_chat_id, OutboxMessage.status.in_(outbox.UNSENT)
                )
                .values(chat_id=new_chat_id)
            )
            await outbox.retry_later(
                session=session, row_id=row.id, delay=timedelta(0), error="chat migrated"
            )

    async def _retry(
        self, row: _Claimed, delay: timedelta, error: str, *, maybe_delivered: bool = False
    ) -> None:
        async with self.database.session() as session:
            await outbox.retry_later(
                session=session,
                row_id=row.id,
                delay=delay,
                error=error,
                maybe_delivered=maybe_delivered,
            )

    async def _give_up(self, row: _Claimed, status: OutboxStatus, error: str) -> None:
        """Mark the row failed or blocked for good, and tell whoever must know."""

        async def mark(session: AsyncSession) -> OutboxMessage:
            return await outbox.give_up(session=session, row_id=row.id, status=status, error=error)

        blocked = self.on_blocked if status is OutboxStatus.BLOCKED else None
        await self._record(row, mark, blocked, self.on_failed)

    async def _put_back(self, row: _Claimed, wait_s: float, why: str) -> None:
        """Not tried, only made to wait: back to the queue, with its attempt given back."""
        async with self.database.session() as session:
            await outbox.retry_later(
                session=session,
                row_id=row.id,
                delay=timedelta(seconds=max(wait_s, 0)),
                error=why,
                refund_attempt=True,
            )


def _transient(exc: BaseException) -> bool:
    """A database error that passes: busy (SQLite's lock), or the connection was lost."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError | OSError)
