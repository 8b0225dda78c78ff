"""`multi_choice`: several of the question's choices, typed as numbers: "1, 3, 5"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from definitions import parsing
from definitions.question_types.base import ChoicesType, as_items, shorten

if TYPE_CHECKING:
    from definitions.forms import Question


class MultiChoice(ChoicesType):
    name = "multi_choice"
    how_to_answer = "Gõ số thứ tự các mục, cách nhau bằng dấu phẩy, ví dụ 1, 3, 5."
    default_combine = "union"
    combines = frozenset({"last", "union"})
    example_values = (["good"], ["good", "poor"])

    def parse(self, question: Question, text: str) -> Any:
        return parsing.parse_multi_choice(text, self.pairs(question))

    def display(self, question: Question, value: Any, *, short: bool = False) -> str:
        labels = self.labels(question)
        text = "; ".join(labels.get(str(item), str(item)) for item in as_items(value))
        return shorten(text, short=short)

    def editable(self, question: Question, value: Any) -> str:
        numbers = {choice.value: str(i) for i, choice in enumerate(question.choices, 1)}
        return ", ".join(numbers.get(str(item), str(item)) for item in as_items(value))

    def prompt_lines(self, question: Question) -> list[str]:
        # Listed rather than buttons: several are picked in one message.
        return ["", *(f"{i}. {c.label}" for i, c in enumerate(question.choices, 1))]
