"""The database decides races that a check in Python could not: one login per overseer and per liaison, an item on
the exposure board once, and a township's name once per court.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 02:30:00

New constraints, and what the upgrade does when the data already breaks one:

* ``uq_portal_account_overseer_id`` and ``uq_portal_account_liaison_id`` (unique; NULLs repeat freely). Two
  accounts of one overseer or liaison (two activations racing on two devices) are not resolved: which login the
  person keeps, and which one's history stays theirs, is for an administrator to decide. The upgrade stops and
  names the accounts (id and username per overseer or liaison); deactivate and unlink the extra account (set its
  overseer_id or liaison_id to NULL), then upgrade again.
* ``uq_publicity_exposure_feature_active_entry`` and ``..._active_order`` (partial unique indexes: one feature not
  withdrawn per defaulter entry and per restriction order). Duplicates are the same item shown twice on the public
  board, so they are resolved deterministically: for each item the earliest feature (lowest id) stays, and every
  later one still active is withdrawn, its ``withdrawn_at`` set to the upgrade's time. Nothing leaves the board that
  was not shown twice. The upgrade prints the ids it withdrew.
* ``uq_publicity_grid_area_township_name`` (partial unique index: one township of a name per court). Two townships
  of one name may both have grids, liaisons and located parties under them; merging them is a human decision. The
  upgrade stops and names them (id, court, name); rename or merge them, then upgrade again.

The upgrade checks everything before it changes anything, so a stop leaves the database as it was.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from publicity.core.models import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ACCOUNTS = sa.table(
    "portal_account", sa.column("id"), sa.column("username"), *(sa.column(c) for c in ("overseer_id", "liaison_id"))
)
_FEATURES = sa.table(
    "publicity_exposure_feature",
    sa.column("id"),
    sa.column("defaulter_entry_id"),
    sa.column("restriction_order_id"),
    sa.column("withdrawn_at", UTCDateTime()),
)
_AREAS = sa.table(
    "publicity_grid_area", sa.column("id"), sa.column("court_id"), sa.column("parent_id"), sa.column("name")
)

_ACTIVE_ENTRY = "withdrawn_at IS NULL AND defaulter_entry_id IS NOT NULL"
_ACTIVE_ORDER = "withdrawn_at IS NULL AND restriction_order_id IS NOT NULL"


class DuplicatesFound(RuntimeError):
    """Existing rows break a new constraint that the upgrade does not resolve on its own."""


def _duplicate_accounts(conn):
    problems = []
    for column in ("overseer_id", "liaison_id"):
        linked = _ACCOUNTS.c[column]
        shared = sa.select(linked).where(linked.is_not(None)).group_by(linked).having(sa.func.count() > 1)
        rows = conn.execute(
            sa.select(linked, _ACCOUNTS.c.id, _ACCOUNTS.c.username)
            .where(linked.in_(shared))
            .order_by(linked, _ACCOUNTS.c.id)
        ).all()
        by_owner = {}
        for owner, account_id, username in rows:
            by_owner.setdefault(owner, []).append(f"#{account_id} {username}")
        problems += [f"{column}={owner}: accounts {', '.join(names)}" for owner, names in by_owner.items()]
    return problems


def _duplicate_townships(conn):
    townships = _AREAS.c.parent_id.is_(None)
    shared = (
        sa.select(_AREAS.c.court_id, _AREAS.c.name)
        .where(townships)
        .group_by(_AREAS.c.court_id, _AREAS.c.name)
        .having(sa.func.count() > 1)
        .subquery()
    )
    rows = conn.execute(
        sa.select(_AREAS.c.id, _AREAS.c.court_id, _AREAS.c.name)
        .join(shared, sa.and_(shared.c.court_id == _AREAS.c.court_id, shared.c.name == _AREAS.c.name))
        .where(townships)
        .order_by(_AREAS.c.court_id, _AREAS.c.name, _AREAS.c.id)
    ).all()
    by_name = {}
    for area_id, court_id, name in rows:
        by_name.setdefault((court_id, name), []).append(f"#{area_id}")
    return [f"court {court} township {name!r}: areas {', '.join(ids)}" for (court, name), ids in by_name.items()]


def _withdraw_duplicate_features(conn, now):
    """Withdraw every active feature of an item but its earliest; return the ids withdrawn."""
    withdrawn = []
    for column in (_FEATURES.c.defaulter_entry_id, _FEATURES.c.restriction_order_id):
        active = sa.and_(_FEATURES.c.withdrawn_at.is_(None), column.is_not(None))
        first = sa.select(column, sa.func.min(_FEATURES.c.id).label("first_id")).where(active).group_by(column)
        firsts = {item: first_id for item, first_id in conn.execute(first).all()}
        later = [
            feature_id
            for feature_id, item in conn.execute(sa.select(_FEATURES.c.id, column).where(active)).all()
            if feature_id != firsts[item]
        ]
        if later:
            conn.execute(_FEATURES.update().where(_FEATURES.c.id.in_(later)).values(withdrawn_at=now))
            withdrawn += later
    return sorted(withdrawn)


def upgrade():
    conn = op.get_bind()
    accounts, townships = _duplicate_accounts(conn), _duplicate_townships(conn)
    if accounts or townships:
        lines = [*(f"  two accounts of one person: {p}" for p in accounts)]
        lines += [f"  two townships of one name: {p}" for p in townships]
        raise DuplicatesFound(
            "Migration 0016 stopped before changing anything: existing rows break its new unique rules.\n"
            + "\n".join(lines)
            + "\nUnlink or deactivate the extra accounts (set overseer_id / liaison_id to NULL), rename or merge the"
            " townships, then upgrade again."
        )
    withdrawn = _withdraw_duplicate_features(conn, datetime.now(UTC))
    if withdrawn:
        print(f"0016: withdrew duplicate exposure features (the earliest of each item stays): {withdrawn}")

    with op.batch_alter_table("portal_account", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_portal_account_overseer_id"), ["overseer_id"])
        batch_op.create_unique_constraint(batch_op.f("uq_portal_account_liaison_id"), ["liaison_id"])
    op.create_index(
        "uq_publicity_exposure_feature_active_entry",
        "publicity_exposure_feature",
        ["defaulter_entry_id"],
        unique=True,
        sqlite_where=sa.text(_ACTIVE_ENTRY),
        postgresql_where=sa.text(_ACTIVE_ENTRY),
    )
    op.create_index(
        "uq_publicity_exposure_feature_active_order",
        "publicity_exposure_feature",
        ["restriction_order_id"],
        unique=True,
        sqlite_where=sa.text(_ACTIVE_ORDER),
        postgresql_where=sa.text(_ACTIVE_ORDER),
    )
    op.create_index(
        "uq_publicity_grid_area_township_name",
        "publicity_grid_area",
        ["court_id", "name"],
        unique=True,
        sqlite_where=sa.text("parent_id IS NULL"),
        postgresql_where=sa.text("parent_id IS NULL"),
    )


def downgrade():
    op.drop_index("uq_publicity_grid_area_township_name", table_name="publicity_grid_area")
    op.drop_index("uq_publicity_exposure_feature_active_order", table_name="publicity_exposure_feature")
    op.drop_index("uq_publicity_exposure_feature_active_entry", table_name="publicity_exposure_feature")
    with op.batch_alter_table("portal_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_portal_account_liaison_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_portal_account_overseer_id"), type_="unique")
