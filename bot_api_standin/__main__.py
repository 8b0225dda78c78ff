"""``python -m bot_api_standin --port 8081``: run the stand-in on its own until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot_api_standin.standalone import (
    DEFAULT_BOT_USERNAME,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_TOKEN,
    serve,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot_api_standin",
        description="Run the local Telegram Bot API stand-in.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default=DEFAULT_BOT_USERNAME)
    parser.add_argument(
        "--first-update-id",
        type=int,
        default=None,
        help="the first update id (default: derived from the clock, so restarts continue above)",
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(**vars(args)))


if __name__ == "__main__":
    main()
