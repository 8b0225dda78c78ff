"""The audit log: who did what, when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


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
        details=details or {},
    )
    session.add(entry)
    await session.flush()
    return entry
