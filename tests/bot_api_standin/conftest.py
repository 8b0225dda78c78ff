"""A running stand-in, and python-telegram-bot's client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot_api_standin import LocalBotApi


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(
        api.token, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot"
    ) as client:
        yield client
