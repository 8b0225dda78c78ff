"""Officers' answers per second through the real bot, against a bare PTB echo bot, and step latency.

Run from the repository root:
`.venv/bin/python bench/throughput.py [--officers 200] [--answers-per-officer 5] [--pairs 3]
[--rates 20,50] [--seconds 15] [--databases sqlite,postgresql] [--postgres-url URL]`.

Everything talks to the local Bot API stand-in (`bot_api_standin`, in this process, flood limits
off) over HTTP, and every bot is a child process, as in production:

1. Echo (the yardstick): `bench/echo_bot.py`, a minimal python-telegram-bot `Application` with
   one MessageHandler replying with the same text, on a stand-in of its own, running for the
   whole benchmark. N users (`--officers`) each send a message, wait for its echo, send the
   next: N x `--answers-per-officer` updates in a closed loop.
2. The bot, once per database: a province of N communes with one officer each (Telegram ids in
   people.csv, so no invitation is needed) imported with `baocao units import` and `baocao
   people import`, 2026-Q4 opened with `baocao round open`, then `baocao run` (the e2e tests'
   environment and manual calendar). Once every round prompt arrived, each officer types
   /baocao and gets the first question.
   * Throughput, `--pairs` times: the echo's closed loop, then at once the same closed loop
     through the bot, each officer typing a valid answer to the question on their screen as
     soon as it arrives; the bot stores the answer (committed) before it sends the next
     question. Rate = answers / (first sent .. last reply). Each pair gives a ratio, measured
     moments apart, so a slow moment of the machine weighs on both; the ratio reported is the
     median of the pairs.
   * Step latency at each of `--rates` (updates/s, `--seconds` each), open loop: answers are
     due at that aggregate rate, each given by the longest-waiting officer whose question has
     arrived. Latency = answer injected -> next question created on the stand-in. A due answer
     with no officer ready (all waiting on the bot) goes when one is, and counts as "late";
     nothing is sent after 1.5 x `--seconds`, so a bot that falls behind sends fewer.
   At the end of each phase the rows of `answers` are counted: every answer the bot confirmed
   ("✔ Đã lưu") must be there.
   SQLite is a file in a temporary folder; PostgreSQL a fresh database created next to
   `--postgres-url` and dropped at the end (skipped, with a note, when it cannot be reached).

CPU shares (CPU seconds per wall second over the phase) are printed for the bot process, this
process (stand-in and driver) and the rest of the machine, and the bot's (or the echo bot's)
CPU milliseconds per update: on a busy machine the rates drop, that figure much less. With
BENCH_THROUGHPUT_PROFILE=DIR the bot runs under cProfile, writes DIR/bot-<database>.prof and its
top functions go to stderr (slower: for finding where time goes, not for the figures).

Targets (from the issue): throughput ratio bot/echo >= 0.5 (the median of the pairs on SQLite)
with every answer stored; p99 < 150 ms at 50 updates/s on SQLite. The last line printed is a
JSON object {"bench": "throughput", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from bench.synthetic import cli, write_province  # noqa: E402
from bot_api_standin import FakeUser, LocalBotApi  # noqa: E402
from definitions.forms import load_form  # noqa: E402

FIRST_USER_ID = 920_000_000
PERIOD = "2026-Q4"
CALENDAR = ROOT / "tests" / "e2e" / "calendar_manual.yaml"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DATABASE_PREFIX = "baocao_bench_throughput_"
REPLY_TIMEOUT_S = 60.0
OVERRUN = 1.5  # a latency run sends nothing after 1.5 x its length
START_TIMEOUT_S = 60.0
RATIO_TARGET = 0.5
P99_TARGET_MS = 150.0
P99_TARGET_RATE = 50.0

ROUND_PROMPT_MARK = "📋"
SAVED_MARK = "✔ Đã lưu"
REFUSED_MARK = "⚠️"
POSITION = re.compile(r"Phần \d+/\d+ · Câu \d+/\d+")

# A valid typed answer to every question of the form, consistent with the form's rules (digital
# posts <= posts, airings > 0 with minutes, a contest so its participants are asked), so every
# question is asked: 41 per officer.
ANSWERS = {
    "plan_refs": "03/KH-UBND ngày 08/01/2026",
    "higher_docs": "181/KH-UBND ngày 29/12/2025 của UBND tỉnh Hưng Yên",
    "directed_to": "1, 2",
    "other_directives": "2",
    "content_topics": "1, 2, 14",
    "content_docs": "76/NQ-CP ngày 15/7/2021 của Chính phủ",
    "content_other": "Kết quả chấm điểm chỉ số cải cách hành chính năm trước",
    "radio_station": "Đang hoạt động",
    "radio_programs": "6 chuyên mục",
    "radio_items": "25",
    "radio_airings": "30 lượt",
    "radio_minutes": "1 giờ 30",
    "radio_per_day": "2",
    "radio_relay": "có",
    "web_posts": "20",
    "web_posts_digital": "5",
    "social_posts": "12",
    "web_tthc_updated": "có",
    "banners": "2",
    "slogans": "6",
    "panels": "3",
    "leaflets": "1500",
    "tthc_posted_percent": "100%",
    "meetings_integrated": "4",
    "meetings_cchc": "1",
    "meetings_cchc_unit": "buổi",
    "dialogues": "1",
    "meeting_attendance": "350",
    "mobile_sessions": "2",
    "mobile_sessions_unit": "đợt",
    "citizens_guided": "1200",
    "contests": "1",
    "contest_participants": "350",
    "staged_events": "0",
    "trainings": "1",
    "other_forms_text": "Tuyên truyền qua nhóm Zalo của các thôn",
    "strengths": "Công tác tuyên truyền được triển khai kịp thời, bám sát kế hoạch.",
    "limitations": "Kinh phí cho tuyên truyền còn hạn chế.",
    "causes": "Cán bộ phụ trách kiêm nhiệm nhiều việc.",
    "directions": "Tiếp tục tuyên truyền qua đài truyền thanh và trang thông tin điện tử.",
    "proposals": "Đề nghị tổ chức tập huấn nghiệp vụ tuyên truyền.",
}
FORM = load_form()
# Longest label first: a label that contains another still names its own question.
LABELS = sorted(((q.label, q.code) for q in FORM.questions.values()), key=lambda p: -len(p[0]))
QUESTIONS = len(FORM.questions)


# ---------------------------------------------------------------------------------------------
# The stand-in, and the people typing into it


class WatchedBotApi(LocalBotApi):
    """The stand-in, handing every message the bot sends to its chat's inbox as it is created
    (no polling of the transcript: the driver must not slow the stand-in down)."""

    def __init__(self) -> None:
        super().__init__()
        self.inboxes: dict[int, asyncio.Queue[tuple[float, dict[str, Any]]]] = {}

    def _new_bot_message(self, chat: Any, content: Any, markup: Any, reply_to: Any) -> Any:
        message = super()._new_bot_message(chat, content, markup, reply_to)
        inbox = self.inboxes.get(chat["id"])
        if inbox is not None:
            inbox.put_nowait((time.perf_counter(), message))
        return message

    def person(self, n: int) -> Person:
        user = FakeUser(id=FIRST_USER_ID + n, first_name=f"Cán bộ {n}")
        self.add_private_chat(user)
        self.inboxes[user.id] = asyncio.Queue()
        return Person(self, user, self.inboxes[user.id])

    def refused_calls(self) -> int:
        return sum(1 for call in self.requests if call.error is not None)

    def flood_limited(self) -> int:
        return sum(1 for call in self.requests if call.error is not None and call.error[0] == 429)


@dataclass
class Person:
    """A user in their private chat: types, and reads what the bot sends back."""

    api: WatchedBotApi
    user: FakeUser
    inbox: asyncio.Queue[tuple[float, dict[str, Any]]]
    question: str | None = None  # the question code on the screen, None when none is
    stored: int = 0
    refused: int = 0
    latencies: list[float] = field(default_factory=list)

    def drain(self) -> list[str]:
        texts = []
        while not self.inbox.empty():
            texts.append(str(self.inbox.get_nowait()[1].get("text", "")))
        return texts

    async def read(self, accept: Callable[[str], bool]) -> tuple[float, str]:
        """The next message whose text `accept`s, with when it was created."""
        while True:
            arrived, message = await asyncio.wait_for(self.inbox.get(), REPLY_TIMEOUT_S)
            text = str(message.get("text", ""))
            if accept(text):
                return arrived, text

    async def echo(self, text: str) -> float:
        sent = time.perf_counter()
        self.api.send_message(self.user, text)
        arrived, _ = await self.read(lambda received: received == text)
        return arrived - sent

    async def open_walk(self) -> None:
        self.api.send_message(self.user, "/baocao")
        _, text = await self.read(lambda received: POSITION.search(received) is not None)
        self.question = question_in(text)

    async def answer(self) -> float:
        """Type the answer to the question on screen; the seconds until the next question."""
        assert self.question is not None
        sent = time.perf_counter()
        self.api.send_message(self.user, ANSWERS[self.question])
        arrived, text = await self.read(
            lambda received: received.startswith((SAVED_MARK, REFUSED_MARK))
        )
        if text.startswith(SAVED_MARK):
            self.stored += 1
        else:
            self.refused += 1  # a bug of this script's answers: reported, and asked again
        self.question = question_in(text)  # None: the review, the walk is over
        latency = arrived - sent
        self.latencies.append(latency)
        return latency


def question_in(text: str) -> str | None:
    if POSITION.search(text) is None:
        return None
    return next((code for label, code in LABELS if label in text), None)


# ---------------------------------------------------------------------------------------------
# Measuring


class CpuMeter:
    """CPU seconds per wall second of a child process, this process and the whole machine."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.start = self._sample()

    def _sample(self) -> tuple[float, float, float, float]:
        ticks = os.sysconf("SC_CLK_TCK")
        child = 0.0
        if self.pid is not None:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
                child = (int(fields[11]) + int(fields[12])) / ticks
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        busy = (sum(values) - values[3] - values[4]) / ticks  # all but idle and iowait
        return time.perf_counter(), child, time.process_time(), busy

    def shares(self) -> dict[str, float]:
        end = self._sample()
        wall = end[0] - self.start[0]
        return {
            "bot_s": round(end[1] - self.start[1], 2),
            "bot": round((end[1] - self.start[1]) / wall, 2),
            "bench": round((end[2] - self.start[2]) / wall, 2),
            "machine": round((end[3] - self.start[3]) / wall, 2),
        }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def cpu_text(cpu: dict[str, float]) -> str:
    cores = os.cpu_count() or 1
    rest = max(0.0, cpu["machine"] - cpu["bot"] - cpu["bench"])
    return (
        f"CPU s/s: bot {cpu['bot']:.2f}, stand-in+driver {cpu['bench']:.2f}, "
        f"rest of machine {rest:.2f} ({cores} cores)"
    )


async def closed_loop(
    people: list[Person], rounds: int, act: Callable[[Person, int], Awaitable[float]]
) -> tuple[float, list[float]]:
    """Everyone acts `rounds` times, each time once the bot answered the last; (s, latencies)."""
    latencies: list[float] = []

    async def one(person: Person) -> None:
        for n in range(rounds):
            latencies.append(await act(person, n))

    started = time.perf_counter()
    await asyncio.gather(*(one(person) for person in people))
    return time.perf_counter() - started, latencies


async def open_loop(people: list[Person], rate: float, seconds: float) -> dict[str, Any]:
    """Answers due at `rate` per second for `seconds`, each by the officer waiting longest.

    A bot that falls behind leaves no officer ready: the due answer waits for one ("late").
    Nothing more is sent after OVERRUN x `seconds`, so a slow bot cannot stretch the run.
    """
    ready: asyncio.Queue[Person] = asyncio.Queue()
    for person in people:
        if person.question is not None:
            ready.put_nowait(person)
    latencies: list[float] = []
    tasks: set[asyncio.Task[None]] = set()
    late = sent = 0

    async def answer(person: Person) -> None:
        latencies.append(await person.answer())
        if person.question is not None:
            ready.put_nowait(person)

    due = int(rate * seconds)
    started = time.perf_counter()
    cutoff = started + seconds * OVERRUN
    first = last = started
    for k in range(due):
        wait = started + k / rate - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        if ready.empty():
            late += 1
        try:
            person = await asyncio.wait_for(ready.get(), cutoff - time.perf_counter())
        except TimeoutError:
            break
        last = time.perf_counter()
        if k == 0:
            first = last
        sent += 1
        task = asyncio.create_task(answer(person))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return {
        "offered_per_s": rate,
        "due": due,
        "answers": len(latencies),
        "sent_per_s": round((sent - 1) / (last - first), 1) if last > first else 0.0,
        "late": late,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }


# ---------------------------------------------------------------------------------------------
# Children: the echo bot, the bot, the CLI


def environment(api: LocalBotApi, database_url: str | None = None) -> dict[str, str]:
    """Only what a bot needs (as tests/e2e/conftest.py), so no developer's .env leaks in."""
    values = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONUNBUFFERED": "1",
        "BAOCAO_LOG_LEVEL": "INFO",
        "BAOCAO_CALENDAR": str(CALENDAR),
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.url,
    }
    if database_url is not None:
        values["DATABASE_URL"] = database_url
    return values


def start(
    command: list[str], env: dict[str, str], folder: Path, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(command, env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT)


async def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(asyncio.to_thread(process.wait), 30)
    except TimeoutError:
        process.kill()
        return await asyncio.to_thread(process.wait)


async def until_polling(api: LocalBotApi, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not await _polled(api):
        if process.poll() is not None or time.monotonic() > deadline:
            output = await asyncio.to_thread(log.read_text, errors="replace")
            raise SystemExit(f"the bot did not start polling:\n{output[-3000:]}")


async def _polled(api: LocalBotApi) -> bool:
    try:
        await api.wait_until_polling(timeout=0.5)
    except AssertionError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# The phases


class EchoBot:
    """The yardstick: the echo bot on a stand-in of its own, kept running beside the bot so that
    each measurement of the bot is paired with one of the echo made just before it."""

    def __init__(self, officers: int, folder: Path) -> None:
        self.officers = officers
        self.folder = folder
        self.api = WatchedBotApi()
        self.people: list[Person] = []
        self.process: subprocess.Popen[bytes] | None = None

    async def __aenter__(self) -> EchoBot:
        await self.api.__aenter__()
        self.api.set_rate_limits(global_per_second=None, per_chat_per_second=None)
        self.people = [self.api.person(n) for n in range(self.officers)]
        log = self.folder / "echo.log"
        self.process = start(
            [sys.executable, str(ROOT / "bench" / "echo_bot.py")], environment(self.api), ROOT, log
        )
        await until_polling(self.api, self.process, log)
        # Warm-up: one exchange each, not timed.
        first = next(iter(ANSWERS.values()))
        await asyncio.gather(*(p.echo(f"{first} #{i}") for i, p in enumerate(self.people)))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None:
            await stop(self.process)
        await self.api.__aexit__(*exc)

    async def measure(self, rounds: int) -> dict[str, Any]:
        """Everyone sends `rounds` messages in a closed loop, as the officers answer."""
        assert self.process is not None
        texts = list(ANSWERS.values())
        cpu = CpuMeter(self.process.pid)
        seconds, latencies = await closed_loop(
            self.people, rounds, lambda p, n: p.echo(f"{texts[n % len(texts)]} #{p.user.id}")
        )
        shares = cpu.shares()
        updates = self.officers * rounds
        return {
            "updates": updates,
            "seconds": round(seconds, 2),
            "per_s": round(updates / seconds, 1),
            "cpu_ms_per_update": round(shares["bot_s"] / updates * 1000, 1),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
            "cpu": shares,
            "http_429": self.api.flood_limited(),
        }


async def count_answers(database_url: str) -> int:
    from sqlalchemy import func, select

    from storage.db import Database
    from storage.models import Answer

    database = Database(database_url)
    try:
        async with database.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Answer)) or 0)
    finally:
        await database.dispose()


async def bot_phase(
    name: str,
    database_url: str,
    echo: EchoBot,
    officers: int,
    rounds: int,
    pairs: int,
    rates: list[float],
    seconds: float,
    folder: Path,
    profile_dir: Path | None,
) -> dict[str, Any]:
    async with WatchedBotApi() as api:
        api.set_rate_limits(global_per_second=None, per_chat_per_second=None)
        people = [api.person(n) for n in range(officers)]
        env = environment(api, database_url)
        units_file, people_file = write_province(
            folder, communes=officers, officers=officers, first_user_id=FIRST_USER_ID
        )
        await cli(folder, env, "units", "import", str(units_file))
        await cli(folder, env, "people", "import", str(people_file))
        opened = await cli(folder, env, "round", "open", "--period", PERIOD)
        queued = int(re.search(r"(\d+) prompt\(s\) queued", opened)[1])  # type: ignore[index]

        command = [sys.executable, "-m", "bot", "run"]
        profile = profile_dir / f"bot-{name}.prof" if profile_dir is not None else None
        if profile is not None:
            command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "bot", "run"]
        log = folder / f"bot-{name}.log"
        process = start(command, env, folder, log)
        result: dict[str, Any] = {"database": name, "round_prompts": queued}
        try:
            await until_polling(api, process, log)
            # The round's prompts go out from the outbox at 30/s: wait for all, so the outbox
            # is idle while measuring; then each officer types /baocao (not timed).
            await asyncio.gather(
                *(p.read(lambda text: text.startswith(ROUND_PROMPT_MARK)) for p in people)
            )
            await asyncio.gather(*(p.open_walk() for p in people))
            for person in people:
                person.drain()

            result["pairs"] = []
            for _ in range(pairs):
                # The echo just before the bot: the machine's slow moments hit both alike.
                yardstick = await echo.measure(rounds)
                before = sum(p.stored for p in people)
                cpu = CpuMeter(process.pid)
                elapsed, _ = await closed_loop(people, rounds, lambda p, n: p.answer())
                shares = cpu.shares()
                stored = sum(p.stored for p in people) - before
                throughput = {
                    "answers": officers * rounds,
                    "stored": stored,
                    "seconds": round(elapsed, 2),
                    "per_s": round(stored / elapsed, 1),
                    "cpu_ms_per_update": round(shares["bot_s"] / max(stored, 1) * 1000, 1),
                    "cpu": shares,
                }
                result["pairs"].append(
                    {
                        "echo": yardstick,
                        "bot": throughput,
                        "ratio": round(throughput["per_s"] / yardstick["per_s"], 3),
                    }
                )
            result["ratio"] = statistics.median(pair["ratio"] for pair in result["pairs"])
            result["throughput_stored"] = sum(p.stored for p in people)
            result["throughput_rows"] = await count_answers(database_url)
            result["latency"] = []
            for rate in rates:
                await asyncio.sleep(1.0)
                cpu = CpuMeter(process.pid)
                figures = await open_loop(people, rate, seconds)
                figures["cpu"] = cpu.shares()
                result["latency"].append(figures)
            result["stored"] = sum(p.stored for p in people)
            result["refused"] = sum(p.refused for p in people)
            result["rows"] = await count_answers(database_url)
        finally:
            result["exit_code"] = await stop(process)
        bot_log = log.read_text(encoding="utf-8", errors="replace")
        result["log_warnings"] = bot_log.count(" WARNING ")
        result["log_errors"] = bot_log.count(" ERROR ")
        result["failed_turns"] = len(re.findall(r"Update \d+ failed", bot_log))
        result["http_errors"] = api.refused_calls()
        result["http_429"] = api.flood_limited()
        if profile is not None:
            show_profile(profile)
        return result


def show_profile(profile: Path) -> None:
    import pstats

    print(f"\n--- cProfile of the bot: {profile} ---", file=sys.stderr)
    stats = pstats.Stats(str(profile), stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


async def create_database(admin_url: str) -> str | None:
    """A fresh database on the server of `admin_url`; None (and a note) if it is unreachable."""
    try:
        return await synthetic.create_database(admin_url, DATABASE_PREFIX)
    except Exception as exc:  # unreachable, refused, no rights: PostgreSQL is skipped
        print(f"PostgreSQL skipped: cannot create a database at {admin_url} ({exc})")
        return None


async def drop_database(admin_url: str, database_url: str) -> None:
    await synthetic.drop_database(admin_url, database_url, DATABASE_PREFIX)


# ---------------------------------------------------------------------------------------------
# The run and its report


async def run(args: argparse.Namespace) -> dict[str, Any]:
    summary: dict[str, Any] = {"bench": "throughput", "officers": args.officers}
    with tempfile.TemporaryDirectory(prefix="bench_throughput_") as tmp:
        folder = Path(tmp)
        summary["bot"] = []
        async with EchoBot(args.officers, folder) as echo:
            for name in args.databases:
                sub = folder / name
                sub.mkdir()
                admin_url = None
                if name == "sqlite":
                    database_url: str | None = f"sqlite+aiosqlite:///{sub / 'bench.sqlite3'}"
                else:
                    admin_url = args.postgres_url
                    database_url = await create_database(admin_url)
                    if database_url is None:
                        summary["bot"].append({"database": name, "skipped": True})
                        continue
                try:
                    result = await bot_phase(
                        name,
                        database_url,
                        echo,
                        args.officers,
                        args.answers_per_officer,
                        args.pairs,
                        args.rates,
                        args.seconds,
                        sub,
                        args.profile_dir,
                    )
                finally:
                    if admin_url is not None:
                        await drop_database(admin_url, database_url)
                summary["bot"].append(result)
                report(result)
    measured = [r for r in summary["bot"] if "rows" in r]
    if measured:
        # The ratio on every database measured; the latency target is SQLite's.
        ratios = {r["database"]: r["ratio"] for r in measured}
        durable = {r["database"]: r["rows"] == r["stored"] for r in measured}
        sqlite = next((r for r in measured if r["database"] == "sqlite"), None)
        at_target = [
            r for r in (sqlite or {}).get("latency", []) if r["offered_per_s"] == P99_TARGET_RATE
        ]
        summary["targets"] = {
            "ratio": ratios,
            "ratio_met": all(ratios[d] >= RATIO_TARGET and durable[d] for d in ratios),
            "p99_ms_at_50": at_target[0]["p99_ms"] if at_target else None,
            "p99_met": bool(at_target) and at_target[0]["p99_ms"] < P99_TARGET_MS,
        }
        targets = summary["targets"]
        each = ", ".join(
            f"{name} {ratio:.2f} (durable: {'yes' if durable[name] else 'NO'})"
            for name, ratio in ratios.items()
        )
        pairs = len(measured[0]["pairs"])
        line = (
            f"targets: ratio, the median of {pairs} pairs, on {each} (target >= {RATIO_TARGET},"
            f" every answer durable) -> {'met' if targets['ratio_met'] else 'NOT met'}"
        )
        if sqlite is not None:
            line += (
                f"; p99 at {P99_TARGET_RATE:.0f}/s on SQLite {targets['p99_ms_at_50']} ms "
                f"(target < {P99_TARGET_MS:.0f}) -> {'met' if targets['p99_met'] else 'NOT met'}"
            )
        print(line)
    return summary


def report(result: dict[str, Any]) -> None:
    name = result["database"]
    for number, pair in enumerate(result["pairs"], 1):
        echo, bot = pair["echo"], pair["bot"]
        print(
            f"{name} pair {number}: echo bot (PTB, defaults) {echo['updates']} updates in "
            f"{echo['seconds']} s = {echo['per_s']}/s ({echo['cpu_ms_per_update']} ms CPU/update;"
            f" {cpu_text(echo['cpu'])}); then the bot {bot['answers']} answers in "
            f"{bot['seconds']} s = {bot['per_s']}/s ({bot['cpu_ms_per_update']} ms CPU/answer; "
            f"{cpu_text(bot['cpu'])}); ratio {pair['ratio']:.2f}"
        )
    ratios = sorted(pair["ratio"] for pair in result["pairs"])
    print(
        f"bot on {name}: ratio bot/echo {result['ratio']:.2f}, the median of "
        f"{len(ratios)} pairs ({', '.join(f'{r:.2f}' for r in ratios)}; target >= {RATIO_TARGET})"
    )
    print(
        f"  durable: {result['throughput_rows']} rows in answers for "
        f"{result['throughput_stored']} answers confirmed after the throughput runs; "
        f"{result['rows']} for {result['stored']} at the end "
        f"({'every answer stored' if result['rows'] == result['stored'] else 'MISSING ANSWERS'})"
    )
    for figures in result["latency"]:
        target = (
            f" (target p99 < {P99_TARGET_MS:.0f} ms on SQLite)"
            if figures["offered_per_s"] == P99_TARGET_RATE and name == "sqlite"
            else ""
        )
        print(
            f"  step latency at {figures['offered_per_s']:g}/s offered ({figures['answers']} of "
            f"{figures['due']} answers sent, at {figures['sent_per_s']}/s, {figures['late']} "
            f"late): "
            f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms{target}, "
            f"max {figures['max_ms']} ms; {cpu_text(figures['cpu'])}"
        )
    print(
        f"  refused answers {result['refused']}, failed turns retried {result['failed_turns']}, "
        f"bot log {result['log_warnings']} warning(s) {result['log_errors']} error(s), "
        f"HTTP errors {result['http_errors']} (429: {result['http_429']}, flood limits off), "
        f"bot exit {result['exit_code']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=200)
    parser.add_argument(
        "--answers-per-officer", type=int, default=5, help="closed-loop updates per officer"
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=3,
        help="echo-then-bot throughput runs on each database; the ratio is their median",
    )
    parser.add_argument("--rates", default="20,50", help="offered updates/s for the latency runs")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each latency run")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES,
        help="a fresh database is created on this server and dropped at the end",
    )
    args = parser.parse_args()
    args.rates = [float(rate) for rate in args.rates.split(",") if rate]
    args.databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    if set(args.databases) - {"sqlite", "postgresql"}:
        parser.error("--databases takes sqlite and/or postgresql")
    if (
        args.officers < 1
        or args.answers_per_officer < 1
        or args.pairs < 1
        or any(r <= 0 for r in args.rates)
    ):
        parser.error("--officers, --answers-per-officer, --pairs and --rates must be positive")
    # Each officer has one walk of QUESTIONS questions to answer across all the runs.
    needed = (
        args.answers_per_officer * args.pairs
        + sum(r * args.seconds for r in args.rates) / args.officers
    )
    if needed > QUESTIONS - 2:
        parser.error(
            f"each officer would answer about {needed:.0f} questions, and the form has "
            f"{QUESTIONS}: fewer answers per officer, shorter runs or more officers"
        )
    missing = set(FORM.questions) - set(ANSWERS)
    if missing:
        raise SystemExit(f"no typed answer for {sorted(missing)}")
    profile_dir = os.environ.get("BENCH_THROUGHPUT_PROFILE")
    args.profile_dir = Path(profile_dir).resolve() if profile_dir else None
    if args.profile_dir is not None:
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    # A bot stopped mid-request makes aiohttp log a traceback; it is not the benchmark's concern.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    summary = asyncio.run(run(args))
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
