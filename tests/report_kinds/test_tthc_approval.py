"""A TTHC round through the approval workflow of its own kind, beside the commune's CCHC round:
its draft is TTHC's text in TTHC's files, and approving it leaves the CCHC round alone. The two
kinds share the commune's register of outgoing documents, as Decree 30 keeps one per body: the
TTHC report takes the next number, never one CCHC's report holds."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import docx
from sqlalchemy import select

import report_kinds
from conversations.approval import ApprovalWorkflow
from report_templates.draft import load_bundle, read_answers_file
from storage.db import Database
from storage.models import Draft, DraftStatus, ReportingRound, RoundStatus, SectionSubmission
from storage.periods import open_rounds
from tests.conversations.test_approval import (
    complete_round,
    latest_draft,
    make_commune,
    make_office,
    outbox,
    press,
)
from tests.factories import store_answers

TTHC = load_bundle(report_kinds.packaged_folder("tthc"))
TTHC_WORKFLOW = ApprovalWorkflow(TTHC, timezone=ZoneInfo("Asia/Ho_Chi_Minh"))


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
        await TTHC_WORKFLOW.on_round_submitted(session, tthc_round.id, commune.hoa.id)
    tthc_draft = await latest_draft(database, tthc_round.id)
    # The CCHC report of the same commune and quarter is approved first, and numbered 01.
    await complete_round(database, commune)
    cchc_draft = await latest_draft(database, commune.round_id)
    assert (await press(database, commune.chairman, cchc_draft.id, "ok")).accepted
    async with database.session() as session:
        approved = await TTHC_WORKFLOW.press(
            session, person=commune.chairman, draft_id=tthc_draft.id, action="ok"
        )
    async with database.session() as session:
        drafts = {d.round_id: d for d in await session.scalars(select(Draft))}
        files = [
            payload["file"]["filename"]
            for payload in await session.scalars(
                select(Draft.report).where(Draft.id == -1)  # nothing; the outbox below
            )
        ]
    del files

    names = {
        row.payload["file"]["filename"]
        for row in await outbox(database)
        if "file" in row.payload and row.draft_id == tthc_draft.id
    }
    text = "\n".join(
        p.text
        for p in docx.Document(__import__("io").BytesIO(drafts[tthc_round.id].docx)).paragraphs
    )

    assert approved.accepted
    assert drafts[commune.round_id].number == "01/BC-UBND"
    assert drafts[tthc_round.id].number == "02/BC-UBND"  # the register's next, not another 01
    assert drafts[tthc_round.id].status is DraftStatus.APPROVED
    assert names and all(name.startswith("BC-TTHC_2026-Q4_") for name in names), names
    assert "Tình hình, kết quả giải quyết thủ tục hành chính quý IV năm 2026" in text
    assert "tuyên truyền cải cách hành chính" not in text
