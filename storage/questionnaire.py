"""Queries behind the questionnaire: rounds a person answers for, answers, state, submissions."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from cachetools import TTLCache
from sqlalchemy import (
    JSON,
    String,
    Table,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.db import Database
from storage.deliveries import Delivery, channel_of, take_unwritten, with_delivery
from storage.models import (
    COMMUNE_LEVEL_KINDS,
    DEFAULT_REPORT_KIND,
    Answer,
    ChannelName,
    HandledUpdate,
    Membership,
    PeriodKind,
    QuestionnaireState,
    ReportingPeriod,
    ReportingRound,
    Role,
    SectionAssignment,
    SectionSubmission,
    Unit,
    utc_now,
)
from storage.people import ROLES_FOUND
from storage.periods import EDITABLE_STATUSES

logger = logging.getLogger(__name__)

ANSWERING_ROLES = (Role.OFFICER, Role.CHAIRMAN, Role.VICE_CHAIRMAN, Role.CLERK)


@dataclass(frozen=True)
class RoundContext:
    """A round as one person sees it: which commune and period, and the roles they hold there."""

    round: ReportingRound
    unit: Unit
    period: ReportingPeriod
    roles: frozenset[Role]
    # Who the commune gave which sections to (section_assignments), when read with the round.
    assignments: dict[str, set[int]] | None = None
    # The round's answers (answers_of), when read with the round.
    answers: dict[str, StoredAnswer] | None = None


async def claim_update(
    *, session: AsyncSession, key: int | str, channel: str = ChannelName.TELEGRAM
) -> bool:
    """Mark an update as handled; False if it already was (a redelivery).

    Called inside the transaction that acts on the update, so either both are stored or neither.
    One INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike) both checks and claims,
    and settles a race between two bot instances: the second waits for the first's commit and
    then inserts nothing. `key` is the channel's: a Telegram update id, a Zalo message id.
    """
    result = await session.execute(
        _claim_statement(session.get_bind().dialect.name),
        {"channel": str(channel), "key": str(key), "processed_at": utc_now()},
    )
    return bool(getattr(result, "rowcount", 0))


# The statements of an officer's answer are built once, with their values as parameters:
# SQLAlchemy keeps a statement's cache key on the statement, so one built once is not analysed
# again on every answer (a new one is, at about a tenth of the statement's cost).


@cache
def _claim_statement(dialect_name: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING into handled_updates, in this database's dialect.

    On the table, not the mapped class: an ORM insert given its values as parameters is an ORM
    bulk insert, whose result has no rowcount to tell a claim from a redelivery."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = HandledUpdate.__table__
    return (
        dialect.insert(table)
        .values(
            channel=bindparam("channel"),
            key=bindparam("key"),
            processed_at=bindparam("processed_at"),
        )
        .on_conflict_do_nothing(index_elements=[table.c.channel, table.c.key])
    )


def shown_before(
    state: QuestionnaireState, message_order: int, channel: str = ChannelName.TELEGRAM
) -> dict[str, Any] | None:
    """The latest prompt delivered on `channel` that came before a message at `message_order`
    there: what the person was looking at when they typed it. None if no remembered prompt came
    before it. (Telegram orders a chat's messages by id; Zalo's ids are not ordered, so there
    both sides are placed by Zalo's timestamps in milliseconds.)"""
    # Telegram's ids never tie; Zalo's milliseconds can, and a reply sent in the millisecond
    # its prompt went out is read as a reply to it.
    ties_count = channel != ChannelName.TELEGRAM
    earlier = [
        e
        for e in state.shown or []
        if channel_of(e) == channel
        and (
            int(e.get("message", 0)) <= message_order
            if ties_count
            else int(e.get("message", 0)) < message_order
        )
    ]
    return max(earlier, key=lambda e: int(e["message"]), default=None)


def prompt_delivered(state: QuestionnaireState) -> bool:
    """Whether the prompt of the walk's current step reached the person."""
    return any(entry.get("step") == state.step for entry in state.shown or [])


async def record_shown(
    *,
    session: AsyncSession,
    state_id: int,
    step: int,
    question_code: str | None,
    message_id: int,
    channel: str = ChannelName.TELEGRAM,
) -> None:
    """Remember that the prompt of `step` reached the person as message `message_id` (on Zalo,
    the message's timestamp in milliseconds)."""
    shown = await session.scalar(
        select(QuestionnaireState.shown)
        .where(QuestionnaireState.id == state_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    entries = with_delivery(
        shown,
        Delivery(
            state_id=state_id,
            step=step,
            question_code=question_code,
            message_id=message_id,
            channel=channel,
        ),
    )
    # updated_at stays: it orders a person's walks, and a delivery is not a change of place.
    await session.execute(
        update(QuestionnaireState)
        .where(QuestionnaireState.id == state_id)
        .values(shown=entries, updated_at=QuestionnaireState.updated_at)
        .execution_options(synchronize_session=False)
    )


_STATES = QuestionnaireState.__table__
assert isinstance(_STATES, Table)
_PLACE: dict[str, Any] = {
    "status": bindparam("status"),
    "question_code": bindparam("question_code"),
    "step": bindparam("step"),
    "pending": bindparam("pending"),
    "back_to_review": bindparam("back_to_review"),
    "updated_at": bindparam("updated_at"),
}
_MOVE_WALK = update(_STATES).where(_STATES.c.id == bindparam("state_id")).values(**_PLACE)
_MOVE_WALK_SHOWN = _MOVE_WALK.values(shown=bindparam("shown"))


async def write_place(*, session: AsyncSession, state: QuestionnaireState) -> None:
    """Write where the walk now is (and the prompts delivered since it was read) in one
    UPDATE of its row, as the ORM's flush would, at half its cost: this runs on every answer.

    The state then counts as written: its next flush, or the commit, writes it only if it
    changes again. A state not yet in the database is flushed as usual."""
    loaded = inspect(state)
    if not loaded.persistent:
        await session.flush()
        return
    now = utc_now()
    parameters = {column: getattr(state, column) for column in _PLACE}
    parameters.update(state_id=state.id, updated_at=now)
    with_shown = take_unwritten(session.sync_session, state)
    if with_shown:
        parameters["shown"] = state.shown
    with session.no_autoflush:  # the state is what this writes: not flushed first
        await session.execute(_MOVE_WALK_SHOWN if with_shown else _MOVE_WALK, parameters)
    state.updated_at = now
    # What the ORM's own flush does once it has written an object; SQLAlchemy has no public
    # call for it. tests/storage/test_deliveries.py fails if this stops marking it written.
    loaded._commit_all(loaded.dict, session.sync_session.identity_map)


async def record_delivered(
    database: Database,
    *,
    state_id: int,
    step: int,
    question_code: str | None,
    message_id: int,
    channel: str = ChannelName.TELEGRAM,
) -> None:
    """`record_shown` in a transaction of its own, once the prompt's message went. A failure is
    logged, not raised: not worth failing the turn (and sending the prompt twice) for; the
    person's next answer is then taken as typed before it, and the prompt shown again."""
    try:
        async with database.session() as session:
            await record_shown(
                session=session,
                state_id=state_id,
                step=step,
                question_code=question_code,
                message_id=message_id,
                channel=channel,
            )
    except SQLAlchemyError as exc:
        logger.warning("Could not record a delivered prompt: %s", exc)


async def forget_processed_updates(*, session: AsyncSession, older_than: timedelta) -> int:
    """Drop old update ids: Telegram keeps an unconfirmed update for 24 hours at most."""
    result = await session.execute(
        delete(HandledUpdate).where(HandledUpdate.processed_at < utc_now() - older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def answering_roles(*, session: AsyncSession, person_id: int) -> dict[int, frozenset[Role]]:
    """Commune-level units where the person answers, with their roles there."""
    held = session.info.get(ROLES_FOUND, {}).get(person_id)
    if held is not None:
        # The turn found the person with their roles (storage.people): read them rather than
        # ask the database again on every answer.
        found: dict[int, set[Role]] = {}
        for item in held:
            if item.role in ANSWERING_ROLES and item.unit.kind in COMMUNE_LEVEL_KINDS:
                found.setdefault(item.unit.id, set()).add(item.role)
        return {unit_id: frozenset(roles) for unit_id, roles in found.items()}
    rows = await session.execute(
        select(Membership.unit_id, Membership.role)
        .join(Unit, Unit.id == Membership.unit_id)
        .where(
            Membership.person_id == person_id,
            Membership.role.in_(ANSWERING_ROLES),
            Unit.kind.in_(COMMUNE_LEVEL_KINDS),
        )
    )
    roles: dict[int, set[Role]] = {}
    for unit_id, role in rows:
        roles.setdefault(unit_id, set()).add(role)
    return {unit_id: frozenset(found) for unit_id, found in roles.items()}


async def editable_rounds(*, session: AsyncSession, person_id: int) -> list[RoundContext]:
    """The rounds still open for answers in the person's communes: newest first and, where a
    quarter and the half year (or year) close on the same day, the quarter first, since the
    longer report adds up its figures."""
    roles = await answering_roles(session=session, person_id=person_id)
    if not roles:
        return []
    rows = await session.execute(
        select(ReportingRound, Unit, ReportingPeriod)
        .join(Unit, Unit.id == ReportingRound.unit_id)
        .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
        .where(
            ReportingRound.unit_id.in_(roles),
            ReportingRound.status.in_(EDITABLE_STATUSES),
        )
        .order_by(
            ReportingPeriod.closes_on.desc(),
            case((ReportingPeriod.kind == PeriodKind.QUARTER, 0), else_=1),
            ReportingRound.id.desc(),
        )
    )
    return [
        RoundContext(round=round_, unit=unit, period=period, roles=roles[unit.id])
        for round_, unit, period in rows
    ]


async def round_for(*, session: AsyncSession, person_id: int, round_id: int) -> RoundContext | None:
    """A round by id, only if it belongs to one of the person's communes (whatever its status)."""
    roles = await answering_roles(session=session, person_id=person_id)
    row = (
        await session.execute(
            select(ReportingRound, Unit, ReportingPeriod)
            .join(Unit, Unit.id == ReportingRound.unit_id)
            .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
            .where(ReportingRound.id == round_id)
        )
    ).first()
    if row is None or row[1].id not in roles:
        return None
    round_, unit, period = row
    return RoundContext(round=round_, unit=unit, period=period, roles=roles[unit.id])


async def lock_round(*, session: AsyncSession, round_id: int) -> ReportingRound:
    """The round, re-read and locked until the transaction ends.

    PostgreSQL: FOR UPDATE. SQLite ignores that, so a write takes its one writer lock instead;
    a transaction that read before another committed then fails rather than act on old data.
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(ReportingRound)
            .where(ReportingRound.id == round_id)
            .values(updated_at=ReportingRound.updated_at)
        )
    round_ = await session.scalar(
        select(ReportingRound)
        .where(ReportingRound.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if round_ is None:
        raise LookupError(f"round {round_id} does not exist")
    return round_


async def round_of_unit(
    *,
    session: AsyncSession,
    unit_code: str,
    period: str,
    report_kind: str = DEFAULT_REPORT_KIND,
) -> int | None:
    """The id of a unit's round of `report_kind` for a period code, if it was opened."""
    return await session.scalar(
        select(ReportingRound.id)
        .join(Unit, Unit.id == ReportingRound.unit_id)
        .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
        .where(
            Unit.code == unit_code,
            ReportingPeriod.code == period,
            ReportingRound.kind == report_kind,
        )
    )


async def latest_state(*, session: AsyncSession, person_id: int) -> QuestionnaireState | None:
    return await session.scalar(
        select(QuestionnaireState)
        .where(QuestionnaireState.person_id == person_id)
        .order_by(QuestionnaireState.updated_at.desc(), QuestionnaireState.id.desc())
        .limit(1)
    )


# The commune's section assignments as "section:person,..." in the same row: one query less
# on every answer (aggregate_strings is group_concat on SQLite, string_agg on PostgreSQL).
_ASSIGNED_IN_UNIT = (
    select(
        func.aggregate_strings(
            SectionAssignment.section_code + ":" + cast(SectionAssignment.person_id, String), ","
        )
    )
    .where(SectionAssignment.unit_id == ReportingRound.unit_id)
    .scalar_subquery()
)


@cache
def latest_walk_statement(dialect_name: str) -> Any:
    """The person's latest walk, its round, commune and period, the commune's section
    assignments (`_ASSIGNED_IN_UNIT`) and the round's answers as one JSON array of
    [id, question_code, value, form_version, answered_by_person_id]: the answers come with the
    walk, one query less on every answer (on PostgreSQL, one round trip less)."""
    answer = (
        _ANSWERS.c.id,
        _ANSWERS.c.question_code,
        _ANSWERS.c.value,
        _ANSWERS.c.form_version,
        _ANSWERS.c.answered_by_person_id,
    )
    if dialect_name == "postgresql":
        as_json = func.json_agg(func.json_build_array(*answer), type_=JSON)
    else:  # SQLite keeps JSON as text: json() puts the value in as JSON, not as a string
        stored = (*answer[:2], func.json(_ANSWERS.c.value), *answer[3:])
        as_json = func.json_group_array(func.json_array(*stored), type_=JSON)
    answers = select(as_json).where(_ANSWERS.c.round_id == ReportingRound.id).scalar_subquery()
    return (
        select(
            QuestionnaireState, ReportingRound, Unit, ReportingPeriod, _ASSIGNED_IN_UNIT, answers
        )
        .join(ReportingRound, ReportingRound.id == QuestionnaireState.round_id)
        .join(Unit, Unit.id == ReportingRound.unit_id)
        .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
        .where(QuestionnaireState.person_id == bindparam("person_id"))
        .order_by(QuestionnaireState.updated_at.desc(), QuestionnaireState.id.desc())
        .limit(1)
    )


async def latest_walk(
    *, session: AsyncSession, person_id: int
) -> tuple[QuestionnaireState, RoundContext] | None:
    """The person's latest walk with its round, the commune's section assignments and the
    round's answers, as `latest_state`, `round_for`, `section_assignments` and `answers_of`
    would find them, in one query (this runs for every answer typed); None without a walk, or
    when the round is no longer one of the person's communes."""
    statement = latest_walk_statement(session.get_bind().dialect.name)
    row = (await session.execute(statement, {"person_id": person_id})).first()
    if row is None:
        return None
    state, round_, unit, period, assigned, answers = row
    roles = await answering_roles(session=session, person_id=person_id)
    if unit.id not in roles:
        return None
    return state, RoundContext(
        round=round_,
        unit=unit,
        period=period,
        roles=roles[unit.id],
        assignments=_assignments_from(assigned),
        answers={
            code: StoredAnswer(answer_id, code, value, form_version, by)
            for answer_id, code, value, form_version, by in answers or ()
        },
    )


def _assignments_from(aggregated: str | None) -> dict[str, set[int]]:
    """`_ASSIGNED_IN_UNIT`'s "section:person,..." as section_assignments gives it."""
    assigned: dict[str, set[int]] = {}
    for pair in (aggregated or "").split(","):
        if pair:
            section_code, person_id = pair.rsplit(":", 1)
            assigned.setdefault(section_code, set()).add(int(person_id))
    return assigned


async def get_state(
    *, session: AsyncSession, round_id: int, person_id: int, create: bool
) -> QuestionnaireState | None:
    state = await session.scalar(
        select(QuestionnaireState).where(
            QuestionnaireState.round_id == round_id, QuestionnaireState.person_id == person_id
        )
    )
    if state is None and create:
        state = QuestionnaireState(round_id=round_id, person_id=person_id, step=0)
        session.add(state)
        await session.flush()
    return state


_SECTION_ASSIGNMENTS = select(SectionAssignment.section_code, SectionAssignment.person_id).where(
    SectionAssignment.unit_id == bindparam("unit_id")
)


async def section_assignments(*, session: AsyncSession, unit_id: int) -> dict[str, set[int]]:
    rows = await session.execute(_SECTION_ASSIGNMENTS, {"unit_id": unit_id})
    assigned: dict[str, set[int]] = {}
    for section_code, person_id in rows:
        assigned.setdefault(section_code, set()).add(person_id)
    return assigned


@dataclass(frozen=True)
class StoredAnswer:
    """One stored answer as read: a row, not an ORM object (the questionnaire reads a round's
    answers on every answer typed, and loading them as objects cost as much as a query)."""

    id: int
    question_code: str
    value: dict[str, Any]  # {"value": ...}, as the column holds it
    form_version: str
    answered_by_person_id: int | None


_ANSWERS = Answer.__table__
assert isinstance(_ANSWERS, Table)
_ANSWERS_OF = select(
    _ANSWERS.c.id,
    _ANSWERS.c.question_code,
    _ANSWERS.c.value,
    _ANSWERS.c.form_version,
    _ANSWERS.c.answered_by_person_id,
).where(_ANSWERS.c.round_id == bindparam("round_id"))


async def answers_of(*, session: AsyncSession, round_id: int) -> dict[str, StoredAnswer]:
    rows = await session.execute(_ANSWERS_OF, {"round_id": round_id})
    return {row.question_code: StoredAnswer(*row) for row in rows}


@dataclass(frozen=True)
class History:
    """A unit's answers to some questions of one report kind in the periods before one."""

    # Each question's most recent earlier answer (None skipped), with the period it was given in.
    earlier: dict[str, tuple[ReportingPeriod, Any]]
    # The answers given in the period `previous_period` names (None too), if it was asked for.
    previous: dict[str, Any]


_HISTORY = (
    select(Answer.question_code, Answer.value, ReportingPeriod)
    .join(ReportingRound, ReportingRound.id == Answer.round_id)
    .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
    .where(
        ReportingRound.unit_id == bindparam("unit_id"),
        ReportingRound.kind == bindparam("report_kind"),
        ReportingPeriod.closes_on < bindparam("closes_on"),
        Answer.question_code.in_(bindparam("codes", expanding=True)),
    )
    # Q2 and the half year close on the same day: prefer a period of the same kind.
    .order_by(
        ReportingPeriod.closes_on.desc(),
        case((ReportingPeriod.kind == bindparam("period_kind"), 0), else_=1),
    )
)


async def history(
    *,
    session: AsyncSession,
    unit_id: int,
    before: ReportingPeriod,
    codes: Iterable[str],
    report_kind: str = DEFAULT_REPORT_KIND,
    previous_period: str | None = None,
) -> History:
    """The unit's answers to `codes` of `report_kind` before the period `before`, in one query
    (this runs for every answer typed): each question's most recent one, and those of
    `previous_period` (an earlier period's code). Another kind's question of the same code is
    another question."""
    wanted = list(codes)
    if not wanted:
        return History(earlier={}, previous={})
    rows = await session.execute(
        _HISTORY,
        {
            "unit_id": unit_id,
            "report_kind": report_kind,
            "closes_on": before.closes_on,
            "codes": wanted,
            "period_kind": before.kind,
        },
    )
    earlier: dict[str, tuple[ReportingPeriod, Any]] = {}
    previous: dict[str, Any] = {}
    for code, value, period in rows:
        if period.code == previous_period:
            previous[code] = value.get("value")
        if code not in earlier and value.get("value") is not None:
            earlier[code] = (period, value.get("value"))
    return History(earlier=earlier, previous=previous)


class HistoryMemo:
    """`history`, remembered for a while per commune and report kind.

    It is read on every answer typed, and what it reads (the answers of periods before the one
    being answered) changes only when an earlier report is reopened and changed. This process
    says so (`answer_stored`) and the commune's history is read afresh; a change made by
    another process (an import) is seen within `ttl_s`. Kept per database, since the
    questionnaire does not belong to one (the tests run one over many).
    """

    def __init__(
        self,
        ttl_s: float = 60.0,
        communes: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # (database, unit id, report kind) -> (period id, previous period, codes) -> History
        self._by_commune: TTLCache[tuple[Any, int, str], dict[tuple[Any, ...], History]] = TTLCache(
            maxsize=communes, ttl=ttl_s, timer=clock
        )

    async def history(
        self,
        *,
        session: AsyncSession,
        unit_id: int,
        before: ReportingPeriod,
        codes: Iterable[str],
        report_kind: str = DEFAULT_REPORT_KIND,
        previous_period: str | None = None,
    ) -> History:
        wanted = tuple(codes)
        key = (before.id, previous_period, wanted)
        commune = (session.get_bind().engine.url, unit_id, report_kind)
        known = self._by_commune.get(commune)
        if known is not None and key in known:
            return known[key]
        found = await history(
            session=session,
            unit_id=unit_id,
            before=before,
            codes=wanted,
            report_kind=report_kind,
            previous_period=previous_period,
        )
        if known is None:
            known = self._by_commune[commune] = {}
        known[key] = found
        return found

    def answer_stored(
        self, session: AsyncSession, *, unit_id: int, report_kind: str, period_id: int
    ) -> None:
        """An answer of this period was stored: the history the commune's later periods see
        may have changed (what the period itself sees has not)."""
        commune = (session.get_bind().engine.url, unit_id, report_kind)
        known = self._by_commune.get(commune)
        if known is not None and any(key[0] != period_id for key in known):
            del self._by_commune[commune]


async def answers_in_period(
    *, session: AsyncSession, unit_id: int, period_code: str, report_kind: str = DEFAULT_REPORT_KIND
) -> dict[str, Any]:
    rows = await session.execute(
        select(Answer.question_code, Answer.value)
        .join(ReportingRound, ReportingRound.id == Answer.round_id)
        .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
        .where(
            ReportingRound.unit_id == unit_id,
            ReportingRound.kind == report_kind,
            ReportingPeriod.code == period_code,
        )
    )
    return {code: value.get("value") for code, value in rows}


_INSERT_ANSWER = insert(_ANSWERS).returning(_ANSWERS.c.id)
_UPDATE_ANSWER = (
    update(_ANSWERS)
    .where(_ANSWERS.c.id == bindparam("answer_id"))
    .values(
        value=bindparam("value"),
        form_version=bindparam("form_version"),
        answered_by_person_id=bindparam("person_id"),
    )
)


async def save_answer(
    *,
    session: AsyncSession,
    round_id: int,
    question_code: str,
    value: Any,
    form_version: str,
    person_id: int | None,  # None when not given in chat (e.g. loaded from a file)
    existing: StoredAnswer | None,
) -> StoredAnswer:
    """Store one answer; a change to an earlier answer goes to the audit log, old and new."""
    stored = {"value": value}
    if existing is None:
        answer_id = await session.scalar(
            _INSERT_ANSWER,
            {
                "round_id": round_id,
                "question_code": question_code,
                "value": stored,
                "form_version": form_version,
                "answered_by_person_id": person_id,
            },
        )
        assert answer_id is not None
        return StoredAnswer(answer_id, question_code, stored, form_version, person_id)
    old = existing.value.get("value")
    if old == value and existing.form_version == form_version:
        return existing
    await session.execute(
        _UPDATE_ANSWER,
        {
            "answer_id": existing.id,
            "value": stored,
            "form_version": form_version,
            "person_id": person_id,
        },
    )
    if old != value:
        await audit.record(
            session=session,
            action="answer.changed",
            entity_type="answer",
            entity_id=existing.id,
            actor_person_id=person_id,
            details={"round_id": round_id, "question": question_code, "old": old, "new": value},
        )
    return StoredAnswer(existing.id, question_code, stored, form_version, person_id)


_SUBMISSIONS_OF = select(SectionSubmission).where(
    SectionSubmission.round_id == bindparam("round_id")
)


async def submissions_of(*, session: AsyncSession, round_id: int) -> dict[str, SectionSubmission]:
    rows = await session.scalars(_SUBMISSIONS_OF, {"round_id": round_id})
    return {row.section_code: row for row in rows}
