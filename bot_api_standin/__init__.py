"""A local stand-in for the Telegram Bot API, for tests, demos and benchmarks.

`LocalBotApi` is an aiohttp HTTP server on 127.0.0.1 that speaks enough of the Bot API for the
real bot (python-telegram-bot, long polling) to run against it unchanged: point the bot's base URL
at ``f"{api.url}/bot"`` and its file URL at ``f"{api.url}/file/bot"``. A test then plays the users
(``send_message``, ``send_command``, ``press_button``, ``add_supergroup``, ...), and asserts on
what the bot did (``messages_to``, ``wait_for_message``, ``calls``, ``transcript``).

The aim is to fail where real Telegram would fail, so that bugs surface in tests instead of in
production: unknown chats, over-long texts, malformed HTML, oversized callback data, editing a
message into itself, answering a callback query twice or too late (15 s by default), flood limits
(opt-in), blocked users. Errors use Telegram's wording, so python-telegram-bot raises the same
exception types. Update ids keep increasing across restarts of the stand-in, as Telegram's do.

Modules: `state` (users, chats, messages, the update queue, callback queries, files, and the
users' actions), `faults` (injected failures), `server` (HTTP and the Bot API methods),
`formatting` (parse modes and entities), `images` (a picture's size), `errors`, `scripting`
(`PrivateChat`).

Deliberate approximations (documented here rather than hidden):

* Text lengths are counted in Unicode code points after entity parsing (Vietnamese text is all in
  the Basic Multilingual Plane, where this equals Telegram's count).
* ``parse_mode=HTML`` is parsed for real: supported tags only, balanced, ``&lt;``-style entities;
  the stored message carries the plain text plus ``entities`` like Telegram returns them.
  ``MarkdownV2``/``Markdown`` are parsed approximately: markup characters are removed and
  unescaped reserved characters (MarkdownV2) or unbalanced markers are rejected, but no
  ``entities`` are computed for them.
* Message ids count per chat, shared by the users' and the bot's messages; Telegram numbers
  private chats and basic groups per account, so its ids there grow with gaps.
* Groups deliver every message to the bot (as if its privacy mode were off).
* Only bot-sent messages can be edited; inline messages (``inline_message_id``) are unknown.
* Flood limits (``set_rate_limits``) apply to ``sendMessage``/``sendDocument``/``sendPhoto``
  only.
* ``sendPhoto`` keeps the picture as uploaded and answers one ``PhotoSize`` of its own size
  (read from the PNG or JPEG header); Telegram adds smaller copies and may scale it down.

Out-of-process drivers (a demo running the bot elsewhere) can use a tiny control API:
``POST /_standin/updates`` queues a raw update, ``POST /_standin/press`` presses a button
(``{"user": ..., "chat_id": ..., "message_id": ..., "data": ...}``), ``GET /_standin/requests``
lists recorded calls and ``GET /_standin/transcript`` returns the chat log.
``python -m bot_api_standin --port 8081`` runs the server standalone.
"""

from bot_api_standin.errors import ApiError
from bot_api_standin.faults import Faults
from bot_api_standin.scripting import PrivateChat
from bot_api_standin.server import LocalBotApi, SentRequest, UploadedFile
from bot_api_standin.state import FakeUser, TelegramState, clock_update_id

__all__ = [
    "ApiError",
    "FakeUser",
    "Faults",
    "LocalBotApi",
    "PrivateChat",
    "SentRequest",
    "TelegramState",
    "UploadedFile",
    "clock_update_id",
]
