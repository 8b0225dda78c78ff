"""The audit log: who did what, when, and from which channel.

The channel is the turn's: a Telegram or Zalo turn runs inside `acting_on(channel)`, so the
workflows that write entries need not be told where their caller came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry

_acting_channel: ContextVar[str | None] = ContextVar("audit_acting_channel", default=None)


@contextmanager
def acting_on(channel: str) -> Iterator[None]:
    """Entries recorded inside come from `channel` (each update runs in its own task, and so
    in its own context)."""
    token = _acting_channel.set(str(channel))
    try:
        yield
    finally:
        _acting_channel.reset(token)


async def record(
    *,
    session: AsyncSession,
    action: str,
    entity_type: str,
    entity_id: int | None = None,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
    actor_label: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        actor_label=actor_label,
        channel=_acting_channel.get(),
        details=details or {},
    )
    session.add(entry)
    await session.flush()
    return entry
