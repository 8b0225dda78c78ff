"""Replies without buttons: every button becomes words to type, read back with or without
diacritics, and texts split under a channel's limit."""

from __future__ import annotations

import pytest

from channels.text_only import TypedChoice, options_for, read, render, split
from conversations import texts
from conversations.engine import Button, OutMessage
from definitions import words

YES_NO = OutMessage(
    "Xã có cập nhật chuyên mục CCHC không?",
    (
        (Button("Có", "v:1"), Button("Không", "v:0")),
        (Button(texts.SKIP_BUTTON, "skip"), Button(texts.BACK_BUTTON, "back")),
    ),
)
COUNT = OutMessage(
    "Số buổi phát thanh?",
    ((Button(words.ZERO_BUTTON, "zero"),), (Button(texts.BACK_BUTTON, "back"),)),
)
REVIEW = OutMessage(
    "Phần 1/1\n1. Số buổi: 6\n2. Số tin: 3\n3. Ghi chú: —",
    ((Button("✏️ 1", "edit:1"), Button("✏️ 2", "edit:2"), Button("✏️ 3", "edit:3")),),
)
APPROVAL_WORDS = {"approve": ("duyệt",), "return": ("sửa …",), "view": ("xem số liệu",)}
APPROVAL = OutMessage(
    "Dự thảo báo cáo quý IV/2026",
    (
        (Button(texts.APPROVE_BUTTON, "approve"), Button(texts.RETURN_BUTTON, "return")),
        (Button(texts.VIEW_DATA_BUTTON, "view"),),
    ),
)


def test_choices_are_numbered_and_words_are_quoted() -> None:
    shown = render(YES_NO)

    assert shown.startswith(YES_NO.text)
    assert "• 1 — Có" in shown
    assert "• 2 — Không" in shown
    assert "• «bỏ qua»" in shown
    assert "• «quay lại»" in shown
    assert "◀" not in shown  # a button's look means nothing without the button


@pytest.mark.parametrize(
    ("typed", "action"),
    [
        ("1", "v:1"),
        (" 2 ", "v:0"),
        ("bỏ qua", "skip"),
        ("Bo qua", "skip"),
        ("BỎ QUA.", "skip"),
        ("quay lai", "back"),
    ],
)
def test_typed_words_choose_like_the_button(typed: str, action: str) -> None:
    assert read(typed, options_for(YES_NO.buttons)) == TypedChoice(action)


@pytest.mark.parametrize("typed", ["3", "có lẽ", "bỏ", "quay lại đi", "", "   ", "🙂"])
def test_anything_else_is_not_a_choice(typed: str) -> None:
    # Then it goes to the questionnaire as a typed answer, which refuses or reads it.
    assert read(typed, options_for(YES_NO.buttons)) is None


def test_zero_is_typed_as_a_number_or_as_words() -> None:
    options = options_for(COUNT.buttons)
    assert "• 0 — 0 / Không có" in render(COUNT)
    assert read("0", options) == TypedChoice("zero")
    assert read("Không có", options) == TypedChoice("zero")
    assert read("khong co", options) == TypedChoice("zero")
    assert read("7", options) is None  # a figure, for the questionnaire


def test_review_says_to_type_a_question_number() -> None:
    shown = render(REVIEW)
    options = options_for(REVIEW.buttons)

    assert "• số thứ tự câu (1–3) để sửa câu đó" in shown
    assert read("2", options) == TypedChoice("edit:2")
    assert read("4", options) is None


def test_approval_words_take_a_comment_with_its_diacritics() -> None:
    options = options_for(APPROVAL.buttons, APPROVAL_WORDS)
    shown = render(APPROVAL, APPROVAL_WORDS)

    assert "• «duyệt»\n" in shown
    assert "• «SỬA <nội dung>» — Yêu cầu sửa" in shown
    assert read("DUYỆT", options) == TypedChoice("approve")
    assert read("duyet", options) == TypedChoice("approve")
    assert read("Xem số liệu", options) == TypedChoice("view")
    assert read("SỬA Bổ sung số buổi tuyên truyền", options) == TypedChoice(
        "return", "Bổ sung số buổi tuyên truyền"
    )
    assert read("sua   Thiếu số liệu quý", options) == TypedChoice("return", "Thiếu số liệu quý")


def test_a_button_without_words_gets_a_number() -> None:
    message = OutMessage("Chọn", ((Button("A", "v:0"), Button("Khác", "other")),))
    options = options_for(message.buttons)

    assert read("2", options) == TypedChoice("other")
    assert "• 2 — Khác" in render(message)


def test_sample_texts_are_typed_by_their_number() -> None:
    message = OutMessage("Tình hình chung?", ((Button("Dùng mẫu 1", "opt:0"),),))

    assert read("mau 1", options_for(message.buttons)) == TypedChoice("opt:0")
    assert "«mẫu 1» — Dùng mẫu 1" in render(message)


def test_split_keeps_paragraphs_and_never_exceeds_the_limit() -> None:
    paragraphs = [f"Đoạn {i}: " + "nội dung " * 30 for i in range(20)]
    text = "\n\n".join(paragraphs)

    pieces = split(text, 2000)

    assert all(0 < len(piece) <= 2000 for piece in pieces)
    assert len(pieces) > 1
    assert all(piece.startswith("Đoạn") for piece in pieces)  # cut between paragraphs
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())


def test_split_cuts_a_text_without_breaks_hard() -> None:
    pieces = split("x" * 4500, 2000)
    assert [len(piece) for piece in pieces] == [2000, 2000, 500]


def test_split_of_a_short_text_is_the_text() -> None:
    assert split("Xin chào", 2000) == ["Xin chào"]


def test_press_words_become_type_words() -> None:
    message = OutMessage(
        'Kiểm tra lại. Bấm số câu để sửa; nếu đã đúng, bấm "Gửi báo cáo". Bấm nút "Lạ" nữa.',
        ((Button(texts.SUBMIT_BUTTON, "submit"),),),
    )

    shown = render(message)

    assert shown.startswith('Kiểm tra lại. Gõ số câu để sửa; nếu đã đúng, gõ «gửi». Gõ "Lạ" nữa.')
    assert "bấm" not in shown.lower()
