from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from storage.db import Database, alembic_config, current_revision, upgrade_database
from storage.models import Answer, Base, ReportingPeriod, ReportingRound, Unit, UnitKind
from tests.factories import make_unit


async def test_upgrade_creates_every_table_and_is_repeatable(database_url: str) -> None:
    await upgrade_database(database_url)
    await upgrade_database(database_url)  # the bot runs this on every start
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert head is not None and head.isdigit() and len(head) == 4
    assert await current_revision(database_url) == head
    db = Database(database_url)
    try:
        async with db.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await db.dispose()
    assert set(Base.metadata.tables) <= set(tables)


async def test_schema_matches_models(database_url: str) -> None:
    """Autogenerate against the migrated database finds nothing: migrations and models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    await upgrade_database(database_url)
    db = Database(database_url)
    try:
        async with db.engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await db.dispose()
    assert diff == []


async def test_datetimes_come_back_aware_in_utc(database: Database) -> None:
    async with database.session() as session:
        unit = await make_unit(session)
    async with database.session() as session:
        stored = await session.get_one(Unit, unit.id)
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((datetime.now(UTC) - stored.created_at).total_seconds()) < 60


async def test_one_answer_per_question_per_round(database: Database) -> None:
    from datetime import date

    async with database.session() as session:
        unit = await make_unit(session)
        period = ReportingPeriod(
            code="2026-Q4",
            kind="quarter",
            year=2026,
            number=4,
            starts_on=date(2026, 9, 15),
            closes_on=date(2026, 12, 14),
        )
        session.add(period)
        await session.flush()
        round_ = ReportingRound(period_id=period.id, unit_id=unit.id)
        session.add(round_)
        await session.flush()
        session.add(
            Answer(round_id=round_.id, question_code="q1", value={"v": 1}, form_version="1")
        )
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(
                Answer(round_id=round_.id, question_code="q1", value={"v": 2}, form_version="1")
            )
    async with database.session() as session:
        values = (await session.scalars(select(Answer.value))).all()
    assert values == [{"v": 1}]


async def test_a_bad_enum_value_cannot_be_written(database: Database) -> None:
    from sqlalchemy import text

    with pytest.raises(IntegrityError):
        async with database.session() as session:
            await session.execute(
                text(
                    "INSERT INTO units (code, name, kind, created_at, updated_at) "
                    "VALUES ('X1', 'X', 'county', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
    async with database.session() as session:
        assert (await session.scalars(select(Unit))).all() == []
    assert UnitKind("commune") is UnitKind.COMMUNE


async def test_sqlite_runs_in_wal_mode_and_waits_for_locks_outside_sqlite(
    database: Database,
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite-only pragmas; this run uses PostgreSQL")
    from sqlalchemy import text

    async with database.engine.connect() as connection:
        mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
        timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
        foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
        driver = (await connection.get_raw_connection()).driver_connection
    # SQLite itself never waits (it would stop the event loop); the driver waits 10 s.
    assert (mode, timeout, foreign_keys) == ("wal", 0, 1)
    assert driver.busy_timeout_s == 10


def _migrate(database_url: str, sync: object, action: str, revision: str) -> None:
    """Alembic's upgrade or downgrade to `revision` on an open connection (run_sync)."""
    config = alembic_config(database_url)
    config.attributes["connection"] = sync
    getattr(command, action)(config, revision)


async def test_channel_keys_carry_telegram_updates_over_and_back(database_url: str) -> None:
    """0007 keys the inbox and the handled updates by channel: what a running bot had kept
    before the upgrade is still there after it, in the same order, and after a downgrade."""
    migrate = partial(_migrate, database_url)

    await upgrade_database(database_url, "0006")
    db = Database(database_url)
    try:
        async with db.engine.begin() as connection:
            for update_id in (905, 903, 904):
                await connection.execute(
                    text(
                        "INSERT INTO inbox_updates (update_id, payload, received_at) "
                        "VALUES (:id, :payload, CURRENT_TIMESTAMP)"
                    ),
                    {"id": update_id, "payload": f'{{"update_id": {update_id}}}'},
                )
            await connection.execute(
                text(
                    "INSERT INTO processed_updates (update_id, processed_at) "
                    "VALUES (77, CURRENT_TIMESTAMP)"
                )
            )
        async with db.engine.begin() as connection:
            await connection.run_sync(migrate, "upgrade", "0007")
        async with db.engine.connect() as connection:
            inbox = (
                await connection.execute(text("SELECT channel, key FROM inbox ORDER BY id"))
            ).all()
            handled = (
                await connection.execute(text("SELECT channel, key FROM handled_updates"))
            ).all()
        async with db.engine.begin() as connection:
            await connection.run_sync(migrate, "downgrade", "0006")
        async with db.engine.connect() as connection:
            back = (
                await connection.execute(
                    text("SELECT update_id FROM inbox_updates ORDER BY update_id")
                )
            ).all()
            processed = (
                await connection.execute(text("SELECT update_id FROM processed_updates"))
            ).all()
    finally:
        await db.dispose()

    assert inbox == [("telegram", "903"), ("telegram", "904"), ("telegram", "905")]
    assert handled == [("telegram", "77")]
    assert [row[0] for row in back] == [903, 904, 905]
    assert [row[0] for row in processed] == [77]


async def test_0011_marks_what_was_sent_and_done_before_as_telegram(database_url: str) -> None:
    """Before 0011 everything went through Telegram: a sent message (it has Telegram's id) and
    an action by a Telegram user are marked so; what was not sent, or done from the CLI, is not."""
    migrate = partial(_migrate, database_url)

    await upgrade_database(database_url, "0010")
    db = Database(database_url)
    try:
        async with db.engine.begin() as connection:
            for key, status, message_id in (("a", "sent", 501), ("b", "pending", None)):
                await connection.execute(
                    text(
                        "INSERT INTO outbox (key, chat_id, purpose, payload, status, attempts, "
                        "not_before, created_at, telegram_message_id) VALUES (:key, 42, 'x', "
                        "'{}', :status, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :message_id)"
                    ),
                    {"key": key, "status": status, "message_id": message_id},
                )
            for actor, label in ((42, None), (None, "cli")):
                await connection.execute(
                    text(
                        "INSERT INTO audit_log (at, actor_telegram_id, actor_label, action, "
                        "entity_type, details) VALUES (CURRENT_TIMESTAMP, :actor, :label, "
                        "'approve', 'draft', '{}')"
                    ),
                    {"actor": actor, "label": label},
                )
        async with db.engine.begin() as connection:
            await connection.run_sync(migrate, "upgrade", "0011")
        async with db.engine.connect() as connection:
            sent = (
                await connection.execute(text("SELECT key, channel FROM outbox ORDER BY key"))
            ).all()
            done = (
                await connection.execute(
                    text("SELECT actor_label, channel FROM audit_log ORDER BY id")
                )
            ).all()
        async with db.engine.begin() as connection:
            await connection.run_sync(migrate, "downgrade", "0010")
        async with db.engine.connect() as connection:
            kept = (await connection.execute(text("SELECT key FROM outbox ORDER BY key"))).all()
    finally:
        await db.dispose()

    assert sent == [("a", "telegram"), ("b", None)]
    assert done == [(None, "telegram"), ("cli", None)]
    assert [row[0] for row in kept] == ["a", "b"]


async def test_0012_makes_every_existing_round_cchcs_and_lets_a_commune_have_one_per_kind(
    database_url: str,
) -> None:
    """Rounds opened before report kinds keep their answers and become the CCHC report's; after
    it a commune may have one round per period for each kind, never two of the same kind."""
    migrate = partial(_migrate, database_url)
    await upgrade_database(database_url, "0011")
    db = Database(database_url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO units (code, name, kind, created_at, updated_at) VALUES "
                    "('12151', 'Tân Quang', 'commune', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO reporting_periods (code, kind, year, number, starts_on, "
                    "closes_on) VALUES ('2026-Q4', 'quarter', 2026, 4, '2026-09-15', "
                    "'2026-12-14')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO reporting_rounds (period_id, unit_id, status, opened_at, "
                    "created_at, updated_at) VALUES (1, 1, 'open', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO answers (round_id, question_code, value, form_version, "
                    "answered_at) VALUES (1, 'radio_items', '{\"value\": 25}', '2026.2', "
                    "CURRENT_TIMESTAMP)"
                )
            )
        async with db.engine.begin() as connection:
            await connection.run_sync(migrate, "upgrade", "0012")
        async with db.engine.begin() as connection:
            kinds = (await connection.execute(text("SELECT kind FROM reporting_rounds"))).all()
            answers = (await connection.execute(text("SELECT round_id FROM answers"))).all()
            await connection.execute(
                text(
                    "INSERT INTO reporting_rounds (period_id, unit_id, kind, status, opened_at, "
                    "created_at, updated_at) VALUES (1, 1, 'tthc', 'open', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        with pytest.raises(IntegrityError):
            async with db.engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO reporting_rounds (period_id, unit_id, kind, status, "
                        "opened_at, created_at, updated_at) VALUES (1, 1, 'cchc', 'open', "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
        async with db.engine.begin() as connection:
            await connection.run_sync(migrate, "downgrade", "0011")
        async with db.engine.connect() as connection:
            back = (await connection.execute(text("SELECT id FROM reporting_rounds"))).all()
    finally:
        await db.dispose()

    assert [row[0] for row in kinds] == ["cchc"]
    assert [row[0] for row in answers] == [1]
    assert [row[0] for row in back] == [1]  # CCHC's round, and its answer, stay on downgrade


async def test_a_persons_latest_walk_is_read_through_an_index(database: Database) -> None:
    # Read on every answer typed: a scan of every walk of every round grows each quarter.
    from storage.questionnaire import latest_walk_statement

    dialect = database.engine.dialect
    sql = str(
        latest_walk_statement(dialect.name)
        .params(person_id=1)
        .compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    )
    async with database.engine.connect() as connection:
        if dialect.name == "sqlite":
            plan = " / ".join(
                str(row[-1])
                for row in await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
            )
        else:
            # An empty table is read whole whatever its indexes: ask whether one is usable.
            await connection.exec_driver_sql("SET enable_seqscan = off")
            plan = " / ".join(
                str(row[0]) for row in await connection.exec_driver_sql("EXPLAIN " + sql)
            )
    assert "ix_questionnaire_states_person_id_updated_at" in plan, plan
    assert "SCAN questionnaire_states" not in plan, plan
