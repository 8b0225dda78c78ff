from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import ProcessedUpdate, utc_now
from storage.questionnaire import claim_update, forget_processed_updates


async def test_an_update_is_claimed_once(database: Database) -> None:
    async with database.session() as session:
        assert await claim_update(session=session, update_id=42)
    async with database.session() as session:
        assert not await claim_update(session=session, update_id=42)
        assert await claim_update(session=session, update_id=43)


async def test_a_rolled_back_claim_leaves_the_update_unclaimed(database: Database) -> None:
    """The claim shares the transaction of the work it guards: no work, no claim."""
    try:
        async with database.session() as session:
            assert await claim_update(session=session, update_id=7)
            raise RuntimeError("the handler failed")
    except RuntimeError:
        pass
    async with database.session() as session:
        assert await claim_update(session=session, update_id=7)


async def test_old_update_ids_are_forgotten(database: Database) -> None:
    async with database.session() as session:
        session.add(ProcessedUpdate(update_id=1, processed_at=utc_now() - timedelta(days=8)))
        session.add(ProcessedUpdate(update_id=2, processed_at=utc_now() - timedelta(hours=1)))
    async with database.session() as session:
        removed = await forget_processed_updates(session=session, older_than=timedelta(days=7))
    assert removed == 1
    async with database.session() as session:
        assert list(await session.scalars(select(ProcessedUpdate.update_id))) == [2]
