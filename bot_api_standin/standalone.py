"""Run the stand-in on its own until Ctrl-C or SIGTERM: `baocao standin`, or
`python -m bot_api_standin` for its other options."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from bot_api_standin.server import LocalBotApi

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081
DEFAULT_TOKEN = "123456789:STANDIN-token-for-tests-only"
DEFAULT_BOT_USERNAME = "baocao_standin_bot"


async def serve(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str = DEFAULT_TOKEN,
    bot_username: str = DEFAULT_BOT_USERNAME,
    first_update_id: int | None = None,
) -> None:
    """Serve, printing the URL and token to point the bot at, until a signal stops it."""
    async with LocalBotApi(
        token=token,
        bot_username=bot_username,
        host=host,
        port=port,
        first_update_id=first_update_id,
    ) as api:
        print(f"Telegram Bot API stand-in listening on {api.url}", flush=True)
        print(f"  token:            {api.token}", flush=True)
        print(f"  TELEGRAM_API_URL: {api.url}", flush=True)
        print(f"  inject an update: POST {api.url}/_standin/updates", flush=True)
        print(f"  press a button:   POST {api.url}/_standin/press", flush=True)
        print(f"  recorded calls:   GET  {api.url}/_standin/requests", flush=True)
        print(f"  transcript:       GET  {api.url}/_standin/transcript", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            # Explicit handlers: a background job inherits SIGINT ignored, and SIGTERM would
            # otherwise kill the process without closing the server.
            with contextlib.suppress(NotImplementedError):  # not available on Windows
                loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()
