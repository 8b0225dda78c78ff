from __future__ import annotations

import io
import logging

from bot.logging_setup import RedactTokenFilter

TOKEN = "987654321:TEST-secret-token-value_abcdefghijklmn"


def capture(secret: str | None) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokenFilter(secret))
    logger = logging.getLogger(f"test-redact-{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_token_in_message_args_and_tracebacks_is_redacted() -> None:
    logger, stream = capture(TOKEN)
    logger.info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise ValueError(f"The token `{TOKEN}` was rejected by the server.")
    except ValueError:
        logger.exception("failed")
    output = stream.getvalue()
    assert TOKEN not in output
    assert "bot<token>/getMe" in output
    assert "The token `<token>` was rejected" in output


def test_token_shaped_text_is_redacted_even_when_not_configured() -> None:
    logger, stream = capture(None)
    logger.warning("url was %s", f"http://127.0.0.1/bot{TOKEN}/getUpdates")
    assert TOKEN not in stream.getvalue()
