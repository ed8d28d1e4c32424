"""Corrections that correct: a correction's kind (wording, re-date, void), its reason and the time a
re-dating replaced; a voided node points at the correction that voided it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 22:40:00

Existing rows are not rewritten: earlier corrections keep no kind (they changed wording only), and
``flask record check`` lists what an upgraded record gets wrong; the fixes are new corrections.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("publicity_case_node", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "correction_kind",
                sa.Enum(
                    "wording",
                    "redate",
                    "void",
                    name="correctionkind",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("previous_occurred_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("voided_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_publicity_case_node_voided_by_id_publicity_case_node"),
            "publicity_case_node",
            ["voided_by_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("publicity_case_node", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_publicity_case_node_voided_by_id_publicity_case_node"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("ck_publicity_case_node_correctionkind"), type_="check")
        batch_op.drop_column("voided_by_id")
        batch_op.drop_column("previous_occurred_at")
        batch_op.drop_column("reason")
        batch_op.drop_column("correction_kind")
