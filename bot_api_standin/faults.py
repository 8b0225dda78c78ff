"""Injected failures: queued error answers, slow answers, flood limits and blocked users."""

from __future__ import annotations

import math
import random
import time
from collections import Counter, deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from bot_api_standin.errors import ApiError, too_many_requests

JSONDict = dict[str, Any]


@dataclass
class Fault:
    """One queued error answer (`Faults.fail_next`)."""

    status: int
    retry_after: int | None
    description: str | None

    @property
    def bad_gateway(self) -> bool:
        """A proxy's failure: answered with an HTML page rather than Bot API JSON."""
        return self.status == 502

    def api_error(self) -> ApiError:
        """The JSON error answer of a fault that is not a bad gateway."""
        if self.status == 429:
            error = too_many_requests(max(1, self.retry_after or 1))
            if self.description:
                error.description = self.description
            return error
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Error"
        return ApiError(self.status, self.description or phrase)


def _window_wait(sent_at: deque[float], per_second: float, now: float) -> float:
    """Seconds until one more message fits a sliding window of `per_second` messages.

    The window is one second; limits below one per second widen it (0.5/s -> 1 per 2 s).
    """
    window = max(1.0, 1.0 / per_second)
    capacity = max(1, int(per_second * window))
    while sent_at and sent_at[0] <= now - window:
        sent_at.popleft()
    if len(sent_at) < capacity:
        return 0.0
    return sent_at[-capacity] + window - now


class Faults:
    """The failures a test injects; `LocalBotApi` consults them on every call.

    Nothing fails until a test asks for it: no faults queued, no delays, no flood limits.
    """

    def __init__(self) -> None:
        self._faults: dict[str, deque[Fault]] = {}
        self._delays: dict[str | None, float] = {}
        self._blocked: set[int] = set()
        self._global_per_second: float | None = None
        self._chat_per_second: float | None = None
        self._global_sends: deque[float] = deque()
        self._chat_sends: dict[int, deque[float]] = {}
        self._random_rate = 0.0
        self._random_methods: frozenset[str] = frozenset()
        self._late_s = 6.0
        self._random = random.Random()
        self.random_faults_injected: Counter[str] = Counter()

    # ---------------------------------------------------------------- what a test asks for

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with an error.

        429 carries ``parameters.retry_after`` (default 1 s); 502 answers with an nginx-style HTML
        page like a failing proxy would; anything else is a JSON error with `description`
        (default: the HTTP reason phrase, e.g. "Internal Server Error").
        """
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend(Fault(status, retry_after, description) for _ in range(times))

    def set_delay(self, method: str | None, seconds: float) -> None:
        """Answer `method` (None: every method) only after `seconds`; 0 removes the delay."""
        key = None if method is None else method.lower()
        if seconds > 0:
            self._delays[key] = seconds
        else:
            self._delays.pop(key, None)

    def block_user(self, user_id: int) -> None:
        """The user blocked the bot: sending to their private chat fails with 403."""
        self._blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def set_rate_limits(
        self,
        *,
        global_per_second: float | None = 30,
        per_chat_per_second: float | None = 1,
    ) -> None:
        """Enforce flood limits on sendMessage/sendDocument/sendPhoto (off until called; None =
        off)."""
        self._global_per_second = global_per_second
        self._chat_per_second = per_chat_per_second
        self._global_sends.clear()
        self._chat_sends.clear()

    def set_random_faults(
        self,
        rate: float,
        *,
        methods: tuple[str, ...] = ("sendMessage", "answerCallbackQuery", "editMessageReplyMarkup"),
        late_s: float = 6.0,
        seed: int | None = None,
    ) -> None:
        """Fail a share `rate` of the calls to `methods`, each fault drawn evenly from: a 429
        (retry after 1 s), a 502 from the proxy, and a late answer: the call takes effect but is
        answered only after `late_s` seconds, past the client's timeout (python-telegram-bot
        waits 5 s), so the client cannot know it went. 0 turns them off."""
        self._random_rate = rate
        self._random_methods = frozenset(m.lower() for m in methods)
        self._late_s = late_s
        self._random = random.Random(seed)
        self.random_faults_injected.clear()

    # ---------------------------------------------------------------- what the server consults

    def _random_fault(self, method: str) -> str | None:
        """'429', '502', 'late' or None for this call, when random faults are on."""
        if not self._random_rate or method.lower() not in self._random_methods:
            return None
        if self._random.random() >= self._random_rate:
            return None
        kind = self._random.choice(("429", "502", "late"))
        self.random_faults_injected[kind] += 1
        return kind

    def _delay_for(self, method: str) -> float:
        """Seconds to hold the answer to `method` before deciding it."""
        return self._delays.get(method.lower(), self._delays.get(None, 0.0))

    def _take_fault(self, method: str) -> Fault | None:
        """The next queued fault for `method`, used up by this call."""
        queue = self._faults.get(method.lower())
        if not queue:
            return None
        return queue.popleft()

    def _check_not_blocked(self, chat: JSONDict) -> None:
        if chat.get("type") == "private" and chat["id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _check_rate_limit(self, chat_id: int) -> None:
        """Refuse a message over the flood limits with 429, or count it against them."""
        now = time.monotonic()
        chat_sends = self._chat_sends.setdefault(chat_id, deque())
        wait = 0.0
        if self._global_per_second:
            wait = max(wait, _window_wait(self._global_sends, self._global_per_second, now))
        if self._chat_per_second:
            wait = max(wait, _window_wait(chat_sends, self._chat_per_second, now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        if self._global_per_second:
            self._global_sends.append(now)
        if self._chat_per_second:
            chat_sends.append(now)
