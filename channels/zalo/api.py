"""A thin async client of Zalo's Bot API (bot-api.zaloplatforms.com), over httpx.

The API is shaped like Telegram's: POST `<base>/bot<TOKEN>/<method>` with JSON, answered with
{"ok", "result", "error_code", "description"}. Only what the bot uses is here: getMe,
getUpdates (one update per call, long polled; nothing to acknowledge), the webhook methods,
sendMessage (1–2,000 characters), sendPhoto (a URL), sendChatAction.

Why not python-zalo-bot: it is a trimmed copy of an older python-telegram-bot with its own
Application and Dispatcher, which this bot would not use (its poller, inbox and engine are its
own), placeholder project links and no public repository to follow; eight HTTP methods are
shorter to own than that package is to audit.

Every error is a channels.base.SendError, so the outbox treats Zalo and Telegram alike. The
token is in every URL: it is never put into an error text, and httpx's request log (which
prints URLs) is kept below INFO by bot.logging_setup.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx

from channels.base import Failure, SendError, Sent

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
MAX_TEXT_LENGTH = 2000
MAX_CAPTION_LENGTH = 2000
NO_UPDATE_CODE = 408  # getUpdates answers this when its long poll ends with nothing
REQUEST_TIMEOUT_S = 20.0

JSONDict = dict[str, Any]


class ZaloBotApi:
    """One bot's calls. Owns its httpx client unless one is given (tests share theirs)."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        if ":" not in token:
            raise ValueError("a Zalo bot token looks like <bot id>:<secret>")
        self._endpoint = f"{base_url.rstrip('/')}/bot{token}/"
        self._client = client or httpx.AsyncClient()
        self._owns_client = client is None
        self._timeout_s = timeout_s

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> ZaloBotApi:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def call(self, method: str, payload: JSONDict | None = None, *, wait_s: float = 0) -> Any:
        """Call `method`; its `result`, or SendError saying what the failure means."""
        try:
            response = await self._client.post(
                self._endpoint + method,
                json=payload or {},
                timeout=self._timeout_s + wait_s,
            )
        except httpx.TimeoutException as exc:
            raise SendError(Failure.RETRY_LATER, f"{method}: timed out") from exc
        except httpx.TransportError as exc:
            raise SendError(Failure.RETRY_LATER, f"{method}: {type(exc).__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # A proxy's HTML page or an empty answer: the status says what kind of failure.
            raise _failure(method, response.status_code, f"HTTP {response.status_code}", None)
        if body.get("ok") is True:
            return body.get("result")
        code = body.get("error_code")
        code = code if isinstance(code, int) else response.status_code
        description = str(body.get("description") or f"HTTP {response.status_code}")
        raise _failure(method, code, description, body.get("parameters"))

    async def get_me(self) -> JSONDict:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_update(self, timeout_s: int = 30) -> JSONDict | None:
        """The next update, waiting up to `timeout_s`; None when none came."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout_s)}, wait_s=timeout_s)
        except SendError as exc:
            if getattr(exc, "code", None) == NO_UPDATE_CODE:
                return None
            raise
        if isinstance(result, list):  # not what the platform documents, but cheap to accept
            return result[0] if result else None
        return result if isinstance(result, dict) and result else None

    async def send_message(self, chat_id: str, text: str) -> Sent:
        if not 1 <= len(text) <= MAX_TEXT_LENGTH:
            raise SendError(Failure.FAILED, f"sendMessage: text of {len(text)} characters")
        return _sent(await self.call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> Sent:
        if len(caption) > MAX_CAPTION_LENGTH:
            raise SendError(Failure.FAILED, f"sendPhoto: caption of {len(caption)} characters")
        payload: JSONDict = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            payload["caption"] = caption
        return _sent(await self.call("sendPhoto", payload))

    async def send_typing(self, chat_id: str) -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": "typing"})

    async def set_webhook(self, url: str, secret_token: str) -> None:
        if not 8 <= len(secret_token) <= 256:
            raise ValueError("the webhook's secret token must have 8 to 256 characters")
        await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")

    async def get_webhook_info(self) -> JSONDict:
        result = await self.call("getWebhookInfo")
        return result if isinstance(result, dict) else {}


class ZaloError(SendError):
    """A SendError that keeps the platform's error code."""

    def __init__(self, failure: Failure, description: str, code: int, **kwargs: Any) -> None:
        super().__init__(failure, description, **kwargs)
        self.code = code


def _failure(method: str, code: int, description: str, parameters: Any) -> ZaloError:
    text = f"{method}: {description}"
    if code == 429:
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        wait = float(retry_after) if isinstance(retry_after, int | float) else None
        return ZaloError(Failure.RETRY_LATER, text, code, retry_after=wait)
    if code == NO_UPDATE_CODE or code >= 500:
        return ZaloError(Failure.RETRY_LATER, text, code)
    if code == 403:
        return ZaloError(Failure.BLOCKED, text, code)
    return ZaloError(Failure.FAILED, text, code)


def _sent(result: Any) -> Sent:
    """A send's result: its message id, and when (Zalo's `date` is in milliseconds)."""
    if not isinstance(result, dict) or not result.get("message_id"):
        raise SendError(Failure.FAILED, "the platform accepted a message but gave no id")
    millis = result.get("date")
    at = (
        datetime.fromtimestamp(millis / 1000, UTC)
        if isinstance(millis, int | float)
        else datetime.now(UTC)
    )
    return Sent(message_id=str(result["message_id"]), at=at)
