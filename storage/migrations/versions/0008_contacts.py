"""contacts: a person's account on a channel other than Telegram (Zalo)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_contacts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_contacts_channel_address")),
        sa.UniqueConstraint("person_id", "channel", name=op.f("uq_contacts_person_id_channel")),
    )
    op.create_index(op.f("ix_contacts_person_id"), "contacts", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_contacts_person_id"), table_name="contacts")
    op.drop_table("contacts")
