"""Shared fixtures. DATABASE_URL selects the database: SQLite by default, PostgreSQL when set.

Each test gets a database of its own: a SQLite file in its tmp_path, or on PostgreSQL a fresh
database created on the server DATABASE_URL names and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import Database, upgrade_database

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores. The end-to-end tests spend much of their time
    waiting for a bot subprocess or a stand-in; on 2 cores a third worker took the suite from
    4:37 to 3:59."""
    return (os.cpu_count() or 1) + 1


# PTB 22 warns (an error under our filterwarnings) when RetryAfter.retry_after is read as an int;
# opting in to the timedelta form, which becomes PTB's default, keeps tests warning-free.
os.environ.setdefault("PTB_TIMEDELTA", "true")

T = TypeVar("T")


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to connect anywhere but this machine (as PTB's own suite does)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in {"localhost", "::1"} or host.startswith("/")
        ):
            raise OSError(f"tests must not reach the network (tried {address!r})")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the test's own; for a test that also uses `database`, a copy of the
    run's migrated template from the start (on PostgreSQL, creating an empty database only to
    drop it for the copy took a third of a second a test)."""
    copy_of = (
        request.getfixturevalue("migrated_template") if "database" in request.fixturenames else None
    )
    async with new_database(tmp_path, copy_of=copy_of) as url:
        yield url


@contextlib.asynccontextmanager
async def new_database(folder: Path, *, copy_of: str | None = None) -> AsyncIterator[str]:
    """The URL of a new database, empty or a copy of `copy_of` (nothing may be connected to it):
    a SQLite file in `folder`, or on PostgreSQL a database created on the server DATABASE_URL
    names and dropped on leaving."""
    if not POSTGRES:
        path = folder / "baocao.sqlite3"
        if copy_of is not None:
            source = make_url(copy_of).database
            assert source is not None
            shutil.copyfile(source, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server = make_url(os.environ["DATABASE_URL"])
    name = f"baocao_test_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{make_url(copy_of).database}"' if copy_of is not None else ""
    await _admin(server, f'CREATE DATABASE "{name}"{template}')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once for the whole run (on each worker); each `database` starts as a
    copy of it. Made aside, on a loop of its own: it may be first asked for by a fixture that
    runs in a test's event loop."""
    if not POSTGRES:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite3'}"
        _run_aside(upgrade_database(url))
        yield url
        return
    server = make_url(os.environ["DATABASE_URL"])
    name = f"baocao_template_{uuid.uuid4().hex[:12]}"
    _run_aside(_admin(server, f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    _run_aside(upgrade_database(url))
    yield url
    _run_aside(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _run_aside(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end in a thread with an event loop of its own."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


async def _admin(server: URL, *statements: str) -> None:
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await admin.dispose()


async def copy_database(source_url: str, target_url: str) -> None:
    """Make the target database a copy of the source, which nothing may be connected to."""
    if POSTGRES:
        name = make_url(target_url).database
        template = make_url(source_url).database
        await _admin(
            make_url(os.environ["DATABASE_URL"]),
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
        )
    else:
        source = make_url(source_url).database
        target = make_url(target_url).database
        assert source is not None and target is not None
        shutil.copyfile(source, target)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database: `database_url` made it a copy of the run's template (migrating each
    test's own database would cost most of a short test)."""
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
def province_files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """The sample province the demo uses, as files an administrator would import."""
    source = Path(__file__).resolve().parent.parent / "bot" / "demo_data"
    units = tmp_path / "units.csv"
    people = tmp_path / "people.csv"
    units.write_bytes((source / "units.csv").read_bytes())
    people.write_bytes((source / "people.csv").read_bytes())
    yield units, people
