"""What the questionnaire does with bad input in chat: a clear Vietnamese answer, and no change."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from conversations import texts
from storage.db import Database
from storage.models import Answer, QuestionnaireState, ReportingRound, RoundStatus
from tests.e2e.conftest import Baocao

pytestmark = pytest.mark.e2e

HOA = FakeUser(id=840001, first_name="Hoa", last_name="Nguyễn Thị")
LAN = FakeUser(id=840002, first_name="Lan", last_name="Bùi Thị")
STRANGER = FakeUser(id=849999, first_name="Khách")


async def snapshot(database_url: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Every stored answer and every questionnaire state, to compare before and after."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            answers = {
                row.question_code: row.value for row in await session.scalars(select(Answer))
            }
            states = [
                (s.status, s.question_code, s.pending, s.back_to_review)
                for s in await session.scalars(select(QuestionnaireState))
            ]
            return answers, states
    finally:
        await database.dispose()


async def test_bad_input_is_explained_and_changes_nothing(
    province: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    hoa_code = await province.invite_code("12151", "officer", "--person", "Nguyễn Thị Hoa")
    office_code = await province.invite_code("SNV-33", "office")
    bot = province.start_bot()
    await bot.wait_for_log("is running")
    hoa, lan, stranger = (PrivateChat(standin, user) for user in (HOA, LAN, STRANGER))

    # Strangers learn nothing; people with nothing to answer are told so.
    await stranger.says("/baocao", texts.NOT_REGISTERED)
    await stranger.says("/xem", texts.NOT_REGISTERED)
    await hoa.says(f"/start {hoa_code}", "Xin chào")
    await hoa.says("/baocao", texts.NO_OPEN_ROUND)
    await lan.says(f"/start {office_code}", "Xin chào")
    await lan.says("/baocao", texts.NOT_AN_ANSWERER)

    await province.cli("round", "open", "--period", "2026-Q4")
    await hoa.says("/baocao", "Phần 1/7 · Câu 1/4")
    before = await snapshot(database_url)

    await hoa.sends(standin.send_photo, texts.UNSUPPORTED_IN_WALK)
    await hoa.sends(standin.send_voice, texts.UNSUPPORTED_IN_WALK)
    await hoa.sends(standin.send_sticker, texts.UNSUPPORTED_IN_WALK)
    for text in ("👍😀", "x" * 10_000, "{{ 7*7 }}", "03/KH-UBND", "KH-UBND ngày 08/01/2026"):
        reply = await hoa.says(text, "⚠️")
        assert "Câu 1/4" in reply["text"], "the question is asked again"
        assert len(reply["text"]) <= 4096
    seen = hoa.mark()
    typed = standin.send_message(HOA, "ngày mai")["message"]
    await hoa.expect("⚠️", after=seen)
    seen = hoa.mark()
    standin.edit_message(HOA, typed["message_id"], "03/KH-UBND ngày 08/01/2026")
    await hoa.expect(texts.EDITED_IN_WALK, after=seen)

    # Forged, foreign and malformed buttons are answered without acting.
    anchor = standin.messages_to(HOA.id)[-1]
    for data in ("q:abc", "q:1:1:rm", "q:99999:1:zero", "' OR 1=1 --", "q:1:999999999:skip"):
        answer = await hoa.tap_answer(anchor, data)
        assert answer.get("show_alert") is True
        assert answer.get("text") in (texts.OLD_BUTTON, texts.NOT_YOUR_BUTTON, texts.STALE_BUTTON)
    answer = await stranger.tap_answer(anchor, "q:1:1:zero")
    assert answer.get("text") == texts.NOT_YOUR_BUTTON
    assert await snapshot(database_url) == before

    # A button from an older question does nothing once that question was answered.
    await hoa.says("03/KH-UBND ngày 08/01/2026", "Câu 2/4")
    old_question, skip = hoa.button(texts.SKIP_BUTTON)
    await hoa.says("181/KH-UBND ngày 29/12/2025", "Câu 3/4")
    answers_now = (await snapshot(database_url))[0]
    assert (await hoa.tap_answer(old_question, skip)).get("text") == texts.OLD_BUTTON
    assert (await snapshot(database_url))[0] == answers_now
    assert answers_now["higher_docs"]["value"] is not None

    # Once the round is approved (or closed), answers are refused.
    await _set_round_status(database_url, RoundStatus.APPROVED)
    frozen = (await snapshot(database_url))[0]
    await hoa.says("UBND tỉnh Hưng Yên", texts.ROUND_CLOSED)
    back_message, back = hoa.button(texts.BACK_BUTTON)
    assert (await hoa.tap_answer(back_message, back)).get("text") == texts.ROUND_CLOSED
    await hoa.says("/baocao", texts.NO_OPEN_ROUND)
    assert (await snapshot(database_url))[0] == frozen


async def _set_round_status(database_url: str, status: RoundStatus) -> None:
    database = Database(database_url)
    try:
        async with database.session() as session:
            await session.execute(update(ReportingRound).values(status=status))
    finally:
        await database.dispose()
