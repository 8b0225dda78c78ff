"""Telegram handlers: they translate updates into calls on storage/ and conversations/."""
