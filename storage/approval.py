"""The approval's queries: who approves a commune's report, its versions, the register of
document numbers, and the message a person was asked to type next.

The workflow (conversations.approval) decides; these only read and write rows, in the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.contacts import registered_anywhere
from storage.models import (
    DocumentNumber,
    Draft,
    DraftStatus,
    Membership,
    PendingInput,
    PendingInputKind,
    Person,
    ReportingPeriod,
    ReportingRound,
    Role,
    SectionSubmission,
    Unit,
    utc_now,
)

# Who approves: the chairman, and a vice-chairman marked to sign (people.csv `signs`).
IS_APPROVER = or_(
    Membership.role == Role.CHAIRMAN,
    and_(Membership.role == Role.VICE_CHAIRMAN, Membership.signs.is_(True)),
)


async def registered_people(
    session: AsyncSession, unit_id: int, who: ColumnElement[bool]
) -> list[tuple[Person, Role]]:
    """People of the unit on the bot whose membership matches `who` (e.g. IS_APPROVER), with
    their role there, the chairman first."""
    rows = (
        await session.execute(
            select(Person, Membership.role)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.unit_id == unit_id, who, registered_anywhere())
            .order_by(Membership.id)
        )
    ).all()
    ordered = sorted(rows, key=lambda row: row[1] is not Role.CHAIRMAN)
    return [(person, role) for person, role in ordered]


async def approvers_of(*, session: AsyncSession, unit_id: int) -> list[tuple[str, Role]]:
    """The names and roles of everyone who approves for the unit, on the bot or not, in the
    order they were imported."""
    rows = (
        await session.execute(
            select(Person.full_name, Membership.role)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.unit_id == unit_id, IS_APPROVER)
            .order_by(Membership.id)
        )
    ).all()
    return [(name, role) for name, role in rows]


async def roles_in(session: AsyncSession, person_id: int, unit_id: int) -> set[Role]:
    """The person's roles in the unit."""
    return set(
        (
            await session.scalars(
                select(Membership.role).where(
                    Membership.person_id == person_id, Membership.unit_id == unit_id
                )
            )
        ).all()
    )


async def approving_roles(*, session: AsyncSession, person_id: int, unit_id: int) -> set[Role]:
    """The person's roles in the unit that approve (chairman, a vice-chairman who signs)."""
    return set(
        (
            await session.scalars(
                select(Membership.role).where(
                    Membership.person_id == person_id,
                    Membership.unit_id == unit_id,
                    IS_APPROVER,
                )
            )
        ).all()
    )


async def memberships_of(*, session: AsyncSession, person_id: int) -> list[tuple[int, Role]]:
    """(unit id, role) for each of the person's memberships."""
    rows = (
        await session.execute(
            select(Membership.unit_id, Membership.role).where(Membership.person_id == person_id)
        )
    ).all()
    return [(unit_id, role) for unit_id, role in rows]


# ----- versions --------------------------------------------------------------------------------


async def round_in_place(
    *, session: AsyncSession, round_id: int
) -> tuple[ReportingRound, Unit, ReportingPeriod] | None:
    """A round with its commune and period; None if there is no such round."""
    row = (
        await session.execute(
            select(ReportingRound, Unit, ReportingPeriod)
            .join(Unit, Unit.id == ReportingRound.unit_id)
            .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
            .where(ReportingRound.id == round_id)
        )
    ).first()
    if row is None:
        return None
    round_, unit, period = row
    return round_, unit, period


async def latest_draft(*, session: AsyncSession, round_id: int) -> Draft | None:
    """The round's newest version, read afresh (another approver may have just decided it)."""
    return await session.scalar(
        select(Draft)
        .where(Draft.round_id == round_id)
        .order_by(Draft.version.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


async def drafts_of(*, session: AsyncSession, round_id: int) -> list[Draft]:
    """The round's versions, oldest first."""
    return list(
        (
            await session.scalars(
                select(Draft).where(Draft.round_id == round_id).order_by(Draft.version)
            )
        ).all()
    )


async def latest_rounds(
    *, session: AsyncSession, unit_ids: Collection[int], limit: int
) -> list[ReportingRound]:
    """The units' rounds, newest first, at most `limit`."""
    return list(
        (
            await session.scalars(
                select(ReportingRound)
                .where(ReportingRound.unit_id.in_(unit_ids))
                .order_by(ReportingRound.opened_at.desc(), ReportingRound.id.desc())
                .limit(limit)
            )
        ).all()
    )


async def reports_received(
    *, session: AsyncSession, office_ids: Collection[int], limit: int
) -> list[Draft]:
    """The numbered, approved versions of the offices' communes, newest issued first."""
    return list(
        (
            await session.scalars(
                select(Draft)
                .join(ReportingRound, ReportingRound.id == Draft.round_id)
                .join(Unit, Unit.id == ReportingRound.unit_id)
                .where(
                    Unit.office_id.in_(office_ids),
                    Draft.status == DraftStatus.APPROVED,
                    Draft.number.is_not(None),
                )
                .order_by(Draft.issued_on.desc(), Draft.id.desc())
                .limit(limit)
            )
        ).all()
    )


async def submitters(*, session: AsyncSession, round_id: int) -> list[Person]:
    """The people who handed in a section of the round."""
    return list(
        (
            await session.scalars(
                select(Person)
                .where(
                    Person.id.in_(
                        select(SectionSubmission.submitted_by_person_id).where(
                            SectionSubmission.round_id == round_id
                        )
                    )
                )
                .order_by(Person.id)
            )
        ).all()
    )


async def reopen_sections(*, session: AsyncSession, round_id: int) -> None:
    """Forget every section's hand-in, so each is answered and handed in again."""
    await session.execute(delete(SectionSubmission).where(SectionSubmission.round_id == round_id))


async def newest_awaiting_decision(*, session: AsyncSession, person_id: int) -> int | None:
    """The newest version awaiting a decision in a commune the person approves for."""
    return await _newest_draft(
        session, person_id, Draft.status == DraftStatus.AWAITING, IS_APPROVER
    )


async def newest_awaiting_number(*, session: AsyncSession, person_id: int) -> int | None:
    """The newest approved, unnumbered version in a commune where the person is the clerk."""
    return await _newest_draft(
        session,
        person_id,
        Draft.status == DraftStatus.APPROVED,
        Draft.number.is_(None),
        Membership.role == Role.CLERK,
    )


async def _newest_draft(
    session: AsyncSession, person_id: int, *conditions: ColumnElement[bool]
) -> int | None:
    """The newest draft of a commune the person has a role in that meets `conditions`."""
    return await session.scalar(
        select(Draft.id)
        .join(ReportingRound, ReportingRound.id == Draft.round_id)
        .join(Membership, Membership.unit_id == ReportingRound.unit_id)
        .where(Membership.person_id == person_id, *conditions)
        .order_by(Draft.id.desc())
        .limit(1)
    )


# ----- the register of numbers -----------------------------------------------------------------


async def highest_number(*, session: AsyncSession, unit_id: int, year: int) -> int | None:
    """The highest number the unit's register gave in the year; None before the first."""
    return await session.scalar(
        select(func.max(DocumentNumber.number)).where(
            DocumentNumber.unit_id == unit_id, DocumentNumber.year == year
        )
    )


async def number_used(*, session: AsyncSession, unit_id: int, year: int, number: int) -> bool:
    found = await session.scalar(
        select(DocumentNumber.id).where(
            DocumentNumber.unit_id == unit_id,
            DocumentNumber.year == year,
            DocumentNumber.number == number,
        )
    )
    return found is not None


# ----- what the person types next --------------------------------------------------------------


async def ask_next_message(
    *, session: AsyncSession, person_id: int, draft_id: int, kind: PendingInputKind
) -> None:
    """The person's next message is read as `kind` for this version (replacing any earlier ask)."""
    await session.merge(
        PendingInput(
            person_id=person_id, kind=kind, draft_id=draft_id, unit_id=None, created_at=utc_now()
        )
    )


async def text_asked_of_account(*, session: AsyncSession, telegram_user_id: int) -> bool:
    """Whether this Telegram account's next message is a comment or number asked for."""
    found = await session.scalar(
        select(PendingInput.person_id)
        .join(Person, Person.id == PendingInput.person_id)
        .where(Person.telegram_user_id == telegram_user_id)
    )
    return found is not None
