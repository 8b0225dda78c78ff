"""Updates received and not yet handled (the `inbox_updates` table).

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
    *, session: AsyncSession, updates: Sequence[tuple[int, dict[str, Any]]]
) -> None:
    """Store received updates (id, JSON as the Bot API sent it); one already kept stays as is."""
    if not updates:
        return
    now = utc_now()
    await session.execute(
        insert_unless_present(session, InboxUpdate, InboxUpdate.update_id).values(
            [{"update_id": i, "payload": payload, "received_at": now} for i, payload in updates]
        )
    )


async def waiting_updates(*, session: AsyncSession) -> list[tuple[int, dict[str, Any]]]:
    """What was received and not handled, oldest first."""
    rows = await session.execute(
        select(InboxUpdate.update_id, InboxUpdate.payload).order_by(InboxUpdate.update_id)
    )
    return [(update_id, payload) for update_id, payload in rows]


async def forget_updates(*, session: AsyncSession, update_ids: Iterable[int]) -> None:
    """Remove handled (or dropped) updates."""
    ids = sorted(set(update_ids))
    for start in range(0, len(ids), 500):  # bounded IN lists
        await session.execute(
            delete(InboxUpdate).where(InboxUpdate.update_id.in_(ids[start : start + 500]))
        )
