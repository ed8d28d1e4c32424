"""On-site actions can be cancelled and rescheduled: a status (scheduled / cancelled), the cancel reason,
the time a rescheduling replaced and its reason; a cancelled action and only it carries ``cancelled_at``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 09:10:00

Existing rows become scheduled. No service set ``cancelled_at`` before this revision; a row that carries it
all the same (set by hand) becomes cancelled, so that the new CHECK constraint holds.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

STATUSES = ["scheduled", "cancelled"]


def upgrade():
    with op.batch_alter_table("oversight_onsite_action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=32), server_default="scheduled", nullable=False))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("rescheduled_from", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reschedule_reason", sa.Text(), server_default="", nullable=False))
    op.execute("UPDATE oversight_onsite_action SET status = 'cancelled' WHERE cancelled_at IS NOT NULL")
    with op.batch_alter_table("oversight_onsite_action", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_oversight_onsite_action_onsitestatus"), sa.column("status").in_(STATUSES)
        )
        batch_op.create_check_constraint(
            op.f("ck_oversight_onsite_action_cancelled_at"),
            "(status = 'cancelled' AND cancelled_at IS NOT NULL) OR (status <> 'cancelled' AND cancelled_at IS NULL)",
        )


def downgrade():
    with op.batch_alter_table("oversight_onsite_action", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_oversight_onsite_action_cancelled_at"), type_="check")
        batch_op.drop_constraint(op.f("ck_oversight_onsite_action_onsitestatus"), type_="check")
        batch_op.drop_column("reschedule_reason")
        batch_op.drop_column("rescheduled_from")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("status")
