"""Open-data exports of the defaulter list: streamed CSV and the Atom feed carry only public, masked data."""

from __future__ import annotations

import csv
import io
import xml.dom.minidom
from datetime import date, timedelta

from flask import Flask

from portal.extensions import db
from publicity.core.models import Court
from publicity.lists import defaulters
from publicity.lists.models import ListingGround
from publicity.lists.names import id_check_digit
from publicity.record.models import PartyKind
from tests.factories import NOW


def person_id(n: int) -> str:
    body = f"3714271980010{n:04d}"
    return body + id_check_digit(body)


def make_entries(app: Flask, court: Court, count: int) -> list[int]:
    with app.app_context():
        court_row = db.session.get(Court, court.id)
        ids = []
        for i in range(count):
            entry = defaulters.list_defaulter(
                db.session,
                court=court_row,
                key=app.config["SECRET_KEY"].encode(),
                actor="t",
                now=NOW + timedelta(minutes=i),
                data=defaulters.EntryData(
                    kind=PartyKind.PERSON,
                    name=f"王<某>&{i}",
                    id_number=person_id(i),
                    case_number=f"（2026）鲁1427执{300 + i}号",
                    basis_number="（2025）鲁1427民初1号",
                    basis_issuer="夏津县人民法院",
                    obligation="给付款项",
                    circumstance="拒不履行",
                    ground=ListingGround.ABLE_BUT_REFUSES,
                    filed_on=date(2026, 1, 5),
                    unperformed_fen=123_456,
                ),
            )
            ids.append(entry.id)
        db.session.commit()
        return ids


def remove(app: Flask, entry_id: int) -> None:
    with app.app_context():
        from publicity.core import workdays
        from publicity.lists.models import DefaulterEntry, RemovalReason

        entry = db.session.get(DefaulterEntry, entry_id)
        defaulters.record_removal_ground(
            db.session,
            entry=entry,
            reason=RemovalReason.PERFORMED,
            occurred_at=NOW,
            calendar=workdays.Calendar(),
            actor="t",
            now=NOW,
        )
        defaulters.remove(db.session, entry=entry, actor="t", now=NOW)
        db.session.commit()


def test_csv_export_streams_the_current_list_masked(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    ids = make_entries(app, court, 1205)  # more than two of the export's read batches
    remove(app, ids[0])
    response = app.test_client().get("/lists/defaulters.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "被执行人姓名/名称" and len(rows) == 1 + 1204
    names = {row[0] for row in rows[1:]}
    assert "王<某>&0" not in names and "王<某>&1204" in names  # the removed entry is gone
    body = response.get_data(as_text=True)
    for i in range(1205):
        assert person_id(i) not in body
    assert rows[1][3] == person_id(1204)[:10] + "****" + person_id(1204)[14:]


def test_atom_feed_lists_new_entries_escaped(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    ids = make_entries(app, court, 3)
    remove(app, ids[2])
    response = app.test_client().get("/lists/defaulters.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    document = xml.dom.minidom.parseString(response.data)  # noqa: S318 - our own feed; well-formed despite < and & in names
    titles = [t.firstChild.data for t in document.getElementsByTagName("title")[1:]]
    assert titles == ["王<某>&1 （2026）鲁1427执301号", "王<某>&0 （2026）鲁1427执300号"]
    assert person_id(0) not in response.get_data(as_text=True)


def test_absolute_links_ignore_the_host_header(database_url: str) -> None:
    """A forged Host header cannot put another site's address into feeds, API pages or slips."""
    from tests.factories import make_app

    app = make_app(database_url, MINGJING_PUBLIC_URL="https://court.example")
    with app.app_context():
        from publicity.core import courts

        court = courts.add_court(
            db.session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="t", now=NOW
        )
        db.session.commit()
        db.session.refresh(court)
        db.session.expunge(court)
    make_entries(app, court, 21)
    client = app.test_client()
    feed = client.get("/lists/defaulters.atom", headers={"Host": "evil.example"}).get_data(as_text=True)
    api = client.get("/api/v1/defaulters", headers={"Host": "evil.example"}).json
    assert "evil.example" not in feed and "https://court.example/lists/defaulters/" in feed
    assert api["next"].startswith("https://court.example/api/v1/defaulters")
    assert all(item["url"].startswith("https://court.example/") for item in api["items"])
    with app.app_context():
        db.engine.dispose()
