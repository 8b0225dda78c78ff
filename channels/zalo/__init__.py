"""Zalo's Bot API: a thin client (`api`) and its updates read as channels.base.Incoming
(`updates`)."""
