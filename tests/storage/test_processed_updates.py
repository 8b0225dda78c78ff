from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import ChannelName, HandledUpdate, utc_now
from storage.questionnaire import claim_update, forget_processed_updates


async def test_an_update_is_claimed_once(database: Database) -> None:
    async with database.session() as session:
        assert await claim_update(session=session, key=42)
    async with database.session() as session:
        assert not await claim_update(session=session, key=42)
        assert await claim_update(session=session, key=43)


async def test_a_rolled_back_claim_leaves_the_update_unclaimed(database: Database) -> None:
    """The claim shares the transaction of the work it guards: no work, no claim."""
    try:
        async with database.session() as session:
            assert await claim_update(session=session, key=7)
            raise RuntimeError("the handler failed")
    except RuntimeError:
        pass
    async with database.session() as session:
        assert await claim_update(session=session, key=7)


async def test_old_update_ids_are_forgotten(database: Database) -> None:
    async with database.session() as session:
        session.add(
            HandledUpdate(channel="telegram", key="1", processed_at=utc_now() - timedelta(days=8))
        )
        session.add(
            HandledUpdate(channel="telegram", key="2", processed_at=utc_now() - timedelta(hours=1))
        )
    async with database.session() as session:
        removed = await forget_processed_updates(session=session, older_than=timedelta(days=7))
    assert removed == 1
    async with database.session() as session:
        assert list(await session.scalars(select(HandledUpdate.key))) == ["2"]


async def test_channels_keep_their_own_keys(database: Database) -> None:
    """A Zalo message id that happens to read like a Telegram update id is another update."""
    async with database.session() as session:
        assert await claim_update(session=session, key=42)
        assert await claim_update(session=session, key="42", channel=ChannelName.ZALO)
    async with database.session() as session:
        assert not await claim_update(session=session, key="42", channel=ChannelName.ZALO)
        assert not await claim_update(session=session, key="42")
