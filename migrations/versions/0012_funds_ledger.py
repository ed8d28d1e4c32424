"""Case funds as a ledger (issue 16, point 5): filled in by the change that builds it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 23:00:00

"""

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
