"""Error answers in Telegram's wording, so python-telegram-bot raises the same exception types."""

from __future__ import annotations

from typing import Any

JSONDict = dict[str, Any]

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
# Telegram's text, "ID" in capitals; python-telegram-bot shows it as "Query is too old and
# response timeout expired or query id is invalid" (it capitalises descriptions).
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """An error answer: becomes {"ok": false, "error_code": ..., "description": ...}.

    Raise it from a method handler (``LocalBotApi._handlers``) a test replaced, to answer as
    Telegram would; `parameters` become the answer's ``parameters`` (``retry_after``,
    ``migrate_to_chat_id``).
    """

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def error_body(code: int, description: str, parameters: JSONDict | None = None) -> JSONDict:
    """The JSON body of an error answer."""
    body: JSONDict = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body
