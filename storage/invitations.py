"""Single-use registration codes: carried in https://t.me/<bot>?start=<code> links on Telegram,
sent as a message on Zalo."""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.contacts import bind_contact, bind_office_contact, office_contact
from storage.models import ChannelName, Contact, Invitation, Membership, Person, Role, Unit, utc_now

logger = logging.getLogger(__name__)

# 24 random bytes -> 32 URL-safe characters: unguessable, and within Telegram's 64-character
# limit for deep-link parameters (which allow only A-Z, a-z, 0-9, _ and -).
CODE_BYTES = 24
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
DEFAULT_VALID_DAYS = 14


class RedeemFailure(enum.StrEnum):
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    PERSON_TAKEN = "person_taken"
    WRONG_CHAT = "wrong_chat"  # e.g. an officer's code used inside a group


@dataclass(frozen=True)
class TelegramAccount:
    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part).strip()


@dataclass(frozen=True)
class ZaloAccount:
    user_id: str
    display_name: str


Account = TelegramAccount | ZaloAccount


@dataclass(frozen=True)
class Registration:
    person: Person
    unit: Unit
    role: Role
    # False when the same account redeemed this code before (a double tap or redelivered update).
    newly_registered: bool
    # An office's invitation redeemed in a private chat while the office's files go to another
    # chat (its group): that chat, kept until the person says to move them here.
    delivery_chat_kept: int | None = None
    # An office's invitation redeemed on Zalo (whose bots join no groups): whether the office's
    # files now come to this account (the office had nowhere to receive them yet).
    office_files_here: bool = False


@dataclass(frozen=True)
class RedeemResult:
    registration: Registration | None = None
    failure: RedeemFailure | None = None


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


async def create_invitation(
    *,
    session: AsyncSession,
    unit: Unit,
    role: Role,
    person: Person | None = None,
    valid_for: timedelta = timedelta(days=DEFAULT_VALID_DAYS),
    actor_label: str = "cli",
) -> tuple[str, Invitation]:
    """Create an invitation and return its code; the code itself is never stored."""
    code = secrets.token_urlsafe(CODE_BYTES)
    invitation = Invitation(
        code_hash=hash_code(code),
        unit_id=unit.id,
        role=role,
        person_id=person.id if person else None,
        expires_at=utc_now() + valid_for,
    )
    session.add(invitation)
    await session.flush()
    await audit.record(
        session=session,
        action="invitation.created",
        entity_type="invitation",
        entity_id=invitation.id,
        actor_label=actor_label,
        details={
            "unit": unit.code,
            "role": role.value,
            "expires_at": invitation.expires_at.isoformat(),
        },
    )
    return code, invitation


async def redeem_invitation(
    *,
    session: AsyncSession,
    code: str,
    account: Account,
    chat_id: int | str,
    only_roles: frozenset[Role] | None = None,
    now: datetime | None = None,
) -> RedeemResult:
    """Bind a Telegram or Zalo account to the invitation's unit and role, once.

    The caller shows every failure to the user the same way, so a stranger learns nothing about
    which codes, units or people exist; the distinct reasons are for the log only.
    """
    now = now or utc_now()
    if not CODE_PATTERN.match(code):
        return RedeemResult(failure=RedeemFailure.MALFORMED)
    invitation = await session.scalar(
        select(Invitation).where(Invitation.code_hash == hash_code(code))
    )
    if invitation is None:
        return RedeemResult(failure=RedeemFailure.UNKNOWN)
    unit = await session.get_one(Unit, invitation.unit_id)

    if invitation.used_at is not None:
        existing = await _bound_person(session, account)
        if existing is not None and existing.id == invitation.used_by_person_id:
            # Same person again: answer as before, change nothing.
            return RedeemResult(
                registration=Registration(existing, unit, invitation.role, newly_registered=False)
            )
        return RedeemResult(failure=RedeemFailure.USED)
    if invitation.expires_at <= now:
        return RedeemResult(failure=RedeemFailure.EXPIRED)
    if only_roles is not None and invitation.role not in only_roles:
        return RedeemResult(failure=RedeemFailure.WRONG_CHAT)  # the code stays usable

    person = await _person_for(session=session, invitation=invitation, account=account)
    if person is None:
        return RedeemResult(failure=RedeemFailure.PERSON_TAKEN)

    # Claim the code atomically: of two concurrent redeemers, exactly one updates a row.
    claimed = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return RedeemResult(failure=RedeemFailure.USED)
    if person.id is None:
        session.add(person)  # created only now, so a lost race leaves no stray row
        await session.flush()
    await session.execute(
        update(Invitation).where(Invitation.id == invitation.id).values(used_by_person_id=person.id)
    )

    if isinstance(account, ZaloAccount):
        await bind_contact(
            session=session,
            person_id=person.id,
            channel=ChannelName.ZALO,
            address=account.user_id,
            display_name=account.display_name,
        )
    else:
        person.telegram_user_id = account.user_id
        person.telegram_username = account.username
    has_membership = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.person_id == person.id,
            Membership.unit_id == unit.id,
            Membership.role == invitation.role,
        )
    )
    if not has_membership:
        session.add(Membership(person_id=person.id, unit_id=unit.id, role=invitation.role))
    kept: int | None = None
    if invitation.role is Role.OFFICE and isinstance(account, TelegramAccount):
        # Files for the office go to the chat it registered from (a private chat or a group);
        # but a colleague joining from a private chat does not silently take them from the
        # office's group: the bot asks them first (conversations.office).
        joins_privately = int(chat_id) == account.user_id
        if joins_privately and unit.telegram_chat_id not in (None, int(chat_id)):
            kept = unit.telegram_chat_id
        else:
            unit.telegram_chat_id = int(chat_id)
    files_here = False
    if invitation.role is Role.OFFICE and isinstance(account, ZaloAccount):
        # The office's files come to this Zalo account only if they had nowhere to go: a
        # colleague registering later does not take them from the office's group or from the
        # colleague who receives them.
        placed = await office_contact(session=session, office_id=unit.id, channel=ChannelName.ZALO)
        if unit.telegram_chat_id is None and placed is None:
            await bind_office_contact(
                session=session,
                office_id=unit.id,
                channel=ChannelName.ZALO,
                address=account.user_id,
                person_id=person.id,
            )
            unit.delivery_channel = ChannelName.ZALO
            files_here = True
    await session.flush()
    await audit.record(
        session=session,
        action="person.registered",
        entity_type="person",
        entity_id=person.id,
        actor_person_id=person.id,
        actor_telegram_id=account.user_id if isinstance(account, TelegramAccount) else None,
        details={
            "unit": unit.code,
            "role": invitation.role.value,
            "invitation_id": invitation.id,
            "channel": ChannelName.ZALO
            if isinstance(account, ZaloAccount)
            else ChannelName.TELEGRAM,
        },
    )
    return RedeemResult(
        registration=Registration(
            person,
            unit,
            invitation.role,
            newly_registered=True,
            delivery_chat_kept=kept,
            office_files_here=files_here,
        )
    )


async def _bound_person(session: AsyncSession, account: Account) -> Person | None:
    """The person this account is already bound to, if any."""
    if isinstance(account, ZaloAccount):
        return await session.scalar(
            select(Person)
            .join(Contact, Contact.person_id == Person.id)
            .where(Contact.channel == ChannelName.ZALO, Contact.address == account.user_id)
        )
    return await session.scalar(select(Person).where(Person.telegram_user_id == account.user_id))


async def _bound_elsewhere(session: AsyncSession, person: Person, account: Account) -> bool:
    """Whether the person already has another account on the account's channel."""
    if isinstance(account, ZaloAccount):
        address = await session.scalar(
            select(Contact.address).where(
                Contact.person_id == person.id, Contact.channel == ChannelName.ZALO
            )
        )
        return address not in (None, account.user_id)
    return person.telegram_user_id not in (None, account.user_id)


async def _person_for(
    *, session: AsyncSession, invitation: Invitation, account: Account
) -> Person | None:
    """Choose whom the account becomes: an already known person, an imported one, or a new one."""
    bound = await _bound_person(session, account)
    if invitation.person_id is not None:
        target = await session.get_one(Person, invitation.person_id)
        if await _bound_elsewhere(session, target, account):
            return None
        if bound is not None and bound.id != target.id:
            # The account already belongs to someone else; never merge two people silently.
            return None
        return target
    if bound is not None:
        return bound  # one person, one more role
    # An imported person waiting for exactly this unit and role (registered on no channel), if
    # there is just one.
    waiting = (
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.unit_id == invitation.unit_id,
                Membership.role == invitation.role,
                Person.telegram_user_id.is_(None),
                ~select(Contact.id).where(Contact.person_id == Person.id).exists(),
            )
            .limit(2)
        )
    ).all()
    if len(waiting) == 1:
        return waiting[0]
    # Not added to the session yet: the caller adds it once the code is claimed.
    fallback = (
        f"Zalo {account.user_id}"
        if isinstance(account, ZaloAccount)
        else f"Telegram {account.user_id}"
    )
    return Person(full_name=account.display_name or fallback)
