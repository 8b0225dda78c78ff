"""Tests of the local Bot API stand-in, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.local_bot_api import FakeUser, LocalBotApi

AN = FakeUser(id=111_111, first_name="Nguyễn Văn", last_name="An", username="an_ubnd")
BINH = FakeUser(id=222_222, first_name="Bình")
GROUP_ID = -100_123_456
GROUP: dict[str, Any] = {"id": GROUP_ID, "type": "supergroup", "title": "UBND xã Hòa Bình"}


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error under filterwarnings=error) when it exposes time periods as ints,
    # e.g. while constructing RetryAfter; opting in to timedelta values avoids that.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(
        api.token, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot"
    ) as client:
        yield client


def approve_keyboard(data: str = "approve:12") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Duyệt", callback_data=data)]])


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


async def test_blocked_user_is_forbidden(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    api.block_user(AN.id)

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(AN.id, "còn đó không?")
    assert api.messages_to(AN.id) == []


async def test_group_chats_and_reply_to(api: LocalBotApi, bot: Bot) -> None:
    asked = api.send_message(AN, "/baocao@baocao_standin_bot quy1", chat=GROUP)

    sent = await bot.send_message(
        GROUP_ID, "Đã nhận", reply_to_message_id=asked["message"]["message_id"]
    )

    assert sent.chat.title == GROUP["title"]
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "/baocao@baocao_standin_bot quy1"
    chat = await bot.get_chat(GROUP_ID)
    assert chat.title == GROUP["title"]
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(GROUP_ID, "?", reply_to_message_id=77)


# ------------------------------------------------------------------------------ updates


async def test_long_poll_wakes_on_injection_and_offset_confirms(api: LocalBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_until_polling()
    started = time.monotonic()
    api.send_message(AN, "xin chào")

    [update] = await asyncio.wait_for(poll, timeout=2)

    assert time.monotonic() - started < 1  # woke up at once, not after the 5 s timeout
    assert update.update_id == 1
    assert update.message is not None and update.message.text == "xin chào"
    # Unconfirmed updates are delivered again; an offset past them confirms them.
    assert [u.update_id for u in await bot.get_updates()] == [1]
    assert api.pending_updates() == 1
    assert await bot.get_updates(offset=2) == ()
    assert api.pending_updates() == 0


async def test_long_poll_without_updates_waits_for_the_timeout(api: LocalBotApi) -> None:
    url = f"{api.url}/bot{api.token}/getUpdates"
    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        async with session.get(url, params={"timeout": "0.3"}) as response:
            body = await response.json()
    assert body == {"ok": True, "result": []}
    assert time.monotonic() - started >= 0.3


async def test_limit_and_allowed_updates(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "một")
    api.send_message(AN, "hai")
    api.press_button(AN, {"message_id": 1, "chat": AN.private_chat()}, "x")

    assert [u.update_id for u in await bot.get_updates(limit=1)] == [1]
    updates = await bot.get_updates(allowed_updates=["message"])
    assert [u.message.text for u in updates if u.message] == ["một", "hai"]
    assert len(updates) == 2  # the callback query is never delivered
    assert api.pending_updates() == 2


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


async def test_bot_command_entity_is_understood_by_ptb(api: LocalBotApi, bot: Bot) -> None:
    raw = api.send_message(AN, "/start@baocao_standin_bot mã-xã 27")
    update = Update.de_json(raw, bot)

    assert update.message is not None
    assert update.message.text == "/start@baocao_standin_bot mã-xã 27"
    [entity] = update.message.entities
    assert (entity.type, entity.offset, entity.length) == (MessageEntity.BOT_COMMAND, 0, 25)
    assert update.effective_user is not None and update.effective_user.full_name == "Nguyễn Văn An"

    async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pass

    handler = CommandHandler("start", ignore)
    assert handler.check_update(update)
    assert not handler.check_update(Update.de_json(api.send_message(AN, "start"), bot))
    assert api.send_message(AN, "/start")["message"]["entities"][0]["length"] == 6


async def test_user_media_and_edits_are_parseable(api: LocalBotApi, bot: Bot) -> None:
    api.send_sticker(AN)
    api.send_photo(AN, caption="ảnh")
    api.send_voice(AN)
    first = api.send_message(AN, "quý 1")
    api.edit_message(AN, first["message"]["message_id"], "quý 2")
    api.channel_post({"id": -100_777, "title": "Tin xã"}, "thông báo")

    updates = await bot.get_updates()
    sticker, photo, voice, _, edited, post = (u.effective_message for u in updates)

    assert sticker is not None and sticker.sticker is not None
    assert photo is not None and photo.photo[-1].width == 1280 and photo.caption == "ảnh"
    assert voice is not None and voice.voice is not None
    assert edited is updates[4].edited_message and edited is not None
    assert edited.text == "quý 2"
    assert post is updates[5].channel_post and post is not None and post.chat.type == "channel"
    assert [u.update_id for u in updates] == [1, 2, 3, 4, 5, 6]


async def test_control_api_queues_updates_and_lists_calls(api: LocalBotApi, bot: Bot) -> None:
    update = {"message": {"message_id": 5, "date": 0, "chat": AN.private_chat(), "text": "hi"}}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.url}/_standin/updates", json=update) as response:
            assert (await response.json())["result"]["update_id"] == 1
        await bot.send_message(AN.id, "chào")  # the injected update made the chat known
        async with session.get(f"{api.url}/_standin/requests") as response:
            calls = (await response.json())["result"]

    assert [c["method"] for c in calls] == ["getMe", "sendMessage"]
    assert calls[1]["result"]["message_id"] == 6
    assert calls[1]["params"]["chat_id"] == AN.id


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


# ------------------------------------------------------------------------------ buttons and edits


async def test_button_press_round_trip(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    await bot.send_message(AN.id, "Duyệt báo cáo?", reply_markup=approve_keyboard())
    shown = await api.wait_for_message(AN.id)
    await bot.get_updates(offset=2)  # confirm the /start update

    pressed = api.press_button(AN, shown, "approve:12")
    [update] = await bot.get_updates()

    query = update.callback_query
    assert query is not None and query.data == "approve:12"
    assert query.message is not None and query.message.message_id == shown["message_id"]
    assert await query.answer("Đã duyệt") is True
    [answer] = api.calls("answerCallbackQuery")
    assert answer.params["callback_query_id"] == pressed["callback_query"]["id"]
    assert api.callback_answer(query.id) == answer.params
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer()  # only one answer per query
    with pytest.raises(BadRequest, match="query id is invalid"):
        await bot.answer_callback_query("123")


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

    assert await bot.send_chat_action(AN.id, "upload_document") is True
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert await bot.log_out() is True


# ------------------------------------------------------------------------------ faults


async def test_fail_next_429_raises_retry_after(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    api.fail_next("sendMessage", retry_after=7, times=2)

    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(AN.id, "x")
        assert caught.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(AN.id, "x")  # the fault was used up

    assert [c.error for c in api.calls("sendMessage")] == [
        (429, "Too Many Requests: retry after 7"),
        (429, "Too Many Requests: retry after 7"),
        None,
    ]


async def test_fail_next_server_errors_raise_network_error(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    api.fail_next("sendMessage", status=500)
    api.fail_next("getMe", status=502)
    api.fail_next("sendDocument", status=400, description="Bad Request: wrong file")

    with pytest.raises(NetworkError, match="Internal Server Error") as server_error:
        await bot.send_message(AN.id, "x")
    assert not isinstance(server_error.value, BadRequest)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()
    with pytest.raises(BadRequest, match="Wrong file"):
        await bot.send_document(AN.id, b"x", filename="a.txt")


async def test_set_delay_slows_answers(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    api.set_delay("sendMessage", 0.3)

    started = time.monotonic()
    await bot.send_message(AN.id, "chậm")
    assert time.monotonic() - started >= 0.3

    started = time.monotonic()
    await bot.send_chat_action(AN.id, "typing")
    assert time.monotonic() - started < 0.3


async def test_rate_limits_answer_429_per_chat(api: LocalBotApi, bot: Bot) -> None:
    api.send_message(AN, "/start")
    api.send_message(BINH, "/start")
    api.set_rate_limits(global_per_second=None, per_chat_per_second=1)

    await bot.send_message(AN.id, "một")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(AN.id, "hai")
    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    await bot.send_message(BINH.id, "một")  # another chat has its own budget

    api.set_rate_limits(global_per_second=1, per_chat_per_second=None)
    await bot.send_message(AN.id, "ba")
    with pytest.raises(RetryAfter):
        await bot.send_message(BINH.id, "hai")


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
