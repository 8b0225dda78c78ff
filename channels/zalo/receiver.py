"""Zalo updates in, none lost: each is kept in the inbox before it is handled.

Zalo's getUpdates hands out one update per call and has no offset: once fetched, an update is
gone from Zalo. So the receiver stores it (storage.inbox, channel "zalo") before anything else,
handles it in its chat's lane (one chat in order, chats side by side), and removes it when its
turn is over; what a crash leaves is handled first on the next start. A webhook answers 200
only after the update is stored, and only to a request carrying the secret set with it.

An update whose turn fails is tried again after a pause (its transaction rolled back); when it
keeps failing, `on_failure` tells the person. A redelivery is recognised by the handler, which
claims each message id in the turn's transaction (storage.questionnaire.claim_update).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from channels.base import Failure, Incoming, SendError
from channels.lanes import ChatLanes, FloodGate
from channels.zalo.api import ZaloBotApi
from channels.zalo.updates import NotAnUpdate, read_update
from storage.db import Database
from storage.inbox import forget_updates, keep_updates, waiting_updates
from storage.models import ChannelName

logger = logging.getLogger(__name__)

Handle = Callable[[Incoming], Awaitable[None]]

LONG_POLL_S = 10
MAX_BACKOFF_S = 60.0
RETRY_DELAYS_S = (1.0, 4.0)
SECRET_HEADER = "X-Bot-Api-Secret-Token"
CHANNEL = ChannelName.ZALO


class ZaloReceiver:
    def __init__(
        self,
        database: Database,
        handle: Handle,
        *,
        on_failure: Handle | None = None,
        on_flood: Handle | None = None,
        lanes: ChatLanes | None = None,
        gate: FloodGate | None = None,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
    ) -> None:
        self.database = database
        self.handle = handle
        self.on_failure = on_failure
        self.on_flood = on_flood
        self.lanes = lanes or ChatLanes()
        self.gate = gate or FloodGate()
        self.retry_delays_s = tuple(retry_delays_s)
        self._running: dict[str, asyncio.Task[None]] = {}

    # ----- receiving ----------------------------------------------------------------------

    async def start(self) -> int:
        """Handle what a previous run kept and did not finish, in the order it came; how many."""
        async with self.database.session() as session:
            kept = await waiting_updates(session=session, channel=CHANNEL)
        unreadable: list[str] = []
        for key, payload in kept:
            try:
                incoming = read_update(payload)
            except NotAnUpdate as exc:
                logger.error("Inbox update %s cannot be read (%s); it is dropped", key, exc)
                unreadable.append(key)
                continue
            self._start(incoming)
        if unreadable:
            async with self.database.session() as session:
                await forget_updates(session=session, channel=CHANNEL, keys=unreadable)
        return len(kept) - len(unreadable)

    async def receive(self, body: Any) -> bool:
        """Keep one update and start its turn; False for what is not a person's message (it
        is logged and dropped). Raises if it could not be stored: then it was not received."""
        try:
            incoming = read_update(body)
        except NotAnUpdate as exc:
            logger.info("Ignored a Zalo update: %s", exc)
            return False
        if incoming.key in self._running:
            return True  # the same message again while its turn runs (a webhook retried)
        admitted, warn = self.gate.admit(incoming.address.chat_id)
        if not admitted:
            if warn and self.on_flood is not None:
                await self.on_flood(incoming)
            return True
        async with self.database.session() as session:
            await keep_updates(session=session, channel=CHANNEL, updates=[(incoming.key, body)])
        self._start(incoming)
        return True

    async def poll(
        self, api: ZaloBotApi, stop: asyncio.Event, timeout_s: int = LONG_POLL_S
    ) -> None:
        """Long-poll until `stop` is set. Transient failures back off; a refused token or a
        webhook still set is logged as an error and retried slowly, as neither heals by itself."""
        backoff = 1.0
        while not stop.is_set():
            try:
                body = await api.get_update(timeout_s)
                if body is not None:
                    await self.receive(body)
            except SendError as exc:
                wait = MAX_BACKOFF_S if exc.failure is not Failure.RETRY_LATER else backoff
                log = logger.error if exc.failure is not Failure.RETRY_LATER else logger.warning
                log("Zalo polling failed (%s); retrying in %.0f s", exc, wait)
                await _sleep_or_stop(stop, wait)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            except (SQLAlchemyError, OSError) as exc:
                # The update was fetched and could not be kept: Zalo will not give it again.
                logger.error("A Zalo update could not be stored and is lost: %s", exc)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = 1.0

    def webhook(self, secret: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        """An aiohttp handler for Zalo's webhook: 200 once the update is stored."""
        expected = secret.encode()

        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, expected):
                logger.warning(
                    "Refused a Zalo webhook call without the secret from %s", request.remote
                )
                return web.json_response({"ok": False}, status=403)
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"ok": False}, status=400)
            try:
                await self.receive(body)
            except (SQLAlchemyError, OSError) as exc:
                # Not stored: say so, and Zalo delivers it again.
                logger.warning("Could not keep a Zalo update (%s); asked for it again", exc)
                return web.json_response({"ok": False}, status=503)
            return web.json_response({"ok": True})

        return receive

    # ----- turns --------------------------------------------------------------------------

    def _start(self, incoming: Incoming) -> None:
        task = asyncio.create_task(self._turn(incoming))
        self._running[incoming.key] = task
        task.add_done_callback(lambda _task: self._running.pop(incoming.key, None))

    async def _turn(self, incoming: Incoming) -> None:
        async with self.lanes.lane(incoming.address.chat_id):
            for attempt, delay in enumerate((*self.retry_delays_s, None)):
                try:
                    await self.handle(incoming)
                    break
                except Exception:
                    logger.exception(
                        "Handling Zalo update %s failed (try %d)", incoming.key, attempt + 1
                    )
                    if delay is None:
                        if self.on_failure is not None:
                            with contextlib.suppress(Exception):
                                await self.on_failure(incoming)
                        break
                    await asyncio.sleep(delay)
        try:
            async with self.database.session() as session:
                await forget_updates(session=session, channel=CHANNEL, keys=[incoming.key])
        except (SQLAlchemyError, OSError) as exc:
            # Left in the inbox: the next start hands it over again, and the handler's claim
            # recognises it as handled.
            logger.warning("Could not clear Zalo update %s from the inbox: %s", incoming.key, exc)

    async def drain(self, grace_s: float = 10.0) -> None:
        """Let the turns under way finish; one still running after `grace_s` is cancelled and
        stays in the inbox for the next start."""
        running = list(self._running.values())
        if not running:
            return
        await asyncio.wait(running, timeout=grace_s)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
