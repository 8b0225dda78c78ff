"""The questionnaire engine: walks the form for one person, commune and period.

No Telegram here. Each call loads the person's place in the walk from the database, acts on one
input (typed text or a button's action) and returns what to say, so a restarted bot carries on
exactly where it was. Telegram handlers and tests drive it the same way.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.looking_back import approved_figures, approved_for, approved_status
from definitions.forms import Form, Question, Section
from definitions.parsing import ParseError
from definitions.values import display, editable, parse_answer
from report_templates.preview import TELEGRAM_LIMIT, pack_messages
from storage import audit
from storage.approved import ApprovedReport
from storage.figures import window_figures
from storage.models import (
    DEFAULT_REPORT_KIND,
    ChannelName,
    PeriodKind,
    Person,
    QuestionnaireState,
    ReportingPeriod,
    RoundStatus,
    SectionSubmission,
    WalkStatus,
)
from storage.periods import EDITABLE_STATUSES, previous_code
from storage.questionnaire import (
    HistoryMemo,
    RoundContext,
    StoredAnswer,
    answering_roles,
    answers_of,
    editable_rounds,
    get_state,
    latest_state,
    latest_walk,
    lock_round,
    prompt_delivered,
    round_for,
    save_answer,
    section_assignments,
    shown_before,
    submissions_of,
    write_place,
)
from wording.folding import fold

# DHIS2's min-max idea: a figure this many times above or below last period's needs a second look.
HISTORY_RATIO = 5.0
_SMALL_NUMBER = re.compile(r"[0-9]{1,3}")
OPTION_PREVIEW = 400  # characters of a narrative option shown in the question (under 4096 in all)
ACTIVE = (WalkStatus.ASKING, WalkStatus.CONFIRMING, WalkStatus.REVIEWING)


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # "back", "skip", "zero", "keep", "prev", "ok", "retype", "submit", "v:2", ...


@dataclass(frozen=True)
class OutMessage:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class Reply:
    """What to say. Buttons belong to `state_id` at `step`; `accepted` is False on refusal."""

    messages: tuple[OutMessage, ...] = ()
    state_id: int | None = None
    step: int | None = None
    accepted: bool = True
    alert: str | None = None  # a short pop-up for a button press
    # The question this reply puts to the person (None: the review, or no question). Recorded
    # with the delivered message's id, so a typed answer is read against what the person saw.
    question_code: str | None = None

    @property
    def is_prompt(self) -> bool:
        """A walk's prompt: once delivered, it is what the person's next typed answer is for."""
        return bool(self.messages) and self.state_id is not None and self.step is not None


def _say(*lines: str, accepted: bool = True) -> Reply:
    return Reply(messages=tuple(OutMessage(line) for line in lines), accepted=accepted)


@dataclass
class Walk:
    """One person's view of one round: their sections, the answers so far, and the history."""

    form: Form
    context: RoundContext
    person: Person
    state: QuestionnaireState
    sections: list[Section]
    answers: dict[str, StoredAnswer]
    previous: dict[str, Any]  # last period's values, for the history check
    earlier: dict[str, tuple[str, Any]]  # most recent earlier value and its period code
    # Sections handed in: read only for the summary and the review (Questionnaire._submitted),
    # not on every answer.
    submitted: set[str] = field(default_factory=set)
    # Six-month and annual reports: each narrative question's text in the window's quarters.
    window_texts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # This call saves a sample text the officer has not seen whole: the note shows all of it.
    saving_sample: bool = False

    def value(self, code: str) -> Any:
        answer = self.answers.get(code)
        return None if answer is None else answer.value.get("value")

    def values(self) -> Mapping[str, Any]:
        """The answers as code -> stored value, what the form's checks read."""
        return _StoredValues(self.answers)

    def is_relevant(self, question: Question, values: dict[str, Any] | None = None) -> bool:
        """Whether the question is asked, with `values` (not stored) over the answers."""
        if question.relevant is None:
            return True
        answers = self.values()
        return self.form.is_relevant(question, {**answers, **values} if values else answers)

    def may_be_asked(self, question: Question) -> bool:
        """Relevant, or relevant depending on an answer not given yet: what the count shows."""
        condition = question.relevant
        if condition is None:
            return True
        source = self.form.questions[condition.answer]
        if not self.may_be_asked(source):
            return False
        return source.code not in self.answers or self.is_relevant(question)

    def path(self) -> list[Question]:
        answers = self.values()
        return [q for s in self.sections for q in s.questions if self.form.is_relevant(q, answers)]

    def first_unanswered(self) -> Question | None:
        return next((q for q in self.path() if q.code not in self.answers), None)

    def after(self, code: str) -> Question | None:
        path = self.path()
        codes = [q.code for q in path]
        if code not in codes:
            return self.first_unanswered()
        index = codes.index(code)
        return path[index + 1] if index + 1 < len(path) else None

    def before(self, code: str | None) -> Question | None:
        path = self.path()
        codes = [q.code for q in path]
        if code is None or code not in codes:
            return path[-1] if path else None
        index = codes.index(code)
        return path[index - 1] if index > 0 else None

    def position(self, question: Question) -> str:
        # This walk's own sections: a six-month report asks only part of a form section.
        code = self.form.section_of[question.code].code
        section = next(s for s in self.sections if s.code == code)
        mine = [s.code for s in self.sections]
        in_section = [q for q in section.questions if self.may_be_asked(q)]
        number = next((i for i, q in enumerate(in_section, 1) if q.code == question.code), 1)
        return texts.position(
            section_number=mine.index(section.code) + 1,
            sections=len(mine),
            question_number=number,
            questions=len(in_section),
        )


class RoundSubmitted(Protocol):
    def __call__(
        self, session: AsyncSession, round_id: int, person_id: int, /
    ) -> Awaitable[None]: ...


class Questionnaire:
    """Drives walks through one form."""

    def __init__(
        self,
        form: Form | Mapping[str, Form],
        *,
        on_round_submitted: RoundSubmitted | None = None,
        today: Callable[[], date] | None = None,
        kind_names: Mapping[str, str] | None = None,
    ) -> None:
        # Each report kind's form by its code; one form alone is CCHC's (the kind of every
        # round before report kinds).
        self.forms: dict[str, Form] = (
            {DEFAULT_REPORT_KIND: form} if isinstance(form, Form) else dict(form)
        )
        # What people call each kind ("CCHC", "TTHC"), when they must choose between them.
        self.kind_names = dict(kind_names or {})
        # The approval workflow: told, in the same transaction, that a round is complete.
        self.on_round_submitted = on_round_submitted
        # The day in the units' time zone, for dates typed in the future.
        self.today = today or date.today
        # Last quarters' figures, checked on every answer typed, read once a minute.
        self.histories = HistoryMemo()

    @property
    def form(self) -> Form:
        """The form of the only kind, for callers that serve one report (tests, the CLI)."""
        if len(self.forms) != 1:
            raise ValueError("several report kinds: ask form_of(kind)")
        return next(iter(self.forms.values()))

    def form_of(self, report_kind: str) -> Form:
        """The form a round of this kind is answered with; KeyError for a kind not loaded."""
        return self.forms[report_kind]

    # ----- entry points -------------------------------------------------------------------

    async def begin(
        self, session: AsyncSession, *, person: Person, report_kind: str | None = None
    ) -> Reply:
        """/baocao: start or continue the person's part for the open period. With work left in
        rounds of several report kinds, the person chooses which ("/baocao tthc")."""
        rounds = self._served(await editable_rounds(session=session, person_id=person.id))
        if report_kind is not None:
            report_kind = report_kind.strip().lower()
            if report_kind not in self.forms:  # never echoed: it may be anything typed
                return _say(texts.unknown_report(sorted(self.forms)))
            rounds = [context for context in rounds if context.round.kind == report_kind]
            if not rounds:
                return _say(texts.no_open_report(self.kind_name(report_kind)))
        elif len({context.round.kind for context in rounds}) > 1:
            # Only then: a person with one report open is never asked which.
            waiting = await self._kinds_with_work(session, person, rounds)
            if len(waiting) > 1:
                return _say(texts.choose_report(waiting))
        context = await self._round_to_work_on(session, person, rounds) if rounds else None
        if context is None:
            if not rounds and not await answering_roles(session=session, person_id=person.id):
                return _say(texts.NOT_AN_ANSWERER)
            # Nothing open for them (or only a report of another kind, which others answer):
            # the report they answered for may be approved; say where it is.
            approved = await self._approved_for(session, person)
            if approved is not None:
                return _say(approved_status(approved, self.kind_name(approved.round.kind)))
            # No state either way: their messages stay free.
            return _say(texts.NO_SECTIONS_ASSIGNED if rounds else texts.NO_OPEN_ROUND)
        state = await get_state(
            session=session, round_id=context.round.id, person_id=person.id, create=True
        )
        assert state is not None
        walk = await self._load(session, context, person, state)
        intro = None
        if state.step == 0:
            intro = texts.walk_intro(
                subject=self.form_of(context.round.kind).title,
                period=context.period,
                unit=context.unit,
                section_titles=[s.title for s in walk.sections],
                questions=sum(len(s.questions) for s in walk.sections),
            )
        if state.status in (WalkStatus.DONE, WalkStatus.REVIEWING) and not self._missing(walk):
            reply = await self._enter_review(session, walk)
        elif self._holding_value(walk):
            reply = self._confirm_prompt(walk)  # a new step: the old buttons stop working
        else:
            question = self._question_at(walk) or walk.first_unanswered()
            reply = await self._ask(session, walk, question)
        if intro is None:
            return reply
        return Reply(
            messages=(OutMessage(intro), *reply.messages),
            state_id=reply.state_id,
            step=reply.step,
            question_code=reply.question_code,
        )

    async def answer_text(
        self,
        session: AsyncSession,
        *,
        person: Person,
        text: str,
        message_order: int | None = None,
        channel: str = ChannelName.TELEGRAM,
    ) -> Reply | None:
        """A typed message; None when the person is not in the middle of a questionnaire.

        `message_order` places the message among the prompts delivered to the person (in
        Telegram, its message id). The text counts only for the prompt that was on the person's
        screen when they typed it; a text typed before the current prompt reached them (its
        reply was slow or lost, and they typed again) changes nothing and is answered with
        where they are. Without it (tests, imports) the text counts for the current question.
        """
        walk_or_reply = await self._active_walk(session, person)
        if walk_or_reply is None or isinstance(walk_or_reply, Reply):
            return walk_or_reply
        walk = walk_or_reply
        state = walk.state
        if message_order is not None:
            seen = shown_before(state, message_order, channel)
            if not self._is_current(walk, seen):
                return await self._not_for_this_prompt(session, walk, text, seen)
        if state.status is WalkStatus.REVIEWING:
            return await self._review_text(session, walk, text)
        question = self._question_at(walk)
        if question is None:
            return await self._ask(session, walk, walk.first_unanswered())
        if state.status is WalkStatus.CONFIRMING and state.pending is not None:
            pending = state.pending
            try:
                typed = parse_answer(question, text)
            except ParseError as exc:
                return self._refuse(walk, exc.message, confirming=True)
            problem = self._problem(walk, question, typed)
            if problem is not None:
                return self._refuse(walk, problem, confirming=True)
            if pending.get("kind") in _CONFIRMED_BY_RETYPING and typed == pending.get("value"):
                return await self._store(session, walk, question, typed)  # typed twice: meant it
            return await self._offer(session, walk, question, typed)
        try:
            value = parse_answer(question, text)
        except ParseError as exc:
            return self._refuse(walk, exc.message)
        return await self._offer(session, walk, question, value)

    async def press(
        self, session: AsyncSession, *, person: Person, state_id: int, step: int, action: str
    ) -> Reply:
        """A button: acted on only if it is this person's, from their latest keyboard."""
        state = await session.get(QuestionnaireState, state_id)
        if state is None or state.person_id != person.id:
            return Reply(alert=texts.NOT_YOUR_BUTTON, accepted=False)
        context = await round_for(session=session, person_id=person.id, round_id=state.round_id)
        if context is None or context.round.kind not in self.forms:
            return Reply(alert=texts.NOT_YOUR_BUTTON, accepted=False)
        if context.round.status not in EDITABLE_STATUSES:
            return Reply(alert=texts.ROUND_CLOSED, accepted=False)
        if action == "submit" and state.status is WalkStatus.DONE:
            # "Gửi báo cáo" pressed again after it went through: its thanks was lost (a fault,
            # a crash after the commit) or the press came twice. It is sent: say so again.
            walk = await self._load(session, context, person, state)
            return await self._submitted_already(session, walk)
        if state.step != step or state.status not in ACTIVE:
            return Reply(alert=texts.OLD_BUTTON, accepted=False)
        walk = await self._load(session, context, person, state)
        return await self._act(session, walk, action)

    async def entered(self, session: AsyncSession, *, person: Person) -> Reply:
        """/xem: everything this person has entered for the open period, section by section."""
        rounds = self._served(await editable_rounds(session=session, person_id=person.id))
        context = await self._round_to_work_on(session, person, rounds)
        if context is None:
            # Nothing open for them: show what was approved, as the chairman signed it.
            approved = await self._approved_for(session, person)
            if approved is not None:
                figures = await approved_figures(
                    session,
                    person,
                    approved,
                    self.kind_name(approved.round.kind),
                    sections_for=self.sections_for,
                )
                return _say(*figures)
            return _say(texts.NOTHING_ENTERED)
        state = await get_state(
            session=session, round_id=context.round.id, person_id=person.id, create=False
        )
        if state is None:
            return _say(texts.NOTHING_ENTERED)
        walk = await self._load(session, context, person, state)
        await self._read_submitted(session, walk)
        messages = [OutMessage(text) for text, _ in self._summary(walk)]
        return Reply(messages=(OutMessage(texts.entered_header(context.period)), *messages))

    async def pause(self, session: AsyncSession, *, person: Person) -> Reply:
        """/huy: stop reading messages as answers; everything entered stays."""
        state = await latest_state(session=session, person_id=person.id)
        if state is None or state.status not in ACTIVE:
            return _say(texts.NOTHING_TO_PAUSE)
        state.status = WalkStatus.PAUSED
        state.pending = None
        self._bump(state)
        await session.flush()
        return _say(texts.PAUSED)

    async def current_prompt(self, session: AsyncSession, *, person: Person) -> Reply | None:
        """The question the person is on, asked again (after a sticker, a photo, an edit)."""
        walk_or_reply = await self._active_walk(session, person)
        if not isinstance(walk_or_reply, Walk):
            return walk_or_reply
        walk = walk_or_reply
        if walk.state.status is WalkStatus.REVIEWING:
            return await self._enter_review(session, walk)
        if self._holding_value(walk):
            return self._confirm_prompt(walk, bump=False)
        question = self._question_at(walk) or walk.first_unanswered()
        if question is None:  # everything answered (a colleague's answer may have done it)
            return await self._enter_review(session, walk)
        return self._prompt(walk, question, bump=False)

    def _is_current(self, walk: Walk, seen: dict[str, Any] | None) -> bool:
        """Whether the prompt the person saw asks what the walk is on now (the same step, or
        the same question re-asked: a refusal or a confirmation keeps its question)."""
        if seen is None:
            return False
        state = walk.state
        if seen.get("step") == state.step:
            return True
        if state.status is WalkStatus.REVIEWING:
            return False  # only the review itself, at this step, takes review commands
        code = seen.get("question")
        return code is not None and code == state.question_code

    async def _not_for_this_prompt(
        self, session: AsyncSession, walk: Walk, text: str, seen: dict[str, Any] | None
    ) -> Reply:
        """A text typed before the current prompt reached the person: store nothing and say
        what happened to the question they were looking at. The current question follows,
        unless it already reached them (it came after their message: repeating it would
        invite a second answer to it, and then another notice)."""
        code = None if seen is None else seen.get("question")
        question = walk.form.questions.get(code) if isinstance(code, str) else None
        on_screen = prompt_delivered(walk.state)
        if question is not None and question.code in walk.answers:
            stored = walk.value(question.code)
            shown = display(question, stored, short=True)
            try:
                same = parse_answer(question, text) == stored
            except ParseError:
                same = False
            if same:
                note = texts.already_saved(question.title, shown)
            else:
                note = texts.typed_for_earlier_question(question.title, shown, below=not on_screen)
        else:
            note = texts.TYPED_BEFORE_PROMPT if not on_screen else texts.TYPED_BEFORE_LATEST
        if on_screen:
            return _say(note, accepted=False)
        reply = await self.current_prompt(session, person=walk.person)
        if reply is None or not reply.messages:
            return _say(note, accepted=False)
        return _noted(note, reply, accepted=False)

    # ----- loading ------------------------------------------------------------------------

    def kind_name(self, report_kind: str) -> str:
        """What people call a kind: its short name ("TTHC"), else its code in capitals."""
        return self.kind_names.get(report_kind, report_kind.upper())

    async def _kinds_with_work(
        self, session: AsyncSession, person: Person, rounds: list[RoundContext]
    ) -> list[tuple[str, str, ReportingPeriod]]:
        """(kind code, its name, period) of each kind whose round has a section of the
        person's not handed in yet, by kind code."""
        found: dict[str, tuple[str, str, ReportingPeriod]] = {}
        for context in rounds:
            kind = context.round.kind
            if kind in found:
                continue
            assignments = await section_assignments(session=session, unit_id=context.unit.id)
            sections = self.sections_for(
                person.id, context.roles, assignments, context.period.kind, kind
            )
            submitted = await submissions_of(session=session, round_id=context.round.id)
            if any(section.code not in submitted for section in sections):
                found[kind] = (kind, self.kind_name(kind), context.period)
        return [found[kind] for kind in sorted(found)]

    async def _approved_for(self, session: AsyncSession, person: Person) -> ApprovedReport | None:
        """The latest approved report of a kind served here where the person answers."""
        return await approved_for(
            session, person, sections_for=self.sections_for, kinds=list(self.forms)
        )

    def _served(self, rounds: list[RoundContext]) -> list[RoundContext]:
        """The rounds of the report kinds this process serves (a kind taken out of the
        settings leaves its rounds in the database, unanswerable here)."""
        return [context for context in rounds if context.round.kind in self.forms]

    async def _round_to_work_on(
        self, session: AsyncSession, person: Person, rounds: list[RoundContext]
    ) -> RoundContext | None:
        """The first round where the person still has a section to hand in; else the first
        where they have sections at all (to review or change what they handed in)."""
        fallback = None
        for context in rounds:
            assignments = await section_assignments(session=session, unit_id=context.unit.id)
            sections = self.sections_for(
                person.id, context.roles, assignments, context.period.kind, context.round.kind
            )
            if not sections:
                continue
            submitted = await submissions_of(session=session, round_id=context.round.id)
            if any(section.code not in submitted for section in sections):
                return context
            fallback = fallback or context
        return fallback

    async def _active_walk(self, session: AsyncSession, person: Person) -> Walk | Reply | None:
        found = await latest_walk(session=session, person_id=person.id)
        if found is None or found[1].round.kind not in self.forms:
            return None  # no walk, or one of a report this process does not serve
        state, context = found
        if context.round.status not in EDITABLE_STATUSES:
            # Approved or closed: an answer in progress is refused; otherwise nothing to do here.
            return _say(texts.ROUND_CLOSED, accepted=False) if state.status in ACTIVE else None
        if state.status is WalkStatus.PAUSED:
            return _say(texts.PAUSED_HINT, accepted=False)
        if state.status is WalkStatus.DONE:
            return _say(texts.ALREADY_SUBMITTED, accepted=False)
        return await self._load(session, context, person, state)

    async def _load(
        self,
        session: AsyncSession,
        context: RoundContext,
        person: Person,
        state: QuestionnaireState,
    ) -> Walk:
        form = self.form_of(context.round.kind)
        assignments = context.assignments
        if assignments is None:
            assignments = await section_assignments(session=session, unit_id=context.unit.id)
        sections = self.sections_for(
            person.id, context.roles, assignments, context.period.kind, context.round.kind
        )
        codes = [q.code for s in sections for q in s.questions]
        window_texts: dict[str, list[tuple[str, str]]] = {}
        quarterly = context.period.kind is PeriodKind.QUARTER
        if not quarterly:
            # The narrative of a six-month or annual report is asked afresh; what each quarter
            # of the window said is offered to pick from.
            quarters = await window_figures(
                session=session,
                unit_id=context.unit.id,
                code=context.period.code,
                report_kind=context.round.kind,
            )
            for code in codes:
                for quarter in quarters:
                    text = quarter.answers.get(code)
                    if isinstance(text, str) and text.strip():
                        window_texts.setdefault(code, []).append((quarter.code, text))
        past = await self.histories.history(
            session=session,
            unit_id=context.unit.id,
            before=context.period,
            codes=codes,
            report_kind=context.round.kind,
            # A quarter's figures are checked against the last quarter's.
            previous_period=previous_code(context.period.code) if quarterly else None,
        )
        earlier_rows = past.earlier
        earlier = {code: (period.code, value) for code, (period, value) in earlier_rows.items()}
        from_other_years = {
            q.code
            for q in form.questions.values()
            if q.carry_over
            and q.code in earlier_rows
            and earlier_rows[q.code][0].year != context.period.year
        }
        for code in from_other_years:  # plans are yearly: last year's is not this year's
            earlier.pop(code, None)
        return Walk(
            form=form,
            context=context,
            person=person,
            state=state,
            sections=sections,
            answers=(
                context.answers
                if context.answers is not None
                else await answers_of(session=session, round_id=context.round.id)
            ),
            previous=past.previous,
            earlier=earlier,
            window_texts=window_texts,
        )

    def sections_for(
        self,
        person_id: int,
        roles: frozenset[Any],
        assignments: dict[str, set[int]],
        period_kind: str = PeriodKind.QUARTER,
        report_kind: str = DEFAULT_REPORT_KIND,
    ) -> list[Section]:
        """Sections of the kind's form named for this person in the commune; without any named
        (in any kind's form), those of their role that the commune has not given to someone
        else. A person named for another kind's sections only (the one-stop desk's officer)
        answers only those. Of a six-month or annual report only the narrative is asked."""
        form = self.form_of(report_kind)
        asked = form.asked_in(period_kind)
        if any(person_id in people for people in assignments.values()):
            named = {s.code for s in form.sections if person_id in assignments.get(s.code, ())}
            return [s for s in asked if s.code in named]
        role_values = {str(role) for role in roles}
        return [
            s
            for s in asked
            if s.code not in assignments and role_values.intersection(s.answered_by)
        ]

    # ----- acting -------------------------------------------------------------------------

    async def _act(self, session: AsyncSession, walk: Walk, action: str) -> Reply:
        state = walk.state
        if state.status is WalkStatus.REVIEWING:
            return await self._review_action(session, walk, action)
        question = self._question_at(walk)
        if question is None:
            return Reply(alert=texts.OLD_BUTTON, accepted=False)
        if state.status is WalkStatus.CONFIRMING:
            if action == "ok" and state.pending is not None:
                return await self._store(session, walk, question, state.pending.get("value"))
            if action in ("retype", "back"):
                return await self._ask(session, walk, question)
            return Reply(alert=texts.OLD_BUTTON, accepted=False)
        if action == "back":
            previous = walk.before(question.code)
            if previous is None:
                return Reply(alert=texts.FIRST_QUESTION, accepted=False)
            return await self._ask(session, walk, previous)
        value, known = self._button_value(walk, question, action)
        if not known:
            return Reply(alert=texts.OLD_BUTTON, accepted=False)
        if question.answer_type.takes_suggestions and action.startswith("opt:"):
            # "Dùng mẫu 1" uses it: the saved note shows the whole text, and to change it the
            # officer goes back, copies and edits it. (A second "use this" step let a typed
            # next answer replace the narrative.)
            walk.saving_sample = True
            return await self._offer(session, walk, question, value)
        if action == "keepcur":
            return await self._store(session, walk, question, value)
        return await self._offer(session, walk, question, value)

    def _button_value(self, walk: Walk, question: Question, action: str) -> tuple[Any, bool]:
        """The value a button stands for, and whether this button exists on this question."""
        if action == "skip" and not question.required:
            return None, True
        if action == "keepcur" and question.code in walk.answers:
            return walk.value(question.code), True
        if action == "keep" and question.carry_over and question.code in walk.earlier:
            return walk.earlier[question.code][1], True
        if action.startswith("opt:") and question.answer_type.takes_suggestions:
            index = _index(action)
            options = self._text_options(walk, question)
            if index is not None and 0 <= index < len(options):
                return options[index][1], True
            return None, False
        return question.answer_type.button_value(question, action)

    async def _offer(
        self, session: AsyncSession, walk: Walk, question: Question, value: Any
    ) -> Reply:
        """Check a readable value against the ceiling, the cross-field rules and the history."""
        problem = self._problem(walk, question, value)
        if problem is not None:
            return self._refuse(walk, problem)
        doubt = None
        if self._far_from_history(walk, question, value):
            doubt = "outlier"
        elif self._late_date(walk, value) is not None:
            doubt = "late_date"
        if doubt is not None:
            walk.state.pending = {"kind": doubt, "value": value}
            walk.state.status = WalkStatus.CONFIRMING
            self._bump(walk.state)
            await write_place(session=session, state=walk.state)
            return self._confirm_prompt(walk, bump=False)
        return await self._store(session, walk, question, value)

    def _late_date(self, walk: Walk, value: Any) -> tuple[date, date] | None:
        """The first date in a typed date or document list that is after the report's closing
        day or in the future, with the day it should not pass; None when all are in time."""
        limit = min(walk.context.period.closes_on, self.today())
        for day in _dates_in(value):
            if day > limit:
                return day, limit
        return None

    def _problem(self, walk: Walk, question: Question, value: Any) -> str | None:
        return walk.form.problem_with(question.code, value, walk.values())

    def _far_from_history(self, walk: Walk, question: Question, value: Any) -> bool:
        if not question.history_check or not question.answer_type.is_amount:
            return False
        before = walk.previous.get(question.code)
        if not isinstance(before, int | float) or before <= 0 or not isinstance(value, int):
            return False
        return value > before * HISTORY_RATIO or value < before / HISTORY_RATIO

    async def _store(
        self, session: AsyncSession, walk: Walk, question: Question, value: Any
    ) -> Reply:
        """Keep the answer, then move on: to the next question, or back to the review."""
        state = walk.state
        answer = await save_answer(
            session=session,
            round_id=walk.context.round.id,
            question_code=question.code,
            value=value,
            form_version=walk.form.version,
            person_id=walk.person.id,
            existing=walk.answers.get(question.code),
        )
        walk.answers[question.code] = answer
        self.histories.answer_stored(
            session,
            unit_id=walk.context.unit.id,
            report_kind=walk.context.round.kind,
            period_id=walk.context.period.id,
        )
        state.pending = None
        state.status = WalkStatus.ASKING
        # Changing one answer from the review returns there, unless it made new questions relevant.
        following = walk.first_unanswered() if state.back_to_review else walk.after(question.code)
        if following is None:
            return await self._enter_review(session, walk, saved=question)
        return await self._ask(session, walk, following, saved=question)

    async def _ask(
        self,
        session: AsyncSession,
        walk: Walk,
        question: Question | None,
        *,
        saved: Question | None = None,
    ) -> Reply:
        if question is None:
            return await self._enter_review(session, walk, saved=saved)
        state = walk.state
        state.status = WalkStatus.ASKING
        state.question_code = question.code
        state.pending = None
        self._bump(state)
        await write_place(session=session, state=state)
        reply = self._prompt(walk, question, bump=False)
        if saved is None:
            return reply
        return _noted(self._saved_note(walk, saved), reply)

    def _saved_note(self, walk: Walk, saved: Question) -> str:
        value = walk.value(saved.code)
        if walk.saving_sample:
            return texts.saved_sample(saved.title, display(saved, value))
        return texts.saved(saved.title, display(saved, value, short=True))

    # ----- the review and submission ------------------------------------------------------

    def _missing(self, walk: Walk) -> list[Question]:
        return [q for q in walk.path() if q.code not in walk.answers]

    async def _enter_review(
        self, session: AsyncSession, walk: Walk, *, saved: Question | None = None
    ) -> Reply:
        missing = self._missing(walk)
        if missing:
            return await self._ask(session, walk, missing[0], saved=saved)
        state = walk.state
        state.status = WalkStatus.REVIEWING
        state.question_code = None
        state.pending = None
        state.back_to_review = True
        self._bump(state)
        await write_place(session=session, state=state)
        await self._read_submitted(session, walk)
        messages: list[OutMessage] = []
        if saved is not None:
            messages.append(OutMessage(self._saved_note(walk, saved)))
        for text, numbers in self._summary(walk):
            rows = tuple(
                tuple(Button(f"✏️ {n}", f"edit:{n}") for n in numbers[i : i + 6])
                for i in range(0, len(numbers), 6)
            )
            messages.append(OutMessage(text, rows))
        already = all(s.code in walk.submitted for s in walk.sections)
        messages.append(
            OutMessage(
                texts.review_footer(resubmit=already),
                (
                    (Button(texts.SUBMIT_BUTTON, "submit"),),
                    (Button(texts.BACK_BUTTON, "back"),),
                ),
            )
        )
        return Reply(messages=tuple(messages), state_id=state.id, step=state.step)

    async def _read_submitted(self, session: AsyncSession, walk: Walk) -> None:
        walk.submitted = set(await submissions_of(session=session, round_id=walk.context.round.id))

    def _summary(self, walk: Walk) -> list[tuple[str, list[int]]]:
        """One text per section of the person's, numbering questions across the whole walk."""
        parts: list[tuple[str, list[int]]] = []
        number = 0
        path = {q.code for q in walk.path()}
        for index, section in enumerate(walk.sections, 1):
            lines = [texts.section_heading(index, len(walk.sections), section.title)]
            if section.code in walk.submitted:
                lines[0] += " " + texts.SUBMITTED_MARK
            numbers: list[int] = []
            for question in section.questions:
                if question.code not in path:
                    continue
                number += 1
                numbers.append(number)
                if question.code in walk.answers:
                    shown = display(question, walk.value(question.code), short=True)
                else:
                    shown = texts.NOT_ANSWERED
                lines.append(f"{number}. {question.title}: {shown}")
            parts.append(("\n".join(lines), numbers))
        return parts

    async def _review_text(self, session: AsyncSession, walk: Walk, text: str) -> Reply:
        cleaned = fold(text)
        number = _small_number(cleaned)
        if number is not None and 1 <= number <= len(walk.path()):
            return await self._review_action(session, walk, f"edit:{number}")
        if cleaned in ("gui", "gui bao cao", "nop"):
            return await self._review_action(session, walk, "submit")
        reply = await self._enter_review(session, walk)
        return Reply(
            messages=(OutMessage(texts.REVIEW_HOW), *reply.messages),
            state_id=reply.state_id,
            step=reply.step,
            accepted=False,
            question_code=reply.question_code,
        )

    async def _review_action(self, session: AsyncSession, walk: Walk, action: str) -> Reply:
        if action == "submit":
            return await self._submit(session, walk)
        if action == "back":
            return await self._ask(session, walk, walk.before(None))
        if action.startswith("edit:"):
            index = _index(action)
            path = walk.path()
            if index is None or not 1 <= index <= len(path):
                return Reply(alert=texts.OLD_BUTTON, accepted=False)
            walk.state.back_to_review = True
            return await self._ask(session, walk, path[index - 1])
        return Reply(alert=texts.OLD_BUTTON, accepted=False)

    async def _submitted_already(self, session: AsyncSession, walk: Walk) -> Reply:
        """The thanks for a part handed in, as its submission said it, with what the round
        still waits for now."""
        handed_in = set(await submissions_of(session=session, round_id=walk.context.round.id))
        return self._thanks(walk, handed_in, again=False)

    def _thanks(self, walk: Walk, handed_in: set[str], *, again: bool) -> Reply:
        """The part is handed in (`again`: handed in before, now updated); the sections of the
        round not in `handed_in` are named as still awaited."""
        asked = walk.form.asked_in(walk.context.period.kind)
        return _say(
            texts.submitted(
                kind=self.kind_name(walk.context.round.kind),
                unit=walk.context.unit,
                period=walk.context.period,
                waiting_titles=[s.title for s in asked if s.code not in handed_in],
                again=again,
            )
        )

    async def _submit(self, session: AsyncSession, walk: Walk) -> Reply:
        missing = self._missing(walk)
        if missing:
            return await self._ask(session, walk, missing[0])
        # Two officers may submit at once. Lock the round (PostgreSQL) and write before reading
        # the submissions again (SQLite serialises writers), so exactly one of them sees the
        # round complete.
        round_ = await lock_round(session=session, round_id=walk.context.round.id)
        walk.submitted = set(await submissions_of(session=session, round_id=round_.id))
        newly = [s for s in walk.sections if s.code not in walk.submitted]
        for section in newly:
            session.add(
                SectionSubmission(
                    round_id=round_.id,
                    section_code=section.code,
                    form_version=walk.form.version,
                    submitted_by_person_id=walk.person.id,
                )
            )
            walk.submitted.add(section.code)
        await session.flush()
        walk.submitted = set(await submissions_of(session=session, round_id=round_.id))
        await session.refresh(round_)
        await audit.record(
            session=session,
            action="sections.submitted" if newly else "sections.resubmitted",
            entity_type="round",
            entity_id=round_.id,
            actor_person_id=walk.person.id,
            details={"sections": [s.code for s in walk.sections]},
        )
        asked = walk.form.asked_in(walk.context.period.kind)
        waiting = [s for s in asked if s.code not in walk.submitted]
        if not waiting and round_.status in (RoundStatus.OPEN, RoundStatus.RETURNED):
            round_.status = RoundStatus.SUBMITTED
            await audit.record(
                session=session,
                action="round.submitted",
                entity_type="round",
                entity_id=round_.id,
                actor_person_id=walk.person.id,
            )
        if round_.status is RoundStatus.SUBMITTED and self.on_round_submitted is not None:
            # In this transaction: the round complete and its draft queued, or neither.
            await self.on_round_submitted(session, round_.id, walk.person.id)
        state = walk.state
        state.status = WalkStatus.DONE
        state.question_code = None
        state.pending = None
        state.back_to_review = False
        self._bump(state)
        await session.flush()
        return self._thanks(walk, walk.submitted, again=not newly)

    # ----- prompts ------------------------------------------------------------------------

    def _question_at(self, walk: Walk) -> Question | None:
        code = walk.state.question_code
        if code is None or code not in walk.form.questions:
            return None
        question = walk.form.questions[code]
        if question not in walk.path():
            return None
        return question

    def _holding_value(self, walk: Walk) -> bool:
        """A value waits for confirmation, for a question still on the walk (a colleague's
        answer or a new form may have taken it away)."""
        state = walk.state
        return (
            state.status is WalkStatus.CONFIRMING
            and state.pending is not None
            and self._question_at(walk) is not None
        )

    def _bump(self, state: QuestionnaireState) -> None:
        state.step = (state.step or 0) + 1

    def _refuse(self, walk: Walk, problem: str, *, confirming: bool = False) -> Reply:
        question = self._question_at(walk)
        if confirming:
            prompt = self._confirm_prompt(walk, bump=False)
        else:
            prompt = self._prompt(walk, question, bump=False)
        return _noted(f"⚠️ {problem}", prompt, accepted=False)

    def _prompt(self, walk: Walk, question: Question | None, *, bump: bool) -> Reply:
        state = walk.state
        if bump:
            self._bump(state)
        if question is None:
            return Reply(state_id=state.id, step=state.step)
        lines = [walk.position(question), walk.form.section_of[question.code].title, ""]
        lines.append(question.label)
        if question.hint:
            lines.append(question.hint)
        buttons: list[tuple[Button, ...]] = []
        answer_type = question.answer_type
        lines.extend(answer_type.prompt_lines(question))
        buttons.extend(
            tuple(Button(label, action) for label, action in row)
            for row in answer_type.buttons(question)
        )
        if answer_type.takes_suggestions:
            options = self._text_options(walk, question)
            if options:
                lines.append("")
                lines.append(texts.OPTIONS_HEADER)
                for index, (label, text) in enumerate(options, 1):
                    # Long enough to recognise; the full text comes when it is picked.
                    shown = (
                        text if len(text) <= OPTION_PREVIEW else text[: OPTION_PREVIEW - 1] + "…"
                    )
                    lines.append(f"{index}. {label}{shown}")
                picks = [Button(f"Dùng mẫu {i + 1}", f"opt:{i}") for i in range(len(options))]
                # Four to a row: an annual report offers four quarters' texts and the phrasings.
                buttons.extend(tuple(picks[i : i + 4]) for i in range(0, len(picks), 4))
        previous = walk.previous.get(question.code)
        if previous is not None and answer_type.is_number:
            lines.append(texts.last_period_value(display(question, previous)))
        if question.carry_over and question.code in walk.earlier:
            period_code, value = walk.earlier[question.code]
            shown = display(question, value, short=True)
            lines.append(texts.carried_value(period_code, shown))
            buttons.append((Button(texts.KEEP_EARLIER_BUTTON, "keep"),))
        above: list[OutMessage] = []
        if question.code in walk.answers:
            value = walk.value(question.code)
            shown = display(question, value, short=True)
            if shown != display(question, value):
                # Cut here: the whole answer goes above, alone, so it can be copied and edited.
                above = [OutMessage(part) for part in _chunks(editable(question, value))]
                lines.append(texts.CURRENT_VALUE_ABOVE)
            else:
                lines.append(texts.current_value(shown))
            buttons.append((Button(texts.KEEP_CURRENT_BUTTON, "keepcur"),))
        lines.append(texts.how_to_answer(answer_type.hint(question), required=question.required))
        if not question.required:
            buttons.append((Button(texts.SKIP_BUTTON, "skip"),))
        if walk.before(question.code) is not None:
            buttons.append((Button(texts.BACK_BUTTON, "back"),))
        text = "\n".join(lines)
        return Reply(
            messages=(*above, OutMessage(text, tuple(buttons))),
            state_id=state.id,
            step=state.step,
            question_code=question.code,
        )

    def _confirm_prompt(self, walk: Walk, *, bump: bool = True) -> Reply:
        state = walk.state
        if bump:
            self._bump(state)
        question = self._question_at(walk)
        pending = state.pending or {}
        assert question is not None
        value = pending.get("value")
        if pending.get("kind") == "text":
            text = texts.confirm_text(str(value))
            buttons = (
                (Button(texts.USE_TEXT_BUTTON, "ok"),),
                (Button(texts.BACK_BUTTON, "retype"),),
            )
        elif pending.get("kind") == "late_date":
            late = self._late_date(walk, value)
            day, limit = late if late is not None else (None, None)
            text = texts.confirm_late_date(
                title=question.title,
                day=day,
                limit=limit,
                closes_on=walk.context.period.closes_on,
            )
            buttons = (
                (Button(texts.CONFIRM_DATE_BUTTON, "ok"),),
                (Button(texts.RETYPE_BUTTON, "retype"),),
            )
        else:
            text = texts.confirm_outlier(
                title=question.title,
                value=display(question, value),
                previous=display(question, walk.previous.get(question.code)),
            )
            buttons = (
                (Button(texts.confirm_outlier_button(display(question, value)), "ok"),),
                (Button(texts.RETYPE_BUTTON, "retype"),),
            )
        return Reply(
            messages=(OutMessage(text, buttons),),
            state_id=state.id,
            step=state.step,
            question_code=question.code,
        )

    def _text_options(self, walk: Walk, question: Question) -> list[tuple[str, str]]:
        """The quarters' texts (six-month and annual reports) or last period's, then the
        form's common phrasings."""
        options: list[tuple[str, str]] = []
        in_window = walk.window_texts.get(question.code)
        earlier = walk.earlier.get(question.code)
        if in_window:
            options.extend((texts.earlier_label(code), text) for code, text in in_window)
        elif earlier is not None and isinstance(earlier[1], str):
            options.append((texts.earlier_label(earlier[0]), earlier[1]))
        options.extend(("", phrase) for phrase in question.suggestions)
        return options


class _StoredValues(Mapping[str, Any]):
    """A walk's answers read as code -> stored value, without copying them."""

    def __init__(self, answers: Mapping[str, StoredAnswer]) -> None:
        self._answers = answers

    def __getitem__(self, code: str) -> Any:
        return self._answers[code].value.get("value")

    def __iter__(self) -> Iterator[str]:
        return iter(self._answers)

    def __len__(self) -> int:
        return len(self._answers)


def _noted(note: str, reply: Reply, *, accepted: bool = True) -> Reply:
    """`reply` with a note before it: on its one message, or as a message of its own before
    messages that must stay as they are (an answer shown whole to be copied) or that would
    not fit with it."""
    *above, last = reply.messages
    joined = f"{note}\n\n{last.text}"
    if above or _utf16_length(joined) > TELEGRAM_LIMIT:
        messages = (OutMessage(note), *reply.messages)
    else:
        messages = (OutMessage(joined, last.buttons),)
    return Reply(
        messages=messages,
        state_id=reply.state_id,
        step=reply.step,
        accepted=accepted and reply.accepted,
        question_code=reply.question_code,
    )


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _chunks(text: str) -> list[str]:
    """Messages under Telegram's limit, split at line breaks (a line too long, anywhere)."""
    parts = [[line + "\n"] for line in text.split("\n")]
    return [part.rstrip("\n") for part in pack_messages(parts) if part.strip()]


# Confirmations that typing the same value again also gives ("yes, I meant it").
_CONFIRMED_BY_RETYPING = frozenset({"outlier", "late_date"})


def _dates_in(value: Any) -> Iterator[date]:
    """The dates a stored answer states: a date ("2026-01-08") or the issue dates of documents
    ({"issued_on": ...}, alone or in a list)."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        raw = item.get("issued_on") if isinstance(item, dict) else item
        if isinstance(raw, str):
            try:
                yield date.fromisoformat(raw)
            except ValueError:
                continue


def _index(action: str) -> int | None:
    _, _, number = action.partition(":")
    return _small_number(number)


def _small_number(text: str) -> int | None:
    """A 1-3 digit ASCII number (str.isdigit also accepts digits int() cannot read)."""
    return int(text) if _SMALL_NUMBER.fullmatch(text) else None
