"""Staff accounts keep a mobile number and an email, recorded by the administrators: the overseer roster is
checked against them (separation of duties, issue 16).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 23:00:00

Existing accounts get empty contacts; the administrators fill them in (Accounts → the account → Contact).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("portal_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=30), server_default="", nullable=False))
        batch_op.add_column(sa.Column("email", sa.String(length=254), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("portal_account", schema=None) as batch_op:
        batch_op.drop_column("email")
        batch_op.drop_column("phone")
