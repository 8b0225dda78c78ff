"""The Zalo stand-in's own promises: a webhook gets each update with the secret, retried until
it answers 200; a photo is fetched from its link like Zalo's servers would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from channels.zalo.api import ZaloBotApi
from channels.zalo.updates import read_update
from zalo_standin import ZaloStandIn
from zalo_standin.server import SECRET_HEADER

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


class Receiver:
    """A tiny web server standing in for the bot's webhook and its file links."""

    def __init__(self, refuse_first: int = 0) -> None:
        self.bodies: list[object] = []
        self.secrets: list[str | None] = []
        self.refuse_first = refuse_first
        self.url = ""

    async def webhook(self, request: web.Request) -> web.Response:
        self.secrets.append(request.headers.get(SECRET_HEADER))
        if self.refuse_first > 0:
            self.refuse_first -= 1
            return web.Response(status=503)
        self.bodies.append(await request.json())
        return web.json_response({"ok": True})

    async def picture(self, request: web.Request) -> web.Response:
        if request.match_info["name"] == "page1.png":
            return web.Response(body=PNG, content_type="image/png")
        return web.Response(status=404)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver(refuse_first=2)
    app = web.Application()
    app.router.add_post("/zalo", found.webhook)
    app.router.add_get("/files/{name}", found.picture)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    found.url = f"http://127.0.0.1:{port}"
    yield found
    await runner.cleanup()


async def test_a_webhook_gets_each_update_with_its_secret_until_it_answers_200(
    receiver: Receiver,
) -> None:
    async with ZaloStandIn() as zalo, ZaloBotApi(zalo.token, base_url=zalo.url) as api:
        await api.set_webhook(f"{receiver.url}/zalo", "webhook-secret-1")
        hoa = zalo.add_user("Hoa")
        await zalo.send_text(hoa, "12")
        for _ in range(100):
            if receiver.bodies:
                break
            await asyncio.sleep(0.05)

    assert receiver.secrets == ["webhook-secret-1"] * 3  # refused twice, then taken
    assert len(receiver.bodies) == 1
    assert read_update(receiver.bodies[0]).text == "12"
    assert zalo.pending_updates == 0  # nothing left for getUpdates


async def test_a_photo_is_fetched_from_its_link(receiver: Receiver) -> None:
    async with (
        ZaloStandIn(fetch_photos=True) as zalo,
        ZaloBotApi(zalo.token, base_url=zalo.url) as api,
    ):
        hoa = zalo.add_user("Hoa")
        await zalo.send_text(hoa, "hi")
        await api.send_photo(hoa.id, f"{receiver.url}/files/page1.png", "Trang 1/3")
        with pytest.raises(Exception, match="does not give a picture"):
            await api.send_photo(hoa.id, f"{receiver.url}/files/forged.png")

    [photo] = zalo.messages_to(hoa)
    assert photo.photo == PNG
    assert photo.text == "Trang 1/3"
    assert "[ảnh " in zalo.transcript()
