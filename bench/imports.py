"""Import 100,000 units and 100,000 people with `baocao units import` and `baocao people import`.

Run from the repository root:
`.venv/bin/python bench/imports.py [--units N] [--people N] [--formats csv,xlsx]
[--database-url URL] [--keep]`.

Setup (not timed): for each format, a fresh SQLite database in a temporary folder (or, with
`--database-url postgresql+asyncpg://.../test`, a fresh database created next to that one on the
same server and dropped at the end), migrated; a units file (a province, its office and N - 2
communes under both) and a people file (N people spread over the communes: four officers, then a
chairman, a vice-chairman who signs and a clerk in turn; every other one with a Telegram id and a
phone), written as CSV or as .xlsx (openpyxl, write-only).

Timed, each as a child process with DATABASE_URL in its environment, exactly as an administrator
runs it (interpreter start, imports and the schema check included): the units import, the people
import, and the people import again (a re-import: every row found and left unchanged). wall_s is
the child's wall time, rows_per_s the file's data rows over it, and peak_mb the child's own peak
RSS (os.wait4). This script imports only the standard library in the parent, so its memory does
not inflate the children's figures; files are written in a setup child of their own.

The children's summaries are checked (created, updated, unchanged), so the benchmark cannot pass
on an import that did nothing. The last line printed is a JSON object:

    {"bench": "imports", "units": 100000, "people": 100000, "csv": {"units": {"wall_s": ...,
     "rows_per_s": ..., "peak_mb": ...}, "people": {...}, "people_again": {...}}, "xlsx": {...},
     "targets_met": ...}

Target: each import of 100,000 rows under 60 s and under 1,000 MB ("targets_met").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synthetic import create_database, drop_database  # noqa: E402

DEFAULT_ROWS = 100_000
FORMATS = ("csv", "xlsx")
WALL_TARGET_S = 60.0
DATABASE_PREFIX = "baocao_bench_imports_"  # the databases this bench makes on PostgreSQL
PEAK_TARGET_MB = 1000.0
FIRST_USER_ID = 7_000_000_000
ROLES = ("officer", "officer", "officer", "officer", "chairman", "vice_chairman", "clerk")
UNIT_COLUMNS = ["code", "name", "kind", "parent_code", "office_code"]
PEOPLE_COLUMNS = ["unit_code", "role", "full_name", "title", "phone", "telegram_user_id", "signs"]
SUMMARY = re.compile(r"(\d+) created, (\d+) updated, (\d+) unchanged")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--people", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--formats", default=",".join(FORMATS), help="csv, xlsx or csv,xlsx")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL URL (postgresql+asyncpg://...); a fresh database is created on that "
        "server and dropped afterwards. Default: SQLite in a temporary folder.",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--setup", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--format", default="csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.units < 3 or args.people < 1:
        parser.error("--units must be at least 3 and --people at least 1")
    formats = [part.strip() for part in args.formats.split(",") if part.strip()]
    if not formats or any(fmt not in FORMATS for fmt in formats):
        parser.error(f"--formats takes {' or '.join(FORMATS)}")
    if args.database_url is not None and not args.database_url.startswith("postgresql"):
        parser.error("--database-url is for PostgreSQL; SQLite is the default")
    if args.setup is not None:  # the setup process
        facts = asyncio.run(
            populate(args.setup, args.format, args.units, args.people, args.database_url)
        )
        print(json.dumps(facts))
        return
    result: dict[str, Any] = {"bench": "imports", "units": args.units, "people": args.people}
    met = True
    for fmt in formats:
        figures = run(fmt, args.units, args.people, args.database_url, args.keep)
        result[fmt] = figures
        met = met and all(
            step["wall_s"] < WALL_TARGET_S * max(1.0, step["rows"] / DEFAULT_ROWS)
            and step["peak_mb"] < PEAK_TARGET_MB
            for step in figures.values()
        )
    result["database"] = "postgresql" if args.database_url else "sqlite"
    result["targets_met"] = met
    print(json.dumps(result))


def run(
    fmt: str, units: int, people: int, admin_url: str | None, keep: bool
) -> dict[str, dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench_imports_{fmt}_"))
    database_url: str | None = None
    try:
        setup = [sys.executable, __file__, "--setup", str(folder), "--format", fmt]
        setup += ["--units", str(units), "--people", str(people)]
        if admin_url is not None:
            setup += ["--database-url", admin_url]
        done = subprocess.run(setup, stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"setup failed (exit {done.returncode})")
        facts = json.loads(done.stdout.strip().splitlines()[-1])
        database_url = str(facts["database_url"])
        steps = {
            "units": ("units", facts["units_file"], units, (units, 0, 0)),
            "people": ("people", facts["people_file"], people, (people, 0, 0)),
            "people_again": ("people", facts["people_file"], people, (0, 0, people)),
        }
        figures: dict[str, dict[str, Any]] = {}
        for step, (what, file, rows, expected) in steps.items():
            wall_s, usage, output = import_in_child(folder, database_url, what, file)
            found = SUMMARY.search(output)
            counts = tuple(int(n) for n in found.groups()) if found else None
            if counts != expected:
                sys.stderr.write(output)
                raise SystemExit(f"{step}: expected {expected} (created, updated, unchanged)")
            figures[step] = {
                "rows": rows,
                "wall_s": round(wall_s, 2),
                "rows_per_s": round(rows / wall_s),
                "peak_mb": round(usage.ru_maxrss / 1024, 1),  # kB on Linux
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            }
            print(
                f"{fmt} {step}: {rows} rows in {wall_s:.1f} s, {rows / wall_s:,.0f} rows/s, "
                f"peak {usage.ru_maxrss / 1024:.0f} MB"
            )
        return figures
    finally:
        if admin_url is not None and database_url is not None:
            asyncio.run(drop_database(admin_url, database_url, DATABASE_PREFIX))
        if keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


def import_in_child(
    folder: Path, database_url: str, what: str, file: str
) -> tuple[float, Any, str]:
    """Run `baocao <what> import FILE` as its own process: wall time, its rusage, its output."""
    script = Path(sys.executable).with_name("baocao")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "bot"]
    # Only what the command needs: no token, no settings of the shell, no .env (cwd is the
    # temporary folder).
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("BAOCAO_", "TELEGRAM_", "DATABASE_URL"))
    }
    environment.update(DATABASE_URL=database_url, BAOCAO_LOG_LEVEL="WARNING")
    log = folder / f"{what}.log"
    with log.open("wb") as sink:
        started = time.perf_counter()
        child = subprocess.Popen(
            [*cli, what, "import", file], cwd=folder, env=environment, stdout=sink, stderr=sink
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall_s = time.perf_counter() - started
    output = log.read_text(encoding="utf-8", errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(output[-4000:])
        raise SystemExit(f"baocao {what} import failed")
    return wall_s, usage, output


# ---------------------------------------------------------------------------------------------
# The setup process: the files and an empty, migrated database


def unit_rows(units: int) -> list[list[str]]:
    rows = [
        ["P", "Tỉnh Mẫu Sơn", "tỉnh", "", ""],
        ["SNV", "Sở Nội vụ tỉnh Mẫu Sơn", "cơ quan", "P", ""],
    ]
    rows += [[f"X{n:06d}", f"Xã Số {n}", "xã", "P", "SNV"] for n in range(units - 2)]
    return rows


def people_rows(people: int, communes: int) -> list[list[str]]:
    rng = random.Random(20261216)
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
    given = ["Văn An", "Thị Bình", "Đức Cường", "Thu Hà", "Minh Khôi", "Ngọc Lan"]
    rows = []
    for n in range(people):
        role = ROLES[(n // communes) % len(ROLES)]
        name = f"{rng.choice(family)} {rng.choice(given)} {n}"
        with_account = n % 2 == 0
        rows.append(
            [
                f"X{n % communes:06d}",
                role,
                name,
                "Công chức Văn phòng - Thống kê" if role == "officer" else "",
                f"09{n:08d}" if with_account else "",
                str(FIRST_USER_ID + n) if with_account else "",
                "x" if role == "vice_chairman" else "",
            ]
        )
    return rows


def write_file(path: Path, header: list[str], rows: list[list[str]]) -> None:
    if path.suffix == ".csv":
        import csv

        with path.open("w", encoding="utf-8", newline="") as sink:
            writer = csv.writer(sink)
            writer.writerow(header)
            writer.writerows(rows)
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


async def populate(
    folder: Path, fmt: str, units: int, people: int, admin_url: str | None
) -> dict[str, object]:
    from storage.db import upgrade_database

    units_file, people_file = folder / f"units.{fmt}", folder / f"people.{fmt}"
    write_file(units_file, UNIT_COLUMNS, unit_rows(units))
    write_file(people_file, PEOPLE_COLUMNS, people_rows(people, units - 2))
    if admin_url is None:
        database_url = f"sqlite+aiosqlite:///{folder / 'imports.sqlite3'}"
    else:
        database_url = await create_database(admin_url, DATABASE_PREFIX)
    await upgrade_database(database_url)
    return {
        "database_url": database_url,
        "units_file": str(units_file),
        "people_file": str(people_file),
    }


if __name__ == "__main__":
    main()
