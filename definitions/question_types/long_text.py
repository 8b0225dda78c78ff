"""`long_text`: the narrative (strengths, limitations...), typed or picked from samples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from definitions import parsing
from definitions.question_types.base import AnswerType

if TYPE_CHECKING:
    from definitions.forms import Question


class LongText(AnswerType):
    name = "long_text"
    how_to_answer = "Gõ nội dung, hoặc bấm chọn một mẫu."
    takes_suggestions = True
    is_narrative = True
    example_values = (
        "Công tác tuyên truyền được triển khai đều đặn.\n"
        "- Cán bộ nắm chắc nội dung cải cách hành chính.",
    )

    def parse(self, question: Question, text: str) -> Any:
        return parsing.parse_long_text(text)
