"""Queries about units, people and their roles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import Membership, Person, Role, Unit, UnitKind


@dataclass(frozen=True)
class RoleInUnit:
    role: Role
    unit: Unit


@dataclass(frozen=True)
class KnownPerson:
    """A registered person with every role they hold."""

    person: Person
    roles: tuple[RoleInUnit, ...]

    def has_role(self, *roles: Role) -> bool:
        return any(item.role in roles for item in self.roles)

    def staffs_office_of_chat(self, chat_id: int) -> bool:
        """Whether the person works for the receiving office whose registered chat this is
        (in a group, the only people the bot answers)."""
        return any(
            item.role is Role.OFFICE
            and item.unit.kind is UnitKind.OFFICE
            and item.unit.telegram_chat_id == chat_id
            for item in self.roles
        )


async def get_unit_by_code(*, session: AsyncSession, code: str) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.code == code))


_BY_TELEGRAM_ID = (
    select(Person)
    .where(Person.telegram_user_id == bindparam("telegram_user_id"))
    .options(joinedload(Person.memberships).joinedload(Membership.unit))
)


async def find_by_telegram_id(
    *, session: AsyncSession, telegram_user_id: int
) -> KnownPerson | None:
    # One statement (joined, not three selects), built once: this runs for every update.
    result = await session.execute(_BY_TELEGRAM_ID, {"telegram_user_id": telegram_user_id})
    person = result.unique().scalar_one_or_none()
    return None if person is None else known_person(person)


def known_person(person: Person) -> KnownPerson:
    """A person loaded with their memberships and units, with every role they hold."""
    roles = tuple(
        RoleInUnit(role=membership.role, unit=membership.unit)
        for membership in sorted(person.memberships, key=lambda m: m.id)
    )
    return KnownPerson(person=person, roles=roles)


async def office_for_chat(*, session: AsyncSession, chat_id: int) -> Unit | None:
    """The receiving office whose registered chat this is (offices often use a group)."""
    return await session.scalar(select(Unit).where(Unit.telegram_chat_id == chat_id))


async def find_member_by_name(
    *, session: AsyncSession, unit_id: int, role: Role, name: str
) -> Person | None:
    """The one person with this role in this unit whose name matches, ignoring case and accents."""
    from storage.imports import fold

    candidates = (
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.unit_id == unit_id, Membership.role == role)
        )
    ).all()
    matches = [person for person in candidates if fold(person.full_name) == fold(name)]
    return matches[0] if len(matches) == 1 else None
