"""From a complete round to a signed report at the receiving office, with no Telegram in it.

A round whose sections are all in becomes a draft version, sent to the commune's chairman and
vice-chairmen. One of them approves it or returns it with a comment; the clerk (if the commune
has one on the bot) gives the number, else the unit's register does; then the final file goes to
the receiving office. Every message for someone other than the person acting is written to the
outbox in the same transaction as the decision, so nothing decided is lost or sent twice.

Callback data is `a:<draft id>:<action>`; the draft id names the version, so a tap on an older
version's button is recognised.

The concerns live in modules of their own: drafting (a round complete becomes a version),
decisions (the approver approves or returns), numbering (the clerk's number, the final file and
its delivery), asking (a comment or number read from the next message) and history (/lichsu and
the figures behind a version); common holds what they share, workflow puts them together.
"""

from conversations.approval.common import (
    ASKED_FOR_TEXT,
    CALLBACK_PATTERN,
    CALLBACK_PREFIX,
    MEMBER_ROLES,
    SIGNER_TITLES,
    callback,
)
from conversations.approval.workflow import ApprovalWorkflow

__all__ = [
    "ASKED_FOR_TEXT",
    "CALLBACK_PATTERN",
    "CALLBACK_PREFIX",
    "MEMBER_ROLES",
    "SIGNER_TITLES",
    "ApprovalWorkflow",
    "callback",
]
