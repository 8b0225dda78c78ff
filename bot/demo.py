"""`baocao demo`: the whole flow against the local Bot API stand-in, with scripted people.

Officers answer, the chairman returns the draft with a comment, the radio officer corrects it,
the chairman approves, and the receiving office's group gets the numbered report, through a 429.
Beside it runs a second report kind, as a province adds one: a copy of the TTHC folder (the
one-stop desk's report) named in BAOCAO_REPORT_KINDS; the desk's officer hands in her figures and
the chairman approves them under the register's next number. Then the office sees each kind's
progress as a picture and a list, reminds the late and gets each kind's compiled files.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import report_kinds
from bot.config import load_settings
from bot.runner import run_bot
from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from conversations import texts
from definitions.forms import Form, Question, load_form
from report_templates.draft import (
    load_bundle,
    pdf_converter_available,
    read_answers_file,
    render_draft,
)
from storage.db import Database, upgrade_database
from storage.imports import import_people, import_units
from storage.invitations import create_invitation
from storage.models import Role
from storage.people import find_member_by_name, get_unit_by_code
from storage.periods import open_rounds
from storage.questionnaire import round_of_unit, save_answer

DEMO_DATABASE = "demo.sqlite3"
COMMUNE = "12151"
OTHER_COMMUNE = "12154"  # Như Quỳnh: its officer registers but does not report
OFFICE = "SNV-33"
DEMO_PERIOD = "2026-Q4"
SAMPLE_ANSWERS = "answers_tan_quang_2024_h1.json"
# The second kind: the province's copy of the shipped TTHC folder, and who answers it.
TTHC_FOLDER = "tthc"
DESK_PEOPLE = "people_mot_cua.csv"


def progress_picture(kind: str) -> str:
    """/tiendo's chart of one report kind, as the group got it."""
    return f"tien-do_{kind}_{DEMO_PERIOD}_{OFFICE}.png"


OFFICER = FakeUser(id=700001, first_name="Hoa", last_name="Nguyễn Thị")
RADIO_OFFICER = FakeUser(id=700004, first_name="Bình", last_name="Trần Văn")
CHAIRMAN = FakeUser(id=700002, first_name="Cường", last_name="Lê Văn")
RETURN_COMMENT = "Số chuyên mục phát thanh chưa khớp sổ theo dõi của Đài, đề nghị kiểm tra lại."
OTHER_OFFICER = FakeUser(id=700005, first_name="Giang", last_name="Vũ Thị")
DESK_OFFICER = FakeUser(id=700006, first_name="Hạnh", last_name="Đặng Thị")
OFFICE_STAFF = FakeUser(id=700003, first_name="Lan", last_name="Bùi Thị")
STRANGER = FakeUser(id=799999, first_name="Người lạ")
# Who the administrator invites: unit, role and name as the imported files give them (the
# office's invitation is for its group, no one person).
INVITED: dict[str, tuple[str, Role, str | None]] = {
    "officer": (COMMUNE, Role.OFFICER, "Nguyễn Thị Hoa"),
    "radio officer": (COMMUNE, Role.OFFICER, "Trần Văn Bình"),
    "chairman": (COMMUNE, Role.CHAIRMAN, "Lê Văn Cường"),
    "officer of Như Quỳnh": (OTHER_COMMUNE, Role.OFFICER, "Vũ Thị Giang"),
    "one-stop desk officer": (COMMUNE, Role.OFFICER, "Đặng Thị Hạnh"),
    "office": (OFFICE, Role.OFFICE, None),
}
OFFICE_GROUP: dict[str, Any] = {
    "id": -100700100,
    "type": "supergroup",
    "title": "Sở Nội vụ - nhận báo cáo",
}


async def run_demo(out_dir: Path, *, echo: Callable[[str], None] = print) -> Path:
    """Run the scripted flow; return the folder holding its files."""
    _prepare_folder(out_dir)

    async with LocalBotApi() as api:
        settings = load_settings(
            telegram_bot_token=api.token,
            telegram_api_url=api.url,
            database_url=f"sqlite+aiosqlite:///{(out_dir / DEMO_DATABASE).resolve()}",
            baocao_output_dir=out_dir,
            baocao_calendar=out_dir / "calendar.yaml",
            baocao_report_kinds=f"cchc,{out_dir / TTHC_FOLDER}",
        )
        echo(f"Local Bot API stand-in at {api.url}; database {out_dir / DEMO_DATABASE}")
        links = await _set_up_province(settings.database_url, out_dir, api.bot_username, echo)

        stop = asyncio.Event()
        bot = asyncio.create_task(run_bot(settings, stop=stop))
        try:
            await api.wait_until_polling(timeout=30)
            await _play(api, links, settings.database_url)
            delivered = _save_delivered(api, out_dir)
        finally:
            stop.set()
            exit_code = await bot
        if exit_code != 0:
            raise RuntimeError(f"the bot stopped with exit code {exit_code}")

        transcript = "\n".join(api.transcript())
    transcript += "\n\n--- Files the office's group received (in this folder) ---\n" + "\n".join(
        path.name for path in delivered
    )
    for path in delivered:
        echo(f"Received in the office's group: {path}")
    sample = _draft_sample(out_dir)
    echo(f"A draft report from a sample of answers (seed 000's figures): {sample}")
    _write(out_dir / "transcript.txt", transcript)
    echo("\n--- Chat transcript ---")
    echo(transcript)
    return out_dir


def _save_delivered(api: LocalBotApi, out_dir: Path) -> list[Path]:
    """Keep the files the office's group received, as its staff would download them: the
    documents under their names, /tiendo's picture as PROGRESS_PICTURE."""
    saved = []
    for message in api.messages_to(OFFICE_GROUP["id"]):
        document = message.get("document")
        if document is not None:
            path = out_dir / document["file_name"]
            path.write_bytes(api.document_bytes(document["file_id"]))
            saved.append(path)
        if message.get("photo"):  # a photo has no name; its caption names the report kind
            kind = "tthc" if " TTHC " in message.get("caption", "") else "cchc"
            path = out_dir / progress_picture(kind)
            # Its sizes come smallest first.
            path.write_bytes(api.document_bytes(message["photo"][-1]["file_id"]))
            saved.append(path)
    return saved


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
    stale_files = [
        *out_dir.glob(f"{DEMO_DATABASE}*"),
        *out_dir.glob("BC-*"),
        *out_dir.glob("TH-*"),
        *out_dir.glob("tien-do_*"),
    ]
    for stale in stale_files:
        stale.unlink()
    data = resources.files("bot") / "demo_data"
    for name in ("units.csv", "people.csv", "calendar.yaml", DESK_PEOPLE):
        with resources.as_file(data / name) as source:
            shutil.copyfile(source, out_dir / name)
    # A province adds a kind by copying its folder; the demo's rounds open by hand, so the copy
    # takes the demo's calendar (nothing opens by itself).
    shutil.rmtree(out_dir / TTHC_FOLDER, ignore_errors=True)
    shutil.copytree(report_kinds.packaged_folder("tthc"), out_dir / TTHC_FOLDER)
    shutil.copyfile(out_dir / "calendar.yaml", out_dir / TTHC_FOLDER / "calendar.yaml")


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
            desk = await import_people(session=session, path=out_dir / DESK_PEOPLE)
            echo(
                f"Imported {units.created} units and {people.created + desk.created} people "
                "(the one-stop desk's officer from her own file)."
            )
            week = timedelta(days=7)
            for who, (unit_code, role, name) in INVITED.items():
                unit = await get_unit_by_code(session=session, code=unit_code)
                assert unit is not None
                person = (
                    await find_member_by_name(
                        session=session, unit_id=unit.id, role=role, name=name
                    )
                    if name
                    else None
                )
                codes[who], _ = await create_invitation(
                    session=session, unit=unit, role=role, person=person, valid_for=week
                )
            # What `baocao round open --period 2026-Q4 [--kind tthc]` does; the calendar does it
            # on its own.
            for kind in ("cchc", "tthc"):
                opened = await open_rounds(session=session, code=DEMO_PERIOD, report_kind=kind)
                echo(f"Opened {kind} {DEMO_PERIOD} for {len(opened.opened)} communes.")
    finally:
        await database.dispose()
    lines = [f"{who}: https://t.me/{bot_username}?start={code}" for who, code in codes.items()]
    _write(out_dir / "invitations.txt", "\n".join(lines))
    echo("Invitation links:\n  " + "\n  ".join(lines))
    return codes


async def _play(api: LocalBotApi, codes: dict[str, str], database_url: str) -> None:
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
    await _officer_entered_earlier(database_url)
    await _approval(api)
    await _one_stop_desk(api, codes["one-stop desk officer"], database_url)
    # Như Quỳnh's officer is on the bot but has not reported: the office's reminder reaches her.
    await say(OTHER_OFFICER, f"/start {codes['officer of Như Quỳnh']}")
    await _office(api)


async def _officer_entered_earlier(database_url: str) -> None:
    """Hoa typed most of her figures earlier in the quarter: seed 000's, from the sample file,
    all but the radio's section (Bình's)."""
    form = load_form()
    source = resources.files("bot") / "demo_data" / SAMPLE_ANSWERS
    with resources.as_file(source) as path:
        sample = dict(read_answers_file(path, form).answers)
    sample["strengths"] = form.questions["strengths"].suggestions[0]
    hers = [q for s in form.sections if s.code != "broadcasts" for q in s.questions]
    await _entered_earlier(database_url, "Nguyễn Thị Hoa", "cchc", form, hers, sample)


async def _entered_earlier(
    database_url: str,
    name: str,
    report_kind: str,
    form: Form,
    questions: list[Question],
    answers: dict[str, Any],
) -> None:
    """Answers a Tân Quang officer gave earlier in the quarter to the questions of her round of
    one kind, as the questionnaire stores them; the last, "proposals", is left for the chat."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            commune = await get_unit_by_code(session=session, code=COMMUNE)
            assert commune is not None
            person = await find_member_by_name(
                session=session, unit_id=commune.id, role=Role.OFFICER, name=name
            )
            round_id = await round_of_unit(
                session=session, unit_code=COMMUNE, period=DEMO_PERIOD, report_kind=report_kind
            )
            assert person is not None and round_id is not None
            for question in questions:
                if question.code != "proposals":
                    await save_answer(
                        session=session,
                        round_id=round_id,
                        question_code=question.code,
                        value=answers.get(question.code),
                        form_version=form.version,
                        person_id=person.id,
                        existing=None,
                    )
    finally:
        await database.dispose()


async def _approval(api: LocalBotApi) -> None:
    """Hoa completes the round; the chairman returns it, Bình corrects, the chairman approves."""
    hoa, binh, cuong = (PrivateChat(api, who) for who in (OFFICER, RADIO_OFFICER, CHAIRMAN))
    await hoa.says("/baocao", "Câu 5/5")
    await hoa.says("Đề nghị tỉnh hỗ trợ kinh phí in tờ rơi về thủ tục hành chính.", "Gửi báo cáo")
    seen = cuong.mark()
    await hoa.taps(texts.SUBMIT_BUTTON, "đã đủ số liệu")
    await cuong.expect("phiên bản 1", after=seen + 1)
    await cuong.taps(texts.VIEW_DATA_BUTTON, "Số liệu của phiên bản 1")
    await cuong.taps(texts.RETURN_BUTTON, "cần cán bộ sửa gì")
    seen = binh.mark()
    await cuong.says(RETURN_COMMENT, "Đã trả lại báo cáo")
    await binh.expect("đề nghị sửa báo cáo", after=seen)
    await binh.says("/baocao", "Gửi báo cáo")
    await binh.taps("✏️ 2", "Câu 2/7")
    await binh.says("9", "Gửi báo cáo")
    await binh.taps(texts.SUBMIT_BUTTON, "còn chờ")
    seen = cuong.mark()
    await hoa.says("/baocao", "Gửi báo cáo")
    await hoa.taps(texts.SUBMIT_BUTTON, "đã đủ số liệu")
    await cuong.expect("phiên bản 2", after=seen + 1)
    # Telegram says "too many requests" to the first delivery: the outbox waits and resends.
    api.fail_next("sendDocument", status=429, retry_after=1)
    await cuong.taps(texts.APPROVE_BUTTON, "Đã duyệt")
    delivered = await api.wait_for_message(
        OFFICE_GROUP["id"], timeout=30, predicate=lambda message: "document" in message
    )
    (acknowledge,) = (
        button["callback_data"]
        for row in delivered["reply_markup"]["inline_keyboard"]
        for button in row
        if button["text"] == texts.ACKNOWLEDGE_BUTTON
    )
    await PrivateChat(api, OFFICE_STAFF).tap_answer(delivered, acknowledge)
    if pdf_converter_available():  # its PDF copy follows the .docx
        await api.wait_for_message(
            OFFICE_GROUP["id"],
            timeout=60,
            predicate=lambda m: str(m.get("document", {}).get("file_name", "")).endswith(".pdf"),
        )
    await cuong.says("/lichsu", "Phiên bản 2")
    # The officers hear once the office has it; with nothing left to answer, /baocao says the
    # report is approved and where it went, and /xem shows the approved figures.
    await binh.expect("📨", after=0)
    await binh.says("/baocao", "duyệt: số")
    await binh.says("/xem", "Số liệu đã duyệt")


async def _one_stop_desk(api: LocalBotApi, code: str, database_url: str) -> None:
    """The second kind: Hạnh, the one-stop desk's officer, entered the desk's figures earlier
    (the TTHC kind's sample answers); she answers the last question and hands in. The chairman
    gets the TTHC draft beside the CCHC report he approved, and approves it: the register's
    next number, 02."""
    hanh, cuong = PrivateChat(api, DESK_OFFICER), PrivateChat(api, CHAIRMAN)
    await hanh.says(f"/start {code}", "Xin chào")
    tthc = load_bundle(report_kinds.packaged_folder("tthc"))
    sample = dict(read_answers_file(tthc.folder / "sample_answers.yaml", tthc.form).answers)
    questions = list(tthc.form.questions.values())
    await _entered_earlier(database_url, "Đặng Thị Hạnh", "tthc", tthc.form, questions, sample)
    await hanh.says("/baocao", "Câu 5/5")
    await hanh.says("Đề nghị tỉnh bổ sung máy quét cho Bộ phận Một cửa.", "Gửi báo cáo")
    seen = cuong.mark()
    await hanh.taps(texts.SUBMIT_BUTTON, "đã đủ số liệu")
    await cuong.expect("Dự thảo báo cáo TTHC", after=seen)
    await cuong.expect(".docx", after=seen)
    await cuong.taps(texts.APPROVE_BUTTON, "Báo cáo số 02/BC-UBND")
    await api.wait_for_message(
        OFFICE_GROUP["id"],
        timeout=30,
        predicate=lambda m: str(m.get("document", {}).get("file_name", "")).startswith("BC-TTHC"),
    )


async def _office(api: LocalBotApi) -> None:
    """The office's staff, in their group: who has reported (a picture, then the list), a
    reminder to the rest, and the compiled files."""
    group = OFFICE_GROUP["id"]

    def group_text(fragment: str) -> Callable[[dict], bool]:
        return lambda message: fragment in str(message.get("text", message.get("caption")))

    seen = len(api.messages_to(group))
    api.send_message(OFFICE_STAFF, "/tiendo", chat=OFFICE_GROUP)
    # A list for each kind, with its own button; the demo reminds for CCHC.
    await api.wait_for_message(
        group, after=seen, timeout=20, predicate=group_text("Tiến độ báo cáo TTHC")
    )
    progress = await api.wait_for_message(
        group, after=seen, timeout=20, predicate=group_text("Tiến độ báo cáo CCHC")
    )
    (remind,) = (
        button["callback_data"]
        for row in progress["reply_markup"]["inline_keyboard"]
        for button in row
        if button["text"] == texts.REMIND_BUTTON
    )

    def file_named(suffix: str) -> Callable[[dict], bool]:
        return lambda message: str(message.get("document", {}).get("file_name", "")).endswith(
            suffix
        )

    seen = len(api.messages_to(group))
    reminded = PrivateChat(api, OTHER_OFFICER).mark()
    await PrivateChat(api, OFFICE_STAFF).tap_answer(progress, remind)
    await api.wait_for_message(group, after=seen, timeout=20, predicate=group_text("Đã gửi nhắc"))
    await PrivateChat(api, OTHER_OFFICER).expect("Cơ quan tiếp nhận nhắc", after=reminded)
    seen = len(api.messages_to(group))
    api.send_message(OFFICE_STAFF, "/tonghop", chat=OFFICE_GROUP)
    for kind in ("CCHC", "TTHC"):  # each kind's three files
        for suffix in (".xlsx", ".docx", "_cac-xa.zip"):
            await api.wait_for_message(
                group,
                after=seen,
                timeout=60,
                predicate=file_named(f"{kind}_{DEMO_PERIOD}_{OFFICE}{suffix}"),
            )


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
