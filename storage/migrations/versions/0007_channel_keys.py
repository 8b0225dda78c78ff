"""channel keys: the inbox and the handled updates say which channel an update came from

Telegram numbers its updates; Zalo's have no id but their message's, a string. Both tables now
key an update by (channel, key), the key as text, and the inbox keeps the order of receipt in
an id of its own. Today's rows are Telegram's and are carried over as they are.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TELEGRAM = "telegram"


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("channel", "key", name=op.f("uq_inbox_channel_key")),
    )
    op.execute(
        "INSERT INTO inbox (channel, key, payload, received_at) "
        f"SELECT '{TELEGRAM}', CAST(update_id AS VARCHAR(80)), payload, received_at "
        "FROM inbox_updates ORDER BY update_id"
    )
    op.drop_table("inbox_updates")

    op.create_table(
        "handled_updates",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "key", name=op.f("pk_handled_updates")),
    )
    op.execute(
        "INSERT INTO handled_updates (channel, key, processed_at) "
        f"SELECT '{TELEGRAM}', CAST(update_id AS VARCHAR(80)), processed_at "
        "FROM processed_updates"
    )
    op.drop_index(op.f("ix_processed_updates_processed_at"), table_name="processed_updates")
    op.drop_table("processed_updates")
    op.create_index(
        op.f("ix_handled_updates_processed_at"), "handled_updates", ["processed_at"], unique=False
    )


def downgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.create_index(
        op.f("ix_processed_updates_processed_at"),
        "processed_updates",
        ["processed_at"],
        unique=False,
    )
    op.execute(
        "INSERT INTO processed_updates (update_id, processed_at) "
        "SELECT CAST(key AS BIGINT), processed_at FROM handled_updates "
        f"WHERE channel = '{TELEGRAM}'"
    )
    op.drop_index(op.f("ix_handled_updates_processed_at"), table_name="handled_updates")
    op.drop_table("handled_updates")

    op.create_table(
        "inbox_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox_updates")),
    )
    op.execute(
        "INSERT INTO inbox_updates (update_id, payload, received_at) "
        "SELECT CAST(key AS BIGINT), payload, received_at FROM inbox "
        f"WHERE channel = '{TELEGRAM}'"
    )
    op.drop_table("inbox")
