"""The dashboard: the cases with a settlement read from an index of nodes by type, a closed case's
receipts summed from an index of its fund movements; the 终本 list's search by a respondent's name

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 06:20:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_publicity_case_node_node_type_case_id", "publicity_case_node", ["node_type", "case_id"])
    # Replaces the index of case_id alone (its first column).
    op.create_index(
        "ix_publicity_fund_movement_case_receipts",
        "publicity_fund_movement",
        ["case_id", "direction", "source", "amount_fen"],
    )
    op.drop_index("ix_publicity_fund_movement_case_id", table_name="publicity_fund_movement")
    # The 终本 list's search by a respondent's name.
    op.create_index("ix_publicity_party_side_name", "publicity_party", ["side", "name"])


def downgrade():
    op.drop_index("ix_publicity_party_side_name", table_name="publicity_party")
    op.create_index("ix_publicity_fund_movement_case_id", "publicity_fund_movement", ["case_id"])
    op.drop_index("ix_publicity_fund_movement_case_receipts", table_name="publicity_fund_movement")
    op.drop_index("ix_publicity_case_node_node_type_case_id", table_name="publicity_case_node")
