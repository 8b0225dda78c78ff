"""What the benchmarks share: a synthetic province (communes under one receiving office, and
officers whose Telegram accounts are known, so nobody needs an invitation) and the `baocao`
commands run as an administrator runs them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path


def write_province(
    folder: Path, *, communes: int, officers: int, first_user_id: int
) -> tuple[Path, Path]:
    """units.csv and people.csv in `folder`; officer n works in commune n % communes."""
    units = [
        "code,name,kind,parent_code,office_code",
        "P,Tỉnh mẫu,tỉnh,,",
        "SNV,Sở Nội vụ,cơ quan,P,",
    ]
    units += [f"X{n:04d},Xã số {n},xã,P,SNV" for n in range(communes)]
    people = ["unit_code,role,full_name,telegram_user_id"]
    people += [
        f"X{n % communes:04d},officer,Cán bộ {n},{first_user_id + n}" for n in range(officers)
    ]
    units_file, people_file = folder / "units.csv", folder / "people.csv"
    units_file.write_text("\n".join(units) + "\n", encoding="utf-8")
    people_file.write_text("\n".join(people) + "\n", encoding="utf-8")
    return units_file, people_file


async def cli(folder: Path, env: dict[str, str], *args: str) -> str:
    # In a thread: the stand-in shares this event loop and must keep answering meanwhile.
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise SystemExit(f"baocao {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


# ---------------------------------------------------------------------------------------------
# PostgreSQL: a database of the bench's own next to the one given, never touching its tables


async def create_database(admin_url: str, prefix: str) -> str:
    """A new database named `prefix`... on the server of `admin_url`; its URL."""
    import os
    import random

    from sqlalchemy.engine import make_url

    name = f"{prefix}{os.getpid()}_{random.randrange(16**6):06x}"
    await _on_server(admin_url, f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(admin_url: str, database_url: str, prefix: str) -> None:
    """Drop a database `create_database` made with this prefix (only ever one of those)."""
    from sqlalchemy.engine import make_url

    name = make_url(database_url).database
    if name and name.startswith(prefix):
        await _on_server(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _on_server(admin_url: str, sql: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE cannot run inside one)."""
    from sqlalchemy import text

    from storage.db import create_engine

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await asyncio.wait_for(connection.execute(text(sql)), 30)
    finally:
        await engine.dispose()
