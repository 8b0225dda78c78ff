"""`minutes`: a duration, typed in minutes or hours ("1 giờ 30"), stored in whole minutes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from definitions import parsing
from definitions.question_types.base import NumberType
from wording.numbers import group_thousands

if TYPE_CHECKING:
    from definitions.forms import Question


class Minutes(NumberType):
    name = "minutes"
    how_to_answer = "Nhập số phút hoặc giờ, ví dụ 90 phút, 1 giờ 30, 1h30."
    is_amount = True
    default_ceiling = 200_000
    default_combine = "sum"
    combines = frozenset({"sum", "last"})
    figure_format = "minutes"
    example_values = (0, 45, 90, 1500)

    def parse(self, question: Question, text: str) -> Any:
        return parsing.parse_minutes(text)

    def display(self, question: Question, value: Any, *, short: bool = False) -> str:
        text = group_thousands(int(value))
        if value >= 60:
            hours, minutes = divmod(int(value), 60)
            spoken = f"{hours} giờ" + (f" {minutes} phút" if minutes else "")
            return f"{text} phút ({spoken})"
        return f"{text} {question.unit}".rstrip()

    def editable(self, question: Question, value: Any) -> str:
        # The hours in brackets that `display` adds are not something the parser reads back.
        return f"{group_thousands(int(value))} phút"

    def column_unit(self, question: Question) -> str:
        return "phút"
