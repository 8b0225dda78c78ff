"""`short_text`: one line of free text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from definitions import parsing
from definitions.question_types.base import AnswerType

if TYPE_CHECKING:
    from definitions.forms import Question


class ShortText(AnswerType):
    name = "short_text"
    how_to_answer = "Gõ câu trả lời ngắn."
    example_values = ("Lồng ghép trong các cuộc họp thôn",)

    def parse(self, question: Question, text: str) -> Any:
        return parsing.parse_short_text(text)
