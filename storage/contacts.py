"""People's accounts on channels other than Telegram (the `contacts` table)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import ChannelName, Contact, Membership, Person
from storage.people import KnownPerson, known_person


class ContactTaken(Exception):
    """The account is already bound to another person (two people are never merged)."""


async def find_by_contact(
    *, session: AsyncSession, channel: str, address: str
) -> KnownPerson | None:
    """The registered person behind an account, with every role they hold; one statement."""
    result = await session.execute(
        select(Person)
        .join(Contact, Contact.person_id == Person.id)
        .where(Contact.channel == str(channel), Contact.address == address)
        .options(joinedload(Person.memberships).joinedload(Membership.unit))
    )
    person = result.unique().scalar_one_or_none()
    return None if person is None else known_person(person)


async def bind_contact(
    *,
    session: AsyncSession,
    person_id: int,
    channel: str,
    address: str,
    display_name: str | None = None,
) -> Contact:
    """Give a person their account on a channel (replacing an older one on that channel)."""
    taken = await session.scalar(
        select(Contact).where(Contact.channel == str(channel), Contact.address == address)
    )
    if taken is not None and taken.person_id != person_id:
        raise ContactTaken(f"{channel} account already belongs to person {taken.person_id}")
    mine = taken or await session.scalar(
        select(Contact).where(Contact.person_id == person_id, Contact.channel == str(channel))
    )
    if mine is None:
        mine = Contact(person_id=person_id, channel=str(channel), address=address)
        session.add(mine)
    mine.address = address
    mine.display_name = display_name
    await session.flush()
    return mine


async def zalo_address(*, session: AsyncSession, person_id: int) -> str | None:
    """Where a message queued for the person goes on Zalo: their Zalo account when Zalo is the
    channel they wrote from last, or their only one; None when it goes to Telegram."""
    row = (
        await session.execute(
            select(Contact.address, Person.last_channel, Person.telegram_user_id)
            .join(Person, Person.id == Contact.person_id)
            .where(Contact.person_id == person_id, Contact.channel == ChannelName.ZALO)
        )
    ).first()
    if row is None:
        return None
    address, last_channel, telegram_user_id = row
    if last_channel == ChannelName.ZALO or telegram_user_id is None:
        return str(address)
    return None


def registered_anywhere() -> ColumnElement[bool]:
    """SQL: the person has registered on some channel (a Telegram account or a contact)."""
    return or_(
        Person.telegram_user_id.is_not(None),
        select(Contact.id).where(Contact.person_id == Person.id).exists(),
    )


async def on_zalo(session: AsyncSession, person_id: int) -> bool:
    """Whether the person registered a Zalo account."""
    found = await session.scalar(
        select(Contact.id).where(
            Contact.person_id == person_id, Contact.channel == ChannelName.ZALO
        )
    )
    return found is not None
