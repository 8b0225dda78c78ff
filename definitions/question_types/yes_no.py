"""`yes_no`: "Có" or "Không", by button or typed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from definitions import parsing
from definitions.question_types.base import AnswerType, ButtonRows, button_index

if TYPE_CHECKING:
    from definitions.forms import Question


class YesNo(AnswerType):
    name = "yes_no"
    how_to_answer = 'Bấm Có hoặc Không (hoặc gõ "có" / "không").'
    tally = "yes"
    example_values = (True, False)

    def parse(self, question: Question, text: str) -> Any:
        return parsing.parse_yes_no(text)

    def display(self, question: Question, value: Any, *, short: bool = False) -> str:
        return "Có" if value else "Không"

    def buttons(self, question: Question) -> ButtonRows:
        return [(("Có", "v:1"), ("Không", "v:0"))]

    def button_value(self, question: Question, action: str) -> tuple[Any, bool]:
        index = button_index(action)
        if index in (0, 1):
            return index == 1, True
        return None, False

    def column_unit(self, question: Question) -> str:
        return "có/không"
