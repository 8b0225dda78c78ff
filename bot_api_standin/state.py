"""What Telegram knows: users, chats, messages, the update queue, callback queries and files.

`TelegramState` is the world the bot talks to. Tests change it from the users' side (a user sends
a message, presses a button, joins a group), and the Bot API methods of `LocalBotApi` read and
change it from the bot's side.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import mimetypes
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot_api_standin.errors import QUERY_INVALID, ApiError
from bot_api_standin.formatting import command_entities, describe_content, describe_keyboard

_log = logging.getLogger(__name__)

JSONDict = dict[str, Any]

# Telegram refuses answerCallbackQuery this long after the button was pressed.
CALLBACK_QUERY_TIMEOUT_S = 15.0

# Update ids by default count microseconds since this instant (2020-01-01T00:00:00Z).
_UPDATE_ID_EPOCH_NS = 1_577_836_800 * 1_000_000_000

# Update kinds Telegram only delivers when explicitly listed in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Bot API chat ids: basic groups are -1 .. -999999999999; supergroups and channels are
# -1000000000000 minus their channel id, which prints as "-100" followed by that id.
_BASIC_GROUP_MIN_ID = -999_999_999_999
_SUPERGROUP_ID_BASE = -1_000_000_000_000
_GROUP_TYPES = frozenset({"group", "supergroup"})
_COMMAND_NAME_RE = re.compile(r"[A-Za-z0-9_]{1,32}")


def clock_update_id() -> int:
    """An update id that grows with wall-clock time: microseconds since 2020-01-01 (UTC).

    A stand-in starting its ids here continues above every id an earlier stand-in handed out, as
    long as that one gave out fewer updates than microseconds passed between the two starts (it
    cannot come close) and the clock was not set back. The value, about 2e14 in 2026, stays below
    2**53 (exact as a JSON number read into a double, and in a signed 64-bit column) for
    another 280 years.
    """
    return max(1, (time.time_ns() - _UPDATE_ID_EPOCH_NS) // 1_000)


# --------------------------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user whose actions a test scripts."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"

    @classmethod
    def from_dict(cls, user: JSONDict) -> FakeUser:
        """The user of Bot API ``User`` JSON (``id`` and ``first_name`` are required)."""
        user_id, first_name = user.get("id"), user.get("first_name")
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
            raise ValueError("a user needs a positive integer id")
        if not isinstance(first_name, str) or not first_name:
            raise ValueError("a user needs a first_name")
        return cls(
            id=user_id,
            first_name=first_name,
            last_name=user.get("last_name"),
            username=user.get("username"),
            language_code=user.get("language_code"),
        )

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


@dataclass
class StoredFile:
    """A file Telegram keeps: sent by a user or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class CallbackQuery:
    """A button press, answerable once within the callback query timeout."""

    query: JSONDict
    created_at: float  # time.monotonic() when the button was pressed
    answer: JSONDict | None = None


# --------------------------------------------------------------------------------------------
# The state
# --------------------------------------------------------------------------------------------


class TelegramState:
    """Users, chats, messages, updates, callback queries and files, with the users' actions.

    Message ids are counted per chat, shared by the users' and the bot's messages, so within a
    chat they grow in the order the messages were sent. (Real Telegram numbers private chats and
    basic groups from one counter per account, so there the ids grow with gaps; only their
    order is the same.)
    """

    def __init__(
        self,
        *,
        bot_id: int,
        bot_username: str,
        bot_first_name: str,
        first_update_id: int | None = None,
        callback_query_timeout: float = CALLBACK_QUERY_TIMEOUT_S,
    ) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.callback_query_timeout = callback_query_timeout
        # Replaced on every state change; waiters re-check their condition when it fires.
        self._changed = asyncio.Event()

        first = clock_update_id() if first_update_id is None else first_update_id
        if first < 1:
            raise ValueError(f"update ids are positive, not {first}")
        self._updates: list[JSONDict] = []  # queued until confirmed by a getUpdates offset
        self._update_ids = itertools.count(first)
        self._last_update_id = first - 1
        self._allowed_updates: set[str] | None = None  # None = Telegram's default set

        self._users: dict[int, JSONDict] = {}  # every user seen, as User JSON
        self._chats: dict[int, JSONDict] = {}
        self._members: dict[int, set[int]] = {}  # user ids of groups made by add_*group
        self._group_numbers = itertools.count(1)
        self._last_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}  # every live message by chat/id
        self._bot_message_keys: set[tuple[int, int]] = set()
        self._sent: dict[int, list[JSONDict]] = {}  # bot messages per chat, in order
        self._deleted: set[tuple[int, int]] = set()
        self._callback_queries: dict[str, CallbackQuery] = {}
        self._callback_ids = itertools.count(4_400_000_000_000_000_001)
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._transcript: list[str] = []

    # ---------------------------------------------------------------- chats

    def add_private_chat(self, user: FakeUser) -> JSONDict:
        """The user started the bot some time ago: the bot may write to them, no update is made."""
        chat = user.private_chat()
        self._chats[chat["id"]] = chat
        self._users[user.id] = user.to_dict()
        return chat

    def add_group(
        self, title: str, members: Iterable[FakeUser] = (), *, chat_id: int | None = None
    ) -> JSONDict:
        """A basic group with `members` that the bot joined some time ago; no update is made.

        Basic group ids are negative, -1 to -999999999999 (one is chosen when `chat_id` is None).
        The chat comes back as Bot API ``Chat`` JSON for the ``chat=`` of the user actions, which
        refuse users who are not members.
        """
        if chat_id is None:
            chat_id = -(4_000_000_000 + next(self._group_numbers))
        elif not _BASIC_GROUP_MIN_ID <= chat_id <= -1:
            raise ValueError(f"a basic group's id is between -999999999999 and -1, not {chat_id}")
        return self._add_group_chat({"id": chat_id, "title": title, "type": "group"}, members)

    def add_supergroup(
        self,
        title: str,
        members: Iterable[FakeUser] = (),
        *,
        chat_id: int | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """A supergroup with `members` that the bot joined some time ago; no update is made.

        Supergroup ids are "-100" followed by the channel id, e.g. -1001234567890 (one is chosen
        when `chat_id` is None); a public supergroup has a `username`.
        """
        if chat_id is None:
            chat_id = _SUPERGROUP_ID_BASE - (2_000_000_000 + next(self._group_numbers))
        elif chat_id >= _SUPERGROUP_ID_BASE:
            raise ValueError(f"a supergroup's id is -100 followed by digits, not {chat_id}")
        chat: JSONDict = {"id": chat_id, "title": title, "type": "supergroup"}
        if username is not None:
            chat["username"] = username
        return self._add_group_chat(chat, members)

    def add_member(self, chat: JSONDict, user: FakeUser) -> None:
        """`user` joined a group made by `add_group`/`add_supergroup`; no update is made."""
        members = self._members.get(chat["id"])
        if members is None:
            raise ValueError(f"chat {chat['id']} was not made by add_group or add_supergroup")
        members.add(user.id)
        self._users[user.id] = user.to_dict()

    def members(self, chat: JSONDict) -> list[JSONDict]:
        """The users of a group made by `add_group`/`add_supergroup`, as ``User`` JSON."""
        return [self._users[user_id] for user_id in sorted(self._members.get(chat["id"], ()))]

    def known_user(self, user_id: int) -> FakeUser:
        """A user the stand-in has seen (in an update, a private chat or a group)."""
        try:
            return FakeUser.from_dict(self._users[user_id])
        except KeyError:
            raise KeyError(f"no user {user_id} has been seen") from None

    # ---------------------------------------------------------------- users' actions

    def send_message(self, user: FakeUser, text: str, *, chat: JSONDict | None = None) -> JSONDict:
        """Queue a text message from `user` (private chat unless `chat` is given)."""
        content: JSONDict = {"text": text}
        entities = command_entities(text)
        if entities:  # CommandHandler only reacts to messages with this entity
            content["entities"] = entities
        return self._inject_message(user, chat, content)

    def send_command(
        self,
        user: FakeUser,
        command: str,
        args: str = "",
        *,
        chat: JSONDict | None = None,
        mention: bool | None = None,
    ) -> JSONDict:
        """Queue ``/command args`` from `user`, the way Telegram's apps write it.

        With `mention` the command names the bot, ``/tiendo@baocao_bot``; by default it does in
        groups and supergroups (where the apps' command menu adds the username) and not in
        private chats.
        """
        name = command.removeprefix("/")
        if not _COMMAND_NAME_RE.fullmatch(name):
            raise ValueError(f"not a bot command: {command!r}")
        target = chat or user.private_chat()
        if mention is None:
            mention = target.get("type") in _GROUP_TYPES
        text = f"/{name}@{self.bot_username}" if mention else f"/{name}"
        if args:
            text += f" {args}"
        return self.send_message(user, text, chat=chat)

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
        entities = command_entities(new_text)
        if entities:
            message["entities"] = entities
        message["edit_date"] = int(time.time())
        return self.inject_update({"edited_message": copy.deepcopy(message)})

    def press_button(self, user: FakeUser, message: JSONDict, data: str) -> JSONDict:
        """Queue a callback query as if `user` pressed an inline button under `message`.

        `data` is deliberately not checked against the keyboard, so tests can forge it. The bot
        must answer the query within `callback_query_timeout` seconds of this call.
        """
        chat = message["chat"]
        self._check_member(user, chat)
        current = self._messages.get((chat["id"], message["message_id"]), message)
        query: JSONDict = {
            "id": str(next(self._callback_ids)),
            "from": user.to_dict(),
            "chat_instance": str(abs(hash((self.bot_id, chat["id"])))),
            "message": copy.deepcopy(current),
            "data": data,
        }
        self._callback_queries[query["id"]] = CallbackQuery(query, time.monotonic())
        return self.inject_update({"callback_query": query})

    def press_button_at(self, user: FakeUser, chat_id: int, message_id: int, data: str) -> JSONDict:
        """`press_button` under a message named by chat and message id (it must still exist)."""
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        return self.press_button(user, message, data)

    def age_callback_query(self, callback_query_id: str, seconds: float) -> None:
        """Make a button press `seconds` older, e.g. past the timeout for answering it."""
        try:
            self._callback_queries[callback_query_id].created_at -= seconds
        except KeyError:
            raise KeyError(f"no callback query {callback_query_id!r}") from None

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
        entities = command_entities(text)
        if entities:
            message["entities"] = entities
        return self.inject_update({"channel_post": message})

    def inject_update(self, update: JSONDict) -> JSONDict:
        """Queue a raw update (assigning ``update_id`` when missing) and return it.

        Ids stay strictly increasing: after an explicit ``update_id`` the next assigned one is
        above it.
        """
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        else:
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

    # ---------------------------------------------------------------- observing

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

    # ---------------------------------------------------------------- the update queue

    def _confirm_updates(self, offset: int | None) -> None:
        """Forget updates the bot confirmed with `offset` (negative: keep the last -offset)."""
        if not offset:
            return
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        else:
            self._updates = self._updates[offset:]

    def _deliverable_updates(self) -> list[JSONDict]:
        """Queued updates the bot wants; the others are dropped, as Telegram never sends them."""

        def wanted(update: JSONDict) -> bool:
            kind = _update_kind(update)
            if self._allowed_updates is None:
                return kind not in _OPT_IN_UPDATES
            return kind in self._allowed_updates

        self._updates = [u for u in self._updates if wanted(u)]
        return self._updates

    # ---------------------------------------------------------------- chats and messages

    def _add_group_chat(self, chat: JSONDict, members: Iterable[FakeUser]) -> JSONDict:
        self._chats[chat["id"]] = chat
        self._members[chat["id"]] = set()
        for user in members:
            self.add_member(chat, user)
        return chat

    def _check_member(self, user: FakeUser, chat: JSONDict) -> None:
        members = self._members.get(chat["id"])
        if members is not None and user.id not in members:
            raise ValueError(
                f"{user.full_name} ({user.id}) is not a member of {self._chat_name(chat['id'])}"
            )

    def _find_chat(self, raw: object) -> JSONDict:
        """The chat a ``chat_id`` parameter names: an id or a public "@username"."""
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
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
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _remember(self, update: JSONDict) -> None:
        """Learn users, chats and messages from an update so the bot may answer and edit them."""
        for value in update.values():
            if not isinstance(value, dict):
                continue
            sender = value.get("from")
            if isinstance(sender, dict) and not sender.get("is_bot") and "id" in sender:
                self._users[sender["id"]] = sender
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
        self._check_member(user, chat)
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

    def _answerable_callback_query(self, callback_query_id: str) -> CallbackQuery:
        """The query an answer is for; unknown, answered and expired ones are all refused."""
        query = self._callback_queries.get(callback_query_id)
        # Telegram accepts one answer per query, within its timeout, and refuses the others
        # like an unknown id.
        if query is None or query.answer is not None:
            raise ApiError(400, QUERY_INVALID)
        if time.monotonic() - query.created_at > self.callback_query_timeout:
            raise ApiError(400, QUERY_INVALID)
        return query

    # ---------------------------------------------------------------- files

    def _new_file(
        self, data: bytes, folder: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """A file with Telegram-like ids and path; `_keep_file` makes it retrievable."""
        number = next(self._file_numbers)
        suffix = "." + file_name.rsplit(".", 1)[1] if file_name and "." in file_name else ""
        return StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:05d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AgAD{number:05d}{secrets.token_urlsafe(4)}",
            data=data,
            file_path=f"{folder}/file_{number}{suffix}",
            file_name=file_name,
            mime_type=mime_type,
        )

    def _keep_file(self, stored: StoredFile) -> None:
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored

    def _store_file(
        self, data: bytes, folder: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        stored = self._new_file(data, folder, file_name, mime_type)
        self._keep_file(stored)
        return stored

    @staticmethod
    def _document_json(stored: StoredFile) -> JSONDict:
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

    # ---------------------------------------------------------------- names and the transcript

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _commands_key(self, scope: JSONDict | None, language_code: str | None) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

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
            return f"[{who} {arrow}] {describe_content(payload)}"
        return f"[update] {kind}"

    def _log_bot_message(self, symbol: str, message: JSONDict, *, text: bool = True) -> None:
        name = self._chat_name(message["chat"]["id"])
        if text:
            self._transcript.append(f"[bot {symbol} {name}] {describe_content(message)}")
        keyboard = describe_keyboard(message.get("reply_markup"))
        if keyboard:
            self._transcript.append(f"[bot {symbol} {name}] {keyboard}")


def _update_kind(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "unknown")
