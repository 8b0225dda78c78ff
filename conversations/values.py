"""Between typed text, stored JSON values and what an officer reads back, per question type."""

from __future__ import annotations

from datetime import date
from typing import Any

from conversations import parsing
from conversations.forms import DONE_UNCOUNTED, Question, QuestionType
from conversations.parsing import DocumentRef, ParseError, fold

SHORT_DISPLAY = 120


def parse_answer(question: Question, text: str) -> Any:
    """The JSON-ready value of a typed answer; ParseError (Vietnamese message) when unreadable."""
    kind = question.type
    if kind is QuestionType.COUNT:
        if question.uncounted:
            return _count_or_done(text)
        return parsing.parse_count(text)
    if kind is QuestionType.MINUTES:
        return parsing.parse_minutes(text)
    if kind is QuestionType.PERCENT:
        return parsing.parse_percent(text)
    if kind is QuestionType.YES_NO:
        return parsing.parse_yes_no(text)
    if kind is QuestionType.CHOICE:
        return parsing.parse_choice(text, [(c.value, c.label) for c in question.choices])
    if kind is QuestionType.SHORT_TEXT:
        return parsing.parse_short_text(text)
    if kind is QuestionType.LONG_TEXT:
        return parsing.parse_long_text(text)
    if kind is QuestionType.DATE:
        return parsing.parse_date(text).isoformat()
    if kind is QuestionType.DOCUMENT_REF:
        return parsing.parse_document_ref(text).to_json()
    if kind is QuestionType.MULTI_CHOICE:
        return parsing.parse_multi_choice(text, [(c.value, c.label) for c in question.choices])
    if kind is QuestionType.DOCUMENT_REFS:
        return [ref.to_json() for ref in parsing.parse_document_refs(text)]
    raise ParseError("Câu hỏi này chưa được hỗ trợ.")  # unreachable: the form schema forbids it


# Typed ways of saying "done, but not counted" to a count question that allows it.
_DONE_PREFIXES = ("co lam", "co thuc hien", "co to chuc", "co trien khai", "co tuyen truyen")
_DONE_WORDS = frozenset({"co", "co a", "da lam", "da thuc hien", "co, khong thong ke"})
DONE_TEXT = "Có thực hiện, không thống kê số lượng"


def _count_or_done(text: str) -> int | str:
    try:
        return parsing.parse_count(text)
    except ParseError as exc:
        folded = fold(text).rstrip(" .!")
        # "có", "có lồng ghép trong các cuộc họp": done; a figure after "có" was read above.
        # A figure the count refused ("có khoảng 5 lần") is not waved through as "done".
        says_done = folded in _DONE_WORDS or folded.startswith((*_DONE_PREFIXES, "co "))
        if says_done and not any(ch.isdigit() for ch in folded):
            return DONE_UNCOUNTED
        raise ParseError(f"{exc.message} {_DONE_HINT}") from None


_DONE_HINT = 'Nếu có thực hiện nhưng không thống kê được số lượng, gõ "có".'


def group_thousands(number: int) -> str:
    """1500 -> '1.500': a dot groups thousands in Vietnamese."""
    return f"{number:,}".replace(",", ".")


def display(question: Question, value: Any, *, short: bool = False) -> str:
    """How a stored value reads in chat: '6 chuyên mục', 'Có', '03/KH-UBND ngày 08/01/2024'."""
    if value is None:
        return "(bỏ qua)"
    kind = question.type
    if value == DONE_UNCOUNTED and kind is QuestionType.COUNT:
        return DONE_TEXT
    if kind in (QuestionType.COUNT, QuestionType.MINUTES):
        text = group_thousands(int(value))
        if kind is QuestionType.MINUTES and value >= 60:
            hours, minutes = divmod(int(value), 60)
            spoken = f"{hours} giờ" + (f" {minutes} phút" if minutes else "")
            return f"{text} phút ({spoken})"
        return f"{text} {question.unit}".rstrip()
    if kind is QuestionType.PERCENT:
        return f"{value}%".replace(".", ",")
    if kind is QuestionType.YES_NO:
        return "Có" if value else "Không"
    if kind is QuestionType.CHOICE:
        labels = {choice.value: choice.label for choice in question.choices}
        return labels.get(str(value), str(value))
    if kind is QuestionType.DATE:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    if kind is QuestionType.DOCUMENT_REF:
        return DocumentRef.from_json(value).text()
    if kind is QuestionType.MULTI_CHOICE:
        labels = {choice.value: choice.label for choice in question.choices}
        items = value if isinstance(value, list) else [value]
        text = "; ".join(labels.get(str(item), str(item)) for item in items)
    elif kind is QuestionType.DOCUMENT_REFS:
        items = value if isinstance(value, list) else [value]
        text = "; ".join(_document_text(item) for item in items)
    else:
        text = str(value)
    if short and len(text) > SHORT_DISPLAY:
        return text[: SHORT_DISPLAY - 1].rstrip() + "…"
    return text


def editable(question: Question, value: Any) -> str:
    """A stored answer the way it is typed, whole: copied, edited and sent back, it reads as
    the same answer (documents one a line with their issuer and subject; choices by number)."""
    kind = question.type
    if kind in (QuestionType.DOCUMENT_REF, QuestionType.DOCUMENT_REFS) and value is not None:
        items = value if isinstance(value, list) else [value]
        return "\n".join(_document_line(item) for item in items)
    if kind is QuestionType.MULTI_CHOICE and value is not None:
        numbers = {choice.value: str(i) for i, choice in enumerate(question.choices, 1)}
        items = value if isinstance(value, list) else [value]
        return ", ".join(numbers.get(str(item), str(item)) for item in items)
    return display(question, value)


def _document_line(item: Any) -> str:
    ref = DocumentRef.from_json(item)
    parts = [ref.text()]
    if ref.issuer:
        parts.append(f"của {ref.issuer}")
    if ref.about:
        parts.append(f"về {ref.about}")
    return " ".join(parts)


def _document_text(item: Any) -> str:
    ref = DocumentRef.from_json(item)
    return " ".join(part for part in (ref.text(), ref.issuer and f"của {ref.issuer}") if part)
