"""Login sessions kept on the server, and a forced password change (issue 17, point 3).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 02:20:00

Every signed-in cookie now needs an open row in portal_login_session: after the upgrade, everyone logged in
before it logs in again once. Existing accounts are not made to change their password
(``must_change_password`` starts false); accounts an administrator creates or resets from now on are.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "portal_login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_token", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["portal_account.id"], name=op.f("fk_portal_login_session_account_id_portal_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_login_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_login_session_token_hash")),
    )
    op.create_index("ix_portal_login_session_account_id", "portal_login_session", ["account_id", "ended_at"])
    with op.batch_alter_table("portal_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("portal_account", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
    op.drop_index("ix_portal_login_session_account_id", table_name="portal_login_session")
    op.drop_table("portal_login_session")
