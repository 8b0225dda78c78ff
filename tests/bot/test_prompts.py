"""Walk replies and the prompt keeper, on a real database, a real PTB Bot and the stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from telegram import Bot

from bot.polling import ChatLanes
from bot.prompts import PromptKeeper, TelegramWalks, WalkReplies, ZaloWalks
from bot_api_standin import FakeUser, LocalBotApi
from conversations.engine import Questionnaire
from definitions.forms import load_form
from storage.db import Database
from storage.models import ChannelName, Person, QuestionnaireState, Role
from storage.questionnaire import prompt_delivered as delivered
from tests.factories import make_person, make_unit, open_round

FORM = load_form()
HOA = FakeUser(id=510_001, first_name="Hoa")
AN = FakeUser(id=510_002, first_name="An")
LONG_AGO = timedelta(minutes=5)


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        for user in (HOA, AN):
            server.send_message(user, "hi")  # the stand-in knows only chats that wrote
        yield server


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    client = Bot(token=api.token, base_url=f"{api.url}/bot")
    await client.initialize()
    yield client
    await client.shutdown()


async def walking(database: Database, user: FakeUser) -> Person:
    """An officer who started her walk; the question it asked did not reach her."""
    async with database.session() as session:
        unit = await make_unit(session, code=f"u{user.id}")
        person = await make_person(session, unit=unit, role=Role.OFFICER, telegram_user_id=user.id)
        await open_round(session, unit=unit)
    async with database.session() as session:
        await Questionnaire(FORM).begin(session, person=person)
    await settle(database)
    return person


async def settle(database: Database) -> None:
    """Make every walk look still for a while (the keeper leaves busy walks to their turn)."""
    async with database.session() as session:
        await session.execute(
            update(QuestionnaireState).values(updated_at=datetime.now(UTC) - LONG_AGO)
        )


def keeper_for(database: Database, bot: Bot) -> PromptKeeper:
    walks = {ChannelName.TELEGRAM: TelegramWalks(bot, WalkReplies(database), ChatLanes())}
    return PromptKeeper(database, Questionnaire(FORM), walks)


async def test_the_keeper_sends_a_lost_question_once(
    database: Database, api: LocalBotApi, bot: Bot
) -> None:
    await walking(database, HOA)
    keeper = keeper_for(database, bot)
    before = len(api.messages_to(HOA.id))
    assert await keeper.sweep() == 1
    sent = api.messages_to(HOA.id)[before:]
    assert len(sent) == 1 and "Câu 1/" in sent[0]["text"]
    async with database.session() as session:
        state = await session.get_one(QuestionnaireState, 1)
    assert delivered(state)
    assert state.shown is not None and state.shown[-1]["message"] == sent[0]["message_id"]
    await settle(database)
    assert await keeper.sweep() == 0  # delivered now: never again


async def test_the_keeper_leaves_busy_blocked_and_paused_walks(
    database: Database, api: LocalBotApi, bot: Bot
) -> None:
    hoa = await walking(database, HOA)
    an = await walking(database, AN)
    keeper = keeper_for(database, bot)
    async with database.session() as session:
        await session.execute(  # Hoa's walk just changed: her turn is sending its reply
            update(QuestionnaireState)
            .where(QuestionnaireState.person_id == hoa.id)
            .values(updated_at=datetime.now(UTC))
        )
        blocked = await session.get_one(Person, an.id)
        blocked.blocked_bot_at = datetime.now(UTC)
    assert await keeper.sweep() == 0
    async with database.session() as session:
        await Questionnaire(FORM).pause(session, person=hoa)
    await settle(database)
    assert await keeper.sweep() == 0


async def test_a_reply_that_fails_is_retried_and_recorded_only_when_it_went(
    database: Database, api: LocalBotApi, bot: Bot
) -> None:
    person = await walking(database, HOA)
    async with database.session() as session:
        reply = await Questionnaire(FORM).current_prompt(session, person=person)
    assert reply is not None and reply.is_prompt
    replies = WalkReplies(database)
    api.fail_next("sendMessage", status=502, times=2)  # two bad moments, then it goes
    assert await replies.send(bot, HOA.id, reply)
    api.fail_next("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
    async with database.session() as session:
        state = await session.get_one(QuestionnaireState, reply.state_id)
        shown = list(state.shown or [])
        state.step += 1  # a new step, whose prompt is refused
    assert len(shown) == 1
    later = reply.__class__(
        messages=reply.messages,
        state_id=reply.state_id,
        step=reply.step + 1,  # type: ignore[operator]
    )
    assert not await replies.send(bot, HOA.id, later)
    async with database.session() as session:
        state = await session.get_one(QuestionnaireState, reply.state_id)
    assert state.shown == shown and not delivered(state)


async def test_the_keeper_sends_a_lost_question_on_zalo_to_someone_who_is_there(
    database: Database, api: LocalBotApi, bot: Bot
) -> None:
    """Hoa wrote from Zalo last: her lost question goes there, as text, once, and is recorded
    as shown on Zalo; nothing goes to her Telegram chat."""
    from channels.zalo.api import ZaloBotApi
    from channels.zalo.conversation import ZaloConversation
    from storage.contacts import bind_contact
    from zalo_standin import ZaloStandIn

    person = await walking(database, HOA)
    async with ZaloStandIn() as zalo, ZaloBotApi(zalo.token, base_url=zalo.url) as zalo_api:
        user = zalo.add_user("Hoa")
        await zalo.send_text(user, "hi")  # a Zalo bot writes only to who wrote to it
        async with database.session() as session:
            await bind_contact(
                session=session, person_id=person.id, channel="zalo", address=user.id
            )
            hoa = await session.get_one(Person, person.id)
            hoa.last_channel = ChannelName.ZALO
        await settle(database)
        conversation = ZaloConversation(database, Questionnaire(FORM), zalo_api)
        walks = {
            ChannelName.TELEGRAM: TelegramWalks(bot, WalkReplies(database), ChatLanes()),
            ChannelName.ZALO: ZaloWalks(conversation, ChatLanes()),
        }
        keeper = PromptKeeper(database, Questionnaire(FORM), walks)
        on_telegram = len(api.messages_to(HOA.id))

        assert await keeper.sweep() == 1
        await settle(database)
        assert await keeper.sweep() == 0
        sent = [m.text for m in zalo.messages_to(user)]

    assert len(sent) == 1 and "Câu 1/" in sent[0] and "Trả lời bằng cách gõ" in sent[0]
    assert len(api.messages_to(HOA.id)) == on_telegram
    async with database.session() as session:
        state = await session.get_one(QuestionnaireState, 1)
    assert delivered(state) and state.shown is not None
    assert state.shown[-1].get("channel") == "zalo"
