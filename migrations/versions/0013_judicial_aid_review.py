"""Judicial aid decided by a reviewer and paid from the aid fund (issue 16, point 6): the applicant's attempt
number (one application per applicant and case, unique; a later one rests on changed circumstances), the
reviewing judge, and the payment recorded on the aid side (amount, reference, who recorded it and when).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 23:00:00

History is not rewritten. Aid paid before this revision was written into the case ledger as money received
(a ``judicial_aid`` fund movement, linked by ``fund_movement_id``): those movements and links stay as they are,
and the new payment columns stay empty for them (``AidApplication.aid_paid_fen`` reads the amount granted).
From this revision on a payment makes no fund movement. Existing decisions keep no reviewer (they were made
by whoever ``decided_by`` names). The only values written are the attempt numbers: an applicant's existing
applications in a case are numbered 1, 2, ... in the order they were filed, so that the new unique constraint
holds for the applications the old rules allowed (a new one after a refusal).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("publicity_aid_application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("changed_circumstances", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("reviewer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("paid_fen", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("payment_reference", sa.String(length=100), server_default="", nullable=False))
        batch_op.add_column(sa.Column("paid_by", sa.String(length=100), server_default="", nullable=False))
        batch_op.add_column(sa.Column("payment_recorded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_publicity_aid_application_reviewer_id_publicity_officer"),
            "publicity_officer",
            ["reviewer_id"],
            ["id"],
        )
    op.execute(
        "UPDATE publicity_aid_application SET attempt = ("
        "SELECT COUNT(*) FROM publicity_aid_application AS earlier"
        " WHERE earlier.case_id = publicity_aid_application.case_id"
        " AND earlier.party_id = publicity_aid_application.party_id"
        " AND earlier.id <= publicity_aid_application.id)"
    )
    with op.batch_alter_table("publicity_aid_application", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_publicity_aid_application_attempt", ["case_id", "party_id", "attempt"])


def downgrade():
    with op.batch_alter_table("publicity_aid_application", schema=None) as batch_op:
        batch_op.drop_constraint("uq_publicity_aid_application_attempt", type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_publicity_aid_application_reviewer_id_publicity_officer"), type_="foreignkey"
        )
        batch_op.drop_column("payment_recorded_at")
        batch_op.drop_column("paid_by")
        batch_op.drop_column("payment_reference")
        batch_op.drop_column("paid_fen")
        batch_op.drop_column("reviewer_id")
        batch_op.drop_column("changed_circumstances")
        batch_op.drop_column("attempt")
