"""Shared helpers for handlers: who is writing, and replying safely."""

from __future__ import annotations

from telegram import User

from storage.invitations import TelegramAccount


def account_of(user: User) -> TelegramAccount:
    return TelegramAccount(
        user_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
    )
