"""A TTHC round through the approval workflow beside the commune's CCHC round, one workflow
serving both kinds: its draft is TTHC's text in TTHC's files, and approving it leaves the CCHC
round alone. The two kinds share the commune's register of outgoing documents, as Decree 30 keeps
one per body: the TTHC report takes the next number, never one CCHC's report holds."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import docx
from sqlalchemy import select

from conversations.approval import ApprovalWorkflow
from conversations.outgoing import Outcome
from report_templates.draft import read_answers_file
from report_templates.kinds import packaged_kinds
from storage.db import Database
from storage.models import (
    Draft,
    DraftStatus,
    Person,
    ReportingRound,
    RoundStatus,
    SectionSubmission,
)
from storage.periods import open_rounds
from tests.conversations.test_approval import (
    complete_round,
    latest_draft,
    make_commune,
    make_office,
    outbox,
)
from tests.factories import store_answers

KINDS = packaged_kinds("cchc", "tthc")
TTHC = KINDS["tthc"]
# The deployment's one workflow: each version is made with its round's kind.
BOTH = ApprovalWorkflow(KINDS, timezone=ZoneInfo("Asia/Ho_Chi_Minh"))


async def approve(database: Database, chairman: Person, draft_id: int) -> Outcome:
    async with database.session() as session:
        return await BOTH.press(session, person=chairman, draft_id=draft_id, action="ok")


async def test_a_tthc_round_is_drafted_and_numbered_as_tthc_beside_cchc(
    database: Database,
) -> None:
    office = await make_office(database)
    commune = await make_commune(database, office=office)
    sample = read_answers_file(TTHC.folder / "sample_answers.yaml", TTHC.form)
    async with database.session() as session:
        await open_rounds(
            session=session, code="2026-Q4", unit_codes=[commune.unit.code], report_kind="tthc"
        )
        tthc_round = await session.scalar(
            select(ReportingRound).where(ReportingRound.kind == "tthc")
        )
        assert tthc_round is not None
        await store_answers(
            session,
            round_id=tthc_round.id,
            answers=dict(sample.answers),
            form_version=TTHC.form.version,
            person_id=commune.hoa.id,
        )
        for section in TTHC.form.sections:
            session.add(
                SectionSubmission(
                    round_id=tthc_round.id,
                    section_code=section.code,
                    form_version=TTHC.form.version,
                    submitted_by_person_id=commune.hoa.id,
                )
            )
        tthc_round.status = RoundStatus.SUBMITTED  # as the engine sets it at the last section
        await session.flush()
        await BOTH.on_round_submitted(session, tthc_round.id, commune.hoa.id)
    tthc_draft = await latest_draft(database, tthc_round.id)
    # The CCHC report of the same commune and quarter is approved first, and numbered 01.
    await complete_round(database, commune)
    cchc_draft = await latest_draft(database, commune.round_id)
    assert (await approve(database, commune.chairman, cchc_draft.id)).accepted

    approved = await approve(database, commune.chairman, tthc_draft.id)

    async with database.session() as session:
        drafts = {d.round_id: d for d in await session.scalars(select(Draft))}
    names = {
        row.payload["file"]["filename"]
        for row in await outbox(database)
        if "file" in row.payload and row.draft_id == tthc_draft.id
    }
    text = "\n".join(
        p.text for p in docx.Document(io.BytesIO(drafts[tthc_round.id].docx)).paragraphs
    )
    assert approved.accepted
    assert drafts[commune.round_id].number == "01/BC-UBND"
    assert drafts[tthc_round.id].number == "02/BC-UBND"  # the register's next, not another 01
    assert drafts[tthc_round.id].status is DraftStatus.APPROVED
    assert names and all(name.startswith("BC-TTHC_2026-Q4_") for name in names), names
    assert "Tình hình, kết quả giải quyết thủ tục hành chính quý IV năm 2026" in text
    assert "tuyên truyền cải cách hành chính" not in text
    # What the chairman read named the kind: the TTHC draft's messages say TTHC, CCHC's CCHC.
    to_chairman = [
        row.payload.get("text") or row.payload.get("caption", "")
        for row in await outbox(database, purpose="draft_to_approver")
    ]
    assert any("báo cáo TTHC quý IV năm 2026" in text for text in to_chairman)
    assert any("báo cáo CCHC quý IV năm 2026" in text for text in to_chairman)
