"""The exposure board (曝光台): staff feature public entries; they leave the board with their list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import Role
from publicity.core import courts
from publicity.core.models import Court
from publicity.core.workdays import Calendar
from publicity.lists import defaulters, exposure
from publicity.lists.models import (
    DefaulterEntry,
    ExposureChannel,
    ExposureFeature,
    ListingGround,
    RemovalReason,
    RestrictionOrder,
)
from publicity.lists.names import id_check_digit, mask_number
from publicity.record import cases
from publicity.record.models import PartyKind, PartySide
from tests.factories import NOW, create_account, login

BODY = "37142719820315123"
ZHANG_ID = BODY + id_check_digit(BODY)


def list_zhang(app: Flask, court_id: int, name: str = "张三", serial: int = 301) -> int:
    with app.app_context():
        entry = defaulters.list_defaulter(
            db.session,
            court=db.session.get(Court, court_id),
            key=b"k",
            actor="t",
            now=NOW,
            data=defaulters.EntryData(
                kind=PartyKind.PERSON,
                name=name,
                id_number=ZHANG_ID,
                case_number=f"（2026）鲁1427执{serial}号",
                basis_number="（2025）鲁1427民初1号",
                basis_issuer="夏津县人民法院",
                obligation="给付款项",
                circumstance="有履行能力而拒不履行",
                ground=ListingGround.ABLE_BUT_REFUSES,
                filed_on=date(2026, 1, 5),
                unperformed_fen=12_345_600,
            ),
        )
        db.session.commit()
        return entry.id


def restrict(app: Flask, court_id: int) -> int:
    """A restriction order written directly (its own service is tested elsewhere)."""
    with app.app_context():
        court = db.session.get(Court, court_id)
        case = cases.file_case(
            db.session,
            court=court,
            number="（2026）鲁1427执77号",
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初9号",
            amount_applied_fen=500_000,
            filed_at=NOW,
            actor="t",
            now=NOW,
            parties=[
                cases.PartyData(
                    side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="赵六", sex="male", id_number=ZHANG_ID
                ),
                cases.PartyData(
                    side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="钱七", sex="male", id_number=ZHANG_ID
                ),
            ],
        )
        order = RestrictionOrder(
            court_id=court.id,
            case_id=case.id,
            case_number=case.number,
            kind=PartyKind.PERSON,
            name="钱七",
            name_pinyin="qianqi",
            name_initials="qq",
            id_number=ZHANG_ID,
            id_hash="h",
            id_masked=mask_number(ZHANG_ID),
            items=["flights"],
            issued_on=date(2026, 3, 1),
            published_at=NOW,
            created_by="t",
            created_at=NOW,
        )
        db.session.add(order)
        db.session.commit()
        return order.id


def feature(app: Flask, court_id: int, *, entry_id: int | None = None, order_id: int | None = None) -> int:
    with app.app_context():
        shown = exposure.feature(
            db.session,
            court=db.session.get(Court, court_id),
            channels=[ExposureChannel.WECHAT, ExposureChannel.TV],
            exposed_on=date(2026, 3, 1),
            actor="judge",
            now=NOW,
            entry=db.session.get(DefaulterEntry, entry_id) if entry_id else None,
            order=db.session.get(RestrictionOrder, order_id) if order_id else None,
        )
        db.session.commit()
        return shown.id


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("portal.blueprints.lists.exposure", "portal.blueprints.site.public", "portal.forms.lists"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: NOW + timedelta(hours=1))


def test_a_featured_entry_is_on_the_board_and_the_home_page_masked(app: Flask, court: Court) -> None:
    feature(app, court.id, entry_id=list_zhang(app, court.id))
    client = app.test_client()
    for url in ("/lists/exposure", "/"):
        html = client.get(url).get_data(as_text=True)
        assert "张三" in html and mask_number(ZHANG_ID) in html, url
        assert ZHANG_ID not in html
        assert "微信公众号" in html and "电视台" in html


def test_an_entry_leaves_the_board_the_moment_it_leaves_its_list(app: Flask, court: Court) -> None:
    entry_id = list_zhang(app, court.id)
    order_id = restrict(app, court.id)
    feature(app, court.id, entry_id=entry_id)
    feature(app, court.id, order_id=order_id)
    client = app.test_client()
    before = client.get("/lists/exposure").get_data(as_text=True)
    assert "张三" in before and "钱七" in before
    with app.app_context():
        entry = db.session.get(DefaulterEntry, entry_id)
        defaulters.record_removal_ground(
            db.session,
            entry=entry,
            reason=RemovalReason.PERFORMED,
            occurred_at=NOW,
            calendar=Calendar(),
            actor="t",
            now=NOW,
        )
        defaulters.remove(db.session, entry=entry, actor="t", now=NOW)
        db.session.get(RestrictionOrder, order_id).lifted_at = NOW
        db.session.commit()
    html = client.get("/lists/exposure").get_data(as_text=True)
    assert "张三" not in html and "钱七" not in html
    assert "张三" not in client.get("/").get_data(as_text=True)


def test_an_expired_entry_is_off_the_board_even_if_the_expiry_job_did_not_run(app: Flask, court: Court) -> None:
    entry_id = list_zhang(app, court.id)
    feature(app, court.id, entry_id=entry_id)
    with app.app_context():
        db.session.get(DefaulterEntry, entry_id).expires_at = NOW + timedelta(minutes=30)
        db.session.commit()
    assert "张三" not in app.test_client().get("/lists/exposure").get_data(as_text=True)


def test_staff_feature_an_entry_with_channels_and_can_take_it_off(app: Flask, court: Court) -> None:
    create_account(app, "judge", Role.JUDGE)
    entry_id = list_zhang(app, court.id)
    client = app.test_client()
    login(client, "judge")
    assert f"/lists/staff/entries/{entry_id}" in client.get(f"/lists/defaulters/{entry_id}").get_data(as_text=True)
    assert f"/staff/exposure/new?entry={entry_id}" in client.get(f"/lists/staff/entries/{entry_id}").get_data(
        as_text=True
    )
    refused = client.post(f"/staff/exposure/new?entry={entry_id}", data={"exposed_on": "2026-03-01"})
    assert refused.status_code == 422 and "请至少选择一个渠道" in refused.get_data(as_text=True)
    future = client.post(
        f"/staff/exposure/new?entry={entry_id}", data={"channels": ["website"], "exposed_on": "2026-04-01"}
    )
    assert future.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExposureFeature)) == 0
    done = client.post(
        f"/staff/exposure/new?entry={entry_id}", data={"channels": ["website", "screen"], "exposed_on": "2026-03-01"}
    )
    assert done.status_code == 303
    assert "张三" in client.get("/lists/exposure").get_data(as_text=True)
    again = client.post(f"/staff/exposure/new?entry={entry_id}", data={"channels": ["tv"], "exposed_on": "2026-03-01"})
    assert again.status_code == 422 and "已在曝光台上" in again.get_data(as_text=True)
    with app.app_context():
        feature_id = db.session.scalar(sa.select(ExposureFeature.id))
    assert client.post(f"/staff/exposure/{feature_id}/withdraw").status_code == 303
    assert "张三" not in client.get("/lists/exposure").get_data(as_text=True)


def test_a_removed_entry_cannot_be_featured(app: Flask, court: Court) -> None:
    entry_id = list_zhang(app, court.id)
    with app.app_context():
        entry = db.session.get(DefaulterEntry, entry_id)
        defaulters.record_removal_ground(
            db.session,
            entry=entry,
            reason=RemovalReason.PERFORMED,
            occurred_at=NOW,
            calendar=Calendar(),
            actor="t",
            now=NOW,
        )
        defaulters.remove(db.session, entry=entry, actor="t", now=NOW)
        db.session.commit()
        with pytest.raises(exposure.NotExposable):
            exposure.feature(
                db.session,
                court=db.session.get(Court, court.id),
                entry=entry,
                channels=[ExposureChannel.WEBSITE],
                exposed_on=date(2026, 3, 1),
                actor="t",
                now=NOW,
            )


def test_staff_of_another_court_and_the_public_cannot_feature_or_withdraw(app: Flask, court: Court) -> None:
    entry_id = list_zhang(app, court.id)
    feature_id = feature(app, court.id, entry_id=list_zhang(app, court.id, name="李四", serial=302))
    with app.app_context():
        other = courts.add_court(
            db.session, code="鲁1481", name="乐陵市人民法院", province="山东省", actor="t", now=NOW
        )
        db.session.commit()
        other_id = other.id
    create_account(app, "other-judge", Role.JUDGE)
    with app.app_context():
        from portal.models import Account

        db.session.scalar(sa.select(Account).where(Account.username == "other-judge")).court_id = other_id
        db.session.commit()
    anonymous = app.test_client()
    assert anonymous.get(f"/staff/exposure/new?entry={entry_id}").status_code in (302, 303, 401)
    assert anonymous.post(f"/staff/exposure/{feature_id}/withdraw").status_code in (302, 303, 401)
    outsider = app.test_client()
    login(outsider, "other-judge")
    assert outsider.get(f"/staff/exposure/new?entry={entry_id}").status_code == 404
    assert (
        outsider.post(
            f"/staff/exposure/new?entry={entry_id}", data={"channels": ["website"], "exposed_on": "2026-03-01"}
        ).status_code
        == 404
    )
    assert outsider.post(f"/staff/exposure/{feature_id}/withdraw").status_code == 404
    assert "李四" not in outsider.get("/staff/exposure").get_data(as_text=True)
    for role in (Role.OVERSEER, Role.LIAISON):
        create_account(app, role.value, role)
        client = app.test_client()
        login(client, role.value)
        assert client.get("/staff/exposure").status_code == 403
    assert "李四" in anonymous.get("/lists/exposure").get_data(as_text=True)
