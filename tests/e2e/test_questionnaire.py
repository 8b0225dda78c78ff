"""Two officers answer their sections through the real bot, with mistakes, a kill -9, a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from conversations import texts
from definitions import words
from definitions.forms import load_form
from storage.db import Database
from storage.models import (
    Answer,
    AuditEntry,
    ReportingRound,
    RoundStatus,
    SectionSubmission,
    Unit,
)
from tests.e2e.conftest import Baocao, running
from wording.documents import DocumentRef

pytestmark = pytest.mark.e2e

HOA = FakeUser(id=830001, first_name="Hoa", last_name="Nguyễn Thị")
BINH = FakeUser(id=830002, first_name="Bình", last_name="Trần Văn")
GIANG = FakeUser(id=830003, first_name="Giang", last_name="Vũ Thị")  # another commune's officer
REPLY_TIMEOUT = 20

FORM = load_form()
STRENGTH = FORM.questions["strengths"].suggestions[0]
DIRECTIONS_EDITED = (
    "Tiếp tục đẩy mạnh tuyên truyền cải cách hành chính qua đài truyền thanh, "
    "trang thông tin điện tử và các cuộc họp thôn."
)
TEMPLATE_LOOKING = "{{ 7*7 }} <b>Hội thi</b> {% if x %}"


async def stored_answers(database_url: str, unit_code: str) -> dict[str, Any]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            rows = await session.execute(
                select(Answer.question_code, Answer.value, Answer.form_version)
                .join(ReportingRound, ReportingRound.id == Answer.round_id)
                .join(Unit, Unit.id == ReportingRound.unit_id)
                .where(Unit.code == unit_code)
            )
            found = {}
            for code, value, version in rows:
                assert version == FORM.version
                found[code] = value["value"]
            return found
    finally:
        await database.dispose()


async def round_facts(database_url: str, unit_code: str) -> tuple[RoundStatus, set[str], list[Any]]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            round_ = await session.scalar(
                select(ReportingRound)
                .join(Unit, Unit.id == ReportingRound.unit_id)
                .where(Unit.code == unit_code)
            )
            assert round_ is not None
            sections = set(
                (
                    await session.scalars(
                        select(SectionSubmission.section_code).where(
                            SectionSubmission.round_id == round_.id
                        )
                    )
                ).all()
            )
            changes = [
                entry.details
                for entry in await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "answer.changed")
                )
            ]
            return round_.status, sections, changes
    finally:
        await database.dispose()


async def test_two_officers_answer_their_sections_through_a_crash(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    hoa_code = await province.invite_code("12151", "officer", "--person", "Nguyễn Thị Hoa")
    binh_code = await province.invite_code("12151", "officer", "--person", "Trần Văn Bình")
    giang_code = await province.invite_code("12154", "officer", "--person", "Vũ Thị Giang")
    opened = await province.cli("round", "open", "--period", "2026-Q4")
    assert "Opened 4 round(s)" in opened.stdout
    bot = await running(province)

    hoa, binh, giang = (
        PrivateChat(standin, HOA),
        PrivateChat(standin, BINH),
        PrivateChat(standin, GIANG),
    )
    await hoa.says(f"/start {hoa_code}", "Xin chào")
    await binh.says(f"/start {binh_code}", "Xin chào")
    await giang.says(f"/start {giang_code}", "Xin chào")
    # The questionnaire's commands are in each officer's own menu (set after the greeting).
    for _ in range(100):
        if standin.my_commands({"type": "chat", "chat_id": GIANG.id}):
            break
        await asyncio.sleep(0.05)
    for user in (HOA, BINH, GIANG):
        menu = standin.my_commands({"type": "chat", "chat_id": user.id})
        assert {c["command"] for c in menu} >= {"baocao", "xem", "huy"}

    # Bình answers the radio section, with mistakes on the way.
    intro = await binh.says("/baocao", "quý IV năm 2026")
    assert "Tuyên truyền qua hệ thống truyền thanh" in intro["text"]
    await binh.expect(after=0, fragment="Phần 1/1 · Câu 1/7")
    await binh.taps("Đang hoạt động", "Câu 2/7")
    await binh.says("sáu", "chữ số")
    await binh.says("6 chuyên mục", "Câu 3/7")
    await binh.says("25", "Câu 4/7")
    await binh.says("30 lượt", "Câu 5/7")
    await binh.says("-5", "âm")
    await binh.sends(standin.send_sticker, texts.UNSUPPORTED_IN_WALK)
    await binh.says("1 giờ 30", "Câu 6/7")
    await binh.says("2", "Câu 7/7")
    await binh.says("có", "Gửi báo cáo")
    await binh.taps("✏️ 2", "Câu 2/7")  # he meant 8 programmes, not 6
    await binh.says("8", "Gửi báo cáo")
    done = await binh.taps(texts.SUBMIT_BUTTON, "Cảm ơn")
    assert "còn chờ" in done["text"]

    # Giang, of another commune, cannot use Bình's buttons.
    message, data = binh.button("✏️ 2")
    assert (await giang.tap_answer(message, data)).get("text") == texts.NOT_YOUR_BUTTON

    # Hoa answers the other six sections.
    await hoa.says("/baocao", "Phần 1/7 · Câu 1/4")
    await hoa.says("03/KH-UBND ngày 08/01/2026", "Câu 2/4")
    await hoa.says("181/KH-UBND ngày 29/12/2025 của UBND tỉnh Hưng Yên", "Câu 3/4")
    await hoa.says("/huy", "Đã tạm dừng")
    await hoa.says("1, 4", "đang tạm dừng")  # paused: not read as an answer
    await hoa.says("/baocao", "Câu 3/4")
    await hoa.says("1, 9", "Không có mục số 9")
    await hoa.says("1, 4", "Câu 4/4")
    await hoa.says("ko", "Phần 2/7 · Câu 1/3")
    await hoa.says("1, 2, 14", "Câu 2/3")
    await hoa.taps(texts.SKIP_BUTTON, "Câu 3/3")
    await hoa.taps(texts.SKIP_BUTTON, "Phần 3/7 · Câu 1/4")
    await hoa.says("25", "Câu 2/4")
    await hoa.says("30", "không thể nhiều hơn")
    await hoa.says("5", "Câu 3/4")
    await hoa.taps(texts.SKIP_BUTTON, "Câu 4/4")
    await hoa.taps("Có", "Phần 4/7 · Câu 1/5")
    await hoa.says("02", "Câu 2/5")
    await hoa.says("6", "Câu 3/5")
    await hoa.says("1.500", "quá lớn")
    await hoa.says("3", "Câu 4/5")

    # The power goes while the bot is replying to her next answer: the answer is stored but
    # Telegram was not told the update was handled, so it comes again after the restart.
    standin.set_delay("sendMessage", 30)
    seen = hoa.mark()
    standin.send_message(HOA, "1 500")
    await _until(lambda: _has_answer(database_url, "leaflets"))
    bot.kill()
    standin.set_delay("sendMessage", 0)
    bot = await running(province)
    await hoa.expect("Câu 5/5", after=seen)
    await bot.wait_for_log("already handled")

    await hoa.says("100%", "Phần 5/7 · Câu 1/5")
    await hoa.says("4", "Câu 2/5")
    await hoa.says("1", "Câu 3/5")
    await hoa.taps("buổi", "Câu 4/5")  # the word the report prints with the figure
    await hoa.says("không", "Câu 5/5")
    await hoa.taps(texts.SKIP_BUTTON, "Phần 6/7 · Câu 1/8")
    await hoa.says("2", "Câu 2/8")
    await hoa.says("đợt", "Câu 3/8")
    await hoa.says("1.200", "Câu 4/8")
    await hoa.says("1", "Câu 5/8")
    await hoa.says("350", "Câu 6/8")
    await hoa.says("0", "Câu 7/8")
    await hoa.taps(words.ZERO_BUTTON, "Câu 8/8")
    await hoa.says(TEMPLATE_LOOKING, "Phần 7/7 · Câu 1/5")
    # One tap uses a sample; what she types next is the next answer.
    used = await hoa.taps("Dùng mẫu 1", "Câu 2/5")
    assert used["text"].startswith("✔ Đã lưu: Ưu điểm:")
    await hoa.says("Kinh phí cho tuyên truyền còn hạn chế.", "Câu 3/5")
    await hoa.taps(texts.SKIP_BUTTON, "Câu 4/5")
    sample = FORM.questions["directions"].suggestions[0]
    assert len(sample) > 120  # longer than a review line, so it was cut before
    seen = hoa.mark()
    await hoa.taps("Dùng mẫu 1", "Câu 5/5")
    # To edit it: back, where the text is shown whole above the question, to copy and edit.
    await hoa.taps(texts.BACK_BUTTON, "Câu 4/5")
    whole, question = standin.messages_to(HOA.id)[-2:]
    assert whole["text"] == sample and "reply_markup" not in whole
    assert texts.CURRENT_VALUE_ABOVE in question["text"]
    assert hoa.mark() > seen
    await hoa.says(DIRECTIONS_EDITED, "Câu 5/5")
    await hoa.taps(texts.SKIP_BUTTON, "Gửi báo cáo")
    await hoa.taps("✏️ 8", "Phần 3/7 · Câu 1/4")  # 25 posts was a typo for 20
    await hoa.says("20", "Gửi báo cáo")
    await hoa.says("/xem", "Tin, bài CCHC trên trang thông tin điện tử: 20 tin, bài")
    done = await hoa.taps(texts.SUBMIT_BUTTON, "Cảm ơn")
    assert "đã đủ số liệu" in done["text"]

    answers = await stored_answers(database_url, "12151")
    documents = {
        code: [DocumentRef.from_json(item) for item in answers.pop(code)]
        for code in ("plan_refs", "higher_docs")
    }
    assert [ref.text() for ref in documents["plan_refs"]] == ["03/KH-UBND ngày 08/01/2026"]
    (higher,) = documents["higher_docs"]
    assert (higher.text(), higher.issuer) == ("181/KH-UBND ngày 29/12/2025", "UBND tỉnh Hưng Yên")
    assert answers == {
        "radio_station": "active",
        "radio_programs": 8,
        "radio_items": 25,
        "radio_airings": 30,
        "radio_minutes": 90,
        "radio_per_day": 2,
        "radio_relay": True,
        "directed_to": ["departments", "sub_units"],
        "other_directives": 0,
        "content_topics": ["par_index", "sipas", "discipline"],
        "content_docs": None,
        "content_other": None,
        "web_posts": 20,
        "web_posts_digital": 5,
        "social_posts": None,
        "web_tthc_updated": True,
        "banners": 2,
        "slogans": 6,
        "panels": 3,
        "leaflets": 1500,
        "tthc_posted_percent": 100,
        "meetings_integrated": 4,
        "meetings_cchc": 1,
        "meetings_cchc_unit": "session",
        "dialogues": 0,
        "meeting_attendance": None,
        "mobile_sessions": 2,
        "mobile_sessions_unit": "campaign",
        "citizens_guided": 1200,
        "contests": 1,
        "contest_participants": 350,
        "staged_events": 0,
        "trainings": 0,
        "other_forms_text": TEMPLATE_LOOKING,
        "strengths": STRENGTH,
        "limitations": "Kinh phí cho tuyên truyền còn hạn chế.",
        "causes": None,
        "directions": DIRECTIONS_EDITED,
        "proposals": None,
    }
    status, sections, changes = await round_facts(database_url, "12151")
    assert status is RoundStatus.SUBMITTED
    assert sections == {section.code for section in FORM.sections}
    changed = {(c["question"], c["old"], c["new"]) for c in changes}
    assert ("radio_programs", 6, 8) in changed
    assert ("web_posts", 25, 20) in changed
    # The leaflets answer sent as the bot died was stored once, with nothing skipped after it.
    assert not any(c["question"] == "leaflets" for c in changes)
    assert await stored_answers(database_url, "12154") == {}


async def _has_answer(database_url: str, code: str) -> bool:
    return code in await stored_answers(database_url, "12151")


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(REPLY_TIMEOUT * 10):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")
