"""One search page over the four public lists (失信名单, 限制消费令, 终本案件, 悬赏公告)."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from portal.extensions import db
from publicity.core.models import Court
from publicity.lists import bounties, defaulters, restrictions
from publicity.lists.models import ListingGround, RestrictedItem, RewardKind
from publicity.record.models import PartyKind, PartySide
from tests.factories import NOW, RESPONDENT, file, terminate

CREDIT = RESPONDENT.credit_code
KEY = b"search-all"


def entry_data(name: str, number: str, case_number: str, kind: PartyKind = PartyKind.ENTITY) -> defaulters.EntryData:
    return defaulters.EntryData(
        kind=kind,
        name=name,
        id_number=number,
        case_number=case_number,
        basis_number="（2025）鲁1427民初1号",
        basis_issuer="夏津县人民法院",
        obligation="给付货款",
        circumstance="违反财产报告制度",
        ground=ListingGround.ASSET_REPORT,
        filed_on=date(2026, 1, 5),
        unperformed_fen=500_000,
        legal_representative="李四" if kind == PartyKind.ENTITY else "",
    )


@pytest.fixture
def on_every_list(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    """恒丰商贸 is a listed defaulter, under a restriction order, wanted by a bounty and on a 终本 case."""
    app.config["MINGJING_ID_SEARCH_KEY"] = KEY.decode()
    with app.app_context():
        court_row = db.session.get(Court, court.id)
        case = file(db.session, court_row, "（2026）鲁1427执1号")
        applicant = next(p for p in case.parties if p.side == PartySide.APPLICANT)
        respondent = next(p for p in case.parties if p.side == PartySide.RESPONDENT)
        defaulters.list_defaulter(
            db.session,
            court=court_row,
            data=entry_data(RESPONDENT.name, CREDIT, case.number),
            key=KEY,
            actor="t",
            now=NOW,
            case=case,
        )
        restrictions.issue_order(
            db.session,
            case=case,
            respondent=respondent,
            items=[RestrictedItem.FLIGHTS],
            issued_on=NOW.date(),
            key=KEY,
            actor="t",
            now=NOW,
        )
        notice = bounties.apply(
            db.session,
            case=case,
            applicant=applicant,
            respondent=respondent,
            reward_kind=RewardKind.FIXED,
            reward_fen=1_000_000,
            conditions="提供财产线索并执行到位",
            key=KEY,
            actor="t",
            now=NOW,
        )
        bounties.decide(db.session, notice=notice, grant=True, reasons="", actor="t", now=NOW)
        terminate(db.session, file(db.session, court_row, "（2026）鲁1427执2号"))
        db.session.commit()


def sections(html: str) -> set[str]:
    return {name for name in ("defaulters", "restrictions", "terminated", "bounties") if f'id="section-{name}"' in html}


def test_one_query_finds_the_respondent_on_all_four_lists_masked(app: Flask, on_every_list: None) -> None:
    client = app.test_client()
    for query in ("夏津县恒丰", "夏津县恒丰商贸有限公司"):
        page = client.get("/search", query_string={"q": query})
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and sections(html) == {"defaulters", "restrictions", "terminated", "bounties"}
        assert html.count(RESPONDENT.name) >= 4 and "本栏没有符合条件的结果" not in html
        assert CREDIT not in html and CREDIT[:10] + "****" in html
    by_case = client.get("/search", query_string={"q": "(2026)鲁1427执1号"}).get_data(as_text=True)
    assert "本栏没有符合条件的结果" in by_case  # the 终本 case is 执2号: that section finds nothing
    assert by_case.count(RESPONDENT.name) == 3
    full_number = client.get("/search", query_string={"q": f"{RESPONDENT.name} {CREDIT}"}).get_data(as_text=True)
    # (the search box and the language switch's return address show what the visitor typed)
    results = full_number.split('id="search-results"', 1)[1].split("<footer", 1)[0]
    assert results.count(f"{CREDIT[:10]}****") == 3 and CREDIT not in results


def test_nothing_found_says_so_in_every_section(app: Flask, on_every_list: None) -> None:
    html = app.test_client().get("/search", query_string={"q": "欧阳不存在"}).get_data(as_text=True)
    assert html.count("本栏没有符合条件的结果") == 4


def test_one_list_pages_with_a_keyset_cursor_and_htmx_gets_only_the_results(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        court_row = db.session.get(Court, court.id)
        rows = [
            entry_data(f"王{chr(0x4E00 + i)}", "", f"（2026）鲁1427执{100 + i}号", kind=PartyKind.PERSON)
            for i in range(25)
        ]
        defaulters.bulk_insert(db.session, defaulters.bulk_rows(court_row, rows, key=KEY, now=NOW))
        db.session.commit()
    client = app.test_client()
    everything = client.get("/search", query_string={"q": "王"}).get_data(as_text=True)
    assert everything.count('href="/lists/defaulters/') == 5 and "该名单的全部结果" in everything
    first = client.get("/search", query_string={"q": "王", "list": "defaulters"}).get_data(as_text=True)
    assert sections(first) == {"defaulters"} and first.count('href="/lists/defaulters/') == 20
    assert "OFFSET" not in first and "cursor=" in first
    next_url = first.split('href="/search?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = client.get("/search?" + next_url).get_data(as_text=True)
    assert second.count('href="/lists/defaulters/') == 5
    seen = {line for line in (first + second).split('href="/lists/defaulters/')[1:]}
    assert len(seen) == 25
    fragment = client.get("/search", query_string={"q": "王"}, headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="search-results"')


def test_bad_input_is_a_clear_422(app: Flask, court) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    for args in ({"q": "x" * 61}, {"q": "王", "list": "everything"}, {"q": "王", "year": "abc"}):
        response = client.get("/search", query_string=args)
        assert response.status_code == 422, args
        assert "请修改查询条件后重试" in response.get_data(as_text=True)
    assert "请输入" in client.get("/search").get_data(as_text=True)


def test_the_court_filter_applies_to_every_list(app: Flask, on_every_list: None) -> None:
    from publicity.core import courts

    with app.app_context():
        other = courts.add_court(
            db.session, code="鲁1481", name="乐陵市人民法院", province="山东省", actor="t", now=NOW
        )
        db.session.commit()
        other_id = other.id
    client = app.test_client()
    html = client.get("/search", query_string={"q": "夏津县恒丰", "court": other_id}).get_data(as_text=True)
    assert html.count("本栏没有符合条件的结果") == 4 and RESPONDENT.name not in html.split('id="search-results"')[1]
