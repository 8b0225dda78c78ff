"""python-telegram-bot's requests over aiohttp rather than httpx.

The bot sends a reply for every answer, while other chats' replies are on their way: PTB's own
transport (httpx) then costs about 1.6 ms of CPU a request, its connection pool's bookkeeping
growing with the requests in flight, and aiohttp (already a dependency: the Zalo webhook and the
stand-ins serve with it) about 0.2 ms; one at a time, 0.6 against 0.2. That was a fifth of an
officer's answer. Only the transport changes: PTB's BaseRequest still encodes the parameters,
reads Telegram's answer and raises its errors (RetryAfter, BadRequest, Forbidden...), and this
raises what HTTPXRequest raises for a timeout (TimedOut) or a broken connection (NetworkError).
Parameters go as a JSON body, files as multipart form data.
"""

from __future__ import annotations

import json

import aiohttp

# How BaseRequest.do_request's timeouts are typed, and one not passed is told (PTB has no
# public names for these).
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's defaults for its own requests (ApplicationBuilder, HTTPXRequest).
CONNECTIONS = 256
READ_TIMEOUT_S = 5.0
WRITE_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 5.0
POOL_TIMEOUT_S = 1.0
MEDIA_WRITE_TIMEOUT_S = 20.0
JSON_HEADERS = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A BaseRequest on one aiohttp session, with HTTPXRequest's timeouts and pool size.

    aiohttp has no write timeout: a request may take, in all, as long as its timeouts for
    waiting for a connection, connecting, sending and reading together, so a stalled upload
    still ends.
    """

    def __init__(
        self,
        *,
        connection_pool_size: int = CONNECTIONS,
        read_timeout: float | None = READ_TIMEOUT_S,
        write_timeout: float | None = WRITE_TIMEOUT_S,
        connect_timeout: float | None = CONNECT_TIMEOUT_S,
        pool_timeout: float | None = POOL_TIMEOUT_S,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT_S,
    ) -> None:
        self.connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connection_pool_size),
                # The Bot API sets no cookies worth keeping; a jar would be read on every answer.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        phases = (pool, connect, write, read)
        timeout = aiohttp.ClientTimeout(
            total=None if None in phases else sum(p for p in phases if p is not None),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        data: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if files:
            form = aiohttp.FormData()
            fields = request_data.json_parameters if request_data else {}
            for name, value in fields.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
        elif request_data is not None and (parameters := request_data.parameters):
            # A JSON body (the Bot API takes one): url-encoding a reply's Vietnamese text byte
            # by byte in Python cost more than its JSON in C.
            data = json.dumps(parameters, ensure_ascii=False).encode()
            headers = JSON_HEADERS
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _given(timeout: ODVInput[float], default: float | None) -> float | None:
    """The timeout a call passed, or the request's own where it passed none (DEFAULT_NONE)."""
    return default if isinstance(timeout, DefaultValue) else timeout


class UpdatesRequest(AiohttpRequest):
    """The request getUpdates goes through (PTB's get_updates_request, used for nothing else),
    remembering the last fetch's updates as Telegram sent them.

    The poller keeps every update in the inbox before confirming it; building that JSON again
    from PTB's objects (Update.to_dict) cost about 0.1 ms an update, and Telegram's own is the
    more faithful copy.
    """

    def __init__(self, **kwargs: float | int | None) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.received: dict[int, JSONDict] = {}

    def parse_json_payload(self, payload: bytes) -> JSONDict:  # type: ignore[override]
        data = BaseRequest.parse_json_payload(payload)
        result = data.get("result")
        if isinstance(result, list):
            self.received = {
                update["update_id"]: update
                for update in result
                if isinstance(update, dict) and isinstance(update.get("update_id"), int)
            }
        return data
