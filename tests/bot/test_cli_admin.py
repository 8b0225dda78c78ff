"""An administrator's mistakes with the `baocao` command: a database that is not there, a
command run from the wrong folder, a role in Vietnamese, a period never opened, an output folder
that cannot be written. Real subprocesses, as the administrator runs them."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import base_environment


async def baocao(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `baocao` in `cwd` with only the settings given (no DATABASE_URL unless given)."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", *args],
        env=base_environment(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
async def imported(tmp_path: Path, database_url: str, province_files: tuple[Path, Path]) -> str:
    units, people = province_files
    for what, path in (("units", units), ("people", people)):
        result = await baocao(tmp_path, what, "import", str(path), DATABASE_URL=database_url)
        assert result.returncode == 0, result.stderr
    return database_url


# Every kind of command: the bot, the ones that read, the ones that write, the one that migrates.
COMMANDS = [
    ("run",),
    ("round", "status", "--period", "2026-Q4"),
    ("round", "open", "--period", "2026-Q4"),
    ("outbox", "list"),
    ("units", "import", "units.csv"),
    ("compile", "--period", "2026-Q4", "--office", "SNV-33", "--out", "out"),
    ("draft", "--unit", "12151", "--period", "2026-Q4", "--out", "out"),
    ("invite", "--unit", "12151", "--role", "officer"),
    ("db", "upgrade"),
]
BOT = {
    "TELEGRAM_BOT_TOKEN": "123456:TEST-token-not-used",
    "TELEGRAM_API_URL": "http://127.0.0.1:9",
    "TELEGRAM_BOT_USERNAME": "b_bot",
    "BAOCAO_LOG_LEVEL": "WARNING",
}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command[:2]))
async def test_a_closed_port_is_one_line_without_the_password_and_exit_2(
    tmp_path: Path, province_files: tuple[Path, Path], command: tuple[str, ...]
) -> None:
    url = f"postgresql+asyncpg://postgres:s3cret@127.0.0.1:{closed_port()}/baocao"
    result = await baocao(tmp_path, *command, DATABASE_URL=url, **BOT)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"Database error: cannot open {url.replace('s3cret', '***')}: connection refused"
    ]


@pytest.mark.skipif(not postgres_reachable(), reason="no PostgreSQL at 127.0.0.1:5432")
@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command[:2]))
async def test_a_missing_postgresql_database_is_one_line_and_exit_2(
    tmp_path: Path, province_files: tuple[Path, Path], command: tuple[str, ...]
) -> None:
    name = f"baocao_missing_{uuid.uuid4().hex[:8]}"
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    result = await baocao(tmp_path, *command, DATABASE_URL=url, **BOT)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f'Database error: cannot open {url}: database "{name}" does not exist'
    ]


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if c[0] not in {"run", "db"} and c[1] != "import"]
)
async def test_a_command_that_reads_never_creates_a_database(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Run from the wrong folder (no .env, the default SQLite path): say so, create nothing."""
    result = await baocao(tmp_path, *command, TELEGRAM_BOT_USERNAME="b_bot")
    database = tmp_path / "data" / "baocao.sqlite3"
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"Database error: no database at {database}; run `baocao db upgrade` or set DATABASE_URL"
    ]
    assert not database.exists()


async def test_the_env_file_is_chosen_by_option_or_variable(tmp_path: Path, imported: str) -> None:
    settings = tmp_path / "srv" / "baocao.env"
    settings.parent.mkdir()
    settings.write_text(f"DATABASE_URL={imported}\nTELEGRAM_BOT_USERNAME=b_bot\n")
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()

    by_option = await baocao(elsewhere, "--env-file", str(settings), "outbox", "list")
    by_variable = await baocao(elsewhere, "outbox", "list", BAOCAO_ENV_FILE=str(settings))
    missing = await baocao(elsewhere, "--env-file", "nope.env", "outbox", "list")

    for result in (by_option, by_variable):
        assert (result.returncode, result.stdout) == (0, "No failed messages.\n"), result.stderr
    assert missing.returncode == 2
    assert "'nope.env' does not exist" in missing.stderr
    assert not (elsewhere / "data").exists()


async def test_alembic_says_nothing_unless_debugging(tmp_path: Path, database_url: str) -> None:
    quiet = await baocao(tmp_path, "db", "upgrade", DATABASE_URL=database_url)
    debug = await baocao(
        tmp_path, "db", "upgrade", DATABASE_URL=database_url, BAOCAO_LOG_LEVEL="DEBUG"
    )
    assert (quiet.returncode, quiet.stderr) == (0, "")
    assert "alembic.runtime.migration" in debug.stderr


@pytest.mark.parametrize(
    ("unit", "role"),
    [("12151", "chủ tịch"), ("12151", "Phó Chủ tịch"), ("SNV-33", "cơ quan tiếp nhận")],
)
async def test_invite_takes_the_role_names_the_import_takes(
    tmp_path: Path, imported: str, unit: str, role: str
) -> None:
    result = await baocao(
        tmp_path,
        *("invite", "--unit", unit, "--role", role),
        DATABASE_URL=imported,
        TELEGRAM_BOT_USERNAME="b_bot",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("https://t.me/b_bot?start=")


@pytest.mark.parametrize(
    ("unit", "role", "expected"),
    [
        ("12151", "office", "role office needs an office unit, but '12151' is a commune"),
        ("SNV-33", "cán bộ", "role officer belongs to a commune, but 'SNV-33' is a office"),
        ("12151", "thị trưởng", "Invalid value for '--role': unknown role 'thị trưởng'"),
    ],
)
async def test_invite_refuses_a_role_that_does_not_fit_the_unit(
    tmp_path: Path, imported: str, unit: str, role: str, expected: str
) -> None:
    result = await baocao(
        tmp_path,
        *("invite", "--unit", unit, "--role", role),
        DATABASE_URL=imported,
        TELEGRAM_BOT_USERNAME="b_bot",
    )
    assert result.returncode in (1, 2)
    assert expected in result.stderr
    assert "https://" not in result.stdout


async def test_compile_of_a_period_never_opened_says_so(tmp_path: Path, imported: str) -> None:
    result = await baocao(
        tmp_path,
        *("compile", "--period", "2025-Q1", "--office", "SNV-33", "--out", "out"),
        DATABASE_URL=imported,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["Error: 2025-Q1 has not been opened (baocao round open)"]
    assert list((tmp_path / "out").iterdir()) == []


async def test_compile_writes_to_the_output_dir_and_an_unwritable_one_stops_it(
    tmp_path: Path, imported: str
) -> None:
    opened = await baocao(tmp_path, "round", "open", "--period", "2026-Q4", DATABASE_URL=imported)
    assert opened.returncode == 0, opened.stderr
    output = tmp_path / "reports"
    compiled = await baocao(
        tmp_path,
        *("compile", "--period", "2026-Q4", "--office", "SNV-33"),
        DATABASE_URL=imported,
        BAOCAO_OUTPUT_DIR=str(output),
    )
    assert compiled.returncode == 0, compiled.stderr
    assert sorted(path.name for path in output.iterdir()) == [
        "BC-CCHC_2026-Q4_SNV-33_cac-xa.zip",
        "BC-TH-CCHC_2026-Q4_SNV-33.docx",
        "TH-CCHC_2026-Q4_SNV-33.xlsx",
    ]

    not_a_folder = tmp_path / "units.csv" / "reports"  # under a file: not writable, even by root
    for command in (
        ("compile", "--period", "2026-Q4", "--office", "SNV-33"),
        ("draft", "--unit", "12151", "--period", "2026-Q4"),
    ):
        refused = await baocao(
            tmp_path, *command, DATABASE_URL=imported, BAOCAO_OUTPUT_DIR=str(not_a_folder)
        )
        assert refused.returncode == 2
        assert refused.stderr.splitlines() == [
            f"Configuration error: BAOCAO_OUTPUT_DIR: cannot write to {not_a_folder} "
            "(Not a directory)"
        ]


async def test_standin_command_serves_the_bot_api_until_stopped(tmp_path: Path) -> None:
    port = closed_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot", "standin", "--port", str(port)),
        env=base_environment(),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        url = f"http://127.0.0.1:{port}"
        assert first.decode().strip() == f"Telegram Bot API stand-in listening on {url}"
        token = (await process.stdout.readline()).decode().split()[-1]
        answer = await asyncio.to_thread(
            lambda: json.load(urllib.request.urlopen(f"{url}/bot{token}/getMe", timeout=10))
        )
        assert answer["ok"] is True
    finally:
        process.terminate()
        code = await asyncio.wait_for(process.wait(), timeout=30)
    assert code == 0
