"""channels: offices reached on Zalo, and the channel recorded on sent messages and audit entries

An office's contact point on a channel other than Telegram (Zalo bots cannot join groups, so it
is the account of the staff member who registered there), the channel its files go to, the
channel each message went out on and the channel each audited action came from. Everything
before this migration happened on Telegram, and is marked so.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=80), nullable=False),
        sa.Column("set_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_office_contacts_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_person_id"],
            ["people.id"],
            name=op.f("fk_office_contacts_set_by_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_contacts")),
        sa.UniqueConstraint("unit_id", "channel", name=op.f("uq_office_contacts_unit_id_channel")),
    )
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("delivery_channel", sa.String(length=16), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch.create_index("ix_outbox_person_id_id", ["person_id", "id"], unique=False)
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
    # What was sent or done before went through Telegram: a sent message has its Telegram id,
    # an audited action its actor's Telegram id.
    op.execute(
        "UPDATE outbox SET channel = 'telegram' "
        "WHERE status = 'sent' AND telegram_message_id IS NOT NULL"
    )
    op.execute("UPDATE audit_log SET channel = 'telegram' WHERE actor_telegram_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("channel")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_person_id_id")
        batch.drop_column("channel")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("delivery_channel")
    op.drop_table("office_contacts")
