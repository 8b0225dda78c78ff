"""The outbox: messages for other people, written in the transaction that decided to send them.

A row is queued once (its key is unique), claimed by the sender, and marked with the outcome.
Rows for one chat go out in the order they were queued.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import OutboxMessage, OutboxStatus, utc_now

UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING)


async def enqueue(
    *,
    session: AsyncSession,
    key: str,
    purpose: str,
    payload: dict[str, Any],
    chat_id: int | None = None,
    office_id: int | None = None,
    person_id: int | None = None,
    draft_id: int | None = None,
) -> bool:
    """Queue a message unless one with this key exists; True if it was queued now."""
    if chat_id is None and office_id is None:
        raise ValueError("a message needs a chat or an office to go to")
    if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return False
    session.add(
        OutboxMessage(
            key=key,
            purpose=purpose,
            payload=payload,
            chat_id=chat_id,
            office_id=office_id,
            person_id=person_id,
            draft_id=draft_id,
        )
    )
    # The unique key settles a race with another transaction queuing the same message.
    await session.flush()
    return True


DEFAULT_LEASE = timedelta(minutes=2)


async def claim_due(
    *,
    session: AsyncSession,
    limit: int,
    now: datetime | None = None,
    owner: str = "",
    lease: timedelta = DEFAULT_LEASE,
) -> list[OutboxMessage]:
    """Take due rows for sending: each the oldest unsent one of its chat, marked SENDING.

    A row another sender claimed more than `lease` ago is taken over: that sender died (a send,
    pacing included, takes seconds; the lease is minutes).
    """
    now = now or utc_now()
    claimable = or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - lease),
    )
    earlier = aliased(OutboxMessage)
    # Two tests rather than one with OR, so each uses its (chat_id, id) or (office_id, id) index.
    earlier_to_chat = exists().where(
        earlier.chat_id == OutboxMessage.chat_id,
        earlier.id < OutboxMessage.id,
        earlier.status.in_(UNSENT),
    )
    earlier_to_office = exists().where(
        earlier.office_id == OutboxMessage.office_id,
        earlier.id < OutboxMessage.id,
        earlier.status.in_(UNSENT),
    )
    candidates = list(
        (
            await session.scalars(
                select(OutboxMessage.id)
                .where(
                    claimable,
                    ~earlier_to_chat,
                    ~earlier_to_office,
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
                # Another instance skips rows this one holds rather than waiting for them.
                .with_for_update(skip_locked=True, of=OutboxMessage)
            )
        ).all()
    )
    if not candidates:
        return []
    # Conditional, so a row another sender took meanwhile is not taken twice (SQLite has no row
    # locks, and its read above may predate the other sender's commit).
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), claimable)
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            claimed_by=owner,
            claimed_at=now,
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(result.scalars().all(), key=lambda row: row.id)


async def release_in_flight(*, session: AsyncSession) -> int:
    """At the start of the only sender (SQLite): rows left SENDING by a crash go back to the queue.

    Telegram may or may not have shown such a message; sending again risks a repeat, while not
    sending risks a loss, and a lost report is worse. The window is one HTTP call long. With
    several instances (PostgreSQL) this is not called: a row left SENDING is taken over when its
    lease runs out, since another instance may be sending it right now.
    """
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _row(session: AsyncSession, row_id: int) -> OutboxMessage:
    row = await session.get(OutboxMessage, row_id, populate_existing=True)
    if row is None:
        raise LookupError(f"outbox row {row_id} does not exist")
    return row


async def mark_sent(*, session: AsyncSession, row_id: int, message_id: int | None) -> OutboxMessage:
    row = await _row(session, row_id)
    row.status = OutboxStatus.SENT
    row.sent_at = utc_now()
    row.telegram_message_id = message_id
    row.last_error = None
    await session.flush()
    return row


async def retry_later(
    *,
    session: AsyncSession,
    row_id: int,
    delay: timedelta,
    error: str,
    refund_attempt: bool = False,
) -> None:
    """Back to the queue after `delay`; `refund_attempt` when it was not tried (only waited)."""
    row = await _row(session, row_id)
    if refund_attempt:
        row.attempts = max(row.attempts - 1, 0)
    row.status = OutboxStatus.PENDING
    row.not_before = utc_now() + delay
    row.last_error = error[:300]
    await session.flush()


async def give_up(
    *, session: AsyncSession, row_id: int, status: OutboxStatus, error: str
) -> OutboxMessage:
    row = await _row(session, row_id)
    row.status = status
    row.last_error = error[:300]
    await session.flush()
    return row


async def unsent_count(*, session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(UNSENT))
    )
    return int(count or 0)
