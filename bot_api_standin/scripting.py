"""Scripted people: a user in their private chat with the bot, typing and tapping in step."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot_api_standin.server import LocalBotApi
from bot_api_standin.state import FakeUser

JSONDict = dict[str, Any]


@dataclass
class PrivateChat:
    """A scripted person in their private chat with the bot: type, tap, wait for the answer.

    Each step waits for a reply containing an expected fragment, so scripts stay in step with
    the bot however many messages a reply takes.
    """

    api: LocalBotApi
    user: FakeUser
    timeout: float = 20.0

    def mark(self) -> int:
        """How many messages the bot has sent to this chat so far."""
        return len(self.api.messages_to(self.user.id))

    async def expect(self, fragment: str, *, after: int) -> JSONDict:
        """The first bot message at index >= `after` whose text or caption has `fragment`."""
        return await self.api.wait_for_message(
            self.user.id,
            after=after,
            timeout=self.timeout,
            predicate=lambda message: fragment in str(message.get("text", message.get("caption"))),
        )

    async def says(self, text: str, expect: str) -> JSONDict:
        """Send `text`; wait for a reply containing `expect`."""
        seen = self.mark()
        self.api.send_message(self.user, text)
        return await self.expect(expect, after=seen)

    async def sends(self, act: Callable[[FakeUser], object], expect: str) -> JSONDict:
        """Do `act` (e.g. ``api.send_sticker``) as this user; wait for a reply with `expect`."""
        seen = self.mark()
        act(self.user)
        return await self.expect(expect, after=seen)

    def button(self, label: str) -> tuple[JSONDict, str]:
        """The newest message still showing a button labelled `label`, and the button's data."""
        for message in reversed(self.api.messages_to(self.user.id)):
            keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for row in keyboard:
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        return message, str(button["callback_data"])
        raise AssertionError(f"no button {label!r} in the chat with {self.user.full_name}")

    async def taps(self, label: str, expect: str) -> JSONDict:
        """Press the newest button labelled `label`; wait for a reply containing `expect`."""
        message, data = self.button(label)
        seen = self.mark()
        self.api.press_button(self.user, message, data)
        return await self.expect(expect, after=seen)

    async def tap_answer(self, message: JSONDict, data: str) -> JSONDict:
        """Press a button with any data (forged, stale...); return how the bot answered it."""
        update = self.api.press_button(self.user, message, data)
        query_id = update["callback_query"]["id"]
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            answer = self.api.callback_answer(query_id)
            if answer is not None:
                return answer
            await asyncio.sleep(0.02)
        raise AssertionError(f"the bot did not answer the button press {data!r}")
