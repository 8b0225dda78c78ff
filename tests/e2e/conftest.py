"""Run the real bot as a subprocess, and the real `baocao` CLI, against the local Bot API stand-in.

The CLI's commands run in this process (tests/cli.py): each would otherwise spend most of its time
starting Python. The bot is the process under test (signals, crashes, restarts), so it runs apart.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import report_kinds
from bot_api_standin import LocalBotApi
from storage.db import Database
from storage.outbox import unsent_count
from tests.cli import baocao_here

START_TIMEOUT_S = 30
# No automatic rounds and no quiet hours: the same behaviour whenever the suite runs.
MANUAL_CALENDAR = Path(__file__).resolve().parent / "calendar_manual.yaml"


@functools.cache
def tthc_on_manual_calendar() -> Path:
    """The TTHC kind as every bot of the suite runs it beside CCHC: its folder copied with the
    manual calendar, so none of its rounds opens by itself whatever the day (one copy a
    process, removed when it ends)."""
    folder = Path(tempfile.mkdtemp(prefix="baocao-kinds-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    tthc = folder / "tthc"
    shutil.copytree(report_kinds.packaged_folder("tthc"), tthc)
    shutil.copyfile(MANUAL_CALENDAR, tthc / "calendar.yaml")
    return tthc


@pytest.fixture
async def standin() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as api:
        yield api


def base_environment(**values: str) -> dict[str, str]:
    """A clean environment: only what the bot needs, so a developer's .env cannot leak in."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONUNBUFFERED": "1",
        "BAOCAO_LOG_LEVEL": "INFO",
        "BAOCAO_CALENDAR": str(MANUAL_CALENDAR),
        # Two kinds loaded, as a province running both: a test opens TTHC's rounds when it
        # wants them (tests/e2e/test_report_kinds.py), the others see CCHC's alone.
        "BAOCAO_REPORT_KINDS": f"cchc,{tthc_on_manual_calendar()}",
    }
    environment.update(values)
    return environment


@dataclass
class Baocao:
    """The project's own commands, run the way an administrator runs them."""

    workdir: Path
    environment: dict[str, str]
    processes: list[BotProcess] = field(default_factory=list)

    async def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        # In a thread: the stand-in shares this event loop and must keep answering meanwhile.
        result = await baocao_here(*args, env=self.environment, cwd=self.workdir)
        if check and result.returncode != 0:
            raise AssertionError(f"baocao {' '.join(args)} failed:\n{result.stderr}")
        return result

    async def invite_code(self, unit: str, role: str, *extra: str) -> str:
        output = (await self.cli("invite", "--unit", unit, "--role", role, *extra)).stdout
        match = re.search(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)", output)
        assert match, f"no invitation link in: {output!r}"
        return match.group(1)

    def start_bot(self, **overrides: str) -> BotProcess:
        environment = {**self.environment, **overrides}
        log_path = self.workdir / f"bot-{len(self.processes)}.log"
        log = log_path.open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=environment,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        bot = BotProcess(process, log_path)
        self.processes.append(bot)
        return bot


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def wait_for_log(self, pattern: str, within: float = START_TIMEOUT_S) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not re.search(pattern, self.log()):
            if self.process.poll() is not None:
                raise AssertionError(f"bot exited ({self.process.returncode}):\n{self.log()}")
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{pattern!r} not in the bot's log:\n{self.log()}")
            await asyncio.sleep(0.05)

    async def wait_exit(self, within: float = START_TIMEOUT_S) -> int:
        return await asyncio.wait_for(asyncio.to_thread(self.process.wait), within)

    async def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await self.wait_exit(20)
        except TimeoutError:
            self.process.kill()
            return await self.wait_exit(10)

    def kill(self) -> None:
        """kill -9: no chance to clean up, as in a crash or power loss."""
        self.process.kill()
        self.process.wait(10)


async def running(baocao: Baocao) -> BotProcess:
    """Start the bot and wait until it polls."""
    bot = baocao.start_bot()
    await bot.wait_for_log("is running")
    return bot


async def outbox_drained(database_url: str, within: float = 60) -> None:
    """Wait until no outbox row is pending or being sent (the bot has sent all it queued)."""
    database = Database(database_url)
    unsent = -1
    try:
        for _ in range(int(within * 10)):
            async with database.session() as session:
                unsent = await unsent_count(session=session)
            if unsent == 0:
                return
            await asyncio.sleep(0.1)
    finally:
        await database.dispose()
    raise AssertionError(f"{unsent} message(s) still queued after {within} s")


@pytest.fixture
async def baocao(tmp_path: Path, standin: LocalBotApi, database: Database) -> AsyncIterator[Baocao]:
    """The commands, on a copy of the run's migrated template (migrating each test's database
    again would cost as much as a short test)."""
    app = Baocao(
        workdir=tmp_path,
        environment=base_environment(
            TELEGRAM_BOT_TOKEN=standin.token,
            TELEGRAM_API_URL=standin.url,
            DATABASE_URL=database.url,
        ),
    )
    yield app
    for bot in app.processes:
        await bot.stop()
        # Whatever happened, the token never reaches the logs.
        assert standin.token not in bot.log(), "the bot token appeared in the log"


@pytest.fixture
async def province(baocao: Baocao, province_files: tuple[Path, Path]) -> Baocao:
    """The sample province, imported through the CLI."""
    units, people = province_files
    await baocao.cli("units", "import", str(units))
    await baocao.cli("people", "import", str(people))
    return baocao
