"""`date`: a calendar day, typed day first, stored as ISO ("2026-01-08")."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from definitions import parsing
from definitions.question_types.base import AnswerType

if TYPE_CHECKING:
    from definitions.forms import Question


class Date(AnswerType):
    name = "date"
    how_to_answer = "Nhập ngày theo dạng ngày/tháng/năm, ví dụ 08/01/2026."
    example_values = ("2026-01-08", "2025-12-31")

    def parse(self, question: Question, text: str) -> Any:
        return parsing.parse_date(text).isoformat()

    def display(self, question: Question, value: Any, *, short: bool = False) -> str:
        return datetime.date.fromisoformat(str(value)).strftime("%d/%m/%Y")

    def cell_value(self, question: Question, value: Any) -> Any:
        return datetime.date.fromisoformat(str(value))  # a date cell sorts and filters as one
