"""Administrators are scoped to their court, and a province administrator keeps the courts (issue 17, point 4).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 04:00:00

The role CHECK constraint of ``portal_account`` admits ``province`` (省级管理员). An administrator now manages the
accounts of their own court only, so an administrator account of no court (the first, portal-wide administrator
made before courts existed, or ``create-user --role admin`` without ``--court``) would manage nothing. The upgrade
gives each such account what it managed before, no more:

* the portal serves exactly one court: the account becomes an administrator of that court (every account it managed
  was that court's, or another administrator of no court, who becomes that court's administrator too);
* the portal serves several courts, or none yet: the account becomes a province administrator (``province``), who
  adds courts and makes, deactivates and resets their administrators, and no longer manages a court's judges,
  clerks, overseers or liaisons (least privilege: that is each court's administrator's job; a province
  administrator who also runs a court makes themselves an administrator account of it).

Administrators that already belong to a court stay that court's administrators. Nothing else changes, and the upgrade
prints the accounts it changed (the change is not an audited request: the printout is its record). The downgrade
turns every province administrator back into an administrator of no court (the old, portal-wide administrator);
accounts placed in the only court keep it (an administrator of a court could be made before too).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

OLD_ROLES = ["admin", "judge", "clerk", "overseer", "liaison"]
NEW_ROLES = [*OLD_ROLES, "province"]
CHECK = "ck_portal_account_role"

_ACCOUNTS = sa.table(
    "portal_account",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("role", sa.String),
    sa.column("court_id", sa.Integer),
)
_COURTS = sa.table("publicity_court", sa.column("id", sa.Integer), sa.column("code", sa.String))


def _set_roles(roles):
    with op.batch_alter_table("portal_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.create_check_constraint(op.f(CHECK), sa.column("role").in_(roles))


def upgrade():
    _set_roles(NEW_ROLES)
    conn = op.get_bind()
    courtless = conn.execute(
        sa.select(_ACCOUNTS.c.id, _ACCOUNTS.c.username)
        .where(_ACCOUNTS.c.role == "admin", _ACCOUNTS.c.court_id.is_(None))
        .order_by(_ACCOUNTS.c.id)
    ).all()
    if not courtless:
        return
    ids = [account_id for account_id, _username in courtless]
    names = ", ".join(f"{username} (id {account_id})" for account_id, username in courtless)
    courts = conn.execute(sa.select(_COURTS.c.id, _COURTS.c.code).order_by(_COURTS.c.id)).all()
    if len(courts) == 1:
        court_id, code = courts[0]
        conn.execute(sa.update(_ACCOUNTS).where(_ACCOUNTS.c.id.in_(ids)).values(court_id=court_id))
        print(f"0018: administrators of no court now administer the only court, {code}: {names}")
    else:
        conn.execute(sa.update(_ACCOUNTS).where(_ACCOUNTS.c.id.in_(ids)).values(role="province"))
        print(f"0018: administrators of no court are province administrators now ({len(courts)} courts): {names}")


def downgrade():
    op.execute(sa.update(_ACCOUNTS).where(_ACCOUNTS.c.role == "province").values(role="admin", court_id=None))
    _set_roles(OLD_ROLES)
