"""Build units and people directly, for tests that are not about importing."""

from __future__ import annotations

from itertools import count

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Membership, Person, Role, Unit, UnitKind

_numbers = count(1)


async def make_unit(
    session: AsyncSession,
    *,
    name: str = "Tân Quang",
    kind: UnitKind = UnitKind.COMMUNE,
    code: str | None = None,
    office: Unit | None = None,
) -> Unit:
    unit = Unit(
        code=code or f"U{next(_numbers):05d}",
        name=name,
        kind=kind,
        office_id=office.id if office else None,
    )
    session.add(unit)
    await session.flush()
    return unit


async def make_person(
    session: AsyncSession,
    *,
    unit: Unit,
    role: Role = Role.OFFICER,
    full_name: str = "Nguyễn Thị Hoa",
    telegram_user_id: int | None = None,
) -> Person:
    person = Person(full_name=full_name, telegram_user_id=telegram_user_id)
    session.add(person)
    await session.flush()
    session.add(Membership(person_id=person.id, unit_id=unit.id, role=role))
    await session.flush()
    return person
