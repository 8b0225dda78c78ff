"""The stand-in's HTTP side, driven by the real python-telegram-bot client: routing, the Bot API
methods and their checks, long polling, files, the control API and observing the bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import signal
import socket
import struct
import sys
import time
import zlib
from pathlib import Path

import aiohttp
import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    MessageEntity,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, InvalidToken
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot_api_standin import LocalBotApi
from tests.bot_api_standin.support import AN, BINH, GROUP, GROUP_ID, approve_keyboard

REPO = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------------------ basics


async def test_get_me_describes_the_configured_bot(api: LocalBotApi, bot: Bot) -> None:
    me = await bot.get_me()

    assert me.id == api.bot_id == 123456789
    assert me.username == "baocao_standin_bot"
    assert me.is_bot and me.can_join_groups
    assert api.url.startswith("http://127.0.0.1:")
    assert [r.method for r in api.calls("getme")] == ["getMe", "getMe"]  # initialize + get_me


async def test_wrong_token_raises_invalid_token(api: LocalBotApi) -> None:
    stranger = Bot("42:not-the-token", base_url=f"{api.url}/bot")
    with pytest.raises(InvalidToken, match="was rejected by the server"):
        async with stranger:  # initialize() calls getMe
            pass


async def test_unknown_method_answers_404_and_method_names_are_case_insensitive(
    api: LocalBotApi,
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.url}/bot{api.token}/sendTelepathy") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with session.get(f"{api.url}/bot{api.token}/GETME") as response:
            assert (await response.json())["result"]["username"] == api.bot_username
    assert [r.method for r in api.requests] == ["sendTelepathy", "getMe"]


# ------------------------------------------------------------------------------ sending


async def test_send_message_round_trip_with_inline_keyboard(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")

    sent = await bot.send_message(AN.id, "Chọn thao tác:", reply_markup=approve_keyboard())

    assert sent.text == "Chọn thao tác:"
    assert sent.from_user is not None and sent.from_user.id == api.bot_id
    assert sent.reply_markup == approve_keyboard()
    [stored] = api.messages_to(AN.id)
    assert stored["message_id"] == sent.message_id == 2  # after the user's message 1
    assert stored["reply_markup"] == {
        "inline_keyboard": [[{"text": "Duyệt", "callback_data": "approve:12"}]]
    }
    [call] = api.calls("sendMessage")
    # PTB sends form fields; numbers and JSON objects arrive decoded.
    assert call.content_type == "application/x-www-form-urlencoded"
    assert call.params["chat_id"] == AN.id
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "approve:12"


async def test_json_body_and_query_string_parameters_are_accepted(api: LocalBotApi) -> None:
    api.send_message(AN, "xin chào")
    url = f"{api.url}/bot{api.token}/sendMessage"
    async with httpx.AsyncClient() as client:
        by_json = await client.post(
            url,
            json={"chat_id": AN.id, "text": "123", "reply_markup": {"inline_keyboard": []}},
        )
        by_query = await client.get(url, params={"chat_id": str(AN.id), "text": "true"})

    assert by_json.json()["result"]["text"] == "123"  # text stays text
    assert by_query.json()["result"]["text"] == "true"
    assert [m["text"] for m in api.messages_to(AN.id)] == ["123", "true"]
    assert api.calls("sendMessage")[0].content_type == "application/json"


async def test_html_is_parsed_into_plain_text_and_entities(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")

    sent = await bot.send_message(
        AN.id, "<b>Báo cáo</b> quý &lt;3&gt; &amp; <i>ký số</i>", parse_mode=ParseMode.HTML
    )

    assert sent.text == "Báo cáo quý <3> & ký số"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        (MessageEntity.BOLD, 0, 7),
        (MessageEntity.ITALIC, 18, 5),
    ]
    with pytest.raises(BadRequest, match=r'(?i)can\'t parse entities: unsupported start tag "br"'):
        await bot.send_message(AN.id, "dòng 1<br>dòng 2", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r'(?i)can\'t find end tag corresponding to start tag "b"'):
        await bot.send_message(AN.id, "<b>chưa đóng", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(AN.id, "Xong.", parse_mode=ParseMode.MARKDOWN_V2)


async def test_text_limits(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")

    await bot.send_message(AN.id, "a" * 4096)
    # Tags do not count towards the limit, only the text they format.
    await bot.send_message(AN.id, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(AN.id, "a" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(AN.id, "  \n ")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(AN.id, b"x", filename="a.txt", caption="c" * 1025)
    assert len(api.messages_to(AN.id)) == 2
    assert api.calls("sendMessage")[-1].error == (400, "Bad Request: message text is empty")


@pytest.mark.parametrize(
    ("data", "accepted"),
    [("a" * 64, True), ("đ" * 32, True), ("a" * 65, False), ("đ" * 33, False), ("", False)],
)
async def test_callback_data_is_limited_to_64_utf8_bytes(
    api: LocalBotApi, bot: Bot, data: str, accepted: bool
) -> None:
    api.send_message(AN, "/start")
    if accepted:
        await bot.send_message(AN.id, "ok", reply_markup=approve_keyboard(data))
    else:
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(AN.id, "ok", reply_markup=approve_keyboard(data))


async def test_malformed_reply_markup_is_rejected(api: LocalBotApi) -> None:
    api.send_message(AN, "/start")
    async with aiohttp.ClientSession() as session:
        form = {"chat_id": str(AN.id), "text": "x", "reply_markup": "{not json"}
        async with session.post(f"{api.url}/bot{api.token}/sendMessage", data=form) as response:
            body = await response.json()
    assert response.status == 400
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"


async def test_reply_keyboards_are_recorded_but_not_echoed(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    sent = await bot.send_message(
        AN.id, "Chọn quý", reply_markup=ReplyKeyboardMarkup([["Quý 1", "Quý 2"]])
    )

    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    keyboard = api.calls("sendMessage")[0].params["reply_markup"]["keyboard"]
    assert keyboard == [[{"text": "Quý 1"}, {"text": "Quý 2"}]]
    assert api.transcript()[-1] == "[bot → Nguyễn Văn An] ⌨ [Quý 1] [Quý 2]"


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999_999, "ai đó?")


# ------------------------------------------------------------------------------ long polling


async def test_long_poll_wakes_on_injection_and_offset_confirms(api: LocalBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_until_polling()
    started = time.monotonic()
    sent = api.send_message(AN, "xin chào")

    [update] = await asyncio.wait_for(poll, timeout=2)

    assert time.monotonic() - started < 1  # woke up at once, not after the 5 s timeout
    assert update.update_id == sent["update_id"]
    assert update.message is not None and update.message.text == "xin chào"
    # Unconfirmed updates are delivered again; an offset past them confirms them.
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]
    assert api.pending_updates() == 1
    assert await bot.get_updates(offset=update.update_id + 1) == ()
    assert api.pending_updates() == 0


async def test_long_poll_without_updates_waits_for_the_timeout(api: LocalBotApi) -> None:
    url = f"{api.url}/bot{api.token}/getUpdates"
    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        async with session.get(url, params={"timeout": "0.3"}) as response:
            body = await response.json()
    assert body == {"ok": True, "result": []}
    assert time.monotonic() - started >= 0.3


async def test_a_second_poller_terminates_the_first(api: LocalBotApi, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_until_polling()
    # PTB keeps a single connection for getUpdates, so the rival poller is a raw client.
    async with aiohttp.ClientSession() as session:
        url = f"{api.url}/bot{api.token}/getUpdates"
        second = asyncio.create_task(session.post(url, data={"timeout": "5"}))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, timeout=2)
        api.send_message(AN, "hello")
        async with await asyncio.wait_for(second, timeout=2) as response:
            assert len((await response.json())["result"]) == 1


async def test_a_polling_ptb_application_converses_through_the_stand_in(api: LocalBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            f"Xin chào {context.args}", reply_markup=approve_keyboard()
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("Đã duyệt")
        await update.callback_query.edit_message_text("Đã duyệt báo cáo 12")

    application = (
        Application.builder()
        .token(api.token)
        .base_url(f"{api.url}/bot")
        .base_file_url(f"{api.url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=5))
        await api.wait_until_polling()

        api.send_message(AN, "/start xa-27")
        greeting = await api.wait_for_message(AN.id, timeout=5)
        assert greeting["text"] == "Xin chào ['xa-27']"
        api.press_button(AN, greeting, "approve:12")
        await api.wait_for_message(AN.id, predicate=lambda m: m["text"].startswith("Đã duyệt"))

        await application.updater.stop()
        await application.stop()

    assert "reply_markup" not in greeting  # the edit without a keyboard removed it
    assert api.calls("answerCallbackQuery")[0].params["text"] == "Đã duyệt"
    assert api.pending_updates() == 0  # PTB confirmed everything it handled
    assert [(r.method, r.error) for r in api.requests if r.error] == []


# ------------------------------------------------------------------------------ edits


async def test_edits_update_the_stored_message(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    sent = await bot.send_message(AN.id, "Đang xử lý", reply_markup=approve_keyboard())
    [stored] = api.messages_to(AN.id)

    await sent.edit_text("Đã duyệt", reply_markup=approve_keyboard("undo:12"))
    assert stored["text"] == "Đã duyệt"
    assert stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "undo:12"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await sent.edit_text("Đã duyệt", reply_markup=approve_keyboard("undo:12"))

    await sent.edit_reply_markup(None)
    assert "reply_markup" not in stored
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=AN.id, message_id=99)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", chat_id=AN.id, message_id=1)  # the user's message

    assert await sent.delete() is True
    assert api.is_deleted(stored)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await sent.delete()


# ------------------------------------------------------------------------------ files


async def test_document_upload_get_file_and_download(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    content = "Báo cáo quý I".encode() + bytes(range(256))

    sent = await bot.send_document(
        AN.id, document=content, filename="bao-cao.docx", caption="Bản ký số"
    )

    assert sent.document is not None and sent.document.file_name == "bao-cao.docx"
    assert sent.document.file_size == len(content)
    assert sent.document.mime_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert sent.caption == "Bản ký số"
    call = api.calls("sendDocument")[0]
    assert call.content_type == "multipart/form-data"
    assert call.params["document"].data == content
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content
    assert api.document_bytes(sent.document.file_id) == content
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{api.url}/_standin/requests", params={"method": "sendDocument"}) as response,
    ):
        [recorded] = (await response.json())["result"]
    assert recorded["params"]["document"]["size"] == len(content)  # bytes are summarised

    again = await bot.send_document(AN.id, document=sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(AN.id, document="no-such-file-id")


def png(width: int, height: int) -> bytes:
    """A valid, blank PNG of that size, built by hand (no imaging library needed)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def test_photo_upload_keeps_the_bytes_and_reads_the_size(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    picture = png(300, 200)

    sent = await bot.send_photo(AN.id, photo=picture, filename="tien-do.png", caption="📊 Tiến độ")

    [size] = sent.photo
    assert (size.width, size.height, size.file_size) == (300, 200, len(picture))
    assert sent.caption == "📊 Tiến độ"
    assert api.document_bytes(size.file_id) == picture
    file = await bot.get_file(size.file_id)
    assert bytes(await file.download_as_bytearray()) == picture
    [message] = api.messages_to(AN.id)
    assert message["photo"][0]["file_id"] == size.file_id
    assert api.transcript()[-1].endswith("🖼 photo 300×200 — 📊 Tiến độ")
    again = await bot.send_photo(AN.id, photo=size.file_id)
    assert again.photo[0].file_id == size.file_id

    # Refused as Telegram refuses them: not a picture, a broken header, odd dimensions.
    for data, error in (
        (b"PK\x03\x04 not a picture", "Image_process_failed"),
        (picture[:20], "Image_process_failed"),
        (png(2100, 100), "Photo_invalid_dimensions"),
        (png(5001, 5000), "Photo_invalid_dimensions"),
    ):
        with pytest.raises(BadRequest, match=error):
            await bot.send_photo(AN.id, photo=data, filename="x.png")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(AN.id, photo="no-such-file-id")
    assert len(api.messages_to(AN.id)) == 2


async def test_documents_from_users_can_be_downloaded(api: LocalBotApi, bot: Bot) -> None:
    raw = api.send_document(AN, b"PK\x03\x04 so-lieu", "so-lieu.xlsx", caption="số liệu")

    [update] = await bot.get_updates()

    assert update.message is not None
    document = update.message.document
    assert document is not None
    assert document.file_name == "so-lieu.xlsx"
    assert document.file_id == raw["message"]["document"]["file_id"]
    assert bytes(await (await document.get_file()).download_as_bytearray()) == b"PK\x03\x04 so-lieu"
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("missing")


# ------------------------------------------------------------------------------ other methods


async def test_commands_webhook_and_chat_actions(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    await bot.set_my_commands([BotCommand("baocao", "Lập báo cáo")], language_code="vi")

    assert await bot.get_my_commands(language_code="vi") == (BotCommand("baocao", "Lập báo cáo"),)
    assert await bot.get_my_commands() == ()
    assert api.my_commands(language_code="vi") == [
        {"command": "baocao", "description": "Lập báo cáo"}
    ]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Báo cáo", "x")])
    await bot.delete_my_commands(language_code="vi")
    assert api.my_commands(language_code="vi") == []

    # Per chat: kept apart from the default, written to the transcript, a chat it does not know
    # refused as Telegram refuses it.
    await bot.set_my_commands([BotCommand("xem", "Xem")], scope=BotCommandScopeChat(AN.id))
    assert api.my_commands({"type": "chat", "chat_id": AN.id}) == [
        {"command": "xem", "description": "Xem"}
    ]
    assert api.my_commands() == []
    assert api.transcript()[-1].endswith("] menu: /xem")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_my_commands([BotCommand("xem", "Xem")], scope=BotCommandScopeChat(987654))

    assert await bot.send_chat_action(AN.id, "upload_document") is True
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert await bot.log_out() is True


# ------------------------------------------------------------------------------ control API


async def test_control_api_queues_updates_and_lists_calls(api: LocalBotApi, bot: Bot) -> None:
    update = {"message": {"message_id": 5, "date": 0, "chat": AN.private_chat(), "text": "hi"}}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.url}/_standin/updates", json=update) as response:
            queued = (await response.json())["result"]
        await bot.send_message(AN.id, "chào")  # the injected update made the chat known
        async with session.get(f"{api.url}/_standin/requests") as response:
            calls = (await response.json())["result"]

    assert queued["update_id"] > 0 and queued["message"]["text"] == "hi"
    assert [u.update_id for u in await bot.get_updates()] == [queued["update_id"]]
    assert [c["method"] for c in calls] == ["getMe", "sendMessage"]
    assert calls[1]["result"]["message_id"] == 6
    assert calls[1]["params"]["chat_id"] == AN.id


async def test_control_api_presses_buttons_as_real_callback_queries(
    api: LocalBotApi, bot: Bot
) -> None:
    start = api.send_message(AN, "/start")
    shown = await bot.send_message(AN.id, "Duyệt báo cáo?", reply_markup=approve_keyboard())
    await bot.get_updates(offset=start["update_id"] + 1)
    press = {"chat_id": AN.id, "message_id": shown.message_id, "data": "approve:12"}
    async with aiohttp.ClientSession() as session:
        url = f"{api.url}/_standin/press"
        async with session.post(url, json={"user": AN.to_dict(), **press}) as response:
            by_json = (await response.json())["result"]
        async with session.post(url, json={"user": AN.id, **press}) as response:
            by_id = (await response.json())["result"]
        refusals = []
        for body in (
            {"user": AN.id, **press, "message_id": 99},
            {"user": 999, **press},
            {"user": AN.id, **press, "data": 12},
            {"user": {"id": 5}, **press},
            [1, 2],
        ):
            async with session.post(url, json=body) as response:
                refusals.append((response.status, (await response.json())["description"]))

    [first, second] = await bot.get_updates()
    assert first.update_id == by_json["update_id"] and second.update_id == by_id["update_id"]
    query = first.callback_query
    assert query is not None and query.data == "approve:12"
    assert query.from_user.id == AN.id and query.from_user.username == AN.username
    assert query.message is not None and query.message.message_id == shown.message_id
    assert await query.answer("Đã duyệt") is True
    assert api.callback_answer(query.id) == {"callback_query_id": query.id, "text": "Đã duyệt"}
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer()  # a real query: one answer only
    assert refusals == [
        (400, f"Bad Request: no message 99 in chat {AN.id}"),
        (400, "Bad Request: no user 999 has been seen"),
        (400, "Bad Request: data must be a string"),
        (400, "Bad Request: a user needs a first_name"),
        (400, "Bad Request: the body must be a JSON object"),
    ]


async def test_python_m_bot_api_standin_runs_it_standalone(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot_api_standin",
        "--port",
        str(port),
        "--first-update-id",
        "500",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        first_line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        assert first_line.decode().strip() == (
            f"Telegram Bot API stand-in listening on http://127.0.0.1:{port}"
        )
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{port}"
            update = {"message": {"message_id": 1, "date": 0, "chat": AN.private_chat()}}
            async with session.post(f"{base}/_standin/updates", json=update) as response:
                assert (await response.json())["result"]["update_id"] == 500
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0


# ------------------------------------------------------------------------------ observing


async def test_wait_for_message_waits_and_filters(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    waiting = asyncio.create_task(
        api.wait_for_message(AN.id, after=1, predicate=lambda m: m["text"].startswith("xong"))
    )
    await bot.send_message(AN.id, "đang làm")
    await bot.send_message(AN.id, "chưa xong")
    await bot.send_message(AN.id, "xong rồi")

    assert (await asyncio.wait_for(waiting, timeout=2))["text"] == "xong rồi"
    call = await api.wait_for_call("sendMessage", after=2)
    assert call.params["text"] == "xong rồi"


async def test_wait_for_message_timeout_names_what_was_received(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    await bot.send_message(AN.id, "Xin chào anh An")
    with pytest.raises(BadRequest):
        await bot.send_message(AN.id, "a" * 5000)

    with pytest.raises(AssertionError) as caught:
        await api.wait_for_message(AN.id, timeout=0.2, predicate=lambda m: "báo cáo" in m["text"])

    report = str(caught.value)
    assert "Nguyễn Văn An" in report
    assert "Xin chào anh An" in report
    assert "message is too long" in report


async def test_wait_for_call_sees_later_calls(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    waiting = asyncio.create_task(
        api.wait_for_call("sendChatAction", predicate=lambda r: r.params["action"] == "typing")
    )
    await bot.send_chat_action(AN.id, "upload_document")
    await bot.send_chat_action(AN.id, "typing")

    assert (await asyncio.wait_for(waiting, timeout=2)).params["action"] == "typing"
    with pytest.raises(AssertionError, match="no deleteMessage call"):
        await api.wait_for_call("deleteMessage", timeout=0.1)


async def test_transcript(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start abc")
    sent = await bot.send_message(AN.id, "Xin chào, anh An!", reply_markup=approve_keyboard())
    api.press_button(AN, api.messages_to(AN.id)[0], "approve:12")
    await bot.send_document(AN.id, b"docx", filename="bao-cao.docx")
    await sent.edit_text("Đã duyệt")
    api.send_message(BINH, "chào", chat=GROUP)
    await bot.send_message(GROUP_ID, "Chào cả xã")

    assert api.transcript() == [
        "[Nguyễn Văn An → bot] /start abc",
        "[bot → Nguyễn Văn An] Xin chào, anh An!",
        "[bot → Nguyễn Văn An] ⌨ [Duyệt]",
        "[Nguyễn Văn An ⏎ button] approve:12",
        "[bot → Nguyễn Văn An] 📎 bao-cao.docx",
        "[bot ✎ Nguyễn Văn An] Đã duyệt",
        "[Bình in UBND xã Hòa Bình → bot] chào",
        "[bot → UBND xã Hòa Bình] Chào cả xã",
    ]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{api.url}/_standin/transcript") as response,
    ):
        assert json.loads(await response.text())["result"] == api.transcript()
