"""The outbox: messages for other people, written in the transaction that decided to send them.

A row is queued once (its key is unique), claimed by the sender, and marked with the outcome.
Rows for one chat go out in the order they were queued.

**Leases.** A claim is a lease: the row is SENDING, with who took it (`claimed_by`) and when
(`claimed_at`). The sender renews the lease of every row it holds (`renew_claims`) every third
of the lease while the row is in flight: waiting for its pacing slot, uploading, waiting for
Telegram's answer, writing the outcome down. A row whose lease was not renewed for a whole
lease belonged to an instance that died, and another instance takes it over (`claim_due`).
So the lease can be short (`DEFAULT_LEASE`, 15 s) without a slow upload being taken over: a
dead instance's rows go out again within seconds, while a live one's are never sent twice. This
was chosen over a long lease with no heartbeat (a dead instance's messages waited minutes) and
over a per-send lease sized for the slowest upload (a 600 s .zip would hold its chat for ten
minutes). The cost is one UPDATE per sender every few seconds while it sends. Instances compare
their own clocks with `claimed_at`, so their clocks must agree to well within a lease (NTP).

**Failed for good.** BLOCKED (403) and FAILED (400, an unreadable row, a file that cannot be
made) rows stay in the table; `baocao outbox list` shows them and `baocao outbox retry`
(`requeue`) puts them back in the queue once the cause is fixed.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Subquery, and_, exists, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import audit
from storage.db import Database
from storage.models import ChannelName, OutboxMessage, OutboxStatus, Person, Unit, utc_now

logger = logging.getLogger(__name__)

UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING)
GIVEN_UP = (OutboxStatus.FAILED, OutboxStatus.BLOCKED)

# The approved report's .docx to the receiving office: the message that makes a round delivered
# (the approval workflow queues it under this purpose; its .pdf copy is "office_copy").
OFFICE_DELIVERY = "office_delivery"
# Set in a row's payload when a try may have reached Telegram although no answer came back
# (the answer timed out): a resend may then be a repeat, and says so where it matters.
MAYBE_DELIVERED = "maybe_delivered"


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
    not_before: datetime | None = None,
) -> bool:
    """Queue a message unless one with this key exists; True if it was queued now.

    `not_before` holds it back (a reply's safety net, see `mark_sent_as_reply`); meanwhile later
    messages to the same chat wait behind it, so the order a person reads stays the order queued.
    """
    if chat_id is None and office_id is None and person_id is None:
        # A person or an office is reached where they are when it is sent (the sender asks);
        # a bare chat id is for a group's own notice.
        raise ValueError("a message needs a chat, an office or a person to go to")
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
            **({"not_before": not_before} if not_before is not None else {}),
        )
    )
    # The unique key settles a race with another transaction queuing the same message.
    await session.flush()
    return True


DEFAULT_LEASE = timedelta(seconds=15)


async def claim_due(
    *,
    session: AsyncSession,
    limit: int,
    now: datetime | None = None,
    owner: str = "",
    lease: timedelta = DEFAULT_LEASE,
) -> list[OutboxMessage]:
    """Take due rows for sending: each the oldest unsent one of its chat, marked SENDING.

    A row whose claim was last renewed more than `lease` ago is taken over: the sender that
    held it died (a live one renews its claims every third of the lease; see the module's doc).
    """
    now = now or utc_now()
    claimable = or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - lease),
    )
    earlier = aliased(OutboxMessage)
    # Separate tests rather than one with OR, so each uses its (chat_id, id), (office_id, id) or
    # (person_id, id) index. A person's messages keep their order whichever channel they go to.
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
    earlier_to_person = exists().where(
        earlier.person_id == OutboxMessage.person_id,
        OutboxMessage.office_id.is_(None),
        earlier.office_id.is_(None),
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
                    ~earlier_to_person,
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


async def renew_claims(
    *,
    session: AsyncSession,
    row_ids: Iterable[int],
    owner: str,
    now: datetime | None = None,
) -> int:
    """The heartbeat: rows `owner` still holds (SENDING, claimed by it) are claimed again now.

    A row another sender took over meanwhile, or whose outcome is written, is left alone.
    Returns how many rows were renewed.
    """
    ids = list(row_ids)
    if not ids:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_by == owner,
        )
        .values(claimed_at=now or utc_now())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _row(session: AsyncSession, row_id: int) -> OutboxMessage:
    row = await session.get(OutboxMessage, row_id, populate_existing=True)
    if row is None:
        raise LookupError(f"outbox row {row_id} does not exist")
    return row


async def mark_sent(
    *,
    session: AsyncSession,
    row_id: int,
    message_id: int | None,
    channel: str = ChannelName.TELEGRAM,
) -> OutboxMessage:
    row = await _row(session, row_id)
    row.status = OutboxStatus.SENT
    row.sent_at = utc_now()
    row.channel = str(channel)
    row.telegram_message_id = message_id
    row.last_error = None
    await session.flush()
    return row


async def mark_sent_as_reply(
    *,
    session: AsyncSession,
    key: str,
    message_id: int | None,
    channel: str = ChannelName.TELEGRAM,
) -> bool:
    """A message queued, held back, as the safety net of a reply went as that reply: mark it
    sent, unless the sender has taken it already (then it goes twice rather than never)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.key == key, OutboxMessage.status == OutboxStatus.PENDING)
        .values(
            status=OutboxStatus.SENT,
            sent_at=utc_now(),
            channel=str(channel),
            telegram_message_id=message_id,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def retry_later(
    *,
    session: AsyncSession,
    row_id: int,
    delay: timedelta,
    error: str,
    refund_attempt: bool = False,
    maybe_delivered: bool = False,
) -> None:
    """Back to the queue after `delay`; `refund_attempt` when it was not tried (only waited);
    `maybe_delivered` when the try may have reached Telegram (kept on the row for good)."""
    row = await _row(session, row_id)
    if refund_attempt:
        row.attempts = max(row.attempts - 1, 0)
    if maybe_delivered and not row.payload.get(MAYBE_DELIVERED):
        row.payload = {**row.payload, MAYBE_DELIVERED: True}  # a new dict: JSON is not tracked
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


def maybe_delivered(row: OutboxMessage) -> bool:
    """An earlier try of this row may have reached Telegram (its answer timed out)."""
    return bool(row.payload.get(MAYBE_DELIVERED))


# ----- where a report to the office stands -----------------------------------------------------


class Delivery(enum.StrEnum):
    """Where a report's message to the receiving office stands."""

    DELIVERED = "delivered"  # Telegram took it
    WAITING = "waiting"  # queued, being sent, or retrying after an error
    FAILED = "failed"  # refused for good (400, 403, ...): a person has to act


def delivery_of(
    status: OutboxStatus | None, delivered_at: datetime | None = None
) -> Delivery | None:
    """The delivery of an approved version from its office message's status (None: no message
    was queued, e.g. the commune has no receiving office, or it was approved before outboxes)."""
    if delivered_at is not None or status is OutboxStatus.SENT:
        return Delivery.DELIVERED
    if status in UNSENT:
        return Delivery.WAITING
    if status in GIVEN_UP:
        return Delivery.FAILED
    return None


def office_deliveries() -> Subquery:
    """(draft_id, status) of each version's message to its office, to outer-join on a version."""
    return (
        select(OutboxMessage.draft_id, OutboxMessage.status)
        .where(OutboxMessage.purpose == OFFICE_DELIVERY, OutboxMessage.draft_id.is_not(None))
        .subquery()
    )


# ----- for the administrator: list and requeue ----------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """One outbox row as `baocao outbox list` shows it."""

    id: int
    key: str
    purpose: str
    status: OutboxStatus
    attempts: int
    created_at: datetime
    not_before: datetime
    sent_at: datetime | None
    last_error: str | None
    # "office SNV-33 (Sở Nội vụ)", "Lê Văn Cường", "Lê Văn Cường (on zalo)", "chat 123"
    to: str


async def list_rows(
    *, session: AsyncSession, statuses: Sequence[OutboxStatus], limit: int = 100
) -> tuple[list[Listed], int]:
    """The newest `limit` rows with one of `statuses`, oldest first, and how many there are."""
    total = await session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(statuses))
    )
    found = (
        await session.execute(
            select(OutboxMessage, Unit.code, Unit.name, Person.full_name)
            .outerjoin(Unit, Unit.id == OutboxMessage.office_id)
            .outerjoin(Person, Person.id == OutboxMessage.person_id)
            .where(OutboxMessage.status.in_(statuses))
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    ).all()
    listed = []
    for row, office_code, office_name, person_name in reversed(found):
        if row.office_id is not None:
            to = f"office {office_code} ({office_name})"
        elif person_name is not None:
            to = person_name if row.channel is None else f"{person_name} (on {row.channel})"
        else:
            to = f"chat {row.chat_id}"
        listed.append(
            Listed(
                id=row.id,
                key=row.key,
                purpose=row.purpose,
                status=row.status,
                attempts=row.attempts,
                created_at=row.created_at,
                not_before=row.not_before,
                sent_at=row.sent_at,
                last_error=row.last_error,
                to=to,
            )
        )
    return listed, int(total or 0)


@dataclass(frozen=True)
class Requeued:
    requeued: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # row id: why not


async def requeue(
    *,
    session: AsyncSession,
    row_ids: Sequence[int] = (),
    all_failed: bool = False,
    actor: str = "cli",
) -> Requeued:
    """Put failed or blocked rows back in the queue, due now, with a fresh count of attempts.

    `all_failed` takes every FAILED row (not BLOCKED ones: those wait for a person to unblock
    the bot, so each is requeued by its id). A row already sent is never requeued: it would
    arrive twice. Each requeued row is written to the audit log.
    """
    wanted = list(dict.fromkeys(row_ids))
    query = select(OutboxMessage).order_by(OutboxMessage.id).with_for_update()
    if all_failed:
        query = query.where(
            or_(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.id.in_(wanted))
        )
    else:
        query = query.where(OutboxMessage.id.in_(wanted))
    rows = {row.id: row for row in await session.scalars(query)}
    result = Requeued()
    for row_id in wanted:
        if row_id not in rows:
            result.refused[row_id] = "no such message"
    now = utc_now()
    for row in rows.values():
        if row.status is OutboxStatus.SENT:
            result.refused[row.id] = "already sent; requeuing it would deliver it twice"
            continue
        if row.status in UNSENT:
            result.refused[row.id] = "already waiting to be sent"
            continue
        before = f"{row.status.value}: {row.last_error or ''}".rstrip(": ")
        row.status = OutboxStatus.PENDING
        row.not_before = now
        row.attempts = 0
        row.claimed_by = None
        row.claimed_at = None
        row.last_error = f"requeued by {actor} (was {before})"[:300]
        result.requeued.append(row.id)
        await audit.record(
            session=session,
            action="outbox.requeued",
            entity_type="outbox",
            entity_id=row.id,
            actor_label=actor,
            details={"key": row.key, "was": before},
        )
    await session.flush()
    return result


async def settle_reply_copy(
    database: Database, key: str, message_id: int | None, channel: str = ChannelName.TELEGRAM
) -> None:
    """A reply went: its held-back copy (`mark_sent_as_reply`) need not, in a transaction of its
    own. A failure is logged: then the copy goes too, a repeat, never a loss."""
    try:
        async with database.session() as session:
            await mark_sent_as_reply(
                session=session, key=key, message_id=message_id, channel=channel
            )
    except SQLAlchemyError as exc:
        logger.warning("Could not mark the outbox copy %s of a reply as sent: %s", key, exc)
