"""Updates received and not yet handled (the `inbox` table), per channel.

The poller stores every update it receives before it asks Telegram for more (which confirms the
ones it has), so Telegram never holds back newer updates behind one still being handled, and a
crash between receipt and the end of its turn (replies included) loses nothing: the next start
handles what is left here. Handlers recognise an update handled twice by its id
(storage.questionnaire.claim_update) and say again where the person is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_unless_present
from storage.models import InboxUpdate, utc_now


async def keep_updates(
    *, session: AsyncSession, channel: str, updates: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    """Store received updates (the channel's key, JSON as the platform sent it), in the order
    given; one already kept stays as is."""
    if not updates:
        return
    now = utc_now()
    inbox = InboxUpdate.__table__
    # Rows as parameters (executemany), not in the statement: a statement with the rows in it
    # is compiled again for every fetch.
    await session.execute(
        insert_unless_present(session, inbox, inbox.c.channel, inbox.c.key),
        [
            {"channel": str(channel), "key": key, "payload": payload, "received_at": now}
            for key, payload in updates
        ],
    )


async def waiting_updates(
    *, session: AsyncSession, channel: str
) -> list[tuple[str, dict[str, Any]]]:
    """What a channel brought and was not handled, in the order it was received."""
    rows = await session.execute(
        select(InboxUpdate.key, InboxUpdate.payload)
        .where(InboxUpdate.channel == str(channel))
        .order_by(InboxUpdate.id)
    )
    return [(key, payload) for key, payload in rows]


async def forget_updates(*, session: AsyncSession, channel: str, keys: Iterable[str]) -> None:
    """Remove handled (or dropped) updates."""
    chosen = sorted(set(keys))
    for start in range(0, len(chosen), 500):  # bounded IN lists
        await session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.channel == str(channel),
                InboxUpdate.key.in_(chosen[start : start + 500]),
            )
        )
