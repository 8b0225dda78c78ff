"""`document_refs`: several documents, one a line, with issuer and subject."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from definitions import parsing
from definitions.question_types.base import AnswerType, as_items, shorten
from definitions.question_types.document_ref import document_text, documents_as_typed

if TYPE_CHECKING:
    from definitions.forms import Question


class DocumentRefs(AnswerType):
    name = "document_refs"
    how_to_answer = (
        "Mỗi văn bản một dòng: số, ký hiệu, ngày, cơ quan ban hành, trích yếu, ví dụ "
        "181/KH-UBND ngày 29/12/2025 của UBND tỉnh về tuyên truyền cải cách hành chính."
    )
    default_combine = "union"
    combines = frozenset({"last", "union"})
    example_values = (
        [
            ref.to_json()
            for ref in parsing.parse_document_refs(
                "181/KH-UBND ngày 29/12/2025 của UBND tỉnh về tuyên truyền cải cách hành chính\n"
                "03/KH-UBND ngày 08/01/2026"
            )
        ],
    )

    def parse(self, question: Question, text: str) -> Any:
        return [ref.to_json() for ref in parsing.parse_document_refs(text)]

    def display(self, question: Question, value: Any, *, short: bool = False) -> str:
        return shorten("; ".join(document_text(item) for item in as_items(value)), short=short)

    def editable(self, question: Question, value: Any) -> str:
        return documents_as_typed(value)
