"""``python -m bot_api_standin --port 8081``: run the stand-in on its own until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bot_api_standin.server import LocalBotApi


async def _serve(args: argparse.Namespace) -> None:
    async with LocalBotApi(
        token=args.token,
        bot_username=args.bot_username,
        host=args.host,
        port=args.port,
        first_update_id=args.first_update_id,
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot_api_standin",
        description="Run the local Telegram Bot API stand-in.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456789:STANDIN-token-for-tests-only")
    parser.add_argument("--bot-username", default="baocao_standin_bot")
    parser.add_argument(
        "--first-update-id",
        type=int,
        default=None,
        help="the first update id (default: derived from the clock, so restarts continue above)",
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
