"""What every question type answers, and what most of them answer alike.

A type is a stateless object; the question (its choices, unit, ceiling, combine...) comes with
every call, since one type serves many questions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from definitions import words

if TYPE_CHECKING:
    from definitions.forms import Question

# How quarters make a six-month or annual figure (a question's `combine:`).
Combine = Literal["sum", "first", "last", "best", "union"]
# How the communes' answers add up in the office's compiled files: a sum or mean of figures,
# how many said yes, how many picked each choice; None: listed per commune, never totalled.
Tally = Literal["figures", "yes", "choices"]
# How a figure reads in a document; the same words as an annex count's `format:`.
FigureFormat = Literal["count", "minutes", "percent"]
# Rows of (label, action) buttons offered under a question.
ButtonRows = list[tuple[tuple[str, str], ...]]

# The stored value of a count that the officer said was done but not counted ("lồng ghép trong
# các cuộc họp" with no figure): a form of publicity is done with figures, done without, or not.
DONE_UNCOUNTED = "done"

SHORT_DISPLAY = 120
# A button's index: 1-3 ASCII digits (str.isdigit also accepts digits int() cannot read).
_SMALL_NUMBER = re.compile(r"[0-9]{1,3}")


def counted(value: Any) -> int | float | None:
    """The figure of a numeric answer; None when skipped or done without a figure."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def is_done(value: Any) -> bool:
    """Whether a count answer says the thing was done: a figure above zero or DONE_UNCOUNTED."""
    return value == DONE_UNCOUNTED or (counted(value) or 0) > 0


def shorten(text: str, *, short: bool) -> str:
    """A text cut to fit in a list of answers, where it only has to be recognised."""
    if short and len(text) > SHORT_DISPLAY:
        return text[: SHORT_DISPLAY - 1].rstrip() + "…"
    return text


def button_index(action: str) -> int | None:
    """N of a "v:N" button (an index into the buttons offered); None for any other action."""
    prefix, _, number = action.partition(":")
    if prefix != "v" or not _SMALL_NUMBER.fullmatch(number):
        return None
    return int(number)


def as_items(value: Any) -> list[Any]:
    """A list answer's items; an older single value counts as a list of one."""
    return value if isinstance(value, list) else [value]


class AnswerType:
    """How answers to questions of one type are read, shown, asked, checked in a form file,
    written in a spreadsheet cell and combined across quarters.

    Subclasses set `name` and `how_to_answer` and override what differs; the capabilities
    below are what the form checks and the engine ask instead of naming types.
    """

    name: ClassVar[str]  # the `type:` of a form file
    how_to_answer: ClassVar[str]  # under every question of the type, in Vietnamese

    # A figure: compared by rules, bounded by `max`, offered a zero button, shown beside
    # last period's.
    is_number: ClassVar[bool] = False
    # An amount of things done rather than a rate: it adds up across quarters and communes,
    # and one far from last quarter's is confirmed before it is kept.
    is_amount: ClassVar[bool] = False
    has_choices: ClassVar[bool] = False
    allows_uncounted: ClassVar[bool] = False  # may be answered "done, not counted"
    # Offered the form's common phrasings and earlier periods' texts as samples to pick.
    takes_suggestions: ClassVar[bool] = False
    # Asked afresh for six-month and annual reports instead of combined from the quarters.
    is_narrative: ClassVar[bool] = False
    default_ceiling: ClassVar[int | None] = None
    default_combine: ClassVar[Combine] = "last"
    combines: ClassVar[frozenset[Combine]] = frozenset({"last"})  # every `combine:` allowed
    tally: ClassVar[Tally | None] = None
    figure_format: ClassVar[FigureFormat | None] = None

    # What the contract test (tests/definitions/question_types) builds its question and
    # answers from: the fields a minimal question of the type needs besides code, type and
    # label, and stored values such a question may hold.
    example_fields: ClassVar[Mapping[str, Any]] = {}
    example_values: ClassVar[tuple[Any, ...]] = ()

    # ----- reading and showing -------------------------------------------------------------

    def parse(self, question: Question, text: str) -> Any:
        """The JSON-ready value of a typed answer; ParseError (Vietnamese) when unreadable."""
        raise NotImplementedError

    def display(self, question: Question, value: Any, *, short: bool = False) -> str:
        """How a stored (not None) value reads in chat; `short` where it only has to be
        recognised among other answers."""
        return shorten(str(value), short=short)

    def editable(self, question: Question, value: Any) -> str:
        """A stored (not None) value the way it is typed, whole, so that sent back it reads
        as the same answer."""
        return self.display(question, value)

    def hint(self, question: Question) -> str:
        """How to answer, under the question."""
        return self.how_to_answer

    # ----- asking ------------------------------------------------------------------------------

    def buttons(self, question: Question) -> ButtonRows:
        """The answers offered as buttons, as rows of (label, action)."""
        return []

    def prompt_lines(self, question: Question) -> list[str]:
        """Lines the question needs below its label and hint (a numbered list to pick from)."""
        return []

    def button_value(self, question: Question, action: str) -> tuple[Any, bool]:
        """The value one of `buttons` stands for, and whether it is one of them."""
        return None, False

    def ceiling(self, question: Question) -> int | None:
        """The largest believable answer, when there is one."""
        return question.max or self.default_ceiling

    # ----- the form file ---------------------------------------------------------------------

    def problem_in_form(self, question: Question) -> str | None:
        """What a form file's question asks that its type cannot do; None when it fits.

        The message says which types can, read from the registry, so it stays true when a
        type is added.
        """
        if self.has_choices and len(question.choices) < 2:
            return "a choice question needs at least two choices"
        if not self.has_choices and question.choices:
            return "only choice questions have choices"
        if question.uncounted and not self.allows_uncounted:
            return f"uncounted applies to {_types_that('allows_uncounted')} questions"
        if question.combine == "union" and "union" not in self.combines:
            return f"combine: union applies to {_types_combining('union')}"
        if question.rules and not self.is_number:
            return "rules compare numbers; this question is not a number"
        if question.max is not None and not self.is_number:
            return "max applies to numbers only"
        if question.suggestions and not self.takes_suggestions:
            return f"suggestions are for {_types_that('takes_suggestions')} questions"
        if question.combine == "sum" and "sum" not in self.combines:
            return f"only {_types_combining('sum')} questions can be summed"
        if question.combine == "best" and "best" not in self.combines:
            return f"combine: best applies to {_types_combining('best')} questions"
        if question.combine == "first" and "first" not in self.combines:
            return f"combine: first applies to {_types_combining('first')} questions"
        return None

    # ----- the compiled files ----------------------------------------------------------------

    def column_unit(self, question: Question) -> str:
        """What the figures sheet writes after a column's title, in brackets ('' for none)."""
        return question.unit

    def cell_value(self, question: Question, value: Any) -> Any:
        """A stored (not None) value in a spreadsheet cell: figures as numbers, so the
        sheet can add them; anything else as the chat shows it."""
        return self.display(question, value)

    # ----- six-month and annual figures ------------------------------------------------------

    def combine(self, question: Question, given: Sequence[Any]) -> Any:
        """One value from the quarters' (given, oldest first) by the question's `combine:`."""
        return COMBINERS[question.combined_by](question, given)


def _types_that(capability: str) -> str:
    from definitions.question_types import REGISTRY  # the registry imports every type

    return _names(name for name, kind in REGISTRY.items() if getattr(kind, capability))


def _types_combining(combine: Combine) -> str:
    from definitions.question_types import REGISTRY

    return _names(name for name, kind in REGISTRY.items() if combine in kind.combines)


def _names(names: Iterable[str]) -> str:
    """'count', 'count and minutes', 'count, minutes and percent'."""
    listed = list(names)
    if len(listed) <= 1:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} and {listed[-1]}"


def _sum_counts(question: Question, given: Sequence[Any]) -> Any:
    """Quarters' counts added up; done-without-figure quarters add nothing but keep "done" when
    no quarter gave a figure."""
    figures = [counted(value) for value in given]
    total = sum(figure for figure in figures if figure is not None)
    if total == 0 and DONE_UNCOUNTED in given:
        return DONE_UNCOUNTED
    return total


def _union(question: Question, given: Sequence[Any]) -> list[Any]:
    """Every item any quarter named, once, in first-named order."""
    items: dict[Any, Any] = {}
    for value in given:
        for item in as_items(value):
            items.setdefault(_identity(item), item)
    return list(items.values())


def _identity(item: Any) -> Any:
    """A document is the same document whoever typed its issuer; anything else is itself."""
    if isinstance(item, Mapping) and "number" in item and "symbol" in item:
        return ("document", item.get("number"), item.get("symbol"), item.get("year"))
    return item


def _best(question: Question, given: Sequence[Any]) -> Any:
    """The first-listed choice any quarter gave."""
    order = [choice.value for choice in question.choices]
    return min(given, key=lambda v: order.index(v) if v in order else len(order))


def _first(question: Question, given: Sequence[Any]) -> Any:
    """The earliest quarter's value: a stock counted at the start of a period (dossiers carried
    over from the period before) opens the half year or year as it opened its first quarter;
    added up, the stock would be counted once for every quarter it was carried through."""
    return given[0]


def _last(question: Question, given: Sequence[Any]) -> Any:
    return given[-1]


COMBINERS = {"sum": _sum_counts, "first": _first, "union": _union, "best": _best, "last": _last}


class NumberType(AnswerType):
    """A figure typed in digits, with a button for zero."""

    is_number = True
    tally = "figures"

    def buttons(self, question: Question) -> ButtonRows:
        return [((words.ZERO_BUTTON, "zero"),)]

    def button_value(self, question: Question, action: str) -> tuple[Any, bool]:
        if action == "zero":
            return 0, True
        return None, False

    def cell_value(self, question: Question, value: Any) -> Any:
        if counted(value) is not None:
            return value
        return self.display(question, value)


class ChoicesType(AnswerType):
    """Picked from the question's `choices:`."""

    has_choices = True
    tally = "choices"
    example_fields: ClassVar[Mapping[str, Any]] = {
        "choices": [
            {"value": "good", "label": "Tốt"},
            {"value": "fair", "label": "Khá"},
            {"value": "poor", "label": "Chưa tốt"},
        ]
    }

    def labels(self, question: Question) -> dict[str, str]:
        return {choice.value: choice.label for choice in question.choices}

    def pairs(self, question: Question) -> list[tuple[str, str]]:
        """The choices as the parsers take them: (value, label)."""
        return [(choice.value, choice.label) for choice in question.choices]
