"""The few words a form says itself: its buttons for a number and its refusal of a missing or
too large answer. Everything else people read is in conversations/texts.py."""

from __future__ import annotations

REQUIRED = "Câu này bắt buộc, anh/chị vui lòng trả lời."
ZERO_BUTTON = "0 / Không có"
DONE_UNCOUNTED_BUTTON = "Có làm, không thống kê số lượng"


def too_large(*, value: float, ceiling: int, unit: str) -> str:
    return (
        f"Số {value} có vẻ quá lớn (tối đa {ceiling} {unit}".rstrip()
        + "). Anh/chị vui lòng kiểm tra và nhập lại."
    )
