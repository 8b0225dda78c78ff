"""Text as Telegram sees it: parse modes, entities, limits counted in UTF-16, transcripts."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from bot_api_standin.errors import ApiError

JSONDict = dict[str, Any]

# A command: "/name", optionally addressed to one bot ("/tiendo@baocao_bot"), at the start of
# the text or after whitespace.
_COMMAND_ENTITY_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[JSONDict]:
    """The ``bot_command`` entities Telegram adds to a user's text.

    An entity covers the whole command including a bot's username (``/tiendo@baocao_bot``);
    python-telegram-bot's CommandHandler reacts to the one at offset 0 when the username is absent
    or its own.
    """
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group(0)),
        }
        for match in _COMMAND_ENTITY_RE.finditer(text)
    ]


def _entity_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_HTML_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_HTML_CHAR_REF_RE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|lt|gt|amp|quot);")
_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the plain text
    attributes: dict[str, str]


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Plain text and entities of an HTML-formatted text, rejecting what Telegram rejects."""
    plain: list[str] = []
    position = 0  # UTF-16 offset of the end of `plain`
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    index = 0
    for special in re.finditer(r"[<&]", text):
        if special.start() < index:
            continue  # inside a tag or character reference already consumed
        chunk = text[index : special.start()]
        plain.append(chunk)
        position += utf16_len(chunk)
        index = special.start()
        if text[index] == "&":
            ref = _HTML_CHAR_REF_RE.match(text, index)
            if ref is None:  # Telegram keeps a lone "&" as it is
                plain.append("&")
                position += 1
                index += 1
            else:
                decoded = html.unescape(ref.group(0))
                plain.append(decoded)
                position += utf16_len(decoded)
                index = ref.end()
            continue
        tag = _HTML_TAG_RE.match(text, index)
        if tag is None:
            raise _entity_error(
                f"Unexpected end of name token at byte offset {_byte_offset(text, index)}"
            )
        closing, name, raw_attributes = tag.group(1) == "/", tag.group(2).lower(), tag.group(3)
        if name not in _HTML_ENTITY_TYPES:
            kind = "end" if closing else "start"
            raise _entity_error(
                f'Unsupported {kind} tag "{name}" at byte offset {_byte_offset(text, index)}'
            )
        if not closing:
            attributes = {
                m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
                for m in _HTML_ATTR_RE.finditer(raw_attributes)
            }
            stack.append(_OpenTag(name, position, attributes))
        else:
            if not stack:
                raise _entity_error(
                    f"Unexpected end tag at byte offset {_byte_offset(text, index)}"
                )
            if stack[-1].name != name:
                raise _entity_error(
                    f"Unmatched end tag at byte offset {_byte_offset(text, index)}, "
                    f'expected "</{stack[-1].name}>", found "</{name}>"'
                )
            opened = stack.pop()
            entity = _html_entity(opened, position - opened.start, stack)
            if entity is not None:
                entities.append(entity)
        index = tag.end()
    rest = text[index:]
    plain.append(rest)
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(plain), entities


def _html_entity(opened: _OpenTag, length: int, parents: list[_OpenTag]) -> JSONDict | None:
    """The entity a closed HTML tag produces (None for empty or merged ones)."""
    language = opened.attributes.get("class", "")
    inside_pre = opened.name == "code" and parents and parents[-1].name == "pre"
    if inside_pre and language.startswith("language-"):
        # <pre><code class="language-x"> is one pre entity with a language, not two entities.
        parents[-1].attributes["language"] = language.removeprefix("language-")
        return None
    if length <= 0:
        return None
    entity: JSONDict = {
        "type": _HTML_ENTITY_TYPES[opened.name],
        "offset": opened.start,
        "length": length,
    }
    if opened.name == "a":
        entity["url"] = opened.attributes.get("href", "")
    elif opened.name == "pre" and "language" in opened.attributes:
        entity["language"] = opened.attributes["language"]
    elif opened.name == "blockquote" and "expandable" in opened.attributes:
        entity["type"] = "expandable_blockquote"
    elif opened.name == "tg-emoji":
        entity["custom_emoji_id"] = opened.attributes.get("emoji-id", "")
    return entity


_MARKDOWN_LINK_RE = re.compile(r"\[((?:[^\]\\]|\\.)*)\]\(((?:[^)\\]|\\.)*)\)", re.DOTALL)
_MARKDOWN_V2_RESERVED = frozenset("[]()>#+-=|{}.!")
_MARKDOWN_MARKERS = {"*": "Bold", "_": "Italic", "~": "Strikethrough", "|": "Spoiler"}


def parse_markdown(text: str, *, v2: bool) -> str:
    """Approximate plain text of a Markdown/MarkdownV2 text; entities are not computed.

    Rejects what most often breaks real bots: unescaped reserved characters (MarkdownV2) and
    markers without a closing partner.
    """
    plain: list[str] = []
    counts = dict.fromkeys(_MARKDOWN_MARKERS, 0)
    markers = set(_MARKDOWN_MARKERS) if v2 else {"*", "_"}
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and (v2 or text[index + 1] in "*_`["):
            plain.append(text[index + 1])
            index += 2
        elif char == "`":
            fence = "```" if text.startswith("```", index) else "`"
            end = text.find(fence, index + len(fence))
            if end < 0:
                kind = "Pre" if fence == "```" else "Code"
                raise _entity_error(
                    f"Can't find end of {kind} entity at byte offset {_byte_offset(text, index)}"
                )
            body = text[index + len(fence) : end]
            if fence == "```" and "\n" in body:
                body = body.split("\n", 1)[1]  # the first line names the language
            plain.append(re.sub(r"\\([`\\])", r"\1", body) if v2 else body)
            index = end + len(fence)
        elif char == "[" and (link := _MARKDOWN_LINK_RE.match(text, index)) is not None:
            plain.append(parse_markdown(link.group(1), v2=v2))
            index = link.end()
        elif char in markers:
            counts[char] += 1
            index += 1
        elif char == ">" and v2 and (index == 0 or text[index - 1] == "\n"):
            index += 1  # a block quote marker at the start of a line
        elif v2 and char in _MARKDOWN_V2_RESERVED:
            raise _entity_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            plain.append(char)
            index += 1
    for marker, count in counts.items():
        if count % 2:
            raise _entity_error(f"Can't find end of {_MARKDOWN_MARKERS[marker]} entity")
    return "".join(plain)


def render(text: str, parse_mode: str | None) -> tuple[str, list[JSONDict]]:
    """Plain text and entities of a text sent with `parse_mode`."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("markdownv2", "markdown"):
        return parse_markdown(text, v2=mode == "markdownv2"), []
    if mode:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
    return text, []


def strip_text(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Trim surrounding whitespace like Telegram does, keeping entities aligned."""
    stripped = text.strip()
    if not stripped:
        return "", []
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def describe_content(message: JSONDict) -> str:
    """One-line description of what a message shows, for transcripts."""
    caption = f" — {message['caption']}" if message.get("caption") else ""
    if "text" in message:
        return str(message["text"])
    if "document" in message:
        return f"📎 {message['document'].get('file_name', 'document')}{caption}"
    if "photo" in message:
        largest = message["photo"][-1] if message["photo"] else {}
        size = f" {largest['width']}×{largest['height']}" if "width" in largest else ""
        return f"🖼 photo{size}{caption}"
    if "sticker" in message:
        return f"🏷 sticker {message['sticker'].get('emoji', '')}".rstrip()
    if "voice" in message:
        return f"🎤 voice message ({message['voice'].get('duration', 0)}s){caption}"
    kinds = sorted(set(message) - {"message_id", "from", "chat", "date", "sender_chat"})
    return f"<{', '.join(kinds)}>"


def describe_keyboard(markup: JSONDict | None) -> str | None:
    """Describe an inline or reply keyboard as "⌨ [A] [B] / [C]"; None without one."""
    if not markup:
        return None
    rows = markup.get("inline_keyboard") or markup.get("keyboard")
    if not rows:
        return "⌨ (keyboard removed)" if markup.get("remove_keyboard") else None
    labels = [" ".join(f"[{b['text'] if isinstance(b, dict) else b}]" for b in row) for row in rows]
    return "⌨ " + " / ".join(labels)
