"""Long polling that confirms an update to Telegram only after it was handled.

PTB's Updater confirms a batch (by asking for the next offset) while its updates are still
queued, so a crash at that moment loses them. Here the offset moves past an update only once
`process_update` returned; after a crash Telegram delivers it again, and the handlers, which
record each update id in the transaction that acts on it, recognise the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

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

logger = logging.getLogger(__name__)

LONG_POLL_S = 20
MAX_BACKOFF_S = 60.0


def retry_after_seconds(exc: RetryAfter) -> float:
    """Seconds to wait; PTB gives an int, or a timedelta when PTB_TIMEDELTA is set (its future)."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def poll_updates(
    application: Application,  # type: ignore[type-arg]
    stop: asyncio.Event,
    *,
    long_poll_s: int = LONG_POLL_S,
) -> None:
    """Fetch, handle and then confirm updates until `stop` is set."""
    bot = application.bot
    offset: int | None = None
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
        backoff = 1.0
        for update in updates:
            # Errors inside handlers go to the application's error handler, not here.
            await application.process_update(update)
            offset = update.update_id + 1
    await _confirm(application, offset)


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
