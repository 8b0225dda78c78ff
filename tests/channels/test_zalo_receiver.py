"""Zalo updates kept before they are handled: in order per chat, none lost to a crash or a
failing turn, a webhook that takes only its secret, a flood cut short."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from channels.base import Incoming
from channels.lanes import FloodGate
from channels.zalo.api import ZaloBotApi
from channels.zalo.receiver import SECRET_HEADER, ZaloReceiver
from storage.db import Database
from storage.inbox import waiting_updates
from zalo_standin import ZaloStandIn

SECRET = "webhook-secret-for-tests"


class Recorder:
    def __init__(self, fail_first: int = 0, block: asyncio.Event | None = None) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.failures_left = fail_first
        self.block = block

    async def __call__(self, incoming: Incoming) -> None:
        if self.block is not None:
            await self.block.wait()
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("database is locked")
        self.seen.append((incoming.sender_name, incoming.text))


async def kept(database: Database) -> list[str]:
    async with database.session() as session:
        return [key for key, _ in await waiting_updates(session=session, channel="zalo")]


async def until(condition: object, timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
async def zalo() -> AsyncIterator[ZaloStandIn]:
    async with ZaloStandIn() as standin:
        yield standin


async def test_polled_updates_are_handled_in_order_and_leave_the_inbox(
    zalo: ZaloStandIn, database: Database
) -> None:
    recorder = Recorder()
    receiver = ZaloReceiver(database, recorder)
    hoa, binh = zalo.add_user("Hoa"), zalo.add_user("Bình")
    for text in ("1", "2", "3"):
        await zalo.send_text(hoa, text)
        await zalo.send_text(binh, text)
    stop = asyncio.Event()
    async with ZaloBotApi(zalo.token, base_url=zalo.url) as api:
        polling = asyncio.create_task(receiver.poll(api, stop, timeout_s=1))
        await until(lambda: len(recorder.seen) == 6)
        stop.set()
        await polling
    await receiver.drain()

    assert [text for name, text in recorder.seen if name == "Hoa"] == ["1", "2", "3"]
    assert [text for name, text in recorder.seen if name == "Bình"] == ["1", "2", "3"]
    assert await kept(database) == []


async def test_an_update_kept_before_a_crash_is_handled_on_the_next_start(
    zalo: ZaloStandIn, database: Database
) -> None:
    hoa = zalo.add_user("Hoa")
    await zalo.send_text(hoa, "6")
    stuck = Recorder(block=asyncio.Event())  # the process dies while the turn runs
    first = ZaloReceiver(database, stuck)
    async with ZaloBotApi(zalo.token, base_url=zalo.url) as api:
        assert await first.receive(await api.get_update(timeout_s=1))
    await first.drain(grace_s=0.05)
    assert zalo.pending_updates == 0  # gone from Zalo: only the inbox has it
    assert len(await kept(database)) == 1

    recorder = Recorder()
    second = ZaloReceiver(database, recorder)
    assert await second.start() == 1
    await until(lambda: recorder.seen == [("Hoa", "6")])
    await second.drain()

    assert await kept(database) == []


async def test_a_failing_turn_is_tried_again_then_the_person_is_told(
    zalo: ZaloStandIn, database: Database
) -> None:
    hoa = zalo.add_user("Hoa")
    await zalo.send_text(hoa, "5")
    await zalo.send_text(hoa, "7")
    told: list[str | None] = []

    async def tell(incoming: Incoming) -> None:
        told.append(incoming.text)

    recorder = Recorder(fail_first=4)  # "5" fails three times for good, "7" once
    receiver = ZaloReceiver(database, recorder, on_failure=tell, retry_delays_s=(0.01, 0.01))
    async with ZaloBotApi(zalo.token, base_url=zalo.url) as api:
        for _ in range(2):
            await receiver.receive(await api.get_update(timeout_s=1))
    await until(lambda: recorder.seen == [("Hoa", "7")])
    await receiver.drain()

    assert told == ["5"]
    assert await kept(database) == []


async def test_a_flood_is_cut_short_with_one_notice(zalo: ZaloStandIn, database: Database) -> None:
    recorder = Recorder()
    floods: list[str] = []

    async def notice(incoming: Incoming) -> None:
        floods.append(incoming.address.chat_id)

    receiver = ZaloReceiver(
        database, recorder, on_flood=notice, gate=FloodGate(burst=5, every_s=3600)
    )
    hoa = zalo.add_user("Hoa")
    for i in range(12):
        await zalo.send_text(hoa, str(i))
    async with ZaloBotApi(zalo.token, base_url=zalo.url) as api:
        for _ in range(12):
            await receiver.receive(await api.get_update(timeout_s=1))
    await until(lambda: len(recorder.seen) == 5)
    await receiver.drain()

    assert [text for _, text in recorder.seen] == ["0", "1", "2", "3", "4"]
    assert floods == [hoa.id]


async def test_the_webhook_takes_only_its_secret_and_answers_after_storing(
    zalo: ZaloStandIn, database: Database
) -> None:
    recorder = Recorder()
    receiver = ZaloReceiver(database, recorder)
    app = web.Application()
    app.router.add_post("/zalo/webhook", receiver.webhook(SECRET))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/zalo/webhook"  # type: ignore[union-attr]
    try:
        async with ZaloBotApi(zalo.token, base_url=zalo.url) as api:
            await api.set_webhook(url, SECRET)
        hoa = zalo.add_user("Hoa")
        await zalo.send_text(hoa, "12")
        await until(lambda: recorder.seen == [("Hoa", "12")])
        forged_body = {"event_name": "message.text.received", "message": {"message_id": "f1"}}
        async with httpx.AsyncClient() as client:
            forged = await client.post(url, json=forged_body, headers={SECRET_HEADER: "wrong"})
            missing = await client.post(url, json=forged_body)
        await receiver.drain()
    finally:
        await runner.cleanup()

    assert forged.status_code == 403 and missing.status_code == 403
    assert recorder.seen == [("Hoa", "12")]
    assert await kept(database) == []
