"""Build units and people directly, for tests that are not about importing."""

from __future__ import annotations

import json
from itertools import count
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    Answer,
    AuditEntry,
    Membership,
    Person,
    QuestionnaireState,
    ReportingRound,
    Role,
    SectionSubmission,
    Unit,
    UnitKind,
)

_numbers = count(1)


async def make_unit(
    session: AsyncSession,
    *,
    name: str = "Tân Quang",
    kind: UnitKind = UnitKind.COMMUNE,
    code: str | None = None,
    office: Unit | None = None,
) -> Unit:
    unit = Unit(
        code=code or f"U{next(_numbers):05d}",
        name=name,
        kind=kind,
        office_id=office.id if office else None,
    )
    session.add(unit)
    await session.flush()
    return unit


async def make_person(
    session: AsyncSession,
    *,
    unit: Unit,
    role: Role = Role.OFFICER,
    full_name: str = "Nguyễn Thị Hoa",
    telegram_user_id: int | None = None,
) -> Person:
    person = Person(full_name=full_name, telegram_user_id=telegram_user_id)
    session.add(person)
    await session.flush()
    session.add(Membership(person_id=person.id, unit_id=unit.id, role=role))
    await session.flush()
    return person


# A form with one question of every type, for tests of the schema and the engine.
ALL_TYPES_FORM_YAML = """\
form: all_types
version: "t1"
title: Biểu mẫu thử mọi loại câu hỏi
sections:
  - code: figures
    title: Số liệu
    questions:
      - code: q_count
        type: count
        short: Số buổi
        label: Bao nhiêu buổi?
        unit: buổi
        max: 5000
      - code: q_minutes
        type: minutes
        short: Thời lượng
        label: Tổng thời lượng?
        unit: phút
        max: 20000
      - code: q_percent
        type: percent
        short: Tỷ lệ
        label: Tỷ lệ bao nhiêu phần trăm?
        unit: "%"
      - code: q_yes_no
        type: yes_no
        short: Có cập nhật
        label: Có cập nhật không?
      - code: q_choice
        type: choice
        short: Tình trạng
        label: Tình trạng thế nào?
        choices:
          - {value: good, label: Tốt}
          - {value: fair, label: Trung bình}
          - {value: poor, label: Kém}
  - code: writing
    title: Nội dung
    questions:
      - code: q_short
        type: short_text
        short: Hình thức khác
        label: Hình thức khác?
        required: false
      - code: q_long
        type: long_text
        short: Ưu điểm
        label: Ưu điểm?
        suggestions:
          - Công tác tuyên truyền được triển khai kịp thời.
          - Hình thức tuyên truyền đa dạng.
      - code: q_date
        type: date
        short: Ngày họp
        label: Ngày họp?
      - code: q_doc
        type: document_ref
        short: Kế hoạch
        label: Số, ký hiệu và ngày của kế hoạch?
        carry_over: true
      - code: q_multi
        type: multi_choice
        short: Nội dung
        label: Đã tuyên truyền những nội dung nào?
        choices:
          - {value: par, label: Chỉ số PAR}
          - {value: sipas, label: Chỉ số SIPAS, phrase: Chỉ số hài lòng (SIPAS)}
          - {value: digital, label: Chuyển đổi số}
      - code: q_docs
        type: document_refs
        short: Văn bản cấp trên
        label: Văn bản cấp trên, mỗi văn bản một dòng?
        required: false
      - code: q_done
        type: count
        uncounted: true
        short: Số cuộc họp lồng ghép
        label: Bao nhiêu cuộc họp có lồng ghép?
        unit: cuộc họp
"""


def packaged_kind(code: str = "cchc"):
    """A shipped report kind's bundle (report_templates.draft.KindBundle), loaded once."""
    from report_templates.kinds import packaged_kinds

    if code not in _packaged:
        _packaged[code] = packaged_kinds(code)[code]
    return _packaged[code]


_packaged: dict[str, Any] = {}


def both_kinds():
    """CCHC and TTHC as a deployment running both loads them (report_templates.kinds.ReportKinds):
    the workflow and the office's desk of the tests serve both, whatever kind a test opens."""
    from report_templates.kinds import ReportKinds

    return ReportKinds([packaged_kind("cchc"), packaged_kind("tthc")])


def all_types_form():
    """ALL_TYPES_FORM_YAML, parsed and validated (a definitions.forms.Form)."""
    from definitions.forms import parse_form

    return parse_form(ALL_TYPES_FORM_YAML, name="all_types.yaml")


async def open_round(session: AsyncSession, *, unit: Unit, code: str = "2026-Q4"):
    """Open the period's round for one commune-level unit; returns the ReportingRound."""
    from sqlalchemy import select

    from storage.models import ReportingRound
    from storage.periods import open_rounds

    opened = await open_rounds(session=session, code=code, unit_codes=[unit.code])
    return await session.scalar(
        select(ReportingRound).where(
            ReportingRound.period_id == opened.period.id, ReportingRound.unit_id == unit.id
        )
    )


async def database_snapshot(db: Database) -> tuple[Any, ...]:
    """Everything a refusal must leave alone: answers, walk states, submissions, rounds, log."""

    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True)

    async with db.session() as session:
        answers = sorted(
            (a.id, a.round_id, a.question_code, dump(a.value), a.form_version, a.answered_at)
            for a in await session.scalars(select(Answer))
        )
        states = sorted(
            (
                s.id,
                s.round_id,
                s.person_id,
                str(s.status),
                s.question_code,
                s.step,
                dump(s.pending),
                s.back_to_review,
                s.updated_at,
            )
            for s in await session.scalars(select(QuestionnaireState))
        )
        submissions = sorted(
            (s.round_id, s.section_code) for s in await session.scalars(select(SectionSubmission))
        )
        rounds = sorted(
            (r.id, str(r.status)) for r in await session.scalars(select(ReportingRound))
        )
        audit = await session.scalar(select(func.count()).select_from(AuditEntry))
    return answers, states, submissions, rounds, audit


async def store_answers(
    session: AsyncSession,
    *,
    round_id: int,
    answers: dict[str, Any],
    form_version: str = "test",
    person_id: int | None = None,
) -> None:
    """Store answers in a round directly, as if given earlier (no questionnaire walk)."""
    from storage.questionnaire import save_answer

    for code, value in answers.items():
        await save_answer(
            session=session,
            round_id=round_id,
            question_code=code,
            value=value,
            form_version=form_version,
            person_id=person_id,
            existing=None,
        )


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a .docx, one per line."""
    import io

    from docx import Document

    document = Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


# A full, valid set of a round's answers, as the officers would type them.
TYPED_ROUND = {
    "plan_refs": "03/KH-UBND ngày 08/01/2026",
    "higher_docs": "181/KH-UBND ngày 29/12/2025 của UBND tỉnh Hưng Yên",
    "directed_to": "1, 4",
    "other_directives": "0",
    "content_topics": "1, 2, 14",
    "radio_station": "Đang hoạt động",
    "radio_programs": "6",
    "radio_items": "25",
    "radio_airings": "30",
    "radio_minutes": "90 phút",
    "radio_per_day": "2",
    "radio_relay": "có",
    "web_posts": "20",
    "web_posts_digital": "5",
    "web_tthc_updated": "có",
    "banners": "2",
    "slogans": "6",
    "panels": "3",
    "leaflets": "1.500",
    "tthc_posted_percent": "100%",
    "meetings_integrated": "4",
    "meetings_cchc": "1",
    "dialogues": "0",
    "mobile_sessions": "2",
    "mobile_sessions_unit": "đợt",
    "citizens_guided": "1.200",
    "contests": "0",
    "staged_events": "0",
    "trainings": "0",
    "strengths": "Công tác tuyên truyền được triển khai đồng bộ, đúng kế hoạch.",
    "limitations": "Kinh phí cho tuyên truyền còn hạn chế.",
    "directions": "Tiếp tục tuyên truyền qua đài truyền thanh và hội nghị thôn.",
}
# Optional questions the officers skipped.
SKIPPED_IN_ROUND = (
    "meetings_cchc_unit",
    "content_docs",
    "content_other",
    "social_posts",
    "meeting_attendance",
    "other_forms_text",
    "causes",
    "proposals",
)
