"""reporting_rounds.kind: which report a round is for; every existing round is CCHC's

A commune may now have one round per period for each report kind (report_kinds/): the unique key
becomes (period, unit, kind). Rounds opened before kinds existed were all the CCHC report.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reporting_rounds") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=32), nullable=False, server_default="cchc")
        )
        batch.drop_constraint("uq_reporting_rounds_period_id_unit_id", type_="unique")
        batch.create_unique_constraint(
            "uq_reporting_rounds_period_id_unit_id_kind", ["period_id", "unit_id", "kind"]
        )


def downgrade() -> None:
    # Only a database holding rounds of CCHC alone goes back: another kind's rounds would
    # break the old key, and are removed with their answers and drafts first.
    op.execute("DELETE FROM reporting_rounds WHERE kind <> 'cchc'")
    with op.batch_alter_table("reporting_rounds") as batch:
        batch.drop_constraint("uq_reporting_rounds_period_id_unit_id_kind", type_="unique")
        batch.create_unique_constraint(
            "uq_reporting_rounds_period_id_unit_id", ["period_id", "unit_id"]
        )
        batch.drop_column("kind")
