"""The sender's pace against the stand-in enforcing Telegram's limits, and quiet hours."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot

from bot.outbox import OutboxSender, Pacer
from bot.sending import ReportFiles
from bot_api_standin import FakeUser, LocalBotApi
from conversations.outgoing import Text
from storage.db import Database
from tests.bot.test_outbox import drain, new_bot, queue

USERS = [FakeUser(id=600_000 + n, first_name=f"Người {n}") for n in range(60)]


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        for user in USERS:
            server.add_private_chat(user)
        server.set_rate_limits(global_per_second=30, per_chat_per_second=1)
        yield server


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    client = new_bot(api)
    await client.initialize()
    yield client
    await client.shutdown()


async def test_sends_keep_under_30_per_second_and_1_per_chat_with_no_429(
    api: LocalBotApi, bot: Bot, database: Database
) -> None:
    """60 chats plus three messages to one chat: no 429, and the pace is close to the limit."""
    for user in USERS:
        await queue(database, f"to:{user.id}", Text("Chào"), chat_id=user.id)
    for n in range(3):
        await queue(database, f"again:{n}", Text(f"Tin {n}"), chat_id=USERS[0].id)
    sender = OutboxSender(bot, database, ReportFiles(database))

    started = time.monotonic()
    assert await drain(sender, database, within=30) == 63
    elapsed = time.monotonic() - started

    calls = api.calls("sendMessage")
    assert [call.error for call in calls if call.error] == []
    assert len(calls) == 63
    # The 60 first messages (one per chat) never go faster than the limit, and not far under it
    # (a pacer at half speed fails). bench/fanout.py measures how close (0.92 of it); here the
    # suite's other worker shares the two cores, and a PostgreSQL run once saw 17/s.
    first = sorted(call.at for call in calls if str(call.params["text"]) == "Chào")
    assert len(first) == 60
    assert 15 <= (len(first) - 1) / (first[-1] - first[0]) <= 30
    # The three more for one chat wait a second each.
    assert elapsed >= 3.0
    same_chat = sorted(call.at for call in calls if call.params["chat_id"] == USERS[0].id)
    assert len(same_chat) == 4
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(same_chat))


async def test_pacer_never_bunches_sends_after_a_stall() -> None:
    """Each slot counts from the last send, so sends stay at least one gap apart."""
    pacer = Pacer(per_second=50, per_chat_per_second=1000)
    times = []
    for n in range(10):
        if n == 3:
            time.sleep(0.1)  # noqa: ASYNC251 - the event loop busy elsewhere, on purpose
        await pacer.acquire(n)
        times.append(time.monotonic())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # A bunched catch-up would send the missed slots back to back (gaps near zero). The times are
    # taken after waking, so one late wake-up shortens the gap after it by the event loop's jitter
    # (a CI run saw 1.8 ms); half a gap tells the two apart on a busy machine.
    assert min(gaps) >= pacer.gap * 0.5
    # And the slots stay on one timeline: ten sends never fit in less than nine gaps.
    assert times[-1] - times[0] >= 9 * pacer.gap


async def test_nothing_is_sent_in_quiet_hours(
    api: LocalBotApi, bot: Bot, database: Database
) -> None:
    """In quiet hours the sender claims nothing; when they end, the message goes."""
    await queue(database, "night", Text("Nhắc"), chat_id=USERS[1].id)
    until = datetime.now(UTC) + timedelta(seconds=0.5)
    quiet = {"until": until}
    sender = OutboxSender(
        bot,
        database,
        ReportFiles(database),
        quiet_until=lambda now: quiet["until"] if now < quiet["until"] else None,
    )
    assert await sender.send_due() == 0
    assert api.calls("sendMessage") == []
    assert await sender.send_due() == 0  # still paused until the quiet hours end
    await asyncio.sleep(0.6)
    assert await sender.send_due() == 1
    assert [call.params["chat_id"] for call in api.calls("sendMessage")] == [USERS[1].id]


async def test_a_late_wake_up_does_not_bunch_the_next_send() -> None:
    """With the event loop busy, sleeps end late; the send after a late one still waits a gap
    (catching up would put two sends back to back, and 31 in a second is a 429)."""
    pacer = Pacer(per_second=50, per_chat_per_second=1000)
    busy = True

    async def hog() -> None:  # another task holding the loop 15 ms at a time
        while busy:
            time.sleep(0.015)  # noqa: ASYNC251 - blocking on purpose
            await asyncio.sleep(0.005)

    hogging = asyncio.create_task(hog())
    times = []
    try:
        for n in range(20):
            await pacer.acquire(n)
            times.append(time.monotonic())
    finally:
        busy = False
        await hogging
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= pacer.gap * 0.9, gaps  # bunched sends would be ~0 apart
