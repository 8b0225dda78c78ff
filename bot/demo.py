"""`baocao demo`: the flow so far, against the local Bot API stand-in, with scripted people."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from datetime import timedelta
from importlib import resources
from pathlib import Path

from bot.config import load_settings
from bot.local_bot_api import FakeUser, LocalBotApi, PrivateChat
from bot.runner import run_bot
from conversations import texts
from conversations.forms import load_form
from report_templates.draft import read_answers_file, render_draft
from storage.db import Database, upgrade_database
from storage.imports import import_people, import_units
from storage.invitations import create_invitation
from storage.models import Role
from storage.people import find_member_by_name, get_unit_by_code
from storage.periods import open_rounds

DEMO_DATABASE = "demo.sqlite3"
COMMUNE = "12151"
OFFICE = "SNV-33"
DEMO_PERIOD = "2026-Q4"
SAMPLE_ANSWERS = "answers_tan_quang_2024_h1.json"

OFFICER = FakeUser(id=700001, first_name="Hoa", last_name="Nguyễn Thị")
RADIO_OFFICER = FakeUser(id=700004, first_name="Bình", last_name="Trần Văn")
CHAIRMAN = FakeUser(id=700002, first_name="Cường", last_name="Lê Văn")
OFFICE_STAFF = FakeUser(id=700003, first_name="Lan", last_name="Bùi Thị")
STRANGER = FakeUser(id=799999, first_name="Người lạ")
OFFICE_GROUP = {"id": -100700100, "type": "supergroup", "title": "Sở Nội vụ - nhận báo cáo CCHC"}


async def run_demo(out_dir: Path, *, echo: Callable[[str], None] = print) -> Path:
    """Run the scripted flow; return the folder holding its files."""
    _prepare_folder(out_dir)

    async with LocalBotApi() as api:
        settings = load_settings(
            telegram_bot_token=api.token,
            telegram_api_url=api.url,
            database_url=f"sqlite+aiosqlite:///{(out_dir / DEMO_DATABASE).resolve()}",
            baocao_output_dir=out_dir,
        )
        echo(f"Local Bot API stand-in at {api.url}; database {out_dir / DEMO_DATABASE}")
        links = await _set_up_province(settings.database_url, out_dir, api.bot_username, echo)

        stop = asyncio.Event()
        bot = asyncio.create_task(run_bot(settings, stop=stop))
        try:
            await api.wait_until_polling(timeout=30)
            await _play(api, links)
        finally:
            stop.set()
            exit_code = await bot
        if exit_code != 0:
            raise RuntimeError(f"the bot stopped with exit code {exit_code}")

        transcript = "\n".join(api.transcript())
    sample = _draft_sample(out_dir)
    echo(f"A draft report from a sample of answers (seed 000's figures): {sample}")
    _write(out_dir / "transcript.txt", transcript)
    echo("\n--- Chat transcript ---")
    echo(transcript)
    return out_dir


def _draft_sample(out_dir: Path) -> Path:
    """What `baocao draft` makes from the sample answers file: the report a chairman signs."""
    source = resources.files("bot") / "demo_data" / SAMPLE_ANSWERS
    with resources.as_file(source) as answers:
        shutil.copyfile(answers, out_dir / SAMPLE_ANSWERS)
    report = read_answers_file(out_dir / SAMPLE_ANSWERS, load_form())
    return render_draft(report, out_dir, stem=Path(SAMPLE_ANSWERS).stem).docx


def _prepare_folder(out_dir: Path) -> None:
    """Start from a fresh database, with the sample files an administrator would import."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(f"{DEMO_DATABASE}*"):
        stale.unlink()
    data = resources.files("bot") / "demo_data"
    for name in ("units.csv", "people.csv"):
        with resources.as_file(data / name) as source:
            shutil.copyfile(source, out_dir / name)


def _write(path: Path, text: str) -> None:
    path.write_text(text + "\n", encoding="utf-8")


async def _set_up_province(
    database_url: str, out_dir: Path, bot_username: str, echo: Callable[[str], None]
) -> dict[str, str]:
    """Import the sample province and make the invitations an administrator would send."""
    await upgrade_database(database_url)
    database = Database(database_url)
    codes: dict[str, str] = {}
    try:
        async with database.session() as session:
            units = await import_units(session=session, path=out_dir / "units.csv")
            people = await import_people(session=session, path=out_dir / "people.csv")
            echo(f"Imported {units.created} units and {people.created} people.")
            commune = await get_unit_by_code(session=session, code=COMMUNE)
            office = await get_unit_by_code(session=session, code=OFFICE)
            assert commune is not None and office is not None
            officer = await find_member_by_name(
                session=session, unit_id=commune.id, role=Role.OFFICER, name="Nguyễn Thị Hoa"
            )
            week = timedelta(days=7)
            radio_officer = await find_member_by_name(
                session=session, unit_id=commune.id, role=Role.OFFICER, name="Trần Văn Bình"
            )
            codes["officer"], _ = await create_invitation(
                session=session, unit=commune, role=Role.OFFICER, person=officer, valid_for=week
            )
            codes["radio officer"], _ = await create_invitation(
                session=session,
                unit=commune,
                role=Role.OFFICER,
                person=radio_officer,
                valid_for=week,
            )
            codes["chairman"], _ = await create_invitation(
                session=session, unit=commune, role=Role.CHAIRMAN, valid_for=week
            )
            codes["office"], _ = await create_invitation(
                session=session, unit=office, role=Role.OFFICE, valid_for=week
            )
            # What `baocao round open --period 2026-Q4` does; the calendar does it on its own.
            opened = await open_rounds(session=session, code=DEMO_PERIOD)
            echo(f"Opened {DEMO_PERIOD} for {len(opened.opened)} communes.")
    finally:
        await database.dispose()
    lines = [f"{who}: https://t.me/{bot_username}?start={code}" for who, code in codes.items()]
    _write(out_dir / "invitations.txt", "\n".join(lines))
    echo("Invitation links:\n  " + "\n  ".join(lines))
    return codes


async def _play(api: LocalBotApi, codes: dict[str, str]) -> None:
    """What people do, step by step; each step waits for the bot's answer."""

    async def say(user: FakeUser, text: str, chat: dict | None = None) -> dict:
        chat_id = chat["id"] if chat else user.id
        seen = len(api.messages_to(chat_id))
        api.send_message(user, text, chat=chat)
        return await api.wait_for_message(chat_id, after=seen, timeout=15)

    await say(STRANGER, "Xin chào, cho tôi xem báo cáo của xã")
    await say(OFFICER, f"/start {codes['officer']}")
    await say(OFFICER, f"/start {codes['officer']}")  # a double tap changes nothing
    await say(CHAIRMAN, "/start")
    await say(CHAIRMAN, f"/start {codes['chairman']}")
    await say(STRANGER, f"/start {codes['officer']}")  # a used code is refused
    await say(STRANGER, "/start khong-phai-ma-moi")
    await say(OFFICE_STAFF, f"/start@{api.bot_username} {codes['office']}", chat=OFFICE_GROUP)
    await say(OFFICER, "/help")
    seen = len(api.messages_to(OFFICER.id))
    api.send_sticker(OFFICER)
    await api.wait_for_message(OFFICER.id, after=seen, timeout=15)
    await _radio_officer_answers(api, codes["radio officer"])


async def _radio_officer_answers(api: LocalBotApi, code: str) -> None:
    """The radio officer's part of the questionnaire: a slip, a correction, the review, submit."""
    binh = PrivateChat(api, RADIO_OFFICER)
    await binh.says(f"/start {code}", "Xin chào")
    await binh.says("/baocao", "Câu 1/7")
    await binh.taps("Đang hoạt động", "Câu 2/7")
    await binh.says("sáu", "chữ số")  # words for numbers are refused, kindly
    await binh.says("6 chuyên mục", "Câu 3/7")
    await binh.says("25", "Câu 4/7")
    await binh.says("30", "Câu 5/7")
    await binh.says("1 giờ 30", "Câu 6/7")
    await binh.says("2", "Câu 7/7")
    await binh.taps("Có", "Gửi báo cáo")
    await binh.taps("✏️ 2", "Câu 2/7")  # he meant 8 programmes
    await binh.says("8", "Gửi báo cáo")
    await binh.taps(texts.SUBMIT_BUTTON, "Cảm ơn")
    await binh.says("/xem", "Chuyên mục")
