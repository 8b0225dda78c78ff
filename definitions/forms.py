"""The questionnaire as data: a YAML form file, validated on load, errors named by file and line.

A form is a list of sections, each answered by a role (or by the people a commune assigns to it),
each holding questions in the spirit of XLSForm: code, type, label, hint, `relevant`, constraints
with their messages. The engine (conversations.engine) walks it; nothing here knows Telegram.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from definitions import words
from definitions.question_types import REGISTRY, AnswerType, QuestionType
from definitions.question_types.base import DONE_UNCOUNTED as DONE_UNCOUNTED
from definitions.question_types.base import Combine
from definitions.question_types.base import counted as counted
from definitions.question_types.base import is_done as is_done
from report_kinds import packaged_folder

# DONE_UNCOUNTED, counted and is_done are imported as themselves: the report templates read
# them from the form, as they did before the question types had a package of their own.

DEFAULT_FORM = "report_kinds/cchc/form.yaml"  # the CCHC kind's form, the packaged default
CODE_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
ASSIGNABLE_ROLES = ("officer", "chairman", "vice_chairman", "clerk")


# Sanity ceilings when a question names none: nobody airs 100,000 minutes in a quarter.
DEFAULT_CEILINGS = {
    QuestionType(name): kind.default_ceiling
    for name, kind in REGISTRY.items()
    if kind.default_ceiling is not None
}

Scalar = bool | int | float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """`relevant:` ask only when an earlier answer equals / differs from / exceeds a value."""

    answer: str
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    greater_than: float | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        tests = [self.equals, self.not_equals, self.greater_than]
        if sum(test is not None for test in tests) != 1:
            raise ValueError("give exactly one of equals, not_equals, greater_than")
        return self

    def holds(self, value: Any) -> bool:
        if value is None:
            return False  # an unanswered or skipped question makes nothing relevant
        if self.equals is not None:
            return bool(value == self.equals)
        if self.not_equals is not None:
            return bool(value != self.not_equals)
        assert self.greater_than is not None
        return isinstance(value, int | float) and value > self.greater_than


class Rule(_Strict):
    """A cross-field constraint between numeric answers, with the officer's message."""

    not_more_than: str | None = None  # this answer <= that one (digital items <= all items)
    needs_positive: str | None = None  # this answer > 0 needs that one > 0 (airtime needs airings)
    # This answer (plus `plus`) <= the sum of these: dossiers settled and still in progress
    # cannot outnumber those received. Only "not more than": an equality between typed answers
    # would leave an officer no order in which to correct one of them, since the chat checks
    # one answer at a time.
    not_more_than_sum: tuple[str, ...] = ()
    plus: tuple[str, ...] = ()  # answers added to this one before comparing (not_more_than*)
    message: str

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        kinds = [self.not_more_than, self.needs_positive, self.not_more_than_sum or None]
        if sum(kind is not None for kind in kinds) != 1:
            raise ValueError("give exactly one of not_more_than, needs_positive, not_more_than_sum")
        if self.plus and self.needs_positive is not None:
            raise ValueError("plus applies to not_more_than and not_more_than_sum only")
        return self

    @property
    def other(self) -> str:
        """The answer this one is compared with (the first of a sum)."""
        return self.not_more_than or self.needs_positive or self.not_more_than_sum[0]

    @property
    def others(self) -> tuple[str, ...]:
        """Every other answer the rule reads."""
        single = self.not_more_than or self.needs_positive
        return (*self.plus, *((single,) if single is not None else self.not_more_than_sum))

    def broken_by(self, value: Any, other_value: Any) -> bool:
        if not isinstance(value, int | float) or not isinstance(other_value, int | float):
            return False  # nothing to compare until both are answered
        if self.not_more_than is not None:
            return value > other_value
        return value > 0 and other_value <= 0

    def broken_in(self, code: str, answers: Mapping[str, Any]) -> bool:
        """Whether the rule of question `code` fails among `answers` (code -> stored value);
        nothing is compared until every answer it reads is a figure."""
        if self.needs_positive is not None:
            return self.broken_by(answers.get(code), answers.get(self.needs_positive))
        single = (self.not_more_than,) if self.not_more_than is not None else ()
        right_codes = self.not_more_than_sum or single
        left = [counted(answers.get(c)) for c in (code, *self.plus)]
        right = [counted(answers.get(c)) for c in right_codes]
        if any(value is None for value in (*left, *right)):
            return False
        return sum(v for v in left if v is not None) > sum(v for v in right if v is not None)


class Choice(_Strict):
    value: str = Field(pattern=CODE_PATTERN)
    label: str = Field(min_length=1, max_length=60)
    # How a report says it mid-sentence, when that differs from the button's label.
    phrase: str = Field(default="", max_length=200)

    @property
    def in_sentence(self) -> str:
        return self.phrase or self.label[:1].lower() + self.label[1:]


class Question(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    type: QuestionType
    label: str = Field(min_length=1, max_length=600)  # the question as asked
    short: str = Field(default="", max_length=80)  # its name in reviews and tables
    hint: str = ""
    unit: str = ""  # what is counted, as written after the figure: "chuyên mục", "phút"
    required: bool = True
    relevant: Condition | None = None
    max: int | None = Field(default=None, gt=0)
    rules: tuple[Rule, ...] = ()
    choices: tuple[Choice, ...] = ()
    suggestions: tuple[str, ...] = ()  # common phrasings offered for narrative questions
    carry_over: bool = False  # offer the answer from the unit's previous period to keep
    history_check: bool = True  # numbers far from last quarter's need a confirmation
    # Counts only: the officer may answer "done, not counted" (stored as DONE_UNCOUNTED).
    uncounted: bool = False
    # How quarters make a six-month or annual figure: counts and minutes add up ("sum"); a
    # percentage, a rate such as airings per day, a yes/no or a choice is the latest ("last"),
    # and so is a count of what was still open when the period closed. "first" (counts only):
    # the earliest quarter's, for what was already open when the period began (dossiers carried
    # over from the period before), which summing would count once per quarter.
    # "best" (choices only): the first-listed choice any quarter gave, e.g. a radio station that
    # worked in one quarter of the half year counts as working, so its figures are reported.
    # "union" (multi_choice, document_refs): everything any quarter named, each once.
    combine: Combine | None = None
    # How the communes' figures make the office's total (numbers only): "sum" adds them up,
    # "mean" averages them. Unset: amounts of the period and what was open when it began
    # ("sum", "first") add up; a figure kept from the latest quarter is averaged, as a rate
    # is. A stock kept from the latest quarter (dossiers in progress, staff) says "sum".
    across_communes: Literal["sum", "mean"] | None = None

    @model_validator(mode="after")
    def _fits_type(self) -> Self:
        problem = self.answer_type.problem_in_form(self)
        if problem is not None:
            raise ValueError(problem)
        if self.across_communes is not None and self.answer_type.tally != "figures":
            raise ValueError("across_communes applies to questions answered with a number")
        return self

    @property
    def answer_type(self) -> AnswerType:
        """How answers to this question are read, shown, asked, written and combined."""
        return REGISTRY[self.type]

    @property
    def combined_by(self) -> Combine:
        if self.combine is not None:
            return self.combine
        return self.answer_type.default_combine

    @property
    def is_narrative(self) -> bool:
        """Asked afresh for six-month and annual reports; every other answer is summed or
        carried from the quarters."""
        return self.answer_type.is_narrative

    @property
    def title(self) -> str:
        return self.short or self.label

    @property
    def ceiling(self) -> int | None:
        return self.answer_type.ceiling(self)


class Section(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    # Roles whose holders answer the section unless the commune assigns it to named people.
    answered_by: tuple[Literal["officer", "chairman", "vice_chairman", "clerk"], ...] = ("officer",)
    questions: tuple[Question, ...] = Field(min_length=1)


class Form(_Strict):
    form: str = Field(pattern=CODE_PATTERN)
    version: str = Field(pattern=r"^[0-9A-Za-z._-]{1,32}$")
    title: str
    sections: tuple[Section, ...] = Field(min_length=1)

    @cached_property
    def questions(self) -> dict[str, Question]:
        return {q.code: q for section in self.sections for q in section.questions}

    @cached_property
    def section_of(self) -> dict[str, Section]:
        return {q.code: section for section in self.sections for q in section.questions}

    def asked_in(self, period_kind: str) -> tuple[Section, ...]:
        """The sections officers answer for a period kind: all of them for a quarter; for a
        six-month or annual report only the narrative, since its figures are the quarters'."""
        if period_kind == "quarter":
            return self.sections
        return self._narrative_sections

    @cached_property
    def _narrative_sections(self) -> tuple[Section, ...]:
        sections = []
        for section in self.sections:
            narrative = tuple(q for q in section.questions if q.is_narrative)
            if narrative:
                sections.append(section.model_copy(update={"questions": narrative}))
        return tuple(sections)

    def combine(self, quarters: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """One six-month or annual set of figures from the quarters' answers, oldest first:
        sums where the question adds up, else the earliest or latest given value as its
        `combine:` says. Narrative is not combined (it is asked afresh); a question no quarter
        answered stays absent."""
        combined: dict[str, Any] = {}
        for question in self.questions.values():
            if question.is_narrative:
                continue
            given = [q[question.code] for q in quarters if q.get(question.code) is not None]
            if not given:
                continue
            combined[question.code] = question.answer_type.combine(question, given)
        return combined

    def section(self, code: str) -> Section:
        for section in self.sections:
            if section.code == code:
                return section
        raise KeyError(code)

    def rules_involving(self, code: str) -> Iterator[tuple[Question, Rule]]:
        """Every rule that compares `code` with another answer, from either side."""
        for question in self.questions.values():
            for rule in question.rules:
                if question.code == code or code in rule.others:
                    yield question, rule

    def is_relevant(self, question: Question, answers: Mapping[str, Any]) -> bool:
        """Whether `question` is asked, given `answers` (code -> stored value; absent or None
        is not answered): its condition holds, and the question it reads is asked too."""
        condition = question.relevant
        if condition is None:
            return True
        source = self.questions[condition.answer]
        if not self.is_relevant(source, answers):
            return False
        return condition.holds(answers.get(source.code))

    def problem_with(self, code: str, value: Any, answers: Mapping[str, Any]) -> str | None:
        """Why `value` cannot be the answer to `code` beside the other `answers` (code ->
        stored value), in Vietnamese for the person answering; None when it can.

        The checks the chat makes on a readable answer: a required question is not skipped
        (None), a number stays under its ceiling, and every cross-field rule comparing it with
        another answer (from either side) holds where the rule's question is asked. Whether
        `code` itself is asked is the caller's to know.
        """
        question = self.questions[code]
        if value is None:
            return None if not question.required else words.REQUIRED
        ceiling = question.ceiling
        if ceiling is not None and isinstance(value, int | float) and value > ceiling:
            return words.too_large(value=value, ceiling=ceiling, unit=question.unit)
        candidate = {**answers, code: value}
        for owner, rule in self.rules_involving(code):
            if not self.is_relevant(owner, candidate):
                continue
            if rule.broken_in(owner.code, candidate):
                return rule.message
        return None


class FormError(Exception):
    """The form file is invalid; the message names the file and line."""


@dataclass(frozen=True)
class _Problem:
    path: tuple[str | int, ...]
    message: str


def load_form(path: Path | None = None) -> Form:
    """Read and validate a form file (the packaged default when no path is given)."""
    if path is None:
        source = packaged_folder() / "form.yaml"
        return parse_form(source.read_text(encoding="utf-8"), name=DEFAULT_FORM)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormError(f"{path}: cannot read the form file ({exc})") from exc
    return parse_form(text, name=str(path))


def parse_form(text: str, *, name: str) -> Form:
    try:
        root, data = read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or str(exc)
        raise FormError(f"{where}: not valid YAML ({problem})") from exc
    if not isinstance(data, dict):
        raise FormError(f"{name}:1: a form is a mapping with form, version, title and sections")
    try:
        form = Form.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # A tuple whose items all failed is then also "too short"; that echo names no real fault.
        problems = [
            _Problem(tuple(error["loc"]), _pydantic_message(error))
            for error in errors
            if not (error["type"] == "too_short" and _has_deeper(error["loc"], errors))
        ]
        raise FormError(_describe(problems, root, name)) from exc
    problems = list(_cross_check(form))
    if problems:
        raise FormError(_describe(problems, root, name))
    return form


def read_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse one YAML document once: its node tree (for line numbers) and its plain data.

    Raises `yaml.YAMLError`, also for a key written twice in one mapping.
    """
    if _FastStrictYamlLoader is None:
        return _read_yaml_with(StrictYamlLoader, text)
    try:
        return _read_yaml_with(_FastStrictYamlLoader, text)
    except yaml.YAMLError:
        # libyaml words some problems differently (and places a few on another line); what a
        # person is told about a broken file stays PyYAML's, so it reads the file again.
        return _read_yaml_with(StrictYamlLoader, text)


def _read_yaml_with(loader_class: type[Any], text: str) -> tuple[yaml.Node | None, Any]:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        # What yaml.load does after composing: build plain data (safe tags only) from the nodes.
        data = None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()
    return root, data


def _refuse_repeated_keys(
    loader: yaml.constructor.SafeConstructor, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"the key {key!r} appears twice",
                key_node.start_mark,
            )
        seen.add(key)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


class StrictYamlLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML keeps the last silently)."""

    construct_mapping = _refuse_repeated_keys


# The same on libyaml's parser, where PyYAML was built with it: the pure-Python parser takes ten
# times as long, and a form is read on every start, by every `baocao` command and in many tests.
_FastStrictYamlLoader: type[Any] | None = None
if yaml.__with_libyaml__:

    class _FastStrictYamlLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        construct_mapping = _refuse_repeated_keys


def _has_deeper(loc: Sequence[Any], errors: Sequence[Any]) -> bool:
    return any(
        len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == tuple(loc)
        for other in errors
    )


def _pydantic_message(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    return message


def _cross_check(form: Form) -> Iterator[_Problem]:
    """What the schema alone cannot see: unique codes, and references to earlier questions."""
    seen_sections: set[str] = set()
    seen: dict[str, Question] = {}
    for s_index, section in enumerate(form.sections):
        if section.code in seen_sections:
            yield _Problem(("sections", s_index, "code"), f"section code {section.code!r} repeats")
        seen_sections.add(section.code)
        for q_index, question in enumerate(section.questions):
            at = ("sections", s_index, "questions", q_index)
            if question.code in seen:
                yield _Problem((*at, "code"), f"question code {question.code!r} repeats")
            if question.relevant is not None and question.relevant.answer not in seen:
                yield _Problem(
                    (*at, "relevant", "answer"),
                    f"relevant refers to {question.relevant.answer!r}, "
                    "which is not a question asked before this one",
                )
            for r_index, rule in enumerate(question.rules):
                for code in rule.others:
                    other = form.questions.get(code)
                    if other is None or not other.answer_type.is_number or code == question.code:
                        yield _Problem(
                            (*at, "rules", r_index),
                            f"rule refers to {code!r}, which is not another number question",
                        )
            seen[question.code] = question


def _describe(problems: Sequence[_Problem], root: yaml.Node | None, name: str) -> str:
    lines = []
    for problem in problems:
        line = yaml_line_of(root, problem.path)
        where = ".".join(str(part) for part in problem.path)
        lines.append(f"{name}:{line}: {where}: {problem.message}")
    return "\n".join(lines)


def yaml_line_of(node: yaml.Node | None, path: Sequence[str | int]) -> int:
    """The 1-based line of the deepest YAML node the path reaches."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            break
        if isinstance(part, int):
            line = child.start_mark.line + 1
        node = child
    return line
