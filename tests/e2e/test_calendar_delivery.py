"""Opening a round prompts every registered officer once, through a 429, a blocked user, two
instances on one PostgreSQL database and the death of the leading one."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from conversations import texts
from conversations.duties import RESUME_CALLBACK, resume_callback
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus, Person
from tests.conftest import POSTGRES
from tests.e2e.conftest import Baocao, BotProcess, outbox_drained, running

pytestmark = pytest.mark.e2e

HOA = FakeUser(id=870001, first_name="Hoa", last_name="Nguyễn Thị")  # 12151 officer
BINH = FakeUser(id=870002, first_name="Bình", last_name="Trần Văn")  # 12151 radio officer
CUONG = FakeUser(id=870003, first_name="Cường", last_name="Lê Văn")  # 12151 chairman
GIANG = FakeUser(id=870006, first_name="Giang", last_name="Vũ Thị")  # 12154 officer
HAI = FakeUser(id=870007, first_name="Hải", last_name="Đỗ Văn")  # 12154 chairman
NAMES = {
    HOA: ("12151", "officer", "Nguyễn Thị Hoa"),
    BINH: ("12151", "officer", "Trần Văn Bình"),
    CUONG: ("12151", "chairman", "Lê Văn Cường"),
    GIANG: ("12154", "officer", "Vũ Thị Giang"),
    HAI: ("12154", "chairman", "Đỗ Văn Hải"),
}
PERIOD = "quý IV năm 2026"
RADIO = "Tuyên truyền qua hệ thống truyền thanh"
COMMUNES = ("12151", "12154", "12160", "12197")
EXTRA_PER_COMMUNE = 25  # 100 officers imported with their accounts: two batches of 50 and more
FIRST_EXTRA_ID = 871000
FAN_OUT = 12  # officers prompted in the tests that stop an instance mid-way


def is_prompt(message: dict[str, Any]) -> bool:
    return PERIOD in str(message.get("text")) and "Đã đến kỳ báo cáo" in str(message.get("text"))


def prompts_to(standin: LocalBotApi, chat_id: int, after: int = 0) -> list[dict[str, Any]]:
    return [m for m in standin.messages_to(chat_id)[after:] if is_prompt(m)]


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(button["text"], button.get("callback_data", "")) for row in keyboard for button in row]


async def register(baocao: Baocao, standin: LocalBotApi, *users: FakeUser) -> list[PrivateChat]:
    """Each user opens their invitation link; the running bot greets them."""
    chats = []
    for user in users:
        unit, role, name = NAMES[user]
        code = await baocao.invite_code(unit, role, "--person", name)
        chat = PrivateChat(standin, user)
        await chat.says(f"/start {code}", "Xin chào")
        chats.append(chat)
    return chats


async def outbox_rows(database_url: str) -> list[tuple[str, str, str | None, OutboxStatus, str]]:
    """(key, purpose, person's name, status, last error) of every outbox row."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            rows = await session.execute(
                select(
                    OutboxMessage.key,
                    OutboxMessage.purpose,
                    Person.full_name,
                    OutboxMessage.status,
                    OutboxMessage.last_error,
                )
                .outerjoin(Person, Person.id == OutboxMessage.person_id)
                .order_by(OutboxMessage.id)
            )
            return [(k, p, n, s, e or "") for k, p, n, s, e in rows]
    finally:
        await database.dispose()


async def blocked_at(database_url: str) -> dict[str, bool]:
    """Whether each person is recorded as having blocked the bot, by name."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            rows = await session.execute(select(Person.full_name, Person.blocked_bot_at))
            return {name: at is not None for name, at in rows}
    finally:
        await database.dispose()


async def import_officers(
    baocao: Baocao, standin: LocalBotApi, folder: Path, count: int
) -> list[FakeUser]:
    """Officers imported with their accounts, each of whom has written to the bot once."""
    # Telegram lets a bot write only to those who wrote to it first; it has nothing for them yet.
    users = [
        FakeUser(id=FIRST_EXTRA_ID + n, first_name=f"Cán bộ {n}", last_name="Thử")
        for n in range(count)
    ]
    csv = folder / "extra_people.csv"
    csv.write_text(
        "unit_code,role,full_name,telegram_user_id\n"
        + "".join(
            f"{COMMUNES[n % len(COMMUNES)]},officer,Thử Cán bộ {n},{user.id}\n"
            for n, user in enumerate(users)
        ),
        encoding="utf-8",
    )
    imported = await baocao.cli("people", "import", str(csv))
    assert f"{count} created" in imported.stdout
    for user in users:
        standin.send_message(user, "xin chào")
    for user in users:
        await standin.wait_for_message(
            user.id, timeout=30, predicate=lambda m: m.get("text") == texts.NOTHING_TO_DO_YET
        )
    return users


async def test_opening_a_round_prompts_each_registered_officer_once_and_the_button_starts(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    """Each registered officer gets one prompt with a start button; a second open asks nobody."""
    bot = await running(province)
    hoa, binh, giang = await register(province, standin, HOA, BINH, GIANG)
    seen = {chat.user: chat.mark() for chat in (hoa, binh, giang)}

    opened = await province.cli("round", "open", "--period", "2026-Q4")
    assert "Opened 4 round(s); 0 already open. 3 prompt(s) queued." in opened.stdout

    prompt = {}
    for chat in (hoa, binh, giang):
        prompt[chat.user] = await chat.expect(PERIOD, after=seen[chat.user])
    await outbox_drained(database_url)
    await bot.wait_for_log(r"Sent open:")
    for chat in (hoa, binh, giang):
        received = prompts_to(standin, chat.user.id, seen[chat.user])
        assert len(received) == 1, chat.user.full_name
        assert buttons(received[0]) == [(texts.START_BUTTON, resume_callback("cchc"))]
    # Each prompt names the commune and only the sections that person answers.
    assert "xã Tân Quang" in prompt[HOA]["text"] and RADIO not in prompt[HOA]["text"]
    assert "xã Tân Quang" in prompt[BINH]["text"] and RADIO in prompt[BINH]["text"]
    assert "Văn bản chỉ đạo" not in prompt[BINH]["text"]
    assert "xã Như Quỳnh" in prompt[GIANG]["text"]

    # The button starts the questionnaire; a stranger's tap on it does nothing.
    stranger = PrivateChat(standin, FakeUser(id=879999, first_name="Người lạ"))
    refused = await stranger.tap_answer(prompt[HOA], RESUME_CALLBACK)
    assert refused["text"] == texts.NOT_YOUR_BUTTON
    first = await hoa.taps(texts.START_BUTTON, "Câu 1/")
    assert "Kế hoạch (hoặc quyết định ban hành kế hoạch) của xã" in first["text"]
    first = await binh.taps(texts.START_BUTTON, "Câu 1/")
    assert "Đài truyền thanh" in first["text"]

    # Opening again queues nothing: nobody is asked twice, not even the one who has not started.
    again = await province.cli("round", "open", "--period", "2026-Q4")
    assert "Opened 0 round(s); 4 already open. 0 prompt(s) queued." in again.stdout
    await asyncio.sleep(1)  # a wrongly queued prompt would be sent within this
    await outbox_drained(database_url)
    for chat in (hoa, binh, giang):
        assert len(prompts_to(standin, chat.user.id, seen[chat.user])) == 1, chat.user.full_name
    rows = await outbox_rows(database_url)
    assert sorted(name for _, purpose, name, _, _ in rows if purpose == "open") == [
        "Nguyễn Thị Hoa",
        "Trần Văn Bình",
        "Vũ Thị Giang",
    ]
    assert {status for *_, status, _ in rows} == {OutboxStatus.SENT}


async def test_prompts_go_out_through_a_429_and_the_chairman_hears_of_a_blocked_officer(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    """A 429 pauses the outbox; a 403 marks the officer blocked and tells her chairman."""
    bot = await running(province)
    hoa, binh, cuong, giang, hai = await register(province, standin, HOA, BINH, CUONG, GIANG, HAI)
    chats = (hoa, binh, cuong, giang, hai)
    seen = {chat.user: chat.mark() for chat in chats}
    calls_before = len(standin.calls("sendMessage"))

    standin.block_user(GIANG.id)
    standin.fail_next("sendMessage", status=429, retry_after=2)
    opened = await province.cli("round", "open", "--period", "2026-Q4")
    # Officers only: the chairmen answer no section of the form.
    assert "3 prompt(s) queued." in opened.stdout

    await bot.wait_for_log("Telegram asks to wait")
    await hoa.expect(PERIOD, after=seen[HOA])
    await binh.expect(PERIOD, after=seen[BINH])
    told = await hai.expect("đã chặn bot", after=seen[HAI])
    assert "Vũ Thị Giang" in told["text"] and "xã Như Quỳnh" in told["text"]
    await outbox_drained(database_url)
    await asyncio.sleep(1)  # anything sent twice would arrive now
    await outbox_drained(database_url)

    assert len(prompts_to(standin, HOA.id, seen[HOA])) == 1
    assert len(prompts_to(standin, BINH.id, seen[BINH])) == 1
    assert standin.messages_to(GIANG.id)[seen[GIANG] :] == []
    assert len(standin.messages_to(HAI.id)[seen[HAI] :]) == 1
    # The chairman of another commune is not told.
    assert standin.messages_to(CUONG.id)[seen[CUONG] :] == []

    calls = standin.calls("sendMessage")[calls_before:]
    refused = [call for call in calls if call.error]
    assert sorted(call.error[0] for call in refused if call.error) == [403, 429]
    forbidden = next(call for call in refused if call.error and call.error[0] == 403)
    assert forbidden.params["chat_id"] == GIANG.id
    # The message that met the 429 went out again only after the two seconds Telegram asked.
    too_many = next(call for call in refused if call.error and call.error[0] == 429)
    retried = next(
        call
        for call in calls
        if call.params["chat_id"] == too_many.params["chat_id"] and call.at > too_many.at
    )
    assert retried.at - too_many.at >= 1.8
    assert bot.process.poll() is None

    rows = await outbox_rows(database_url)
    prompts = {
        name: (status, error) for _, purpose, name, status, error in rows if purpose == "open"
    }
    assert prompts["Vũ Thị Giang"][0] is OutboxStatus.BLOCKED
    assert "blocked" in prompts["Vũ Thị Giang"][1]
    assert prompts["Nguyễn Thị Hoa"][0] is OutboxStatus.SENT
    assert prompts["Trần Văn Bình"][0] is OutboxStatus.SENT
    notices = [(name, status) for _, purpose, name, status, _ in rows if purpose != "open"]
    assert notices == [("Đỗ Văn Hải", OutboxStatus.SENT)]
    blocked = await blocked_at(database_url)
    assert blocked["Vũ Thị Giang"] is True
    assert not any(flag for name, flag in blocked.items() if name != "Vũ Thị Giang")


@pytest.mark.skipif(not POSTGRES, reason="several instances need PostgreSQL (set DATABASE_URL)")
async def test_two_instances_send_each_prompt_once_and_the_other_takes_over(
    province: Baocao, standin: LocalBotApi, database_url: str, tmp_path: Path
) -> None:
    """Two bots share the outbox without duplicates; when the leader dies the other polls."""
    # Each instance gets its share of Telegram's 30 messages/s, as the README says to.
    bots = [province.start_bot(BAOCAO_SEND_RATE="15"), province.start_bot(BAOCAO_SEND_RATE="15")]
    leader, follower = await leader_and_follower(bots)
    hoa, *_ = await register(province, standin, HOA, BINH, GIANG)

    # 100 more officers whose accounts the administrator knew: bound by the import itself.
    extras = await import_officers(province, standin, tmp_path, EXTRA_PER_COMMUNE * len(COMMUNES))
    officers = [HOA, BINH, GIANG, *extras]
    seen = {user.id: len(standin.messages_to(user.id)) for user in officers}

    standin.set_rate_limits(global_per_second=30, per_chat_per_second=1)
    calls_before = len(standin.calls("sendMessage"))
    opened = await province.cli("round", "open", "--period", "2026-Q4")
    assert f"{len(officers)} prompt(s) queued." in opened.stdout
    for user in officers:
        await standin.wait_for_message(
            user.id, after=seen[user.id], timeout=60, predicate=is_prompt
        )
    await outbox_drained(database_url)
    await asyncio.sleep(1)  # anything sent twice would arrive now

    # Every officer exactly once.
    counts = {user.id: len(prompts_to(standin, user.id, seen[user.id])) for user in officers}
    assert Counter(counts.values()) == Counter({1: len(officers)})
    sent_prompts = [
        call
        for call in standin.calls("sendMessage")[calls_before:]
        if call.error is None and PERIOD in str(call.params.get("text"))
    ]
    assert len(sent_prompts) == len(officers)
    # With each instance at its share of the rate, Telegram never had to say 429.
    refused = [call.error for call in standin.calls("sendMessage")[calls_before:] if call.error]
    assert refused == []
    # Both instances sent, and no row was sent by both.
    sent_by = [set(re.findall(r"Sent (open:\S+)", bot.log())) for bot in (leader, follower)]
    assert sent_by[0] and sent_by[1], [len(keys) for keys in sent_by]
    assert not sent_by[0] & sent_by[1]
    assert len(sent_by[0] | sent_by[1]) == len(officers)
    rows = await outbox_rows(database_url)
    assert [status for *_, status, _ in rows] == [OutboxStatus.SENT] * len(officers)

    # The leader dies; within a few seconds the other one polls and answers (Telegram allows a
    # short burst in a private chat, which the stand-in's strict 1/s per chat would refuse).
    standin.set_rate_limits(global_per_second=None, per_chat_per_second=None)
    leader.kill()
    await follower.wait_for_log("is running", within=20)
    seen_hoa = hoa.mark()
    intro = await hoa.says("/baocao", PERIOD)
    assert "Báo cáo kết quả công tác tuyên truyền cải cách hành chính" in intro["text"]
    first = await hoa.expect("Câu 1/", after=seen_hoa)
    assert "Kế hoạch (hoặc quyết định ban hành kế hoạch) của xã" in first["text"]
    assert "Error while handling" not in follower.log()
    assert follower.process.poll() is None


async def leader_and_follower(bots: list[BotProcess]) -> tuple[BotProcess, BotProcess]:
    """Wait until one bot leads and the other says it does not; return (leader, follower)."""
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline:
        for bot in bots:
            assert bot.process.poll() is None, bot.log()
        leading = [bot for bot in bots if "is running" in bot.log()]
        waiting = [bot for bot in bots if "Another instance leads" in bot.log()]
        if len(leading) == 1 and len(waiting) == 1 and leading != waiting:
            return leading[0], waiting[0]
        assert len(leading) < 2, "both instances lead"
        await asyncio.sleep(0.05)
    raise AssertionError("\n---\n".join(bot.log() for bot in bots))


@pytest.mark.skipif(not POSTGRES, reason="several instances need PostgreSQL (set DATABASE_URL)")
async def test_an_instance_starting_during_a_fan_out_does_not_send_again(
    province: Baocao, standin: LocalBotApi, database_url: str, tmp_path: Path
) -> None:
    """A second instance started while the first is sending leaves the first's rows alone."""
    # The first instance is slow, so its batch is still being sent when the second starts.
    first = province.start_bot(BAOCAO_SEND_RATE="2")
    await first.wait_for_log("is running")
    officers = await import_officers(province, standin, tmp_path, FAN_OUT)
    seen = {user.id: len(standin.messages_to(user.id)) for user in officers}
    await province.cli("round", "open", "--period", "2026-Q4")
    await first.wait_for_log("Sent open:")
    second = province.start_bot(BAOCAO_SEND_RATE="15")
    await second.wait_for_log("Another instance leads")
    await outbox_drained(database_url)
    await asyncio.sleep(1)  # anything sent twice would arrive now

    counts = Counter(len(prompts_to(standin, user.id, seen[user.id])) for user in officers)
    put_back = re.findall(r"\d+ message\(s\) were being sent.*", second.log())
    assert counts == Counter({1: len(officers)}), f"prompts per officer: {counts}; {put_back}"


@pytest.mark.skipif(not POSTGRES, reason="several instances need PostgreSQL (set DATABASE_URL)")
async def test_when_an_instance_dies_mid_fan_out_the_other_sends_the_rest(
    province: Baocao, standin: LocalBotApi, database_url: str, tmp_path: Path
) -> None:
    """Prompts an instance had claimed when it was killed are sent by the surviving one."""
    # A short lease, so the dead instance's rows are taken over within the test's patience.
    lease = {"BAOCAO_SEND_RATE": "3", "BAOCAO_OUTBOX_LEASE_S": "5"}
    bots = [province.start_bot(**lease), province.start_bot(**lease)]
    await leader_and_follower(bots)
    officers = await import_officers(province, standin, tmp_path, FAN_OUT)
    seen = {user.id: len(standin.messages_to(user.id)) for user in officers}
    await province.cli("round", "open", "--period", "2026-Q4")
    # Whichever instance claimed the batch dies after its first message.
    deadline = asyncio.get_running_loop().time() + 20
    while not (claimer := [bot for bot in bots if "Sent open:" in bot.log()]):
        assert asyncio.get_running_loop().time() < deadline, "nothing was sent"
        await asyncio.sleep(0.02)
    claimer[0].kill()
    survivor = next(bot for bot in bots if bot is not claimer[0])

    # The survivor takes the batch's rest over once the 5 s lease ends (at 3/s, 12 take 4 s).
    deadline = asyncio.get_running_loop().time() + 20
    missing = officers
    while missing and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)
        missing = [user for user in officers if not prompts_to(standin, user.id, seen[user.id])]
    assert survivor.process.poll() is None
    statuses = Counter(status.value for *_, status, _ in await outbox_rows(database_url))
    assert missing == [], f"{len(missing)} officer(s) never prompted; outbox: {dict(statuses)}"


@pytest.mark.skipif(POSTGRES, reason="the single-instance lock applies to SQLite only")
async def test_a_second_instance_on_one_sqlite_file_refuses_to_start(province: Baocao) -> None:
    """On SQLite a second bot process exits with code 3 and the first keeps running."""
    first = await running(province)
    second = province.start_bot()
    assert await second.wait_exit() == 3
    assert "Another Baocao bot is already running" in second.log()
    assert first.process.poll() is None


async def test_round_status_lists_each_commune_with_its_progress(
    province: Baocao, standin: LocalBotApi
) -> None:
    """`baocao round status` shows the table, each commune's progress and the summary line."""
    missing = await province.cli("round", "status", "--period", "2026-Q4", check=False)
    assert missing.returncode != 0 and "2026-Q4 has not been opened" in missing.stderr

    await running(province)
    (binh,) = await register(province, standin, BINH)
    await province.cli("round", "open", "--period", "2026-Q4")
    await binh.expect(PERIOD, after=0)
    # Bình hands in the radio section; Hoa has not answered hers.
    await binh.taps(texts.START_BUTTON, "Câu 1/7")
    await binh.taps("Đang hoạt động", "Câu 2/7")
    await binh.says("6", "Câu 3/7")
    await binh.says("25", "Câu 4/7")
    await binh.says("30", "Câu 5/7")
    await binh.says("90 phút", "Câu 6/7")
    await binh.says("2", "Câu 7/7")
    await binh.says("có", "Gửi báo cáo")
    await binh.taps(texts.SUBMIT_BUTTON, "còn chờ")

    status = (await province.cli("round", "status", "--period", "2026-Q4")).stdout
    lines = status.splitlines()
    heading = re.fullmatch(r"Period 2026-Q4 \(CCHC\), deadline (\d\d/\d\d/\d{4})", lines[0])
    assert heading, lines[0]
    # Nothing is delivered, so every commune is late once the deadline has passed (the table
    # reads today's date in Vietnam's time zone).
    deadline = datetime.strptime(heading.group(1), "%d/%m/%Y").date()
    late = ["late"] if datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() > deadline else []
    assert lines[1].split() == [
        "code",
        "commune",
        "status",
        "submitted",
        "approved",
        "number",
        "delivered",
        "late",
    ]
    rows = {line.split()[0]: line.split() for line in lines[2:-1]}
    assert list(rows) == list(COMMUNES)
    assert rows["12151"] == ["12151", "Tân", "Quang", "open", "1/8", "-", "-", "-", *late]
    assert rows["12154"] == ["12154", "Như", "Quỳnh", "open", "0/8", "-", "-", "-", *late]
    assert rows["12160"] == ["12160", "Lạc", "Đạo", "open", "0/8", "-", "-", "-", *late]
    assert rows["12197"] == ["12197", "Mỹ", "Hào", "open", "0/8", "-", "-", "-", *late]
    # The columns line up: each value starts where its heading does.
    column = lines[1].index("submitted")
    assert all(line[column : column + 3] in ("0/8", "1/8") for line in lines[2:-1])
    assert lines[-1] == f"4 communes: 0 delivered, {4 if late else 0} late."
