"""The real application handling the same update twice (as Telegram redelivers after a crash)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.config import load_settings
from bot_api_standin import FakeUser, LocalBotApi
from conversations import texts
from report_templates.kinds import packaged_kinds
from storage.db import Database
from storage.imports import import_people, import_units
from storage.models import Answer, Person, QuestionnaireState
from storage.periods import open_rounds

HOA = FakeUser(id=850001, first_name="Hoa", last_name="Nguyễn Thị")


@pytest.fixture
async def application(
    database: Database, database_url: str, province_files: tuple[Path, Path]
) -> AsyncIterator[tuple[Application, LocalBotApi]]:  # type: ignore[type-arg]
    units, people = province_files
    async with database.session() as session:
        await import_units(session=session, path=units)
        await import_people(session=session, path=people)
        hoa = await session.scalar(select(Person).where(Person.full_name == "Nguyễn Thị Hoa"))
        assert hoa is not None
        hoa.telegram_user_id = HOA.id
        await open_rounds(session=session, code="2026-Q4")
    async with LocalBotApi() as api:
        settings = load_settings(
            telegram_bot_token=api.token, telegram_api_url=api.url, database_url=database_url
        )
        app = build_application(settings, database, packaged_kinds("cchc"))
        async with app:
            yield app, api


async def handle(app: Application, raw: dict[str, Any]) -> None:  # type: ignore[type-arg]
    await app.process_update(Update.de_json(raw, app.bot))


async def answers_and_state(database: Database) -> tuple[dict[str, Any], str | None]:
    async with database.session() as session:
        answers = {a.question_code: a.value["value"] for a in await session.scalars(select(Answer))}
        state = await session.scalar(select(QuestionnaireState))
        return answers, None if state is None else state.question_code


async def test_a_redelivered_answer_is_recorded_once(
    application: tuple[Application, LocalBotApi],  # type: ignore[type-arg]
    database: Database,
) -> None:
    app, api = application
    await handle(app, api.send_message(HOA, "/baocao"))
    typed = api.send_message(HOA, "03/KH-UBND ngày 08/01/2026")
    await handle(app, typed)
    after_first = await answers_and_state(database)
    sent_after_first = len(api.messages_to(HOA.id))

    await handle(app, typed)  # the same update again

    assert await answers_and_state(database) == after_first
    assert set(after_first[0]) == {"plan_refs"}, "the repeat was not taken as the next answer"
    assert after_first[1] == "higher_docs"
    repeated = api.messages_to(HOA.id)[sent_after_first:]
    assert len(repeated) == 1 and "Câu 2/4" in repeated[0]["text"]


async def test_a_double_tap_records_one_answer(
    application: tuple[Application, LocalBotApi],  # type: ignore[type-arg]
    database: Database,
) -> None:
    app, api = application
    await handle(app, api.send_message(HOA, "/baocao"))
    await handle(app, api.send_message(HOA, "03/KH-UBND ngày 08/01/2026"))
    prompt = api.messages_to(HOA.id)[-1]
    skip = next(
        button["callback_data"]
        for row in prompt["reply_markup"]["inline_keyboard"]
        for button in row
        if button["text"] == texts.SKIP_BUTTON
    )
    first = api.press_button(HOA, prompt, skip)
    second = api.press_button(HOA, prompt, skip)  # a second tap before the keyboard went away
    await handle(app, first)
    await handle(app, second)

    answers, position = await answers_and_state(database)
    assert answers == {"plan_refs": answers["plan_refs"], "higher_docs": None}
    assert position == "directed_to", "skipping twice would have passed a question"
    assert api.callback_answer(second["callback_query"]["id"]) == {
        "callback_query_id": second["callback_query"]["id"],
        "text": texts.OLD_BUTTON,
        "show_alert": True,
    }
