"""People's accounts on channels other than Telegram (the `contacts` table), offices' (the
`office_contacts` table), and where a queued message goes: `destination`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelName, Contact, OfficeContact, Person, Unit
from storage.people import PERSON_WITH_ROLES, KnownPerson, known_from


class ContactTaken(Exception):
    """The account is already bound to another person (two people are never merged)."""


async def find_by_contact(
    *, session: AsyncSession, channel: str, address: str
) -> KnownPerson | None:
    """The registered person behind an account, with every role they hold; one statement."""
    result = await session.execute(
        PERSON_WITH_ROLES.join(Contact, Contact.person_id == Person.id).where(
            Contact.channel == str(channel), Contact.address == address
        )
    )
    return known_from(session, result.all())


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


def registered_anywhere() -> ColumnElement[bool]:
    """SQL: the person has registered on some channel (a Telegram account or a contact)."""
    return or_(
        Person.telegram_user_id.is_not(None),
        select(Contact.id).where(Contact.person_id == Person.id).exists(),
    )


@dataclass(frozen=True)
class Destination:
    """A chat on a channel: a Telegram chat id (as text) or a Zalo account."""

    channel: ChannelName
    address: str


async def destination(
    *,
    session: AsyncSession,
    person_id: int | None = None,
    office_id: int | None = None,
    chat_id: int | None = None,
) -> Destination | None:
    """Where a message queued for a person, an office or a chat goes now; None when they are
    on no channel (yet). Read when sending, so a message queued before someone registered, moved
    to Zalo or came back to Telegram follows them."""
    if office_id is not None:
        return await _office_destination(session, office_id)
    if person_id is not None:
        found = await _person_destination(session, person_id)
        if found is not None:
            return found
    if chat_id is not None:  # a group's own notice, or a row queued before 0011 named the person
        return Destination(ChannelName.TELEGRAM, str(chat_id))
    return None


async def _person_destination(session: AsyncSession, person_id: int) -> Destination | None:
    """Zalo when it is the channel the person wrote from last, or their only one; else
    Telegram; None when they registered on neither."""
    row = (
        await session.execute(
            select(Person.telegram_user_id, Person.last_channel, Contact.address)
            .outerjoin(
                Contact,
                and_(Contact.person_id == Person.id, Contact.channel == ChannelName.ZALO),
            )
            .where(Person.id == person_id)
        )
    ).first()
    if row is None:
        return None
    telegram_id, last_channel, zalo = row
    if zalo is not None and (last_channel == ChannelName.ZALO or telegram_id is None):
        return Destination(ChannelName.ZALO, str(zalo))
    if telegram_id is not None:
        return Destination(ChannelName.TELEGRAM, str(telegram_id))
    return None


async def _office_destination(session: AsyncSession, office_id: int) -> Destination | None:
    office = await session.get(Unit, office_id)
    if office is None:
        return None
    zalo = await office_contact(session=session, office_id=office_id, channel=ChannelName.ZALO)
    telegram = office.telegram_chat_id
    if zalo is not None and (office.delivery_channel == ChannelName.ZALO or telegram is None):
        return Destination(ChannelName.ZALO, zalo)
    if telegram is not None:
        return Destination(ChannelName.TELEGRAM, str(telegram))
    return None


async def office_contact(*, session: AsyncSession, office_id: int, channel: str) -> str | None:
    """The office's address on `channel` (other than Telegram), if one was set."""
    address = await session.scalar(
        select(OfficeContact.address).where(
            OfficeContact.unit_id == office_id, OfficeContact.channel == str(channel)
        )
    )
    return None if address is None else str(address)


async def bind_office_contact(
    *, session: AsyncSession, office_id: int, channel: str, address: str, person_id: int
) -> None:
    """Make `address` the office's place on `channel` (its files go there when that channel is
    the office's delivery channel, or the office has no Telegram chat)."""
    contact = await session.scalar(
        select(OfficeContact).where(
            OfficeContact.unit_id == office_id, OfficeContact.channel == str(channel)
        )
    )
    if contact is None:
        contact = OfficeContact(unit_id=office_id, channel=str(channel), address=address)
        session.add(contact)
    contact.address = address
    contact.set_by_person_id = person_id
    await session.flush()
