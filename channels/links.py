"""Signed, expiring, single-purpose links to the bot's files, and the small web server behind
them: how a channel without documents (Zalo) hands a chairman the draft's .docx and pages.

A link names one file and one purpose (a draft's .docx, its PDF, page 2 as a picture), signed
with the deployment's secret (itsdangerous) and stamped with when it was made. The server opens
only what a link signed for that purpose names, while it is young enough; anything else (a
wrong, expired, forged or re-purposed link) is a 404 and a log line, never a file. Which bytes a
name stands for is the caller's (the database's) business: `fetch` gets the name and returns
the file or None.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

logger = logging.getLogger(__name__)

DEFAULT_MAX_AGE_S = 14 * 24 * 3600  # a reporting round's approval rarely takes longer
_PURPOSE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


@dataclass(frozen=True)
class LinkedFile:
    name: str
    content_type: str
    data: bytes


Fetch = Callable[[str], Awaitable[LinkedFile | None]]


class FileLinks:
    """Makes and checks links under `public_base_url` (what people's phones can reach)."""

    def __init__(
        self, secret: str, public_base_url: str, *, max_age_s: int = DEFAULT_MAX_AGE_S
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must have at least 16 characters")
        self._secret = secret
        self.base_url = public_base_url.rstrip("/")
        self.max_age_s = max_age_s

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        if not _PURPOSE.match(purpose):
            raise ValueError(f"not a purpose: {purpose!r}")
        # The purpose is the salt: a link signed for one purpose does not open another.
        return URLSafeTimedSerializer(self._secret, salt=f"baocao-file:{purpose}")

    def link(self, name: str, purpose: str) -> str:
        token = self._serializer(purpose).dumps(name)
        return f"{self.base_url}/f/{purpose}/{quote(str(token), safe='')}"

    def open(self, purpose: str, token: str) -> str | None:
        """The name a link stands for, or None (with the reason logged) if it opens nothing."""
        try:
            name = self._serializer(purpose).loads(token, max_age=self.max_age_s)
        except SignatureExpired:
            logger.info("Refused an expired %s link", purpose)
            return None
        except (BadSignature, ValueError):
            logger.warning("Refused a %s link with a bad signature", purpose)
            return None
        return name if isinstance(name, str) else None


class LinkServer:
    """An aiohttp server on `host:port` answering GET /f/<purpose>/<token>."""

    def __init__(self, links: FileLinks, fetch: Fetch, *, host: str, port: int) -> None:
        self.links = links
        self.fetch = fetch
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        self.add_routes(app)
        return app

    def add_routes(self, app: web.Application) -> None:
        """Serve the links from `app` (one server can carry a webhook too)."""
        app.router.add_get("/f/{purpose}/{token}", self._serve)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            server = site._server
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        purpose = request.match_info["purpose"]
        if not _PURPOSE.match(purpose):
            logger.warning("Refused a link with an unknown purpose from %s", request.remote)
            raise web.HTTPNotFound()
        name = self.links.open(purpose, request.match_info["token"])
        found = None if name is None else await self.fetch(name)
        if found is None:
            if name is not None:
                logger.warning("A %s link names %r, which is gone", purpose, name)
            raise web.HTTPNotFound()
        disposition = "inline" if found.content_type.startswith("image/") else "attachment"
        return web.Response(
            body=found.data,
            content_type=found.content_type,
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.name)}",
                "Cache-Control": "private, no-store",
            },
        )
