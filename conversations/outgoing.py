"""What the bot sends outside a questionnaire reply: texts and report files, with their buttons.

The same shapes go straight back to the person who acted, or into the outbox as JSON for
someone else, so the sender and the handlers render them one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from storage.models import DEFAULT_REPORT_KIND

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


CompiledPart = Literal["xlsx", "docx", "zip"]


@dataclass(frozen=True)
class CompiledFile:
    """One of a receiving office's compiled files for a period, built when it is sent (so a
    message that waited out quiet hours carries the figures of the moment it goes)."""

    office_id: int
    period_code: str
    part: CompiledPart
    caption: str = ""
    buttons: Keyboard = ()
    report_kind: str = DEFAULT_REPORT_KIND


@dataclass(frozen=True)
class Picture:
    """A picture made for the person who asked (the office's progress chart), sent at once as
    a photo; never queued, so its bytes are carried, not a recipe."""

    data: bytes
    filename: str
    caption: str = ""
    buttons: Keyboard = ()


Item = Text | ReportFile | CompiledFile | Picture


@dataclass(frozen=True)
class Outcome:
    """What the person who acted is told: messages, and a pop-up if they pressed a button."""

    items: tuple[Item, ...] = ()
    alert: str | None = None
    accepted: bool = True  # False: refused; nothing changed
    drop_keyboard: bool = False  # take the pressed message's buttons off
    # The outbox key of a copy of the first text, queued and held back in the same transaction:
    # the handler marks it sent once the reply went, and if the reply never goes, the outbox
    # sends the copy, so what was decided is never left unsaid.
    saved_as: str | None = None

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
    if isinstance(item, Picture):
        raise TypeError("a picture is sent to the person who asked, never queued")
    if isinstance(item, CompiledFile):
        return {
            "compiled": {
                "office_id": item.office_id,
                "period": item.period_code,
                "part": item.part,
                "kind": item.report_kind,
            },
            "caption": item.caption,
            "buttons": buttons,
        }
    return {
        "file": {"draft_id": item.draft_id, "format": item.format, "filename": item.filename},
        "caption": item.caption,
        "buttons": buttons,
    }


def from_payload(payload: dict[str, Any]) -> Item:
    buttons = tuple(
        tuple(Action(label, data) for label, data in row) for row in payload.get("buttons", [])
    )
    compiled = payload.get("compiled")
    if compiled is not None:
        return CompiledFile(
            office_id=int(compiled["office_id"]),
            period_code=compiled["period"],
            part=compiled["part"],
            caption=payload.get("caption", ""),
            buttons=buttons,
            # Rows queued before report kinds were all CCHC's.
            report_kind=compiled.get("kind", DEFAULT_REPORT_KIND),
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
