"""The outbox sender, driven end to end: real database rows, a real PTB Bot, the local stand-in.

Rows are queued with storage.outbox.enqueue, an OutboxSender sends them through python-telegram-bot
to LocalBotApi, and each test checks both what the stand-in recorded and how the rows ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import docx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.request import HTTPXRequest

import bot.outbox as outbox_module
import storage.db
from bot.outbox import NO_OFFICE_CHAT_RETRY, OutboxSender, Pacer
from bot.sending import ReportFiles
from bot_api_standin import ApiError as _ApiError
from bot_api_standin import FakeUser, LocalBotApi, SentRequest
from channels.telegram import CAPTION_LIMIT, REPORT_READ_TIMEOUT_S
from conversations import texts as vietnamese
from conversations.outgoing import Action, CompiledFile, Item, ReportFile, Text, to_payload
from storage.db import Database
from storage.models import Draft, DraftStatus, OutboxMessage, OutboxStatus, Unit, UnitKind, utc_now
from storage.outbox import MAYBE_DELIVERED, claim_due, enqueue, unsent_count
from tests.conftest import POSTGRES
from tests.factories import make_unit, open_round

AN = FakeUser(id=111_111, first_name="An")
BINH = FakeUser(id=222_222, first_name="Bình")
CHI = FakeUser(id=333_333, first_name="Chi")
OFFICE_GROUP_ID = -100_987_654
OFFICE_GROUP: dict[str, Any] = {"id": OFFICE_GROUP_ID, "type": "supergroup", "title": "Sở Nội vụ"}
BUTTONS = ((Action("Duyệt", "approve:7"), Action("Trả lại", "return:7")),)
INLINE_KEYBOARD = {
    "inline_keyboard": [
        [
            {"text": "Duyệt", "callback_data": "approve:7"},
            {"text": "Trả lại", "callback_data": "return:7"},
        ]
    ]
}


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        # The stand-in only accepts chats it has seen: each user writes once, AN in the group too.
        for user in (AN, BINH, CHI):
            server.send_message(user, "hi")
        server.send_message(AN, "hi", chat=OFFICE_GROUP)
        yield server


def new_bot(api: LocalBotApi) -> Bot:
    return Bot(token=api.token, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot")


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    client = new_bot(api)
    await client.initialize()
    yield client
    await client.shutdown()


@pytest.fixture
def make_sender(bot: Bot, database: Database) -> Callable[..., OutboxSender]:
    """A sender on the test database with a short first retry (0.05 s) unless told otherwise.

    Pacing is loosened so these tests are about outcomes; test_pacing.py tests the pace.
    """

    def make(**options: Any) -> OutboxSender:
        options.setdefault("first_retry_s", 0.05)
        options.setdefault("pacer", Pacer(per_second=1000, per_chat_per_second=1000))
        return OutboxSender(bot, database, ReportFiles(database), **options)

    return make


# ------------------------------------------------------------------------------ helpers


async def queue(
    database: Database,
    key: str,
    item: Item | dict[str, Any],
    *,
    chat_id: int | None = None,
    office_id: int | None = None,
    draft_id: int | None = None,
) -> int:
    """Queue one row (an Item, or a raw payload) and return its id."""
    payload = item if isinstance(item, dict) else to_payload(item)
    async with database.session() as session:
        assert await enqueue(
            session=session,
            key=key,
            purpose="test",
            payload=payload,
            chat_id=chat_id,
            office_id=office_id,
            draft_id=draft_id,
        )
        row_id = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key))
    assert row_id is not None
    return row_id


async def rows(database: Database) -> dict[str, OutboxMessage]:
    async with database.session() as session:
        return {row.key: row for row in await session.scalars(select(OutboxMessage))}


async def row(database: Database, key: str) -> OutboxMessage:
    return (await rows(database))[key]


def texts(api: LocalBotApi, chat_id: int) -> list[str]:
    return [message["text"] for message in api.messages_to(chat_id)]


def calls_to(api: LocalBotApi, chat_id: int, method: str = "sendMessage") -> list[SentRequest]:
    return [call for call in api.calls(method) if call.params.get("chat_id") == chat_id]


async def drain(sender: OutboxSender, database: Database, *, within: float = 5.0) -> int:
    """Call send_due until no row is unsent; the number of rows sent on the way."""
    sent = 0
    deadline = time.monotonic() + within
    while True:
        sent += await sender.send_due()
        async with database.session() as session:
            if await unsent_count(session=session) == 0:
                return sent
        assert time.monotonic() < deadline, "the outbox did not empty in time"
        await asyncio.sleep(0.02)


def small_docx(text: str = "Báo cáo thử nghiệm") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def make_draft(database: Database, content: bytes) -> int:
    async with database.session() as session:
        unit = await make_unit(session)
        round_ = await open_round(session, unit=unit)
        draft = Draft(
            round_id=round_.id,
            version=1,
            status=DraftStatus.AWAITING,
            report={},
            docx=content,
        )
        session.add(draft)
        await session.flush()
        return draft.id


async def make_office(database: Database, chat_id: int | None = None) -> int:
    async with database.session() as session:
        office = await make_unit(session, name="Sở Nội vụ", kind=UnitKind.OFFICE)
        office.telegram_chat_id = chat_id
        await session.flush()
        return office.id


@contextlib.asynccontextmanager
async def running(sender: OutboxSender) -> AsyncIterator[asyncio.Event]:
    """The sender's run loop as a task; stopped (and awaited) on leaving."""
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


def seconds_ahead(moment: datetime, of: datetime) -> float:
    return (moment - of).total_seconds()


# ------------------------------------------------------------------------------ delivery


async def test_text_and_document_rows_are_delivered_and_marked_sent(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """A text and a stored .docx arrive with buttons, filename, caption and the exact bytes."""
    content = small_docx()
    draft_id = await make_draft(database, content)
    await queue(database, "text", Text("Có bản dự thảo mới", BUTTONS), chat_id=AN.id)
    report = ReportFile(draft_id, "docx", "bao_cao_2026-Q4.docx", "Dự thảo lần 1", BUTTONS)
    await queue(database, "file", report, chat_id=BINH.id, draft_id=draft_id)
    sender = make_sender()

    assert await sender.send_due() == 2

    [text] = api.messages_to(AN.id)
    assert text["text"] == "Có bản dự thảo mới"
    assert text["reply_markup"] == INLINE_KEYBOARD
    [document] = api.messages_to(BINH.id)
    assert document["document"]["file_name"] == "bao_cao_2026-Q4.docx"
    assert document["caption"] == "Dự thảo lần 1"
    assert document["reply_markup"] == INLINE_KEYBOARD
    assert api.document_bytes(document["document"]["file_id"]) == content
    stored = await rows(database)
    for key, message in (("text", text), ("file", document)):
        assert stored[key].status == OutboxStatus.SENT
        assert stored[key].telegram_message_id == message["message_id"]
        assert stored[key].sent_at is not None
        assert stored[key].attempts == 1
        assert stored[key].last_error is None
    # Nothing goes twice.
    assert await sender.send_due() == 0
    assert len(api.calls("sendMessage")) == len(api.calls("sendDocument")) == 1


async def test_a_long_caption_is_cut_to_telegrams_limit(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """A caption over 1024 characters is shortened rather than refused by Telegram."""
    draft_id = await make_draft(database, small_docx())
    caption = "Báo cáo " * 200  # 1600 characters
    report = ReportFile(draft_id, "docx", "bao_cao.docx", caption)
    await queue(database, "file", report, chat_id=AN.id, draft_id=draft_id)

    assert await make_sender().send_due() == 1

    [document] = api.messages_to(AN.id)
    assert document["caption"] == caption[:CAPTION_LIMIT].strip()
    assert (await row(database, "file")).status == OutboxStatus.SENT


@pytest.mark.skipif(
    shutil.which("soffice") is None and shutil.which("libreoffice") is None,
    reason="LibreOffice is not installed",
)
async def test_a_pdf_is_made_once_from_the_stored_docx_and_kept(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """The first PDF row converts the .docx and stores the PDF; the next one reuses it."""
    draft_id = await make_draft(database, small_docx())
    for key, chat in (("pdf-an", AN.id), ("pdf-binh", BINH.id)):
        report = ReportFile(draft_id, "pdf", "bao_cao.pdf", "Bản PDF")
        await queue(database, key, report, chat_id=chat, draft_id=draft_id)

    assert await make_sender().send_due() == 2

    [first] = api.messages_to(AN.id)
    [second] = api.messages_to(BINH.id)
    sent_first = api.document_bytes(first["document"]["file_id"])
    sent_second = api.document_bytes(second["document"]["file_id"])
    assert sent_first.startswith(b"%PDF")
    async with database.session() as session:
        draft = await session.get(Draft, draft_id)
        assert draft is not None
        assert draft.pdf == sent_first == sent_second  # converted once, then read back
    assert first["document"]["file_name"] == "bao_cao.pdf"


async def test_a_missing_version_fails_the_row_for_good(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """A file row whose version does not exist is FAILED, and the chat's next row still goes."""
    await queue(database, "gone", ReportFile(987_654, "docx", "x.docx"), chat_id=AN.id)
    await queue(database, "next", Text("tiếp theo"), chat_id=AN.id)
    sender = make_sender()

    await drain(sender, database)

    gone = await row(database, "gone")
    assert gone.status == OutboxStatus.FAILED
    assert gone.last_error == "version 987654 does not exist"
    assert api.calls("sendDocument") == []
    assert texts(api, AN.id) == ["tiếp theo"]


# ------------------------------------------------------------------------------ order and retries


async def test_a_chat_receives_its_rows_in_queue_order_after_a_retry(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """A 502 on a chat's first row holds its later rows back but not another chat's row."""
    for n in (1, 2, 3):
        await queue(database, f"an-{n}", Text(f"tin {n}"), chat_id=AN.id)
    await queue(database, "binh", Text("tin cho Bình"), chat_id=BINH.id)
    api.fail_next("sendMessage", status=502)
    sender = make_sender(first_retry_s=0.3)

    assert await sender.send_due() == 1
    assert texts(api, AN.id) == []
    assert texts(api, BINH.id) == ["tin cho Bình"]
    # While the first row waits out its backoff, the rows behind it wait too.
    assert await sender.send_due() == 0
    assert texts(api, AN.id) == []

    await drain(sender, database)

    assert texts(api, AN.id) == ["tin 1", "tin 2", "tin 3"]
    assert [(c.params["text"], c.error is None) for c in calls_to(api, AN.id)] == [
        ("tin 1", False),
        ("tin 1", True),
        ("tin 2", True),
        ("tin 3", True),
    ]
    assert texts(api, BINH.id) == ["tin cho Bình"]
    stored = await rows(database)
    assert [stored[f"an-{n}"].attempts for n in (1, 2, 3)] == [2, 1, 1]
    assert {r.status for r in stored.values()} == {OutboxStatus.SENT}


async def test_a_429_pauses_all_sending_and_keeps_the_rows_queued(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """RetryAfter: the row and the rest of the batch wait retry_after, then each goes once."""
    for user in (AN, BINH, CHI):
        await queue(database, user.first_name, Text(f"Chào {user.first_name}"), chat_id=user.id)
    api.fail_next("sendMessage", status=429, retry_after=1)
    # The 429 is back before the next slot: sends are 200 ms apart here (at 50 ms, a loaded
    # CI machine on PostgreSQL once sent the second row before the 429 came back).
    sender = make_sender(pacer=Pacer(per_second=5, per_chat_per_second=1000))

    before = utc_now()
    assert await sender.send_due() == 0
    after = utc_now()

    stored = await rows(database)
    limited = stored["An"]
    assert limited.status == OutboxStatus.PENDING
    assert limited.attempts == 1
    assert limited.last_error == "429: retry after 1 s"
    assert seconds_ahead(limited.not_before, before) >= 1.0
    assert seconds_ahead(limited.not_before, after) <= 1.0
    for key in ("Bình", "Chi"):
        waiting = stored[key]
        assert waiting.status == OutboxStatus.PENDING
        assert waiting.attempts == 0  # the claim's attempt was given back
        assert waiting.last_error == "waiting out a 429"
        assert seconds_ahead(waiting.not_before, before) >= 0.8
        assert seconds_ahead(waiting.not_before, after) <= 1.0
    # During the pause nothing goes, not even a row queued now for another chat.
    await queue(database, "group", Text("Cho nhóm"), chat_id=OFFICE_GROUP_ID)
    assert await sender.send_due() == 0
    assert len(api.calls("sendMessage")) == 1
    assert (await row(database, "group")).last_error is None  # not even claimed

    assert await drain(sender, database) == 4

    [refused] = [c for c in api.calls("sendMessage") if c.error]
    delivered = [c for c in api.calls("sendMessage") if c.error is None]
    assert refused.error is not None and refused.error[0] == 429
    assert sorted(c.params["chat_id"] for c in delivered) == sorted(
        [AN.id, BINH.id, CHI.id, OFFICE_GROUP_ID]
    )
    assert min(c.at for c in delivered) - refused.at >= 0.95
    stored = await rows(database)
    assert [stored[k].attempts for k in ("An", "Bình", "Chi", "group")] == [2, 1, 1, 1]


async def test_5xx_errors_are_retried_with_growing_backoff(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """500 then 502: the row retries after ~first_retry_s, then ~twice that, and goes once."""
    await queue(database, "row", Text("Thử lại"), chat_id=AN.id)
    api.fail_next("sendMessage", status=500)
    api.fail_next("sendMessage", status=502)
    sender = make_sender(first_retry_s=0.2)

    delays = []
    errors = []
    for _ in range(2):
        before = utc_now()
        assert await sender.send_due() == 0
        after = utc_now()
        waiting = await row(database, "row")
        assert waiting.status == OutboxStatus.PENDING
        delays.append(
            (seconds_ahead(waiting.not_before, after), seconds_ahead(waiting.not_before, before))
        )
        errors.append(waiting.last_error)
        assert await sender.send_due() == 0  # not due yet
        await asyncio.sleep(seconds_ahead(waiting.not_before, utc_now()) + 0.01)

    assert await sender.send_due() == 1

    # Jitter is ±20 %: 0.16-0.24 s, then 0.32-0.48 s.
    (low1, high1), (low2, high2) = delays
    assert low1 <= 0.24 and high1 >= 0.16
    assert low2 <= 0.48 and high2 >= 0.32
    assert errors[0] == "NetworkError: Internal Server Error"
    assert errors[1] is not None and errors[1].startswith("NetworkError: Bad Gateway (502)")
    done = await row(database, "row")
    assert done.status == OutboxStatus.SENT
    assert done.attempts == 3
    assert done.last_error is None
    assert [c.error[0] if c.error else None for c in api.calls("sendMessage")] == [500, 502, None]
    assert texts(api, AN.id) == ["Thử lại"]


async def test_a_blocked_chat_marks_the_row_blocked_and_is_not_retried(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """403: the row is BLOCKED for good, and another chat's row is sent anyway."""
    api.block_user(AN.id)
    await queue(database, "an", Text("Cho An"), chat_id=AN.id)
    await queue(database, "binh", Text("Cho Bình"), chat_id=BINH.id)
    sender = make_sender()

    assert await sender.send_due() == 1
    await asyncio.sleep(0.15)  # longer than any retry backoff here
    assert await sender.send_due() == 0

    blocked = await row(database, "an")
    assert blocked.status == OutboxStatus.BLOCKED
    assert blocked.last_error is not None and "blocked" in blocked.last_error
    assert blocked.telegram_message_id is None
    assert len(calls_to(api, AN.id)) == 1
    assert texts(api, AN.id) == []
    assert texts(api, BINH.id) == ["Cho Bình"]
    assert (await row(database, "binh")).status == OutboxStatus.SENT


async def test_a_400_fails_the_row_for_good(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """400: the row is FAILED and never tried again; the chat's next row is not held up."""
    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    await queue(database, "first", Text("Thứ nhất"), chat_id=AN.id)
    await queue(database, "second", Text("Thứ hai"), chat_id=AN.id)
    sender = make_sender()

    assert await sender.send_due() == 0
    failed = await row(database, "first")
    assert failed.status == OutboxStatus.FAILED
    assert failed.last_error == "Chat not found"  # PTB drops "Bad Request: "
    await asyncio.sleep(0.15)
    assert await sender.send_due() == 1
    assert await sender.send_due() == 0

    assert [c.params["text"] for c in calls_to(api, AN.id)] == ["Thứ nhất", "Thứ hai"]
    assert texts(api, AN.id) == ["Thứ hai"]
    assert (await row(database, "first")).status == OutboxStatus.FAILED


# ------------------------------------------------------------------------------ restart, offices


async def test_a_row_left_sending_by_a_crash_is_sent_once_after_restart(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """A claimed but unsent row is not sent by a pass; a new sender's run sends it exactly once."""
    await queue(database, "row", Text("Sau khi khởi động lại"), chat_id=AN.id)
    async with database.session() as session:
        [claimed] = await claim_due(session=session, limit=10)
    assert (await row(database, "row")).status == OutboxStatus.SENDING
    assert await make_sender().send_due() == 0  # the old process's claim still holds it

    # On SQLite the restarted sender is the only one, so the row goes again at once.
    async with running(make_sender(only_sender=True)):
        await api.wait_for_message(AN.id, timeout=3)
        await asyncio.sleep(0.2)  # a second pass, had it happened, would show here

    assert texts(api, AN.id) == ["Sau khi khởi động lại"]
    assert len(api.calls("sendMessage")) == 1
    done = await row(database, "row")
    assert done.id == claimed.id
    assert done.status == OutboxStatus.SENT
    assert done.attempts == 2


async def test_a_starting_sender_leaves_another_senders_rows_alone_until_their_lease_ends(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """Several instances: a new one does not resend a row another is sending; a dead one's is."""
    await queue(database, "live", Text("Đang gửi"), chat_id=AN.id)
    await queue(database, "dead", Text("Bị bỏ dở"), chat_id=BINH.id)
    now = utc_now()
    async with database.session() as session:
        await claim_due(session=session, limit=10, now=now, owner="alive-elsewhere")
    async with database.session() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == "dead")
            .values(claimed_at=now - timedelta(minutes=5))
        )
    async with running(make_sender()):
        await api.wait_for_message(BINH.id, timeout=3)
        await asyncio.sleep(0.3)
    assert texts(api, BINH.id) == ["Bị bỏ dở"]
    assert texts(api, AN.id) == []
    assert (await row(database, "live")).status == OutboxStatus.SENDING


async def test_an_office_row_waits_for_the_office_chat_then_goes_there(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """No office chat: rows wait with an error; once the chat is set they go there, in order."""
    office_id = await make_office(database)
    await queue(database, "first", Text("Báo cáo 1"), office_id=office_id)
    await queue(database, "second", Text("Báo cáo 2"), office_id=office_id)
    sender = make_sender()

    before = utc_now()
    assert await sender.send_due() == 0
    stored = await rows(database)
    first, second = stored["first"], stored["second"]
    assert first.status == OutboxStatus.PENDING
    assert first.last_error == "the office has not registered a chat"
    assert seconds_ahead(first.not_before, before) >= NO_OFFICE_CHAT_RETRY.total_seconds() - 1
    assert second.status == OutboxStatus.PENDING
    assert second.attempts == 0  # held behind the first, never claimed
    assert api.calls("sendMessage") == []

    async with database.session() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == first.id).values(not_before=utc_now())
        )
        office = await session.get(Unit, office_id)
        assert office is not None
        office.telegram_chat_id = OFFICE_GROUP_ID

    await drain(sender, database)

    assert texts(api, OFFICE_GROUP_ID) == ["Báo cáo 1", "Báo cáo 2"]
    stored = await rows(database)
    assert stored["first"].chat_id is None  # the chat is looked up, not written into the row
    assert {r.status for r in stored.values()} == {OutboxStatus.SENT}


async def test_after_sent_runs_once_per_sent_row_inside_the_marking_transaction(
    api: LocalBotApi,
    database: Database,
    database_url: str,
    make_sender: Callable[..., OutboxSender],
) -> None:
    """The hook sees its row SENT in its session while other connections still see SENDING."""
    seen: list[tuple[str, OutboxStatus, OutboxStatus | None, bool]] = []
    observer = Database(database_url)

    async def after_sent(session: AsyncSession, sent: OutboxMessage) -> None:
        inside = await session.scalar(
            select(OutboxMessage.status).where(OutboxMessage.id == sent.id)
        )
        async with observer.session() as other:
            outside = await other.scalar(
                select(OutboxMessage.status).where(OutboxMessage.id == sent.id)
            )
        seen.append((sent.key, sent.status, outside, session.in_transaction()))
        assert inside == OutboxStatus.SENT

    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    await queue(database, "refused", Text("Bị từ chối"), chat_id=AN.id)
    await queue(database, "binh", Text("Cho Bình"), chat_id=BINH.id)
    await queue(database, "chi", Text("Cho Chi"), chat_id=CHI.id)
    sender = make_sender(after_sent=after_sent)
    try:
        await drain(sender, database)
        assert await sender.send_due() == 0
    finally:
        await observer.dispose()

    # Rows of different chats are in flight together, so the order of the two may vary.
    assert sorted(seen) == [
        ("binh", OutboxStatus.SENT, OutboxStatus.SENDING, True),
        ("chi", OutboxStatus.SENT, OutboxStatus.SENDING, True),
    ]
    assert (await row(database, "refused")).status == OutboxStatus.FAILED


# ------------------------------------------------------------------------------ concurrency


async def test_two_senders_send_every_row_exactly_once(
    api: LocalBotApi, database: Database, database_url: str
) -> None:
    """Two senders on two connection pools, 30 chats: each chat gets its one message once."""
    users = [FakeUser(id=500_000 + n, first_name=f"Người {n}") for n in range(30)]
    for user in users:
        api.send_message(user, "hi")
        await queue(database, f"u{user.id}", Text(f"Chào {user.first_name}"), chat_id=user.id)
    office_id = await make_office(database)
    second_database = Database(database_url)
    bots = [new_bot(api), new_bot(api)]
    for client in bots:
        await client.initialize()
    senders = [
        OutboxSender(
            bots[0], database, ReportFiles(database), first_retry_s=0.05, pacer=Pacer(1000, 1000)
        ),
        OutboxSender(
            bots[1],
            second_database,
            ReportFiles(second_database),
            first_retry_s=0.05,
            pacer=Pacer(1000, 1000),
        ),
    ]
    errors: list[BaseException] = []
    try:
        # Start both passes together: while this transaction holds a write (SQLite's one writer
        # lock; on PostgreSQL an unrelated row), both senders read the queue before either
        # can write its claim.
        async with database.session() as gate:
            await gate.execute(update(Unit).where(Unit.id == office_id).values(name="Sở"))
            passes = [asyncio.create_task(sender.send_due()) for sender in senders]
            await asyncio.sleep(0.3)
        for _ in range(20):
            results = await asyncio.gather(*passes, return_exceptions=True)
            errors.extend(r for r in results if isinstance(r, BaseException))
            async with database.session() as session:
                if await unsent_count(session=session) == 0:
                    break
            passes = [asyncio.create_task(sender.send_due()) for sender in senders]
    finally:
        for client in bots:
            await client.shutdown()
        await second_database.dispose()

    assert errors == []
    per_chat = {user.id: len(calls_to(api, user.id)) for user in users}
    assert per_chat == {user.id: 1 for user in users}, "a row was sent twice, or not at all"
    assert {r.status for r in (await rows(database)).values()} == {OutboxStatus.SENT}


# ------------------------------------------------------------------------------ the run loop


async def test_run_stops_promptly_when_told(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """run() ends within a fraction of a second of the stop event, even during a 429 pause."""
    await queue(database, "row", Text("Bị giới hạn"), chat_id=AN.id)
    api.fail_next("sendMessage", status=429, retry_after=30)
    sender = make_sender()
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    await api.wait_for_call("sendMessage", timeout=3)
    await asyncio.sleep(0.1)  # now idling in the 30 s pause

    stopped_at = time.monotonic()
    stop.set()
    await asyncio.wait_for(task, timeout=3)

    # Far inside the 30 s pause; the slack is for a busy CI machine.
    assert time.monotonic() - stopped_at < 2
    assert (await row(database, "row")).status == OutboxStatus.PENDING


async def test_wake_sends_a_just_queued_row_without_waiting_for_the_idle_tick(
    api: LocalBotApi,
    database: Database,
    make_sender: Callable[..., OutboxSender],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a long idle tick a new row waits, and wake() makes the loop send it at once."""
    monkeypatch.setattr(outbox_module, "IDLE_S", 30.0)
    sender = make_sender()
    async with running(sender):
        await asyncio.sleep(0.1)  # the loop has found nothing and is idling
        await queue(database, "quiet", Text("Không đánh thức"), chat_id=AN.id)
        await asyncio.sleep(0.4)
        assert texts(api, AN.id) == []  # without wake() it waits for the tick

        woken_at = time.monotonic()
        sender.wake()
        await api.wait_for_message(AN.id, timeout=3)
        assert time.monotonic() - woken_at < 2  # not the 30 s tick; slack for a busy machine

        await queue(database, "loud", Text("Đánh thức"), chat_id=BINH.id)
        woken_at = time.monotonic()
        sender.wake()
        await api.wait_for_message(BINH.id, timeout=3)
        assert time.monotonic() - woken_at < 2
    assert texts(api, AN.id) == ["Không đánh thức"]
    assert texts(api, BINH.id) == ["Đánh thức"]


# ------------------------------------------------------------------------------ known bugs


@pytest.mark.parametrize("trigger", ["unreadable payload", "after_sent raises"])
async def test_one_failing_row_does_not_strand_the_rest_of_its_batch(
    trigger: str,
    api: LocalBotApi,
    database: Database,
    make_sender: Callable[..., OutboxSender],
) -> None:
    """An unexpected error on one row must not keep other chats' rows from going out."""
    raised = []

    async def after_sent(session: AsyncSession, sent: OutboxMessage) -> None:
        if trigger == "after_sent raises" and not raised:
            raised.append(sent.key)
            raise RuntimeError("the hook's database work failed")

    if trigger == "unreadable payload":
        await queue(database, "first", {"written by": "another version"}, chat_id=AN.id)
    else:
        await queue(database, "first", Text("Thứ nhất"), chat_id=AN.id)
    await queue(database, "binh", Text("Cho Bình"), chat_id=BINH.id)
    await queue(database, "chi", Text("Cho Chi"), chat_id=CHI.id)

    async with running(make_sender(after_sent=after_sent)):
        await asyncio.sleep(1.0)  # two idle ticks

    assert texts(api, BINH.id) == ["Cho Bình"]
    assert texts(api, CHI.id) == ["Cho Chi"]


async def test_backoff_after_many_attempts_is_capped_not_overflowing(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """A row that has waited many times still gets a capped backoff on a network error."""
    row_id = await queue(database, "old", Text("Đợi lâu"), chat_id=AN.id)
    async with database.session() as session:
        # What 1100 passes of "the office has not registered a chat" leave behind.
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(attempts=1100)
        )
    api.fail_next("sendMessage", status=502)
    sender = make_sender(max_retry_s=300.0)

    before = utc_now()
    assert await sender.send_due() == 0

    waiting = await row(database, "old")
    assert waiting.status == OutboxStatus.PENDING
    assert seconds_ahead(waiting.not_before, before) <= 300 * 1.2 + 1


async def test_a_group_upgraded_to_a_supergroup_is_not_retried_forever(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """Telegram's 'group chat was upgraded' answer ends the retries on the old chat id."""
    await queue(database, "report", Text("Báo cáo"), chat_id=OFFICE_GROUP_ID)
    real_send = api._handlers["sendMessage"]

    async def migrated(call: Any) -> Any:
        if call.params.get("chat_id") == OFFICE_GROUP_ID:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": -100_555_000},
            )
        return await real_send(call)

    api._handlers["sendMessage"] = migrated
    sender = make_sender()

    assert await sender.send_due() == 0
    await asyncio.sleep(0.2)
    await sender.send_due()

    # Either followed to the new chat or given up; not a third, fourth... try at the old id.
    assert (await row(database, "report")).status != OutboxStatus.PENDING
    assert len(calls_to(api, OFFICE_GROUP_ID)) == 1


async def test_a_wake_during_a_pass_is_not_lost(
    api: LocalBotApi,
    database: Database,
    make_sender: Callable[..., OutboxSender],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A row queued and woken for while a failing pass runs is sent right after that pass."""
    monkeypatch.setattr(outbox_module, "IDLE_S", 30.0)
    await queue(database, "slow", Text("Chậm"), chat_id=AN.id)
    api.set_delay("sendMessage", 0.4)
    api.fail_next("sendMessage", status=502)
    sender = make_sender(first_retry_s=60)
    async with running(sender):
        await asyncio.sleep(0.15)  # the pass is inside the slow, failing sendMessage
        await queue(database, "woken", Text("Đánh thức"), chat_id=BINH.id)
        sender.wake()
        api.set_delay("sendMessage", 0)
        with contextlib.suppress(AssertionError):
            await api.wait_for_message(BINH.id, timeout=1.0)

    assert texts(api, BINH.id) == ["Đánh thức"]


# ------------------------------------------------------------------------------ fewer repeats


async def until_claimed(database: Database, key: str, *, within: float = 3.0) -> OutboxMessage:
    """The row once a sender's claim on it is committed."""
    deadline = time.monotonic() + within
    while (found := await row(database, key)).status != OutboxStatus.SENDING:
        assert time.monotonic() < deadline, f"{key} was not claimed"
        await asyncio.sleep(0.01)
    return found


async def test_a_timed_out_office_report_is_resent_with_a_note_that_it_may_repeat(
    api: LocalBotApi, database: Database, make_sender: Callable[..., OutboxSender]
) -> None:
    """Telegram took the report but answered after the read timeout: the resend to the office
    says before its caption that it may repeat the earlier message; the first had no note."""
    office_id = await make_office(database, OFFICE_GROUP_ID)
    draft_id = await make_draft(database, small_docx())
    caption = "UBND xã Tân Quang · Báo cáo CCHC quý IV năm 2026 · Số 01/BC-UBND"
    report = ReportFile(draft_id, "docx", "bao_cao.docx", caption, BUTTONS)
    await queue(database, "report", report, office_id=office_id, draft_id=draft_id)
    api.set_delay("sendDocument", 0.8)
    sender = make_sender(document_read_timeout_s=0.3)

    assert await sender.send_due() == 0
    waiting = await row(database, "report")
    assert waiting.status == OutboxStatus.PENDING
    assert waiting.payload[MAYBE_DELIVERED] is True
    assert waiting.last_error is not None and waiting.last_error.startswith("TimedOut")
    api.set_delay("sendDocument", 0)
    await api.wait_for_message(OFFICE_GROUP_ID, timeout=3)  # the first one did arrive
    await drain(sender, database)

    first, second = api.messages_to(OFFICE_GROUP_ID)
    assert first["caption"] == caption
    assert second["caption"] == f"{vietnamese.MAYBE_REPEAT_NOTE}\n{caption}"
    assert second["reply_markup"] == INLINE_KEYBOARD
    done = await row(database, "report")
    assert (done.status, done.attempts) == (OutboxStatus.SENT, 2)
    assert done.telegram_message_id == second["message_id"]


async def test_a_refused_connection_is_not_taken_for_a_possible_repeat(
    database: Database, make_sender: Callable[..., OutboxSender], api: LocalBotApi
) -> None:
    """A 5xx means Telegram did not take it: the retry carries no note."""
    office_id = await make_office(database, OFFICE_GROUP_ID)
    draft_id = await make_draft(database, small_docx())
    report = ReportFile(draft_id, "docx", "bao_cao.docx", "Báo cáo")
    await queue(database, "report", report, office_id=office_id, draft_id=draft_id)
    api.fail_next("sendDocument", status=502)

    await drain(make_sender(), database)

    [document] = api.messages_to(OFFICE_GROUP_ID)
    assert document["caption"] == "Báo cáo"
    assert MAYBE_DELIVERED not in (await row(database, "report")).payload


async def test_documents_wait_longer_for_telegrams_answer_than_texts(
    api: LocalBotApi, database: Database
) -> None:
    """With a client whose read timeout is short, a slow text times out while an equally slow
    document is waited for (a report gets REPORT_READ_TIMEOUT_S) and goes once."""
    assert REPORT_READ_TIMEOUT_S >= 30
    client = Bot(
        token=api.token,
        base_url=f"{api.url}/bot",
        base_file_url=f"{api.url}/file/bot",
        request=HTTPXRequest(read_timeout=0.3),
    )
    await client.initialize()
    draft_id = await make_draft(database, small_docx())
    await queue(database, "text", Text("Chậm"), chat_id=AN.id)
    await queue(database, "file", ReportFile(draft_id, "docx", "bc.docx"), chat_id=BINH.id)
    api.set_delay("sendMessage", 0.8)
    api.set_delay("sendDocument", 0.8)
    sender = OutboxSender(
        client, database, ReportFiles(database), first_retry_s=60, pacer=Pacer(1000, 1000)
    )
    try:
        assert await sender.send_due() == 1
    finally:
        await client.shutdown()

    assert (await row(database, "file")).status == OutboxStatus.SENT
    text = await row(database, "text")
    assert text.status == OutboxStatus.PENDING
    assert text.last_error is not None and text.last_error.startswith("TimedOut")
    assert len(calls_to(api, BINH.id, "sendDocument")) == 1


@pytest.mark.skipif(POSTGRES, reason="SQLite's single writer lock makes the database busy")
async def test_a_busy_database_while_recording_a_sent_message_does_not_send_it_again(
    api: LocalBotApi,
    database: Database,
    database_url: str,
    bot: Bot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Writing down that Telegram took a message meets a locked database: the write is tried
    again until it works; the message is not sent a second time."""
    monkeypatch.setattr(storage.db, "SQLITE_BUSY_TIMEOUT_MS", 100)
    impatient = Database(database_url)  # gives up on a lock after 0.1 s, not 10 s
    await queue(database, "row", Text("Đã gửi"), chat_id=AN.id)
    api.set_delay("sendMessage", 0.3)
    sender = OutboxSender(
        bot,
        impatient,
        ReportFiles(impatient),
        first_retry_s=0.05,
        record_retry_s=0.05,
        pacer=Pacer(1000, 1000),
    )
    try:
        passing = asyncio.create_task(sender.send_due())
        await until_claimed(database, "row")
        # While Telegram takes its 0.3 s to answer, another writer takes SQLite's write lock
        # and holds it well past the answer.
        async with database.session() as gate:
            await enqueue(
                session=gate, key="gate", purpose="test", payload={"text": "x"}, chat_id=BINH.id
            )
            await asyncio.sleep(1.0)
        assert await asyncio.wait_for(passing, timeout=5) == 1
    finally:
        await impatient.dispose()

    assert len(calls_to(api, AN.id)) == 1
    done = await row(database, "row")
    assert (done.status, done.attempts) == (OutboxStatus.SENT, 1)


async def test_a_live_senders_slow_send_is_not_taken_over_and_a_dead_ones_is_within_a_lease(
    api: LocalBotApi, database: Database, database_url: str, bot: Bot
) -> None:
    """Two instances with a 1.5 s lease: while one waits 2.5 s for Telegram, its heartbeat keeps
    the row its own, so the other never sends it; a row whose sender died (no heartbeat) is
    taken over once its lease has run out. The lease is long enough for a beat or two to be
    late on a loaded machine (a 0.6 s lease once lost its row in CI)."""
    lease = timedelta(seconds=1.5)
    await queue(database, "slow", Text("Chậm"), chat_id=AN.id)
    other_database = Database(database_url)
    other_bot = new_bot(api)
    await other_bot.initialize()
    options: dict[str, Any] = {"lease": lease, "first_retry_s": 0.05, "pacer": Pacer(1000, 1000)}
    sender = OutboxSender(bot, database, ReportFiles(database), **options)
    other = OutboxSender(other_bot, other_database, ReportFiles(other_database), **options)
    try:
        api.set_delay("sendMessage", 2.5)
        passing = asyncio.create_task(sender.send_due())
        assert (await until_claimed(database, "slow")).claimed_by == sender.owner
        deadline = time.monotonic() + 2.8
        while time.monotonic() < deadline:
            assert await other.send_due() == 0
            await asyncio.sleep(0.1)
        assert await passing == 1
        assert len(calls_to(api, AN.id)) == 1
        assert (await row(database, "slow")).claimed_by == sender.owner

        # A dead instance claimed this one just now and will never renew it.
        api.set_delay("sendMessage", 0)
        await queue(database, "orphan", Text("Bỏ dở"), chat_id=BINH.id)
        async with database.session() as session:
            await claim_due(session=session, limit=10, owner="dead", lease=lease)
        assert await other.send_due() == 0  # still within its lease
        await asyncio.sleep(1.6)
        assert await other.send_due() == 1
    finally:
        await other_bot.shutdown()
        await other_database.dispose()
    assert texts(api, BINH.id) == ["Bỏ dở"]
    assert (await row(database, "orphan")).claimed_by == other.owner


# ------------------------------------------------------------------------------ Zalo


async def test_messages_to_people_on_zalo_go_there_and_zalo_failures_read_as_telegrams(
    database: Database, make_sender: Callable[..., OutboxSender], api: LocalBotApi
) -> None:
    """The outbox asks, for each message to a person, which channel they wrote from last; on
    Zalo a flood or a 5xx is tried again, a refusal ends the row as blocked or failed, and a
    document, which Zalo cannot carry yet, fails rather than being reported delivered."""
    from channels.zalo.api import ZaloBotApi
    from channels.zalo.outlet import ZaloOutlet
    from conversations.duties import RESUME_CALLBACK
    from storage.contacts import bind_contact
    from storage.models import ChannelName
    from tests.factories import make_person
    from zalo_standin import ZaloStandIn

    async with ZaloStandIn() as zalo, ZaloBotApi(zalo.token, base_url=zalo.url) as zalo_api:
        on_zalo, gone = zalo.add_user("Hoa"), zalo.add_user("Bình")
        await zalo.send_text(on_zalo, "hi")  # a Zalo bot writes only to who wrote to it
        async with database.session() as session:
            unit = await make_unit(session)
            hoa = await make_person(session, unit=unit, telegram_user_id=AN.id)
            binh = await make_person(session, unit=unit, full_name="Trần Văn Bình")
            for person, user in ((hoa, on_zalo), (binh, gone)):
                await bind_contact(
                    session=session, person_id=person.id, channel="zalo", address=user.id
                )
            hoa.last_channel = ChannelName.ZALO
            for key, person, item in (
                (
                    "zalo:text",
                    hoa,
                    Text("Kỳ báo cáo đã mở", ((Action("▶️ Bắt đầu", RESUME_CALLBACK),),)),
                ),
                ("zalo:blocked", binh, Text("Nhắc nhở")),
                ("zalo:file", hoa, ReportFile(1, "docx", "bc.docx", caption="Dự thảo")),
                ("zalo:compiled", hoa, CompiledFile(1, "2026-Q4", "xlsx")),
            ):
                await enqueue(
                    session=session,
                    key=key,
                    purpose="notice",
                    payload=to_payload(item),
                    chat_id=person.telegram_user_id,
                    person_id=person.id,
                )
        zalo.fail_next("sendMessage", 429, "Too many requests")
        sender = make_sender(zalo=ZaloOutlet(zalo_api))
        for _ in range(20):
            await sender.send_due()
            async with database.session() as session:
                if not await unsent_count(session=session):
                    break
            await asyncio.sleep(0.1)
        async with database.session() as session:
            rows = {
                row.key: row
                for row in await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.key.like("zalo:%"))
                )
            }

    assert [m.text for m in zalo.messages_to(on_zalo)] == [
        "Kỳ báo cáo đã mở\n\nTrả lời bằng cách gõ:\n• «/baocao» — Bắt đầu",
        f"Dự thảo\n\n{vietnamese.ZALO_NO_FILE_YET}",
    ]
    assert rows["zalo:text"].status is OutboxStatus.SENT and rows["zalo:text"].attempts == 2
    assert rows["zalo:blocked"].status is OutboxStatus.BLOCKED
    assert rows["zalo:file"].status is OutboxStatus.SENT  # its caption, saying it is not a file
    assert rows["zalo:compiled"].status is OutboxStatus.FAILED
    assert not [c for c in api.calls("sendMessage") if str(c.params.get("chat_id")) == str(AN.id)]
