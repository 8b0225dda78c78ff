"""The HTTP side of the stand-in: the aiohttp app, its routes and the Bot API methods.

See the package docstring for what `LocalBotApi` is for and how close to Telegram it is.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeGuard

from aiohttp import web

from bot_api_standin.errors import NOT_MODIFIED, ApiError, error_body
from bot_api_standin.faults import Fault, Faults
from bot_api_standin.formatting import describe_content, render, strip_text
from bot_api_standin.images import image_size
from bot_api_standin.state import CALLBACK_QUERY_TIMEOUT_S, FakeUser, StoredFile, TelegramState

_log = logging.getLogger(__name__)

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # bots may upload documents up to 50 MB
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # and photos up to 10 MB

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
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_TOKEN_RE = re.compile(r"(\d+):[A-Za-z0-9_-]+")

_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


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


class _Abandoned(Exception):
    """The client went away and nobody will read the answer: record nothing."""


@dataclass
class _Call:
    """Decoded parameters and uploaded files of one API request."""

    params: JSONDict
    files: dict[str, UploadedFile]
    client_gone: Callable[[], bool] = lambda: False


_Handler = Callable[[_Call], Awaitable[Any]]


def _json_default(value: object) -> object:
    if isinstance(value, UploadedFile):
        return value.summary()
    if isinstance(value, bytes):
        return {"size": len(value)}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_dumps = partial(json.dumps, ensure_ascii=False, default=_json_default)


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
            raise ApiError(
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
    raise ApiError(400, f"Bad Request: invalid {name} specified")


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class LocalBotApi(TelegramState, Faults):
    """An in-process Telegram Bot API stand-in; see the package docstring.

    The users' actions and what the bot sent come from `TelegramState`, the injected failures
    from `Faults`; this class adds the HTTP server, the Bot API methods and the record of calls.

    Update ids continue from the wall clock (`bot_api_standin.state.clock_update_id`), so a
    stand-in restarted on the same port never hands out an id the bot already handled;
    `first_update_id` pins the first one instead (e.g. 1, for readable ids in a test).
    `callback_query_timeout` is how long after a button press the bot may still answer it
    (Telegram: 15 s).
    """

    def __init__(
        self,
        *,
        token: str = "123456789:STANDIN-token-for-tests-only",
        bot_username: str = "baocao_standin_bot",
        bot_first_name: str = "Baocao",
        host: str = "127.0.0.1",
        port: int = 0,
        first_update_id: int | None = None,
        callback_query_timeout: float = CALLBACK_QUERY_TIMEOUT_S,
    ) -> None:
        token_match = _TOKEN_RE.fullmatch(token)
        if token_match is None:
            raise ValueError(f"not a bot token: {token!r} (expected '<digits>:<secret>')")
        TelegramState.__init__(
            self,
            bot_id=int(token_match.group(1)),
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            first_update_id=first_update_id,
            callback_query_timeout=callback_query_timeout,
        )
        Faults.__init__(self)
        self.token = token
        self.host = host
        self.port = port

        self.requests: list[SentRequest] = []
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._closing = False
        self._poll_generation = 0
        self._polls_started = 0
        self._webhook_url = ""

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
            "sendPhoto": self._send_photo,
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
        app.router.add_post("/_standin/press", self._control_press)
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

    # ---------------------------------------------------------------- observing the bot

    def calls(self, method: str) -> list[SentRequest]:
        """Recorded calls of `method` (case-insensitive), in order."""
        wanted = method.lower()
        return [request for request in self.requests if request.method.lower() == wanted]

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
            content = describe_content(message)
            if len(content) > 200:
                content = content[:200] + "…"
            lines.append(f"  [{index}] #{message['message_id']}: {content}")
        refused = [r for r in self.requests if r.error and r.params.get("chat_id") == chat_id]
        if refused:
            lines.append("Calls for this chat that were refused:")
            lines += [f"  {r.method}: {r.error[0]} {r.error[1]}" for r in refused if r.error]
        return "\n".join(lines)

    # ---------------------------------------------------------------- HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(error_body(401, "Unauthorized"), status=401)
        raw_method = request.match_info["method"]
        method = self._canonical.get(raw_method.lower(), raw_method)
        content_type = request.content_type if request.body_exists else ""
        try:
            call = await self._read_call(request)
        except ApiError as error:
            return self._answer_error(method, {}, content_type, error)
        params: JSONDict = {**call.params, **call.files}
        handler = self._handlers.get(method)
        if handler is None:
            return self._answer_error(method, params, content_type, ApiError(404, "Not Found"))
        if method == "getUpdates":
            self._polls_started += 1
            self._bump()

        delay = self._delay_for(method)
        if delay:
            await self._wait(lambda: self._closing, delay)
        fault = self._take_fault(method)
        if fault is None:
            chance = self._random_fault(method)
            if chance in ("429", "502"):
                fault = Fault(int(chance), 1, None)
        else:
            chance = None
        if fault is not None:
            return self._answer_fault(method, params, content_type, fault)
        try:
            result = await handler(call)
        except ApiError as error:
            return self._answer_error(method, params, content_type, error)
        except _Abandoned:
            return web.Response(status=499)  # never read; the status only labels the log
        self._record(
            SentRequest(method, params, copy.deepcopy(result), None, time.monotonic(), content_type)
        )
        if chance == "late":  # done, but answered after the client gave up waiting
            await self._wait(lambda: self._closing, self._late_s)
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
                    raise ApiError(400, "Bad Request: can't parse JSON body") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "Bad Request: JSON body must be an object")
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

    def _answer_fault(
        self, method: str, params: JSONDict, content_type: str, fault: Fault
    ) -> web.Response:
        if not fault.bad_gateway:
            return self._answer_error(method, params, content_type, fault.api_error())
        error = (fault.status, fault.description or "Bad Gateway")
        self._record(SentRequest(method, params, None, error, time.monotonic(), content_type))
        return web.Response(status=502, text=_BAD_GATEWAY_HTML, content_type="text/html")

    def _answer_error(
        self, method: str, params: JSONDict, content_type: str, error: ApiError
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
        body = error_body(error.code, error.description, error.parameters)
        return web.json_response(body, status=error.code, dumps=_dumps)

    def _record(self, request: SentRequest) -> None:
        _log.debug("%s -> %s", request.method, request.error or "ok")
        self.requests.append(request)
        self._bump()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(error_body(401, "Unauthorized"), status=401)
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(error_body(404, "Not Found"), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # ---------------------------------------------------------------- the control API

    async def _control_post_update(self, request: web.Request) -> web.Response:
        """POST /_standin/updates: queue the body, a raw Update (update_id assigned if absent)."""
        update = await _json_object(request)
        if update is None:
            return _control_error("the body must be an Update JSON object")
        return web.json_response({"ok": True, "result": self.inject_update(update)}, dumps=_dumps)

    async def _control_press(self, request: web.Request) -> web.Response:
        """POST /_standin/press: a user presses a button, as `press_button` does.

        The body is ``{"user": ..., "chat_id": ..., "message_id": ..., "data": ...}``: `user` is
        User JSON or the id of a user the stand-in has seen, the message must exist. The answer's
        result is the queued update, whose ``callback_query.id`` the bot must answer in time.
        """
        body = await _json_object(request)
        if body is None:
            return _control_error("the body must be a JSON object")
        chat_id, message_id, data = body.get("chat_id"), body.get("message_id"), body.get("data")
        if not _is_int(chat_id) or not _is_int(message_id):
            return _control_error("chat_id and message_id must be integers")
        if not isinstance(data, str):
            return _control_error("data must be a string")
        try:
            user = self._control_user(body.get("user"))
            update = self.press_button_at(user, chat_id, message_id, data)
        except (KeyError, ValueError) as error:
            return _control_error(str(error.args[0]))
        return web.json_response({"ok": True, "result": update}, dumps=_dumps)

    def _control_user(self, user: object) -> FakeUser:
        if _is_int(user):
            return self.known_user(user)
        if isinstance(user, dict):
            return FakeUser.from_dict(user)
        raise ValueError("user must be User JSON or the id of a user the stand-in has seen")

    async def _control_get_requests(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        chosen = self.calls(method) if method else self.requests
        result = [sent.to_json() for sent in chosen]
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _control_get_transcript(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": self.transcript()}, dumps=_dumps)

    # ---------------------------------------------------------------- validation helpers

    def _resolve_chat(self, params: JSONDict) -> JSONDict:
        chat = self._find_chat(params.get("chat_id"))
        self._check_not_blocked(chat)
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
                raise ApiError(400, "Bad Request: can't parse entities JSON object")
            text, entities = str(raw), explicit  # entities given: parse_mode is ignored
        else:
            text, entities = render(str(raw), params.get("parse_mode"))
        text, entities = strip_text(text, entities)
        if len(text) > limit:
            raise ApiError(400, too_long)
        return text, entities

    def _reply_markup(self, params: JSONDict, *, inline_only: bool = False) -> JSONDict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, _JSON_PARAM_ERRORS["reply_markup"])
        rows = markup.get("inline_keyboard")
        if rows is None:
            if inline_only:
                raise ApiError(400, "Bad Request: inline keyboard expected")
            return markup
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(
                400,
                "Bad Request: can't parse inline keyboard button: "
                'field "inline_keyboard" must be an Array of Arrays',
            )
        for button in itertools.chain.from_iterable(rows):
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    'Field "text" must be of type String',
                )
            if not _INLINE_BUTTON_ACTIONS & button.keys():
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= (
                    MAX_CALLBACK_DATA_BYTES
                ):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
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
            raise ApiError(400, "Bad Request: message to be replied not found")
        return target

    def _own_message(self, params: JSONDict, missing: str) -> tuple[JSONDict, JSONDict]:
        """The chat and bot-sent message an edit refers to."""
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._resolve_chat(params)
        message_id = _int_param(params, "message_id")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        key = (chat["id"], message_id)
        message = self._messages.get(key)
        if message is None:
            raise ApiError(400, missing)
        if key not in self._bot_message_keys:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, message

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
            raise ApiError(400, "Bad Request: bad webhook: an HTTPS URL must be provided")
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
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is "
                "active; use deleteWebhook to delete the webhook first",
            )
        offset = _int_param(call.params, "offset")
        limit = min(max(_int_param(call.params, "limit", 100) or 100, 1), 100)
        timeout = call.params.get("timeout", 0)
        if not isinstance(timeout, int | float):
            raise ApiError(400, "Bad Request: invalid timeout specified")
        allowed = call.params.get("allowed_updates")
        if allowed is not None:  # remembered for later calls, like Telegram does
            self._allowed_updates = set(allowed) if allowed else None
        self._confirm_updates(offset)

        # A newer getUpdates ends this one, so a stale poller cannot swallow updates.
        self._poll_generation += 1
        generation = self._poll_generation
        await self._wait(
            lambda: (
                self._closing
                or generation != self._poll_generation
                or bool(self._deliverable_updates())
            ),
            max(float(timeout), 0.0),
        )
        if generation != self._poll_generation:
            if call.client_gone():  # e.g. PTB cancelled this poll while stopping the updater
                raise _Abandoned
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure "
                "that only one bot instance is running",
            )
        return self._deliverable_updates()[:limit]

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
            raise ApiError(400, "Bad Request: message text is empty")
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
        return self._file_message(call, chat, stored, {"document": self._document_json(stored)})

    async def _send_photo(self, call: _Call) -> JSONDict:
        chat = self._resolve_chat(call.params)
        stored, (width, height) = self._input_photo(call)
        # Telegram also makes smaller copies; the stand-in keeps the picture as it was sent,
        # so a test reads back exactly the bytes the bot uploaded.
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": len(stored.data),
        }
        return self._file_message(call, chat, stored, {"photo": [size]})

    def _file_message(
        self, call: _Call, chat: JSONDict, stored: StoredFile, content: JSONDict
    ) -> JSONDict:
        """A document or a photo with its caption: checked as Telegram checks it, then kept."""
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
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return self._new_bot_message(chat, content, markup, reply_to)

    def _input_photo(self, call: _Call) -> tuple[StoredFile, tuple[int, int]]:
        """The uploaded picture and its size, refused as Telegram refuses it: not an image,
        over 10 MB, sides adding up to more than 10,000 pixels or a ratio over 20."""
        value = call.params.get("photo")
        upload = call.files.get("photo")
        if isinstance(value, str) and value.startswith("attach://"):
            upload = call.files.get(value.removeprefix("attach://"))
        if upload is None:
            if not value:
                raise ApiError(400, "Bad Request: there is no photo in the request")
            stored = self._files.get(str(value))
            if stored is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        else:
            if not upload.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            if len(upload.data) > MAX_PHOTO_BYTES:
                raise ApiError(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
            stored = self._new_file(upload.data, "photos", upload.file_name or "photo", None)
        size = image_size(stored.data)
        if size is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        return stored, size

    def _input_document(self, call: _Call) -> StoredFile:
        """The uploaded file, or the stored one a file_id names (not stored yet for uploads)."""
        value = call.params.get("document")
        upload = call.files.get("document")
        if isinstance(value, str) and value.startswith("attach://"):
            upload = call.files.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            if len(upload.data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            name = upload.file_name or "document"
            mime = upload.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return self._new_file(upload.data, "documents", name, mime)
        if not value:
            raise ApiError(400, "Bad Request: there is no document in the request")
        stored = self._files.get(str(value))
        if stored is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return stored

    async def _edit_message_text(self, call: _Call) -> JSONDict:
        _, message = self._own_message(call.params, "Bad Request: message to edit not found")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._message_text(call.params)
        # Without reply_markup an edit removes the inline keyboard, as in Telegram.
        markup = self._reply_markup(call.params, inline_only=True)
        if (text, entities, markup) == (
            message["text"],
            message.get("entities", []),
            message.get("reply_markup"),
        ):
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = text
        _set_optional(message, "entities", entities)
        _set_optional(message, "reply_markup", markup)
        return self._edited(message, text_changed=True)

    async def _edit_message_caption(self, call: _Call) -> JSONDict:
        _, message = self._own_message(call.params, "Bad Request: message to edit not found")
        if "text" in message:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
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
            raise ApiError(400, NOT_MODIFIED)
        _set_optional(message, "caption", caption)
        _set_optional(message, "caption_entities", entities)
        _set_optional(message, "reply_markup", markup)
        return self._edited(message, text_changed=True)

    async def _edit_message_reply_markup(self, call: _Call) -> JSONDict:
        _, message = self._own_message(call.params, "Bad Request: message to edit not found")
        markup = self._reply_markup(call.params, inline_only=True)
        if markup == message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        _set_optional(message, "reply_markup", markup)
        return self._edited(message, text_changed=False)

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
            raise ApiError(400, "Bad Request: message to delete not found")
        self._deleted.add(key)
        self._transcript.append(f"[bot ✗ {self._chat_name(chat['id'])}] deleted #{message_id}")
        return True

    async def _answer_callback_query(self, call: _Call) -> bool:
        query = self._answerable_callback_query(str(call.params.get("callback_query_id", "")))
        text = call.params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query.answer = dict(call.params)
        if text:
            alert = "⚠ " if call.params.get("show_alert") else ""
            name = self._user_name(query.query.get("from", {}))
            self._transcript.append(f"[bot ⏎ {name}] {alert}{text}")
        return True

    async def _get_file(self, call: _Call) -> JSONDict:
        stored = self._files.get(str(call.params.get("file_id", "")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _set_my_commands(self, call: _Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_NAME_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = call.params.get("scope")
        where = self._command_scope_name(scope)
        key = self._commands_key(scope, call.params.get("language_code"))
        self._commands[key] = commands
        names = " ".join(f"/{command['command']}" for command in commands)
        self._transcript.append(f"[bot ☰ {where}] menu: {names or '(none)'}")
        return True

    def _command_scope_name(self, scope: Any) -> str:
        """Who a command scope is for, in the transcript's words; 400 as Telegram answers an
        unknown scope or a chat the bot does not know."""
        if scope is None:
            return "everyone"
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind not in ("chat", "chat_administrators", "chat_member"):
            return "everyone" if kind == "default" else kind
        chat = self._find_chat(scope.get("chat_id"))
        return self._chat_name(chat["id"])

    async def _get_my_commands(self, call: _Call) -> list[JSONDict]:
        return self.my_commands(call.params.get("scope"), call.params.get("language_code") or "")

    async def _delete_my_commands(self, call: _Call) -> bool:
        key = self._commands_key(call.params.get("scope"), call.params.get("language_code"))
        self._commands.pop(key, None)
        return True

    async def _send_chat_action(self, call: _Call) -> bool:
        self._resolve_chat(call.params)
        if call.params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
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


def _set_optional(message: JSONDict, key: str, value: Any) -> None:
    """Set an optional Message field, removing it when empty (Telegram omits those)."""
    if value:
        message[key] = value
    else:
        message.pop(key, None)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


async def _json_object(request: web.Request) -> JSONDict | None:
    """The request's body as a JSON object, None when it is not one."""
    try:
        body = json.loads(await request.read())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _control_error(detail: str) -> web.Response:
    return web.json_response(error_body(400, f"Bad Request: {detail}"), status=400)
