"""The engines storage.db makes: a fixed pool of connections to PostgreSQL."""

from __future__ import annotations

from sqlalchemy.pool import NullPool, QueuePool

from storage.db import POSTGRES_POOL_SIZE, create_engine


async def test_postgresql_keeps_a_fixed_pool_and_opens_no_connections_for_a_burst() -> None:
    # Made without connecting: no server needed.
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == POSTGRES_POOL_SIZE
        # No overflow: a burst of turns waits for a connection rather than opening (and then
        # closing) more; before any checkout the overflow count is minus the pool's size.
        assert pool.overflow() == -POSTGRES_POOL_SIZE
        assert pool._max_overflow == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_a_pool_asked_for_is_kept() -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", poolclass=NullPool)
    try:
        assert isinstance(engine.pool, NullPool)
    finally:
        await engine.dispose()
