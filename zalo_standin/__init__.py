"""A local stand-in for Zalo's Bot API, for tests and the demo (see `server`)."""

from zalo_standin.server import Call, SentMessage, ZaloStandIn, ZaloUser

__all__ = ["Call", "SentMessage", "ZaloStandIn", "ZaloUser"]
