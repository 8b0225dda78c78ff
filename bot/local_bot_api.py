"""A local stand-in for the Telegram Bot API, for tests and demos.

`LocalBotApi` is an aiohttp HTTP server on 127.0.0.1 that speaks enough of the Bot API for the
real bot (python-telegram-bot, long polling) to run against it unchanged: point the bot's base URL
at ``f"{api.url}/bot"`` and its file URL at ``f"{api.url}/file/bot"``. A test then plays the users
(``send_message``, ``press_button``, ...), and asserts on what the bot did (``messages_to``,
``wait_for_message``, ``calls``, ``transcript``).

The aim is to fail where real Telegram would fail, so that bugs surface in tests instead of in
production: unknown chats, over-long texts, malformed HTML, oversized callback data, editing a
message into itself, answering a callback query twice, flood limits (opt-in), blocked users.
Errors use Telegram's wording, so python-telegram-bot raises the same exception types.

Deliberate approximations (documented here rather than hidden):

* Text lengths are counted in Unicode code points after entity parsing (Vietnamese text is all in
  the Basic Multilingual Plane, where this equals Telegram's count).
* ``parse_mode=HTML`` is parsed for real: supported tags only, balanced, ``&lt;``-style entities;
  the stored message carries the plain text plus ``entities`` like Telegram returns them.
  ``MarkdownV2``/``Markdown`` are parsed approximately: markup characters are removed and
  unescaped reserved characters (MarkdownV2) or unbalanced markers are rejected, but no
  ``entities`` are computed for them.
* Only bot-sent messages can be edited; inline messages (``inline_message_id``) are unknown.
* Flood limits (``set_rate_limits``) apply to ``sendMessage``/``sendDocument`` only.

Out-of-process drivers (a demo running the bot elsewhere) can use a tiny control API:
``POST /_standin/updates`` queues a raw update, ``GET /_standin/requests`` lists recorded calls and
``GET /_standin/transcript`` returns the chat log. ``python -m bot.local_bot_api --port 8081``
runs the server standalone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import html
import itertools
import json
import logging
import math
import mimetypes
import re
import secrets
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from typing import Any

from aiohttp import web

__all__ = ["FakeUser", "LocalBotApi", "PrivateChat", "SentRequest", "UploadedFile"]

_log = logging.getLogger(__name__)

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # bots may upload documents up to 50 MB

# Parameters whose values are JSON-serialised objects/arrays in form-encoded requests.
_JSON_PARAMS = frozenset(
    [
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "message_ids",
        "reaction",
        "reply_markup",
        "reply_parameters",
        "results",
        "scope",
    ]
)
# Parameters that are strings even when they look like numbers or booleans ("/start 1" is text).
_STRING_PARAMS = frozenset(
    [
        "action",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "description",
        "document",
        "emoji",
        "file_id",
        "inline_message_id",
        "language_code",
        "name",
        "parse_mode",
        "photo",
        "secret_token",
        "short_description",
        "sticker",
        "text",
        "thumbnail",
        "title",
        "url",
        "video",
        "video_note",
        "voice",
    ]
)
_JSON_PARAM_ERRORS = {
    "reply_markup": "Bad Request: can't parse reply keyboard markup JSON object",
    "entities": "Bad Request: can't parse entities JSON object",
    "caption_entities": "Bad Request: can't parse entities JSON object",
}
_INT_RE = re.compile(r"-?\d+")
_FLOAT_RE = re.compile(r"-?\d+\.\d*")

# Update kinds Telegram only delivers when explicitly listed in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
# An inline button must carry exactly one of these actions besides its text.
_INLINE_BUTTON_ACTIONS = frozenset(
    [
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    ]
)
_COMMAND_ENTITY_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_TOKEN_RE = re.compile(r"(\d+):[A-Za-z0-9_-]+")

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user whose actions a test scripts."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_dict(self) -> JSONDict:
        """The user as Bot API ``User`` JSON."""
        user: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                user[key] = value
        return user

    def private_chat(self) -> JSONDict:
        """The private chat between this user and the bot (its id is the user's id)."""
        chat: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            chat["last_name"] = self.last_name
        if self.username is not None:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, as it appears in ``SentRequest.params``."""

    field_name: str
    file_name: str | None
    content_type: str
    data: bytes = field(repr=False)

    def summary(self) -> JSONDict:
        """JSON-friendly description (without the bytes) for the control API."""
        return {
            "upload": self.field_name,
            "file_name": self.file_name,
            "content_type": self.content_type,
            "size": len(self.data),
        }


@dataclass
class SentRequest:
    """One Bot API call the bot made, with what the stand-in answered."""

    method: str
    params: JSONDict
    result: Any
    error: tuple[int, str] | None
    at: float  # time.monotonic() when the answer was decided
    content_type: str = ""  # how the parameters arrived, e.g. "application/x-www-form-urlencoded"

    def to_json(self) -> JSONDict:
        return {
            "method": self.method,
            "params": self.params,
            "result": self.result,
            "error": list(self.error) if self.error else None,
            "at": self.at,
            "content_type": self.content_type,
        }


# --------------------------------------------------------------------------------------------
# Internal types
# --------------------------------------------------------------------------------------------


class _ApiError(Exception):
    """An error answer: becomes {"ok": false, "error_code": ..., "description": ...}."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _too_many_requests(retry_after: int) -> _ApiError:
    return _ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    description: str | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class _CallbackQuery:
    query: JSONDict
    answer: JSONDict | None = None


class _Abandoned(Exception):
    """The client went away and nobody will read the answer: record nothing."""


@dataclass
class _Call:
    """Decoded parameters and uploaded files of one API request."""

    params: JSONDict
    files: dict[str, UploadedFile]
    client_gone: Callable[[], bool] = lambda: False


_Handler = Callable[[_Call], Awaitable[Any]]


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[JSONDict]:
    """The ``bot_command`` entity Telegram adds when a text starts with a command."""
    match = _COMMAND_ENTITY_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}]


def _entity_error(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: can't parse entities: {detail}")


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


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
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
        position += _utf16_len(chunk)
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
                position += _utf16_len(decoded)
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


def _parse_markdown(text: str, *, v2: bool) -> str:
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
            plain.append(_parse_markdown(link.group(1), v2=v2))
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


def _render(text: str, parse_mode: str | None) -> tuple[str, list[JSONDict]]:
    """Plain text and entities of a text sent with `parse_mode`."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _parse_html(text)
    if mode in ("markdownv2", "markdown"):
        return _parse_markdown(text, v2=mode == "markdownv2"), []
    if mode:
        raise _ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
    return text, []


def _strip(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Trim surrounding whitespace like Telegram does, keeping entities aligned."""
    stripped = text.strip()
    if not stripped:
        return "", []
    shift = _utf16_len(text[: len(text) - len(text.lstrip())])
    end = _utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def _describe_content(message: JSONDict) -> str:
    """One-line description of what a message shows, for transcripts."""
    caption = f" — {message['caption']}" if message.get("caption") else ""
    if "text" in message:
        return str(message["text"])
    if "document" in message:
        return f"📎 {message['document'].get('file_name', 'document')}{caption}"
    if "photo" in message:
        return f"🖼 photo{caption}"
    if "sticker" in message:
        return f"🏷 sticker {message['sticker'].get('emoji', '')}".rstrip()
    if "voice" in message:
        return f"🎤 voice message ({message['voice'].get('duration', 0)}s){caption}"
    kinds = sorted(set(message) - {"message_id", "from", "chat", "date", "sender_chat"})
    return f"<{', '.join(kinds)}>"


def _describe_keyboard(markup: JSONDict | None) -> str | None:
    """Describe an inline or reply keyboard as "⌨ [A] [B] / [C]"; None without one."""
    if not markup:
        return None
    rows = markup.get("inline_keyboard") or markup.get("keyboard")
    if not rows:
        return "⌨ (keyboard removed)" if markup.get("remove_keyboard") else None
    labels = [" ".join(f"[{b['text'] if isinstance(b, dict) else b}]" for b in row) for row in rows]
    return "⌨ " + " / ".join(labels)


def _json_default(value: object) -> object:
    if isinstance(value, UploadedFile):
        return value.summary()
    if isinstance(value, bytes):
        return {"size": len(value)}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_dumps = partial(json.dumps, ensure_ascii=False, default=_json_default)


def _window_wait(sent_at: deque[float], per_second: float, now: float) -> float:
    """Seconds until one more message fits a sliding window of `per_second` messages.

    The window is one second; limits below one per second widen it (0.5/s -> 1 per 2 s).
    """
    window = max(1.0, 1.0 / per_second)
    capacity = max(1, int(per_second * window))
    while sent_at and sent_at[0] <= now - window:
        sent_at.popleft()
    if len(sent_at) < capacity:
        return 0.0
    return sent_at[-capacity] + window - now


def _decode_param(name: str, value: Any) -> Any:
    """A parameter as a Python value.

    python-telegram-bot sends strings as they are and everything else JSON-encoded, so form
    values are decoded by name: JSON objects for known object parameters, numbers and booleans
    for the rest unless the parameter is known to be text.
    """
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise _ApiError(
                400, _JSON_PARAM_ERRORS.get(name, f"Bad Request: can't parse {name} JSON object")
            ) from None
    if name in _STRING_PARAMS:
        return value
    if value in ("true", "false"):
        return value == "true"
    if _INT_RE.fullmatch(value):
        return int(value)
    if _FLOAT_RE.fullmatch(value):
        return float(value)
    return value


def _int_param(params: JSONDict, name: str, default: int | None = None) -> int | None:
    value = params.get(name, default)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _ApiError(400, f"Bad Request: invalid {name} specified")


def _error_body(code: int, description: str, parameters: JSONDict | None = None) -> JSONDict:
    body: JSONDict = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def _update_kind(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "unknown")


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class LocalBotApi:
    """An in-process Telegram Bot API stand-in; see the module docstring."""

    def __init__(
        self,
        *,
        token: str = "123456789:STANDIN-token-for-tests-only",
        bot_username: str = "baocao_standin_bot",
        bot_first_name: str = "Baocao",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        token_match = _TOKEN_RE.fullmatch(token)
        if token_match is None:
            raise ValueError(f"not a bot token: {token!r} (expected '<digits>:<secret>')")
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bot_id = int(token_match.group(1))
        self.host = host
        self.port = port

        self.requests: list[SentRequest] = []
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._closing = False
        # Replaced on every state change; waiters re-check their condition when it fires.
        self._changed = asyncio.Event()

        self._updates: list[JSONDict] = []  # queued until confirmed by a getUpdates offset
        self._update_ids = itertools.count(1)
        self._last_update_id = 0
        self._allowed_updates: set[str] | None = None  # None = Telegram's default set
        self._poll_generation = 0
        self._polls_started = 0
        self._webhook_url = ""

        self._chats: dict[int, JSONDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}  # every live message by chat/id
        self._bot_message_keys: set[tuple[int, int]] = set()
        self._sent: dict[int, list[JSONDict]] = {}  # bot messages per chat, in order
        self._deleted: set[tuple[int, int]] = set()
        self._callback_queries: dict[str, _CallbackQuery] = {}
        self._callback_ids = itertools.count(4_400_000_000_000_000_001)
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._transcript: list[str] = []

        self._faults: dict[str, deque[_Fault]] = {}
        self._delays: dict[str | None, float] = {}
        self._blocked: set[int] = set()
        self._global_per_second: float | None = None
        self._chat_per_second: float | None = None
        self._global_sends: deque[float] = deque()
        self._chat_sends: dict[int, deque[float]] = {}

        self._handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._true,
            "setMyShortDescription": self._true,
            "setChatMenuButton": self._true,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
        }
        # Telegram matches method names case-insensitively; record them in documented case.
        self._canonical = {name.lower(): name for name in self._handlers}

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Bind and serve; with port 0 the operating system picks a free port."""
        if self._runner is not None:
            raise RuntimeError("LocalBotApi is already running")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_post("/_standin/updates", self._control_post_update)
        app.router.add_get("/_standin/requests", self._control_get_requests)
        app.router.add_get("/_standin/transcript", self._control_get_transcript)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        # No access log (it would go to stderr); a short shutdown timeout because stop() wakes
        # every long poll first, so nothing legitimate is still running by then.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._bound_port = int(runner.addresses[0][1])
        self._closing = False
        _log.debug("Bot API stand-in listening on %s", self.url)

    async def stop(self) -> None:
        """Answer pending long polls and shut the server down."""
        if self._runner is None:
            return
        self._closing = True
        self._bump()
        runner, self._runner = self._runner, None
        await runner.cleanup()
        _log.debug("Bot API stand-in stopped")

    async def __aenter__(self) -> LocalBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The server root, e.g. "http://127.0.0.1:PORT" (what TELEGRAM_API_URL points at)."""
        if self._bound_port is None:
            raise RuntimeError("LocalBotApi has not been started")
        return f"http://{self.host}:{self._bound_port}"

    # ---------------------------------------------------------------- injecting user actions

    def add_private_chat(self, user: FakeUser) -> JSONDict:
        """The user started the bot some time ago: the bot may write to them, no update is made."""
        chat = user.private_chat()
        self._chats[chat["id"]] = chat
        return chat

    def send_message(self, user: FakeUser, text: str, *, chat: JSONDict | None = None) -> JSONDict:
        """Queue a text message from `user` (private chat unless `chat` is given)."""
        content: JSONDict = {"text": text}
        entities = _command_entities(text)
        if entities:  # CommandHandler only reacts to messages with this entity
            content["entities"] = entities
        return self._inject_message(user, chat, content)

    def send_sticker(self, user: FakeUser, *, chat: JSONDict | None = None) -> JSONDict:
        stored = self._store_file(b"RIFF-sticker", "stickers", "sticker.webp", "image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
            "file_size": len(stored.data),
        }
        return self._inject_message(user, chat, {"sticker": sticker})

    def send_photo(
        self, user: FakeUser, *, caption: str | None = None, chat: JSONDict | None = None
    ) -> JSONDict:
        sizes = []
        for width, height in ((90, 67), (320, 240), (1280, 960)):
            stored = self._store_file(b"\xff\xd8fake-jpeg", "photos", "photo.jpg", "image/jpeg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(stored.data),
                }
            )
        content: JSONDict = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._inject_message(user, chat, content)

    def send_voice(self, user: FakeUser, *, chat: JSONDict | None = None) -> JSONDict:
        stored = self._store_file(b"OggS-fake-voice", "voice", "voice.oga", "audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": 3,
            "mime_type": "audio/ogg",
            "file_size": len(stored.data),
        }
        return self._inject_message(user, chat, {"voice": voice})

    def send_document(
        self,
        user: FakeUser,
        data: bytes,
        file_name: str,
        *,
        caption: str | None = None,
        chat: JSONDict | None = None,
    ) -> JSONDict:
        """Queue a document from `user`; the bot can getFile and download it."""
        mime_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self._store_file(data, "documents", file_name, mime_type)
        content: JSONDict = {"document": self._document_json(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._inject_message(user, chat, content)

    def edit_message(
        self, user: FakeUser, message_id: int, new_text: str, *, chat: JSONDict | None = None
    ) -> JSONDict:
        """Queue an ``edited_message`` update: `user` changed one of their earlier messages."""
        chat = chat or user.private_chat()
        key = (chat["id"], message_id)
        message = None if key in self._bot_message_keys else self._messages.get(key)
        if message is None:  # allow forging edits of messages the stand-in never saw
            message = {"message_id": message_id, "from": user.to_dict(), "chat": chat}
            message["date"] = int(time.time())
        message["text"] = new_text
        message.pop("entities", None)
        entities = _command_entities(new_text)
        if entities:
            message["entities"] = entities
        message["edit_date"] = int(time.time())
        return self.inject_update({"edited_message": copy.deepcopy(message)})

    def press_button(self, user: FakeUser, message: JSONDict, data: str) -> JSONDict:
        """Queue a callback query as if `user` pressed an inline button under `message`.

        `data` is deliberately not checked against the keyboard, so tests can forge it.
        """
        chat_id = message["chat"]["id"]
        current = self._messages.get((chat_id, message["message_id"]), message)
        query: JSONDict = {
            "id": str(next(self._callback_ids)),
            "from": user.to_dict(),
            "chat_instance": str(abs(hash((self.bot_id, chat_id)))),
            "message": copy.deepcopy(current),
            "data": data,
        }
        self._callback_queries[query["id"]] = _CallbackQuery(query)
        return self.inject_update({"callback_query": query})

    def channel_post(self, chat: JSONDict, text: str) -> JSONDict:
        """Queue a post in a channel the bot administers."""
        chat = {"type": "channel", **chat}
        self._chats[chat["id"]] = chat
        message: JSONDict = {
            "message_id": self._next_message_id(chat["id"]),
            "sender_chat": chat,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        entities = _command_entities(text)
        if entities:
            message["entities"] = entities
        return self.inject_update({"channel_post": message})

    def inject_update(self, update: JSONDict) -> JSONDict:
        """Queue a raw update (assigning ``update_id`` when missing) and return it."""
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        else:  # keep ids strictly increasing after an explicit one
            self._update_ids = itertools.count(max(update["update_id"], self._last_update_id) + 1)
        self._last_update_id = max(self._last_update_id, update["update_id"])
        self._remember(update)
        self._updates.append(update)
        line = self._describe_update(update)
        if line:
            self._transcript.append(line)
        _log.debug("queued update %s", update["update_id"])
        self._bump()
        return update

    # ---------------------------------------------------------------- observing the bot

    def calls(self, method: str) -> list[SentRequest]:
        """Recorded calls of `method` (case-insensitive), in order."""
        wanted = method.lower()
        return [request for request in self.requests if request.method.lower() == wanted]

    def messages_to(self, chat_id: int) -> list[JSONDict]:
        """Messages the bot sent to `chat_id`, in order; edits update these dicts in place."""
        return list(self._sent.get(chat_id, []))

    def is_deleted(self, message: JSONDict) -> bool:
        """Whether the bot (or anyone) deleted `message` since it was sent."""
        return (message["chat"]["id"], message["message_id"]) in self._deleted

    def callback_answer(self, callback_query_id: str) -> JSONDict | None:
        """The parameters the bot answered a callback query with, None if unanswered."""
        query = self._callback_queries.get(callback_query_id)
        return None if query is None else query.answer

    def my_commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """Commands the bot registered for a scope and language (setMyCommands)."""
        return list(self._commands.get(self._commands_key(scope, language_code), []))

    async def wait_for_message(
        self,
        chat_id: int,
        *,
        after: int = 0,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the public interface
        predicate: Callable[[JSONDict], bool] | None = None,
    ) -> JSONDict:
        """The first message to `chat_id` at index >= `after` matching `predicate`.

        Waits up to `timeout` seconds, then fails with a dump of what the chat received.
        """
        found: list[JSONDict] = []

        def ready() -> bool:
            for message in self._sent.get(chat_id, [])[after:]:
                if predicate is None or predicate(message):
                    found.append(message)
                    return True
            return False

        if await self._wait(ready, timeout):
            return found[0]
        raise AssertionError(self._no_message_report(chat_id, after, timeout, predicate))

    async def wait_for_call(
        self,
        method: str,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the public interface
        predicate: Callable[[SentRequest], bool] | None = None,
        after: int = 0,
    ) -> SentRequest:
        """The first recorded call of `method` at index >= `after` matching `predicate`."""
        found: list[SentRequest] = []

        def ready() -> bool:
            for request in self.calls(method)[after:]:
                if predicate is None or predicate(request):
                    found.append(request)
                    return True
            return False

        if await self._wait(ready, timeout):
            return found[0]
        seen = ", ".join(
            f"{r.method}{' !' + str(r.error[0]) if r.error else ''}" for r in self.requests[-30:]
        )
        raise AssertionError(
            f"no {method} call{' matching the predicate' if predicate else ''} "
            f"(index >= {after}) within {timeout}s; last calls: {seen or 'none'}"
        )

    async def wait_until_polling(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the public interface
    ) -> None:
        """Return once the bot has called getUpdates at least once."""
        if not await self._wait(lambda: self._polls_started > 0, timeout):
            raise AssertionError(f"the bot did not call getUpdates within {timeout}s")

    def document_bytes(self, file_id: str) -> bytes:
        """The content of a file the bot uploaded or a user sent."""
        try:
            return self._files[file_id].data
        except KeyError:
            raise KeyError(f"no file with file_id {file_id!r}") from None

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    def transcript(self) -> list[str]:
        """The conversation so far as readable lines, in order."""
        return list(self._transcript)

    # ---------------------------------------------------------------- faults

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with an error.

        429 carries ``parameters.retry_after`` (default 1 s); 502 answers with an nginx-style HTML
        page like a failing proxy would; anything else is a JSON error with `description`
        (default: the HTTP reason phrase, e.g. "Internal Server Error").
        """
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend(_Fault(status, retry_after, description) for _ in range(times))

    def set_delay(self, method: str | None, seconds: float) -> None:
        """Answer `method` (None: every method) only after `seconds`; 0 removes the delay."""
        key = None if method is None else method.lower()
        if seconds > 0:
            self._delays[key] = seconds
        else:
            self._delays.pop(key, None)

    def block_user(self, user_id: int) -> None:
        """The user blocked the bot: sending to their private chat fails with 403."""
        self._blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def set_rate_limits(
        self,
        *,
        global_per_second: float | None = 30,
        per_chat_per_second: float | None = 1,
    ) -> None:
        """Enforce flood limits on sendMessage/sendDocument (off until called; None = off)."""
        self._global_per_second = global_per_second
        self._chat_per_second = per_chat_per_second
        self._global_sends.clear()
        self._chat_sends.clear()

    # ---------------------------------------------------------------- HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(_error_body(401, "Unauthorized"), status=401)
        raw_method = request.match_info["method"]
        method = self._canonical.get(raw_method.lower(), raw_method)
        content_type = request.content_type if request.body_exists else ""
        try:
            call = await self._read_call(request)
        except _ApiError as error:
            return self._answer_error(method, {}, content_type, error)
        params: JSONDict = {**call.params, **call.files}
        handler = self._handlers.get(method)
        if handler is None:
            return self._answer_error(method, params, content_type, _ApiError(404, "Not Found"))
        if method == "getUpdates":
            self._polls_started += 1
            self._bump()

        delay = self._delays.get(method.lower(), self._delays.get(None, 0.0))
        if delay:
            await self._wait(lambda: self._closing, delay)
        fault = self._take_fault(method)
        if fault is not None:
            return self._answer_fault(method, params, content_type, fault)
        try:
            result = await handler(call)
        except _ApiError as error:
            return self._answer_error(method, params, content_type, error)
        except _Abandoned:
            return web.Response(status=499)  # never read; the status only labels the log
        self._record(
            SentRequest(method, params, copy.deepcopy(result), None, time.monotonic(), content_type)
        )
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _read_call(self, request: web.Request) -> _Call:
        """Merge query string and body parameters (JSON, url-encoded or multipart)."""
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = json.loads(await request.read() or b"{}")
                except ValueError:
                    raise _ApiError(400, "Bad Request: can't parse JSON body") from None
                if not isinstance(body, dict):
                    raise _ApiError(400, "Bad Request: JSON body must be an object")
                raw.update(body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        with value.file:  # a temporary file: close it, or it leaks
                            data = value.file.read()
                        files[name] = UploadedFile(name, value.filename, value.content_type, data)
                    else:
                        raw[name] = value
        params = {name: _decode_param(name, value) for name, value in raw.items()}

        def client_gone() -> bool:
            transport = request.transport
            return transport is None or transport.is_closing()

        return _Call(params, files, client_gone)

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method.lower())
        if not queue:
            return None
        return queue.popleft()

    def _answer_fault(
        self, method: str, params: JSONDict, content_type: str, fault: _Fault
    ) -> web.Response:
        if fault.status == 502:
            self._record(
                SentRequest(
                    method,
                    params,
                    None,
                    (502, fault.description or "Bad Gateway"),
                    time.monotonic(),
                    content_type,
                )
            )
            return web.Response(status=502, text=_BAD_GATEWAY_HTML, content_type="text/html")
        if fault.status == 429:
            retry_after = max(1, fault.retry_after or 1)
            error = _too_many_requests(retry_after)
            if fault.description:
                error.description = fault.description
            return self._answer_error(method, params, content_type, error)
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        error = _ApiError(fault.status, fault.description or phrase)
        return self._answer_error(method, params, content_type, error)

    def _answer_error(
        self, method: str, params: JSONDict, content_type: str, error: _ApiError
    ) -> web.Response:
        self._record(
            SentRequest(
                method,
                params,
                None,
                (error.code, error.description),
                time.monotonic(),
                content_type,
            )
        )
        body = _error_body(error.code, error.description, error.parameters)
        return web.json_response(body, status=error.code, dumps=_dumps)

    def _record(self, request: SentRequest) -> None:
        _log.debug("%s -> %s", request.method, request.error or "ok")
        self.requests.append(request)
        self._bump()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(_error_body(401, "Unauthorized"), status=401)
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(_error_body(404, "Not Found"), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _control_post_update(self, request: web.Request) -> web.Response:
        try:
            update = json.loads(await request.read())
        except ValueError:
            update = None
        if not isinstance(update, dict):
            body = _error_body(400, "Bad Request: the body must be an Update JSON object")
            return web.json_response(body, status=400)
        return web.json_response({"ok": True, "result": self.inject_update(update)}, dumps=_dumps)

    async def _control_get_requests(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        chosen = self.calls(method) if method else self.requests
        result = [sent.to_json() for sent in chosen]
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _control_get_transcript(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": self.transcript()}, dumps=_dumps)

    # ---------------------------------------------------------------- waiting

    def _bump(self) -> None:
        """Wake every waiter so it re-checks its condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, ready: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until `ready()` holds (re-checked on every state change) or `timeout` passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not ready():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            changed = self._changed  # taken right after the check: no change can slip between
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
        return True

    # ---------------------------------------------------------------- state helpers

    def _remember(self, update: JSONDict) -> None:
        """Learn chats and messages from an update so the bot may answer and edit them."""
        for value in update.values():
            if not isinstance(value, dict):
                continue
            message = value.get("message") if "chat" not in value else value
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                chat = message["chat"]
                self._chats[chat["id"]] = chat
                if "message_id" in message:
                    key = (chat["id"], message["message_id"])
                    self._last_message_id[chat["id"]] = max(
                        self._last_message_id.get(chat["id"], 0), message["message_id"]
                    )
                    if key not in self._bot_message_keys:  # a bot message's copy is not news
                        self._messages[key] = message

    def _inject_message(self, user: FakeUser, chat: JSONDict | None, content: JSONDict) -> JSONDict:
        chat = chat or user.private_chat()
        message: JSONDict = {
            "message_id": self._next_message_id(chat["id"]),
            "from": user.to_dict(),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        return self.inject_update({"message": message})

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _new_file(
        self, data: bytes, folder: str, file_name: str | None, mime_type: str | None
    ) -> _StoredFile:
        """A file with Telegram-like ids and path; `_keep_file` makes it retrievable."""
        number = next(self._file_numbers)
        suffix = "." + file_name.rsplit(".", 1)[1] if file_name and "." in file_name else ""
        return _StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:05d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AgAD{number:05d}{secrets.token_urlsafe(4)}",
            data=data,
            file_path=f"{folder}/file_{number}{suffix}",
            file_name=file_name,
            mime_type=mime_type,
        )

    def _keep_file(self, stored: _StoredFile) -> None:
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored

    def _store_file(
        self, data: bytes, folder: str, file_name: str | None, mime_type: str | None
    ) -> _StoredFile:
        stored = self._new_file(data, folder, file_name, mime_type)
        self._keep_file(stored)
        return stored

    @staticmethod
    def _document_json(stored: _StoredFile) -> JSONDict:
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name is not None:
            document["file_name"] = stored.file_name
        if stored.mime_type is not None:
            document["mime_type"] = stored.mime_type
        return document

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat_name(self, chat_id: int) -> str:
        chat = self._chats.get(chat_id)
        if chat is None:
            return str(chat_id)
        if chat.get("type") == "private":
            return " ".join(p for p in (chat.get("first_name"), chat.get("last_name")) if p)
        return str(chat.get("title") or chat.get("username") or chat_id)

    @staticmethod
    def _user_name(user: JSONDict) -> str:
        return " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)

    def _describe_update(self, update: JSONDict) -> str | None:
        kind = _update_kind(update)
        payload = update.get(kind)
        if not isinstance(payload, dict):
            return None
        if kind == "callback_query":
            return f"[{self._user_name(payload.get('from', {}))} ⏎ button] {payload.get('data')}"
        if kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            chat = payload.get("chat", {})
            if kind.endswith("channel_post") or "from" not in payload:
                who = str(chat.get("title") or chat.get("id"))
            else:
                who = self._user_name(payload["from"])
                if chat.get("type") != "private":
                    who += f" in {chat.get('title') or chat.get('id')}"
            arrow = f"✎ #{payload.get('message_id')}" if kind.startswith("edited") else "→ bot"
            return f"[{who} {arrow}] {_describe_content(payload)}"
        return f"[update] {kind}"

    def _log_bot_message(self, symbol: str, message: JSONDict, *, text: bool = True) -> None:
        name = self._chat_name(message["chat"]["id"])
        if text:
            self._transcript.append(f"[bot {symbol} {name}] {_describe_content(message)}")
        keyboard = _describe_keyboard(message.get("reply_markup"))
        if keyboard:
            self._transcript.append(f"[bot {symbol} {name}] {keyboard}")

    def _no_message_report(
        self,
        chat_id: int,
        after: int,
        timeout: float,
        predicate: Callable[[JSONDict], bool] | None,
    ) -> str:
        """Why wait_for_message failed: what the chat did get, and what Telegram refused."""
        condition = " matching the predicate" if predicate else ""
        lines = [
            f"no message to {self._chat_name(chat_id)} ({chat_id}){condition} "
            f"at index >= {after} within {timeout}s."
        ]
        messages = self._sent.get(chat_id, [])
        lines.append(f"The chat received {len(messages)} message(s) from the bot:")
        for index, message in enumerate(messages):
            content = _describe_content(message)
            if len(content) > 200:
                content = content[:200] + "…"
            lines.append(f"  [{index}] #{message['message_id']}: {content}")
        refused = [r for r in self.requests if r.error and r.params.get("chat_id") == chat_id]
        if refused:
            lines.append("Calls for this chat that were refused:")
            lines += [f"  {r.method}: {r.error[0]} {r.error[1]}" for r in refused if r.error]
        return "\n".join(lines)

    def _commands_key(self, scope: JSONDict | None, language_code: str | None) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    # ---------------------------------------------------------------- validation helpers

    def _resolve_chat(self, params: JSONDict) -> JSONDict:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        chat: JSONDict | None = None
        if isinstance(raw, int):
            chat = self._chats.get(raw)
        elif isinstance(raw, str) and raw.startswith("@"):
            wanted = raw[1:].lower()
            chat = next(
                (c for c in self._chats.values() if str(c.get("username", "")).lower() == wanted),
                None,
            )
        if chat is None:
            raise _ApiError(400, "Bad Request: chat not found")
        if chat.get("type") == "private" and chat["id"] in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _formatted(
        self,
        params: JSONDict,
        name: str,
        entities_name: str,
        *,
        limit: int,
        too_long: str,
    ) -> tuple[str, list[JSONDict]]:
        """Plain text and entities of a text/caption parameter, within Telegram's limits."""
        raw = params.get(name)
        if raw is None:
            return "", []
        explicit = params.get(entities_name)
        if explicit is not None:
            if not isinstance(explicit, list):
                raise _ApiError(400, "Bad Request: can't parse entities JSON object")
            text, entities = str(raw), explicit  # entities given: parse_mode is ignored
        else:
            text, entities = _render(str(raw), params.get("parse_mode"))
        text, entities = _strip(text, entities)
        if len(text) > limit:
            raise _ApiError(400, too_long)
        return text, entities

    def _reply_markup(self, params: JSONDict, *, inline_only: bool = False) -> JSONDict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, _JSON_PARAM_ERRORS["reply_markup"])
        rows = markup.get("inline_keyboard")
        if rows is None:
            if inline_only:
                raise _ApiError(400, "Bad Request: inline keyboard expected")
            return markup
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _ApiError(
                400,
                "Bad Request: can't parse inline keyboard button: "
                'field "inline_keyboard" must be an Array of Arrays',
            )
        for button in itertools.chain.from_iterable(rows):
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    'Field "text" must be of type String',
                )
            if not _INLINE_BUTTON_ACTIONS & button.keys():
                raise _ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= (
                    MAX_CALLBACK_DATA_BYTES
                ):
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _reply_target(self, chat: JSONDict, params: JSONDict) -> JSONDict | None:
        reply = params.get("reply_parameters")
        message_id = _int_param(params, "reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        if message_id is None:
            return None
        target = self._messages.get((chat["id"], message_id))
        if target is None and not allow_missing:
            raise _ApiError(400, "Bad Request: message to be replied not found")
        return target

    def _check_rate_limit(self, chat_id: int) -> None:
        now = time.monotonic()
        chat_sends = self._chat_sends.setdefault(chat_id, deque())
        wait = 0.0
        if self._global_per_second:
            wait = max(wait, _window_wait(self._global_sends, self._global_per_second, now))
        if self._chat_per_second:
            wait = max(wait, _window_wait(chat_sends, self._chat_per_second, now))
        if wait > 0:
            raise _too_many_requests(max(1, math.ceil(wait)))
        if self._global_per_second:
            self._global_sends.append(now)
        if self._chat_per_second:
            chat_sends.append(now)

    def _own_message(self, params: JSONDict, missing: str) -> tuple[JSONDict, JSONDict]:
        """The chat and bot-sent message an edit refers to."""
        if params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._resolve_chat(params)
        message_id = _int_param(params, "message_id")
        if message_id is None:
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        key = (chat["id"], message_id)
        message = self._messages.get(key)
        if message is None:
            raise _ApiError(400, missing)
        if key not in self._bot_message_keys:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return chat, message

    def _new_bot_message(
        self,
        chat: JSONDict,
        content: JSONDict,
        markup: JSONDict | None,
        reply_to: JSONDict | None,
    ) -> JSONDict:
        message: JSONDict = {
            "message_id": self._next_message_id(chat["id"]),
            "from": self._bot_user(),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = copy.deepcopy(
                {k: v for k, v in reply_to.items() if k != "reply_to_message"}
            )
        # Telegram only echoes inline keyboards; reply keyboards stay visible in `calls()`.
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        key = (chat["id"], message["message_id"])
        self._messages[key] = message
        self._bot_message_keys.add(key)
        self._sent.setdefault(chat["id"], []).append(message)
        self._log_bot_message("→", {**message, "reply_markup": markup})
        return message

    # ---------------------------------------------------------------- Bot API methods

    async def _true(self, call: _Call) -> bool:
        return True

    async def _get_me(self, call: _Call) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _set_webhook(self, call: _Call) -> bool:
        url = call.params.get("url")
        if not url:
            raise _ApiError(400, "Bad Request: bad webhook: an HTTPS URL must be provided")
        self._webhook_url = str(url)
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _delete_webhook(self, call: _Call) -> bool:
        self._webhook_url = ""
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, call: _Call) -> JSONDict:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, call: _Call) -> list[JSONDict]:
        if self._webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is "
                "active; use deleteWebhook to delete the webhook first",
            )
        offset = _int_param(call.params, "offset")
        limit = min(max(_int_param(call.params, "limit", 100) or 100, 1), 100)
        timeout = call.params.get("timeout", 0)
        if not isinstance(timeout, int | float):
            raise _ApiError(400, "Bad Request: invalid timeout specified")
        allowed = call.params.get("allowed_updates")
        if allowed is not None:  # remembered for later calls, like Telegram does
            self._allowed_updates = set(allowed) if allowed else None
        self._confirm(offset)

        # A newer getUpdates ends this one, so a stale poller cannot swallow updates.
        self._poll_generation += 1
        generation = self._poll_generation
        await self._wait(
            lambda: (
                self._closing or generation != self._poll_generation or bool(self._deliverable())
            ),
            max(float(timeout), 0.0),
        )
        if generation != self._poll_generation:
            if call.client_gone():  # e.g. PTB cancelled this poll while stopping the updater
                raise _Abandoned
            raise _ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure "
                "that only one bot instance is running",
            )
        return self._deliverable()[:limit]

    def _confirm(self, offset: int | None) -> None:
        """Forget updates the bot confirmed with `offset` (negative: keep the last -offset)."""
        if not offset:
            return
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        else:
            self._updates = self._updates[offset:]

    def _deliverable(self) -> list[JSONDict]:
        """Queued updates the bot wants; the others are dropped, as Telegram never sends them."""

        def wanted(update: JSONDict) -> bool:
            kind = _update_kind(update)
            if self._allowed_updates is None:
                return kind not in _OPT_IN_UPDATES
            return kind in self._allowed_updates

        self._updates = [u for u in self._updates if wanted(u)]
        return self._updates

    def _message_text(self, params: JSONDict) -> tuple[str, list[JSONDict]]:
        """The text of sendMessage/editMessageText, parsed and checked as Telegram does."""
        text, entities = self._formatted(
            params,
            "text",
            "entities",
            limit=MAX_TEXT_LENGTH,
            too_long="Bad Request: message is too long",
        )
        if not text:
            raise _ApiError(400, "Bad Request: message text is empty")
        return text, entities

    async def _send_message(self, call: _Call) -> JSONDict:
        chat = self._resolve_chat(call.params)
        text, entities = self._message_text(call.params)
        markup = self._reply_markup(call.params)
        reply_to = self._reply_target(chat, call.params)
        self._check_rate_limit(chat["id"])
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._new_bot_message(chat, content, markup, reply_to)

    async def _send_document(self, call: _Call) -> JSONDict:
        chat = self._resolve_chat(call.params)
        stored = self._input_document(call)
        caption, entities = self._formatted(
            call.params,
            "caption",
            "caption_entities",
            limit=MAX_CAPTION_LENGTH,
            too_long="Bad Request: message caption is too long",
        )
        markup = self._reply_markup(call.params)
        reply_to = self._reply_target(chat, call.params)
        self._check_rate_limit(chat["id"])
        self._keep_file(stored)  # only now: a refused upload leaves no file behind
        content: JSONDict = {"document": self._document_json(stored)}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return self._new_bot_message(chat, content, markup, reply_to)

    def _input_document(self, call: _Call) -> _StoredFile:
        """The uploaded file, or the stored one a file_id names (not stored yet for uploads)."""
        value = call.params.get("document")
        upload = call.files.get("document")
        if isinstance(value, str) and value.startswith("attach://"):
            upload = call.files.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.data:
                raise _ApiError(400, "Bad Request: file must be non-empty")
            if len(upload.data) > MAX_UPLOAD_BYTES:
                raise _ApiError(413, "Request Entity Too Large")
            name = upload.file_name or "document"
            mime = upload.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return self._new_file(upload.data, "documents", name, mime)
        if not value:
            raise _ApiError(400, "Bad Request: there is no document in the request")
        stored = self._files.get(str(value))
        if stored is None:
            raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return stored

    async def _edit_message_text(self, call: _Call) -> JSONDict:
        _, message = self._own_message(call.params, "Bad Request: message to edit not found")
        if "text" not in message:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._message_text(call.params)
        # Without reply_markup an edit removes the inline keyboard, as in Telegram.
        markup = self._reply_markup(call.params, inline_only=True)
        if (text, entities, markup) == (
            message["text"],
            message.get("entities", []),
            message.get("reply_markup"),
        ):
            raise _ApiError(400, _NOT_MODIFIED)
        message["text"] = text
        self._set_optional(message, "entities", entities)
        self._set_optional(message, "reply_markup", markup)
        return self._edited(message, text_changed=True)

    async def _edit_message_caption(self, call: _Call) -> JSONDict:
        _, message = self._own_message(call.params, "Bad Request: message to edit not found")
        if "text" in message:
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption, entities = self._formatted(
            call.params,
            "caption",
            "caption_entities",
            limit=MAX_CAPTION_LENGTH,
            too_long="Bad Request: message caption is too long",
        )
        markup = self._reply_markup(call.params, inline_only=True)
        if (caption, entities, markup) == (
            message.get("caption", ""),
            message.get("caption_entities", []),
            message.get("reply_markup"),
        ):
            raise _ApiError(400, _NOT_MODIFIED)
        self._set_optional(message, "caption", caption)
        self._set_optional(message, "caption_entities", entities)
        self._set_optional(message, "reply_markup", markup)
        return self._edited(message, text_changed=True)

    async def _edit_message_reply_markup(self, call: _Call) -> JSONDict:
        _, message = self._own_message(call.params, "Bad Request: message to edit not found")
        markup = self._reply_markup(call.params, inline_only=True)
        if markup == message.get("reply_markup"):
            raise _ApiError(400, _NOT_MODIFIED)
        self._set_optional(message, "reply_markup", markup)
        return self._edited(message, text_changed=False)

    @staticmethod
    def _set_optional(message: JSONDict, key: str, value: Any) -> None:
        """Set an optional Message field, removing it when empty (Telegram omits those)."""
        if value:
            message[key] = value
        else:
            message.pop(key, None)

    def _edited(self, message: JSONDict, *, text_changed: bool) -> JSONDict:
        message["edit_date"] = int(time.time())
        self._log_bot_message("✎", message, text=text_changed)
        if not text_changed and "reply_markup" not in message:
            self._transcript.append(
                f"[bot ✎ {self._chat_name(message['chat']['id'])}] ⌨ (keyboard removed)"
            )
        return message

    async def _delete_message(self, call: _Call) -> bool:
        chat = self._resolve_chat(call.params)
        message_id = _int_param(call.params, "message_id")
        key = (chat["id"], message_id or 0)
        message = self._messages.pop(key, None)
        if message is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        self._deleted.add(key)
        self._transcript.append(f"[bot ✗ {self._chat_name(chat['id'])}] deleted #{message_id}")
        return True

    async def _answer_callback_query(self, call: _Call) -> bool:
        query = self._callback_queries.get(str(call.params.get("callback_query_id", "")))
        # Telegram accepts one answer per query; a second one is refused like an unknown id.
        if query is None or query.answer is not None:
            raise _ApiError(400, _QUERY_INVALID)
        text = call.params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query.answer = dict(call.params)
        if text:
            alert = "⚠ " if call.params.get("show_alert") else ""
            name = self._user_name(query.query.get("from", {}))
            self._transcript.append(f"[bot ⏎ {name}] {alert}{text}")
        return True

    async def _get_file(self, call: _Call) -> JSONDict:
        stored = self._files.get(str(call.params.get("file_id", "")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise _ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _set_my_commands(self, call: _Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_NAME_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(call.params.get("scope"), call.params.get("language_code"))
        self._commands[key] = commands
        return True

    async def _get_my_commands(self, call: _Call) -> list[JSONDict]:
        return self.my_commands(call.params.get("scope"), call.params.get("language_code") or "")

    async def _delete_my_commands(self, call: _Call) -> bool:
        key = self._commands_key(call.params.get("scope"), call.params.get("language_code"))
        self._commands.pop(key, None)
        return True

    async def _send_chat_action(self, call: _Call) -> bool:
        self._resolve_chat(call.params)
        if call.params.get("action") not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _get_chat(self, call: _Call) -> JSONDict:
        chat = self._resolve_chat(call.params)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


# --------------------------------------------------------------------------------------------
# Standalone use
# --------------------------------------------------------------------------------------------


@dataclass
class PrivateChat:
    """A scripted person in their private chat with the bot: type, tap, wait for the answer.

    Each step waits for a reply containing an expected fragment, so scripts stay in step with
    the bot however many messages a reply takes.
    """

    api: LocalBotApi
    user: FakeUser
    timeout: float = 20.0

    def mark(self) -> int:
        """How many messages the bot has sent to this chat so far."""
        return len(self.api.messages_to(self.user.id))

    async def expect(self, fragment: str, *, after: int) -> JSONDict:
        """The first bot message at index >= `after` whose text or caption has `fragment`."""
        return await self.api.wait_for_message(
            self.user.id,
            after=after,
            timeout=self.timeout,
            predicate=lambda message: fragment in str(message.get("text", message.get("caption"))),
        )

    async def says(self, text: str, expect: str) -> JSONDict:
        """Send `text`; wait for a reply containing `expect`."""
        seen = self.mark()
        self.api.send_message(self.user, text)
        return await self.expect(expect, after=seen)

    async def sends(self, act: Callable[[FakeUser], object], expect: str) -> JSONDict:
        """Do `act` (e.g. ``api.send_sticker``) as this user; wait for a reply with `expect`."""
        seen = self.mark()
        act(self.user)
        return await self.expect(expect, after=seen)

    def button(self, label: str) -> tuple[JSONDict, str]:
        """The newest message still showing a button labelled `label`, and the button's data."""
        for message in reversed(self.api.messages_to(self.user.id)):
            keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for row in keyboard:
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        return message, str(button["callback_data"])
        raise AssertionError(f"no button {label!r} in the chat with {self.user.full_name}")

    async def taps(self, label: str, expect: str) -> JSONDict:
        """Press the newest button labelled `label`; wait for a reply containing `expect`."""
        message, data = self.button(label)
        seen = self.mark()
        self.api.press_button(self.user, message, data)
        return await self.expect(expect, after=seen)

    async def tap_answer(self, message: JSONDict, data: str) -> JSONDict:
        """Press a button with any data (forged, stale...); return how the bot answered it."""
        update = self.api.press_button(self.user, message, data)
        query_id = update["callback_query"]["id"]
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            answer = self.api.callback_answer(query_id)
            if answer is not None:
                return answer
            await asyncio.sleep(0.02)
        raise AssertionError(f"the bot did not answer the button press {data!r}")


async def _serve(args: argparse.Namespace) -> None:
    async with LocalBotApi(
        token=args.token, bot_username=args.bot_username, host=args.host, port=args.port
    ) as api:
        print(f"Telegram Bot API stand-in listening on {api.url}", flush=True)
        print(f"  token:            {api.token}", flush=True)
        print(f"  TELEGRAM_API_URL: {api.url}", flush=True)
        print(f"  inject an update: POST {api.url}/_standin/updates", flush=True)
        print(f"  recorded calls:   GET  {api.url}/_standin/requests", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            # Explicit handlers: a background job inherits SIGINT ignored, and SIGTERM would
            # otherwise kill the process without closing the server.
            with contextlib.suppress(NotImplementedError):  # not available on Windows
                loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local Telegram Bot API stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456789:STANDIN-token-for-tests-only")
    parser.add_argument("--bot-username", default="baocao_standin_bot")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
