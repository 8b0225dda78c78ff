"""Between typed text, stored JSON values and what an officer reads back: each question's type
(conversations.question_types) knows how; these are the entry points the chat and the reports
call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conversations.forms import Question

SKIPPED = "(bỏ qua)"


def parse_answer(question: Question, text: str) -> Any:
    """The JSON-ready value of a typed answer; ParseError (Vietnamese message) when unreadable."""
    return question.answer_type.parse(question, text)


def group_thousands(number: int) -> str:
    """1500 -> '1.500': a dot groups thousands in Vietnamese."""
    return f"{number:,}".replace(",", ".")


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
