"""The bot's requests over aiohttp (bot/aiohttp_request.py), through PTB's Bot against the
stand-in: messages and files arrive, and a timeout or a refused connection raises what PTB's own
transport raises."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.aiohttp_request import AiohttpRequest, UpdatesRequest
from bot_api_standin import FakeUser, LocalBotApi

HOA = FakeUser(id=51, first_name="Hoa")


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        server.add_private_chat(HOA)
        yield server


def bot_at(url: str, token: str) -> Bot:
    return Bot(
        token,
        base_url=f"{url}/bot",
        base_file_url=f"{url}/file/bot",
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


async def test_messages_and_files_arrive(api: LocalBotApi) -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("↩️ Quay lại", callback_data="q:1:3:back")]]
    )
    async with bot_at(api.url, api.token) as bot:
        sent = await bot.send_message(HOA.id, "Câu 3/41: Bao nhiêu buổi?", reply_markup=keyboard)
        document = InputFile(b"PK report", filename="bao-cao.docx")
        await bot.send_document(HOA.id, document, caption="Báo cáo")
    message, with_file = api.messages_to(HOA.id)
    assert message["message_id"] == sent.message_id
    assert message["text"] == "Câu 3/41: Bao nhiêu buổi?"
    assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "q:1:3:back"
    assert with_file["document"]["file_name"] == "bao-cao.docx"
    assert with_file["caption"] == "Báo cáo"
    # Parameters as a JSON body, a file as multipart form data.
    assert api.calls("sendMessage")[0].content_type == "application/json"
    assert api.calls("sendDocument")[0].content_type == "multipart/form-data"


async def test_telegram_errors_come_through_as_ptb_raises_them(api: LocalBotApi) -> None:
    async with bot_at(api.url, api.token) as bot:
        api.fail_next("sendMessage", status=429, retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(HOA.id, "một")
        api.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(HOA.id, "hai")


async def test_a_slow_answer_times_out_and_a_refused_connection_is_a_network_error(
    api: LocalBotApi,
) -> None:
    async with bot_at(api.url, api.token) as bot:
        api.set_delay("sendMessage", 1.0)
        with pytest.raises(TimedOut):
            await bot.send_message(HOA.id, "chậm", read_timeout=0.1)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(NetworkError) as refused:
        async with bot_at(f"http://127.0.0.1:{port}", api.token):  # asks getMe first
            pass
    assert not isinstance(refused.value, TimedOut)


async def test_the_updates_request_keeps_each_update_as_telegram_sent_it(
    api: LocalBotApi,
) -> None:
    """What the inbox keeps (bot.polling): Telegram's JSON, not one rebuilt from PTB's objects."""
    updates_request = UpdatesRequest(connection_pool_size=1)
    bot = Bot(
        api.token,
        base_url=f"{api.url}/bot",
        base_file_url=f"{api.url}/file/bot",
        request=AiohttpRequest(),
        get_updates_request=updates_request,
    )
    api.send_message(HOA, "12")
    api.send_message(HOA, "/baocao")
    async with bot:
        updates = await bot.get_updates(timeout=0)
        await bot.send_message(HOA.id, "Đã lưu")  # another request: the updates stay
    assert [u.update_id for u in updates] == sorted(updates_request.received)
    for update in updates:
        kept = updates_request.received[update.update_id]
        assert kept["message"]["text"] == update.message.text
        assert Update.de_json(kept, bot).to_dict() == update.to_dict()
