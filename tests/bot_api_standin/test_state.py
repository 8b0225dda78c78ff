"""The stand-in's state as the bot sees it: users, chats, groups, message and update ids, the
update queue and callback queries."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, Chat, MessageEntity, Update
from telegram.error import BadRequest
from telegram.ext import CommandHandler, ContextTypes

from bot_api_standin import LocalBotApi, clock_update_id
from tests.bot_api_standin.support import AN, BINH, GROUP, GROUP_ID, approve_keyboard

# ------------------------------------------------------------------------------ chats and ids


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


async def test_message_ids_count_per_chat_across_the_users_and_the_bots_messages(
    api: LocalBotApi, bot: Bot
) -> None:
    first = api.send_message(AN, "/start")["message"]
    reply = await bot.send_message(AN.id, "Xin chào")
    second = api.send_message(AN, "quý 1")["message"]
    other = api.send_message(BINH, "/start")["message"]
    answer = await bot.send_message(AN.id, "Đã ghi")
    group = api.add_supergroup("UBND xã", [AN])
    in_group = api.send_message(AN, "chào", chat=group)["message"]
    group_reply = await bot.send_message(group["id"], "Chào")

    # One counter per chat, shared by both sides: ids follow the order of the conversation.
    assert [first["message_id"], reply.message_id, second["message_id"], answer.message_id] == [
        1,
        2,
        3,
        4,
    ]
    assert other["message_id"] == 1  # another chat counts on its own
    assert (in_group["message_id"], group_reply.message_id) == (1, 2)
    [update] = [u for u in await bot.get_updates() if u.message and u.message.text == "quý 1"]
    assert update.message is not None and update.message.message_id == 3


async def test_update_ids_start_from_the_clock() -> None:
    before = clock_update_id()
    async with LocalBotApi() as api:
        first = api.send_message(AN, "một")["update_id"]
        second = api.send_message(AN, "hai")["update_id"]
    after = clock_update_id()

    assert before <= first <= after
    assert second == first + 1
    assert first < 2**53  # exact in JSON numbers read as doubles, and in a BIGINT column


async def test_a_restarted_stand_in_continues_above_the_update_ids_already_handled() -> None:
    async with LocalBotApi() as first_api:
        port = int(first_api.url.rsplit(":", 1)[1])
        async with Bot(first_api.token, base_url=f"{first_api.url}/bot") as bot:
            first_api.send_message(AN, "một")
            first_api.send_message(AN, "hai")
            handled = [u.update_id for u in await bot.get_updates()]
    # Same port, same token: the bot does not notice the restart and keeps its offset.
    async with LocalBotApi(port=port) as restarted:
        assert restarted.url == first_api.url
        async with Bot(restarted.token, base_url=f"{restarted.url}/bot") as bot:
            restarted.send_message(AN, "ba")
            updates = await bot.get_updates(offset=max(handled) + 1)

    assert [u.message.text for u in updates if u.message] == ["ba"]
    assert updates[0].update_id > max(handled)


async def test_first_update_id_pins_the_ids_and_explicit_ids_keep_them_increasing() -> None:
    async with LocalBotApi(first_update_id=1) as api:
        assert api.send_message(AN, "một")["update_id"] == 1
        assert api.inject_update({"update_id": 10, "message": {}})["update_id"] == 10
        assert api.send_message(AN, "hai")["update_id"] == 11
        assert api.inject_update({"update_id": 5, "message": {}})["update_id"] == 5
        assert api.send_message(AN, "ba")["update_id"] == 12
    with pytest.raises(ValueError, match="positive"):
        LocalBotApi(first_update_id=0)


# ------------------------------------------------------------------------------ groups


async def test_groups_and_supergroups_look_like_telegrams(api: LocalBotApi, bot: Bot) -> None:
    group = api.add_group("Tổ công tác", [AN, BINH])
    supergroup = api.add_supergroup("Sở Nội vụ - báo cáo", [AN], username="snv_baocao")
    api.send_message(AN, "chào cả tổ", chat=group)
    api.send_message(BINH, "chào anh", chat=group)
    api.send_message(AN, "chào sở", chat=supergroup)

    first, second, third = (u.effective_message for u in await bot.get_updates())

    assert first is not None and second is not None and third is not None
    assert (first.chat.type, first.chat.title) == (Chat.GROUP, "Tổ công tác")
    assert first.chat.id < 0 and first.chat.id > -1_000_000_000_000
    assert second.from_user is not None and second.from_user.id == BINH.id
    assert second.chat.id == first.chat.id
    assert third.chat.type == Chat.SUPERGROUP and third.chat.username == "snv_baocao"
    assert str(third.chat.id).startswith("-100") and third.chat.id < -1_000_000_000_000
    assert [(m["id"], m["first_name"]) for m in api.members(group)] == [
        (AN.id, AN.first_name),
        (BINH.id, BINH.first_name),
    ]
    # The bot may write to both, and find the public one by its username.
    assert (await bot.send_message(group["id"], "Đã nhận")).chat.type == Chat.GROUP
    assert (await bot.send_message("@snv_baocao", "Đã nhận")).chat.id == supergroup["id"]
    assert api.transcript()[0] == "[Nguyễn Văn An in Tổ công tác → bot] chào cả tổ"


async def test_only_members_speak_in_groups_and_group_ids_are_checked(api: LocalBotApi) -> None:
    group = api.add_supergroup("Sở Nội vụ", [AN], chat_id=-1_001_234_567_890)
    assert group["id"] == -1001234567890

    with pytest.raises(ValueError, match=r"Bình \(222222\) is not a member of Sở Nội vụ"):
        api.send_message(BINH, "xin vào", chat=group)
    api.add_member(group, BINH)
    assert api.send_message(BINH, "xin vào", chat=group)["message"]["from"]["id"] == BINH.id
    with pytest.raises(ValueError, match="basic group"):
        api.add_group("x", chat_id=-1_001_234_567_890)
    with pytest.raises(ValueError, match="basic group"):
        api.add_group("x", chat_id=42)
    with pytest.raises(ValueError, match="supergroup"):
        api.add_supergroup("x", chat_id=-123_456)
    assert api.add_group("y", chat_id=-123_456)["id"] == -123_456


# ------------------------------------------------------------------------------ commands


async def test_commands_in_groups_name_the_bot_and_its_entity_covers_the_name(
    api: LocalBotApi, bot: Bot
) -> None:
    group = api.add_supergroup("Sở Nội vụ", [AN])
    in_group_update = api.send_command(AN, "tiendo", chat=group)
    in_group = in_group_update["message"]
    in_private = api.send_command(AN, "/baocao", "quy1")["message"]
    explicit_update = api.send_command(AN, "tiendo", "quy1", chat=group, mention=False)
    explicit = explicit_update["message"]
    other_bot = api.send_message(AN, "/tiendo@other_bot", chat=group)

    assert in_group["text"] == "/tiendo@baocao_standin_bot"
    assert in_group["entities"] == [{"type": "bot_command", "offset": 0, "length": 26}]
    assert in_private["text"] == "/baocao quy1"
    assert in_private["entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    assert explicit["text"] == "/tiendo quy1"
    with pytest.raises(ValueError, match="not a bot command"):
        api.send_command(AN, "tiến độ")

    async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pass

    tiendo = CommandHandler("tiendo", ignore)
    updates = {u.update_id: u for u in await bot.get_updates()}
    assert tiendo.check_update(updates[in_group_update["update_id"]])
    assert tiendo.check_update(updates[explicit_update["update_id"]])
    assert not tiendo.check_update(updates[other_bot["update_id"]])  # addressed to another bot


async def test_bot_command_entities_anywhere_in_a_text(api: LocalBotApi) -> None:
    message = api.send_message(AN, "Gõ /tiendo@baocao_standin_bot hoặc 😀 /help nhé")["message"]

    # Offsets and lengths in UTF-16 code units: the emoji counts twice.
    assert message["entities"] == [
        {"type": "bot_command", "offset": 3, "length": 26},
        {"type": "bot_command", "offset": 38, "length": 5},
    ]
    assert "entities" not in api.send_message(AN, "ngày 1/7, a/b")["message"]


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


# ------------------------------------------------------------------------------ the update queue


async def test_limit_and_allowed_updates(api: LocalBotApi, bot: Bot) -> None:
    first = api.send_message(AN, "một")
    api.send_message(AN, "hai")
    api.press_button(AN, {"message_id": 1, "chat": AN.private_chat()}, "x")

    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first["update_id"]]
    updates = await bot.get_updates(allowed_updates=["message"])
    assert [u.message.text for u in updates if u.message] == ["một", "hai"]
    assert len(updates) == 2  # the callback query is never delivered
    assert api.pending_updates() == 2


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
    first_id = updates[0].update_id
    assert [u.update_id for u in updates] == list(range(first_id, first_id + 6))


# ------------------------------------------------------------------------------ button presses


async def test_button_press_round_trip(api: LocalBotApi, bot: Bot) -> None:
    start = api.send_message(AN, "/start")
    await bot.send_message(AN.id, "Duyệt báo cáo?", reply_markup=approve_keyboard())
    shown = await api.wait_for_message(AN.id)
    await bot.get_updates(offset=start["update_id"] + 1)  # confirm the /start update

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


async def test_a_callback_query_answered_too_late_is_refused_like_telegram_does() -> None:
    async with (
        LocalBotApi(callback_query_timeout=0.2) as api,
        Bot(api.token, base_url=f"{api.url}/bot") as client,
    ):
        api.send_message(AN, "/start")
        shown = await client.send_message(AN.id, "Duyệt?", reply_markup=approve_keyboard())
        late = api.press_button(AN, shown.to_dict(), "approve:12")["callback_query"]["id"]
        on_time = api.press_button(AN, shown.to_dict(), "approve:12")["callback_query"]["id"]
        assert await client.answer_callback_query(on_time) is True
        await asyncio.sleep(0.3)

        with pytest.raises(BadRequest, match="Query is too old and response timeout expired"):
            await client.answer_callback_query(late)

    refused = api.calls("answerCallbackQuery")[-1]
    assert refused.error == (
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    assert api.callback_answer(late) is None
    assert api.callback_answer(on_time) == {"callback_query_id": on_time}


async def test_callback_queries_expire_after_15_seconds_by_default(
    api: LocalBotApi, bot: Bot
) -> None:
    api.send_message(AN, "/start")
    shown = await bot.send_message(AN.id, "Duyệt?", reply_markup=approve_keyboard())
    old = api.press_button(AN, shown.to_dict(), "approve:12")["callback_query"]["id"]
    recent = api.press_button(AN, shown.to_dict(), "approve:12")["callback_query"]["id"]
    api.age_callback_query(old, 15.5)
    api.age_callback_query(recent, 14)

    assert api.callback_query_timeout == 15
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(old)
    assert await bot.answer_callback_query(recent, "Đã duyệt") is True
    with pytest.raises(KeyError, match="no callback query"):
        api.age_callback_query("404", 1)
