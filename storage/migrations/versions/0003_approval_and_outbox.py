"""approval and outbox: draft versions as data, the number register, pending inputs, the outbox,
the vice-chairman who signs, and people who blocked the bot

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:35:27.775552

No release ever wrote to `drafts`, so it is rebuilt rather than altered.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _moment(name: str, *, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _person(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["people.id"], name=op.f(f"fk_{table}_{column}_people")
    )


def upgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signs", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(_moment("blocked_bot_at"))
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drafts_round_id"))
    op.drop_table("drafts")
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            _enum("draft_status", "awaiting", "superseded", "returned", "approved"),
            nullable=False,
        ),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("preview_text", sa.Text(), nullable=False),
        sa.Column("docx", sa.LargeBinary(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        _moment("created_at", nullable=False),
        sa.Column("created_by_person_id", sa.Integer(), nullable=True),
        _moment("decided_at"),
        sa.Column("decided_by_person_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        _moment("delivered_at"),
        _moment("acknowledged_at"),
        sa.Column("acknowledged_by_person_id", sa.Integer(), nullable=True),
        _person("drafts", "created_by_person_id"),
        _person("drafts", "decided_by_person_id"),
        _person("drafts", "acknowledged_by_person_id"),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["reporting_rounds.id"],
            name=op.f("fk_drafts_round_id_reporting_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("round_id", "version", name=op.f("uq_drafts_round_id_version")),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drafts_round_id"), ["round_id"], unique=False)
        batch_op.create_index(
            "uq_drafts_one_approved_per_round",
            ["round_id"],
            unique=True,
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        )

    op.create_table(
        "document_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        _moment("assigned_at", nullable=False),
        sa.Column("assigned_by_person_id", sa.Integer(), nullable=True),
        _person("document_numbers", "assigned_by_person_id"),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["drafts.id"],
            name=op.f("fk_document_numbers_draft_id_drafts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_document_numbers_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_numbers")),
        sa.UniqueConstraint("draft_id", name=op.f("uq_document_numbers_draft_id")),
        sa.UniqueConstraint(
            "unit_id", "year", "number", name=op.f("uq_document_numbers_unit_id_year_number")
        ),
    )
    with op.batch_alter_table("document_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_numbers_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "pending_inputs",
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "kind", _enum("pending_input_kind", "return_comment", "document_number"), nullable=False
        ),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        _moment("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["drafts.id"],
            name=op.f("fk_pending_inputs_draft_id_drafts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_pending_inputs_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_pending_inputs")),
    )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            _enum("outbox_status", "pending", "sending", "sent", "blocked", "failed"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _moment("not_before", nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        _moment("claimed_at"),
        _moment("created_at", nullable=False),
        _moment("sent_at"),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_outbox_draft_id_drafts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["units.id"], name=op.f("fk_outbox_office_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_outbox_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_status_not_before", ["status", "not_before"], unique=False)
        batch_op.create_index("ix_outbox_chat_id_id", ["chat_id", "id"], unique=False)
        batch_op.create_index("ix_outbox_office_id_id", ["office_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("blocked_bot_at")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("signs")
    op.drop_table("outbox")
    op.drop_table("pending_inputs")
    op.drop_table("document_numbers")
    op.drop_table("drafts")
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            _enum(
                "round_status", "open", "submitted", "returned", "approved", "delivered", "closed"
            ),
            nullable=False,
        ),
        sa.Column("preview_text", sa.Text(), nullable=False),
        sa.Column("document_path", sa.String(length=500), nullable=True),
        _moment("created_at", nullable=False),
        sa.Column("created_by_person_id", sa.Integer(), nullable=True),
        _person("drafts", "created_by_person_id"),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["reporting_rounds.id"],
            name=op.f("fk_drafts_round_id_reporting_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("round_id", "version", name=op.f("uq_drafts_round_id_version")),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drafts_round_id"), ["round_id"], unique=False)
