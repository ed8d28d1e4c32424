"""The suite's audit guard (tests/audit_guard.py) itself: it catches a request's unaudited change, and only that."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from publicity.core import audit
from publicity.core.models import Court
from tests import audit_guard
from tests.factories import NOW


def _request(app: Flask, change: str) -> list[str]:
    with audit_guard.watching() as findings, app.test_request_context("/somewhere", method="POST"):
        court = db.session.scalars(sa.select(Court)).one()
        if change in ("orm", "orm+audit"):
            court.name = "改过的法院"
        if change == "statement":
            db.session.execute(sa.update(Court).where(Court.id == court.id).values(contact_phone="0534-0000000"))
        if change == "nothing matched":
            db.session.execute(sa.update(Court).where(Court.id == -1).values(contact_phone="0534-0000000"))
        if change == "orm+audit":
            audit.record(db.session, actor="t", action="court.add", object_type="court", object_id=court.id, now=NOW)
        db.session.commit()
        found = list(findings)
    findings.clear()  # what this test planted is not the calling test's finding
    return found


def test_an_unaudited_change_is_caught_and_an_audited_one_is_not(app: Flask, court: Court) -> None:
    assert _request(app, "orm") == ["POST /somewhere: changed publicity_court unaudited"]
    assert _request(app, "statement") == ["POST /somewhere: changed publicity_court unaudited"]
    assert _request(app, "orm+audit") == []
    assert _request(app, "nothing matched") == []
    assert _request(app, "none") == []
