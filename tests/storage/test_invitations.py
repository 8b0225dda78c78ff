from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.invitations import (
    CODE_PATTERN,
    RedeemFailure,
    TelegramAccount,
    create_invitation,
    hash_code,
    redeem_invitation,
)
from storage.models import (
    AuditEntry,
    Invitation,
    Membership,
    Person,
    Role,
    Unit,
    UnitKind,
    utc_now,
)
from tests.factories import make_person, make_unit

HOA = TelegramAccount(user_id=5001, first_name="Hoa", last_name="Nguyễn Thị", username="hoa")
BINH = TelegramAccount(user_id=5002, first_name="Bình")


async def invite(database: Database, role: Role = Role.OFFICER, **kwargs: object) -> str:
    async with database.session() as session:
        unit = await make_unit(session)
        code, _ = await create_invitation(session=session, unit=unit, role=role, **kwargs)  # type: ignore[arg-type]
    return code


async def redeem(database: Database, code: str, account: TelegramAccount = HOA, **kwargs: object):
    async with database.session() as session:
        return await redeem_invitation(
            session=session,
            code=code,
            account=account,
            chat_id=account.user_id,
            **kwargs,  # type: ignore[arg-type]
        )


async def test_codes_are_random_url_safe_and_only_their_hash_is_stored(database: Database) -> None:
    codes = {await invite(database) for _ in range(20)}
    assert len(codes) == 20
    assert all(CODE_PATTERN.match(code) for code in codes)
    async with database.session() as session:
        stored = set((await session.scalars(select(Invitation.code_hash))).all())
    assert stored == {hash_code(code) for code in codes}
    assert not stored & codes


async def test_redeeming_binds_account_unit_and_role_and_is_audited(database: Database) -> None:
    code = await invite(database, Role.CHAIRMAN)
    result = await redeem(database, code)
    assert result.failure is None and result.registration is not None
    assert result.registration.newly_registered
    assert result.registration.role is Role.CHAIRMAN
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == HOA.user_id))
        assert person is not None and person.full_name == "Hoa Nguyễn Thị"
        roles = (await session.scalars(select(Membership.role))).all()
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert roles == [Role.CHAIRMAN]
    assert actions == ["invitation.created", "person.registered"]


async def test_same_account_again_changes_nothing(database: Database) -> None:
    code = await invite(database)
    first = await redeem(database, code)
    again = await redeem(database, code)
    assert first.registration is not None and again.registration is not None
    assert not again.registration.newly_registered
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Membership)) == 1
        assert await session.scalar(select(func.count()).select_from(Person)) == 1


async def test_used_code_is_refused_for_another_account(database: Database) -> None:
    code = await invite(database)
    await redeem(database, code, HOA)
    result = await redeem(database, code, BINH)
    assert result.failure is RedeemFailure.USED
    async with database.session() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Person)
                .where(Person.telegram_user_id == BINH.user_id)
            )
            == 0
        )


async def test_expired_code_is_refused(database: Database) -> None:
    code = await invite(database, valid_for=timedelta(days=1))
    result = await redeem(database, code, now=utc_now() + timedelta(days=1, seconds=1))
    assert result.failure is RedeemFailure.EXPIRED


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "abc",
        "x" * 32,  # well-formed but unknown
        "A" * 10_000,
        "{{ 7*7 }}",
        "'; DROP TABLE people; --",
        "🙂" * 16,
        "../../etc/passwd",
    ],
)
async def test_forged_codes_are_refused_and_change_nothing(database: Database, forged: str) -> None:
    await invite(database)
    result = await redeem(database, forged)
    assert result.registration is None
    assert result.failure in (RedeemFailure.MALFORMED, RedeemFailure.UNKNOWN)
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0


async def test_an_imported_person_waiting_for_that_role_is_bound(database: Database) -> None:
    async with database.session() as session:
        unit = await make_unit(session)
        chairman = await make_person(
            session, unit=unit, role=Role.CHAIRMAN, full_name="Lê Văn Cường"
        )
        code, _ = await create_invitation(session=session, unit=unit, role=Role.CHAIRMAN)
    result = await redeem(database, code)
    assert result.registration is not None
    assert result.registration.person.id == chairman.id
    assert result.registration.person.full_name == "Lê Văn Cường"  # the official name is kept


async def test_invitation_for_a_person_already_bound_elsewhere_is_refused(
    database: Database,
) -> None:
    async with database.session() as session:
        unit = await make_unit(session)
        taken = await make_person(session, unit=unit, telegram_user_id=BINH.user_id)
        code, _ = await create_invitation(
            session=session, unit=unit, role=Role.OFFICER, person=taken
        )
    result = await redeem(database, code, HOA)
    assert result.failure is RedeemFailure.PERSON_TAKEN


async def test_second_role_for_a_registered_person(database: Database) -> None:
    first = await invite(database, Role.OFFICER)
    second = await invite(database, Role.CLERK)
    await redeem(database, first)
    result = await redeem(database, second)
    assert result.registration is not None and result.registration.newly_registered
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 1
        roles = sorted((await session.scalars(select(Membership.role))).all())
    assert roles == sorted([Role.OFFICER, Role.CLERK])


async def test_office_code_in_a_group_registers_the_group_chat(database: Database) -> None:
    async with database.session() as session:
        office = await make_unit(session, name="Sở Nội vụ tỉnh Hưng Yên", kind=UnitKind.OFFICE)
        code, _ = await create_invitation(session=session, unit=office, role=Role.OFFICE)
        officer_code, _ = await create_invitation(
            session=session, unit=await make_unit(session), role=Role.OFFICER
        )
    group_id = -100123
    async with database.session() as session:
        refused = await redeem_invitation(
            session=session,
            code=officer_code,
            account=HOA,
            chat_id=group_id,
            only_roles=frozenset({Role.OFFICE}),
        )
        accepted = await redeem_invitation(
            session=session,
            code=code,
            account=HOA,
            chat_id=group_id,
            only_roles=frozenset({Role.OFFICE}),
        )
    assert refused.failure is RedeemFailure.WRONG_CHAT
    assert accepted.registration is not None
    assert accepted.registration.unit.telegram_chat_id == group_id
    # The refused officer code was not spent in the group: it still works in a private chat.
    assert (await redeem(database, officer_code, BINH)).registration is not None


async def test_two_accounts_racing_for_one_code_register_exactly_one(database: Database) -> None:
    code = await invite(database)
    results = await asyncio.gather(
        redeem(database, code, HOA), redeem(database, code, BINH), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException) and r.registration]
    assert len(winners) == 1
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Membership)) == 1
        assert await session.scalar(select(func.count()).select_from(Person)) == 1


async def test_an_office_code_redeemed_privately_keeps_the_offices_group(
    database: Database,
) -> None:
    """The first office account to register privately gets the files there; once a group
    has them, a colleague registering privately leaves them in the group (the bot asks);
    a group registering moves them, as an explicit act of the office."""
    async with database.session() as session:
        office = await make_unit(session, name="Sở Nội vụ tỉnh Hưng Yên", kind=UnitKind.OFFICE)
        codes = [
            (await create_invitation(session=session, unit=office, role=Role.OFFICE))[0]
            for _ in range(4)
        ]

    async def chat_of_office() -> int | None:
        async with database.session() as session:
            found = await session.get(Unit, office.id)
            assert found is not None
            return found.telegram_chat_id

    first = (await redeem(database, codes[0], HOA)).registration
    assert first is not None and first.delivery_chat_kept is None
    assert await chat_of_office() == HOA.user_id
    group_id = -100123
    async with database.session() as session:
        group = await redeem_invitation(
            session=session,
            code=codes[1],
            account=BINH,
            chat_id=group_id,
            only_roles=frozenset({Role.OFFICE}),
        )
    assert group.registration is not None and group.registration.delivery_chat_kept is None
    assert await chat_of_office() == group_id
    colleague = TelegramAccount(user_id=5003, first_name="Thu")
    joined = (await redeem(database, codes[2], colleague)).registration
    assert joined is not None and joined.delivery_chat_kept == group_id
    assert await chat_of_office() == group_id
    # Someone already receiving them privately registering again in private: nothing to ask.
    again = TelegramAccount(user_id=5004, first_name="Phương")
    async with database.session() as session:
        stored = await session.get(Unit, office.id)
        assert stored is not None
        stored.telegram_chat_id = again.user_id
    same = (await redeem(database, codes[3], again)).registration
    assert same is not None and same.delivery_chat_kept is None
