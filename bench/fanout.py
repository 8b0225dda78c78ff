"""Open a round for 2,000 officers and send their prompts through Telegram's limits.

Run from the repository root:
`.venv/bin/python bench/fanout.py [--officers N] [--database-url URL]`.
It starts the local Bot API stand-in enforcing 30 messages/s overall and 1/s per chat (429
beyond, as Telegram), imports a province of 400 communes with N officers (default 2,000) whose
Telegram accounts exist, runs the real bot against the stand-in on an embedded SQLite database
(or `--database-url`), opens 2026-Q4 as `baocao round open` does, and waits until every prompt
arrived. The last line printed is a JSON object:

    {"bench": "fanout", "officers": 2000, "rate_ratio": ..., "http_429": ..., "duplicates": ...,
     "lost": ...}

rate_ratio is the achieved rate of prompts (from the first to the last delivered) over 30/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synthetic import write_province  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.runner import run_bot  # noqa: E402
from bot_api_standin import FakeUser, LocalBotApi  # noqa: E402
from conversations.duties import CalendarDuties  # noqa: E402
from conversations.engine import Questionnaire  # noqa: E402
from definitions.calendar import Event, EventKind, parse_calendar  # noqa: E402
from definitions.forms import load_form  # noqa: E402
from storage.db import Database, upgrade_database  # noqa: E402
from storage.imports import import_people, import_units  # noqa: E402

TELEGRAM_RATE = 30
COMMUNES = 400
FIRST_USER_ID = 910_000_000
PROMPT_MARK = "quý IV năm 2026"
CALENDAR = "period_kinds: []\nquiet_hours: null\n"  # nothing automatic; send at any hour


async def run(officers: int, database_url: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench_fanout_") as tmp:
        folder = Path(tmp)
        database_url = database_url or f"sqlite+aiosqlite:///{folder / 'fanout.sqlite3'}"
        (folder / "calendar.yaml").write_text(CALENDAR, encoding="utf-8")
        await upgrade_database(database_url)
        database = Database(database_url)
        units_file, people_file = write_province(
            folder, communes=COMMUNES, officers=officers, first_user_id=FIRST_USER_ID
        )
        async with database.session() as session:
            await import_units(session=session, path=units_file)
            await import_people(session=session, path=people_file)

        async with LocalBotApi() as api:
            for n in range(officers):
                api.add_private_chat(FakeUser(id=FIRST_USER_ID + n, first_name=f"Cán bộ {n}"))
            api.set_rate_limits(global_per_second=TELEGRAM_RATE, per_chat_per_second=1)
            settings = load_settings(
                telegram_bot_token=api.token,
                telegram_api_url=api.url,
                database_url=database_url,
                baocao_calendar=folder / "calendar.yaml",
                baocao_log_level="WARNING",
            )
            stop = asyncio.Event()
            bot = asyncio.create_task(run_bot(settings, stop=stop))
            try:
                await api.wait_until_polling(timeout=60)
                duties = CalendarDuties(
                    Questionnaire(load_form()),
                    parse_calendar(CALENDAR, name="bench"),
                    settings.timezone,
                )
                async with database.session() as session:
                    await duties.open(session, "2026-Q4")
                    queued = await duties.ask(
                        session, Event(EventKind.OPEN, "2026-Q4", datetime.now(UTC), 0)
                    )
                deadline = time.monotonic() + officers / TELEGRAM_RATE * 3 + 60
                while time.monotonic() < deadline:
                    if len(_prompts(api)) >= officers:
                        break
                    await asyncio.sleep(0.5)
                await asyncio.sleep(2)  # anything sent twice would arrive now
            finally:
                stop.set()
                await bot
                await database.dispose()

            prompts = _prompts(api)
            refused = [call for call in api.calls("sendMessage") if call.error]
            per_chat = Counter(call.params["chat_id"] for call in prompts)
            elapsed = prompts[-1].at - prompts[0].at if len(prompts) > 1 else float("nan")
            rate = (len(prompts) - 1) / elapsed if elapsed > 0 else 0.0
            return {
                "bench": "fanout",
                "officers": officers,
                "queued": queued,
                "seconds": round(elapsed, 1),
                "rate_per_s": round(rate, 2),
                "rate_ratio": round(rate / TELEGRAM_RATE, 3),
                "http_429": sum(1 for call in refused if call.error and call.error[0] == 429),
                "duplicates": sum(count - 1 for count in per_chat.values() if count > 1),
                "lost": officers - len(per_chat),
            }


def _prompts(api: LocalBotApi) -> list:  # type: ignore[type-arg]
    return [
        call
        for call in api.calls("sendMessage")
        if call.error is None and PROMPT_MARK in str(call.params.get("text", ""))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args.officers, args.database_url))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
