"""Two report kinds in one deployment, end to end: the real bot with BAOCAO_REPORT_KINDS naming
CCHC and a province's copy of the TTHC folder, both kinds' rounds of one commune in the same
quarter. Each person is prompted for their own kind, the chairman gets and approves both drafts,
the two take consecutive numbers of the commune's one register, the office gets each kind's
files under that kind's names, and its reminder for one kind reminds only of that kind."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import report_kinds
from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from conversations import texts
from conversations.duties import resume_callback
from definitions.values import parse_answer
from report_templates.draft import read_answers_file
from report_templates.kinds import packaged_kinds
from storage.db import Database
from storage.models import Person
from storage.questionnaire import round_of_unit
from tests.e2e.conftest import MANUAL_CALENDAR, Baocao, outbox_drained, running
from tests.factories import SKIPPED_IN_ROUND, TYPED_ROUND, store_answers

pytestmark = pytest.mark.e2e

PERIOD = "2026-Q4"
CCHC, TTHC = (packaged_kinds("cchc", "tthc")[code] for code in ("cchc", "tthc"))
HOA = FakeUser(id=890001, first_name="Hoa", last_name="Nguyễn Thị")  # 12151 officer
BINH = FakeUser(id=890002, first_name="Bình", last_name="Trần Văn")  # 12151 radio officer
CUONG = FakeUser(id=890003, first_name="Cường", last_name="Lê Văn")  # 12151 chairman
HANH = FakeUser(id=890004, first_name="Hạnh", last_name="Đặng Thị")  # 12151 one-stop desk
GIANG = FakeUser(id=890005, first_name="Giang", last_name="Vũ Thị")  # 12154 officer
LAN = FakeUser(id=890006, first_name="Lan", last_name="Bùi Thị")  # SNV-33 office staff
OFFICE_GROUP = {"id": -1008900100, "type": "supergroup", "title": "Sở Nội vụ - báo cáo"}
# Accounts bound by the import (telegram_user_id, sections); Hạnh answers every TTHC section.
ACCOUNTS = {
    ("12151", "officer", "Nguyễn Thị Hoa"): (HOA, ""),
    ("12151", "officer", "Trần Văn Bình"): (BINH, "broadcasts"),
    ("12151", "chairman", "Lê Văn Cường"): (CUONG, ""),
    ("12151", "officer", "Đặng Thị Hạnh"): (HANH, " ".join(s.code for s in TTHC.form.sections)),
    ("12154", "officer", "Vũ Thị Giang"): (GIANG, ""),
}
RADIO = {q.code for q in CCHC.form.section("broadcasts").questions}


def content(message: dict[str, Any]) -> str:
    return str(message.get("text", message.get("caption")))


async def two_kinds(baocao: Baocao, files: tuple[Path, Path], folder: Path) -> None:
    """The province's copy of the TTHC kind beside CCHC (with the suite's manual calendar: no
    round opens by itself), the sample province with the accounts imported."""
    tthc = folder / "mot-cua"
    shutil.copytree(report_kinds.packaged_folder("tthc"), tthc)
    shutil.copyfile(MANUAL_CALENDAR, tthc / "calendar.yaml")
    baocao.environment["BAOCAO_REPORT_KINDS"] = f"cchc,{tthc}"
    units, people = files
    lines = people.read_text(encoding="utf-8").splitlines()
    # unit_code,role,full_name,title,phone,telegram_user_id,sections
    rows = [line.split(",") for line in lines[1:]]
    for row in rows:
        bound = ACCOUNTS.get((row[0], row[1], row[2]))
        if bound is not None:
            row[5], row[6] = str(bound[0].id), bound[1]
    hanh = ACCOUNTS[("12151", "officer", "Đặng Thị Hạnh")]
    rows.append(["12151", "officer", "Đặng Thị Hạnh", "Công chức Văn phòng - Thống kê", ""])
    rows[-1] += [str(hanh[0].id), hanh[1]]
    people.write_text(
        "\n".join([lines[0], *(",".join(row) for row in rows)]) + "\n", encoding="utf-8"
    )
    await baocao.cli("units", "import", str(units))
    await baocao.cli("people", "import", str(people))


async def prefill(
    database_url: str, person_name: str, kind_code: str, typed: dict[str, Any]
) -> None:
    """Answers the person gave earlier in the quarter to their round of one kind."""
    form = (CCHC if kind_code == "cchc" else TTHC).form
    database = Database(database_url)
    try:
        async with database.session() as session:
            person = await session.scalar(select(Person).where(Person.full_name == person_name))
            round_id = await round_of_unit(
                session=session, unit_code="12151", period=PERIOD, report_kind=kind_code
            )
            assert person is not None and round_id is not None
            await store_answers(
                session,
                round_id=round_id,
                answers=typed,
                form_version=form.version,
                person_id=person.id,
            )
    finally:
        await database.dispose()


def cchc_answers(*, outside: bool = False) -> dict[str, Any]:
    """The stock round's answers (parsed) of the radio section, or of everything else."""
    chosen = {
        code: parse_answer(CCHC.form.questions[code], text)
        for code, text in TYPED_ROUND.items()
        if (code in RADIO) != outside
    }
    sections = {CCHC.form.section_of[code].code for code in chosen}
    chosen.update(
        dict.fromkeys(c for c in SKIPPED_IN_ROUND if CCHC.form.section_of[c].code in sections)
    )
    return chosen


async def hand_in(chat: PrivateChat, command: str, expect: str) -> None:
    await chat.says(command, "Gửi báo cáo")
    await chat.taps(texts.SUBMIT_BUTTON, expect)


async def approve(chat: PrivateChat, standin: LocalBotApi, kind: str, number: str) -> str:
    """The chairman approves the newest draft of `kind`; returns the file the group got."""
    drafts = [
        m
        for m in standin.messages_to(chat.user.id)
        if "document" in m and f"báo cáo {kind} " in content(m)
    ]
    assert drafts, f"no {kind} draft reached the chairman"
    (approve_data,) = (
        button["callback_data"]
        for row in drafts[-1]["reply_markup"]["inline_keyboard"]
        for button in row
        if button["text"] == texts.APPROVE_BUTTON
    )
    seen = len(standin.messages_to(OFFICE_GROUP["id"]))
    answered = await chat.tap_answer(drafts[-1], approve_data)
    assert answered.get("text") in (None, ""), answered
    await chat.expect(f"Báo cáo số {number}", after=0)
    delivered = await standin.wait_for_message(
        OFFICE_GROUP["id"], after=seen, timeout=30, predicate=lambda m: "document" in m
    )
    return str(delivered["document"]["file_name"])


async def test_both_kinds_of_one_commune_run_side_by_side(
    baocao: Baocao,
    standin: LocalBotApi,
    database_url: str,
    province_files: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    await two_kinds(baocao, province_files, tmp_path)
    chats = {}
    for user in (HOA, BINH, CUONG, HANH, GIANG, LAN):
        standin.add_private_chat(user)  # each has opened the bot once
        chats[user] = PrivateChat(standin, user)
    hoa, binh, cuong, hanh, giang = (chats[u] for u in (HOA, BINH, CUONG, HANH, GIANG))
    office_code = await baocao.invite_code("SNV-33", "office", "--person", "Bùi Thị Lan")
    bot = await running(baocao)
    group_seen = len(standin.messages_to(OFFICE_GROUP["id"]))
    standin.send_message(LAN, f"/start@{standin.bot_username} {office_code}", chat=OFFICE_GROUP)
    await standin.wait_for_message(OFFICE_GROUP["id"], after=group_seen, timeout=20)

    # The administrator opens the quarter for each kind.
    cchc_opened = await baocao.cli("round", "open", "--period", PERIOD)
    tthc_opened = await baocao.cli("round", "open", "--period", PERIOD, "--kind", "tthc")
    assert "Period 2026-Q4 (CCHC)" in cchc_opened.stdout
    assert "Period 2026-Q4 (TTHC)" in tthc_opened.stdout
    assert "Opened 4 round(s); 0 already open." in cchc_opened.stdout
    assert "Opened 4 round(s); 0 already open." in tthc_opened.stdout
    await outbox_drained(database_url)

    # Each is prompted for the kind they answer: Hạnh for TTHC only, Hoa for CCHC only, and
    # Giang, whose commune gave nobody sections, for both.
    def prompts(user: FakeUser) -> list[str]:
        return [
            content(m)
            for m in standin.messages_to(user.id)
            if content(m).startswith("📋 Đã đến kỳ báo cáo")
        ]

    tthc_prompt = "📋 Đã đến kỳ báo cáo tình hình, kết quả giải quyết thủ tục hành chính quý IV"
    cchc_prompt = "📋 Đã đến kỳ báo cáo kết quả công tác tuyên truyền cải cách hành chính quý IV"
    assert [p[: len(tthc_prompt)] for p in prompts(HANH)] == [tthc_prompt]
    assert [p[: len(cchc_prompt)] for p in prompts(HOA)] == [cchc_prompt]
    assert sorted(p[:40] for p in prompts(GIANG)) == sorted((cchc_prompt[:40], tthc_prompt[:40]))
    # Giang has two reports open: /baocao asks which; the TTHC prompt's button starts TTHC's.
    chooser = await giang.says("/baocao", "báo cáo cần nhập số liệu")
    assert "/baocao cchc" in chooser["text"] and "/baocao tthc" in chooser["text"]
    tthc_message = next(
        m for m in standin.messages_to(GIANG.id) if content(m).startswith(tthc_prompt)
    )
    # A button naming a kind the bot does not run (forged data) says which it runs.
    seen_giang = giang.mark()
    standin.press_button(GIANG, tthc_message, "r:go:khac")
    forged = await giang.expect("Không có loại báo cáo này", after=seen_giang)
    assert forged["text"] == texts.unknown_report(["cchc", "tthc"])
    seen_giang = giang.mark()
    standin.press_button(GIANG, tthc_message, resume_callback("tthc"))
    started = await giang.expect("Câu 1/", after=seen_giang)
    assert "Kế hoạch của xã về kiểm soát thủ tục hành chính" in started["text"]

    # Hạnh hands in TTHC; the chairman approves it first: 01 of the commune's register.
    sample = read_answers_file(TTHC.folder / "sample_answers.yaml", TTHC.form)
    await prefill(database_url, "Đặng Thị Hạnh", "tthc", dict(sample.answers))
    seen_cuong = cuong.mark()
    await hand_in(hanh, "/baocao", "đã đủ số liệu")
    await cuong.expect("Dự thảo báo cáo TTHC quý IV năm 2026 của xã Tân Quang", after=seen_cuong)
    tthc_file = await approve(cuong, standin, "TTHC", "01/BC-UBND")
    # Hoa and Bình hand in CCHC; approved next, it takes 02.
    await prefill(database_url, "Nguyễn Thị Hoa", "cchc", cchc_answers(outside=True))
    await prefill(database_url, "Trần Văn Bình", "cchc", cchc_answers())
    await hand_in(hoa, "/baocao", "còn chờ")
    seen_cuong = cuong.mark()
    await hand_in(binh, "/baocao", "đã đủ số liệu")
    await cuong.expect("Dự thảo báo cáo CCHC quý IV năm 2026 của xã Tân Quang", after=seen_cuong)
    cchc_file = await approve(cuong, standin, "CCHC", "02/BC-UBND")

    assert tthc_file == "BC-TTHC_2026-Q4_12151_tan-quang_so01.docx"
    assert cchc_file == "BC-CCHC_2026-Q4_12151_tan-quang_so02.docx"
    # The officers hear of their own kind's report only.
    await outbox_drained(database_url)
    told_hanh = [content(m) for m in standin.messages_to(HANH.id)]
    assert any(text.startswith("📨 Báo cáo TTHC quý IV năm 2026") for text in told_hanh)
    assert not any("CCHC" in text or "cải cách hành chính" in text for text in told_hanh)
    told_hoa = [content(m) for m in standin.messages_to(HOA.id)]
    assert any(text.startswith("📨 Báo cáo CCHC quý IV năm 2026") for text in told_hoa)
    assert not any("TTHC quý IV" in text or "thủ tục hành chính quý" in text for text in told_hoa)

    # The office's progress: one list per kind, each with its own reminder button.
    group = OFFICE_GROUP["id"]
    seen_group = len(standin.messages_to(group))
    standin.send_message(LAN, "/tiendo", chat=OFFICE_GROUP)
    lists = {}
    for kind in ("CCHC", "TTHC"):
        lists[kind] = await standin.wait_for_message(
            group,
            after=seen_group,
            timeout=30,
            predicate=lambda m, k=kind: f"Tiến độ báo cáo {k} quý IV năm 2026" in content(m),
        )
    for message in lists.values():
        assert "Đã báo cáo: 1/4 đơn vị" in content(message), content(message)
    remind = {
        kind: next(
            button["callback_data"]
            for row in message["reply_markup"]["inline_keyboard"]
            for button in row
            if button["text"] == texts.REMIND_BUTTON
        )
        for kind, message in lists.items()
    }
    assert remind["TTHC"].endswith(":tthc") and remind["CCHC"].endswith(":cchc")
    # Reminding for TTHC reminds Giang of TTHC, not of CCHC.
    seen_giang = giang.mark()
    await PrivateChat(standin, LAN).tap_answer(lists["TTHC"], remind["TTHC"])
    reminder = await giang.expect("Cơ quan tiếp nhận nhắc", after=seen_giang)
    await outbox_drained(database_url)
    reminders = [
        content(m)
        for m in standin.messages_to(GIANG.id)[seen_giang:]
        if "Cơ quan tiếp nhận nhắc" in content(m)
    ]
    assert reminders == [content(reminder)]
    assert "báo cáo TTHC quý IV năm 2026 của xã Như Quỳnh" in reminders[0]

    # /tonghop tthc: the TTHC files, named TTHC's, holding the TTHC report only.
    seen_group = len(standin.messages_to(group))
    standin.send_message(LAN, "/tonghop tthc", chat=OFFICE_GROUP)
    names = {}
    for suffix in (".xlsx", ".docx", ".zip"):
        message = await standin.wait_for_message(
            group,
            after=seen_group,
            timeout=60,
            predicate=lambda m, s=suffix: str(m.get("document", {}).get("file_name", "")).endswith(
                s
            ),
        )
        names[suffix] = message["document"]["file_name"]
        if suffix == ".zip":
            archive = zipfile.ZipFile(
                io.BytesIO(standin.document_bytes(message["document"]["file_id"]))
            )
            assert [n for n in archive.namelist() if n.endswith(".docx")] == [tthc_file]
    assert names == {
        ".xlsx": "TH-TTHC_2026-Q4_SNV-33.xlsx",
        ".docx": "BC-TH-TTHC_2026-Q4_SNV-33.docx",
        ".zip": "BC-TTHC_2026-Q4_SNV-33_cac-xa.zip",
    }

    # `round status --kind` tells each kind's rounds apart.
    tthc_status = (await baocao.cli("round", "status", "--period", PERIOD, "--kind", "tthc")).stdout
    cchc_status = (await baocao.cli("round", "status", "--period", PERIOD)).stdout
    assert "Period 2026-Q4 (TTHC)" in tthc_status and "01/BC-UBND" in tthc_status
    assert "02/BC-UBND" not in tthc_status
    assert "Period 2026-Q4 (CCHC)" in cchc_status and "02/BC-UBND" in cchc_status
    assert "Error while handling" not in bot.log()
