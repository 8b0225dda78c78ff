"""prompts shown: which questions reached the person, so a typed answer counts for the one they saw

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("questionnaire_states") as batch:
        batch.add_column(sa.Column("shown", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_states") as batch:
        batch.drop_column("shown")
