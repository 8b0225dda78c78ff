"""What the bot sends outside a questionnaire reply: texts and report files, with their buttons.

The same shapes go straight back to the person who acted, or into the outbox as JSON for
someone else, so the sender and the handlers render them one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FileFormat = Literal["docx", "pdf"]


@dataclass(frozen=True)
class Action:
    """A button: its label and the callback data it carries (at most 64 bytes)."""

    label: str
    data: str


Keyboard = tuple[tuple[Action, ...], ...]


@dataclass(frozen=True)
class Text:
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class ReportFile:
    """A stored version of a report, sent as a document; the bytes are read when sending."""

    draft_id: int
    format: FileFormat
    filename: str
    caption: str = ""
    buttons: Keyboard = ()


Item = Text | ReportFile


@dataclass(frozen=True)
class Outcome:
    """What the person who acted is told: messages, and a pop-up if they pressed a button."""

    items: tuple[Item, ...] = ()
    alert: str | None = None
    accepted: bool = True  # False: refused; nothing changed
    drop_keyboard: bool = False  # take the pressed message's buttons off

    @classmethod
    def refused(cls, alert: str) -> Outcome:
        return cls(alert=alert, accepted=False)

    @classmethod
    def say(cls, *texts: str, drop_keyboard: bool = False) -> Outcome:
        return cls(items=tuple(Text(text) for text in texts), drop_keyboard=drop_keyboard)


def to_payload(item: Item) -> dict[str, Any]:
    buttons = [[[action.label, action.data] for action in row] for row in item.buttons]
    if isinstance(item, Text):
        return {"text": item.text, "buttons": buttons}
    return {
        "file": {"draft_id": item.draft_id, "format": item.format, "filename": item.filename},
        "caption": item.caption,
        "buttons": buttons,
    }


def from_payload(payload: dict[str, Any]) -> Item:
    buttons = tuple(
        tuple(Action(label, data) for label, data in row) for row in payload.get("buttons", [])
    )
    file = payload.get("file")
    if file is None:
        return Text(payload["text"], buttons)
    return ReportFile(
        draft_id=int(file["draft_id"]),
        format=file["format"],
        filename=file["filename"],
        caption=payload.get("caption", ""),
        buttons=buttons,
    )
