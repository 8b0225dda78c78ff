"""The phone's command menu, per person by role: set at registration and, at start-up, only for
those whose menu changed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from tests.e2e.conftest import Baocao, running

pytestmark = pytest.mark.e2e

HOA = FakeUser(id=850001, first_name="Hoa", last_name="Nguyễn Thị")  # officer
CUONG = FakeUser(id=850002, first_name="Cường", last_name="Lê Văn")  # chairman
DUNG = FakeUser(id=850003, first_name="Dung", last_name="Phạm Thị")  # vice-chairman
EM = FakeUser(id=850004, first_name="Em", last_name="Hoàng Văn")  # clerk
LAN = FakeUser(id=850005, first_name="Lan", last_name="Bùi Thị")  # the receiving office
OFFICE_GROUP = {"id": -1008500100, "type": "supergroup", "title": "Sở Nội vụ - báo cáo"}


def menu(standin: LocalBotApi, chat_id: int | None = None) -> list[str]:
    scope = None if chat_id is None else {"type": "chat", "chat_id": chat_id}
    return [command["command"] for command in standin.my_commands(scope)]


def chat_menus_set(standin: LocalBotApi) -> list[int]:
    """The chats whose menu the bot set, in order (setMyCommands with a chat's scope)."""
    return [
        call.params["scope"]["chat_id"]
        for call in standin.calls("setMyCommands")
        if call.error is None and (call.params.get("scope") or {}).get("type") == "chat"
    ]


async def test_each_person_sees_the_commands_of_their_role(
    province: Baocao, standin: LocalBotApi, tmp_path: Path
) -> None:
    codes = {
        HOA: await province.invite_code("12151", "officer", "--person", "Nguyễn Thị Hoa"),
        CUONG: await province.invite_code("12151", "chairman", "--person", "Lê Văn Cường"),
        DUNG: await province.invite_code("12151", "vice_chairman", "--person", "Phạm Thị Dung"),
        EM: await province.invite_code("12151", "clerk", "--person", "Hoàng Văn Em"),
    }
    office_code = await province.invite_code("SNV-33", "office", "--person", "Bùi Thị Lan")
    bot = await running(province)

    # Before anyone registers, the menu holds only what a stranger can use.
    assert menu(standin) == ["start", "help"]

    chats = {user: PrivateChat(standin, user) for user in (HOA, CUONG, DUNG, EM)}
    for user, chat in chats.items():
        await chat.says(f"/start {codes[user]}", "Xin chào")
    standin.add_private_chat(LAN)  # she has written to the bot before
    standin.send_message(LAN, f"/start@{standin.bot_username} {office_code}", chat=OFFICE_GROUP)
    await standin.wait_for_message(OFFICE_GROUP["id"], timeout=20)

    async def menus_settled() -> None:
        for _ in range(100):
            if menu(standin, LAN.id) and menu(standin, OFFICE_GROUP["id"]):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the office's menus were not set")

    await menus_settled()
    assert menu(standin, HOA.id) == ["baocao", "xem", "huy", "lichsu", "help"]
    assert menu(standin, CUONG.id) == ["lichsu", "noinhan", "help"]
    assert menu(standin, DUNG.id) == ["lichsu", "noinhan", "help"]
    assert menu(standin, EM.id) == ["lichsu", "help"]
    assert menu(standin, LAN.id) == ["tiendo", "tonghop", "lichsu", "help"]
    assert menu(standin, OFFICE_GROUP["id"]) == ["tiendo", "tonghop"]
    assert menu(standin) == ["start", "help"]
    # /help lists the same commands as the menu: the officer is not shown the office's.
    help_text = (await chats[HOA].says("/help", "Các lệnh"))["text"]
    assert "/baocao" in help_text and "/tiendo" not in help_text and "/noinhan" not in help_text

    # A restart with nothing changed sets no person's menu again.
    await bot.stop()
    before = len(chat_menus_set(standin))
    bot = await running(province)
    await bot.wait_for_log("is running")
    # The office's group is set again (a handful of calls); people are not.
    for _ in range(100):
        if len(chat_menus_set(standin)) > before:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    assert chat_menus_set(standin)[before:] == [OFFICE_GROUP["id"]]

    # The chairman is given a section to answer (people.csv `sections`): at the next start his
    # menu, and only his, is set again, now with the questionnaire's commands.
    people = tmp_path / "people-sections.csv"
    people.write_text(
        "unit_code,role,full_name,sections\n12151,chairman,Lê Văn Cường,assessment\n",
        encoding="utf-8",
    )
    await province.cli("people", "import", str(people))
    await bot.stop()
    before = len(chat_menus_set(standin))
    bot = await running(province)
    for _ in range(100):
        if CUONG.id in chat_menus_set(standin)[before:]:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    assert chat_menus_set(standin)[before:] == [OFFICE_GROUP["id"], CUONG.id]
    assert menu(standin, CUONG.id) == ["baocao", "xem", "huy", "lichsu", "noinhan", "help"]
