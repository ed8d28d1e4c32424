"""Case funds as a ledger (issue 16, point 5): a movement entered in error is reversed by a negative movement
pointing at it (once: a unique ``reverses_id``) with its reason; a payout records its payee's kind, the party paid
and its purpose; payouts above the court's threshold are applied for and decided once (payout applications); a
judge may approve, with a reason, paying a receipt out after the court's payout days (payout delays).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 23:00:00

Existing rows are not rewritten: earlier payouts keep no payee kind or purpose (the ledger shows them as not
recorded), and every existing movement is positive, as the new CHECK constraint asks of all but reversals.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _enum(*values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table("publicity_fund_movement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("payee_kind", _enum("applicant", "respondent", "costs", name="payeekind"), nullable=True)
        )
        batch_op.add_column(sa.Column("party_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("purpose", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), server_default="", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_publicity_fund_movement_party_id_publicity_party"), "publicity_party", ["party_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_publicity_fund_movement_reverses_id_publicity_fund_movement"),
            "publicity_fund_movement",
            ["reverses_id"],
            ["id"],
        )
        batch_op.create_unique_constraint(batch_op.f("uq_publicity_fund_movement_reverses_id"), ["reverses_id"])
        batch_op.create_check_constraint(
            batch_op.f("ck_publicity_fund_movement_sign"),
            "(reverses_id IS NULL AND amount_fen > 0) OR (reverses_id IS NOT NULL AND amount_fen < 0)",
        )

    op.create_table(
        "publicity_payout_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("payee_kind", _enum("applicant", "respondent", "costs", name="payeekind"), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("counterparty", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("status", _enum("pending", "approved", "rejected", name="payoutstatus"), nullable=False),
        sa.Column("applied_by", sa.String(length=100), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("movement_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_publicity_payout_application_amount_positive")),
        sa.CheckConstraint(
            "(status = 'approved' AND movement_id IS NOT NULL) OR (status <> 'approved' AND movement_id IS NULL)",
            name=op.f("ck_publicity_payout_application_approved_movement"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["publicity_enforcement_case.id"],
            name=op.f("fk_publicity_payout_application_case_id_publicity_enforcement_case"),
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["publicity_party.id"], name=op.f("fk_publicity_payout_application_party_id_publicity_party")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["publicity_fund_movement.id"],
            name=op.f("fk_publicity_payout_application_movement_id_publicity_fund_movement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity_payout_application")),
        sa.UniqueConstraint("movement_id", name=op.f("uq_publicity_payout_application_movement_id")),
    )
    op.create_index(
        "ix_publicity_payout_application_case_id", "publicity_payout_application", ["case_id", "status"], unique=False
    )
    op.create_index(
        "ix_publicity_payout_application_status", "publicity_payout_application", ["status", "case_id"], unique=False
    )

    op.create_table(
        "publicity_payout_delay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["publicity_fund_movement.id"],
            name=op.f("fk_publicity_payout_delay_receipt_id_publicity_fund_movement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity_payout_delay")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_publicity_payout_delay_receipt_id")),
    )


def downgrade():
    op.drop_table("publicity_payout_delay")
    op.drop_index("ix_publicity_payout_application_status", table_name="publicity_payout_application")
    op.drop_index("ix_publicity_payout_application_case_id", table_name="publicity_payout_application")
    op.drop_table("publicity_payout_application")
    with op.batch_alter_table("publicity_fund_movement", schema=None) as batch_op:
        # On SQLite a CHECK naming a column must go before the column (batch mode copies the table).
        batch_op.drop_constraint(batch_op.f("ck_publicity_fund_movement_sign"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_publicity_fund_movement_payeekind"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_publicity_fund_movement_reverses_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_publicity_fund_movement_reverses_id_publicity_fund_movement"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_publicity_fund_movement_party_id_publicity_party"), type_="foreignkey")
        batch_op.drop_column("reason")
        batch_op.drop_column("reverses_id")
        batch_op.drop_column("purpose")
        batch_op.drop_column("party_id")
        batch_op.drop_column("payee_kind")
