"""The real bot on Zalo beside Telegram: an officer registers with a code, answers on Zalo with
typed words, and a kill -9 right after Zalo handed a message out loses nothing."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from channels.zalo.receiver import SECRET_HEADER
from conversations.outgoing import Text, to_payload
from storage.db import Database
from storage.inbox import waiting_updates
from storage.models import Answer, Person
from storage.outbox import enqueue
from tests.e2e.conftest import Baocao, BotProcess, outbox_drained
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
        "invite", "--unit", "33", "--role", "admin", "--channel", "zalo", check=False
    )
    assert refused.returncode != 0 and "invite this role on Telegram" in refused.stderr
    await province.cli("round", "open", "--period", "2026-Q4")
    bot = start_with_zalo(province, zalo)
    await bot.wait_for_log("Zalo bot .* is running")
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


HOA_TELEGRAM = FakeUser(id=840001, first_name="Hoa", last_name="Nguyễn Thị")


async def queue_notice(database: Database, key: str, person_name: str, text: str) -> None:
    """A notice for the person, queued as the workflows queue theirs (chat = their Telegram)."""
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.full_name == person_name))
        assert person is not None
        await enqueue(
            session=session,
            key=key,
            purpose="notice",
            payload=to_payload(Text(text)),
            chat_id=person.telegram_user_id,
            person_id=person.id,
        )


async def test_a_person_on_both_channels_gets_each_message_once_where_they_wrote_last(
    province: Baocao, standin: LocalBotApi, zalo: ZaloStandIn, database: Database
) -> None:
    telegram_code = await province.invite_code("12151", "officer", "--person", "Nguyễn Thị Hoa")
    zalo_code = (
        await province.cli(
            "invite",
            "--unit",
            "12151",
            "--role",
            "officer",
            "--person",
            "Nguyễn Thị Hoa",
            "--channel",
            "zalo",
        )
    ).stdout.splitlines()[0]
    bot = start_with_zalo(province, zalo)
    await bot.wait_for_log("Zalo bot .* is running")
    on_telegram = PrivateChat(standin, HOA_TELEGRAM)
    hoa = zalo.add_user("Nguyễn Thị Hoa")
    await on_telegram.says(f"/start {telegram_code}", "Xin chào")
    [greeting] = await say(zalo, hoa, zalo_code)  # the same person, now on Zalo too
    assert "Xin chào anh/chị Nguyễn Thị Hoa" in greeting

    # Zalo last: the round's prompt comes on Zalo, once, with what to type for its button.
    telegram_before = len(standin.messages_to(HOA_TELEGRAM.id))
    zalo_before = len(zalo.messages_to(hoa))
    await province.cli("round", "open", "--period", "2026-Q4")
    [prompt] = await replies(zalo, hoa, zalo_before)
    assert "«/baocao» — Bắt đầu nhập" in prompt
    await outbox_drained(database.url)
    assert len(standin.messages_to(HOA_TELEGRAM.id)) == telegram_before

    # Back on Telegram: the next message goes there, and not to Zalo.
    await on_telegram.says("/xem", "")
    zalo_before = len(zalo.messages_to(hoa))
    await queue_notice(database, "test:notice:1", "Nguyễn Thị Hoa", "Thông báo thử")
    await outbox_drained(database.url)
    await asyncio.sleep(0.5)
    assert standin.messages_to(HOA_TELEGRAM.id)[-1]["text"] == "Thông báo thử"
    assert len(zalo.messages_to(hoa)) == zalo_before


async def test_a_person_only_on_zalo_gets_the_rounds_prompt_there(
    province: Baocao, zalo: ZaloStandIn, database: Database
) -> None:
    code = (
        await province.cli("invite", "--unit", "12151", "--role", "officer", "--channel", "zalo")
    ).stdout.splitlines()[0]
    bot = start_with_zalo(province, zalo)
    await bot.wait_for_log("Zalo bot .* is running")
    hoa = zalo.add_user("Nguyễn Thị Hoa")
    await say(zalo, hoa, code)

    before = len(zalo.messages_to(hoa))
    await province.cli("round", "open", "--period", "2026-Q4")
    [prompt] = await replies(zalo, hoa, before)
    started = await say(zalo, hoa, "/baocao")

    assert "«/baocao» — Bắt đầu nhập" in prompt
    assert "Trả lời bằng cách gõ:" in started[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_in_webhook_mode_zalo_posts_to_the_bot_and_only_with_the_secret(
    province: Baocao, zalo: ZaloStandIn, database: Database
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/zalo/webhook"
    secret = "webhook-secret-0123"
    code = (
        await province.cli("invite", "--unit", "12151", "--role", "officer", "--channel", "zalo")
    ).stdout.splitlines()[0]
    await province.cli("round", "open", "--period", "2026-Q4")
    webhook = {
        "ZALO_WEBHOOK_URL": url,
        "ZALO_WEBHOOK_SECRET": secret,
        "BAOCAO_HTTP_PORT": str(port),
        "BAOCAO_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BAOCAO_LINK_SECRET": "link-secret-0123456789",
    }
    bot = province.start_bot(ZALO_BOT_TOKEN=zalo.token, ZALO_API_URL=zalo.url, **webhook)
    await bot.wait_for_log("Zalo posts updates to")
    hoa = zalo.add_user("Nguyễn Thị Hoa")

    [greeting] = await say(zalo, hoa, code)
    first = await say(zalo, hoa, "/baocao")
    forged_update = {
        "event_name": "message.text.received",
        "message": {
            "message_id": "forged-1",
            "date": 1,
            "from": {"id": hoa.id, "display_name": "Hoa"},
            "chat": {"id": hoa.id, "chat_type": "PRIVATE"},
            "text": "bỏ qua",
        },
    }
    async with httpx.AsyncClient() as client:
        forged = await client.post(
            url, json={"ok": True, "result": forged_update}, headers={SECRET_HEADER: "wrong!!!"}
        )
        # The same server carries the links to report files; a forged one opens nothing.
        forged_link = await client.get(f"http://127.0.0.1:{port}/f/report/not-a-signed-link")
    await bot.wait_for_log("Refused a report link with a bad signature")
    # Stored before Zalo got its 200, so a kill -9 right then loses nothing.
    before = len(zalo.messages_to(hoa))
    await zalo.send_text(hoa, "bỏ qua")
    await kept_in_inbox(database)
    bot.kill()
    restarted = province.start_bot(ZALO_BOT_TOKEN=zalo.token, ZALO_API_URL=zalo.url, **webhook)
    after_crash = await replies(zalo, hoa, before)
    stored = await answers(database)
    await restarted.stop()

    assert "Anh/chị đã được đăng ký là cán bộ" in greeting
    assert "Trả lời bằng cách gõ:" in first[-1]
    assert forged.status_code == 403
    assert forged_link.status_code == 404
    assert len(stored) == 1, stored
    assert any("Trả lời bằng cách gõ:" in text for text in after_crash)
    assert secret not in bot.log() and secret not in restarted.log()


async def test_on_zalo_alone_the_bot_serves_officers_and_the_office_without_telegram(
    province: Baocao, standin: LocalBotApi, zalo: ZaloStandIn, database: Database
) -> None:
    """A province where Telegram is blocked: no TELEGRAM_BOT_TOKEN, only Zalo's. The officer
    answers, the office registers and its files come to it on Zalo; Telegram is never called."""

    async def zalo_code(unit: str, role: str) -> str:
        invited = await province.cli("invite", "--unit", unit, "--role", role, "--channel", "zalo")
        return invited.stdout.splitlines()[0]

    officer, office = await zalo_code("12151", "officer"), await zalo_code("SNV-33", "office")
    await province.cli("round", "open", "--period", "2026-Q4")
    before_start = len(standin.requests)
    bot = province.start_bot(
        TELEGRAM_BOT_TOKEN="",
        ZALO_BOT_TOKEN=zalo.token,
        ZALO_API_URL=zalo.url,
        ZALO_POLL_TIMEOUT_S="1",
    )
    await bot.wait_for_log("running on Zalo only")
    hoa, thu = zalo.add_user("Nguyễn Thị Hoa"), zalo.add_user("Phạm Thị Thu")

    [registered] = await say(zalo, hoa, officer)
    first = await say(zalo, hoa, "/baocao")
    skipped = await say(zalo, hoa, "bỏ qua")
    [office_greeting] = await say(zalo, thu, office)
    progress = "\n".join(await say(zalo, thu, "/tiendo"))
    stored = await answers(database)
    await bot.stop()

    assert "Anh/chị đã được đăng ký là cán bộ" in registered
    assert "Trả lời bằng cách gõ:" in first[-1] and "Trả lời bằng cách gõ:" in skipped[-1]
    assert len(stored) == 1
    assert "qua Zalo" in office_greeting  # the office had nowhere else: its files come here
    assert "Tân Quang" in progress
    assert bot.process.returncode == 0
    assert len(standin.requests) == before_start  # not one call to Telegram


async def test_on_zalo_alone_a_token_zalo_refuses_stops_the_bot_with_exit_code_2(
    province: Baocao, zalo: ZaloStandIn
) -> None:
    bot = province.start_bot(
        TELEGRAM_BOT_TOKEN="", ZALO_BOT_TOKEN="7000000001:not-the-secret", ZALO_API_URL=zalo.url
    )

    for _ in range(300):
        if bot.process.poll() is not None:
            break
        await asyncio.sleep(0.1)

    assert bot.process.returncode == 2, bot.log()
    assert "refused ZALO_BOT_TOKEN" in bot.log()
    assert "not-the-secret" not in bot.log()
