"""A local stand-in for Zalo's Bot API: the methods the bot uses, their limits, faults and the
users' side, on 127.0.0.1 over real HTTP.

Like Zalo: one update per getUpdates call and no offset (what was handed out is gone), an
answer with error 408 when a long poll ends empty, no buttons, texts of 1 to 2,000 characters,
photos given as URLs, a bot that can write only to people who wrote to it first, and a webhook
that, once set, receives each update as a POST with the secret in `X-Bot-Api-Secret-Token`
(getUpdates then refuses). Ids are strings; dates are milliseconds.

A test plays the people (`add_user`, `send_text`, `send_sticker`, `send_image`), injects
failures (`fail_next`, `delay_next`) and reads what the bot did (`messages_to`, `calls`,
`wait_for_message`, `transcript`). With `fetch_photos`, a sendPhoto downloads its URL the way
Zalo's servers would, and the bytes are kept with the message (or the send fails as Zalo's
would when the link does not give a picture).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH = 2000
NO_UPDATE = (408, "Request timeout")
SECRET_HEADER = "X-Bot-Api-Secret-Token"
WEBHOOK_ATTEMPTS = 5
WEBHOOK_RETRY_S = 0.2


@dataclass(frozen=True)
class ZaloUser:
    id: str
    display_name: str


@dataclass
class Call:
    method: str
    payload: JSONDict
    at: float


@dataclass
class SentMessage:
    """What the bot sent: a text, or a photo with its caption (and bytes when fetched)."""

    message_id: str
    chat_id: str
    text: str
    photo_url: str | None = None
    photo: bytes | None = None
    date_ms: int = 0


@dataclass
class _Fault:
    code: int
    description: str
    delay_s: float = 0.0


@dataclass
class _State:
    users: dict[str, ZaloUser] = field(default_factory=dict)
    reachable: set[str] = field(default_factory=set)  # chats that wrote to the bot
    updates: deque[JSONDict] = field(default_factory=deque)
    sent: list[SentMessage] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    faults: dict[str, deque[_Fault]] = field(default_factory=dict)
    webhook_url: str | None = None
    webhook_secret: str | None = None


class ZaloStandIn:
    """The stand-in server. `async with ZaloStandIn() as zalo:` starts and stops it."""

    def __init__(
        self, token: str = "7000000001:standin-secret", *, fetch_photos: bool = False
    ) -> None:
        self.token = token
        self.bot_id = token.split(":", 1)[0]
        self.fetch_photos = fetch_photos
        self._state = _State()
        self._ids = itertools.count(1)
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._webhook_tasks: set[asyncio.Task[None]] = set()
        self.url = ""
        self.handed_out = 0  # updates getUpdates has given the bot (gone from Zalo then)
        self._handed = asyncio.Condition()

    # ----- life ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        for task in list(self._webhook_tasks):
            task.cancel()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> ZaloStandIn:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # ----- the people's side --------------------------------------------------------------

    def add_user(self, display_name: str) -> ZaloUser:
        user = ZaloUser(id=f"u{next(self._ids):019d}", display_name=display_name)
        self._state.users[user.id] = user
        return user

    async def send_text(self, user: ZaloUser, text: str) -> str:
        return await self._user_event(user, "message.text.received", {"text": text})

    async def send_sticker(self, user: ZaloUser) -> str:
        return await self._user_event(user, "message.sticker.received", {"sticker": "s-1"})

    async def send_image(self, user: ZaloUser, url: str = "https://example.invalid/a.jpg") -> str:
        return await self._user_event(user, "message.image.received", {"photo": url})

    async def send_unsupported(self, user: ZaloUser) -> str:
        return await self._user_event(user, "message.unsupported.received", {})

    async def _user_event(self, user: ZaloUser, event_name: str, content: JSONDict) -> str:
        message_id = f"m{next(self._ids):019d}"
        update = {
            "event_name": event_name,
            "message": {
                "message_id": message_id,
                "date": _now_ms(),
                "from": {"id": user.id, "display_name": user.display_name, "is_bot": False},
                "chat": {"id": user.id, "chat_type": "PRIVATE"},
                **content,
            },
        }
        self._state.reachable.add(user.id)
        shown = content.get("text") or f"[{event_name.split('.')[1]}]"
        self._state.transcript.append(f"{user.display_name} → bot: {shown}")
        if self._state.webhook_url is not None:
            task = asyncio.create_task(self._post_to_webhook(update))
            self._webhook_tasks.add(task)
            task.add_done_callback(self._webhook_tasks.discard)
        else:
            self._state.updates.append(update)
            async with self._arrived:
                self._arrived.notify_all()
        return message_id

    async def _post_to_webhook(self, update: JSONDict) -> None:
        assert self._http is not None and self._state.webhook_url is not None
        headers = {SECRET_HEADER: self._state.webhook_secret or ""}
        for _ in range(WEBHOOK_ATTEMPTS):
            try:
                async with self._http.post(
                    self._state.webhook_url, json={"ok": True, "result": update}, headers=headers
                ) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError as exc:
                logger.info("Webhook delivery failed: %s", exc)
            await asyncio.sleep(WEBHOOK_RETRY_S)
        logger.warning("Webhook gave up on update %s", update["message"]["message_id"])

    # ----- what a test sets up and reads --------------------------------------------------

    def fail_next(self, method: str, code: int, description: str, times: int = 1) -> None:
        """The next `times` calls of `method` are answered with this error."""
        queue = self._state.faults.setdefault(method, deque())
        queue.extend(_Fault(code, description) for _ in range(times))

    def delay_next(self, method: str, seconds: float) -> None:
        """The next call of `method` is answered (successfully) after `seconds`."""
        self._state.faults.setdefault(method, deque()).append(_Fault(0, "", seconds))

    @property
    def calls(self) -> list[Call]:
        return list(self._state.calls)

    def messages_to(self, user: ZaloUser) -> list[SentMessage]:
        return [message for message in self._state.sent if message.chat_id == user.id]

    def transcript(self) -> str:
        return "\n".join(self._state.transcript)

    @property
    def pending_updates(self) -> int:
        return len(self._state.updates)

    async def wait_for_message(
        self, user: ZaloUser, *, after: int = 0, timeout_s: float = 10.0
    ) -> SentMessage:
        """The first message to `user` beyond the first `after`, waiting for it."""
        deadline = time.monotonic() + timeout_s
        while True:
            messages = self.messages_to(user)
            if len(messages) > after:
                return messages[after]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no message #{after + 1} to {user.display_name}")
            await asyncio.sleep(0.01)

    async def wait_handed_out(self, count: int, timeout_s: float = 10.0) -> None:
        """Wait until getUpdates has handed out `count` updates in all."""
        async with self._handed:
            await asyncio.wait_for(
                self._handed.wait_for(lambda: self.handed_out >= count), timeout_s
            )

    # ----- the bot's side -----------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        try:
            payload = await request.json() if request.can_read_body else {}
        except ValueError:
            return _error(400, "Bad Request: body is not JSON")
        if not isinstance(payload, dict):
            return _error(400, "Bad Request: body is not a JSON object")
        self._state.calls.append(Call(method, payload, time.monotonic()))
        fault = self._next_fault(method)
        if fault is not None and fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        elif fault is not None:
            return _error(fault.code, fault.description)
        handler = self._methods().get(method)
        if handler is None:
            return _error(404, "Not Found: method does not exist")
        try:
            return _ok(await handler(payload))
        except _ApiError as exc:
            return _error(exc.code, exc.description)

    def _next_fault(self, method: str) -> _Fault | None:
        queue = self._state.faults.get(method)
        return queue.popleft() if queue else None

    def _methods(self) -> dict[str, Any]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendSticker": self._send_sticker,
            "sendChatAction": self._send_chat_action,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }

    async def _get_me(self, _payload: JSONDict) -> JSONDict:
        return {
            "id": self.bot_id,
            "account_name": "bot.baocao",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _get_updates(self, payload: JSONDict) -> JSONDict:
        if self._state.webhook_url is not None:
            raise _ApiError(400, "Bad Request: webhook is set; delete it to use getUpdates")
        timeout_s = _seconds(payload.get("timeout"))
        deadline = time.monotonic() + timeout_s
        async with self._arrived:
            while not self._state.updates:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _ApiError(*NO_UPDATE)
                try:
                    await asyncio.wait_for(self._arrived.wait(), left)
                except TimeoutError:
                    raise _ApiError(*NO_UPDATE) from None
            update = self._state.updates.popleft()
        self.handed_out += 1
        async with self._handed:
            self._handed.notify_all()
        return update

    async def _send_message(self, payload: JSONDict) -> JSONDict:
        chat_id = self._reachable_chat(payload)
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _ApiError(400, f"Bad Request: text is longer than {MAX_TEXT_LENGTH} characters")
        return self._record(SentMessage(_new_id(self._ids), chat_id, text))

    async def _send_photo(self, payload: JSONDict) -> JSONDict:
        chat_id = self._reachable_chat(payload)
        url, caption = payload.get("photo"), payload.get("caption") or ""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise _ApiError(400, "Bad Request: photo must be a URL")
        if not isinstance(caption, str) or len(caption) > MAX_TEXT_LENGTH:
            raise _ApiError(400, "Bad Request: caption is too long")
        data = await self._download(url) if self.fetch_photos else None
        message = SentMessage(_new_id(self._ids), chat_id, caption, photo_url=url, photo=data)
        return self._record(message)

    async def _send_sticker(self, payload: JSONDict) -> JSONDict:
        chat_id = self._reachable_chat(payload)
        return self._record(SentMessage(_new_id(self._ids), chat_id, "[sticker]"))

    async def _send_chat_action(self, payload: JSONDict) -> JSONDict:
        self._reachable_chat(payload)
        if payload.get("action") != "typing":
            raise _ApiError(400, "Bad Request: unknown action")
        return {}

    async def _set_webhook(self, payload: JSONDict) -> JSONDict:
        url, secret = payload.get("url"), payload.get("secret_token")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise _ApiError(400, "Bad Request: url is not valid")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise _ApiError(400, "Bad Request: secret_token must have 8 to 256 characters")
        self._state.webhook_url, self._state.webhook_secret = url, secret
        return {"url": url, "updated_at": _now_ms()}

    async def _delete_webhook(self, _payload: JSONDict) -> JSONDict:
        self._state.webhook_url = self._state.webhook_secret = None
        return {"url": "", "updated_at": _now_ms()}

    async def _get_webhook_info(self, _payload: JSONDict) -> JSONDict:
        return {"url": self._state.webhook_url or "", "updated_at": _now_ms()}

    def _reachable_chat(self, payload: JSONDict) -> str:
        chat_id = payload.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise _ApiError(400, "Bad Request: chat_id is required")
        if chat_id not in self._state.reachable:
            raise _ApiError(403, "Forbidden: the user has not interacted with the bot")
        return chat_id

    def _record(self, message: SentMessage) -> JSONDict:
        message.date_ms = _now_ms()
        self._state.sent.append(message)
        name = self._state.users[message.chat_id].display_name
        shown = f"[ảnh {message.photo_url}] {message.text}" if message.photo_url else message.text
        self._state.transcript.append(f"bot → {name}: {shown}")
        return {"message_id": message.message_id, "date": message.date_ms}

    async def _download(self, url: str) -> bytes:
        assert self._http is not None
        try:
            async with self._http.get(url) as response:
                data = await response.read()
                if response.status != 200 or not response.content_type.startswith("image/"):
                    raise _ApiError(400, "Bad Request: the photo URL does not give a picture")
                return data
        except aiohttp.ClientError as exc:
            raise _ApiError(400, "Bad Request: the photo URL cannot be reached") from exc


class _ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> web.Response:
    # Zalo answers errors with HTTP 200 and the code in the body, except for a bad token.
    status = 401 if code == 401 else 200
    body = {"ok": False, "error_code": code, "description": description}
    return web.json_response(body, status=status)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _new_id(ids: itertools.count[int]) -> str:
    return f"b{next(ids):019d}"


def _seconds(value: Any) -> float:
    try:
        return max(0.0, min(float(value), 60.0))
    except (TypeError, ValueError):
        return 0.0
