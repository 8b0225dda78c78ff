"""A commune's own list of who receives its reports ("Nơi nhận"), and who may change it.

The list is set in units.csv (`recipients`) or by the chairman in chat (/noinhan). It is stored
as typed, one recipient a line; report_templates.compose prints it ("- <text>;", "- Lưu: VT.").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import Membership, Role, Unit

MAX_RECIPIENTS = 12  # Decree 30 lists a handful; more is a pasted paragraph, not a list
MAX_RECIPIENT_LENGTH = 200
# Who sets a commune's list: its leaders, who sign what goes out.
LEADER_ROLES = (Role.CHAIRMAN, Role.VICE_CHAIRMAN)

_SEPARATOR = re.compile(r"[;\r\n]+")


def split_recipients(text: str) -> list[str]:
    """The recipients in a cell or a message: one a line, or separated by ";" as a report
    prints them. Lines with no letter or digit (a lone dash) are dropped."""
    lines = (" ".join(part.split()) for part in _SEPARATOR.split(text))
    return [
        unicodedata.normalize("NFC", line) for line in lines if any(ch.isalnum() for ch in line)
    ]


def overlong(recipients: Sequence[str]) -> list[int]:
    """The 1-based numbers of the lines longer than MAX_RECIPIENT_LENGTH."""
    return [n for n, line in enumerate(recipients, 1) if len(line) > MAX_RECIPIENT_LENGTH]


async def units_led_by(*, session: AsyncSession, person_id: int) -> list[Unit]:
    """The units where the person is chairman or vice-chairman, in the order they joined."""
    return list(
        (
            await session.scalars(
                select(Unit)
                .join(Membership, Membership.unit_id == Unit.id)
                .where(Membership.person_id == person_id, Membership.role.in_(LEADER_ROLES))
                .order_by(Membership.id)
            )
        )
        .unique()
        .all()
    )


async def set_recipients(
    *,
    session: AsyncSession,
    unit: Unit,
    recipients: Sequence[str] | None,
    actor_person_id: int | None = None,
    actor_label: str | None = None,
) -> None:
    """Keep the unit's list (None: back to the default), with who changed it in the audit log."""
    before = unit.recipients
    unit.recipients = list(recipients) if recipients else None
    await audit.record(
        session=session,
        action="unit.recipients_set",
        entity_type="unit",
        entity_id=unit.id,
        actor_person_id=actor_person_id,
        actor_label=actor_label,
        details={"before": before, "after": unit.recipients},
    )
