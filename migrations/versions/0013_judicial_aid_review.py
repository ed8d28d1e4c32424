"""Judicial aid decided by a reviewer (issue 16, point 6): filled in by the change that builds it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 23:00:00

"""

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
