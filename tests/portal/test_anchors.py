"""The audit chain's key settings, the published anchors (page without JavaScript, JSON, Atom) and
``audit publish-anchors`` / ``audit verify --anchors``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app
from portal.config import ConfigError
from portal.extensions import db
from publicity.core import audit
from publicity.core.models import AuditAnchor, AuditHead, AuditRecord
from tests.factories import NOW, make_app

ATOM = "{http://www.w3.org/2005/Atom}"
SMALL = ["--cases", "4"]


@pytest.fixture(autouse=True)
def _restore_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_keyring", audit.keyring())


def _production(monkeypatch: pytest.MonkeyPatch, **env: str) -> Flask:
    for name in ("MINGJING_AUDIT_KEY", "MINGJING_AUDIT_KEY_ID", "MINGJING_AUDIT_KEY_FILE", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app({"SECRET_KEY": "s" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_without_an_audit_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="MINGJING_AUDIT_KEY is not set"):
        _production(monkeypatch)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MINGJING_AUDIT_KEY": "short"}, "at least 32 characters"),
        ({"MINGJING_AUDIT_KEY": "k" * 40, "MINGJING_AUDIT_KEY_FILE": "/nonexistent"}, "not both"),
        ({"MINGJING_AUDIT_KEY_FILE": "/nonexistent/audit.key"}, "/nonexistent/audit.key"),
    ],
)
def test_bad_audit_key_settings_refuse_to_start(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _production(monkeypatch, **env)


def test_the_key_file_s_last_key_seals(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text("2025 " + "o" * 40 + "\n2026 " + "n" * 40 + "\n", encoding="utf-8")
    _production(monkeypatch, MINGJING_AUDIT_KEY_FILE=str(key_file))
    assert audit.keyring().current == "2026" and set(audit.keyring().keys) == {"2025", "2026"}
    _production(monkeypatch, MINGJING_AUDIT_KEY="k" * 40, MINGJING_AUDIT_KEY_ID="court-a")
    assert audit.keyring().current == "court-a"


def _chain(app: Flask, n: int, chain: str = "鲁1427") -> None:
    with app.app_context():
        for i in range(n):
            audit.record(
                db.session, actor="t", action="node.create", object_type="case_node", object_id=i, chain=chain, now=NOW
            )
        db.session.commit()


def test_the_anchors_page_lists_published_heads_without_javascript(app: Flask, client: FlaskClient) -> None:
    empty = client.get("/audit/anchors")
    assert empty.status_code == 200 and "尚未公布" in empty.get_data(as_text=True)
    _chain(app, 3)
    _chain(app, 1, chain="portal")
    with app.app_context():
        audit.publish_anchors(db.session, now=NOW)
        db.session.commit()
        heads = {h.chain: h.hash for h in db.session.scalars(sa.select(AuditHead))}
    page = client.get("/audit/anchors")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert heads["鲁1427"] in html and heads["portal"] in html and "第 3 条记录" in html
    assert 'href="/audit/anchors.json"' in html and 'href="/audit/anchors.atom"' in html

    data = client.get("/audit/anchors.json").get_json()
    assert [(a["chain"], a["seq"], a["hash"]) for a in data["anchors"]] == [
        ("鲁1427", 3, heads["鲁1427"]),
        ("portal", 1, heads["portal"]),
    ]
    assert data["next"] is None and data["anchors"][0]["published_at"].startswith("2026-")

    feed = client.get("/audit/anchors.atom")
    assert feed.mimetype == "application/atom+xml"
    entries = ET.fromstring(feed.data).findall(f"{ATOM}entry")  # noqa: S314 - the portal's own feed
    assert len(entries) == 2 and heads["portal"] in (entries[0].findtext(f"{ATOM}summary") or "")


def test_the_json_pages_through_every_anchor(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.blueprints.site import anchors

    monkeypatch.setattr(anchors, "JSON_PAGE_SIZE", 2)
    for _day in range(5):
        _chain(app, 1)
        with app.app_context():
            audit.publish_anchors(db.session, now=NOW)
            db.session.commit()
    seen, url = [], "/audit/anchors.json"
    while url:
        data = client.get(url).get_json()
        seen += [a["seq"] for a in data["anchors"]]
        url = data["next"]
    assert seen == [1, 2, 3, 4, 5]


def test_publish_then_verify_against_a_kept_copy(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, MINGJING_DEMO=True)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", *SMALL]).exit_code == 0
    client = app.test_client()
    copy = tmp_path / "anchors.json"
    copy.write_bytes(client.get("/audit/anchors.json").data)
    assert json.loads(copy.read_text())["anchors"], "seed-demo publishes the heads it ended at"

    ok = runner.invoke(args=["audit", "verify", "--anchors", str(copy)])
    assert ok.exit_code == 0 and "published anchors agree" in ok.output

    # Someone with the key rewrites record 2 of the court's chain and every seal after it, and the anchors table.
    with app.app_context():
        session = db.session
        prev = audit.GENESIS_HASH
        for record in session.scalars(
            sa.select(AuditRecord).where(AuditRecord.chain == "鲁1427").order_by(AuditRecord.seq)
        ):
            if record.seq == 2:
                record.actor = "someone-else"
            record.prev_hash, record.hash = prev, ""
            record.hash = audit.compute_hash(record)
            prev = record.hash
        session.execute(sa.update(AuditHead).where(AuditHead.chain == "鲁1427").values(hash=prev))
        session.execute(sa.delete(AuditAnchor))
        session.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # nothing in the database disagrees any more
    caught = runner.invoke(args=["audit", "verify", "--anchors", str(copy)])
    assert caught.exit_code == 1 and "BROKEN chain 鲁1427" in caught.output and str(copy) in caught.output

    assert runner.invoke(args=["audit", "publish-anchors"]).output.startswith("published ")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    refused = runner.invoke(args=["audit", "verify", "--anchors", str(bad)])
    assert refused.exit_code != 0 and "cannot read the anchors" in refused.output and "Traceback" not in refused.output
    with app.app_context():
        db.engine.dispose()
