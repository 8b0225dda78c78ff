"""Who leads, and the calendar's clock.

One instance leads: it polls Telegram (the Bot API allows one getUpdates consumer per token) and
runs the calendar. On PostgreSQL leadership is an advisory lock held by a connection of its own,
so when the leader dies its connection closes, the lock is released, and a waiting instance takes
over. On SQLite the instance lock already makes this process the only one. Every instance sends
from the outbox.

The calendar runs on APScheduler 3.11: one interval job asks `CalendarDuties` what is due now.
What is due is computed from the calendar and the database, so a bot that was down through a
reminder queues it once on start, and the outbox keys keep any event from going out twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import NullPool

from conversations.duties import CalendarDuties
from storage.db import Database, create_engine

logger = logging.getLogger(__name__)

# pg_try_advisory_lock takes a bigint; this one spells "baocao" in ASCII.
LEADER_LOCK_KEY = 0x62616F63616F
Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


class Leadership:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.embedded = database_url.startswith("sqlite")
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        """True if this instance leads now (taking the lock if it is free)."""
        if self.embedded:
            return True
        if self._connection is not None:
            return await self.still_held()
        if self._engine is None:
            self._engine = create_engine(self.database_url, poolclass=NullPool)
        connection = await self._engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
            )
            # A session-level lock outlives the transaction; do not sit idle in one.
            await connection.commit()
        except (DBAPIError, OperationalError):
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_held(self) -> bool:
        """False once the lock's connection is gone (the database restarted, say)."""
        if self.embedded:
            return True
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
            return True
        except (DBAPIError, OperationalError):
            logger.error("Lost the connection holding leadership")
            self._connection = None
            return False

    async def release(self) -> None:
        if self._connection is not None:
            try:
                await self._connection.close()  # closing the session releases the lock
            finally:
                self._connection = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


class CalendarClock:
    """Runs each report kind's calendar duties every `every_s` seconds, and once at start."""

    def __init__(
        self,
        database: Database,
        duties: CalendarDuties | Sequence[CalendarDuties],
        *,
        every_s: float,
        on_queued: Callable[[], None] = lambda: None,
        clock: Clock = utc_clock,
    ) -> None:
        self.database = database
        self.duties = [duties] if isinstance(duties, CalendarDuties) else list(duties)
        self.zone = self.duties[0].zone
        self.every_s = every_s
        self.on_queued = on_queued
        self.clock = clock
        self._scheduler: AsyncIOScheduler | None = None

    async def tick(self) -> int:
        """Queue what is due now; how many messages were queued."""
        now = self.clock()
        queued: Counter[str] = Counter()
        for duties in self.duties:
            # A transaction per kind: one kind's failure keeps nothing of it and stops no other.
            try:
                async with self.database.session() as session:
                    queued += await duties.run(session, now)
            except Exception:  # the next tick tries again; nothing was queued by this one
                logger.exception("The calendar of report kind %s could not run", duties.report_kind)
        total = sum(queued.values())
        if total:
            logger.info(
                "Calendar: queued %s",
                ", ".join(f"{count} {kind}" for kind, count in sorted(queued.items())),
            )
            self.on_queued()
        return total

    def start(self) -> None:
        scheduler = AsyncIOScheduler(timezone=self.zone)
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.every_s,
            next_run_time=datetime.now(self.zone),  # catch up at once on start
            id="calendar",
            max_instances=1,
            coalesce=True,  # after a pause, one run, not one per missed tick
        )
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
