"""Officers submit, the chairman returns with a comment, they correct, he approves, and the
office receives exactly one file, through a 429, a 502 and a kill -9 during delivery."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from conversations import texts
from definitions.forms import load_form
from definitions.values import parse_answer
from report_templates.draft import pdf_converter_available
from storage.db import Database
from storage.models import (
    AuditEntry,
    DocumentNumber,
    Draft,
    DraftStatus,
    OutboxMessage,
    OutboxStatus,
    Person,
    ReportingRound,
    RoundStatus,
    Unit,
)
from tests.e2e.conftest import Baocao, outbox_drained, running
from tests.factories import SKIPPED_IN_ROUND, TYPED_ROUND, docx_text, store_answers

pytestmark = pytest.mark.e2e

HOA = FakeUser(id=840001, first_name="Hoa", last_name="Nguyễn Thị")
BINH = FakeUser(id=840002, first_name="Bình", last_name="Trần Văn")
CUONG = FakeUser(id=840003, first_name="Cường", last_name="Lê Văn")  # chairman
DUNG = FakeUser(id=840004, first_name="Dung", last_name="Phạm Thị")  # vice-chairman
HAI = FakeUser(id=840005, first_name="Hải", last_name="Đỗ Văn")  # another commune's chairman
LAN = FakeUser(id=840006, first_name="Lan", last_name="Bùi Thị")  # the receiving office
OFFICE_GROUP = {"id": -1008400100, "type": "supergroup", "title": "Sở Nội vụ - báo cáo"}
FORM = load_form()
COMMENT = "Số chương trình phát thanh chưa khớp sổ theo dõi, đề nghị kiểm tra lại {{ x }}"

# What Hoa had typed for her six sections earlier in the quarter.
HOA_TYPED = {
    code: text
    for code, text in TYPED_ROUND.items()
    if code not in {q.code for q in FORM.section("broadcasts").questions}
}


async def test_return_correct_approve_and_deliver_once_through_429_502_and_a_restart(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    codes = {
        HOA: await province.invite_code("12151", "officer", "--person", "Nguyễn Thị Hoa"),
        BINH: await province.invite_code("12151", "officer", "--person", "Trần Văn Bình"),
        CUONG: await province.invite_code("12151", "chairman", "--person", "Lê Văn Cường"),
        DUNG: await province.invite_code("12151", "vice_chairman", "--person", "Phạm Thị Dung"),
        HAI: await province.invite_code("12154", "chairman", "--person", "Đỗ Văn Hải"),
    }
    office_code = await province.invite_code("SNV-33", "office", "--person", "Bùi Thị Lan")
    await province.cli("round", "open", "--period", "2026-Q4")
    bot = await running(province)
    hoa, binh, cuong, dung, hai = (
        PrivateChat(standin, user) for user in (HOA, BINH, CUONG, DUNG, HAI)
    )
    for chat in (hoa, binh, cuong, dung, hai):
        await chat.says(f"/start {codes[chat.user]}", "Xin chào")
    standin.send_message(LAN, f"/start@{standin.bot_username} {office_code}", chat=OFFICE_GROUP)
    await standin.wait_for_message(OFFICE_GROUP["id"], timeout=20)
    await prefill(database_url, "Nguyễn Thị Hoa", HOA_TYPED)

    # Both officers hand in their sections; the second completes the round.
    await hoa.says("/baocao", "Gửi báo cáo")
    await hoa.taps(texts.SUBMIT_BUTTON, "còn chờ")
    await answer_radio(binh, programs="6")
    seen_cuong = cuong.mark()
    await binh.taps(texts.SUBMIT_BUTTON, "đã đủ số liệu")

    # The chairman gets the preview and the .docx with three buttons. The vice-chairman is not
    # marked to sign for this commune (people.csv `signs`), so she gets nothing.
    await cuong.expect("Dưới đây là dự thảo báo cáo (phiên bản 1)", after=seen_cuong)
    preview = await cuong.expect("BÁO CÁO", after=seen_cuong)
    assert "06 chuyên mục" in preview["text"]
    draft_1 = await cuong.expect("phiên bản 1", after=seen_cuong + 1)
    assert draft_1["document"]["file_name"].endswith("_v1.docx")
    assert button_labels(draft_1) == [
        texts.APPROVE_BUTTON,
        texts.RETURN_BUTTON,
        texts.VIEW_DATA_BUTTON,
    ]
    v1_message, v1_approve = cuong.button(texts.APPROVE_BUTTON)

    # Only this commune's approver may decide: not an officer, not a vice-chairman who does not
    # sign, not another commune's chairman, not forged data.
    # The commune's own people are told who approves, by name; anyone else only that they don't.
    who = "Báo cáo của xã Tân Quang do Chủ tịch Lê Văn Cường duyệt."
    assert (await binh.tap_answer(v1_message, v1_approve))["text"] == who
    assert (await dung.tap_answer(v1_message, v1_approve))["text"] == (
        f"{who} Anh/chị chưa được phân công ký báo cáo này."
    )
    assert (await hai.tap_answer(v1_message, v1_approve))["text"] == texts.NOT_APPROVER
    stranger = PrivateChat(standin, FakeUser(id=849999, first_name="Người lạ"))
    assert (await stranger.tap_answer(v1_message, v1_approve))["text"] == texts.NOT_YOUR_BUTTON
    assert (await cuong.tap_answer(v1_message, "a:999999:ok"))["text"] == texts.OLD_BUTTON
    assert (await cuong.tap_answer(v1_message, "a:1:delete"))["text"] == texts.OLD_BUTTON
    figures = await cuong.taps(texts.VIEW_DATA_BUTTON, "Số liệu của phiên bản 1")
    assert "20 tin, bài" in figures["text"]

    # Sent back with a comment: a sticker is not a comment; the text is stored as typed.
    await cuong.taps(texts.RETURN_BUTTON, "cần cán bộ sửa gì")
    await cuong.sends(standin.send_sticker, texts.INPUT_NOT_TEXT)
    seen_binh, seen_hoa = binh.mark(), hoa.mark()
    done = await cuong.says(COMMENT, "Đã trả lại báo cáo")
    assert "Trần Văn Bình" in done["text"] and "Nguyễn Thị Hoa" in done["text"]
    told = await binh.expect("đề nghị sửa báo cáo", after=seen_binh)
    assert COMMENT in told["text"] and "Chủ tịch Lê Văn Cường" in told["text"]
    await hoa.expect("đề nghị sửa báo cáo", after=seen_hoa)

    # Bình corrects the figure; both hand in again; version 2 goes out, version 1 is old.
    await binh.says("/baocao", "Gửi báo cáo")
    await binh.taps("✏️ 2", "Câu 2/7")
    await binh.says("8", "Gửi báo cáo")
    await binh.taps(texts.SUBMIT_BUTTON, "còn chờ")
    seen_cuong = cuong.mark()
    await hoa.says("/baocao", "Gửi báo cáo")
    await hoa.taps(texts.SUBMIT_BUTTON, "đã đủ số liệu")
    draft_2 = await cuong.expect("phiên bản 2", after=seen_cuong + 1)
    assert draft_2["document"]["file_name"].endswith("_v2.docx")
    assert (await cuong.tap_answer(v1_message, v1_approve))["text"] == texts.ALREADY_RETURNED

    # Delivery meets a 429, the bot is killed while it waits, and a 502 after the restart.
    v2_approve = callback_of(draft_2, texts.APPROVE_BUTTON)
    standin.fail_next("sendDocument", status=429, retry_after=3)
    await cuong.taps(texts.APPROVE_BUTTON, "Đã duyệt. Báo cáo số 01/BC-UBND ngày")
    await bot.wait_for_log("Telegram asks to wait")
    bot.kill()
    standin.fail_next("sendDocument", status=502)
    bot = await running(province)
    delivered = await standin.wait_for_message(
        OFFICE_GROUP["id"], timeout=30, predicate=lambda message: "document" in message
    )
    await bot.wait_for_log(r"Sent draft:\d+:office:docx")
    assert "Bad Gateway" in bot.log() or "502" in bot.log()
    assert "Số 01/BC-UBND" in delivered["caption"]
    assert "UBND xã Tân Quang" in delivered["caption"]
    assert "Chủ tịch Lê Văn Cường" in delivered["caption"]
    final_text = docx_text(standin.document_bytes(delivered["document"]["file_id"]))
    assert "01/BC-UBND" in final_text and "Lê Văn Cường" in final_text
    assert "08 chuyên mục" in final_text and "06 chuyên mục" not in final_text

    # A double tap changes nothing.
    assert (await cuong.tap_answer(draft_2, v2_approve))["text"] == texts.ALREADY_APPROVED

    # The officers and the chairman are told; the office acknowledges, a stranger cannot.
    approved = await binh.expect("đã được duyệt, số 01/BC-UBND", after=0)
    assert "đang được gửi đến Sở Nội vụ tỉnh Hưng Yên" in approved["text"]
    # Told it arrived only once it did (the 429, the kill and the 502 are behind it).
    arrived = await binh.expect("📨", after=0)
    assert "(số 01/BC-UBND) đã được gửi đến Sở Nội vụ tỉnh Hưng Yên" in arrived["text"]
    await cuong.expect("📨", after=0)
    # Nothing is open any more: /baocao says the report is approved and where it went, /xem
    # shows the approved figures of his section (the corrected 8, not the 6 first typed).
    status = await binh.says("/baocao", "duyệt: số")
    assert "số 01/BC-UBND ngày" in status["text"]
    assert "đã được Chủ tịch Lê Văn Cường duyệt" in status["text"]
    assert "Đã gửi đến Sở Nội vụ tỉnh Hưng Yên." in status["text"]
    assert "không cần làm gì thêm" in status["text"]
    figures = await binh.says("/xem", "Số liệu đã duyệt")
    assert "số 01/BC-UBND" in figures["text"] and "8 chuyên mục" in figures["text"]
    assert texts.NOTHING_ENTERED not in figures["text"]
    await cuong.expect("bản chính thức", after=0)
    ack = callback_of(delivered, texts.ACKNOWLEDGE_BUTTON)
    assert (await hai.tap_answer(delivered, ack))["text"] == texts.NOT_OFFICE
    office = PrivateChat(standin, LAN)
    assert (await office.tap_answer(delivered, ack))["text"] == texts.ACKNOWLEDGED

    # The office's /lichsu lists its communes' numbered reports; in its group it is pointed to
    # the private chat, as a history there would be everyone's to read.
    seen_group = len(standin.messages_to(OFFICE_GROUP["id"]))
    standin.send_message(LAN, "/lichsu", chat=OFFICE_GROUP)
    hint = await standin.wait_for_message(OFFICE_GROUP["id"], after=seen_group, timeout=20)
    assert hint["text"] == texts.PRIVATE_CHAT_ONLY
    office_list = await office.says("/lichsu", "số 01/BC-UBND")
    assert "xã Tân Quang" in office_list["text"]

    # /lichsu keeps every version; any of them can be fetched again.
    listing = await cuong.says("/lichsu", "Phiên bản 2")
    assert "Phiên bản 1" in listing["text"] and COMMENT in listing["text"]
    fetched = await cuong.taps(texts.version_button(1), "phiên bản 1 (đã trả lại để sửa)")
    version_1 = docx_text(standin.document_bytes(fetched["document"]["file_id"]))
    assert "06 chuyên mục" in version_1 and "01/BC-UBND" not in version_1

    await outbox_drained(database_url)
    await bot.stop()
    office_documents = [
        message for message in standin.messages_to(OFFICE_GROUP["id"]) if "document" in message
    ]
    names = sorted(
        message["document"]["file_name"].rsplit(".", 1)[1] for message in office_documents
    )
    # The report once, and its PDF copy once where LibreOffice is installed to make one.
    assert names == (["docx", "pdf"] if pdf_converter_available() else ["docx"])
    facts = await stored_facts(database_url)
    assert facts["round"] is RoundStatus.DELIVERED
    assert facts["drafts"] == [(1, DraftStatus.RETURNED), (2, DraftStatus.APPROVED)]
    assert facts["comment"] == COMMENT
    assert facts["numbers"] == [(2026, 1)]
    assert facts["acknowledged_by"] == "Bùi Thị Lan"
    assert facts["unsent"] == 0
    for action in ("round.submitted", "round.returned", "round.approved", "round.delivered"):
        assert action in facts["audit"], action
    assert facts["audit"]["round.approved"] == "Lê Văn Cường"
    assert facts["audit"]["round.returned"] == "Lê Văn Cường"


async def answer_radio(binh: PrivateChat, *, programs: str) -> None:
    await binh.says("/baocao", "Câu 1/7")
    await binh.taps("Đang hoạt động", "Câu 2/7")
    await binh.says(programs, "Câu 3/7")
    await binh.says("25", "Câu 4/7")
    await binh.says("30", "Câu 5/7")
    await binh.says("90 phút", "Câu 6/7")
    await binh.says("2", "Câu 7/7")
    await binh.says("có", "Gửi báo cáo")


async def prefill(database_url: str, person_name: str, typed: dict[str, str]) -> None:
    database = Database(database_url)
    try:
        async with database.session() as session:
            person = await session.scalar(select(Person).where(Person.full_name == person_name))
            round_id = await session.scalar(
                select(ReportingRound.id)
                .join(Unit, Unit.id == ReportingRound.unit_id)
                .where(Unit.code == "12151")
            )
            assert person is not None and round_id is not None
            answers = {
                code: parse_answer(FORM.questions[code], text) for code, text in typed.items()
            }
            answers.update(dict.fromkeys(SKIPPED_IN_ROUND))
            await store_answers(
                session,
                round_id=round_id,
                answers=answers,
                form_version=FORM.version,
                person_id=person.id,
            )
    finally:
        await database.dispose()


async def stored_facts(database_url: str) -> dict[str, Any]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            round_ = await session.scalar(
                select(ReportingRound)
                .join(Unit, Unit.id == ReportingRound.unit_id)
                .where(Unit.code == "12151")
            )
            assert round_ is not None
            drafts = (
                await session.scalars(
                    select(Draft).where(Draft.round_id == round_.id).order_by(Draft.version)
                )
            ).all()
            numbers = (
                await session.execute(select(DocumentNumber.year, DocumentNumber.number))
            ).all()
            acknowledged = await session.get(Person, drafts[-1].acknowledged_by_person_id or 0)
            unsent = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
            )
            audit = {}
            for entry in await session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == "round")
            ):
                actor = await session.get(Person, entry.actor_person_id or 0)
                audit[entry.action] = actor.full_name if actor is not None else None
            return {
                "round": round_.status,
                "drafts": [(draft.version, draft.status) for draft in drafts],
                "comment": drafts[0].comment,
                "numbers": [tuple(row) for row in numbers],
                "acknowledged_by": acknowledged.full_name if acknowledged else None,
                "unsent": unsent,
                "audit": audit,
            }
    finally:
        await database.dispose()


def button_labels(message: dict[str, Any]) -> list[str]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in keyboard for button in row]


def callback_of(message: dict[str, Any], label: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no {label!r} button")
