"""SQLite driven from the event loop's own thread, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call (open a cursor, execute, fetch, close, commit) on a thread of its
own and hands the result back through the event loop. Measured on an officer's answer, that is
about 30 such calls and 2 ms of CPU out of 5, almost all of it the crossing between threads,
not SQLite. A statement of this bot on a WAL database takes microseconds, so here each call is
made where it is asked for, and `create_engine` gives these connections to SQLAlchemy's
aiosqlite dialect through its `async_creator` (the dialect, its SQL and its transactions are
SQLAlchemy's own; only the driver under it changes).

What must not happen is the loop stopping while another process (the CLI importing people)
holds SQLite's write lock. So SQLite itself never waits (busy timeout 0): a call that meets
the lock is tried again after an asyncio sleep, other chats going on meanwhile, for as long as
SQLite's busy timeout would have waited, and then fails as SQLite would ("database is
locked"). SQLITE_BUSY_SNAPSHOT (the lock freed, but this transaction read an older state) is
not waited on: only a new transaction can go on, as with SQLite's own busy handler.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

SQLITE_BUSY = 5  # primary result code; extended codes keep it in the low byte
SQLITE_BUSY_SNAPSHOT = 517
# Waits between tries on a locked database: short at first, as SQLite's own busy handler.
RETRY_WAITS_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == SQLITE_BUSY and code != SQLITE_BUSY_SNAPSHOT


class _Calls:
    """Makes each sqlite3 call in the caller's thread, waiting out a locked database."""

    def __init__(self, busy_timeout_s: float) -> None:
        self.busy_timeout_s = busy_timeout_s

    async def make(self, call: Callable[..., T], *args: Any) -> T:
        deadline: float | None = None
        tries = 0
        while True:
            try:
                return call(*args)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if deadline is None:
                    deadline = time.monotonic() + self.busy_timeout_s
                wait = RETRY_WAITS_S[min(tries, len(RETRY_WAITS_S) - 1)]
                if time.monotonic() + wait > deadline:
                    raise  # waited as long as SQLite would have: "database is locked"
            await asyncio.sleep(wait)
            tries += 1


class LoopCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy's dialect uses."""

    def __init__(self, cursor: sqlite3.Cursor, calls: _Calls) -> None:
        self._cursor = cursor
        self._calls = calls

    async def __aenter__(self) -> LoopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()
    ) -> LoopCursor:
        await self._calls.make(self._cursor.execute, sql, parameters)
        return self

    async def executemany(
        self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]
    ) -> LoopCursor:
        rows = list(parameters)  # a retry must see every row again
        await self._calls.make(self._cursor.executemany, sql, rows)
        return self

    # Fetches are not tried again: rows read before a failure would be lost. (On a WAL
    # database a reader does not meet the write lock.)
    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany() if size is None else self._cursor.fetchmany(size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Immediately:
    """Stands for aiosqlite's queue of calls, which SQLAlchemy's dialect uses directly to set a
    connection's isolation level: the call is made at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, call = item
        try:
            future.set_result(call())
        except Exception as exc:
            future.set_exception(exc)


class LoopConnection:
    """The part of aiosqlite's Connection that SQLAlchemy's dialect uses, over a sqlite3
    connection called from the event loop's thread."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout_s: float) -> None:
        self._conn = connection
        # aiosqlite's names: the dialect reads `_connection` (None once closed) and `_tx`.
        self._connection: sqlite3.Connection | None = connection
        self._tx = _Immediately()
        self._calls = _Calls(busy_timeout_s)

    @property
    def busy_timeout_s(self) -> float:
        return self._calls.busy_timeout_s

    def cursor(self) -> LoopCursor:
        return LoopCursor(self._conn.cursor(), self._calls)

    async def commit(self) -> None:
        await self._calls.make(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


def connector(path: str, busy_timeout_s: float) -> Callable[[], Any]:
    """An `async_creator` for SQLAlchemy: a new connection to the SQLite file at `path`."""

    async def connect() -> LoopConnection:
        # check_same_thread off: SQLAlchemy may close a pooled connection from the thread that
        # drops it (the calls themselves all come from the loop's thread).
        connection = sqlite3.connect(path, timeout=0, check_same_thread=False)
        return LoopConnection(connection, busy_timeout_s)

    return connect
