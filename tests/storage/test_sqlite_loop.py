"""The SQLite driver called from the event loop (storage.sqlite_loop): another process's write
lock is waited out without stopping the loop, for as long as the busy timeout, and no longer."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db


@pytest.fixture
def path(tmp_path: Path) -> Path:
    file = tmp_path / "loop.sqlite3"
    with sqlite3.connect(file) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE notes (text TEXT)")
    return file


@pytest.fixture
async def engine(path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncEngine]:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 1_000)
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    yield engine
    await engine.dispose()


@pytest.fixture
def other_process(path: Path) -> Iterator[sqlite3.Connection]:
    """Another writer of the same file (the CLI importing people), holding nothing yet."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    yield connection
    connection.close()


async def _ticks_while(work: asyncio.Future[object]) -> int:
    """How many times a 10 ms timer fired while `work` ran: the loop was free if many did."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def test_a_write_waits_for_another_writer_without_stopping_the_loop(
    engine: AsyncEngine, other_process: sqlite3.Connection
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    other_process.execute("INSERT INTO notes VALUES ('theirs')")

    async def write() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes VALUES ('ours')"))

    writing = asyncio.ensure_future(write())
    await asyncio.sleep(0.3)
    assert not writing.done()  # waiting for the lock, not failing
    ticking = asyncio.ensure_future(_ticks_while(writing))
    await asyncio.sleep(0.2)
    other_process.execute("COMMIT")
    await asyncio.wait_for(writing, timeout=2)
    assert await ticking >= 10  # the loop ran other work all along

    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT text FROM notes ORDER BY rowid"))).all()
    assert [row.text for row in rows] == ["theirs", "ours"]


async def test_a_lock_held_past_the_busy_timeout_fails_as_sqlite_would(
    engine: AsyncEngine, other_process: sqlite3.Connection
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes VALUES ('ours')"))
    waited = time.monotonic() - started
    other_process.execute("ROLLBACK")
    assert 0.9 <= waited < 2.0


async def test_a_transaction_that_read_an_older_state_is_not_kept_waiting(
    engine: AsyncEngine, other_process: sqlite3.Connection
) -> None:
    """SQLITE_BUSY_SNAPSHOT: waiting cannot help this transaction, so it fails at once."""
    async with engine.connect() as connection:
        await connection.exec_driver_sql("BEGIN")
        await connection.execute(text("SELECT count(*) FROM notes"))  # its snapshot begins
        other_process.execute("INSERT INTO notes VALUES ('theirs')")
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            await connection.execute(text("INSERT INTO notes VALUES ('ours')"))
        assert time.monotonic() - started < 0.5
