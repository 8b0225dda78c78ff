"""The SQLite database, its WAL files and the instance lock are readable by their owner only:
they hold names, phone numbers and Telegram ids."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database, InstanceLock

PRIVATE = 0o600


@pytest.fixture
def everyday_umask() -> Iterator[None]:
    """The umask most systems start with, under which files come out world-readable (0644)."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_a_new_database_and_its_wal_files_are_private(
    tmp_path: Path, everyday_umask: None
) -> None:
    path = tmp_path / "data" / "baocao.sqlite3"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.session() as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
            await session.execute(text("INSERT INTO t VALUES (1)"))
        wal_files = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
        assert all(p.exists() for p in wal_files), "WAL mode keeps these while connected"
        assert {mode(p) for p in (path, *wal_files)} == {PRIVATE}
    finally:
        await database.dispose()


async def test_an_existing_readable_database_is_made_private(
    tmp_path: Path, everyday_umask: None
) -> None:
    path = tmp_path / "baocao.sqlite3"
    path.touch(mode=0o644)
    assert mode(path) == 0o644
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.dispose()
    assert mode(path) == PRIVATE


def test_the_instance_lock_is_private(tmp_path: Path, everyday_umask: None) -> None:
    lock = InstanceLock(f"sqlite+aiosqlite:///{tmp_path / 'baocao.sqlite3'}")
    assert lock.acquire()
    try:
        assert lock.path is not None and mode(lock.path) == PRIVATE
    finally:
        lock.release()
