"""Telegram's bad moments, played against the real bot: lost replies, retries, expired button
presses, a busy database. Every answer lands under the question its person saw."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import make_url, select

from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from conversations import texts
from storage.db import Database
from storage.models import QuestionnaireState
from tests.e2e.conftest import Baocao, running
from tests.e2e.test_questionnaire import stored_answers

pytestmark = pytest.mark.e2e

HOA = FakeUser(id=840001, first_name="Hoa", last_name="Nguyễn Thị")
BINH = FakeUser(id=840002, first_name="Bình", last_name="Trần Văn")
# PTB's client, and then the bot's own retries (bot.handlers.common.SEND_ATTEMPTS): all fail.
LOST = 4


async def registered(province: Baocao, standin: LocalBotApi) -> tuple[PrivateChat, PrivateChat]:
    hoa_code = await province.invite_code("12151", "officer", "--person", "Nguyễn Thị Hoa")
    binh_code = await province.invite_code("12151", "officer", "--person", "Trần Văn Bình")
    await province.cli("round", "open", "--period", "2026-Q4")
    hoa, binh = PrivateChat(standin, HOA), PrivateChat(standin, BINH)
    await hoa.says(f"/start {hoa_code}", "Xin chào")
    await binh.says(f"/start {binh_code}", "Xin chào")
    return hoa, binh


async def test_a_retry_after_a_lost_reply_is_answered_and_filed_once(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    bot = await running(province)
    hoa, _ = await registered(province, standin)
    await hoa.says("/baocao", "Phần 1/7 · Câu 1/4")
    await hoa.says("03/KH-UBND ngày 08/01/2026", "Câu 2/4")

    # Her answer is stored, but every try to send the next question meets a 502.
    standin.fail_next("sendMessage", status=502, times=LOST)
    seen = hoa.mark()
    standin.send_message(HOA, "181/KH-UBND ngày 29/12/2025")
    await bot.wait_for_log("Could not send a reply")
    assert hoa.mark() == seen  # she got nothing

    # She sends it again, as anyone would: told it is saved, and asked the next question.
    reply = await hoa.says("181/KH-UBND ngày 29/12/2025", "Câu 3/4")
    assert "đã được lưu trước đó" in reply["text"]
    await hoa.says("1, 4", "Câu 4/4")
    answers = await stored_answers(database_url, "12151")
    assert answers["directed_to"] == ["departments", "sub_units"]
    assert [ref["number"] for ref in answers["higher_docs"]] == ["181"]
    assert "other_directives" not in answers


async def test_a_lost_question_is_sent_again_without_being_asked(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    province.environment.update(BAOCAO_PROMPT_RESEND_AFTER_S="1", BAOCAO_PROMPT_CHECK_EVERY_S="0.5")
    await running(province)
    _, binh = await registered(province, standin)
    await binh.says("/baocao", "Câu 1/7")
    standin.fail_next("sendMessage", status=502, times=LOST)
    seen = binh.mark()
    message, data = binh.button("Đang hoạt động")
    standin.press_button(BINH, message, data)
    # He types nothing: the keeper finds the walk's question undelivered and sends it.
    await binh.expect("Câu 2/7", after=seen)
    await asyncio.sleep(2)  # and only once
    assert sum("Câu 2/7" in m.get("text", "") for m in standin.messages_to(BINH.id)[seen:]) == 1
    await binh.says("6", "Câu 3/7")
    assert (await stored_answers(database_url, "12151"))["radio_programs"] == 6


async def test_a_button_pressed_while_the_bot_was_down_still_moves_on(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    bot = await running(province)
    _, binh = await registered(province, standin)
    await binh.says("/baocao", "Câu 1/7")
    await bot.stop()
    seen = binh.mark()
    message, data = binh.button("Đang hoạt động")
    query = standin.press_button(BINH, message, data)["callback_query"]
    standin.age_callback_query(query["id"], 20)  # Telegram no longer takes an answer to it
    bot = await running(province)
    # The answer is stored, the old keyboard removed and the next question sent, although
    # answering the press itself fails with "query is too old".
    await binh.expect("Câu 2/7", after=seen)
    assert standin.callback_answer(query["id"]) is None
    assert "query is too old" in bot.log().lower()
    assert (await stored_answers(database_url, "12151"))["radio_station"] == "active"
    edits = [c for c in standin.calls("editMessageReplyMarkup")]
    assert any(c.params.get("message_id") == message["message_id"] for c in edits)


async def test_a_press_delivered_again_after_a_crash_shows_where_the_person_is(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    bot = await running(province)
    _, binh = await registered(province, standin)
    await binh.says("/baocao", "Câu 1/7")
    message, data = binh.button("Đang hoạt động")
    standin.set_delay("answerCallbackQuery", 30)
    standin.press_button(BINH, message, data)
    for _ in range(200):  # stored, and the bot is stuck answering the press: the power goes
        if "radio_station" in await stored_answers(database_url, "12151"):
            break
        await asyncio.sleep(0.05)
    bot.kill()
    standin.set_delay("answerCallbackQuery", 0)
    seen = binh.mark()
    bot = await running(province)
    await binh.expect("Câu 2/7", after=seen)  # not only a pop-up: the question he is on
    await bot.wait_for_log("already handled")


async def test_an_answer_that_met_a_busy_database_is_taken_when_it_frees(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("holds SQLite's write lock from outside; PostgreSQL waits instead of failing")
    bot = await running(province)
    hoa, _ = await registered(province, standin)
    await hoa.says("/baocao", "Câu 1/4")
    await _prompt_recorded(database_url)
    blocker = sqlite3.connect(Path(str(url.database)), timeout=1, check_same_thread=False)
    blocker.execute("BEGIN EXCLUSIVE")  # another program holds the database for 12 s
    seen = hoa.mark()
    try:
        standin.send_message(HOA, "03/KH-UBND ngày 08/01/2026")
        # Either its turn or, first, keeping it in the inbox meets the lock.
        await bot.wait_for_log(
            r"Update \d+ failed \(try 1\)|Could not keep received updates", within=30
        )
    finally:
        blocker.rollback()
        blocker.close()
    await hoa.expect("Câu 2/4", after=seen)
    texts_sent = [m.get("text", "") for m in standin.messages_to(HOA.id)[seen:]]
    assert texts.NOT_TAKEN not in texts_sent
    assert (await stored_answers(database_url, "12151"))["plan_refs"][0]["number"] == "03"


async def _prompt_recorded(database_url: str) -> None:
    """Wait until the bot has recorded the delivered question (right after sending it)."""
    database = Database(database_url)
    try:
        for _ in range(100):
            async with database.session() as session:
                if await session.scalar(select(QuestionnaireState.shown)):
                    return
            await asyncio.sleep(0.05)
    finally:
        await database.dispose()
    raise AssertionError("the question was not recorded as delivered")
