"""Registration end to end: the CLI, the real bot process, the Bot API stand-in, a database."""

from __future__ import annotations

import asyncio
import copy
import socket

import pytest
from sqlalchemy import func, select

from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from conversations import texts
from storage.db import Database
from storage.models import Membership, Person, Role, Unit
from tests.conftest import POSTGRES
from tests.e2e.conftest import Baocao

pytestmark = pytest.mark.e2e

HOA = FakeUser(id=810001, first_name="Hoa", last_name="Nguyễn Thị")
CUONG = FakeUser(id=810002, first_name="Cường", last_name="Lê Văn")
LAN = FakeUser(id=810003, first_name="Lan", last_name="Bùi Thị")
THU = FakeUser(id=810004, first_name="Thu", last_name="Đặng Thị")  # SNV-33 staff, not imported
PHUONG = FakeUser(id=810005, first_name="Phương", last_name="Đặng Thị")  # likewise
STRANGER = FakeUser(id=819999, first_name="Khách")
OFFICE_GROUP = {"id": -1008100100, "type": "supergroup", "title": "Sở Nội vụ - báo cáo"}

# Nothing a stranger is told may name a unit or a person of the province.
PROVINCE_WORDS = ("Tân Quang", "Như Quỳnh", "Hưng Yên", "Sở Nội vụ", "Hoa", "Cường", "12151")


async def say(api: LocalBotApi, user: FakeUser, text: str, chat: dict | None = None) -> str:
    chat_id = chat["id"] if chat else user.id
    seen = len(api.messages_to(chat_id))
    api.send_message(user, text, chat=chat)
    reply = await api.wait_for_message(chat_id, after=seen, timeout=20)
    return str(reply["text"])


async def started(baocao: Baocao, standin: LocalBotApi) -> None:
    bot = baocao.start_bot()
    await standin.wait_until_polling(timeout=30)
    await bot.wait_for_log("is running")


async def people_by_telegram(database_url: str) -> dict[int, tuple[str, list[str]]]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            rows = await session.execute(
                select(Person.telegram_user_id, Person.full_name, Membership.role, Unit.code)
                .join(Membership, Membership.person_id == Person.id)
                .join(Unit, Unit.id == Membership.unit_id)
                .where(Person.telegram_user_id.is_not(None))
            )
            found: dict[int, tuple[str, list[str]]] = {}
            for telegram_id, name, role, unit in rows:
                found.setdefault(telegram_id, (name, []))[1].append(f"{role.value}@{unit}")
            return found
    finally:
        await database.dispose()


async def test_officer_and_chairman_register_through_deep_links(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    officer_code = await province.invite_code("12151", "officer", "--person", "Nguyễn Thị Hoa")
    chairman_code = await province.invite_code("12151", "chairman")
    await started(province, standin)

    greeting = await say(standin, HOA, f"/start {officer_code}")
    assert greeting.startswith("Xin chào anh/chị Nguyễn Thị Hoa!")
    assert "cán bộ phụ trách nhập số liệu báo cáo của xã Tân Quang" in greeting

    greeting = await say(standin, CUONG, f"/start {chairman_code}")
    assert greeting.startswith("Xin chào anh/chị Lê Văn Cường!")  # the imported name
    assert "Chủ tịch Ủy ban nhân dân xã Tân Quang" in greeting

    help_text = await say(standin, CUONG, "/help")
    assert "duyệt" in help_text and "/help" in help_text

    assert await people_by_telegram(database_url) == {
        HOA.id: ("Nguyễn Thị Hoa", ["officer@12151"]),
        CUONG.id: ("Lê Văn Cường", ["chairman@12151"]),
    }
    # The menu everyone sees holds what a stranger can use; each person's chat has their own.
    assert [command["command"] for command in standin.my_commands()] == ["start", "help"]
    await asyncio.sleep(0.5)  # room for a stray second reply to show up
    assert len(standin.messages_to(HOA.id)) == 1
    assert len(standin.messages_to(CUONG.id)) == 2


async def test_strangers_and_bad_codes_are_refused_without_revealing_anything(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    code = await province.invite_code("12151", "officer")
    await started(province, standin)
    await say(standin, HOA, f"/start {code}")

    replies = [
        await say(standin, STRANGER, "Cho tôi xem báo cáo xã Tân Quang"),
        await say(standin, STRANGER, "/start"),
        await say(standin, STRANGER, "/help"),
        await say(standin, STRANGER, f"/start {code}"),  # already used by Hoa
        await say(standin, STRANGER, "/start " + "A" * 32),  # well-formed, unknown
        await say(standin, STRANGER, "/start " + "x" * 10_000),
        await say(standin, STRANGER, "/start {{ config }} {% raw %}"),
        await say(standin, STRANGER, "/start 😀😀😀"),
    ]
    assert replies[0] == texts.NOT_REGISTERED
    assert replies[1] == texts.NOT_REGISTERED
    assert replies[2] == texts.NOT_REGISTERED
    assert set(replies[3:]) == {texts.INVALID_INVITATION}
    for reply in replies:
        assert not any(word in reply for word in PROVINCE_WORDS), reply

    seen = len(standin.messages_to(STRANGER.id))
    standin.send_sticker(STRANGER)
    sticker_reply = await standin.wait_for_message(STRANGER.id, after=seen)
    assert sticker_reply["text"] == texts.NOT_REGISTERED

    # A forged button press: answered, nothing done.
    message = standin.messages_to(STRANGER.id)[-1]
    pressed = standin.press_button(STRANGER, message, "approve:1:v1")
    call = await standin.wait_for_call(
        "answerCallbackQuery",
        predicate=lambda c: c.params.get("callback_query_id") == pressed["callback_query"]["id"],
    )
    assert call.params.get("text") == texts.STALE_BUTTON

    assert set(await people_by_telegram(database_url)) == {HOA.id}


async def test_registered_person_gets_guidance_for_stickers_edits_and_text(
    province: Baocao, standin: LocalBotApi
) -> None:
    code = await province.invite_code("12151", "officer")
    await started(province, standin)
    await say(standin, HOA, f"/start {code}")

    assert await say(standin, HOA, "/start") == texts.ALREADY_REGISTERED
    assert await say(standin, HOA, "12") == texts.NOTHING_TO_DO_YET

    for inject in (standin.send_sticker, standin.send_voice, standin.send_photo):
        seen = len(standin.messages_to(HOA.id))
        inject(HOA)
        reply = await standin.wait_for_message(HOA.id, after=seen)
        assert reply["text"] == texts.UNSUPPORTED_CONTENT

    sent = standin.send_message(HOA, "5")
    seen = len(standin.messages_to(HOA.id))
    standin.edit_message(HOA, sent["message"]["message_id"], "6")
    reply = await standin.wait_for_message(HOA.id, after=seen)
    assert reply["text"] in (texts.NOTHING_TO_DO_YET, texts.EDITED_MESSAGE)
    if reply["text"] == texts.NOTHING_TO_DO_YET:  # the answer to "5" came first
        reply = await standin.wait_for_message(HOA.id, after=seen + 1)
    assert reply["text"] == texts.EDITED_MESSAGE


async def test_redelivered_update_registers_once(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    code = await province.invite_code("12151", "officer")
    await started(province, standin)
    update = standin.send_message(HOA, f"/start {code}")
    await standin.wait_for_message(HOA.id)
    # Telegram redelivers an update when the confirming getUpdates was lost.
    standin.inject_update(
        {key: copy.deepcopy(value) for key, value in update.items() if key != "update_id"}
    )
    second = await standin.wait_for_message(HOA.id, after=1)
    assert second["text"].startswith("Xin chào anh/chị")
    assert await people_by_telegram(database_url) == {
        HOA.id: ("Hoa Nguyễn Thị", ["officer@12151"]),
    }


async def test_receiving_office_registers_a_group_and_groups_stay_quiet(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    office_code = await province.invite_code("SNV-33", "office")
    officer_code = await province.invite_code("12151", "officer")
    chairman_code = await province.invite_code("12151", "chairman")
    await started(province, standin)
    bot = f"@{standin.bot_username}"

    # Only an office's invitation registers a group; any other /start there gets silence (the
    # updates are handled in order, so the greeting is the group's first message).
    standin.send_message(LAN, f"/start{bot} {officer_code}", chat=OFFICE_GROUP)
    greeting = await say(standin, LAN, f"/start{bot} {office_code}", chat=OFFICE_GROUP)
    assert "Sở Nội vụ tỉnh Hưng Yên" in greeting
    assert len(standin.messages_to(OFFICE_GROUP["id"])) == 1

    # Chatter in the group and a channel post get no reply; the officer's code still works.
    standin.send_message(LAN, "Mọi người nhớ nộp báo cáo nhé", chat=OFFICE_GROUP)
    standin.channel_post({"id": -1008100200, "type": "channel", "title": "Tin CCHC"}, "Bản tin")
    assert (await say(standin, HOA, f"/start {officer_code}")).startswith("Xin chào")
    assert (await say(standin, CUONG, f"/start {chairman_code}")).startswith("Xin chào")
    assert len(standin.messages_to(OFFICE_GROUP["id"])) == 1

    # Private commands in the group: silence for a stranger, an officer and a chairman (whose
    # /help would name him and his commune to the group); one line for the office's staff.
    private_commands = ("/help", f"/help{bot}", "/start", "/start " + "A" * 32, "/lichsu", "/xem")
    for user in (STRANGER, HOA, CUONG):
        for command in private_commands:
            standin.send_message(user, command, chat=OFFICE_GROUP)
    seen = len(standin.messages_to(OFFICE_GROUP["id"]))
    for command in (*private_commands, "/baocao", "/huy", f"/start{bot} {officer_code}"):
        assert await say(standin, LAN, command, chat=OFFICE_GROUP) == texts.PRIVATE_CHAT_ONLY
    assert len(standin.messages_to(OFFICE_GROUP["id"])) == seen + 9 == 10
    await asyncio.sleep(0.5)  # room for a stray reply to show up
    assert len(standin.messages_to(OFFICE_GROUP["id"])) == 10
    # In private, the office's staff and the chairman are answered as ever.
    assert "Sở Nội vụ tỉnh Hưng Yên" in await say(standin, LAN, "/help")
    assert "xã Tân Quang" in await say(standin, CUONG, "/help")

    database = Database(database_url)
    try:
        async with database.session() as session:
            chat = await session.scalar(select(Unit.telegram_chat_id).where(Unit.code == "SNV-33"))
            office_roles = await session.scalar(
                select(func.count()).select_from(Membership).where(Membership.role == Role.OFFICE)
            )
    finally:
        await database.dispose()
    assert chat == OFFICE_GROUP["id"]
    assert office_roles == 1


async def office_chat(database_url: str) -> int | None:
    database = Database(database_url)
    try:
        async with database.session() as session:
            return await session.scalar(select(Unit.telegram_chat_id).where(Unit.code == "SNV-33"))
    finally:
        await database.dispose()


async def test_office_staff_joining_privately_are_asked_before_the_group_loses_the_files(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    """The office's group receives its reports. A colleague who opens an office invitation in
    a private chat is asked whether to keep them there; keeping changes nothing, moving takes
    them to that person and tells the group where they went."""
    group_code = await province.invite_code("SNV-33", "office")
    thu_code = await province.invite_code("SNV-33", "office")
    phuong_code = await province.invite_code("SNV-33", "office")
    await started(province, standin)
    await say(standin, LAN, f"/start@{standin.bot_username} {group_code}", chat=OFFICE_GROUP)
    assert await office_chat(database_url) == OFFICE_GROUP["id"]
    in_group = len(standin.messages_to(OFFICE_GROUP["id"]))

    # Thu registers privately: greeted, then asked; the files stay with the group meanwhile.
    thu = PrivateChat(standin, THU)
    asked = await thu.says(f"/start {thu_code}", "Anh/chị muốn giữ nguyên")
    assert asked["text"] == texts.delivery_chat_question(
        office="Sở Nội vụ tỉnh Hưng Yên", group=True
    )
    assert standin.messages_to(THU.id)[0]["text"].startswith("Xin chào")
    assert await office_chat(database_url) == OFFICE_GROUP["id"]
    _, move_data = thu.button(texts.MOVE_DELIVERY_CHAT_BUTTON)
    kept = await thu.taps(texts.KEEP_DELIVERY_CHAT_BUTTON, "Đã giữ nguyên")
    assert kept["text"] == texts.delivery_chat_kept(office="Sở Nội vụ tỉnh Hưng Yên", group=True)
    assert "reply_markup" not in asked  # the question's buttons are gone
    assert await office_chat(database_url) == OFFICE_GROUP["id"]

    # Phương registers privately and moves them: the group is told, and by whom.
    phuong = PrivateChat(standin, PHUONG)
    await phuong.says(f"/start {phuong_code}", "Anh/chị muốn giữ nguyên")
    moved = await phuong.taps(texts.MOVE_DELIVERY_CHAT_BUTTON, "Từ nay")
    assert moved["text"] == texts.delivery_chat_moved_here(office="Sở Nội vụ tỉnh Hưng Yên")
    assert await office_chat(database_url) == PHUONG.id
    told = await standin.wait_for_message(OFFICE_GROUP["id"], after=in_group, timeout=20)
    assert told["text"] == texts.delivery_chat_moved_away(
        office="Sở Nội vụ tỉnh Hưng Yên", person="Phương Đặng Thị"
    )
    # Thu's question is old now: the files went elsewhere since it was asked.
    answer = await thu.tap_answer(asked, move_data)
    assert answer["text"] == texts.OLD_BUTTON
    assert await office_chat(database_url) == PHUONG.id


async def test_rejected_token_is_one_clear_error_and_no_retry_loop(
    baocao: Baocao, standin: LocalBotApi
) -> None:
    bot = baocao.start_bot(TELEGRAM_BOT_TOKEN="123456789:some-other-token-the-api-rejects")
    assert await bot.wait_exit() == 2
    assert "rejected TELEGRAM_BOT_TOKEN" in bot.log()
    assert "some-other-token" not in bot.log()
    assert "Traceback" not in bot.log()
    assert bot.log().count("rejected TELEGRAM_BOT_TOKEN") == 1  # said once, not retried


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_unreachable_api_at_start_is_retried_until_it_appears(
    baocao: Baocao, standin: LocalBotApi
) -> None:
    port = free_port()
    late = LocalBotApi(token=standin.token, port=port)
    bot = baocao.start_bot(TELEGRAM_API_URL=f"http://127.0.0.1:{port}")
    await bot.wait_for_log(rf"Cannot reach the Bot API at http://127\.0\.0\.1:{port}.*retrying")
    assert bot.process.poll() is None  # waiting, not crashing
    async with late:
        await late.wait_until_polling(timeout=30)
        await bot.wait_for_log("is running")
        late.send_message(STRANGER, "hello")
        assert (await late.wait_for_message(STRANGER.id))["text"] == texts.NOT_REGISTERED
        assert await bot.stop() == 0


@pytest.mark.skipif(POSTGRES, reason="the single-instance lock is for SQLite; see issue 6")
async def test_second_bot_on_the_same_sqlite_file_refuses_to_start(
    province: Baocao, standin: LocalBotApi
) -> None:
    await started(province, standin)
    second = province.start_bot()
    assert await second.wait_exit() == 3
    assert "Another Baocao bot is already running" in second.log()
    # The first keeps serving, and the CLI can still write while it runs (WAL + busy timeout).
    code = await province.invite_code("12151", "chairman")
    assert (await say(standin, CUONG, f"/start {code}")).startswith("Xin chào")


async def test_bot_survives_api_errors_while_polling(
    province: Baocao, standin: LocalBotApi
) -> None:
    code = await province.invite_code("12151", "officer")
    await started(province, standin)
    standin.fail_next("getUpdates", status=502)
    standin.fail_next("getUpdates", status=429, retry_after=1)
    assert (await say(standin, HOA, f"/start {code}")).startswith("Xin chào")


async def test_rate_limited_at_start_waits_as_told_then_runs(
    baocao: Baocao, standin: LocalBotApi
) -> None:
    standin.fail_next("getMe", status=429, retry_after=1)
    bot = baocao.start_bot()
    await bot.wait_for_log("asks to wait 1 s")
    await bot.wait_for_log("is running")
    assert [call.error for call in standin.calls("getMe")][:2] == [
        (429, "Too Many Requests: retry after 1"),
        None,
    ]


async def test_slow_bot_api_answers_delay_but_lose_nothing(
    province: Baocao, standin: LocalBotApi
) -> None:
    code = await province.invite_code("12151", "officer")
    await started(province, standin)
    standin.set_delay("sendMessage", 2.0)
    standin.send_message(STRANGER, "xin chào")
    standin.send_message(HOA, f"/start {code}")
    assert (await standin.wait_for_message(STRANGER.id, timeout=30))["text"] == texts.NOT_REGISTERED
    assert (await standin.wait_for_message(HOA.id, timeout=30))["text"].startswith("Xin chào")
    standin.set_delay("sendMessage", 0)
