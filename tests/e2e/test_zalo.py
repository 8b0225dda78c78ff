"""The real bot on Zalo beside Telegram: an officer registers with a code, answers on Zalo with
typed words, and a kill -9 right after Zalo handed a message out loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.inbox import waiting_updates
from storage.models import Answer
from tests.e2e.conftest import Baocao, BotProcess
from zalo_standin import ZaloStandIn, ZaloUser

pytestmark = pytest.mark.e2e


@pytest.fixture
async def zalo() -> AsyncIterator[ZaloStandIn]:
    async with ZaloStandIn() as standin:
        yield standin


async def replies(zalo: ZaloStandIn, user: ZaloUser, before: int) -> list[str]:
    """The bot's messages after the first `before`, once it has gone quiet."""
    await zalo.wait_for_message(user, after=before, timeout_s=30)
    while True:
        count = len(zalo.messages_to(user))
        await asyncio.sleep(0.3)
        if len(zalo.messages_to(user)) == count:
            return [m.text for m in zalo.messages_to(user)[before:]]


async def say(zalo: ZaloStandIn, user: ZaloUser, text: str) -> list[str]:
    before = len(zalo.messages_to(user))
    await zalo.send_text(user, text)
    return await replies(zalo, user, before)


async def answers(database: Database) -> dict[str, object]:
    async with database.session() as session:
        rows = await session.scalars(select(Answer))
        return {row.question_code: row.value["value"] for row in rows}


async def kept_in_inbox(database: Database) -> None:
    for _ in range(2000):
        async with database.session() as session:
            if await waiting_updates(session=session, channel="zalo"):
                return
        await asyncio.sleep(0.001)
    raise AssertionError("the Zalo update never reached the inbox")


def start_with_zalo(province: Baocao, zalo: ZaloStandIn) -> BotProcess:
    return province.start_bot(
        ZALO_BOT_TOKEN=zalo.token, ZALO_API_URL=zalo.url, ZALO_POLL_TIMEOUT_S="1"
    )


async def test_an_officer_registers_and_answers_on_zalo_through_a_crash(
    province: Baocao, zalo: ZaloStandIn, database: Database
) -> None:
    invited = await province.cli(
        "invite", "--unit", "12151", "--role", "officer", "--channel", "zalo"
    )
    code = invited.stdout.splitlines()[0]
    assert "gửi cho bot một tin nhắn chỉ gồm mã sau" in invited.stdout
    refused = await province.cli(
        "invite", "--unit", "12151", "--role", "chairman", "--channel", "zalo", check=False
    )
    assert refused.returncode != 0 and "invite this role on Telegram" in refused.stderr
    await province.cli("round", "open", "--period", "2026-Q4")
    bot = start_with_zalo(province, zalo)
    await bot.wait_for_log("Zalo bot .* is running beside Telegram")
    hoa = zalo.add_user("Nguyễn Thị Hoa")

    [greeting] = await say(zalo, hoa, code)
    assert "Anh/chị đã được đăng ký là cán bộ" in greeting
    first = await say(zalo, hoa, "/baocao")
    assert "Trả lời bằng cách gõ:" in first[-1]
    refused_word = await say(zalo, hoa, "hai chục")
    assert "chưa" in refused_word[0].lower() or "không" in refused_word[0].lower()
    assert await answers(database) == {}

    # Kill -9 as soon as the next answer is received (kept in the inbox): it is gone from
    # Zalo, so only the inbox can bring it back.
    before = len(zalo.messages_to(hoa))
    handed = zalo.handed_out
    await zalo.send_text(hoa, "bỏ qua")
    await zalo.wait_handed_out(handed + 1)
    await kept_in_inbox(database)
    bot.kill()
    restarted = start_with_zalo(province, zalo)
    after_crash = await replies(zalo, hoa, before)
    stored = await answers(database)
    await restarted.stop()

    assert len(stored) == 1, stored  # the answer, once, whatever the moment of the kill
    assert any("Trả lời bằng cách gõ:" in text for text in after_crash)
    assert zalo.pending_updates == 0
    secret = zalo.token.split(":", 1)[1]
    assert secret not in bot.log() and secret not in restarted.log()
