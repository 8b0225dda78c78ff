"""/noinhan against the real database: who may set a commune's "Nơi nhận", how the typed list is
read, and that the next version of its report prints it.

Each call is its own transaction, as in the bot: the command, then the person's next message
through the approval workflow, which reads every message a person was asked for.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conversations import recipients, texts
from conversations.outgoing import Outcome
from storage.db import Database
from storage.models import AuditEntry, DraftStatus, PendingInput, Person, Unit
from tests.conversations.test_approval import (
    WORKFLOW,
    Commune,
    Office,
    complete_round,
    drafts_of,
    make_commune,
    make_office,
    make_stranger,
    press,
    say,
    text_of,
)
from tests.factories import docx_text

REAL_LIST = "- Sở Nội vụ tỉnh Hưng Yên;\n- TTĐU, HĐND xã;\n- Lãnh đạo UBND xã;\n- Lưu: VT, VP."


@pytest.fixture
async def office(database: Database) -> Office:
    return await make_office(database)


@pytest.fixture
async def commune(database: Database, office: Office) -> Commune:
    return await make_commune(database, office=office)


async def command(database: Database, person: Person, typed: str = "") -> Outcome:
    async with database.session() as session:
        if typed:
            return await recipients.set_typed(session, person=person, text=typed)
        return await recipients.show(session, person=person)


async def stored(database: Database, unit: Unit) -> list[str] | None:
    async with database.session() as session:
        return await session.scalar(select(Unit.recipients).where(Unit.id == unit.id))


async def waiting(database: Database, person: Person) -> bool:
    async with database.session() as session:
        return await session.get(PendingInput, person.id) is not None


async def test_the_chairman_sees_the_default_and_sets_the_communes_own_list(
    database: Database, commune: Commune
) -> None:
    shown = text_of(await command(database, commune.chairman))
    assert "Nơi nhận của báo cáo UBND xã Tân Quang (danh sách mặc định)" in shown
    assert "- Sở Nội vụ tỉnh Hưng Yên;\n- Chủ tịch, các Phó Chủ tịch UBND xã;\n- Lưu: VT." in shown

    told = await say(database, commune.chairman, REAL_LIST)
    assert told is not None
    assert text_of(told).startswith("Đã lưu nơi nhận của báo cáo UBND xã Tân Quang:")
    assert REAL_LIST in text_of(told), "printed as typed: no dash or semicolon doubled"
    assert await stored(database, commune.unit) == [
        "- Sở Nội vụ tỉnh Hưng Yên",
        "- TTĐU, HĐND xã",
        "- Lãnh đạo UBND xã",
        "- Lưu: VT, VP.",
    ]
    assert not await waiting(database, commune.chairman)
    assert await say(database, commune.chairman, "Sở Tư pháp") is None, "asked once only"
    async with database.session() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "unit.recipients_set")
        )
    assert entry is not None and entry.actor_person_id == commune.chairman.id
    assert entry.details["before"] is None and len(entry.details["after"]) == 4

    again = text_of(await command(database, commune.chairman))
    assert "(do đơn vị đặt)" in again and REAL_LIST in again


async def test_mac_dinh_puts_back_the_default(database: Database, commune: Commune) -> None:
    await command(database, commune.vice, "Phòng Nội vụ huyện\nLưu VT")
    assert await stored(database, commune.unit) == ["Phòng Nội vụ huyện", "Lưu VT"]
    await command(database, commune.vice)
    told = await say(database, commune.vice, "Mặc định")
    assert told is not None and "(danh sách mặc định)" in text_of(told)
    assert await stored(database, commune.unit) is None


async def test_officers_clerks_and_people_of_other_units_are_refused(
    database: Database, commune: Commune, office: Office
) -> None:
    other = await make_commune(database, office=office, name="Như Quỳnh", clerk=True)
    assert other.clerk is not None
    stranger = await make_stranger(database)
    for person in (commune.hoa, commune.binh, other.clerk, office.staff, stranger):
        refused = text_of(await command(database, person))
        assert refused == texts.NOT_LEADER_FOR_RECIPIENTS
        assert text_of(await command(database, person, "Sở Tư pháp")) == refused
        assert not await waiting(database, person)
    assert await stored(database, commune.unit) is None
    assert await stored(database, other.unit) is None


async def test_a_list_too_long_or_empty_is_explained_and_asked_again(
    database: Database, commune: Commune
) -> None:
    await command(database, commune.chairman)
    thirteen = "\n".join(f"Nơi nhận {n}" for n in range(1, 14))
    for typed, expected in (
        (thirteen, texts.recipients_too_many(13, 12)),
        ("Sở Nội vụ\n" + "A" * 201, texts.recipients_too_long([2], 200)),
        (" - \n;", texts.RECIPIENTS_EMPTY),
    ):
        told = await say(database, commune.chairman, typed)
        assert told is not None and text_of(told) == expected
        assert await waiting(database, commune.chairman), "the next message is read again"
    assert await stored(database, commune.unit) is None
    told = await say(database, commune.chairman, thirteen.rsplit("\n", 1)[0])  # twelve
    assert told is not None and text_of(told).startswith("Đã lưu")
    assert len(await stored(database, commune.unit) or []) == 12


async def test_huy_keeps_the_list_and_the_next_message_is_not_read_as_it(
    database: Database, commune: Commune
) -> None:
    await command(database, commune.chairman)
    async with database.session() as session:
        cancelled = await WORKFLOW.cancel(session, person=commune.chairman)
    assert cancelled is not None and text_of(cancelled) == texts.INPUT_CANCELLED
    assert await say(database, commune.chairman, "Sở Tư pháp") is None
    assert await stored(database, commune.unit) is None


async def test_the_next_version_prints_the_new_list_and_a_waiting_one_keeps_its_own(
    database: Database, commune: Commune
) -> None:
    await complete_round(database, commune)
    (first,) = await drafts_of(database, commune.round_id)
    assert "- Lưu: VT." in docx_text(first.docx)

    await command(database, commune.chairman, REAL_LIST)
    (unchanged,) = await drafts_of(database, commune.round_id)
    assert unchanged.report == first.report, "the version awaiting approval is not changed"

    # The officers hand in again (nothing else changed): a new version with the new list.
    await complete_round(database, commune)
    first_again, second = await drafts_of(database, commune.round_id)
    assert first_again.status is DraftStatus.SUPERSEDED and second.version == 2
    assert second.report["recipients"] == await stored(database, commune.unit)
    text = docx_text(second.docx)
    for line in REAL_LIST.splitlines():
        assert line in text
    assert "Chủ tịch, các Phó Chủ tịch UBND xã" not in text

    # Approved and numbered from the frozen version: the signed report keeps the list.
    assert (await press(database, commune.chairman, second.id, "ok")).accepted
    (*_, numbered) = await drafts_of(database, commune.round_id)
    assert numbered.number is not None and "- TTĐU, HĐND xã;" in docx_text(numbered.docx)
