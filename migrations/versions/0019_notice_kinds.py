"""An outbox message's kind is one of the notice kinds the portal renders (issue 18: notice kinds as an enum).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 05:00:00

``publicity_outbox_message.kind`` was free text, matched by a chain of string comparisons at delivery: a misspelt kind
was written and failed only when the worker rendered it. It now admits only the kinds of ``NoticeKind`` (a CHECK
constraint, as every enum column has), each with its renderer in ``portal.adapters.notify``. The portal has only
ever written these kinds, so every stored message passes; the upgrade still names any that would not, instead of
failing on the constraint. The downgrade drops the constraint.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

KINDS = [
    "case_node",
    "subscribed",
    "correction_decided",
    "listing_event",
    "oversight_invitation",
    "onsite_scheduled",
    "onsite_reminder",
    "onsite_cancelled",
    "onsite_rescheduled",
    "card_answered",
    "question_answered",
    "closure_report",
    "grid_push",
    "grid_task",
    "aid_decided",
    "aid_paid",
]
CHECK = "ck_publicity_outbox_message_noticekind"
_MESSAGES = sa.table("publicity_outbox_message", sa.column("id", sa.Integer), sa.column("kind", sa.String))


def upgrade():
    unknown = op.get_bind().execute(
        sa.select(_MESSAGES.c.kind, sa.func.count()).where(_MESSAGES.c.kind.not_in(KINDS)).group_by(_MESSAGES.c.kind)
    )
    found = {kind: count for kind, count in unknown}
    if found:
        raise RuntimeError(f"outbox messages of kinds the portal does not know (kind: count): {found}")
    with op.batch_alter_table("publicity_outbox_message", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f(CHECK), sa.column("kind").in_(KINDS))


def downgrade():
    with op.batch_alter_table("publicity_outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_="check")
