"""The poller: lanes per chat, and an update whose turn failed is handled again, then refused
plainly. A real PTB Application polls the stand-in; its handlers are the test's own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from functools import partial

import pytest
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.app import _on_error
from bot.polling import ChatLanes, FloodGate, poll_updates
from bot_api_standin import FakeUser, LocalBotApi
from conversations import texts
from storage.db import Database
from storage.inbox import waiting_updates

AN = FakeUser(id=520_001, first_name="An")
BINH = FakeUser(id=520_002, first_name="Bình")


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


async def polling(
    application: Application,  # type: ignore[type-arg]
    until: asyncio.Event,
    database: Database,
    gate: FloodGate | None = None,
    stop_grace_s: float = 10.0,
) -> None:
    await application.initialize()
    try:
        await poll_updates(
            application,
            until,
            database=database,
            long_poll_s=1,
            retry_delays_s=(0.05, 0.05),
            gate=gate,
            stop_grace_s=stop_grace_s,
        )
    finally:
        await application.shutdown()


def application_for(api: LocalBotApi) -> Application:  # type: ignore[type-arg]
    return ApplicationBuilder().token(api.token).base_url(f"{api.url}/bot").updater(None).build()


async def test_a_turn_that_keeps_failing_is_tried_again_then_refused_plainly(
    api: LocalBotApi, database: Database
) -> None:
    tries: list[str] = []

    async def broken(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        tries.append(update.effective_message.text)
        if update.effective_message.text == "hỏng":
            raise RuntimeError("the database is busy")
        await context.bot.send_message(update.effective_message.chat_id, "đã nhận")

    application = application_for(api)
    application.add_handler(MessageHandler(filters.TEXT, broken))
    application.add_error_handler(_on_error)
    stop = asyncio.Event()
    task = asyncio.create_task(polling(application, stop, database))
    try:
        api.send_message(AN, "hỏng")
        api.send_message(AN, "tiếp")
        refusal = await api.wait_for_message(AN.id, after=0, timeout=10)
        assert refusal["text"] == texts.NOT_TAKEN  # said once, and plainly
        await api.wait_for_message(AN.id, after=1, timeout=10)  # the next one goes on
    finally:
        stop.set()
        await task
    assert tries == ["hỏng", "hỏng", "hỏng", "tiếp"]  # three tries, then the next update
    assert [m["text"] for m in api.messages_to(AN.id)] == [texts.NOT_TAKEN, "đã nhận"]
    assert api.pending_updates() == 0  # confirmed: not handled again after a restart


async def test_chats_run_side_by_side_and_each_chat_in_order(
    api: LocalBotApi, database: Database
) -> None:
    order: list[tuple[int, str]] = []
    slow_started = asyncio.Event()

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        if message.text == "chậm":  # a chairman's approval composing a report
            slow_started.set()
            await asyncio.sleep(1.0)
        order.append((message.chat_id, message.text))

    application = application_for(api)
    application.add_handler(MessageHandler(filters.TEXT, record))
    stop = asyncio.Event()
    api.send_message(AN, "chậm")
    api.send_message(AN, "sau")
    api.send_message(BINH, "một")
    api.send_message(BINH, "hai")
    task = asyncio.create_task(polling(application, stop, database))
    try:
        for _ in range(300):
            if len(order) == 4:
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await task
    # Bình's two were handled while An's slow one ran; An's second waited for his first.
    assert order == [(BINH.id, "một"), (BINH.id, "hai"), (AN.id, "chậm"), (AN.id, "sau")]


async def test_a_slow_chat_does_not_hold_up_messages_that_come_after_it(
    api: LocalBotApi, database: Database
) -> None:
    """An's turn takes 3 s (replies waiting out Telegram's per-chat limit); Bình writes after
    the poller fetched An's message, and is answered at once. An's update stays in the inbox
    until it is done: a crash meanwhile would find it there."""
    slow_started = asyncio.Event()

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        if message.text == "chậm":
            slow_started.set()
            await asyncio.sleep(3.0)
        await context.bot.send_message(message.chat_id, f"đã nhận {message.text}")

    application = application_for(api)
    application.add_handler(MessageHandler(filters.TEXT, reply))
    stop = asyncio.Event()
    api.send_message(AN, "chậm")
    task = asyncio.create_task(polling(application, stop, database))
    try:
        await asyncio.wait_for(slow_started.wait(), timeout=5)
        api.send_message(BINH, "6")
        sent = asyncio.get_running_loop().time()
        answer = await api.wait_for_message(BINH.id, after=0, timeout=5)
        waited = asyncio.get_running_loop().time() - sent
        async with database.session() as session:  # kept until its turn is done
            kept = await waiting_updates(session=session, channel="telegram")
        assert "chậm" in [payload["message"]["text"] for _, payload in kept]
        assert not api.messages_to(AN.id)
        await api.wait_for_message(AN.id, after=0, timeout=5)
    finally:
        stop.set()
        await task
    assert answer["text"] == "đã nhận 6"
    assert waited < 1.0, waited
    assert api.pending_updates() == 0


async def test_a_lane_is_forgotten_once_nobody_uses_it() -> None:
    lanes = ChatLanes()
    async with lanes.lane(1):
        inner = asyncio.create_task(_hold(lanes, 1))
        await asyncio.sleep(0.01)
        assert not inner.done()  # the same chat waits
        async with lanes.lane(2):
            pass  # another chat does not
    await inner
    assert lanes._locks == {}


async def _hold(lanes: ChatLanes, key: int) -> None:
    async with lanes.lane(key):
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0)


def test_the_flood_gate_lets_a_burst_through_then_a_steady_trickle() -> None:
    now = [0.0]
    gate = FloodGate(burst=3, every_s=1.0, clock=lambda: now[0])
    assert [gate.admit(AN.id) for _ in range(5)] == [
        (True, False),
        (True, False),
        (True, False),
        (False, True),  # the first one dropped: the chat is asked to wait, once
        (False, False),
    ]
    assert gate.admit(BINH.id) == (True, False)  # another chat has its own bucket
    now[0] = 1.5
    assert gate.admit(AN.id) == (True, False)  # one refilled after a second
    assert gate.admit(AN.id) == (False, False)  # the same flood: not told twice
    now[0] = 100.0
    assert [gate.admit(AN.id) for _ in range(4)] == [
        (True, False),
        (True, False),
        (True, False),
        (False, True),  # never more than the burst; quiet in between, so a new flood is told
    ]


async def test_a_flooding_chat_is_asked_once_to_wait_and_does_not_hold_up_others(
    api: LocalBotApi, database: Database
) -> None:
    handled: list[tuple[int, str]] = []

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        handled.append((message.chat_id, message.text))
        await asyncio.sleep(0.02)  # a turn's database work
        await context.bot.send_message(message.chat_id, f"đã nhận {message.text}")

    application = application_for(api)
    application.add_handler(MessageHandler(filters.TEXT, answer))
    stop = asyncio.Event()
    for number in range(400):  # a script, all at once
        api.send_message(AN, str(number))
    api.send_message(BINH, "6")
    started = asyncio.get_running_loop().time()
    task = asyncio.create_task(polling(application, stop, database))
    try:
        reply = await api.wait_for_message(BINH.id, after=0, timeout=10)
        waited = asyncio.get_running_loop().time() - started
        for _ in range(200):  # until the poller confirmed the whole flood
            if not api.pending_updates():
                break
            await asyncio.sleep(0.05)  # the stand-in has no event for "all confirmed"
    finally:
        stop.set()
        await task
    assert reply["text"] == "đã nhận 6"
    # 30 of An's (each 20 ms) and a few refilled ones come first: well under two seconds.
    assert waited < 2.0, waited
    from_an = [text for chat, text in handled if chat == AN.id]
    assert from_an[:30] == [str(n) for n in range(30)]  # the burst, in order
    assert len(from_an) < 100  # the rest of the flood dropped, not queued
    assert [m["text"] for m in api.messages_to(AN.id)].count(texts.TOO_FAST) == 1


async def test_a_flood_under_telegrams_limits_does_not_hold_up_others(
    api: LocalBotApi, database: Database
) -> None:
    """With the per-chat limit on (one message a second), the flooder's admitted replies wait
    out 429s in his own lane for seconds; another officer is answered meanwhile."""
    from bot.handlers.common import deliver

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        text = f"đã nhận {message.text}"
        await deliver(partial(context.bot.send_message, message.chat_id, text), what="a reply")

    application = application_for(api)
    application.add_handler(MessageHandler(filters.TEXT, answer))
    api.set_rate_limits(global_per_second=30, per_chat_per_second=1)
    stop = asyncio.Event()
    for number in range(1000):
        api.send_message(AN, str(number))
    task = asyncio.create_task(
        polling(application, stop, database, gate=FloodGate(burst=4, every_s=10.0))
    )
    try:
        await api.wait_for_message(AN.id, after=1, timeout=10)  # An's lane is now waiting
        api.send_message(BINH, "6")
        sent = asyncio.get_running_loop().time()
        answer_to_binh = await api.wait_for_message(BINH.id, after=0, timeout=10)
        waited = asyncio.get_running_loop().time() - sent
    finally:
        stop.set()
        await task
    assert answer_to_binh["text"] == "đã nhận 6"
    assert waited < 1.5, waited


async def test_an_update_received_but_not_handled_is_handled_after_a_restart(
    api: LocalBotApi, database: Database
) -> None:
    """The update is confirmed to Telegram as soon as it is kept; the process stops while its
    turn hangs (as a kill would end it); the next start finds it in the inbox and handles it."""
    hang = asyncio.Event()
    handled: list[str] = []

    async def stuck(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        hang.set()
        await asyncio.Event().wait()  # never returns: the process ends first

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        handled.append(update.effective_message.text)
        await context.bot.send_message(update.effective_message.chat_id, "đã nhận")

    first = application_for(api)
    first.add_handler(MessageHandler(filters.TEXT, stuck))
    stop = asyncio.Event()
    api.send_message(AN, "6")
    task = asyncio.create_task(polling(first, stop, database, stop_grace_s=0.1))
    await asyncio.wait_for(hang.wait(), timeout=10)
    stop.set()
    await task
    assert api.pending_updates() == 0, "confirmed to Telegram: it will not bring it again"
    async with database.session() as session:
        assert [
            update_id for update_id, _ in await waiting_updates(session=session, channel="telegram")
        ] != []

    second = application_for(api)
    second.add_handler(MessageHandler(filters.TEXT, answer))
    stop = asyncio.Event()
    task = asyncio.create_task(polling(second, stop, database))
    try:
        await api.wait_for_message(AN.id, after=0, timeout=10)
    finally:
        stop.set()
        await task
    assert handled == ["6"]
    async with database.session() as session:
        assert await waiting_updates(session=session, channel="telegram") == []
