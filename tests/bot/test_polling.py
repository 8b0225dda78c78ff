"""The poller: lanes per chat, and an update whose turn failed is handled again, then refused
plainly. A real PTB Application polls the stand-in; its handlers are the test's own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.app import _on_error
from bot.polling import ChatLanes, poll_updates
from bot_api_standin import FakeUser, LocalBotApi
from conversations import texts

AN = FakeUser(id=520_001, first_name="An")
BINH = FakeUser(id=520_002, first_name="Bình")


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


async def polling(application: Application, until: asyncio.Event) -> None:  # type: ignore[type-arg]
    await application.initialize()
    try:
        await poll_updates(application, until, long_poll_s=1, retry_delays_s=(0.05, 0.05))
    finally:
        await application.shutdown()


def application_for(api: LocalBotApi) -> Application:  # type: ignore[type-arg]
    return ApplicationBuilder().token(api.token).base_url(f"{api.url}/bot").updater(None).build()


async def test_a_turn_that_keeps_failing_is_tried_again_then_refused_plainly(
    api: LocalBotApi,
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
    task = asyncio.create_task(polling(application, stop))
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


async def test_chats_run_side_by_side_and_each_chat_in_order(api: LocalBotApi) -> None:
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
    task = asyncio.create_task(polling(application, stop))
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
