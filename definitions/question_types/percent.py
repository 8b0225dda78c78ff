"""`percent`: a rate from 0 to 100, one decimal place at most ("99,5%")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from definitions import parsing
from definitions.question_types.base import NumberType

if TYPE_CHECKING:
    from definitions.forms import Question


class Percent(NumberType):
    name = "percent"
    how_to_answer = "Nhập tỷ lệ phần trăm, ví dụ 100%."
    figure_format = "percent"
    example_values = (0, 87.5, 100)

    def parse(self, question: Question, text: str) -> Any:
        return parsing.parse_percent(text)

    def display(self, question: Question, value: Any, *, short: bool = False) -> str:
        return f"{value}%".replace(".", ",")

    def ceiling(self, question: Question) -> int | None:
        return 100  # whatever `max:` says: no share is above the whole

    def column_unit(self, question: Question) -> str:
        return "%"
