"""The outbox table's queue operations: enqueue, claim_due, release and the outcomes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from conversations.outgoing import Text, to_payload
from storage.db import Database
from storage.models import AuditEntry, OutboxMessage, OutboxStatus, Role, UnitKind, utc_now
from storage.outbox import (
    DEFAULT_LEASE,
    MAYBE_DELIVERED,
    Delivery,
    claim_due,
    delivery_of,
    enqueue,
    give_up,
    list_rows,
    mark_sent,
    release_in_flight,
    renew_claims,
    requeue,
    retry_later,
    unsent_count,
)
from tests.factories import make_person, make_unit

AN, BINH, CHI = 111_111, 222_222, 333_333


async def put(
    database: Database,
    key: str,
    *,
    chat_id: int | None = None,
    office_id: int | None = None,
    person_id: int | None = None,
) -> int:
    async with database.session() as session:
        assert await enqueue(
            session=session,
            key=key,
            purpose="test",
            payload=to_payload(Text(key)),
            chat_id=chat_id,
            office_id=office_id,
            person_id=person_id,
        )
        row_id = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key))
    assert row_id is not None
    return row_id


async def claim(database: Database, limit: int = 20) -> list[str]:
    async with database.session() as session:
        return [row.key for row in await claim_due(session=session, limit=limit)]


async def set_status(database: Database, key: str, status: OutboxStatus) -> None:
    async with database.session() as session:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.key == key).values(status=status)
        )


async def stored(database: Database, key: str) -> OutboxMessage:
    async with database.session() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    assert row is not None
    return row


# ------------------------------------------------------------------------------ enqueue


async def test_the_same_key_is_queued_once(database: Database) -> None:
    """A second enqueue with a key already queued returns False and adds nothing."""
    await put(database, "approved:7", chat_id=AN)
    async with database.session() as session:
        again = await enqueue(
            session=session,
            key="approved:7",
            purpose="test",
            payload=to_payload(Text("other text")),
            chat_id=BINH,
        )
    assert again is False
    async with database.session() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    assert (row.chat_id, row.payload["text"]) == (AN, "approved:7")
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)


async def test_a_row_needs_a_chat_an_office_or_a_person(database: Database) -> None:
    """enqueue with none of chat_id, office_id and person_id raises ValueError and writes
    nothing (a person without a chat is reached on another channel)."""
    async with database.session() as session:
        with pytest.raises(ValueError, match="a chat, an office or a person"):
            await enqueue(session=session, key="nowhere", purpose="test", payload={"text": "x"})
    async with database.session() as session:
        assert await unsent_count(session=session) == 0


async def test_two_transactions_queuing_one_key_leave_one_row(database: Database) -> None:
    """The unique key refuses the slower of two concurrent enqueues of the same message."""
    first = database.sessions()
    await first.begin()
    assert await enqueue(
        session=first, key="race", purpose="test", payload={"text": "1"}, chat_id=AN
    )

    async def second() -> bool:
        async with database.session() as session:
            return await enqueue(
                session=session, key="race", purpose="test", payload={"text": "2"}, chat_id=AN
            )

    racing = asyncio.create_task(second())
    await asyncio.sleep(0.2)  # the second has looked for the key, found none, and waits to write
    await first.commit()
    await first.close()
    with pytest.raises(IntegrityError):
        await racing
    async with database.session() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    assert row.payload == {"text": "1"}


# ------------------------------------------------------------------------------ claim_due


async def test_claim_takes_the_oldest_row_of_each_chat_and_office(database: Database) -> None:
    """One row per chat and per office, oldest first, each marked SENDING with attempts 1."""
    async with database.session() as session:
        office = await make_unit(session, kind=UnitKind.OFFICE)
        other_office = await make_unit(session, kind=UnitKind.OFFICE)
        office_id, other_office_id = office.id, other_office.id
    await put(database, "an-1", chat_id=AN)
    await put(database, "office-1", office_id=office_id)
    await put(database, "an-2", chat_id=AN)
    await put(database, "binh-1", chat_id=BINH)
    await put(database, "office-2", office_id=office_id)
    await put(database, "other-office-1", office_id=other_office_id)

    assert await claim(database) == ["an-1", "office-1", "binh-1", "other-office-1"]
    for key in ("an-1", "office-1", "binh-1", "other-office-1"):
        row = await stored(database, key)
        assert (row.status, row.attempts) == (OutboxStatus.SENDING, 1)
    for key in ("an-2", "office-2"):
        row = await stored(database, key)
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    # SENDING rows still hold their chats.
    assert await claim(database) == []


async def test_a_persons_messages_go_one_at_a_time_whatever_their_channel(
    database: Database,
) -> None:
    """Rows name the person, not a chat (the sender finds where they are): still one at a time,
    oldest first, and a row queued before 0011 with their Telegram chat holds the newer ones."""
    async with database.session() as session:
        commune = await make_unit(session)
        office = await make_unit(session, kind=UnitKind.OFFICE)
        an = await make_person(session, unit=commune, telegram_user_id=AN)
        binh = await make_person(session, unit=commune, telegram_user_id=None)
        an_id, binh_id, office_id = an.id, binh.id, office.id
    await put(database, "an-old", chat_id=AN, person_id=an_id)
    await put(database, "an-1", person_id=an_id)
    await put(database, "binh-1", person_id=binh_id)
    await put(database, "binh-2", person_id=binh_id)
    await put(database, "office", office_id=office_id)

    assert await claim(database) == ["an-old", "binh-1", "office"]
    for key in ("an-old", "binh-1", "office"):
        await set_status(database, key, OutboxStatus.SENT)
    assert await claim(database) == ["an-1", "binh-2"]


async def test_claim_respects_the_limit_and_the_order(database: Database) -> None:
    """With a limit, the oldest rows go first; the rest wait for the next claim."""
    for n, chat in enumerate((AN, BINH, CHI)):
        await put(database, f"row-{n}", chat_id=chat)
    assert await claim(database, limit=2) == ["row-0", "row-1"]
    assert await claim(database, limit=2) == ["row-2"]


async def test_a_row_not_yet_due_is_skipped_and_holds_its_chat(database: Database) -> None:
    """A PENDING row with a future not_before is not claimed, nor are later rows of its chat."""
    await put(database, "later", chat_id=AN)
    await put(database, "behind", chat_id=AN)
    await put(database, "other", chat_id=BINH)
    async with database.session() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == "later")
            .values(not_before=utc_now() + timedelta(minutes=5))
        )
    assert await claim(database) == ["other"]
    async with database.session() as session:
        due = [
            row.key
            for row in await claim_due(
                session=session,
                limit=20,
                now=utc_now() + timedelta(minutes=6),
                lease=timedelta(minutes=10),  # "other" is still being sent, not abandoned
            )
        ]
    assert due == ["later"]


async def test_a_row_claimed_past_its_lease_is_taken_over(database: Database) -> None:
    """A row another sender claimed and never finished is claimed again once its lease ends:
    within seconds by default, not minutes."""
    assert timedelta(seconds=5) <= DEFAULT_LEASE <= timedelta(seconds=30)
    await put(database, "stuck", chat_id=AN)
    await put(database, "after", chat_id=AN)
    claimed_at = utc_now()
    async with database.session() as session:
        [stuck] = await claim_due(session=session, limit=20, now=claimed_at, owner="dead")
    assert stuck.claimed_by == "dead"
    async with database.session() as session:
        within = await claim_due(
            session=session,
            limit=20,
            now=claimed_at + DEFAULT_LEASE - timedelta(seconds=1),
            owner="alive",
        )
    assert within == []  # still its first sender's, and it holds its chat's later row
    async with database.session() as session:
        taken = await claim_due(
            session=session,
            limit=20,
            now=claimed_at + DEFAULT_LEASE + timedelta(seconds=1),
            owner="alive",
        )
    assert [(row.key, row.claimed_by, row.attempts) for row in taken] == [("stuck", "alive", 2)]


async def test_a_renewed_claim_is_not_taken_over_and_only_its_owner_renews(
    database: Database,
) -> None:
    """renew_claims moves claimed_at of the owner's SENDING rows only; a renewed row outlives
    its first lease, and another sender's or a finished row is left as it was."""
    for key, chat in (("mine", AN), ("theirs", BINH), ("done", CHI)):
        await put(database, key, chat_id=chat)
    lease = timedelta(seconds=15)
    start = utc_now()
    async with database.session() as session:
        mine = await claim_due(session=session, limit=1, now=start, owner="me")
        theirs = await claim_due(session=session, limit=1, now=start, owner="other")
        done = await claim_due(session=session, limit=1, now=start, owner="me")
    ids = [mine[0].id, theirs[0].id, done[0].id]
    async with database.session() as session:
        await mark_sent(session=session, row_id=done[0].id, message_id=1)

    later = start + timedelta(seconds=10)
    async with database.session() as session:
        assert await renew_claims(session=session, row_ids=ids, owner="me", now=later) == 1
    assert (await stored(database, "mine")).claimed_at == later
    assert (await stored(database, "theirs")).claimed_at == start
    assert (await stored(database, "done")).claimed_at == start

    # 20 s after the claim: past the first lease, but not past the renewed one.
    async with database.session() as session:
        taken = await claim_due(
            session=session, limit=10, now=start + timedelta(seconds=20), lease=lease, owner="x"
        )
    assert [row.key for row in taken] == ["theirs"]
    async with database.session() as session:
        assert await renew_claims(session=session, row_ids=[], owner="me") == 0


@pytest.mark.parametrize("outcome", [OutboxStatus.SENT, OutboxStatus.BLOCKED, OutboxStatus.FAILED])
async def test_a_finished_row_no_longer_holds_its_chat(
    database: Database, outcome: OutboxStatus
) -> None:
    """Once the earlier row is SENT, BLOCKED or FAILED, the next one of the chat is claimed."""
    await put(database, "first", chat_id=AN)
    await put(database, "second", chat_id=AN)
    await set_status(database, "first", outcome)
    assert await claim(database) == ["second"]


async def test_release_in_flight_puts_sending_rows_back(database: Database) -> None:
    """Only SENDING rows return to PENDING; their count is returned."""
    for key, chat in (("a", AN), ("b", BINH), ("c", CHI)):
        await put(database, key, chat_id=chat)
    assert await claim(database, limit=2) == ["a", "b"]
    await set_status(database, "b", OutboxStatus.SENT)

    async with database.session() as session:
        assert await release_in_flight(session=session) == 1
    assert (await stored(database, "a")).status == OutboxStatus.PENDING
    assert (await stored(database, "b")).status == OutboxStatus.SENT
    assert (await stored(database, "a")).attempts == 1
    assert await claim(database) == ["a", "c"]


async def test_concurrent_claims_never_take_the_same_row(
    database: Database, database_url: str
) -> None:
    """Two claims in flight at once (two connection pools) get disjoint rows."""
    for n in range(6):
        await put(database, f"row-{n}", chat_id=500_000 + n)
    other = Database(database_url)
    try:
        first = database.sessions()
        await first.begin()
        taken_first = [row.key for row in await claim_due(session=first, limit=4)]

        async def second() -> list[str]:
            async with other.session() as session:
                return [row.key for row in await claim_due(session=session, limit=4)]

        racing = asyncio.create_task(second())
        await asyncio.sleep(0.2)  # the second claim has read the queue and waits to write
        await first.commit()
        await first.close()
        taken_second = await racing
    finally:
        await other.dispose()

    assert taken_first == ["row-0", "row-1", "row-2", "row-3"]
    assert not set(taken_first) & set(taken_second), (taken_first, taken_second)


# ------------------------------------------------------------------------------ outcomes


async def test_outcomes_are_written_on_the_row(database: Database) -> None:
    """mark_sent, retry_later and give_up set status, times, message id and a capped error."""
    for key, chat in (("sent", AN), ("retry", BINH), ("blocked", CHI)):
        await put(database, key, chat_id=chat)
    ids = {}
    async with database.session() as session:
        for row in await claim_due(session=session, limit=10):
            ids[row.key] = row.id
    before = utc_now()
    async with database.session() as session:
        await retry_later(
            session=session, row_id=ids["retry"], delay=timedelta(seconds=30), error="x" * 400
        )
        await give_up(
            session=session, row_id=ids["blocked"], status=OutboxStatus.BLOCKED, error="Forbidden"
        )
        await retry_later(session=session, row_id=ids["sent"], delay=timedelta(0), error="earlier")
        await mark_sent(session=session, row_id=ids["sent"], message_id=42)

    sent = await stored(database, "sent")
    assert (sent.status, sent.telegram_message_id, sent.last_error) == (OutboxStatus.SENT, 42, None)
    assert sent.sent_at is not None and sent.sent_at >= before
    retry = await stored(database, "retry")
    assert retry.status == OutboxStatus.PENDING
    assert retry.last_error == "x" * 300
    assert 29 <= (retry.not_before - before).total_seconds() <= 31
    blocked = await stored(database, "blocked")
    assert (blocked.status, blocked.last_error) == (OutboxStatus.BLOCKED, "Forbidden")
    async with database.session() as session:
        assert await unsent_count(session=session) == 1  # only "retry"


async def test_an_outcome_for_a_missing_row_is_an_error(database: Database) -> None:
    """Marking a row that does not exist raises LookupError."""
    async with database.session() as session:
        with pytest.raises(LookupError, match="outbox row 999"):
            await mark_sent(session=session, row_id=999, message_id=1)


async def test_a_retry_that_may_have_been_delivered_is_remembered_for_good(
    database: Database,
) -> None:
    """retry_later(maybe_delivered=True) marks the payload; a later plain retry keeps the mark."""
    await put(database, "slow", chat_id=AN)
    await claim(database)
    row_id = (await stored(database, "slow")).id
    async with database.session() as session:
        await retry_later(
            session=session,
            row_id=row_id,
            delay=timedelta(0),
            error="TimedOut: Timed out",
            maybe_delivered=True,
        )
    assert (await stored(database, "slow")).payload == {
        **to_payload(Text("slow")),
        MAYBE_DELIVERED: True,
    }
    await claim(database)
    async with database.session() as session:
        await retry_later(session=session, row_id=row_id, delay=timedelta(0), error="502")
    assert (await stored(database, "slow")).payload[MAYBE_DELIVERED] is True


def test_delivery_of_reads_the_office_messages_status() -> None:
    """Sent (or a delivered version) is delivered; unsent is waiting; refused is failed."""
    assert delivery_of(OutboxStatus.SENT) is Delivery.DELIVERED
    assert delivery_of(None, utc_now()) is Delivery.DELIVERED
    assert delivery_of(OutboxStatus.PENDING) is Delivery.WAITING
    assert delivery_of(OutboxStatus.SENDING) is Delivery.WAITING
    assert delivery_of(OutboxStatus.FAILED) is Delivery.FAILED
    assert delivery_of(OutboxStatus.BLOCKED) is Delivery.FAILED
    assert delivery_of(None) is None


# ------------------------------------------------------------------------------ list and requeue


async def test_list_rows_filters_by_status_names_the_recipient_and_keeps_the_newest(
    database: Database,
) -> None:
    async with database.session() as session:
        office = await make_unit(session, name="Sở Nội vụ", kind=UnitKind.OFFICE, code="SNV")
        commune = await make_unit(session)
        person = await make_person(
            session, unit=commune, role=Role.CHAIRMAN, full_name="Lê Văn Cường", telegram_user_id=AN
        )
        for key in ("to-office", "to-person", "to-chat", "later"):
            await enqueue(
                session=session,
                key=key,
                purpose="test",
                payload=to_payload(Text(key)),
                chat_id=CHI if key in ("to-chat", "later") else None,
                office_id=office.id if key == "to-office" else None,
                person_id=person.id if key == "to-person" else None,
            )
    for key in ("to-office", "to-person", "to-chat"):
        await set_status(database, key, OutboxStatus.FAILED)

    async with database.session() as session:
        failed, total = await list_rows(session=session, statuses=[OutboxStatus.FAILED])
        newest, _ = await list_rows(session=session, statuses=[OutboxStatus.FAILED], limit=2)
        pending, _ = await list_rows(session=session, statuses=[OutboxStatus.PENDING])
    assert total == 3
    assert [(row.key, row.to) for row in failed] == [
        ("to-office", "office SNV (Sở Nội vụ)"),
        ("to-person", "Lê Văn Cường"),
        ("to-chat", f"chat {CHI}"),
    ]
    assert [row.key for row in newest] == ["to-person", "to-chat"]
    assert [row.key for row in pending] == ["later"]


async def test_requeue_puts_failed_and_blocked_rows_back_and_refuses_the_rest(
    database: Database,
) -> None:
    """Failed/blocked rows go back due now with a fresh count; sent, waiting and missing ones
    are refused with a reason; --all-failed takes failed rows only; each is audited."""
    ids = {}
    for key, chat in (("failed", AN), ("blocked", BINH), ("sent", CHI), ("waiting", 444_444)):
        ids[key] = await put(database, key, chat_id=chat)
    await claim(database)
    async with database.session() as session:
        await give_up(
            session=session,
            row_id=ids["failed"],
            status=OutboxStatus.FAILED,
            error="Chat not found",
        )
        await give_up(
            session=session, row_id=ids["blocked"], status=OutboxStatus.BLOCKED, error="Forbidden"
        )
        await mark_sent(session=session, row_id=ids["sent"], message_id=5)
        await retry_later(session=session, row_id=ids["waiting"], delay=timedelta(0), error="502")

    before = utc_now()
    async with database.session() as session:
        result = await requeue(
            session=session, row_ids=[ids["failed"], ids["sent"], ids["waiting"], 999]
        )
    assert result.requeued == [ids["failed"]]
    assert result.refused == {
        ids["sent"]: "already sent; requeuing it would deliver it twice",
        ids["waiting"]: "already waiting to be sent",
        999: "no such message",
    }
    again = await stored(database, "failed")
    assert (again.status, again.attempts, again.claimed_by) == (OutboxStatus.PENDING, 0, None)
    assert again.not_before >= before
    assert again.last_error == "requeued by cli (was failed: Chat not found)"
    assert await claim(database) == ["failed", "waiting"]

    async with database.session() as session:
        await give_up(session=session, row_id=ids["failed"], status=OutboxStatus.FAILED, error="x")
        everything = await requeue(session=session, all_failed=True)
        blocked = await requeue(session=session, row_ids=[ids["blocked"]])
    assert everything.requeued == [ids["failed"]]  # not "blocked": only failed rows
    assert blocked.requeued == [ids["blocked"]]
    assert (await stored(database, "blocked")).status == OutboxStatus.PENDING
    async with database.session() as session:
        audited = list(
            await session.scalars(
                select(AuditEntry.entity_id).where(AuditEntry.action == "outbox.requeued")
            )
        )
    assert audited == [ids["failed"], ids["failed"], ids["blocked"]]
