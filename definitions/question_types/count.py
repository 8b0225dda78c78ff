"""`count`: a whole number of things done ("6 chuyên mục"), which may be "done, not counted"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from definitions import parsing, words
from definitions.parsing import ParseError
from definitions.question_types.base import DONE_UNCOUNTED, ButtonRows, NumberType
from wording.folding import fold
from wording.numbers import group_thousands

if TYPE_CHECKING:
    from definitions.forms import Question

DONE_TEXT = "Có thực hiện, không thống kê số lượng"

# Typed ways of saying "done, but not counted" to a count question that allows it.
_DONE_PREFIXES = ("co lam", "co thuc hien", "co to chuc", "co trien khai", "co tuyen truyen")
_DONE_WORDS = frozenset({"co", "co a", "da lam", "da thuc hien", "co, khong thong ke"})
_DONE_HINT = 'Nếu có thực hiện nhưng không thống kê được số lượng, gõ "có".'


class Count(NumberType):
    name = "count"
    how_to_answer = "Nhập một số, ví dụ 6 (nhập 0 nếu không có)."
    is_amount = True
    allows_uncounted = True
    default_ceiling = 100_000
    default_combine = "sum"
    # "first" and "last" for stocks: what was open when a period began, or when it closed.
    combines = frozenset({"sum", "first", "last"})
    figure_format = "count"
    example_fields: ClassVar[Mapping[str, Any]] = {"unit": "chuyên mục", "uncounted": True}
    example_values = (0, 6, 1500, DONE_UNCOUNTED)

    def parse(self, question: Question, text: str) -> Any:
        if question.uncounted:
            return _count_or_done(text)
        return parsing.parse_count(text)

    def display(self, question: Question, value: Any, *, short: bool = False) -> str:
        if value == DONE_UNCOUNTED:
            return DONE_TEXT
        return f"{group_thousands(int(value))} {question.unit}".rstrip()

    def hint(self, question: Question) -> str:
        if not question.uncounted:
            return self.how_to_answer
        return (
            f"{self.how_to_answer} Có làm nhưng không đếm được thì bấm "
            f'"{words.DONE_UNCOUNTED_BUTTON}" (hoặc gõ "có").'
        )

    def buttons(self, question: Question) -> ButtonRows:
        rows = super().buttons(question)
        if question.uncounted:
            rows.append(((words.DONE_UNCOUNTED_BUTTON, "done"),))
        return rows

    def button_value(self, question: Question, action: str) -> tuple[Any, bool]:
        if action == "done" and question.uncounted:
            return DONE_UNCOUNTED, True
        return super().button_value(question, action)


def _count_or_done(text: str) -> int | str:
    try:
        return parsing.parse_count(text)
    except ParseError as exc:
        folded = fold(text).rstrip(" .!")
        # "có", "có lồng ghép trong các cuộc họp": done; a figure after "có" was read above.
        # A figure the count refused ("có khoảng 5 lần") is not waved through as "done".
        says_done = folded in _DONE_WORDS or folded.startswith((*_DONE_PREFIXES, "co "))
        if says_done and not any(ch.isdigit() for ch in folded):
            return DONE_UNCOUNTED
        raise ParseError(f"{exc.message} {_DONE_HINT}") from None
