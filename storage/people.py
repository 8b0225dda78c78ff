"""Queries about units, people and their roles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

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


# Session.info key: the roles of each person found in this session, by person id. The
# questionnaire reads them (storage.questionnaire.answering_roles) rather than asking the
# database again on every answer.
ROLES_FOUND = "roles_found"

# A person with each role held and its unit, one row per role (one row of Nones for none). The
# roles as columns and units, not Membership objects: loading the person's memberships as a
# collection cost a third more.
PERSON_WITH_ROLES = (
    select(Person, Membership.role, Unit)
    .outerjoin(Membership, Membership.person_id == Person.id)
    .outerjoin(Unit, Unit.id == Membership.unit_id)
    .order_by(Membership.id)
)
_BY_TELEGRAM_ID = PERSON_WITH_ROLES.where(Person.telegram_user_id == bindparam("telegram_user_id"))


async def find_by_telegram_id(
    *, session: AsyncSession, telegram_user_id: int
) -> KnownPerson | None:
    # One statement, built once: this runs for every update.
    result = await session.execute(_BY_TELEGRAM_ID, {"telegram_user_id": telegram_user_id})
    return known_from(session, result.all())


def known_from(
    session: AsyncSession, rows: Sequence[Row[Person, Role | None, Unit | None]]
) -> KnownPerson | None:
    """The person of `PERSON_WITH_ROLES`'s rows with every role they hold (None without rows),
    remembered for the rest of the session."""
    if not rows:
        return None
    person = rows[0][0]
    roles = tuple(
        RoleInUnit(role=role, unit=unit)
        for _, role, unit in rows
        if role is not None and unit is not None  # a membership's unit is never missing
    )
    session.info.setdefault(ROLES_FOUND, {})[person.id] = roles
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
