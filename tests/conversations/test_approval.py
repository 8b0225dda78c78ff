"""The approval workflow against the real database: versions, decisions, numbers and delivery.

Every call is its own transaction, as in the bot's handlers. A round is completed as the
questionnaire completes it: a full set of answers, every section handed in, the round marked
submitted and the workflow told in the same transaction. Nothing of the project is mocked; what
was decided is read back from the drafts, the number register, the audit log and the outbox.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.approval import ApprovalWorkflow
from conversations.outgoing import Action, Outcome, ReportFile, Text
from definitions.forms import load_form
from definitions.values import parse_answer
from report_templates.draft import load_report_files
from storage.db import Database
from storage.models import (
    Answer,
    AuditEntry,
    DocumentNumber,
    Draft,
    DraftStatus,
    Membership,
    OutboxMessage,
    OutboxStatus,
    PendingInput,
    PendingInputKind,
    Person,
    ReportingPeriod,
    ReportingRound,
    Role,
    RoundStatus,
    SectionSubmission,
    Unit,
    UnitKind,
    utc_now,
)
from storage.outbox import mark_sent
from storage.questionnaire import save_answer
from tests.conftest import POSTGRES
from tests.factories import (
    SKIPPED_IN_ROUND,
    TYPED_ROUND,
    both_kinds,
    docx_text,
    make_person,
    make_unit,
    open_round,
    store_answers,
)

FORM = load_form()
TEMPLATES, LAYOUT = load_report_files()
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
WORKFLOW = ApprovalWorkflow(both_kinds(), timezone=TIMEZONE, pdf_available=False)

COMMENT = "Số chương trình phát thanh chưa khớp sổ theo dõi, đề nghị kiểm tra lại."

_telegram_ids = count(7_100_001)


def answers(**typed: str) -> dict[str, Any]:
    """The full set of answers, with some typed differently."""
    values = {
        code: parse_answer(FORM.questions[code], text)
        for code, text in {**TYPED_ROUND, **typed}.items()
    }
    values.update(dict.fromkeys(SKIPPED_IN_ROUND))
    return values


# ----- a province in miniature ------------------------------------------------------------------


@dataclass(frozen=True)
class Office:
    unit: Unit
    staff: Person


@dataclass(frozen=True)
class Commune:
    unit: Unit
    office: Office
    chairman: Person
    vice: Person  # marked to sign (people.csv `signs`) unless built with vice_signs=False
    hoa: Person  # officer: every section but the broadcasts
    binh: Person  # officer: the broadcasts section
    clerk: Person | None
    round_id: int


async def make_office(database: Database, *, name: str = "Sở Nội vụ tỉnh Hưng Yên") -> Office:
    async with database.session() as session:
        unit = await make_unit(session, name=name, kind=UnitKind.OFFICE)
        staff = await make_person(
            session,
            unit=unit,
            role=Role.OFFICE,
            full_name="Bùi Thị Lan",
            telegram_user_id=next(_telegram_ids),
        )
    return Office(unit, staff)


async def make_commune(
    database: Database,
    *,
    office: Office,
    name: str = "Tân Quang",
    clerk: bool = False,
    chairman_registered: bool = True,
    vice_signs: bool = True,
    period: str = "2026-Q4",
) -> Commune:
    """A commune with a chairman, a vice-chairman, two officers (all on the bot) and a round."""
    async with database.session() as session:
        unit = await make_unit(session, name=name, office=office.unit)

        async def member(role: Role, full_name: str, registered: bool = True) -> Person:
            telegram_id = next(_telegram_ids) if registered else None
            return await make_person(
                session, unit=unit, role=role, full_name=full_name, telegram_user_id=telegram_id
            )

        chairman = await member(Role.CHAIRMAN, "Lê Văn Cường", chairman_registered)
        vice = await member(Role.VICE_CHAIRMAN, "Phạm Thị Dung")
        if vice_signs:
            await mark_signing(session, vice, unit)
        hoa = await member(Role.OFFICER, "Nguyễn Thị Hoa")
        binh = await member(Role.OFFICER, "Trần Văn Bình")
        clerk_person = await member(Role.CLERK, "Vũ Thị Mai") if clerk else None
        round_ = await open_round(session, unit=unit, code=period)
    return Commune(unit, office, chairman, vice, hoa, binh, clerk_person, round_.id)


async def complete_round(
    database: Database,
    commune: Commune,
    *,
    round_id: int | None = None,
    values: dict[str, Any] | None = None,
) -> None:
    """Store (or change) the answers, hand in every section, and tell the workflow."""
    round_id = round_id or commune.round_id
    values = answers() if values is None else values
    async with database.session() as session:
        stored = {
            answer.question_code: answer
            for answer in await session.scalars(select(Answer).where(Answer.round_id == round_id))
        }
        if not stored:
            await store_answers(
                session,
                round_id=round_id,
                answers=values,
                form_version=FORM.version,
                person_id=commune.hoa.id,
            )
        else:
            for code, value in values.items():
                await save_answer(
                    session=session,
                    round_id=round_id,
                    question_code=code,
                    value=value,
                    form_version=FORM.version,
                    person_id=commune.hoa.id,
                    existing=stored.get(code),
                )
        handed_in = set(
            await session.scalars(
                select(SectionSubmission.section_code).where(SectionSubmission.round_id == round_id)
            )
        )
        for section in FORM.sections:
            if section.code in handed_in:
                continue
            officer = commune.binh if section.code == "broadcasts" else commune.hoa
            session.add(
                SectionSubmission(
                    round_id=round_id,
                    section_code=section.code,
                    form_version=FORM.version,
                    submitted_by_person_id=officer.id,
                )
            )
        round_ = await session.get(ReportingRound, round_id)
        assert round_ is not None
        round_.status = RoundStatus.SUBMITTED
        await session.flush()
        await WORKFLOW.on_round_submitted(session, round_id, commune.binh.id)


async def mark_signing(session: AsyncSession, person: Person, unit: Unit) -> None:
    """Mark a vice-chairman as the one who approves and signs (people.csv `signs`)."""
    await session.execute(
        update(Membership)
        .where(Membership.person_id == person.id, Membership.unit_id == unit.id)
        .values(signs=True)
    )


async def make_stranger(database: Database) -> Person:
    """Someone registered with the bot but holding no role anywhere."""
    async with database.session() as session:
        person = Person(full_name="Người Lạ", telegram_user_id=next(_telegram_ids))
        session.add(person)
        await session.flush()
    return person


# ----- talking to the workflow, one transaction per update -------------------------------------


async def press(database: Database, person: Person, draft_id: int, action: str) -> Outcome:
    async with database.session() as session:
        return await WORKFLOW.press(session, person=person, draft_id=draft_id, action=action)


async def say(database: Database, person: Person, text: str) -> Outcome | None:
    async with database.session() as session:
        return await WORKFLOW.take_text(session, person=person, text=text)


async def return_with(database: Database, approver: Person, draft_id: int, comment: str) -> None:
    assert (await press(database, approver, draft_id, "ret")).items
    told = await say(database, approver, comment)
    assert told is not None and text_of(told).startswith("Đã trả lại báo cáo")


def text_of(outcome: Outcome) -> str:
    return "\n\n".join(item.text for item in outcome.items if isinstance(item, Text))


# ----- reading back -----------------------------------------------------------------------------


async def drafts_of(database: Database, round_id: int) -> list[Draft]:
    async with database.session() as session:
        return list(
            (
                await session.scalars(
                    select(Draft).where(Draft.round_id == round_id).order_by(Draft.version)
                )
            ).all()
        )


async def latest_draft(database: Database, round_id: int) -> Draft:
    return (await drafts_of(database, round_id))[-1]


async def round_status(database: Database, round_id: int) -> RoundStatus:
    async with database.session() as session:
        round_ = await session.get(ReportingRound, round_id)
        assert round_ is not None
        return round_.status


async def outbox(database: Database, *, purpose: str | None = None) -> list[OutboxMessage]:
    async with database.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if purpose is not None:
            query = query.where(OutboxMessage.purpose == purpose)
        return list((await session.scalars(query)).all())


async def audit_entries(database: Database, action: str) -> list[AuditEntry]:
    async with database.session() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
                )
            ).all()
        )


async def register(database: Database) -> list[tuple[int, int, int, int]]:
    """The number register: (unit, year, number, draft) rows."""
    async with database.session() as session:
        rows = await session.execute(
            select(
                DocumentNumber.unit_id,
                DocumentNumber.year,
                DocumentNumber.number,
                DocumentNumber.draft_id,
            ).order_by(DocumentNumber.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def pending_of(database: Database, person: Person) -> PendingInput | None:
    async with database.session() as session:
        return await session.get(PendingInput, person.id)


async def approval_state(database: Database) -> tuple[Any, ...]:
    """Everything a refused press or a rejected text must leave alone."""
    async with database.session() as session:
        drafts = sorted(
            (
                d.id,
                d.version,
                str(d.status),
                d.comment,
                d.number,
                d.issued_on,
                d.decided_at,
                d.decided_by_person_id,
                d.delivered_at,
                d.acknowledged_at,
                d.acknowledged_by_person_id,
                d.docx,
            )
            for d in await session.scalars(select(Draft))
        )
        rounds = sorted(
            (r.id, str(r.status)) for r in await session.scalars(select(ReportingRound))
        )
        pending = sorted(
            (p.person_id, str(p.kind), p.draft_id)
            for p in await session.scalars(select(PendingInput))
        )
        submissions = sorted(
            (s.round_id, s.section_code, s.submitted_by_person_id)
            for s in await session.scalars(select(SectionSubmission))
        )
        keys = sorted(await session.scalars(select(OutboxMessage.key)))
        audit = await session.scalar(select(func.count()).select_from(AuditEntry))
    return drafts, rounds, pending, submissions, keys, audit, await register(database)


async def labels(database: Database, commune: Commune, round_id: int | None = None) -> dict:
    """The unit and the report (its kind and period) as the workflow's texts name them."""
    async with database.session() as session:
        round_ = await session.get(ReportingRound, round_id or commune.round_id)
        assert round_ is not None
        period = await session.get(ReportingPeriod, round_.period_id)
        assert period is not None
    unit = texts.unit_display_name(commune.unit)
    return {"unit": unit, "period": texts.report_label("CCHC", period)}


def today() -> date:
    return datetime.now(TIMEZONE).date()


def buttons(draft_id: int, *actions: str) -> list[str]:
    return [f"a:{draft_id}:{action}" for action in actions]


def button_data(payload: dict[str, Any]) -> list[str]:
    return [data for row in payload["buttons"] for _label, data in row]


@pytest.fixture
async def office(database: Database) -> Office:
    return await make_office(database)


@pytest.fixture
async def commune(database: Database, office: Office) -> Commune:
    return await make_commune(database, office=office)


@pytest.fixture
async def submitted(database: Database, commune: Commune) -> Draft:
    """The commune's round complete: version 1 with the approvers."""
    await complete_round(database, commune)
    return await latest_draft(database, commune.round_id)


# ----- 1. a complete round becomes version 1 ----------------------------------------------------


async def test_complete_round_sends_version_1_to_each_registered_approver(
    database: Database, commune: Commune
) -> None:
    """A complete round becomes version 1, queued as intro, preview and .docx to each approver."""
    # Approvers are the chairman and a vice-chairman marked to sign, if registered with the bot:
    # a signing vice-chairman with no Telegram account and a registered one who does not sign
    # get nothing.
    async with database.session() as session:
        unregistered = await make_person(
            session, unit=commune.unit, role=Role.VICE_CHAIRMAN, full_name="Hoàng Văn Nam"
        )
        await mark_signing(session, unregistered, commune.unit)
        not_signing = await make_person(
            session,
            unit=commune.unit,
            role=Role.VICE_CHAIRMAN,
            full_name="Đỗ Thị Yến",
            telegram_user_id=next(_telegram_ids),
        )
    await complete_round(database, commune)

    [draft] = await drafts_of(database, commune.round_id)
    assert (draft.version, draft.status) == (1, DraftStatus.AWAITING)
    assert draft.created_by_person_id == commune.binh.id
    assert draft.number is None and draft.issued_on is None and draft.decided_at is None
    assert draft.report["signer_name"] == commune.chairman.full_name
    assert draft.report["signer_role"] == "chairman"
    assert draft.report["answers"]["radio_programs"] == 6
    assert await round_status(database, commune.round_id) is RoundStatus.SUBMITTED
    [created] = await audit_entries(database, "draft.created")
    assert (created.entity_id, created.actor_person_id) == (draft.id, commune.binh.id)

    named = await labels(database, commune)
    rows = await outbox(database)
    assert {row.purpose for row in rows} == {"draft_to_approver"}
    assert {row.person_id for row in rows} == {commune.chairman.id, commune.vice.id}
    assert not {unregistered.id, not_signing.id} & {row.person_id for row in rows}
    for approver in (commune.chairman, commune.vice):
        mine = [row for row in rows if row.person_id == approver.id]
        assert len(mine) >= 3  # intro, at least one preview part, the file
        for index, row in enumerate(mine):
            assert row.key == f"draft:{draft.id}:approver:{approver.id}:{index}"
            assert row.chat_id is None  # the person is reached where they are when it goes
            assert row.office_id is None and row.draft_id == draft.id
        assert mine[0].payload == {
            "text": texts.draft_intro(**named, version=1),
            "buttons": [],
        }
        preview = [row.payload["text"] for row in mine[1:-1]]
        assert "\n\n".join(preview) == draft.preview_text
        assert "BÁO CÁO" in draft.preview_text
        assert all(row.payload["buttons"] == [] for row in mine[1:-1])
        document = mine[-1].payload
        assert document["file"]["draft_id"] == draft.id
        assert document["file"]["format"] == "docx"
        assert document["file"]["filename"].endswith("_v1.docx")
        assert document["file"]["filename"].isascii()
        assert document["caption"] == texts.draft_caption(**named, version=1)
        assert document["buttons"] == [
            [
                [texts.APPROVE_BUTTON, f"a:{draft.id}:ok"],
                [texts.RETURN_BUTTON, f"a:{draft.id}:ret"],
            ],
            [[texts.VIEW_DATA_BUTTON, f"a:{draft.id}:data"]],
        ]

    # The stored file is a real .docx: a draft, unnumbered, signed by the chairman.
    text = docx_text(draft.docx)
    assert "BÁO CÁO" in text and "/BC-UBND" in text
    assert "01/BC-UBND" not in text
    assert commune.chairman.full_name in text


async def test_vice_chairman_signs_the_draft_when_no_chairman_is_registered(
    database: Database, office: Office
) -> None:
    """Without a registered chairman the draft is prepared for the signing vice-chairman."""
    commune = await make_commune(database, office=office, chairman_registered=False)
    await complete_round(database, commune)
    draft = await latest_draft(database, commune.round_id)
    assert draft.report["signer_role"] == "vice_chairman"
    assert draft.report["signer_name"] == commune.vice.full_name
    assert {row.person_id for row in await outbox(database)} == {commune.vice.id}
    assert "KT. CHỦ TỊCH" in docx_text(draft.docx)


async def test_with_no_approver_registered_the_version_waits_unsent(
    database: Database, office: Office
) -> None:
    """No approver on the bot: the version is still made, for the chairman as imported."""
    commune = await make_commune(
        database, office=office, chairman_registered=False, vice_signs=False
    )
    await complete_round(database, commune)
    [draft] = await drafts_of(database, commune.round_id)
    assert draft.status is DraftStatus.AWAITING
    assert draft.report["signer_role"] == "chairman"
    assert draft.report["signer_name"] == commune.chairman.full_name
    assert await outbox(database) == []
    # The vice-chairman who does not sign cannot decide it either, and is told who does.
    assert await press(database, commune.vice, draft.id, "ok") == Outcome.refused(
        f"Báo cáo của xã Tân Quang do Chủ tịch {commune.chairman.full_name} duyệt. "
        "Anh/chị chưa được phân công ký báo cáo này."
    )


async def test_a_vice_chairman_who_does_not_sign_may_look_but_not_decide(
    database: Database, office: Office
) -> None:
    """Only the vice-chairman marked to sign approves; another one sees the figures only."""
    commune = await make_commune(database, office=office, vice_signs=False)
    await complete_round(database, commune)
    draft = await latest_draft(database, commune.round_id)
    assert {row.person_id for row in await outbox(database)} == {commune.chairman.id}
    before = await approval_state(database)
    for action in ("ok", "ret"):
        outcome = await press(database, commune.vice, draft.id, action)
        # Told who approves this commune's reports, by name: not "the vice-chairman" she is.
        assert outcome == Outcome.refused(
            f"Báo cáo của xã Tân Quang do Chủ tịch {commune.chairman.full_name} duyệt. "
            "Anh/chị chưa được phân công ký báo cáo này."
        )
    assert await approval_state(database) == before
    assert (await press(database, commune.vice, draft.id, "data")).accepted
    assert (await press(database, commune.vice, draft.id, "get")).accepted
    async with database.session() as session:
        listing = await WORKFLOW.history(session, person=commune.vice)
    [item] = listing.items
    assert [action.data for row in item.buttons for action in row] == [f"a:{draft.id}:get"]


# ----- 2. versions --------------------------------------------------------------------------------


async def test_unchanged_resubmission_keeps_the_version_and_a_change_supersedes_it(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """Same figures: no new version; changed figures: version 2, and version 1's buttons are old."""
    queued = len(await outbox(database))
    await complete_round(database, commune)
    assert [d.id for d in await drafts_of(database, commune.round_id)] == [submitted.id]
    assert len(await outbox(database)) == queued

    await complete_round(database, commune, values=answers(radio_programs="8"))
    first, second = await drafts_of(database, commune.round_id)
    assert (first.id, first.status) == (submitted.id, DraftStatus.SUPERSEDED)
    assert (second.version, second.status) == (2, DraftStatus.AWAITING)
    assert second.report["answers"]["radio_programs"] == 8
    [superseded] = await audit_entries(database, "draft.superseded")
    assert superseded.entity_id == first.id
    to_chairman = [
        row
        for row in await outbox(database, purpose="draft_to_approver")
        if row.draft_id == second.id and row.person_id == commune.chairman.id
    ]
    assert to_chairman[-1].payload["file"]["filename"].endswith("_v2.docx")
    assert button_data(to_chairman[-1].payload) == buttons(second.id, "ok", "ret", "data")

    before = await approval_state(database)
    for action in ("ok", "ret"):
        refused = await press(database, commune.chairman, first.id, action)
        assert refused == Outcome.refused(texts.old_version(1, 2))
    assert await approval_state(database) == before


# ----- 3. who may do what -----------------------------------------------------------------------


async def test_only_the_communes_approvers_decide_and_only_its_people_and_office_see(
    database: Database, office: Office, commune: Commune, submitted: Draft
) -> None:
    """Refusals leave everything alone; figures and files go to the commune and its office only."""
    other_office = await make_office(database, name="Sở Nội vụ tỉnh Thái Bình")
    other = await make_commune(database, office=other_office, name="Đông Hưng")
    stranger = await make_stranger(database)
    before = await approval_state(database)

    for person in (other.chairman, office.staff, stranger):
        for action in ("ok", "ret"):
            outcome = await press(database, person, submitted.id, action)
            assert outcome == Outcome.refused(texts.NOT_APPROVER), (person.full_name, action)
    # The commune's own officer is told who approves (no names for anyone else).
    for action in ("ok", "ret"):
        outcome = await press(database, commune.hoa, submitted.id, action)
        assert outcome == Outcome.refused(
            f"Báo cáo của xã Tân Quang do Chủ tịch {commune.chairman.full_name} "
            f"hoặc Phó Chủ tịch {commune.vice.full_name} duyệt."
        )
    # The commune's own office too: it sees a version only once the commune approved it.
    for person in (office.staff, other.chairman, other_office.staff, stranger):
        for action in ("data", "get"):
            outcome = await press(database, person, submitted.id, action)
            assert outcome == Outcome.refused(texts.NOT_ALLOWED_TO_SEE), (person.id, action)
    for person in (commune.chairman, commune.hoa, other_office.staff, stranger):
        outcome = await press(database, person, submitted.id, "ack")
        assert outcome == Outcome.refused(texts.NOT_OFFICE), person.id
    for person in (commune.chairman, commune.hoa, office.staff, stranger):
        for action in ("num", "typ"):
            outcome = await press(database, person, submitted.id, action)
            assert outcome == Outcome.refused(texts.NOT_CLERK), (person.id, action)
    assert await press(database, commune.chairman, 999_999, "ok") == Outcome.refused(
        texts.OLD_BUTTON
    )
    assert await approval_state(database) == before
    assert await pending_of(database, commune.hoa) is None

    named = await labels(database, commune)
    for person in (commune.chairman, commune.hoa):
        figures = await press(database, person, submitted.id, "data")
        assert figures.accepted and figures.alert is None
        shown = text_of(figures)
        assert shown.startswith(texts.data_header(**named, version=1))
        assert "UBND tỉnh Hưng Yên" in shown
        fetched = await press(database, person, submitted.id, "get")
        assert fetched.accepted
        [document] = fetched.items
        assert isinstance(document, ReportFile)
        assert (document.draft_id, document.format) == (submitted.id, "docx")
        assert document.caption == texts.version_caption(**named, version=1, status="awaiting")
        assert document.buttons == ()
    assert await approval_state(database) == before


async def test_the_office_opens_only_approved_versions_of_its_own_communes(
    database: Database, office: Office, commune: Commune, submitted: Draft
) -> None:
    """Draft ids are sequential: forged buttons for a returned, superseded or awaiting version
    are refused to the office, and so is another office's approved report."""
    other_office = await make_office(database, name="Sở Nội vụ tỉnh Thái Bình")
    await return_with(database, commune.chairman, submitted.id, COMMENT)
    await complete_round(database, commune, values=answers(radio_programs="8"))
    await complete_round(database, commune, values=answers(radio_programs="9"))
    returned, superseded, awaiting = await drafts_of(database, commune.round_id)
    assert [d.status for d in (returned, superseded, awaiting)] == [
        DraftStatus.RETURNED,
        DraftStatus.SUPERSEDED,
        DraftStatus.AWAITING,
    ]
    before = await approval_state(database)
    for draft in (returned, superseded, awaiting):
        for action in ("data", "get"):
            outcome = await press(database, office.staff, draft.id, action)
            assert outcome == Outcome.refused(texts.NOT_ALLOWED_TO_SEE), (draft.status, action)
    assert await approval_state(database) == before

    assert (await press(database, commune.chairman, awaiting.id, "ok")).accepted
    for action in ("data", "get"):
        assert (await press(database, office.staff, awaiting.id, action)).accepted, action
        for draft in (returned, superseded):  # the approved round's earlier versions stay shut
            outcome = await press(database, office.staff, draft.id, action)
            assert outcome == Outcome.refused(texts.NOT_ALLOWED_TO_SEE), (draft.status, action)
        outcome = await press(database, other_office.staff, awaiting.id, action)
        assert outcome == Outcome.refused(texts.NOT_ALLOWED_TO_SEE), action


# ----- 4. returning with a comment --------------------------------------------------------------


async def test_return_with_a_comment_reopens_every_section_and_tells_the_officers(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """A return stores the comment verbatim, reopens the round and queues it to the officers."""
    asked = await press(database, commune.chairman, submitted.id, "ret")
    assert asked == Outcome.say(texts.ASK_RETURN_COMMENT)
    pending = await pending_of(database, commune.chairman)
    assert pending is not None
    assert (pending.kind, pending.draft_id) == (PendingInputKind.RETURN_COMMENT, submitted.id)
    assert (await latest_draft(database, commune.round_id)).status is DraftStatus.AWAITING

    comment = "{{ 7*7 }} {% if %} " + COMMENT
    told = await say(database, commune.chairman, comment)
    assert told == Outcome.say(texts.returned_done([commune.hoa.full_name, commune.binh.full_name]))

    [draft] = await drafts_of(database, commune.round_id)
    assert draft.status is DraftStatus.RETURNED
    assert draft.comment == comment
    assert draft.decided_by_person_id == commune.chairman.id and draft.decided_at is not None
    assert draft.number is None
    assert await round_status(database, commune.round_id) is RoundStatus.RETURNED
    async with database.session() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(SectionSubmission)
            .where(SectionSubmission.round_id == commune.round_id)
        )
    assert left == 0
    assert await pending_of(database, commune.chairman) is None
    [entry] = await audit_entries(database, "round.returned")
    assert (entry.entity_id, entry.actor_person_id) == (commune.round_id, commune.chairman.id)
    assert entry.details["comment"] == comment and entry.details["draft_id"] == draft.id

    named = await labels(database, commune)
    rows = await outbox(database, purpose="returned_to_officer")
    assert [(row.person_id, row.chat_id) for row in rows] == [
        (commune.hoa.id, None),
        (commune.binh.id, None),
    ]
    expected = texts.returned_to_officer(
        approver=f"Chủ tịch {commune.chairman.full_name}", **named, version=1, comment=comment
    )
    for row in rows:
        assert row.key == f"draft:{draft.id}:returned:{row.person_id}"
        assert row.payload == {"text": expected, "buttons": []}
        assert comment in row.payload["text"]
    assert not await outbox(database, purpose="office_delivery")
    assert await register(database) == []


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", texts.RETURN_COMMENT_EMPTY),
        ("   \n\t  ", texts.RETURN_COMMENT_EMPTY),
        ("👍👍", texts.RETURN_COMMENT_EMPTY),
        ("!!! ...", texts.RETURN_COMMENT_EMPTY),
        ("a" * 10_000, texts.RETURN_COMMENT_TOO_LONG),
        ("Sửa lại. " * 200, texts.RETURN_COMMENT_TOO_LONG),
    ],
    ids=["empty", "whitespace", "emoji", "punctuation", "10000-chars", "1800-chars"],
)
async def test_an_unusable_comment_is_explained_and_can_be_typed_again(
    database: Database, commune: Commune, submitted: Draft, typed: str, problem: str
) -> None:
    """An empty, emoji-only or too long comment changes nothing and the question stays open."""
    await press(database, commune.chairman, submitted.id, "ret")
    before = await approval_state(database)
    assert await say(database, commune.chairman, typed) == Outcome.say(problem)
    assert await approval_state(database) == before
    pending = await pending_of(database, commune.chairman)
    assert pending is not None and pending.draft_id == submitted.id

    # The retry is read as the comment.
    await say(database, commune.chairman, COMMENT)
    assert (await latest_draft(database, commune.round_id)).comment == COMMENT


async def test_a_comment_of_exactly_the_limit_is_accepted(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """The limit is inclusive: RETURN_COMMENT_MAX characters are a valid comment."""
    await press(database, commune.chairman, submitted.id, "ret")
    comment = "x" * texts.RETURN_COMMENT_MAX
    told = await say(database, commune.chairman, comment)
    assert told is not None and text_of(told).startswith("Đã trả lại báo cáo")
    assert (await latest_draft(database, commune.round_id)).comment == comment


async def test_cancel_forgets_the_question_and_nothing_else(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """/huy drops a pending comment; with nothing pending it is not the workflow's business."""
    await press(database, commune.chairman, submitted.id, "ret")
    async with database.session() as session:
        assert await WORKFLOW.waiting_for_text(
            session, telegram_user_id=commune.chairman.telegram_user_id
        )
    before = await approval_state(database)
    async with database.session() as session:
        cancelled = await WORKFLOW.cancel(session, person=commune.chairman)
    assert cancelled == Outcome.say(texts.INPUT_CANCELLED)
    drafts, rounds, pending, *rest = await approval_state(database)
    assert (drafts, rounds, rest) == (before[0], before[1], list(before[3:]))
    assert pending == []
    async with database.session() as session:
        assert await WORKFLOW.cancel(session, person=commune.chairman) is None
        assert not await WORKFLOW.waiting_for_text(
            session, telegram_user_id=commune.chairman.telegram_user_id
        )
    # The next message is no longer a comment: it is left to the questionnaire.
    assert await say(database, commune.chairman, COMMENT) is None
    assert (await latest_draft(database, commune.round_id)).status is DraftStatus.AWAITING


# ----- 5. decisions crossing each other ---------------------------------------------------------


async def test_an_approval_after_the_return_is_refused(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """Once the chairman returned a version, the vice-chairman can neither approve nor return it."""
    await return_with(database, commune.chairman, submitted.id, COMMENT)
    before = await approval_state(database)
    for person in (commune.vice, commune.chairman):
        for action in ("ok", "ret"):
            outcome = await press(database, person, submitted.id, action)
            assert outcome == Outcome.refused(texts.ALREADY_RETURNED)
    assert await approval_state(database) == before

    # The officers correct and hand in again: version 1's buttons stay refused.
    await complete_round(database, commune, values=answers(radio_programs="8"))
    first, second = await drafts_of(database, commune.round_id)
    assert (first.status, second.status) == (DraftStatus.RETURNED, DraftStatus.AWAITING)
    assert await press(database, commune.vice, first.id, "ok") == Outcome.refused(
        texts.ALREADY_RETURNED
    )
    assert (await press(database, commune.vice, second.id, "ok")).accepted


async def test_a_pending_comment_after_the_other_approver_returned_it_is_refused(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """Both asked to return; the second comment is told the version is returned already."""
    await press(database, commune.chairman, submitted.id, "ret")
    await return_with(database, commune.vice, submitted.id, COMMENT)
    before_rows = await outbox(database)
    told = await say(database, commune.chairman, "Một ý kiến khác")
    assert told == Outcome.say(texts.ALREADY_RETURNED)
    assert await pending_of(database, commune.chairman) is None
    draft = await latest_draft(database, commune.round_id)
    assert (draft.comment, draft.decided_by_person_id) == (COMMENT, commune.vice.id)
    assert len(await outbox(database)) == len(before_rows)
    assert len(await audit_entries(database, "round.returned")) == 1


async def test_a_pending_comment_does_not_return_a_version_the_other_approver_approved(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """The chairman's comment typed after the vice-chairman approved returns nothing."""
    await press(database, commune.chairman, submitted.id, "ret")
    assert (await press(database, commune.vice, submitted.id, "ok")).accepted
    assert await pending_of(database, commune.chairman) is not None
    before = await approval_state(database)
    await say(database, commune.chairman, COMMENT)
    after = await approval_state(database)
    # Only the question asked of him is gone; the approved version is untouched.
    assert after[:2] + after[3:] == before[:2] + before[3:]
    assert await pending_of(database, commune.chairman) is None
    draft = await latest_draft(database, commune.round_id)
    assert (draft.status, draft.comment) == (DraftStatus.APPROVED, None)
    assert await round_status(database, commune.round_id) is RoundStatus.APPROVED
    assert not await outbox(database, purpose="returned_to_officer")
    assert await pending_of(database, commune.chairman) is None


async def test_a_pending_comment_after_the_other_approver_approved_is_told_why(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """The chairman's comment after the vice-chairman approved gets ALREADY_APPROVED back."""
    await press(database, commune.chairman, submitted.id, "ret")
    assert (await press(database, commune.vice, submitted.id, "ok")).accepted
    told = await say(database, commune.chairman, COMMENT)
    assert told == Outcome.say(texts.ALREADY_APPROVED)


async def test_a_pending_comment_on_a_superseded_version_is_refused(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """The officers changed a figure while the chairman typed: his comment names the new version."""
    await press(database, commune.chairman, submitted.id, "ret")
    await complete_round(database, commune, values=answers(radio_programs="8"))
    before = await approval_state(database)
    told = await say(database, commune.chairman, COMMENT)
    assert told == Outcome.say(texts.old_version(1, 2))
    drafts, rounds, pending, *rest = await approval_state(database)
    assert (drafts, rounds, rest) == (before[0], before[1], list(before[3:]))
    assert pending == []
    assert [d.status for d in await drafts_of(database, commune.round_id)] == [
        DraftStatus.SUPERSEDED,
        DraftStatus.AWAITING,
    ]


# ----- 6. approving without a clerk -------------------------------------------------------------


async def test_chairman_approves_and_the_register_numbers_and_queues_delivery(
    database: Database, office: Office, commune: Commune, submitted: Draft
) -> None:
    """Approval numbers 01/BC-UBND today and queues the office, the officers and the approver."""
    issued = today()
    outcome = await press(database, commune.chairman, submitted.id, "ok")
    told = texts.approved_final(
        number="01/BC-UBND", issued_on=f"{issued:%d/%m/%Y}", office=office.unit.name
    )
    # Told at once, and the same words kept in the outbox in case that reply is lost.
    note_key = f"draft:{submitted.id}:final:{commune.chairman.id}:note"
    assert outcome == Outcome(items=(Text(told),), drop_keyboard=True, saved_as=note_key)

    [draft] = await drafts_of(database, commune.round_id)
    assert draft.status is DraftStatus.APPROVED
    assert (draft.number, draft.issued_on) == ("01/BC-UBND", issued)
    assert draft.decided_by_person_id == commune.chairman.id and draft.decided_at is not None
    assert draft.report["signer_name"] == commune.chairman.full_name
    assert await register(database) == [(commune.unit.id, issued.year, 1, draft.id)]
    assert await round_status(database, commune.round_id) is RoundStatus.APPROVED
    [approved] = await audit_entries(database, "round.approved")
    assert (approved.entity_id, approved.actor_person_id) == (commune.round_id, commune.chairman.id)
    assert approved.details["role"] == "chairman"
    [numbered] = await audit_entries(database, "draft.numbered")
    assert numbered.details["number"] == "01/BC-UBND"

    final = docx_text(draft.docx)
    assert "01/BC-UBND" in final and commune.chairman.full_name in final
    assert f"{issued.day:02d}" in final

    named = await labels(database, commune)
    [delivery] = await outbox(database, purpose="office_delivery")
    assert delivery.key == f"draft:{draft.id}:office:docx"
    assert (delivery.office_id, delivery.chat_id, delivery.person_id) == (
        office.unit.id,
        None,
        None,
    )
    assert delivery.payload["file"]["draft_id"] == draft.id
    assert delivery.payload["file"]["filename"].endswith("_so01.docx")
    caption = delivery.payload["caption"]
    assert "Số 01/BC-UBND" in caption and f"ngày {issued:%d/%m/%Y}" in caption
    assert f"Chủ tịch {commune.chairman.full_name}" in caption
    assert "UBND xã Tân Quang" in caption
    assert delivery.payload["buttons"] == [[[texts.ACKNOWLEDGE_BUTTON, f"a:{draft.id}:ack"]]]
    assert not await outbox(database, purpose="office_copy")  # no PDF without LibreOffice

    to_officers = await outbox(database, purpose="approved_to_officer")
    assert [(row.person_id, row.chat_id) for row in to_officers] == [
        (commune.hoa.id, None),
        (commune.binh.id, None),
    ]
    expected = texts.approved_to_officer(
        **named, number="01/BC-UBND", office=office.unit.name, office_chat=False
    )
    assert all(row.payload["text"] == expected for row in to_officers)
    # Officers are told when it will go (the office has no chat yet), not that it arrived.
    assert "khi cơ quan đăng ký nhận báo cáo" in expected and "đã gửi" not in expected
    note, to_approver = await outbox(database, purpose="approved_to_approver")
    assert (note.key, note.payload["text"], note.status) == (note_key, told, OutboxStatus.PENDING)
    # Held back past the reply's own retries: it goes only if the reply did not.
    assert note.not_before > utc_now() + timedelta(seconds=50)
    assert (to_approver.person_id, to_approver.chat_id) == (commune.chairman.id, None)
    assert to_approver.payload["file"]["filename"].endswith("_so01.docx")
    assert to_approver.payload["caption"] == texts.final_caption(**named, number="01/BC-UBND")
    assert not await outbox(database, purpose="number_request")


async def test_vice_chairman_approval_is_signed_on_the_chairmans_behalf(
    database: Database, office: Office, commune: Commune, submitted: Draft
) -> None:
    """Approved by the vice-chairman, the final report reads KT. CHỦ TỊCH / PHÓ CHỦ TỊCH."""
    assert (await press(database, commune.vice, submitted.id, "ok")).accepted
    draft = await latest_draft(database, commune.round_id)
    assert draft.report["signer_role"] == "vice_chairman"
    assert draft.report["signer_name"] == commune.vice.full_name
    final = docx_text(draft.docx)
    assert "KT. CHỦ TỊCH" in final and "PHÓ CHỦ TỊCH" in final
    assert commune.vice.full_name in final
    assert commune.chairman.full_name not in final
    [approved] = await audit_entries(database, "round.approved")
    assert (approved.actor_person_id, approved.details["role"]) == (
        commune.vice.id,
        "vice_chairman",
    )
    [delivery] = await outbox(database, purpose="office_delivery")
    assert f"Phó Chủ tịch {commune.vice.full_name}" in delivery.payload["caption"]
    note, to_approver = await outbox(database, purpose="approved_to_approver")
    assert note.person_id == to_approver.person_id == commune.vice.id


async def test_a_second_approval_is_refused_and_changes_nothing(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """A double tap, or the other approver's late tap, is ALREADY_APPROVED: one number, one set."""
    assert (await press(database, commune.chairman, submitted.id, "ok")).accepted
    before = await approval_state(database)
    for person in (commune.chairman, commune.vice):
        for action in ("ok", "ret"):
            outcome = await press(database, person, submitted.id, action)
            assert outcome == Outcome.refused(texts.ALREADY_APPROVED)
    assert await approval_state(database) == before
    assert len(await register(database)) == 1
    assert len(await outbox(database, purpose="office_delivery")) == 1
    assert len(await audit_entries(database, "round.approved")) == 1
    assert await pending_of(database, commune.chairman) is None


# ----- 7. the number register -------------------------------------------------------------------


async def test_the_register_counts_per_unit_and_year(database: Database, office: Office) -> None:
    """The unit's second report this year is 02; another unit's first is 01."""
    commune = await make_commune(database, office=office)
    async with database.session() as session:
        summer = await open_round(session, unit=commune.unit, code="2026-Q3")
    other = await make_commune(database, office=office, name="Đông Hưng")

    await complete_round(database, commune)
    await press(
        database, commune.chairman, (await latest_draft(database, commune.round_id)).id, "ok"
    )
    await complete_round(database, commune, round_id=summer.id)
    second = await latest_draft(database, summer.id)
    outcome = await press(database, commune.chairman, second.id, "ok")
    assert "02/BC-UBND" in text_of(outcome)
    await complete_round(database, other)
    await press(database, other.chairman, (await latest_draft(database, other.round_id)).id, "ok")

    year = today().year
    first = await latest_draft(database, commune.round_id)
    third = await latest_draft(database, other.round_id)
    assert (first.number, (await latest_draft(database, summer.id)).number, third.number) == (
        "01/BC-UBND",
        "02/BC-UBND",
        "01/BC-UBND",
    )
    assert await register(database) == [
        (commune.unit.id, year, 1, first.id),
        (commune.unit.id, year, 2, second.id),
        (other.unit.id, year, 1, third.id),
    ]
    assert "02/BC-UBND" in docx_text((await latest_draft(database, summer.id)).docx)


# ----- 8. the clerk numbers ---------------------------------------------------------------------


async def test_with_a_clerk_approval_waits_for_the_number(
    database: Database, office: Office
) -> None:
    """The clerk is asked; the next number in the register is used once, then refused."""
    commune = await make_commune(database, office=office, clerk=True)
    assert commune.clerk is not None
    await complete_round(database, commune)
    draft = await latest_draft(database, commune.round_id)

    outcome = await press(database, commune.chairman, draft.id, "ok")
    assert outcome == Outcome.say(
        texts.approved_waiting_for_clerk([commune.clerk.full_name]), drop_keyboard=True
    )
    waiting = await latest_draft(database, commune.round_id)
    assert waiting.status is DraftStatus.APPROVED
    assert (waiting.number, waiting.issued_on) == (None, None)
    assert await round_status(database, commune.round_id) is RoundStatus.APPROVED
    assert await register(database) == []
    assert not await outbox(database, purpose="office_delivery")
    assert not await outbox(database, purpose="approved_to_officer")
    named = await labels(database, commune)
    [request] = await outbox(database, purpose="number_request")
    assert (request.person_id, request.chat_id) == (commune.clerk.id, None)
    assert request.payload == {
        "text": texts.ask_clerk_number(
            approver=f"Chủ tịch {commune.chairman.full_name}", **named, next_number=1
        ),
        "buttons": [
            [
                [texts.use_number_button(1), f"a:{draft.id}:num"],
                [texts.TYPE_NUMBER_BUTTON, f"a:{draft.id}:typ"],
            ]
        ],
    }
    # The approver cannot number it; a second approval is refused.
    assert await press(database, commune.chairman, draft.id, "num") == Outcome.refused(
        texts.NOT_CLERK
    )
    assert await press(database, commune.vice, draft.id, "ok") == Outcome.refused(
        texts.ALREADY_APPROVED
    )

    numbered = await press(database, commune.clerk, draft.id, "num")
    issued = today()
    assert numbered == Outcome(
        items=(
            Text(
                texts.approved_final(
                    number="01/BC-UBND", issued_on=f"{issued:%d/%m/%Y}", office=office.unit.name
                )
            ),
        ),
        drop_keyboard=True,
        saved_as=f"draft:{draft.id}:final:{commune.clerk.id}:note",  # none: not the approver
    )
    final = await latest_draft(database, commune.round_id)
    assert (final.number, final.issued_on) == ("01/BC-UBND", issued)
    assert final.decided_by_person_id == commune.chairman.id
    assert await register(database) == [(commune.unit.id, issued.year, 1, draft.id)]
    async with database.session() as session:
        assigned = await session.scalar(select(DocumentNumber.assigned_by_person_id))
    assert assigned == commune.clerk.id
    assert "01/BC-UBND" in docx_text(final.docx)
    [delivery] = await outbox(database, purpose="office_delivery")
    assert delivery.office_id == office.unit.id
    assert len(await outbox(database, purpose="approved_to_officer")) == 2
    # The approver hears it from the outbox: a note, then the final file.
    note, file = await outbox(database, purpose="approved_to_approver")
    assert note.person_id == file.person_id == commune.chairman.id
    assert note.payload["text"] == numbered.items[0].text  # type: ignore[union-attr]
    assert file.payload["file"]["filename"].endswith("_so01.docx")

    before = await approval_state(database)
    for action in ("num", "typ"):
        again = await press(database, commune.clerk, draft.id, action)
        assert again == Outcome.refused(texts.already_numbered("01/BC-UBND"))
    assert await approval_state(database) == before


async def test_a_clerk_cannot_number_a_version_not_yet_approved(
    database: Database, office: Office
) -> None:
    """The clerk's buttons on an awaiting version are old: nothing is numbered."""
    commune = await make_commune(database, office=office, clerk=True)
    assert commune.clerk is not None
    await complete_round(database, commune)
    draft = await latest_draft(database, commune.round_id)
    before = await approval_state(database)
    for action in ("num", "typ"):
        outcome = await press(database, commune.clerk, draft.id, action)
        assert outcome == Outcome.refused(texts.OLD_BUTTON)
    assert await approval_state(database) == before


async def test_a_typed_number_is_checked_against_the_register(
    database: Database, office: Office
) -> None:
    """A typed number must be 1-9999 and free this year; a valid one numbers and sends it."""
    commune = await make_commune(database, office=office, clerk=True)
    assert commune.clerk is not None
    async with database.session() as session:
        spring = await open_round(session, unit=commune.unit, code="2026-Q3")
    # The Q3 report takes number 01 first.
    await complete_round(database, commune, round_id=spring.id)
    earlier = await latest_draft(database, spring.id)
    await press(database, commune.chairman, earlier.id, "ok")
    await press(database, commune.clerk, earlier.id, "num")

    await complete_round(database, commune)
    draft = await latest_draft(database, commune.round_id)
    await press(database, commune.chairman, draft.id, "ok")
    [request] = [
        row for row in await outbox(database, purpose="number_request") if row.draft_id == draft.id
    ]
    assert texts.use_number_button(2) == request.payload["buttons"][0][0][0]

    assert await press(database, commune.clerk, draft.id, "typ") == Outcome.say(texts.ASK_NUMBER)
    pending = await pending_of(database, commune.clerk)
    assert pending is not None
    assert (pending.kind, pending.draft_id) == (PendingInputKind.DOCUMENT_NUMBER, draft.id)

    year = today().year
    before = await approval_state(database)
    for typed, problem in [
        ("abc", texts.NUMBER_NOT_VALID),
        ("0", texts.NUMBER_NOT_VALID),
        ("-3", texts.NUMBER_NOT_VALID),
        ("10000", texts.NUMBER_NOT_VALID),
        ("5/KH-UBND", texts.NUMBER_NOT_VALID),
        ("01", texts.number_taken(1, year)),
        ("1/BC-UBND", texts.number_taken(1, year)),
    ]:
        assert await say(database, commune.clerk, typed) == Outcome.say(problem), typed
        assert await approval_state(database) == before, typed
    assert await pending_of(database, commune.clerk) is not None

    numbered = await say(database, commune.clerk, "15")
    assert numbered is not None and "15/BC-UBND" in text_of(numbered)
    final = await latest_draft(database, commune.round_id)
    assert final.number == "15/BC-UBND"
    assert "15/BC-UBND" in docx_text(final.docx)
    assert await register(database) == [
        (commune.unit.id, year, 1, earlier.id),
        (commune.unit.id, year, 15, draft.id),
    ]
    assert await pending_of(database, commune.clerk) is None
    assert [row.draft_id for row in await outbox(database, purpose="office_delivery")] == [
        earlier.id,
        draft.id,
    ]
    # Nothing is pending now: the clerk's next message is not a number.
    assert await say(database, commune.clerk, "16") is None


async def test_a_number_may_be_typed_with_its_symbol(database: Database, office: Office) -> None:
    """'07/BC-UBND' is read as number 7."""
    commune = await make_commune(database, office=office, clerk=True)
    assert commune.clerk is not None
    await complete_round(database, commune)
    draft = await latest_draft(database, commune.round_id)
    await press(database, commune.chairman, draft.id, "ok")
    await press(database, commune.clerk, draft.id, "typ")
    numbered = await say(database, commune.clerk, " 07 / bc-ubnd ")
    assert numbered is not None and "07/BC-UBND" in text_of(numbered)
    assert (await latest_draft(database, commune.round_id)).number == "07/BC-UBND"
    assert [row[2] for row in await register(database)] == [7]


async def test_a_typed_number_after_the_draft_was_numbered_is_refused(
    database: Database, office: Office
) -> None:
    """The clerk asked to type, then used the next number: the typed one is refused."""
    commune = await make_commune(database, office=office, clerk=True)
    assert commune.clerk is not None
    await complete_round(database, commune)
    draft = await latest_draft(database, commune.round_id)
    await press(database, commune.chairman, draft.id, "ok")
    await press(database, commune.clerk, draft.id, "typ")
    await press(database, commune.clerk, draft.id, "num")
    told = await say(database, commune.clerk, "15")
    assert told == Outcome.say(texts.already_numbered("01/BC-UBND"))
    assert [row[2] for row in await register(database)] == [1]
    assert await pending_of(database, commune.clerk) is None


# ----- 9. delivery ------------------------------------------------------------------------------


async def test_a_sent_office_delivery_marks_the_round_delivered_once(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """after_sent on the office's file delivers the round; a repeat, or another row, does not."""
    await press(database, commune.chairman, submitted.id, "ok")
    [delivery] = await outbox(database, purpose="office_delivery")
    to_officer = (await outbox(database, purpose="approved_to_officer"))[0]

    async with database.session() as session:
        row = await mark_sent(session=session, row_id=to_officer.id, message_id=10)
        await WORKFLOW.after_sent(session, row)
    assert await round_status(database, commune.round_id) is RoundStatus.APPROVED
    assert (await latest_draft(database, commune.round_id)).delivered_at is None

    async with database.session() as session:
        row = await mark_sent(session=session, row_id=delivery.id, message_id=11)
        await WORKFLOW.after_sent(session, row)
    assert await round_status(database, commune.round_id) is RoundStatus.DELIVERED
    delivered_at = (await latest_draft(database, commune.round_id)).delivered_at
    assert delivered_at is not None
    [entry] = await audit_entries(database, "round.delivered")
    assert entry.entity_id == commune.round_id
    assert entry.details["number"] == "01/BC-UBND"

    async with database.session() as session:
        again = await session.get(OutboxMessage, delivery.id)
        assert again is not None
        await WORKFLOW.after_sent(session, again)
    assert len(await audit_entries(database, "round.delivered")) == 1
    assert (await latest_draft(database, commune.round_id)).delivered_at == delivered_at
    assert await round_status(database, commune.round_id) is RoundStatus.DELIVERED


# ----- 10. the office acknowledges ---------------------------------------------------------------


async def test_the_office_acknowledges_once(
    database: Database, office: Office, commune: Commune, submitted: Draft
) -> None:
    """Office staff confirm receipt of the numbered report once; before approval it is old."""
    before = await approval_state(database)
    assert await press(database, office.staff, submitted.id, "ack") == Outcome.refused(
        texts.OLD_BUTTON
    )
    assert await approval_state(database) == before

    await press(database, commune.chairman, submitted.id, "ok")
    acknowledged = await press(database, office.staff, submitted.id, "ack")
    assert acknowledged == Outcome(alert=texts.ACKNOWLEDGED, drop_keyboard=True)
    draft = await latest_draft(database, commune.round_id)
    assert draft.acknowledged_at is not None
    assert draft.acknowledged_by_person_id == office.staff.id
    [entry] = await audit_entries(database, "report.acknowledged")
    assert (entry.entity_id, entry.actor_person_id) == (draft.id, office.staff.id)

    async with database.session() as session:
        colleague = await make_person(
            session,
            unit=office.unit,
            role=Role.OFFICE,
            full_name="Đặng Văn Phúc",
            telegram_user_id=next(_telegram_ids),
        )
    for person in (office.staff, colleague):
        again = await press(database, person, submitted.id, "ack")
        assert again == Outcome.refused(texts.ALREADY_ACKNOWLEDGED)
    after = await latest_draft(database, commune.round_id)
    assert (after.acknowledged_at, after.acknowledged_by_person_id) == (
        draft.acknowledged_at,
        office.staff.id,
    )
    assert len(await audit_entries(database, "report.acknowledged")) == 1


# ----- 11. history ------------------------------------------------------------------------------


async def test_history_lists_every_version_with_its_status_and_comment(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """The chairman's /lichsu shows version 1 returned with the comment and version 2 numbered."""
    await return_with(database, commune.chairman, submitted.id, COMMENT)
    await complete_round(database, commune, values=answers(radio_programs="8"))
    second = await latest_draft(database, commune.round_id)
    await press(database, commune.chairman, second.id, "ok")

    for person in (commune.chairman, commune.hoa):
        async with database.session() as session:
            listing = await WORKFLOW.history(session, person=person)
        [item] = listing.items
        assert isinstance(item, Text)
        named = await labels(database, commune)
        assert item.text.startswith(texts.history_header(**named))
        assert "Phiên bản 1" in item.text and "đã trả lại để sửa" in item.text
        assert f"Ý kiến: «{COMMENT}»" in item.text
        assert "Phiên bản 2" in item.text and "đã duyệt, số 01/BC-UBND" in item.text
        assert item.text.index("Phiên bản 1") < item.text.index("Phiên bản 2")
        assert item.buttons == (
            (
                Action(texts.version_button(1), f"a:{submitted.id}:get"),
                Action(texts.version_button(2), f"a:{second.id}:get"),
            ),
        )

    # Version 1 can be fetched again, as it was: unnumbered, with its status.
    fetched = await press(database, commune.chairman, submitted.id, "get")
    [document] = fetched.items
    assert isinstance(document, ReportFile)
    assert document.filename.endswith("_v1.docx")
    assert "đã trả lại để sửa" in document.caption


async def test_history_offers_the_decision_to_an_approver_who_registered_late(
    database: Database, office: Office
) -> None:
    """An approver who was not on the bot when the version went out decides it from /lichsu."""
    commune = await make_commune(
        database, office=office, chairman_registered=False, vice_signs=False
    )
    await complete_round(database, commune)
    await complete_round(database, commune, values=answers(radio_programs="8"))
    first, second = await drafts_of(database, commune.round_id)
    assert await outbox(database) == []
    async with database.session() as session:
        chairman = await session.get(Person, commune.chairman.id)
        assert chairman is not None
        chairman.telegram_user_id = next(_telegram_ids)

    async with database.session() as session:
        [item] = (await WORKFLOW.history(session, person=chairman)).items
    assert [action.data for row in item.buttons for action in row] == [
        f"a:{first.id}:get",
        f"a:{second.id}:get",
        *buttons(second.id, "ok", "ret", "data"),
    ]
    # Officers and a vice-chairman who does not sign get the downloads only.
    for person in (commune.hoa, commune.vice):
        async with database.session() as session:
            [item] = (await WORKFLOW.history(session, person=person)).items
        assert [action.data for row in item.buttons for action in row] == [
            f"a:{first.id}:get",
            f"a:{second.id}:get",
        ]

    assert (await press(database, chairman, second.id, "ok")).accepted
    assert (await latest_draft(database, commune.round_id)).number == "01/BC-UBND"
    async with database.session() as session:
        [item] = (await WORKFLOW.history(session, person=chairman)).items
    assert not any(action.data.endswith(":ok") for row in item.buttons for action in row)


async def test_office_history_shows_only_its_own_communes_numbered_reports(
    database: Database,
) -> None:
    """Each office sees the approved reports of its communes; a stranger sees none."""
    north = await make_office(database, name="Sở Nội vụ tỉnh Hưng Yên")
    south = await make_office(database, name="Sở Nội vụ tỉnh Thái Bình")
    tan_quang = await make_commune(database, office=north, name="Tân Quang")
    dong_hung = await make_commune(database, office=south, name="Đông Hưng")
    lac_dao = await make_commune(database, office=north, name="Lạc Đạo")  # not approved yet
    approved = {}
    for commune in (tan_quang, dong_hung):
        await complete_round(database, commune)
        draft = await latest_draft(database, commune.round_id)
        assert (await press(database, commune.chairman, draft.id, "ok")).accepted
        approved[commune.unit.id] = draft.id
    await complete_round(database, lac_dao)

    for office, commune in ((north, tan_quang), (south, dong_hung)):
        async with database.session() as session:
            listing = await WORKFLOW.history(session, person=office.staff)
        [item] = listing.items
        assert isinstance(item, Text)
        assert texts.unit_display_name(commune.unit) in item.text
        assert "số 01/BC-UBND" in item.text
        data = [action.data for row in item.buttons for action in row]
        assert data == [f"a:{approved[commune.unit.id]}:get"]
        assert (await press(database, office.staff, approved[commune.unit.id], "get")).accepted
    # And not the other office's report, by history or by button.
    assert await press(database, north.staff, approved[dong_hung.unit.id], "get") == (
        Outcome.refused(texts.NOT_ALLOWED_TO_SEE)
    )

    stranger = await make_stranger(database)
    async with database.session() as session:
        assert await WORKFLOW.history(session, person=stranger) == Outcome.say(texts.NO_HISTORY)


# ----- 12. two approvers at once ----------------------------------------------------------------


async def test_two_approvers_at_once_give_one_approval_and_one_number(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """Chairman and vice-chairman tap Duyệt together: one approval, one number, one delivery."""
    # On PostgreSQL the round's row lock serialises them and the second is told ALREADY_APPROVED.
    # On SQLite the second approver reads the version before the first commits (FOR UPDATE is
    # ignored there), then fails writing its number on document_numbers.draft_id
    # (IntegrityError), or a writer may find the database locked; the bot retries neither.

    async def approve(person: Person) -> Outcome | Exception:
        try:
            async with database.session() as session:
                return await WORKFLOW.press(
                    session, person=person, draft_id=submitted.id, action="ok"
                )
        except (OperationalError, IntegrityError) as error:
            return error

    results = await asyncio.gather(approve(commune.chairman), approve(commune.vice))
    outcomes = [result for result in results if isinstance(result, Outcome)]
    accepted = [outcome for outcome in outcomes if outcome.accepted]
    refused = [outcome for outcome in outcomes if not outcome.accepted]
    failed = [result for result in results if isinstance(result, Exception)]
    assert len(accepted) == 1, results
    if POSTGRES:
        assert refused == [Outcome.refused(texts.ALREADY_APPROVED)], results
    else:
        assert len(refused) + len(failed) == 1, results
        assert all(outcome.alert == texts.ALREADY_APPROVED for outcome in refused)

    drafts = await drafts_of(database, commune.round_id)
    assert [d.status for d in drafts] == [DraftStatus.APPROVED]
    assert len(await register(database)) == 1
    assert len(await audit_entries(database, "round.approved")) == 1
    assert len(await outbox(database, purpose="office_delivery")) == 1
    assert len(await outbox(database, purpose="approved_to_approver")) == 2  # note and file
    winner = drafts[0].decided_by_person_id
    assert drafts[0].report["signer_name"] == (
        commune.chairman.full_name if winner == commune.chairman.id else commune.vice.full_name
    )


async def test_two_approvers_at_once_with_a_clerk_give_one_approval(
    database: Database, office: Office
) -> None:
    """With a clerk no number is taken at approval: the round's row lock alone decides."""
    commune = await make_commune(database, office=office, clerk=True)
    await complete_round(database, commune)
    draft = await latest_draft(database, commune.round_id)

    async def approve(person: Person) -> Outcome:
        async with database.session() as session:
            return await WORKFLOW.press(session, person=person, draft_id=draft.id, action="ok")

    results = await asyncio.gather(approve(commune.chairman), approve(commune.vice))
    assert sorted(outcome.accepted for outcome in results) == [False, True], results
    [refused] = [outcome for outcome in results if not outcome.accepted]
    assert refused == Outcome.refused(texts.ALREADY_APPROVED)
    winner = commune.chairman if results[0].accepted else commune.vice
    approved = await latest_draft(database, commune.round_id)
    assert approved.decided_by_person_id == winner.id
    assert approved.report["signer_name"] == winner.full_name
    assert len(await audit_entries(database, "round.approved")) == 1
    assert len(await outbox(database, purpose="number_request")) == 1


async def test_the_database_refuses_a_second_approved_version_of_a_round(
    database: Database, commune: Commune, submitted: Draft
) -> None:
    """The partial unique index holds even if the code lost a race: one approved per round."""
    await press(database, commune.chairman, submitted.id, "ok")
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(
                Draft(
                    round_id=commune.round_id,
                    version=2,
                    status=DraftStatus.APPROVED,
                    report={},
                    docx=b"",
                )
            )
            await session.flush()
    # An awaiting second version of the same round is allowed.
    async with database.session() as session:
        session.add(
            Draft(
                round_id=commune.round_id,
                version=2,
                status=DraftStatus.AWAITING,
                report={},
                docx=b"",
            )
        )
    assert [d.status for d in await drafts_of(database, commune.round_id)] == [
        DraftStatus.APPROVED,
        DraftStatus.AWAITING,
    ]
