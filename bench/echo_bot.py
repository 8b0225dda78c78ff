"""A bare python-telegram-bot echo bot: the yardstick bench/throughput.py measures the bot against.

One `Application` with PTB's defaults (its own Updater, updates handled one at a time) and one
MessageHandler that sends each text back to its chat. It polls the Bot API at
TELEGRAM_API_URL with TELEGRAM_BOT_TOKEN, like `baocao run`, and stops on SIGTERM or SIGINT.
Run by the benchmark as `python bench/echo_bot.py`.
"""

from __future__ import annotations

import logging
import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await context.bot.send_message(message.chat_id, message.text)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    url = os.environ["TELEGRAM_API_URL"].rstrip("/")
    application = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    print("echo bot is running", flush=True)
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
