"""questionnaire_states: an index on (person_id, updated_at)

Every answer typed reads the person's latest walk. The only index on the table led with the
round, so that read went through every walk of every round; it grew with each quarter.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_questionnaire_states_person_id_updated_at",
        "questionnaire_states",
        ["person_id", "updated_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_questionnaire_states_person_id_updated_at", "questionnaire_states")
