"""What a person's command menu depends on: their roles, whether they answer a section, and
the menu last set in their chat."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Membership, Person, Role, SectionAssignment, Unit, UnitKind


@dataclass(frozen=True)
class MenuHolder:
    """A registered person as their menu sees them."""

    person_id: int
    chat_id: int  # their private chat with the bot: their Telegram user id
    roles: frozenset[Role]
    assigned_sections: bool  # named for some sections in `people.csv`
    command_menu: str | None  # the digest of the menu last set, None if never


async def menu_holders(
    *, session: AsyncSession, person_ids: Collection[int] | None = None
) -> list[MenuHolder]:
    """Registered people (all, or those of `person_ids`) with what their menu depends on."""
    people = select(Person.id, Person.telegram_user_id, Person.command_menu).where(
        Person.telegram_user_id.is_not(None)
    )
    if person_ids is not None:
        people = people.where(Person.id.in_(person_ids))
    found = {
        person_id: (chat_id, digest)
        for person_id, chat_id, digest in (await session.execute(people)).all()
        if chat_id is not None
    }
    if not found:
        return []
    roles: dict[int, set[Role]] = {}
    for person_id, role in await session.execute(
        select(Membership.person_id, Membership.role).where(Membership.person_id.in_(found))
    ):
        roles.setdefault(person_id, set()).add(role)
    assigned = set(
        (
            await session.scalars(
                select(SectionAssignment.person_id)
                .where(SectionAssignment.person_id.in_(found))
                .distinct()
            )
        ).all()
    )
    return [
        MenuHolder(
            person_id=person_id,
            chat_id=chat_id,
            roles=frozenset(roles.get(person_id, ())),
            assigned_sections=person_id in assigned,
            command_menu=digest,
        )
        for person_id, (chat_id, digest) in sorted(found.items())
    ]


async def record_menu(*, session: AsyncSession, person_id: int, digest: str) -> None:
    """Remember the menu now set in the person's chat."""
    await session.execute(update(Person).where(Person.id == person_id).values(command_menu=digest))


async def office_group_chats(*, session: AsyncSession) -> list[int]:
    """The registered group chats of receiving offices (a private chat has its person's menu)."""
    chats = await session.scalars(
        select(Unit.telegram_chat_id).where(
            Unit.kind == UnitKind.OFFICE,
            Unit.telegram_chat_id.is_not(None),
            Unit.telegram_chat_id < 0,  # group and supergroup ids are negative
        )
    )
    return [chat for chat in chats.all() if chat is not None]
