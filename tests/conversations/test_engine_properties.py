"""Whatever is typed, the engine answers without an exception, and a refusal changes nothing.

One officer of one commune walks the form with a question of every type. Hypothesis feeds
random text to `answer_text` while the officer is on each question; last quarter's figures
exist, so some numbers are held for a confirmation instead of being stored. A second property
presses random (and the offered) buttons on each question, while confirming, and in the review.
The database persists between examples, so each example compares with a snapshot of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conversations.engine import Questionnaire, Reply
from definitions.forms import DONE_UNCOUNTED, QuestionType
from definitions.values import display
from storage.db import Database
from storage.models import (
    Answer,
    Person,
    QuestionnaireState,
    WalkStatus,
)
from tests.factories import (
    all_types_form,
    database_snapshot,
    make_person,
    make_unit,
    open_round,
    store_answers,
)
from wording.documents import DocumentRef

FORM = all_types_form()
TODAY = date(2026, 12, 1)  # before 2026-Q4 closes: a date after it is "in the future"
ENGINE = Questionnaire(FORM, today=lambda: TODAY)
LAST_QUARTER = {"q_count": 10, "q_minutes": 60}  # history check: > 5x or < 1/5 is confirmed
TEXT_EXAMPLES = 160  # about 18 per question type
BUTTON_EXAMPLES = 40

# Things officers (and fuzzers) type that the generic text strategy rarely produces.
TRICKY = [
    "",
    " ",
    "\n\n",
    "\x00",
    "\u200b",
    "1\u200b2",
    "\u202e12",
    "{{ 7*7 }}",
    "${7*7}",
    "{% raw %}",
    "<b>1</b>",
    "٣",
    "፩",
    "１２",
    "𝟓",
    "½",
    "²",
    "1e5",
    "inf",
    "nan",
    "-0",
    "−5",
    "0x10",
    "1_000",
    "1.000.000.001",
    "9" * 13,
    "😀",
    "🇻🇳",
    "👍🏽",
    "có",
    "Không ạ",
    "dạ vâng",
    "ko co",
    "1 giờ rưỡi",
    "1h75",
    "99,95%",
    "100,04",
    "31/02/2026",
    "29/02/2025",
    "8/1/26",
    "ngày 8 tháng 1 năm 2026",
    "03/KH-UBND ngày 08/01/2026",
    "0/KH-UBND ngày 08/01/2026",
    "22/3000/QĐ-UBND ngày 12/08/2020",
    "Đang hoạt động",
    "trung",
    "Ý kiến. " * 400,
]

NUMBER_SUFFIXES = [
    "",
    " ",
    "%",
    " phút",
    "p",
    "'",
    " giờ",
    "h",
    "h30",
    " buổi",
    " ạ",
    " nghìn",
    "k",
]

GENERIC = st.one_of(
    st.text(),
    st.text(alphabet="0123456789 .,%-/:'hgpưỡiờútkhôngcóạ", max_size=24),
    st.sampled_from(TRICKY),
    st.integers(min_value=-(10**14), max_value=10**14).map(str),
    st.integers(min_value=4000, max_value=12000).map(lambda size: "7" * size),
)
FIGURES = st.tuples(
    st.integers(min_value=0, max_value=25_000), st.sampled_from(NUMBER_SUFFIXES)
).map(lambda parts: f"{parts[0]}{parts[1]}")
DECIMALS = st.tuples(
    st.decimals(min_value=0, max_value=110, places=2), st.sampled_from([".", ","]), st.booleans()
).map(lambda p: str(p[0]).replace(".", p[1]) + ("%" if p[2] else ""))
DATES = st.tuples(
    st.integers(min_value=0, max_value=32),
    st.integers(min_value=0, max_value=13),
    st.integers(min_value=1985, max_value=2105),
    st.sampled_from(["/", "-", ".", " / "]),
).map(lambda p: f"{p[0]}{p[3]}{p[1]}{p[3]}{p[2]}")
DOCUMENTS = st.tuples(
    st.integers(min_value=0, max_value=10**7),
    st.sampled_from(["KH-UBND", "QĐ-UBND", "kh", "Đ" * 45, "2020/QĐ-UBND", "3000/KH", ""]),
    DATES,
    st.sampled_from([" ngày ", " ", ", ngày ", " - "]),
).map(lambda p: f"{p[0]}/{p[1]}{p[3]}{p[2]}")
WORDS = st.sampled_from(
    ["có", "Có ạ", "không", "ko", "chưa", "dạ", "dạ không", "vâng", "ok", "rồi", "sai", "hmm"]
)
CHOICES = st.one_of(
    st.integers(min_value=-1, max_value=5).map(str),
    st.sampled_from(["Tốt", "tot", "Trung bình", "trung", "kém", "good", "fair", "poor", "Tố"]),
)

INPUTS: dict[QuestionType, st.SearchStrategy[str]] = {
    QuestionType.COUNT: st.one_of(GENERIC, FIGURES),
    QuestionType.MINUTES: st.one_of(GENERIC, FIGURES),
    QuestionType.PERCENT: st.one_of(GENERIC, DECIMALS, FIGURES),
    QuestionType.YES_NO: st.one_of(GENERIC, WORDS),
    QuestionType.CHOICE: st.one_of(GENERIC, CHOICES),
    QuestionType.SHORT_TEXT: GENERIC,
    QuestionType.LONG_TEXT: GENERIC,
    QuestionType.DATE: st.one_of(GENERIC, DATES, DATES.map(lambda d: f"ngày {d}")),
    QuestionType.DOCUMENT_REF: st.one_of(GENERIC, DOCUMENTS),
    QuestionType.MULTI_CHOICE: st.one_of(
        GENERIC,
        CHOICES,
        st.lists(st.integers(min_value=-1, max_value=5).map(str), max_size=5).map(", ".join),
        st.lists(st.sampled_from(["PAR", "sipas", "Chuyển đổi số", "số", "và"])).map(" ".join),
    ),
    QuestionType.DOCUMENT_REFS: st.one_of(
        GENERIC,
        DOCUMENTS,
        st.lists(DOCUMENTS, max_size=14).map("\n".join),
        DOCUMENTS.map(lambda d: f"{d} của UBND tỉnh về tuyên truyền"),
    ),
}


@dataclass
class Setup:
    db: Database
    person: Person
    round_id: int


@pytest.fixture
async def setup(database: Database) -> Setup:
    async with database.session() as session:
        unit = await make_unit(session, code="P0001")
        person = await make_person(session, unit=unit)
        last_quarter = await open_round(session, unit=unit, code="2026-Q3")
        current = await open_round(session, unit=unit, code="2026-Q4")
        assert last_quarter is not None and current is not None
        await store_answers(
            session,
            round_id=last_quarter.id,
            answers=LAST_QUARTER,
            form_version=FORM.version,
            person_id=person.id,
        )
    async with database.session() as session:
        reply = await ENGINE.begin(session, person=person)
    assert reply.state_id is not None
    return Setup(database, person, current.id)


async def position(
    setup: Setup,
    code: str | None,
    *,
    status: WalkStatus = WalkStatus.ASKING,
    pending: dict[str, Any] | None = None,
) -> tuple[tuple[Any, ...], QuestionnaireState]:
    """Put the officer on the question (or the review); return what a refusal must keep."""
    async with setup.db.session() as session:
        state = await session.scalar(
            select(QuestionnaireState).where(QuestionnaireState.person_id == setup.person.id)
        )
        assert state is not None
        if (state.status, state.question_code, state.pending) != (status, code, pending):
            state.status = status
            state.question_code = code
            state.pending = pending
            state.step += 1
            await session.flush()
    snapshot, _, state = await read(setup)
    return snapshot, state


async def read(setup: Setup) -> tuple[tuple[Any, ...], dict[str, Any], QuestionnaireState]:
    """Everything a refusal must leave alone, this round's answers, and the officer's state."""
    snapshot = await database_snapshot(setup.db)
    async with setup.db.session() as session:
        rows = (await session.scalars(select(Answer))).all()
        state = await session.scalar(
            select(QuestionnaireState).where(QuestionnaireState.person_id == setup.person.id)
        )
    assert state is not None
    answers = {a.question_code: a.value["value"] for a in rows if a.round_id == setup.round_id}
    return snapshot, answers, state


def check_value(code: str, value: Any) -> None:
    """A stored value has the type its question promises, and reads back in a review."""
    question = FORM.questions[code]
    kind = question.type
    if kind is QuestionType.COUNT and value == DONE_UNCOUNTED:
        assert question.uncounted  # "done, not counted" only where the form allows it
    elif kind in (QuestionType.COUNT, QuestionType.MINUTES):
        assert type(value) is int
        assert question.ceiling is not None and 0 <= value <= question.ceiling
    elif kind is QuestionType.PERCENT:
        assert type(value) in (int, float)
        assert 0 <= value <= 100
        assert round(value, 1) == value
    elif kind is QuestionType.YES_NO:
        assert type(value) is bool
    elif kind is QuestionType.CHOICE:
        assert value in {choice.value for choice in question.choices}
    elif kind is QuestionType.SHORT_TEXT:
        assert type(value) is str and 0 < len(value) <= 300 and "\n" not in value
    elif kind is QuestionType.LONG_TEXT:
        assert type(value) is str and 0 < len(value) <= 3000
        assert value == value.strip()
    elif kind is QuestionType.DATE:
        assert 1990 <= date.fromisoformat(value).year <= 2100
    elif kind is QuestionType.MULTI_CHOICE:
        order = [choice.value for choice in question.choices]
        assert value and all(item in order for item in value)
        assert value == sorted(set(value), key=order.index)  # each once, in the form's order
    elif kind is QuestionType.DOCUMENT_REFS:
        refs = [DocumentRef.from_json(item) for item in value]
        assert 0 < len(refs) <= 12
        assert len({ref.code() for ref in refs}) == len(refs)
        assert all(int(ref.number) > 0 and ref.symbol for ref in refs)
    else:
        assert kind is QuestionType.DOCUMENT_REF
        ref = DocumentRef.from_json(value)
        assert int(ref.number) > 0 and ref.symbol
    assert display(question, value, short=True)


def stated_dates(value: Any) -> list[date]:
    items = value if isinstance(value, list) else [value]
    return [date.fromisoformat(i["issued_on"] if isinstance(i, dict) else i) for i in items]


async def feed(setup: Setup, code: str, text: str) -> str:
    """Answer `text` on question `code`; check the outcome and name it."""
    before, _ = await position(setup, code)
    async with setup.db.session() as session:
        reply = await ENGINE.answer_text(session, person=setup.person, text=text)
    assert isinstance(reply, Reply)
    after, answers, state = await read(setup)
    assert reply.messages
    assert (reply.state_id, reply.step) == (state.id, state.step)
    if not reply.accepted:
        assert reply.messages[0].text.startswith("⚠️ ")
        assert "vui lòng" in reply.messages[0].text.lower()
        assert after == before, repr(text[:80])
        return "refused"
    if state.status is WalkStatus.CONFIRMING:
        # Held until confirmed, nothing stored: a figure far from last quarter's, or a date
        # in the future (TODAY comes before the period closes).
        assert state.question_code == code
        assert state.pending is not None
        held = state.pending["value"]
        check_value(code, held)
        assert after[0] == before[0]
        if state.pending["kind"] == "late_date":
            assert max(stated_dates(held)) > TODAY
            return "date held for confirmation"
        assert state.pending["kind"] == "outlier"
        assert code in LAST_QUARTER, code
        assert held > 5 * LAST_QUARTER[code] or held < LAST_QUARTER[code] / 5
        return "held for confirmation"
    assert code in answers, repr(text[:80])
    check_value(code, answers[code])
    assert reply.messages[0].text.startswith("✔ Đã lưu")
    return "stored"


@settings(
    max_examples=TEXT_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(code=st.sampled_from(list(FORM.questions)), data=st.data())
async def test_typed_text_never_breaks_the_walk(
    setup: Setup, code: str, data: st.DataObject
) -> None:
    text = data.draw(INPUTS[FORM.questions[code].type], label="text")
    event(f"{code}: {await feed(setup, code, text)}")


def test_the_form_has_one_question_of_every_type() -> None:
    """And one count that takes "done, not counted" besides the plain one."""
    plain = [q.type for q in FORM.questions.values() if not q.uncounted]
    assert sorted(plain) == sorted(QuestionType)
    assert [q.type for q in FORM.questions.values() if q.uncounted] == [QuestionType.COUNT]


async def test_feed_sees_every_outcome(setup: Setup) -> None:
    """The property's branches all occur: a refusal, a stored value, a held one."""
    assert await feed(setup, "q_count", "sáu") == "refused"
    assert await feed(setup, "q_count", "12") == "stored"
    assert await feed(setup, "q_count", "500") == "held for confirmation"
    _, answers, state = await read(setup)
    assert answers == {"q_count": 12}
    assert state.pending == {"kind": "outlier", "value": 500}
    assert await feed(setup, "q_date", "2/12/2026") == "date held for confirmation"


# Where a button can be pressed: on each question, while confirming, and in the review.
PLACES: list[tuple[str | None, WalkStatus, dict[str, Any] | None]] = [
    *((code, WalkStatus.ASKING, None) for code in FORM.questions),
    ("q_count", WalkStatus.CONFIRMING, {"kind": "outlier", "value": 500}),
    ("q_date", WalkStatus.CONFIRMING, {"kind": "late_date", "value": "2027-01-01"}),
    ("q_long", WalkStatus.CONFIRMING, {"kind": "text", "value": "Một đoạn mẫu."}),
    (None, WalkStatus.REVIEWING, None),
]
ACTIONS = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"[a-z]{1,8}(:[0-9]{1,3})?", fullmatch=True),  # what the handler lets through
    st.sampled_from(["zero", "skip", "back", "keep", "keepcur", "ok", "retype", "submit"]),
    st.sampled_from(["v:0", "v:1", "v:2", "v:3", "opt:0", "opt:3", "edit:1", "edit:10"]),
)


@settings(
    max_examples=BUTTON_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(place=st.sampled_from(PLACES), data=st.data())
async def test_buttons_never_break_the_walk(
    setup: Setup,
    place: tuple[str | None, WalkStatus, dict[str, Any] | None],
    data: st.DataObject,
) -> None:
    """Any action (mostly the buttons on show) leaves no exception, and a refusal no trace."""
    code, status, pending = place
    await position(setup, code, status=status, pending=pending)
    async with setup.db.session() as session:
        shown = await ENGINE.current_prompt(session, person=setup.person)
    assert shown is not None and shown.state_id is not None and shown.step is not None
    offered = [button.action for out in shown.messages for row in out.buttons for button in row]
    # Drawn the same way whatever is on show, so Hypothesis can replay and shrink.
    use_offered = data.draw(st.booleans(), label="use an offered button")
    pick = data.draw(st.integers(min_value=0, max_value=50), label="which one")
    other = data.draw(ACTIONS, label="other action")
    action = offered[pick % len(offered)] if use_offered and offered else other
    before, _, _ = await read(setup)
    async with setup.db.session() as session:
        reply = await ENGINE.press(
            session, person=setup.person, state_id=shown.state_id, step=shown.step, action=action
        )
    after, answers, _ = await read(setup)
    if not reply.accepted:
        event("refused")
        assert reply.alert or reply.messages[0].text.startswith("⚠️ ")
        assert after == before, action
        return
    event("offered button" if action in offered else "other action")
    assert reply.messages
    for answered, value in answers.items():
        if value is not None:
            check_value(answered, value)
