"""Engine, sessions and schema upgrades."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_loop
from storage.deliveries import PENDING, PendingDeliveries

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Connections a process keeps to PostgreSQL (several instances: each keeps its own).
POSTGRES_POOL_SIZE = 20


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def insert_unless_present(session: AsyncSession, model: Any, *keys: Any) -> Any:
    """INSERT ... ON CONFLICT (keys) DO NOTHING for the session's database (SQLite and
    PostgreSQL both have it, each under its own dialect); add `.values(...)` to it."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).on_conflict_do_nothing(index_elements=list(keys))


PRIVATE_FILE = 0o600


def make_private(path: Path) -> None:
    """Create `path` readable by its owner only, or take others' access away if it exists.

    The database holds names, phone numbers and Telegram ids. SQLite creates its -wal and -shm
    files with the database file's permissions, so making this one private covers them too.
    """
    if not path.exists():
        path.touch(mode=PRIVATE_FILE)
    if path.stat().st_mode & 0o077:
        path.chmod(PRIVATE_FILE)


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        make_private(path)
        # SQLAlchemy's aiosqlite dialect over connections called from the event loop's thread
        # (storage.sqlite_loop), which wait out another process's write lock without blocking.
        kwargs.setdefault(
            "async_creator", sqlite_loop.connector(str(path), SQLITE_BUSY_TIMEOUT_MS / 1000)
        )
    elif "poolclass" not in kwargs:
        # A fixed pool. With SQLAlchemy's default (5 kept, 10 more opened for a burst and
        # closed after it), 200 officers answering at once had the bot open and close
        # connections all the time: each a TCP and TLS handshake, a server process, statements
        # prepared again (bench/throughput.py's ratio on PostgreSQL: 0.45 with that pool, 0.54
        # to 0.56 with this one). A turn waits for a free connection instead (pool_timeout).
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
        kwargs.setdefault("max_overflow", 0)
    engine = create_async_engine(database_url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the CLI import while the bot reads. A writer waits for another's lock in
    # storage.sqlite_loop, not in SQLite's busy handler, which would stop the event loop.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Set while a task holds this process's SQLite turn, so a session opened inside another one
# (in the same task) does not wait for itself.
_holding_sqlite_turn: ContextVar[bool] = ContextVar("holding_sqlite_turn", default=False)


class Database:
    """One engine and its session factory for the life of the process.

    SQLite has one writer at a time, and a second writer waits for the lock in the driver's
    retries (storage.sqlite_loop), which poll with sleeps of up to 100 ms. Chats are handled
    side by side, so on SQLite the sessions of this process take turns on an asyncio lock
    instead (first come, first served, no polling); other processes (the CLI) still wait in the
    retries, up to the busy timeout. PostgreSQL sessions run side by side.
    """

    def __init__(self, database_url: str, **engine_kwargs: Any) -> None:
        self.url = database_url
        self.engine = create_engine(database_url, **engine_kwargs)
        # Delivered prompts not yet written: every session of this database sees them in the
        # walk states it loads, and writes them (storage.deliveries).
        self.deliveries = PendingDeliveries(self)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, info={PENDING: self.deliveries}
        )
        self._sqlite_turn = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on any error."""
        if self._sqlite_turn is None or _holding_sqlite_turn.get():
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._sqlite_turn:
            token = _holding_sqlite_turn.set(True)
            # Closed directly, not by AsyncSession's exit, which closes in a task of its own
            # so a cancellation cannot cut the close short: with SQLite called in place
            # (storage.sqlite_loop) a close never waits, so there is nothing to cut short.
            session = self.sessions()
            try:
                async with session.begin():
                    yield session
            finally:
                await session.close()
                _holding_sqlite_turn.reset(token)

    async def dispose(self) -> None:
        await self.deliveries.close()
        await self.engine.dispose()


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message is one line, without the password."""


class NoDatabase(DatabaseUnavailable):
    """A SQLite file that should already exist does not (a command that only reads it)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no database at {path}")
        self.path = path


def _unavailable(database_url: str, exc: Exception) -> DatabaseUnavailable:
    """Say which database could not be opened and why, in one line and without the password."""
    reason: object = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(reason, ConnectionRefusedError):
        text = "connection refused"
    elif isinstance(reason, OSError) and reason.strerror:
        text = reason.strerror + (f": {reason.filename}" if reason.filename else "")
    else:
        text = str(reason).strip() or type(reason).__name__
    shown = make_url(database_url).render_as_string(hide_password=True)
    return DatabaseUnavailable(f"cannot open {shown}: {text.splitlines()[0]}")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # "%" would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def upgrade_database(
    database_url: str, revision: str = "head", *, create: bool = True
) -> None:
    """Bring the schema to `revision`; safe to call on every start.

    With `create=False` a missing SQLite file raises NoDatabase instead of being created: a
    command that only reads, run from the wrong folder, must not make an empty database and
    then report that nothing is in it. A database that cannot be reached raises
    DatabaseUnavailable.

    Runs Alembic on a connection of our async engine (Alembic's connection-sharing recipe), so
    it works inside a running event loop and on both drivers without a sync driver installed.
    """
    path = sqlite_path(database_url)
    if path is not None and not create and not path.exists():
        raise NoDatabase(path.resolve())
    config = alembic_config(database_url)
    try:
        engine = create_engine(database_url)
    except OSError as exc:  # the SQLite file's folder cannot be made or the file touched
        raise _unavailable(database_url, exc) from exc
    try:
        try:
            # Connect once on its own, so a refused connection, a missing PostgreSQL database
            # or a wrong password is told apart from a failing migration.
            async with engine.connect():
                pass
        except (OSError, DBAPIError) as exc:
            raise _unavailable(database_url, exc) from exc
        async with engine.begin() as connection:
            await connection.run_sync(_run_alembic_upgrade, config, revision)
    finally:
        await engine.dispose()


def _run_alembic_upgrade(connection: Any, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def current_revision(database_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


class InstanceLock:
    """Hold an exclusive lock so two bot processes never poll for one SQLite database."""

    def __init__(self, database_url: str) -> None:
        path = sqlite_path(database_url)
        self.path = path.with_name(path.name + ".lock") if path else None
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        if self.path is None:
            return True  # PostgreSQL: several instances are allowed and coordinate in the database
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            make_private(self.path)
            handle = self.path.open("a+")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                return False
            # The holder removes the file on a clean stop: a lock taken on the file it just
            # removed guards nothing (a third process would lock a new file), so try again.
            if _same_file(handle, self.path):
                break
            handle.close()
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None and self.path is not None:
            # Removed while still locked, so nobody can lock this file after we let go; a file
            # left by a killed process stays, and flock (released by the kernel) lets the next
            # start take it.
            self.path.unlink(missing_ok=True)
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _same_file(handle: IO[str], path: Path) -> bool:
    try:
        named, held = os.stat(path), os.fstat(handle.fileno())
    except FileNotFoundError:
        return False
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)
