"""The bot's start-up, run in this process against the local Bot API stand-in: a passing error
from Telegram (a 502, a 429) while connecting or removing the webhook is waited out, and a
rejected token still stops the bot at once."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.runner import EXIT_ALREADY_RUNNING, EXIT_OK, EXIT_TOKEN_REJECTED, run_bot
from bot_api_standin import LocalBotApi
from tests.conftest import POSTGRES
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


@pytest.mark.skipif(POSTGRES, reason="the instance lock is SQLite's; PostgreSQL allows several")
async def test_a_clean_stop_removes_the_lock_file_and_a_killed_ones_does_not_block(
    api: LocalBotApi, tmp_path: Path
) -> None:
    """A bot killed with SIGKILL leaves its .lock behind; the next start takes it (the kernel
    dropped the flock), and stopping cleanly removes it."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'baocao.sqlite3'}"
    lock_file = tmp_path / "baocao.sqlite3.lock"
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import time; from storage.db import InstanceLock; "
        f"lock = InstanceLock({database_url!r}); assert lock.acquire(); "
        "print('held', flush=True); "
        "time.sleep(60)",
        stdout=asyncio.subprocess.PIPE,
    )
    assert holder.stdout is not None and await holder.stdout.readline() == b"held\n"
    busy = await asyncio.wait_for(
        run_bot(settings_for(api, database_url), stop=asyncio.Event()), timeout=20
    )
    assert busy == EXIT_ALREADY_RUNNING
    holder.kill()
    await holder.wait()
    assert lock_file.exists()

    stop = asyncio.Event()
    running = asyncio.create_task(run_bot(settings_for(api, database_url), stop=stop))
    try:
        await api.wait_until_polling(timeout=20)
        assert lock_file.exists()
    finally:
        stop.set()
        code = await asyncio.wait_for(running, timeout=20)

    assert code == EXIT_OK
    assert not lock_file.exists()
