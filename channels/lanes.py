"""Lanes and a flood gate, for updates of any channel.

Lanes: one chat's updates (and re-sent prompts) in order, different chats side by side. The
flood gate: per chat, a token bucket that handles a burst and then drops a flood.
Keys are whatever names a chat on its channel (Telegram's numbers, Zalo's strings).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass


class ChatLanes:
    """One lane per chat: a chat's updates (and re-sent prompts) run one at a time and in
    order, while different chats run side by side."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._holders: dict[Hashable, int] = {}

    @contextlib.asynccontextmanager
    async def lane(self, key: Hashable) -> AsyncIterator[None]:
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
        self._buckets: dict[Hashable, _Bucket] = {}

    def admit(self, key: Hashable) -> tuple[bool, bool]:
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
