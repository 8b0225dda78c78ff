"""Channels: where people are reached (Telegram first, Zalo beside it).

`base` holds what every channel shares (addresses, incoming messages, the four ways a send
fails); `text_only` renders replies for a channel without buttons and reads typed words back;
`telegram` classifies python-telegram-bot's errors; `zalo` is a thin client of Zalo's Bot API.
"""
