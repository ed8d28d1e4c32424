"""On-site actions through the web: the case's judge cancels (with a reason) and reschedules; the overseer
sees a cancelled action as cancelled, never as upcoming, and the meeting point with the judge's line; bad
input gets 422 and its message; nobody but the case's judge can change an action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from oversight import onsite
from oversight.models import OnsiteAction, OnsiteMeasure, OnsiteStatus, OverseerKind
from portal.adapters.notify import render
from portal.database import utcnow
from portal.extensions import db
from portal.identity import accounts
from portal.models import Role
from publicity.core.models import Court, Officer
from publicity.record.models import OutboxMessage
from tests.factories import (
    PASSWORD,
    add_account,
    csrf_token_from,
    file_case,
    login,
    make_judge,
    make_overseer,
    supervise,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
PLACE = "夏津县银城街1号仓库门口"


@dataclass
class World:
    case_id: int
    action_id: int
    scheduled_at: datetime


@pytest.fixture
def world(app: Flask, court: Court) -> World:
    """A case of judge 王建国 supervised by 刘代表 (an account of her own), with a seizure three days ahead."""
    with app.app_context():
        court_row = db.session.get(Court, court.id)
        assert court_row is not None
        judge = make_judge(db.session, court_row, "王建国")
        other = make_judge(db.session, court_row, "李法官", team="执行二组")
        add_account("judge", Role.JUDGE, court_row, judge.id)
        add_account("otherjudge", Role.JUDGE, court_row, other.id)
        add_account("clerk", Role.CLERK, court_row)
        now = utcnow()
        case = file_case(court_row, 1, judge.id, filed_at=now - timedelta(days=120))
        deputy = make_overseer(
            db.session, court_row, "刘代表", kind=OverseerKind.DEPUTY, phone="13900000011", email="liu@example.org"
        )
        supervise(db.session, case, deputy, now=now)
        accounts.create_account(
            db.session,
            username="liu",
            display_name=deputy.name,
            role=Role.OVERSEER,
            password=PASSWORD,
            court=court_row,
            overseer_id=deputy.id,
            actor="test",
            now=now,
        )
        at = (now + timedelta(days=3)).replace(second=0, microsecond=0)
        action = onsite.schedule(
            db.session,
            case=case,
            judge=judge,
            scheduled_at=at,
            place=PLACE,
            measure=OnsiteMeasure.SEIZURE,
            officers="王建国、赵法警",
            now=now,
        )
        db.session.commit()
        return World(case.id, action.id, at)


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def staff_url(world: World, what: str = "") -> str:
    return f"/oversight/staff/cases/{world.case_id}" + (f"/actions/{world.action_id}/{what}" if what else "")


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def stored(app: Flask, world: World) -> OnsiteAction:
    with app.app_context():
        action = db.session.get(OnsiteAction, world.action_id)
        assert action is not None
        db.session.expunge(action)
        return action


def told(app: Flask, kind: str) -> list[tuple[str, dict[str, object]]]:
    with app.app_context():
        return [
            (m.recipient, m.params)
            for m in db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            )
        ]


def cancel(client: FlaskClient, world: World, reason: str = "被执行人已主动履行", **extra: str):  # type: ignore[no-untyped-def]
    return client.post(staff_url(world, "cancel"), data={f"cancel-{world.action_id}-reason": reason, **extra})


def move(client: FlaskClient, world: World, at: str, place: str = "银城街派出所门口", reason: str = "被执行人申请延期"):  # type: ignore[no-untyped-def]
    prefix = f"move-{world.action_id}-"
    return client.post(
        staff_url(world, "reschedule"),
        data={prefix + "scheduled_at": at, prefix + "place": place, prefix + "reason": reason},
    )


# --- the overseer's view of an action ---------------------------------------------------------------------------


def test_the_overseer_sees_the_meeting_point_and_the_judges_line(app: Flask, world: World) -> None:
    overseer = signed_in(app, "liu")
    for page in (overseer.get("/oversight/"), overseer.get(f"/oversight/cases/{world.case_id}")):
        body = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "集合地点" in body and PLACE in body
        assert "王建国法官" in body and 'href="tel:0534-12368"' in body
    sms = [params for recipient, params in told(app, "onsite_scheduled") if recipient == "13900000011"]
    assert sms and sms[0]["judge"] == "王建国" and sms[0]["contact_phone"] == "0534-12368"


# --- cancelling -------------------------------------------------------------------------------------------------


def test_the_judge_cancels_and_the_overseer_sees_it_cancelled_never_upcoming(app: Flask, world: World) -> None:
    judge = signed_in(app, "judge")
    page = judge.get(staff_url(world)).get_data(as_text=True)
    assert "取消本次现场执行" in page and f'name="cancel-{world.action_id}-reason"' in page
    done = cancel(judge, world)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"{staff_url(world)}#actions")
    assert "现场执行已取消" in judge.get(staff_url(world)).get_data(as_text=True)
    action = stored(app, world)
    assert (action.status, action.cancel_reason) == (OnsiteStatus.CANCELLED, "被执行人已主动履行")
    assert [recipient for recipient, _params in told(app, "onsite_cancelled")] == ["13900000011", "liu@example.org"]
    # The judge's page: cancelled, with the reason, and no form to change it any more.
    page = judge.get(staff_url(world)).get_data(as_text=True)
    assert "已取消" in page and "被执行人已主动履行" in page and f"cancel-{world.action_id}-reason" not in page
    # The overseer: not upcoming, listed as cancelled with the reason; no button to say they will come.
    overseer = signed_in(app, "liu")
    home = overseer.get("/oversight/").get_data(as_text=True)
    upcoming, cancelled = home.split("已取消的现场执行", 1)
    assert PLACE not in upcoming and "您监督的案件暂无安排的现场执行" in upcoming
    assert PLACE in cancelled and "被执行人已主动履行" in cancelled
    case_page = overseer.get(f"/oversight/cases/{world.case_id}").get_data(as_text=True)
    assert "法院已于" in case_page and "被执行人已主动履行" in case_page
    assert "我将到场见证" not in case_page


def test_a_case_closing_shows_the_overseer_why_in_words(app: Flask, world: World) -> None:
    with app.app_context():
        assert (
            onsite.cancel_for_case(db.session, case_id=world.case_id, reason="case_closed", actor="t", now=utcnow())
            == 1
        )
        db.session.commit()
    page = signed_in(app, "liu").get(f"/oversight/cases/{world.case_id}").get_data(as_text=True)
    assert "案件已结案" in page and "case_closed" not in page


def test_a_cancel_without_a_reason_is_422_and_changes_nothing(app: Flask, world: World) -> None:
    refused = cancel(signed_in(app, "judge"), world, reason="   ")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "此项为必填项" in body
    assert f'id="cancel-{world.action_id}-reason"' in body and 'aria-invalid="true"' in body
    assert stored(app, world).status == OnsiteStatus.SCHEDULED
    assert told(app, "onsite_cancelled") == []


def test_a_second_cancel_is_refused_with_a_message(app: Flask, world: World) -> None:
    judge = signed_in(app, "judge")
    assert cancel(judge, world).status_code == 303
    judge.get(staff_url(world))  # the first flash shown
    again = cancel(judge, world, reason="再取消一次")
    assert again.status_code == 303
    assert "该现场执行已被取消" in judge.get(staff_url(world)).get_data(as_text=True)
    assert stored(app, world).cancel_reason == "被执行人已主动履行"
    assert len(told(app, "onsite_cancelled")) == 2  # one SMS, one email: not again


# --- rescheduling -----------------------------------------------------------------------------------------------


def test_the_judge_moves_the_action_and_the_overseer_is_asked_again(app: Flask, world: World) -> None:
    judge = signed_in(app, "judge")
    page = judge.get(staff_url(world)).get_data(as_text=True)
    assert f'value="{local(world.scheduled_at)}"' in page  # the form starts from the current time and place
    later = world.scheduled_at + timedelta(days=2)
    done = move(judge, world, local(later))
    assert done.status_code == 303
    action = stored(app, world)
    assert (action.scheduled_at, action.place, action.rescheduled_from) == (
        later,
        "银城街派出所门口",
        world.scheduled_at,
    )
    [(recipient, params), _email] = told(app, "onsite_rescheduled")
    assert recipient == "13900000011" and params["reason"] == "被执行人申请延期"
    body = signed_in(app, "liu").get(f"/oversight/cases/{world.case_id}").get_data(as_text=True)
    assert "银城街派出所门口" in body and "被执行人申请延期" in body and "我将到场见证" in body


@pytest.mark.parametrize("ago", [timedelta(minutes=5), timedelta(days=1)])
def test_a_move_into_the_past_is_422_naming_the_limit(app: Flask, world: World, ago: timedelta) -> None:
    refused = move(signed_in(app, "judge"), world, local(utcnow() - ago))
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "现场执行时间须晚于当前时间" in body
    answered = utcnow()  # the limit is the time of the request, on the court's clock (a minute may have turned)
    limits = {(answered - timedelta(minutes=k)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") for k in (0, 1)}
    assert any(f"（{limit}）" in body for limit in limits)
    assert stored(app, world).scheduled_at == world.scheduled_at
    assert told(app, "onsite_rescheduled") == []


def test_a_move_with_bad_input_is_422(app: Flask, world: World) -> None:
    refused = move(signed_in(app, "judge"), world, "not a time", place="", reason="")
    assert refused.status_code == 422 and "此项为必填项" in refused.get_data(as_text=True)
    assert stored(app, world).place == PLACE


def test_scheduling_in_the_past_is_422_and_keeps_nothing(app: Flask, world: World) -> None:
    refused = signed_in(app, "judge").post(
        f"/oversight/staff/cases/{world.case_id}/actions",
        data={
            "scheduled_at": local(utcnow() - timedelta(hours=2)),
            "place": "夏津县城关镇",
            "measure": "seizure",
            "officers": "王法官",
        },
    )
    assert refused.status_code == 422 and "现场执行时间须晚于当前时间" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OnsiteAction)) == 1


# --- who may ----------------------------------------------------------------------------------------------------


def test_only_the_cases_judge_can_cancel_or_move(app: Flask, world: World) -> None:
    later = local(world.scheduled_at + timedelta(days=1))
    for username in ("clerk", "otherjudge", "liu", None):
        client = signed_in(app, username) if username else app.test_client()
        assert cancel(client, world).status_code == 404, username
        assert move(client, world, later).status_code == 404, username
    action = stored(app, world)
    assert (action.status, action.scheduled_at) == (OnsiteStatus.SCHEDULED, world.scheduled_at)
    assert told(app, "onsite_cancelled") == told(app, "onsite_rescheduled") == []


def test_an_action_is_changed_only_through_its_own_case(app: Flask, world: World, court: Court) -> None:
    """The same judge's other case does not reach this case's action."""
    with app.app_context():
        court_row = db.session.get(Court, court.id)
        assert court_row is not None
        judge_id = db.session.scalar(sa.select(Officer.id).where(Officer.name == "王建国"))
        other_id = file_case(court_row, 2, judge_id, filed_at=utcnow() - timedelta(days=10)).id
        db.session.commit()
    judge = signed_in(app, "judge")
    data = {f"cancel-{world.action_id}-reason": "取消"}
    assert (
        judge.post(f"/oversight/staff/cases/{other_id}/actions/{world.action_id}/cancel", data=data).status_code == 404
    )
    assert stored(app, world).status == OnsiteStatus.SCHEDULED


def test_cancelling_runs_with_csrf_on(app: Flask, world: World) -> None:
    app.config["WTF_CSRF_ENABLED"] = True  # the shared app's settings are put back after the test
    judge = app.test_client()
    token = csrf_token_from(judge.get("/login").get_data(as_text=True))
    assert (
        judge.post("/login", data={"username": "judge", "password": PASSWORD, "csrf_token": token}).status_code == 303
    )
    assert cancel(judge, world).status_code == 400  # no token
    assert stored(app, world).status == OnsiteStatus.SCHEDULED
    page = judge.get(staff_url(world)).get_data(as_text=True)
    token = csrf_token_from(page)
    assert f'name="cancel-{world.action_id}-csrf_token"' in page
    assert cancel(judge, world, **{f"cancel-{world.action_id}-csrf_token": token}).status_code == 303
    assert stored(app, world).status == OnsiteStatus.CANCELLED


# --- what the overseers receive ---------------------------------------------------------------------------------


def test_the_messages_say_what_was_moved_or_cancelled_why_and_whom_to_call(app: Flask, world: World) -> None:
    later = world.scheduled_at + timedelta(days=2)
    assert move(signed_in(app, "judge"), world, local(later)).status_code == 303
    with app.app_context():
        onsite.cancel_for_case(db.session, case_id=world.case_id, reason="case_closed", actor="t", now=utcnow())
        db.session.commit()
        sms = db.session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.recipient == "13900000011",
                OutboxMessage.kind.in_(["onsite_rescheduled", "onsite_cancelled"]),
            )
        )
        with app.test_request_context():
            rendered = {message.kind: render(message) for message in sms}
    shown = {at: at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") for at in (world.scheduled_at, later)}
    subject, text = rendered["onsite_rescheduled"]
    assert "现场执行改期" in subject
    assert f"原定{shown[world.scheduled_at]}" in text and f"改于{shown[later]}在银城街派出所门口进行" in text
    assert "原因：被执行人申请延期" in text and "联系人：王建国法官，电话0534-12368" in text
    subject, text = rendered["onsite_cancelled"]
    assert "现场执行取消" in subject and f"原定{shown[later]}在银城街派出所门口进行的查封已取消" in text
    assert "原因：案件已结案" in text and "case_closed" not in text and "联系人：王建国法官" in text
