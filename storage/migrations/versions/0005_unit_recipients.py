"""unit recipients: each commune's "Nơi nhận" list, and the chairman's next message as that list

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = ("return_comment", "document_number")
KINDS_AFTER = (*KINDS_BEFORE, "recipients")


def _kinds(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("recipients", sa.JSON(), nullable=True))
    with op.batch_alter_table("pending_inputs") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_pending_inputs_unit_id_units"),
            "units",
            ["unit_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.alter_column("draft_id", existing_type=sa.Integer(), nullable=True)
        batch.drop_constraint(op.f("ck_pending_inputs_pending_input_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_pending_inputs_pending_input_kind"), _kinds(KINDS_AFTER)
        )


def downgrade() -> None:
    op.execute("DELETE FROM pending_inputs WHERE kind = 'recipients'")
    with op.batch_alter_table("pending_inputs") as batch:
        batch.drop_constraint(op.f("ck_pending_inputs_pending_input_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_pending_inputs_pending_input_kind"), _kinds(KINDS_BEFORE)
        )
        batch.alter_column("draft_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint(op.f("fk_pending_inputs_unit_id_units"), type_="foreignkey")
        batch.drop_column("unit_id")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("recipients")
