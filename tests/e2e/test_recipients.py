"""/noinhan end to end: the real bot against the Bot API stand-in sets a commune's "Nơi nhận"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot_api_standin import FakeUser, LocalBotApi
from conversations import texts
from storage.db import Database
from storage.models import Unit
from tests.e2e.conftest import Baocao
from tests.e2e.test_registration import say, started

pytestmark = pytest.mark.e2e

HOA = FakeUser(id=820001, first_name="Hoa", last_name="Nguyễn Thị")
CUONG = FakeUser(id=820002, first_name="Cường", last_name="Lê Văn")
STRANGER = FakeUser(id=829999, first_name="Khách")


async def recipients_of(database_url: str, code: str) -> list[str] | None:
    database = Database(database_url)
    try:
        async with database.session() as session:
            return await session.scalar(select(Unit.recipients).where(Unit.code == code))
    finally:
        await database.dispose()


async def test_the_chairman_sets_the_recipients_and_others_are_refused(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    officer = await province.invite_code("12151", "officer", "--person", "Nguyễn Thị Hoa")
    chairman = await province.invite_code("12151", "chairman")
    await started(province, standin)
    await say(standin, HOA, f"/start {officer}")
    await say(standin, CUONG, f"/start {chairman}")

    assert await say(standin, STRANGER, "/noinhan") == texts.NOT_REGISTERED
    assert await say(standin, HOA, "/noinhan") == texts.NOT_LEADER_FOR_RECIPIENTS
    assert await say(standin, HOA, "/noinhan Sở Tư pháp") == texts.NOT_LEADER_FOR_RECIPIENTS

    shown = await say(standin, CUONG, "/noinhan")
    assert "Nơi nhận của báo cáo UBND xã Tân Quang (danh sách mặc định)" in shown
    assert "- Sở Nội vụ tỉnh Hưng Yên;" in shown and "- Lưu: VT." in shown
    seen = len(standin.messages_to(CUONG.id))
    standin.send_sticker(CUONG)
    sticker = await standin.wait_for_message(CUONG.id, after=seen, timeout=20)
    assert sticker["text"] == texts.INPUT_NOT_TEXT

    saved = await say(
        standin,
        CUONG,
        "Sở Nội vụ tỉnh Hưng Yên\nThường trực Đảng ủy, HĐND xã\nTrang TTĐT xã\nLưu: VT, VP.",
    )
    assert saved.startswith("Đã lưu nơi nhận của báo cáo UBND xã Tân Quang:")
    assert (
        "- Sở Nội vụ tỉnh Hưng Yên;\n- Thường trực Đảng ủy, HĐND xã;\n- Trang TTĐT xã;\n"
        "- Lưu: VT, VP." in saved
    )
    assert await recipients_of(database_url, "12151") == [
        "Sở Nội vụ tỉnh Hưng Yên",
        "Thường trực Đảng ủy, HĐND xã",
        "Trang TTĐT xã",
        "Lưu: VT, VP.",
    ]
    # The next message is an ordinary one again.
    assert await say(standin, CUONG, "Xin chào") == texts.NOTHING_TO_DO_YET

    restored = await say(standin, CUONG, "/noinhan mặc định")
    assert "(danh sách mặc định)" in restored
    assert await recipients_of(database_url, "12151") is None
