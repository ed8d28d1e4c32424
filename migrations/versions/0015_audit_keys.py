"""The audit chain is keyed and anchored (issue 17): every record is sealed with HMAC-SHA-256 under a key kept
outside the database and names that key; chain heads are published as anchors.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 01:20:00

Existing records were sealed with plain SHA-256, which anyone who can write the database can recompute. The
upgrade first checks every chain as it stands (and stops, naming the record, when one is already broken: a
broken chain must be looked into, not re-sealed), then re-seals each chain in order under the portal's current
audit key (MINGJING_AUDIT_KEY or MINGJING_AUDIT_KEY_FILE), keeping every record's content. Downgrading restores
plain SHA-256 seals.
"""

import hashlib
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

from publicity.core import audit
from publicity.core.models import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
_CONTENT = ("chain", "seq", "recorded_at", "actor", "action", "object_type", "object_id", "changes")
_RECORDS = sa.table(
    "publicity_audit_record",
    sa.column("id"),
    *(sa.column(f) for f in _CONTENT if f != "recorded_at"),
    sa.column("recorded_at", UTCDateTime()),
    sa.column("prev_hash"),
    sa.column("hash"),
    sa.column("key_id"),
)
_HEADS = sa.table("publicity_audit_head", sa.column("chain"), sa.column("hash"))


def _plain(row, prev_hash):
    """The seal before this revision: SHA-256 of the content and the previous seal."""
    content = [getattr(row, f) for f in _CONTENT]
    content[2] = row.recorded_at.astimezone(UTC).isoformat(timespec="microseconds")
    text = json.dumps([*content, prev_hash], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _keyed(row, prev_hash, key_id):
    return audit.seal(key_id=key_id, prev_hash=prev_hash, **{f: getattr(row, f) for f in _CONTENT})


BATCH = 5000  # records read and re-sealed at a time: a court's trail of millions is never held in memory at once


def _reseal(conn, intact, seal):
    """Walk every chain in order: stop at the first record that is not ``intact(row)`` or not linked to the one
    before it; otherwise give it ``seal(row, prev_hash)`` (the new seal and key id) and move the head along."""
    update = (
        _RECORDS.update()
        .where(_RECORDS.c.id == sa.bindparam("row_id"))
        .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash"), key_id=sa.bindparam("new_key"))
    )
    for (chain,) in conn.execute(sa.select(_RECORDS.c.chain).distinct()).all():
        old_prev = new_prev = GENESIS
        expected = 1
        while True:
            rows = conn.execute(
                sa.select(_RECORDS)
                .where(_RECORDS.c.chain == chain, _RECORDS.c.seq >= expected)
                .order_by(_RECORDS.c.seq)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            changes = []
            for row in rows:
                if row.seq != expected or row.prev_hash != old_prev or not intact(row):
                    raise RuntimeError(
                        f"audit chain {chain} is broken at record {expected}: look into it before upgrading "
                        "(flask --app wsgi audit verify, on the version before this one)"
                    )
                new_hash, key_id = seal(row, new_prev)
                changes.append({"row_id": row.id, "new_prev": new_prev, "new_hash": new_hash, "new_key": key_id})
                old_prev, new_prev, expected = row.hash, new_hash, expected + 1
            conn.execute(update, changes)
        conn.execute(_HEADS.update().where(_HEADS.c.chain == chain).values(hash=new_prev))


def upgrade():
    with op.batch_alter_table("publicity_audit_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))
    current = audit.keyring().current
    _reseal(
        op.get_bind(),
        lambda row: _plain(row, row.prev_hash) == row.hash,
        lambda row, prev_hash: (_keyed(row, prev_hash, current), current),
    )
    with op.batch_alter_table("publicity_audit_record", schema=None) as batch_op:
        batch_op.alter_column("key_id", existing_type=sa.String(length=16), nullable=False)
    op.create_table(
        "publicity_audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity_audit_anchor")),
        sa.UniqueConstraint("chain", "seq", name=op.f("uq_publicity_audit_anchor_chain_seq")),
    )
    op.create_index(
        op.f("ix_publicity_audit_anchor_published_at"), "publicity_audit_anchor", ["published_at"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_publicity_audit_anchor_published_at"), table_name="publicity_audit_anchor")
    op.drop_table("publicity_audit_anchor")
    _reseal(
        op.get_bind(),
        lambda row: _keyed(row, row.prev_hash, row.key_id) == row.hash,
        lambda row, prev_hash: (_plain(row, prev_hash), row.key_id),  # the column goes next
    )
    with op.batch_alter_table("publicity_audit_record", schema=None) as batch_op:
        batch_op.drop_column("key_id")
