"""Delivered prompts noted in memory: seen at once, written by the walk's next transaction or in
a batch, and kept until a transaction that wrote them commits (storage.deliveries)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, select

from storage.db import Database
from storage.deliveries import Delivery
from storage.models import QuestionnaireState, WalkStatus
from storage.questionnaire import latest_walk, shown_before, write_place
from tests.factories import make_person, make_unit, open_round


async def make_walk(database: Database) -> int:
    async with database.session() as session:
        unit = await make_unit(session)
        person = await make_person(session, unit=unit)
        round_ = await open_round(session, unit=unit)
        state = QuestionnaireState(round_id=round_.id, person_id=person.id, step=3)
        session.add(state)
        await session.flush()
        return state.id


async def stored(database: Database, state_id: int) -> QuestionnaireState:
    """The state as committed, read with no notes applied."""
    async with database.sessions() as session:
        session.info.clear()
        state = await session.get(QuestionnaireState, state_id)
        assert state is not None
        return state


def delivered(state_id: int, step: int, message_id: int) -> Delivery:
    return Delivery(state_id=state_id, step=step, question_code=f"q{step}", message_id=message_id)


@pytest.fixture
def slow_batches(database: Database) -> None:
    database.deliveries.delay_s = 60.0  # only turns write, unless a test writes the batch


async def test_the_next_turn_reads_a_noted_prompt_and_writes_it_with_its_own_change(
    database: Database, slow_batches: None
) -> None:
    state_id = await make_walk(database)
    database.deliveries.note(delivered(state_id, 3, 41))
    async with database.session() as session:
        walk = await latest_walk(
            session=session, person_id=(await stored(database, state_id)).person_id
        )
        assert walk is not None
        state = walk[0]
        seen = shown_before(state, 42)  # typed after the prompt: read against it
        assert seen is not None and seen["step"] == 3
        state.step = 4  # the turn moves on
    after = await stored(database, state_id)
    assert after.step == 4
    assert [entry["message"] for entry in after.shown or []] == [41]
    assert not database.deliveries._notes  # written: forgotten


def statements_of(database: Database) -> list[str]:
    """The SQL the database runs from now on (the list grows as it runs)."""
    seen: list[str] = []
    event.listen(
        database.engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, sql, *_rest: seen.append(sql.split()[0].upper()),
    )
    return seen


@pytest.mark.parametrize("with_note", [False, True])
async def test_a_walk_moved_is_written_once_with_its_notes(
    database: Database, slow_batches: None, with_note: bool
) -> None:
    state_id = await make_walk(database)
    before = await stored(database, state_id)
    if with_note:
        database.deliveries.note(delivered(state_id, 3, 41))
    async with database.session() as session:
        walk = await latest_walk(session=session, person_id=before.person_id)
        assert walk is not None
        state = walk[0]
        state.step, state.status, state.question_code = 4, WalkStatus.CONFIRMING, "q4"
        state.pending = {"kind": "outlier", "value": 900}
        seen = statements_of(database)
        await write_place(session=session, state=state)
        await session.flush()  # the state counts as written: nothing more to write
    assert seen == ["UPDATE"]  # the move, then the commit wrote nothing
    after = await stored(database, state_id)
    assert (after.step, after.status, after.question_code) == (4, WalkStatus.CONFIRMING, "q4")
    assert after.pending == {"kind": "outlier", "value": 900}
    assert after.updated_at > before.updated_at  # a move: its place among the walks changes
    assert [entry["message"] for entry in after.shown or []] == ([41] if with_note else [])
    assert not database.deliveries._notes


async def test_a_rolled_back_turn_leaves_the_note_to_the_batch(
    database: Database, slow_batches: None
) -> None:
    state_id = await make_walk(database)
    before = await stored(database, state_id)
    database.deliveries.note(delivered(state_id, 3, 41))
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            await session.get(QuestionnaireState, state_id)
            raise RuntimeError("the turn failed")
    assert (await stored(database, state_id)).shown is None
    await database.deliveries.write()
    after = await stored(database, state_id)
    assert [entry["message"] for entry in after.shown or []] == [41]
    # A delivery is not a change of place: the walk keeps its place among the person's walks.
    assert after.updated_at == before.updated_at
    assert not database.deliveries._notes


async def test_notes_are_written_in_a_batch_soon_after(database: Database) -> None:
    database.deliveries.delay_s = 0.01
    first, second = await make_walk(database), await make_walk(database)
    database.deliveries.note(delivered(first, 3, 41))
    database.deliveries.note(delivered(second, 3, 7))
    database.deliveries.note(delivered(first, 4, 43))
    for _ in range(200):
        if not database.deliveries._notes:
            break
        await asyncio.sleep(0.01)
    assert [e["message"] for e in (await stored(database, first)).shown or []] == [41, 43]
    assert [e["message"] for e in (await stored(database, second)).shown or []] == [7]


async def test_a_clean_stop_writes_what_is_noted(database_url: str) -> None:
    from storage.db import upgrade_database

    await upgrade_database(database_url)
    database = Database(database_url)
    database.deliveries.delay_s = 60.0
    state_id = await make_walk(database)
    database.deliveries.note(delivered(state_id, 3, 41))
    await database.dispose()
    again = Database(database_url)
    try:
        async with again.session() as session:
            shown = await session.scalar(
                select(QuestionnaireState.shown).where(QuestionnaireState.id == state_id)
            )
        assert [entry["message"] for entry in shown or []] == [41]
    finally:
        await again.dispose()
