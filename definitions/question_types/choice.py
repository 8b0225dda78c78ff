"""`choice`: one of the question's choices, by button or typed by number or name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from definitions import parsing
from definitions.question_types.base import ButtonRows, ChoicesType, button_index

if TYPE_CHECKING:
    from definitions.forms import Question


class Choice(ChoicesType):
    name = "choice"
    how_to_answer = "Bấm một lựa chọn (hoặc gõ số thứ tự của lựa chọn)."
    combines = frozenset({"last", "best"})
    example_values = ("good", "poor")

    def parse(self, question: Question, text: str) -> Any:
        return parsing.parse_choice(text, self.pairs(question))

    def display(self, question: Question, value: Any, *, short: bool = False) -> str:
        return self.labels(question).get(str(value), str(value))

    def buttons(self, question: Question) -> ButtonRows:
        return [((choice.label, f"v:{i}"),) for i, choice in enumerate(question.choices)]

    def button_value(self, question: Question, action: str) -> tuple[Any, bool]:
        index = button_index(action)
        if index is not None and index < len(question.choices):
            return question.choices[index].value, True
        return None, False
