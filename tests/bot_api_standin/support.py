"""People, chats and keyboards the stand-in's tests share."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot_api_standin import FakeUser

AN = FakeUser(id=111_111, first_name="Nguyễn Văn", last_name="An", username="an_ubnd")
BINH = FakeUser(id=222_222, first_name="Bình")
GROUP_ID = -100_123_456
GROUP: dict[str, Any] = {"id": GROUP_ID, "type": "supergroup", "title": "UBND xã Hòa Bình"}


def approve_keyboard(data: str = "approve:12") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Duyệt", callback_data=data)]])
