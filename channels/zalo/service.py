"""The bot's Zalo side, run beside Telegram while this instance leads: the client, the receiver
(long polling, inbox) and the conversation, assembled from the settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from channels.base import Failure, Incoming, SendError
from channels.lanes import ChatLanes
from channels.links import LinkServer
from channels.zalo.api import ZaloBotApi
from channels.zalo.conversation import ZaloConversation
from channels.zalo.outlet import Pages
from channels.zalo.receiver import ZaloReceiver
from conversations import texts
from conversations.approval import ApprovalWorkflow
from conversations.engine import Questionnaire
from conversations.office import OfficeDesk
from storage.db import Database

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Webhook:
    """Where Zalo posts updates (a public https address) and the secret it sends back."""

    url: str
    secret: str


@dataclass(frozen=True)
class Listen:
    """Where this process's small web server listens (behind the public address's proxy)."""

    host: str
    port: int


class ZaloService:
    def __init__(
        self,
        database: Database,
        questionnaire: Questionnaire,
        *,
        token: str,
        api_url: str,
        poll_timeout_s: int = 10,
        webhook: Webhook | None = None,
        workflow: ApprovalWorkflow | None = None,
        desk: OfficeDesk | None = None,
        listen: Listen | None = None,
        links: LinkServer | None = None,
        pages: Pages | None = None,
    ) -> None:
        self.poll_timeout_s = poll_timeout_s
        self.webhook = webhook
        self.listen = listen
        self.links = links
        self.api = ZaloBotApi(token, base_url=api_url)
        self.conversation = ZaloConversation(
            database, questionnaire, self.api, workflow=workflow, desk=desk
        )
        self.outlet = self.conversation.outlet  # the outbox's way to people on Zalo
        self.outlet.links = links.links if links is not None else None
        self.outlet.pages = pages
        self.receiver = ZaloReceiver(
            database,
            self.conversation.handle,
            on_failure=self._not_taken,
            on_flood=self._too_fast,
            lanes=ChatLanes(),
        )
        self.api_url = api_url
        # Set when Zalo refused the token: a bot on Zalo alone then stops with that code.
        self.token_rejected = False

    async def run(self, stop: asyncio.Event) -> None:
        """Check the token, handle what a crash left, then poll until `stop` is set."""
        try:
            me = await self.api.get_me()
        except SendError as exc:
            if exc.failure is Failure.RETRY_LATER:
                logger.warning("Zalo's Bot API at %s is not reachable yet: %s", self.api_url, exc)
            else:
                logger.error(
                    "Zalo's Bot API at %s refused ZALO_BOT_TOKEN (%s); Zalo is off until the "
                    "token is fixed and the bot restarted",
                    self.api_url,
                    exc.description,
                )
                self.token_rejected = True
                return
        else:
            logger.info("Zalo bot %s is running", me.get("account_name", "?"))
        left = await self.receiver.start()
        if left:
            logger.info("Handling %d Zalo message(s) kept before the last stop", left)
        server = await self._serve_http()
        try:
            if self.webhook is not None:
                await self._take_webhook(self.webhook, stop)
            else:
                await self._forget_webhook()  # getUpdates refuses while one is set
                await self.receiver.poll(self.api, stop, timeout_s=self.poll_timeout_s)
        finally:
            await self.receiver.drain()
            if server is not None:
                await server.cleanup()

    async def _serve_http(self) -> web.AppRunner | None:
        """One small web server for what Zalo needs of this process: its webhook, the links to
        report files; None when neither is configured."""
        if self.listen is None or (self.webhook is None and self.links is None):
            return None
        app = web.Application()
        if self.webhook is not None:
            path = urlsplit(self.webhook.url).path or "/"
            app.router.add_post(path, self.receiver.webhook(self.webhook.secret))
        if self.links is not None:
            self.links.add_routes(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.listen.host, self.listen.port).start()
        logger.info("Listening on %s:%s for Zalo", self.listen.host, self.listen.port)
        return runner

    async def _take_webhook(self, webhook: Webhook, stop: asyncio.Event) -> None:
        """Tell Zalo where to post, and wait for `stop`. The webhook stays set on stopping:
        Zalo keeps trying while the bot restarts."""
        while not stop.is_set():
            try:
                await self.api.set_webhook(webhook.url, webhook.secret)
                break
            except SendError as exc:
                logger.warning("Could not set the Zalo webhook (%s); trying again", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 5)
        logger.info("Zalo posts updates to %s", webhook.url)
        await stop.wait()

    async def _forget_webhook(self) -> None:
        try:
            if (await self.api.get_webhook_info()).get("url"):
                await self.api.delete_webhook()
                logger.info("Removed the Zalo webhook: this bot polls")
        except SendError as exc:
            logger.warning("Could not check Zalo's webhook: %s", exc)

    async def close(self) -> None:
        await self.api.close()

    async def _not_taken(self, incoming: Incoming) -> None:
        await self._tell(incoming, texts.NOT_TAKEN)

    async def _too_fast(self, incoming: Incoming) -> None:
        await self._tell(incoming, texts.TOO_FAST)

    async def _tell(self, incoming: Incoming, text: str) -> None:
        try:
            await self.api.send_message(incoming.address.chat_id, text)
        except SendError as exc:
            logger.warning("Could not tell a Zalo chat: %s", exc)
