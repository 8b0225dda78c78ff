"""questionnaire state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:02:17.651640
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_updates_processed_at"), ["processed_at"], unique=False
        )

    op.create_table(
        "section_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("section_code", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_section_assignments_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_section_assignments_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section_assignments")),
        sa.UniqueConstraint(
            "unit_id",
            "section_code",
            "person_id",
            name=op.f("uq_section_assignments_unit_id_section_code_person_id"),
        ),
    )
    with op.batch_alter_table("section_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_section_assignments_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "questionnaire_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "asking",
                "confirming",
                "reviewing",
                "paused",
                "done",
                name="walk_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("question_code", sa.String(length=40), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=True),
        sa.Column("back_to_review", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_questionnaire_states_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["reporting_rounds.id"],
            name=op.f("fk_questionnaire_states_round_id_reporting_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_states")),
        sa.UniqueConstraint(
            "round_id", "person_id", name=op.f("uq_questionnaire_states_round_id_person_id")
        ),
    )
    with op.batch_alter_table("questionnaire_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_states_round_id"), ["round_id"], unique=False
        )

    op.create_table(
        "section_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("section_code", sa.String(length=40), nullable=False),
        sa.Column("form_version", sa.String(length=32), nullable=False),
        sa.Column("submitted_by_person_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["reporting_rounds.id"],
            name=op.f("fk_section_submissions_round_id_reporting_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_person_id"],
            ["people.id"],
            name=op.f("fk_section_submissions_submitted_by_person_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section_submissions")),
        sa.UniqueConstraint(
            "round_id", "section_code", name=op.f("uq_section_submissions_round_id_section_code")
        ),
    )
    with op.batch_alter_table("section_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_section_submissions_round_id"), ["round_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("section_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_section_submissions_round_id"))

    op.drop_table("section_submissions")
    with op.batch_alter_table("questionnaire_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_states_round_id"))

    op.drop_table("questionnaire_states")
    with op.batch_alter_table("section_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_section_assignments_unit_id"))

    op.drop_table("section_assignments")
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_updates_processed_at"))

    op.drop_table("processed_updates")
