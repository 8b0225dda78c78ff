"""Between typed text, stored JSON values and what an officer reads back: each question's type
(definitions.question_types) knows how; these are the entry points the chat and the reports
call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# What parse_answer raises: whoever reads answers through here (the report templates reading an
# answers file) catches it from here, and needs nothing else of the chat's parsing.
from definitions.parsing import ParseError as ParseError

if TYPE_CHECKING:
    from definitions.forms import Question

SKIPPED = "(bỏ qua)"


def parse_answer(question: Question, text: str) -> Any:
    """The JSON-ready value of a typed answer; ParseError (Vietnamese message) when unreadable."""
    return question.answer_type.parse(question, text)


def display(question: Question, value: Any, *, short: bool = False) -> str:
    """How a stored value reads in chat: '6 chuyên mục', 'Có', '03/KH-UBND ngày 08/01/2024'."""
    if value is None:
        return SKIPPED
    return question.answer_type.display(question, value, short=short)


def editable(question: Question, value: Any) -> str:
    """A stored answer the way it is typed, whole: copied, edited and sent back, it reads as
    the same answer (documents one a line with their issuer and subject; choices by number)."""
    if value is None:
        return display(question, value)
    return question.answer_type.editable(question, value)
