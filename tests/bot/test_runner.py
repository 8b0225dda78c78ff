"""The bot's start-up, run in this process against the local Bot API stand-in: a passing error
from Telegram (a 502, a 429) while connecting or removing the webhook is waited out, and a
rejected token still stops the bot at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings, load_settings
from bot.runner import EXIT_OK, EXIT_TOKEN_REJECTED, run_bot
from bot_api_standin import LocalBotApi
from tests.e2e.conftest import MANUAL_CALENDAR


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


def settings_for(api: LocalBotApi, database_url: str) -> Settings:
    return load_settings(
        telegram_bot_token=api.token,
        telegram_api_url=api.url,
        database_url=database_url,
        baocao_calendar=MANUAL_CALENDAR,
    )


def outcomes(api: LocalBotApi, method: str) -> list[int | None]:
    return [call.error[0] if call.error else None for call in api.calls(method)]


async def test_a_502_and_a_429_at_start_are_waited_out(api: LocalBotApi, database_url: str) -> None:
    """getMe answers 502 once, deleteWebhook 502 then 429 (retry after 1 s): the bot retries
    each, honouring the 429's wait, and goes on to poll."""
    api.fail_next("getMe", status=502)
    api.fail_next("deleteWebhook", status=502)
    api.fail_next("deleteWebhook", status=429, retry_after=1)
    stop = asyncio.Event()
    running = asyncio.create_task(run_bot(settings_for(api, database_url), stop=stop))
    try:
        await api.wait_until_polling(timeout=20)
    finally:
        stop.set()
        code = await asyncio.wait_for(running, timeout=20)

    assert code == EXIT_OK
    assert outcomes(api, "getMe")[:2] == [502, None]
    assert outcomes(api, "deleteWebhook") == [502, 429, None]
    [_, limited, done] = api.calls("deleteWebhook")
    assert done.at - limited.at >= 0.95  # the 429's retry_after was honoured


async def test_a_rejected_token_when_removing_the_webhook_stops_the_bot_at_once(
    api: LocalBotApi, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """401 is not retried: the bot exits with code 2 and says why, without polling."""
    api.fail_next("deleteWebhook", status=401, description="Unauthorized")

    code = await asyncio.wait_for(
        run_bot(settings_for(api, database_url), stop=asyncio.Event()), timeout=20
    )

    assert code == EXIT_TOKEN_REJECTED
    assert outcomes(api, "deleteWebhook") == [401]
    assert api.calls("getUpdates") == []
    assert "rejected TELEGRAM_BOT_TOKEN" in caplog.text
