"""Replies for a channel without buttons (Zalo): every button becomes words to type.

A reply's buttons are listed under its text with what to type for each: numbers for the
options of a question ("1 — Có", "2 — Không"), words for the rest ("bỏ qua", "quay lại"),
the question numbers for the review. What the person types back is read against the same
list, with or without diacritics, before it is taken as an answer, so nothing needs a button.

Texts are split under the channel's length limit at paragraph, then line, then word breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conversations.engine import Button, OutMessage
from wording.folding import fold

# What to type for the walk's own actions; the first spelling is the one shown.
ACTION_WORDS: dict[str, tuple[str, ...]] = {
    "zero": ("0", "không có"),
    "skip": ("bỏ qua",),
    "back": ("quay lại",),
    "retype": ("nhập lại",),
    "submit": ("gửi", "gửi báo cáo"),
    "ok": ("đồng ý",),
    "keep": ("giữ như kỳ trước",),
    "keepcur": ("giữ nguyên",),
    "done": ("có làm",),
}
_OPTION_ACTION = re.compile(r"^v:(\d+)$")
_EDIT_ACTION = re.compile(r"^edit:(\d+)$")
_SAMPLE_ACTION = re.compile(r"^opt:(\d+)$")
_TRAILING_PUNCTUATION = ".!?,;:…"


@dataclass(frozen=True)
class TypedOption:
    """A button as words: typing any of `words` (or, with `takes_rest`, starting with them and
    adding a text, like "sửa <ý kiến>") acts as pressing it."""

    action: str
    label: str
    words: tuple[str, ...]
    takes_rest: bool = False
    placeholder: str = "nội dung"  # what the rest is, as the person is told to type it

    @property
    def shown(self) -> str:
        return self.words[0]

    @property
    def typed(self) -> str:
        """How the message writes what to type: "SỬA <nội dung>", "SỐ <số>", "duyệt"."""
        return f"{self.shown.upper()} <{self.placeholder}>" if self.takes_rest else self.shown


@dataclass(frozen=True)
class TypedChoice:
    """What a typed text chose: the button's action, and the text after the words if any."""

    action: str
    rest: str = ""


def options_for(
    buttons: Iterable[Iterable[Button]], extra_words: dict[str, tuple[str, ...]] | None = None
) -> list[TypedOption]:
    """The typed form of a message's buttons, in their order.

    `extra_words` gives words for actions this module does not know (the approval's "duyệt",
    "sửa"); an action whose words end with " …" takes the rest of the text, and with
    " …<what>" says what that rest is ("số …<số>" is shown as "SỐ <số>"). A button with no
    words at all is numbered after the options, so nothing is left that only a tap could do.
    """
    known = {**ACTION_WORDS, **(extra_words or {})}
    flat = [button for row in buttons for button in row]
    options: list[TypedOption] = []
    number = 0
    unnamed: list[Button] = []
    for button in flat:
        if _OPTION_ACTION.match(button.action):
            number += 1
            options.append(TypedOption(button.action, button.label, (str(number),)))
        elif match := _EDIT_ACTION.match(button.action):
            options.append(TypedOption(button.action, button.label, (match[1],)))
        elif match := _SAMPLE_ACTION.match(button.action):
            options.append(TypedOption(button.action, button.label, (f"mẫu {int(match[1]) + 1}",)))
        elif button.action in known:
            words = known[button.action]
            rests = [_REST.match(word) for word in words]
            takes_rest = any(rests)
            cleaned = tuple(
                rest[1] if rest else word for word, rest in zip(words, rests, strict=True)
            )
            placeholder = next((rest[2] for rest in rests if rest and rest[2]), "nội dung")
            options.append(
                TypedOption(button.action, button.label, cleaned, takes_rest, placeholder)
            )
        else:
            unnamed.append(button)
    for button in unnamed:
        number += 1
        options.append(TypedOption(button.action, button.label, (str(number),)))
    return options


def render(message: OutMessage, extra_words: dict[str, tuple[str, ...]] | None = None) -> str:
    """The message's text followed by what to type for each of its buttons."""
    options = options_for(message.buttons, extra_words)
    text = _typed_not_pressed(message.text, options)
    if not options:
        return text
    lines = [text, "", "Trả lời bằng cách gõ:"]
    edits = [option for option in options if _EDIT_ACTION.match(option.action)]
    if edits:
        first, last = edits[0].shown, edits[-1].shown
        span = first if first == last else f"{first}–{last}"
        lines.append(f"• số thứ tự câu ({span}) để sửa câu đó")
    for option in options:
        if option in edits:
            continue
        label = _plain_label(option.label)
        if option.shown.isdigit():
            lines.append(f"• {option.shown} — {label}")
            continue
        typed = f"«{option.typed}»"
        same = fold(option.shown) == fold(label)
        lines.append(f"• {typed}" if same else f"• {typed} — {label}")
    return "\n".join(lines)


def read(text: str, options: Sequence[TypedOption]) -> TypedChoice | None:
    """The option a typed text names, or None when it is not one (then it is an answer)."""
    folded = fold(text).rstrip(_TRAILING_PUNCTUATION).strip()
    if not folded:
        return None
    for option in options:
        for word in option.words:
            key = fold(word)
            if folded == key:
                return TypedChoice(option.action)
            if option.takes_rest and folded.startswith(key + " "):
                # The rest as typed, not folded: a comment keeps its diacritics.
                return TypedChoice(option.action, _after_words(text, len(word.split())))
    return None


def split(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, broken where a reader would break it."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = _last_break(window, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _last_break(window: str, limit: int) -> int:
    """Where to cut a text whose first `limit` characters are in `window`: the last paragraph
    break, else line break, else space in the second half; a hard cut when there is none."""
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator, 0, limit + 1)
        if at >= limit // 2:
            return at
    return limit


_PRESS_LABEL = re.compile(r'\b([Bb])ấm (?:nút )?["«]([^"»]+)["»]')
_QUOTED = re.compile(r'["«]([^"»\n]{1,60})["»]')
_PRESS = re.compile(r"\b([Bb])ấm\b")
_REST = re.compile(r"^(.*) …(?:<(.+)>)?$")


def _typed_not_pressed(text: str, options: Sequence[TypedOption]) -> str:
    """The engine's texts say "bấm" (press) for a button: here there is none, so they say what
    to type ("Bấm "Gửi báo cáo"" becomes "Gõ «gửi»")."""
    words = {fold(_plain_label(option.label)): option.typed for option in options}

    def typed(match: re.Match[str]) -> str:
        verb = "Gõ" if match[1] == "B" else "gõ"
        word = words.get(fold(_plain_label(match[2])))
        return f"{verb} «{word}»" if word is not None else f'{verb} "{match[2]}"'

    def quoted(match: re.Match[str]) -> str:
        word = words.get(fold(_plain_label(match[1])))
        return f"«{word}»" if word is not None else match[0]

    text = _PRESS_LABEL.sub(typed, text)
    text = _QUOTED.sub(quoted, text)  # a label named without "bấm" ("hoặc «Yêu cầu sửa»")
    return _PRESS.sub(lambda match: "Gõ" if match[1] == "B" else "gõ", text)


def _plain_label(label: str) -> str:
    """A button label without the emoji that stood in for its look."""
    return re.sub(r"^[^\w«]+", "", label).strip() or label


def _after_words(text: str, count: int) -> str:
    parts = text.strip().split(maxsplit=count)
    return parts[count].strip() if len(parts) > count else ""
