"""The Zalo client against the Zalo stand-in over real HTTP: calls, limits, and every failure
read as one of the channels' four words."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.logging_setup import RedactTokenFilter, configure_logging
from channels.base import Failure, IncomingKind, SendError
from channels.zalo.api import ZaloBotApi
from channels.zalo.updates import NotAnUpdate, read_update
from zalo_standin import ZaloStandIn


@pytest.fixture
async def zalo() -> AsyncIterator[ZaloStandIn]:
    async with ZaloStandIn() as standin:
        yield standin


@pytest.fixture
async def api(zalo: ZaloStandIn) -> AsyncIterator[ZaloBotApi]:
    async with ZaloBotApi(zalo.token, base_url=zalo.url, timeout_s=2.0) as client:
        yield client


async def test_a_text_arrives_as_an_incoming_and_the_reply_reaches_the_person(
    zalo: ZaloStandIn, api: ZaloBotApi
) -> None:
    hoa = zalo.add_user("Nguyễn Thị Hoa")
    await zalo.send_text(hoa, "/start ABC123")

    update = await api.get_update(timeout_s=1)
    incoming = read_update(update)
    sent = await api.send_message(incoming.address.chat_id, "Xin chào chị Hoa")

    assert incoming.kind is IncomingKind.TEXT
    assert incoming.text == "/start ABC123"
    assert incoming.sender_name == "Nguyễn Thị Hoa"
    assert incoming.address.chat_id == hoa.id
    assert not incoming.in_group
    assert abs(incoming.sent_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert [m.text for m in zalo.messages_to(hoa)] == ["Xin chào chị Hoa"]
    assert sent.message_id == zalo.messages_to(hoa)[0].message_id


async def test_one_update_per_poll_and_none_after_the_long_poll(
    zalo: ZaloStandIn, api: ZaloBotApi
) -> None:
    hoa = zalo.add_user("Hoa")
    await zalo.send_text(hoa, "1")
    await zalo.send_sticker(hoa)

    first, second = await api.get_update(timeout_s=1), await api.get_update(timeout_s=1)
    started = asyncio.get_running_loop().time()
    third = await api.get_update(timeout_s=1)

    assert read_update(first).text == "1"
    assert read_update(second).kind is IncomingKind.STICKER
    assert read_update(second).text is None
    assert third is None
    assert asyncio.get_running_loop().time() - started >= 0.9  # it waited, as a long poll


async def test_a_poll_returns_as_soon_as_a_message_arrives(
    zalo: ZaloStandIn, api: ZaloBotApi
) -> None:
    hoa = zalo.add_user("Hoa")
    polling = asyncio.create_task(api.get_update(timeout_s=5))
    await asyncio.sleep(0.1)
    await zalo.send_text(hoa, "6")

    update = await asyncio.wait_for(polling, 2)

    assert read_update(update).text == "6"


@pytest.mark.parametrize(
    ("code", "failure"),
    [
        (429, Failure.RETRY_LATER),
        (500, Failure.RETRY_LATER),
        (503, Failure.RETRY_LATER),
        (403, Failure.BLOCKED),
        (400, Failure.FAILED),
        (404, Failure.FAILED),
    ],
)
async def test_errors_are_classified(
    zalo: ZaloStandIn, api: ZaloBotApi, code: int, failure: Failure
) -> None:
    hoa = zalo.add_user("Hoa")
    await zalo.send_text(hoa, "hi")
    zalo.fail_next("sendMessage", code, "Something went wrong")

    with pytest.raises(SendError) as caught:
        await api.send_message(hoa.id, "Xin chào")

    assert caught.value.failure is failure
    assert zalo.messages_to(hoa) == []


async def test_a_person_who_never_wrote_cannot_be_reached(
    zalo: ZaloStandIn, api: ZaloBotApi
) -> None:
    stranger = zalo.add_user("Người lạ")

    with pytest.raises(SendError) as caught:
        await api.send_message(stranger.id, "Xin chào")

    assert caught.value.failure is Failure.BLOCKED


async def test_texts_over_2000_characters_are_refused_before_sending(
    zalo: ZaloStandIn, api: ZaloBotApi
) -> None:
    hoa = zalo.add_user("Hoa")
    await zalo.send_text(hoa, "hi")

    with pytest.raises(SendError) as caught:
        await api.send_message(hoa.id, "x" * 2001)
    await api.send_message(hoa.id, "x" * 2000)

    assert caught.value.failure is Failure.FAILED
    assert [len(m.text) for m in zalo.messages_to(hoa)] == [2000]
    assert [call.method for call in zalo.calls] == ["sendMessage"]  # the long one never went


async def test_the_stand_in_refuses_what_zalo_refuses(zalo: ZaloStandIn, api: ZaloBotApi) -> None:
    hoa = zalo.add_user("Hoa")
    await zalo.send_text(hoa, "hi")

    with pytest.raises(SendError, match="longer than 2000"):
        await api.call("sendMessage", {"chat_id": hoa.id, "text": "x" * 2001})
    with pytest.raises(SendError, match="photo must be a URL"):
        await api.call("sendPhoto", {"chat_id": hoa.id, "photo": "/etc/passwd"})
    with pytest.raises(SendError, match="8 to 256"):
        await api.call("setWebhook", {"url": "https://example.invalid/z", "secret_token": "short"})


async def test_a_timeout_is_retry_later(zalo: ZaloStandIn) -> None:
    hoa = zalo.add_user("Hoa")
    await zalo.send_text(hoa, "hi")
    zalo.delay_next("sendMessage", 1.0)

    async with ZaloBotApi(zalo.token, base_url=zalo.url, timeout_s=0.2) as impatient:
        with pytest.raises(SendError) as caught:
            await impatient.send_message(hoa.id, "Xin chào")

    assert caught.value.failure is Failure.RETRY_LATER


async def test_a_wrong_token_is_refused_and_never_shown(zalo: ZaloStandIn) -> None:
    wrong = "7000000001:not-the-secret-at-all"
    # The project's own logging, at its most talkative, to a stream this test reads.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokenFilter(wrong))
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("httpx").level
    try:
        configure_logging("DEBUG", secret=wrong)
        root.handlers[:] = [handler]
        async with ZaloBotApi(wrong, base_url=zalo.url) as client:
            with pytest.raises(SendError) as caught:
                await client.get_me()
            logging.getLogger("channels").warning("Zalo refused: %s", caught.value)
    finally:
        root.handlers[:], level, httpx_level = saved
        root.setLevel(level)
        logging.getLogger("httpx").setLevel(httpx_level)

    assert caught.value.failure is Failure.FAILED
    assert "Unauthorized" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
    assert "Zalo refused" in stream.getvalue()
    assert "not-the-secret" not in stream.getvalue()


async def test_get_me_and_the_webhook_methods(zalo: ZaloStandIn, api: ZaloBotApi) -> None:
    me = await api.get_me()
    await api.set_webhook("https://bot.example.invalid/zalo", "s" * 16)
    info = await api.get_webhook_info()
    with pytest.raises(SendError, match="webhook is set"):
        await api.get_update(timeout_s=0)
    await api.delete_webhook()

    assert me["id"] == zalo.bot_id
    assert info["url"] == "https://bot.example.invalid/zalo"
    assert (await api.get_webhook_info())["url"] == ""
    with pytest.raises(ValueError, match="8 to 256"):
        await api.set_webhook("https://bot.example.invalid/zalo", "short")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"event_name": "message.text.received"},
        {"ok": True, "result": {"message": {"text": "x"}}},
        [],
        "text",
    ],
)
def test_what_is_not_a_message_update_is_refused(body: object) -> None:
    with pytest.raises(NotAnUpdate):
        read_update(body)


def test_a_webhook_body_and_a_bare_update_read_the_same() -> None:
    update = {
        "event_name": "message.text.received",
        "message": {
            "message_id": "abc",
            "date": 1764633600000,
            "from": {"id": "42", "display_name": "Hoa"},
            "chat": {"id": "42", "chat_type": "PRIVATE"},
            "text": "5",
        },
    }

    assert read_update({"ok": True, "result": update}) == read_update(update)
    assert read_update(update).key == "zalo:abc"
    assert read_update(update).sent_at == datetime(2025, 12, 2, tzinfo=UTC)
