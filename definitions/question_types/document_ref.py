"""`document_ref`: one document's number, symbol and date ("03/KH-UBND ngày 08/01/2026")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from definitions import parsing
from definitions.question_types.base import AnswerType, as_items
from wording.documents import DocumentRef as Ref

if TYPE_CHECKING:
    from definitions.forms import Question


class DocumentRef(AnswerType):
    name = "document_ref"
    how_to_answer = "Nhập số, ký hiệu và ngày, ví dụ 03/KH-UBND ngày 08/01/2026."
    example_values = (parsing.parse_document_ref("03/KH-UBND ngày 08/01/2026").to_json(),)

    def parse(self, question: Question, text: str) -> Any:
        return parsing.parse_document_ref(text).to_json()

    def display(self, question: Question, value: Any, *, short: bool = False) -> str:
        return Ref.from_json(value).text()

    def editable(self, question: Question, value: Any) -> str:
        return documents_as_typed(value)


def documents_as_typed(value: Any) -> str:
    """Documents one a line with their issuer and subject, as the officer typed them."""
    return "\n".join(_document_line(item) for item in as_items(value))


def _document_line(item: Any) -> str:
    ref = Ref.from_json(item)
    parts = [ref.text()]
    if ref.issuer:
        parts.append(f"của {ref.issuer}")
    if ref.about:
        parts.append(f"về {ref.about}")
    return " ".join(parts)


def document_text(item: Any) -> str:
    """A document as a list of answers names it: its reference and who issued it."""
    ref = Ref.from_json(item)
    return " ".join(part for part in (ref.text(), ref.issuer and f"của {ref.issuer}") if part)
