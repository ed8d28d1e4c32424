"""Check-then-write races over HTTP: N clients release the same request at the same moment against the portal served
by gunicorn (tests/races/harness.py), on SQLite and on PostgreSQL.

Each test asserts the correct outcome, from the database and from the answers: exactly one effect (or as many as
the rule allows), exactly one audit record per effect, exactly one notice where one is sent, no server error, and
a clear answer for every loser (the form shown again with its error, a redirect with an error flash, or 409).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import pytest
import sqlalchemy as sa

from oversight import cards, onsite
from oversight.models import (
    Attendance,
    AttendanceResponse,
    CardStatus,
    Invitation,
    InvitationStatus,
    OnsiteAction,
    OnsiteMeasure,
    OnsiteStatus,
    Rating,
)
from publicity.core import workdays
from publicity.lists import bounties, corrections, defaulters, restrictions
from publicity.lists.models import (
    BountyNotice,
    BountyStatus,
    CorrectionGround,
    CorrectionRequest,
    CorrectionStatus,
    DefaulterEntry,
    ExposureFeature,
    RemovalReason,
    RestrictedItem,
    RestrictionOrder,
    RewardKind,
)
from publicity.outreach.models import AidApplication, InboxItem
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import NoticeSubscription, PartySide
from tests.races.harness import (
    Answer,
    Burst,
    Client,
    RaceServer,
    Shot,
    check_burst,
    fire,
    party,
    prepare,
    staff,
    visitor,
)
from tests.races.world import KEY, World, account_of, audits, audits_by, outbox, phone, side, today

pytestmark = pytest.mark.races

FULL_CARD = {name: Rating.SATISFIED.value for name in cards.RATED} | {"comments": "", "suggestions": ""}


def clients(maker: Callable[[], Client], count: int) -> list[Client]:
    return prepare([maker] * count)


def outcome(
    burst: Burst,
    *,
    winners: int,
    won: Callable[[Answer], bool] = lambda a: a.redirected_ok,
    also_clear: Callable[[Answer], bool] = lambda a: False,
) -> None:
    """``winners`` answers went through; every other answer is a clear refusal (or ``also_clear``)."""
    through = [a for a in burst.answers if won(a)]
    unclear = [a for a in burst.answers if not won(a) and not (a.clearly_refused or also_clear(a))]
    assert len(through) == winners and not unclear, (
        f"expected {winners} through and {len(burst.answers) - winners} clearly refused; got {len(through)} through "
        f"and {len(unclear)} without a clear answer\n{burst.describe()}"
    )


# --- Evaluation cards -----------------------------------------------------------------------------------------


def test_six_submissions_of_one_card_submit_one_card(race_server: RaceServer) -> None:
    """The overseer's "Submit" sent six times at once (autosave in flight, two devices): one card, submitted once."""
    with race_server.setup() as s:
        w = World(s)
        case = w.case(w.judge())
        overseer, username = w.overseer()
        w.supervise(case, overseer)
        case_id, overseer_id = case.id, overseer.id
    page = f"/oversight/cases/{case_id}/card"
    burst = fire(
        race_server,
        [
            Shot(c, page, {**FULL_CARD, "submit": "y"}, label=f"submit #{i}")
            for i, c in enumerate(clients(partial(staff, race_server, username, page), 6))
        ],
    )
    check_burst(burst, 6)
    with race_server.look() as s:
        made = cards.versions(s, case_id=case_id, overseer_id=overseer_id, action_id=None)
        trail = audits(s, "card.submit", object_type="evaluation_card", object_ids=[c.id for c in made])
        chain = [(c.version, c.status) for c in made]
    assert chain == [(1, CardStatus.SUBMITTED)], f"cards {chain}\n{burst.describe()}"
    assert len(trail) == 1, f"{len(trail)} card.submit records\n{burst.describe()}"
    outcome(burst, winners=1)


def test_four_amendments_of_one_card_open_one_amendment(race_server: RaceServer) -> None:
    """Four clicks on "Amend" at once on a submitted card: one amendment (version 2), which every click opens."""
    with race_server.setup() as s:
        w = World(s)
        case = w.case(w.judge())
        overseer, username = w.overseer()
        w.supervise(case, overseer)
        card = cards.draft_for(s, case=case, overseer=overseer, action=None, now=w.now)
        cards.submit(s, card=card, data=cards.CardData(ratings=dict.fromkeys(cards.RATED, Rating.SATISFIED)), now=w.now)
        case_id, overseer_id, card_id = case.id, overseer.id, card.id
    path = f"/oversight/cases/{case_id}/cards/{card_id}/amend"
    burst = fire(
        race_server,
        [
            Shot(c, path, {}, label=f"amend #{i}")
            for i, c in enumerate(clients(partial(staff, race_server, username, f"/oversight/cases/{case_id}"), 4))
        ],
    )
    check_burst(burst, 4)
    with race_server.look() as s:
        chain = [
            (c.version, c.status, c.amends_id)
            for c in cards.versions(s, case_id=case_id, overseer_id=overseer_id, action_id=None)
        ]
    assert chain == [(1, CardStatus.SUBMITTED, None), (2, CardStatus.DRAFT, card_id)], (
        f"cards {chain}\n{burst.describe()}"
    )
    # Every click lands on the one amendment (a loser finds it open and resumes it), or is clearly refused.
    card_page = f"/oversight/cases/{case_id}/card"
    opened = [a for a in burst.answers if a.status == 303 and a.location.startswith(card_page)]
    assert all(a in opened or a.clearly_refused for a in burst.answers), burst.describe()


# --- Correction requests --------------------------------------------------------------------------------------


def test_two_accepts_and_two_rejects_of_one_correction_decide_once(race_server: RaceServer) -> None:
    """Two officers accept and two reject one correction request at the same moment: one decision, one record,
    one message to the requester; the entry is off the list exactly when the decision was to accept."""
    with race_server.setup() as s:
        w = World(s)
        judge, clerk = w.judge(), w.clerk()
        case = w.case(judge)
        entry = w.entry(case)
        requester = phone()
        request = corrections.file_request(
            s,
            entry=entry,
            ground=CorrectionGround.INFORMATION_WRONG,
            statement="本人已履行完毕。",
            requester_name="更正人",
            contact_phone=requester,
            now=w.now,
        )
        request_id, entry_id = request.id, entry.id
    page = f"/lists/staff/corrections/{request_id}"
    judges = prepare(
        [partial(staff, race_server, judge.username, page)] * 2
        + [partial(staff, race_server, clerk.username, page)] * 2
    )
    accept = {"decision": "accept", "reasons": "", "submit": "y"}
    reject = {"decision": "reject", "reasons": "材料不足以证明。", "submit": "y"}
    burst = fire(
        race_server,
        [
            Shot(judges[0], page, accept, label="accept (judge)"),
            Shot(judges[2], page, reject, label="reject (clerk)"),
            Shot(judges[1], page, accept, label="accept (judge)"),
            Shot(judges[3], page, reject, label="reject (clerk)"),
        ],
    )
    check_burst(burst, 4)
    with race_server.look() as s:
        decided = s.get(CorrectionRequest, request_id)
        entry = s.get(DefaulterEntry, entry_id)
        assert decided is not None and entry is not None
        trail = audits(s, "correction.decide", object_type="correction_request", object_ids=request_id)
        removals = audits(s, "defaulter.remove", object_type="defaulter_entry", object_ids=entry_id)
        messages = outbox(s, "correction_decided", recipients=[requester])
        status, removed = decided.status, entry.removed_at is not None
    assert len(trail) == 1, f"{len(trail)} correction.decide records\n{burst.describe()}"
    accepted = status == CorrectionStatus.ACCEPTED
    assert json.loads(trail[0].changes)["accepted"] is accepted, f"status {status} but recorded {trail[0].changes}"
    assert removed is accepted and len(removals) == int(accepted), (
        f"status {status}, entry removed: {removed}, {len(removals)} defaulter.remove records\n{burst.describe()}"
    )
    assert len(messages) == 1, f"{len(messages)} messages to the requester\n{burst.describe()}"
    assert messages[0].params["accepted"] is accepted
    outcome(burst, winners=1)


# --- Oversight invitations ------------------------------------------------------------------------------------


def _invite_burst(race_server: RaceServer, judge: str, case_id: int, overseer_ids: list[int]) -> Burst:
    page = f"/oversight/staff/cases/{case_id}"
    judges = clients(partial(staff, race_server, judge, page), len(overseer_ids))
    return fire(
        race_server,
        [
            Shot(c, f"{page}/invitations", {"overseers": str(o), "message": "请监督本案。"}, label=f"invite {o}")
            for c, o in zip(judges, overseer_ids, strict=True)
        ],
    )


def _invitations_of(race_server: RaceServer, case_id: int) -> tuple[list[Invitation], int, list[str]]:
    """The case's invitations in force, how many invitation.send records the case has, the invitation SMS."""
    with race_server.look() as s:
        found = list(s.scalars(sa.select(Invitation).where(Invitation.case_id == case_id).order_by(Invitation.id)))
        trail = audits(s, "invitation.send", object_type="invitation", object_ids=[i.id for i in found])
        sms = [m.recipient for m in outbox(s, "oversight_invitation", case_id=case_id)]
        active = [i for i in found if i.status in (InvitationStatus.PENDING, InvitationStatus.ACCEPTED)]
        s.expunge_all()
    return active, len(trail), sms


def test_six_invitations_to_one_case_stop_at_three(race_server: RaceServer) -> None:
    """The judge's invitations of six overseers sent at once: three invited (the most a case has), three refused."""
    with race_server.setup() as s:
        w = World(s)
        judge = w.judge()
        case = w.case(judge)
        roster = [w.overseer(f"ov{i}", account=False)[0] for i in range(6)]
        case_id, overseer_ids = case.id, [o.id for o in roster]
    burst = _invite_burst(race_server, judge.username, case_id, overseer_ids)
    check_burst(burst, 6)
    active, recorded, sms = _invitations_of(race_server, case_id)
    assert len(active) == 3, f"{len(active)} invitations in force\n{burst.describe()}"
    assert recorded == 3, f"{recorded} invitation.send records\n{burst.describe()}"
    assert len(sms) == 3 and len(set(sms)) == 3, f"invitation SMS to {sms}\n{burst.describe()}"
    outcome(burst, winners=3)


def test_one_overseer_invited_four_times_at_once_is_invited_once(race_server: RaceServer) -> None:
    """The same overseer invited from four tabs at once: one invitation, one link sent, three refusals."""
    with race_server.setup() as s:
        w = World(s)
        judge = w.judge()
        case = w.case(judge)
        overseer, _username = w.overseer(account=False)
        case_id, overseer_id = case.id, overseer.id
    burst = _invite_burst(race_server, judge.username, case_id, [overseer_id] * 4)
    check_burst(burst, 4)
    active, recorded, sms = _invitations_of(race_server, case_id)
    assert len(active) == 1, f"{len(active)} invitations in force\n{burst.describe()}"
    assert recorded == 1, f"{recorded} invitation.send records\n{burst.describe()}"
    assert len(sms) == 1, f"{len(sms)} invitation SMS (each a live link)\n{burst.describe()}"
    outcome(burst, winners=1)


def test_one_invitation_link_activated_four_times_makes_one_account(race_server: RaceServer) -> None:
    """The first-time invitee's link activated from four devices at once (two login names, each twice): one
    account for the overseer; the others are told the name is taken or to log in."""
    with race_server.setup() as s:
        w = World(s)
        case = w.case(w.judge())
        overseer, username = w.overseer(account=False)
        token = w.invite(case, overseer).token
        overseer_id = overseer.id
    page = f"/oversight/invitations/{token}"
    devices = clients(partial(visitor, race_server, page), 4)
    names = [username, username, f"{username}b", f"{username}b"]
    burst = fire(
        race_server,
        [
            Shot(c, page, {"username": n, "password": "a-long-password-1", "confirm": "a-long-password-1"}, label=n)
            for c, n in zip(devices, names, strict=True)
        ],
    )
    check_burst(burst, 4)
    with race_server.look() as s:
        made = [a.username for a in account_of(s, overseer_id)]
        trail = audits_by(s, "account.create", actor=f"overseer:{overseer_id}")
    assert len(made) == 1, f"accounts {made} for one overseer\n{burst.describe()}"
    assert len(trail) == 1, f"{len(trail)} account.create records\n{burst.describe()}"
    # One device makes the account; a device that arrives after it exists is shown the invitation with "log in
    # to answer" (a clear answer too); every other one is refused clearly.
    outcome(
        burst,
        winners=1,
        won=lambda a: a.status == 303 and a.location.startswith(page) and a.redirected_ok,
        also_clear=lambda a: a.status == 200 and "/login?next=" in a.body,
    )


# --- The party's subscriptions and judicial aid ---------------------------------------------------------------


def test_six_subscriptions_of_one_party_stop_at_three(race_server: RaceServer) -> None:
    """A party subscribes six phones from six browsers at once: three subscriptions (the limit), three refused."""
    with race_server.setup() as s:
        w = World(s)
        case = w.case(w.judge())
        applicant = side(case, PartySide.APPLICANT)
        code = w.query_code(applicant)
        case_id, case_number, party_id = case.id, case.number, applicant.id
    browsers = clients(partial(party, race_server, case_number, code), 6)
    phones = [phone() for _ in browsers]
    burst = fire(
        race_server,
        [
            Shot(c, "/cases/view/subscribe", {"topic": "nodes", "channel": "sms", "address": p}, label=p)
            for c, p in zip(browsers, phones, strict=True)
        ],
    )
    check_burst(burst, 6)
    with race_server.look() as s:
        active = list(
            s.scalars(
                sa.select(NoticeSubscription.address).where(
                    NoticeSubscription.party_id == party_id, NoticeSubscription.cancelled_at.is_(None)
                )
            )
        )
        trail = audits_by(s, "subscription.create", actor=f"party:{party_id}")
        told = outbox(s, "subscribed", case_id=case_id)
    assert len(active) == 3, f"{len(active)} active subscriptions: {active}\n{burst.describe()}"
    assert len(trail) == 3, f"{len(trail)} subscription.create records\n{burst.describe()}"
    assert sorted(m.recipient for m in told) == sorted(active), f"'subscribed' sent to {[m.recipient for m in told]}"
    outcome(burst, winners=3)


def test_five_aid_applications_of_one_applicant_make_one(race_server: RaceServer) -> None:
    """The applicant sends the judicial aid form five times at once: one application pending, four refused."""
    with race_server.setup() as s:
        w = World(s)
        case = w.case(w.judge())
        applicant = side(case, PartySide.APPLICANT)
        code = w.query_code(applicant)
        case_number, party_id = case.number, applicant.id
    browsers = clients(partial(party, race_server, case_number, code, "/aid/apply"), 5)
    form = {"hardship": "support", "household": "一家三口，无收入来源。", "amount": "1000", "changed_circumstances": ""}
    burst = fire(race_server, [Shot(c, "/aid/apply", form, label=f"apply #{i}") for i, c in enumerate(browsers)])
    check_burst(burst, 5)
    with race_server.look() as s:
        made = list(s.scalars(sa.select(AidApplication.attempt).where(AidApplication.party_id == party_id)))
        trail = audits_by(s, "aid.apply", actor=f"party:{party_id}")
    assert made == [1], f"applications (attempts) {made}\n{burst.describe()}"
    assert len(trail) == 1, f"{len(trail)} aid.apply records\n{burst.describe()}"
    outcome(burst, winners=1)


# --- Bounty notices -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bounty:
    """A bounty application awaiting decision, the judge and clerk who may decide it, the respondent's liaison."""

    notice_id: int
    officers: list[str]
    liaison_id: int
    liaison_phone: str


def _bounty(race_server: RaceServer) -> Bounty:
    with race_server.setup() as s:
        w = World(s)
        judge, clerk = w.judge(), w.clerk()
        case = w.case(judge)
        respondent = side(case, PartySide.RESPONDENT)
        liaison_id, liaison_phone = w.liaison_for(respondent)
        notice = bounties.apply(
            s,
            case=case,
            applicant=side(case, PartySide.APPLICANT),
            respondent=respondent,
            reward_kind=RewardKind.FIXED,
            reward_fen=10_000_00,
            conditions="提供被执行人财产线索，经查证属实的，给予奖励。",
            key=KEY,
            actor="races",
            now=w.now,
        )
        return Bounty(notice.id, _four_tabs(judge.username, clerk.username), liaison_id, liaison_phone)


def _decide(decision: str) -> dict[str, str]:
    reasons = "" if decision == "grant" else "不符合悬赏条件。"
    return {"decide-decision": decision, "decide-reasons": reasons, "decide-submit": "y"}


CLOSE = {"close-reason": "申请人撤回悬赏申请。", "close-submit": "y"}


def _bounty_burst(race_server: RaceServer, bounty: Bounty, actions: list[str]) -> Burst:
    """The judge and the clerk, each in two tabs, press a button of the notice's page at once: grant, reject or
    close."""
    page = f"/staff/bounties/{bounty.notice_id}"
    officers = prepare([partial(staff, race_server, u, page) for u in bounty.officers])
    return fire(
        race_server,
        [
            Shot(
                c,
                page,
                CLOSE if action == "close" else _decide(action),
                label=f"{action} ({c.name})",
                csrf_field=f"{'close' if action == 'close' else 'decide'}-csrf_token",
            )
            for c, action in zip(officers, actions, strict=True)
        ],
    )


@dataclass(frozen=True)
class Decided:
    status: BountyStatus
    decisions: list[dict[str, object]]  # the bounty.decide records' changes
    closes: int
    decided_before_closed: bool  # every decision record precedes every close record in the trail
    pushes: int  # inbox items of the respondent's liaison about the notice
    push_sms: int


def _decided(race_server: RaceServer, bounty: Bounty) -> Decided:
    with race_server.look() as s:
        notice = s.get(BountyNotice, bounty.notice_id)
        assert notice is not None
        decisions = audits(s, "bounty.decide", object_type="bounty_notice", object_ids=bounty.notice_id)
        closes = audits(s, "bounty.close", object_type="bounty_notice", object_ids=bounty.notice_id)
        mine = sa.and_(InboxItem.liaison_id == bounty.liaison_id, InboxItem.object_id == bounty.notice_id)
        pushes = s.scalars(sa.select(InboxItem).where(mine)).all()
        return Decided(
            notice.status,
            [json.loads(r.changes) for r in decisions],
            len(closes),
            all(d.seq < c.seq for d in decisions for c in closes),
            len(pushes),
            len(outbox(s, "grid_push", recipients=[bounty.liaison_phone])),
        )


def test_a_bounty_granted_from_four_tabs_at_once_is_decided_once(race_server: RaceServer) -> None:
    """Judge and clerk grant at once, each from two tabs: one decision, one record, the liaison of the respondent's
    grid told once."""
    bounty = _bounty(race_server)
    burst = _bounty_burst(race_server, bounty, ["grant"] * 4)
    check_burst(burst, 4)
    found = _decided(race_server, bounty)
    assert found.status == BountyStatus.PUBLISHED
    assert len(found.decisions) == 1, f"{len(found.decisions)} bounty.decide records\n{burst.describe()}"
    assert (found.pushes, found.push_sms) == (1, 1), f"liaison told {found}\n{burst.describe()}"
    outcome(burst, winners=1)


def test_a_bounty_granted_and_rejected_at_once_is_decided_once(race_server: RaceServer) -> None:
    """Two grants and two rejections at the same moment: one decision, the status is the one recorded, the liaison
    is told exactly when it was a grant."""
    bounty = _bounty(race_server)
    burst = _bounty_burst(race_server, bounty, ["grant", "reject", "grant", "reject"])
    check_burst(burst, 4)
    found = _decided(race_server, bounty)
    assert len(found.decisions) == 1, f"{found}\n{burst.describe()}"
    granted = found.decisions[0]["granted"]
    assert found.status == (BountyStatus.PUBLISHED if granted else BountyStatus.REJECTED), f"{found}"
    assert (found.pushes, found.push_sms) == ((1, 1) if granted else (0, 0)), f"{found}\n{burst.describe()}"
    outcome(burst, winners=1)


def test_a_bounty_granted_while_closed_stays_closed(race_server: RaceServer) -> None:
    """The judge grants (two tabs) while the clerk closes the application (two tabs): closed it stays, closed once,
    and a grant, if any, came first."""
    bounty = _bounty(race_server)
    burst = _bounty_burst(race_server, bounty, ["grant", "close", "grant", "close"])
    check_burst(burst, 4)
    found = _decided(race_server, bounty)
    assert found.status == BountyStatus.CLOSED, f"{found}\n{burst.describe()}"
    assert found.closes == 1 and len(found.decisions) <= 1 and found.decided_before_closed, (
        f"{found}\n{burst.describe()}"
    )
    closing = [a for a in burst.answers if a.label.startswith("close")]
    granting = [a for a in burst.answers if a.label.startswith("grant")]
    assert [a.redirected_ok for a in closing].count(True) == 1, burst.describe()
    assert [a.redirected_ok for a in granting].count(True) == len(found.decisions), burst.describe()
    assert all(a.redirected_ok or a.clearly_refused for a in burst.answers), burst.describe()


# --- Defaulter entries, restriction orders, the exposure board -----------------------------------------------


def _four_tabs(judge: str, clerk: str) -> list[str]:
    """Who presses the button at once: the judge and the clerk, each in two tabs (four requests make a burst whose
    requests overlap even on a loaded machine)."""
    return [judge, clerk, judge, clerk]


def _officers(w: World) -> list[str]:
    return _four_tabs(w.judge().username, w.clerk().username)


def test_a_defaulter_entry_removed_from_four_tabs_at_once_is_removed_once(race_server: RaceServer) -> None:
    """Two officers press "Remove now" at once, each in two tabs: one removal, one record, one "removed" notice."""
    with race_server.setup() as s:
        w = World(s)
        officers = _officers(w)
        case = w.case()
        entry = w.entry(case)
        defaulters.record_removal_ground(
            s,
            entry=entry,
            reason=RemovalReason.PERFORMED,
            occurred_at=w.now,
            calendar=workdays.load(s),
            actor="races",
            now=w.now,
        )
        subscriber = w.listings_subscription(case)
        entry_id = entry.id
    page = f"/lists/staff/entries/{entry_id}"
    removers = prepare([partial(staff, race_server, u, page) for u in officers])
    burst = fire(race_server, [Shot(c, f"{page}/remove", {}, label=f"remove ({c.name})") for c in removers])
    check_burst(burst, 4)
    with race_server.look() as s:
        trail = audits(s, "defaulter.remove", object_type="defaulter_entry", object_ids=entry_id)
        told = [m.params["event"] for m in outbox(s, "listing_event", recipients=[subscriber])]
    assert len(trail) == 1, f"{len(trail)} defaulter.remove records\n{burst.describe()}"
    assert told == ["removed"], f"listing events sent: {told}\n{burst.describe()}"
    outcome(burst, winners=1)


def test_a_restriction_order_lifted_from_four_tabs_at_once_is_lifted_once(race_server: RaceServer) -> None:
    """Two officers lift the order at once, each in two tabs: one lifting, one record, one "lifted" notice, and the
    order's note and officer are the recorded ones."""
    with race_server.setup() as s:
        w = World(s)
        officers = _officers(w)
        case = w.case()
        order = restrictions.issue_order(
            s,
            case=case,
            respondent=side(case, PartySide.RESPONDENT),
            items=[RestrictedItem.FLIGHTS],
            issued_on=w.now.astimezone(COURT_ZONE).date() - timedelta(days=1),
            key=KEY,
            actor="races",
            now=w.now,
        )
        subscriber = w.listings_subscription(case)
        order_id = order.id
    page = f"/staff/restrictions/{order_id}"
    lifters = prepare([partial(staff, race_server, u, page) for u in officers])
    burst = fire(
        race_server,
        [
            Shot(c, page, {"reason": "performed", "note": f"#{i} {c.name}"}, label=f"lift #{i} ({c.name})")
            for i, c in enumerate(lifters)
        ],
    )
    check_burst(burst, 4)
    with race_server.look() as s:
        order = s.get(RestrictionOrder, order_id)
        assert order is not None
        trail = audits(s, "restriction.lift", object_type="restriction_order", object_ids=order_id)
        told = [m.params["event"] for m in outbox(s, "listing_event", recipients=[subscriber])]
        note, by = order.lift_note, order.lifted_by
    assert len(trail) == 1, f"{len(trail)} restriction.lift records\n{burst.describe()}"
    assert told == ["restriction_lifted"], f"listing events sent: {told}\n{burst.describe()}"
    assert json.loads(trail[0].changes)["note"] == note and trail[0].actor == by, "the order is not the one recorded"
    outcome(burst, winners=1)


def test_an_entry_featured_from_four_tabs_at_once_is_on_the_board_once(race_server: RaceServer) -> None:
    """Two officers put the entry on the exposure board at once, each in two tabs: it is on the board once."""
    with race_server.setup() as s:
        w = World(s)
        officers = _officers(w)
        entry_id = w.entry(w.case()).id
    page = f"/staff/exposure/new?entry={entry_id}"
    featurers = prepare([partial(staff, race_server, u, page) for u in officers])
    burst = fire(
        race_server,
        [Shot(c, page, {"channels": "website", "exposed_on": today()}, label=f"feature ({c.name})") for c in featurers],
    )
    check_burst(burst, 4)
    with race_server.look() as s:
        shown = list(
            s.scalars(
                sa.select(ExposureFeature.id).where(
                    ExposureFeature.defaulter_entry_id == entry_id, ExposureFeature.withdrawn_at.is_(None)
                )
            )
        )
        trail = audits(s, "exposure.feature", object_type="exposure_feature", object_ids=shown)
    assert len(shown) == 1, f"the entry is on the board {len(shown)} times\n{burst.describe()}"
    assert len(trail) == 1, f"{len(trail)} exposure.feature records\n{burst.describe()}"
    outcome(burst, winners=1)


# --- On-site actions ------------------------------------------------------------------------------------------


def test_an_answer_to_an_onsite_action_cancelled_meanwhile_is_not_recorded_after_the_cancellation(
    race_server: RaceServer,
) -> None:
    """Three on-site actions; on each, the overseer confirms they will come while the judge cancels it, all at the
    same moment. Each action is cancelled once (the overseer told once), and a "coming" answer is kept only if it
    was recorded before the cancellation: never on an action already called off."""
    with race_server.setup() as s:
        w = World(s)
        judge = w.judge()
        case = w.case(judge)
        overseer, username = w.overseer()
        w.supervise(case, overseer)
        actions = [
            onsite.schedule(
                s,
                case=case,
                judge=judge.officer,
                scheduled_at=w.now + timedelta(days=3 + i),
                place=f"现场{i}",
                measure=OnsiteMeasure.SEIZURE,
                officers="王法官、李法警",
                now=w.now,
            )
            for i in range(3)
        ]
        case_id, overseer_id, overseer_phone = case.id, overseer.id, overseer.phone
        action_ids = [a.id for a in actions]
    overseer_page, judge_page = f"/oversight/cases/{case_id}", f"/oversight/staff/cases/{case_id}"
    prepared = prepare(
        [partial(staff, race_server, username, overseer_page)] * 3
        + [partial(staff, race_server, judge.username, judge_page)] * 3
    )
    shots = []
    for n, action_id in enumerate(action_ids):
        shots.append(
            Shot(
                prepared[n],
                f"{overseer_page}/actions/{action_id}/respond",
                {"answer": "yes"},
                label=f"come {action_id}",
            )
        )
        shots.append(
            Shot(
                prepared[3 + n],
                f"{judge_page}/actions/{action_id}/cancel",
                {f"cancel-{action_id}-reason": "天气原因"},
                label=f"cancel {action_id}",
                csrf_field=f"cancel-{action_id}-csrf_token",
            )
        )
    burst = fire(race_server, shots)
    check_burst(burst, 6)
    problems = []
    with race_server.look() as s:
        for action_id in action_ids:
            action = s.get(OnsiteAction, action_id)
            assert action is not None
            trail = audits(s, "onsite.cancel", object_type="onsite_action", object_ids=action_id)
            coming = audits(s, "onsite.confirmed", object_type="onsite_action", object_ids=action_id)
            attendance = next(a for a in action.attendances if a.overseer_id == overseer_id)
            told = [
                m
                for m in outbox(s, "onsite_cancelled", recipients=[overseer_phone])
                if m.params["place"] == action.place
            ]
            if action.status != OnsiteStatus.CANCELLED or len(trail) != 1 or len(told) != 1:
                problems.append(f"action {action_id}: {action.status}, {len(trail)} cancel records, {len(told)} SMS")
            if any(c.seq > trail[0].seq for c in coming for _ in trail[:1]):
                problems.append(f"action {action_id}: the overseer's 'coming' was recorded after the cancellation")
            if attendance.response == AttendanceResponse.CONFIRMED and not coming:
                problems.append(f"action {action_id}: confirmed without a record")
    assert not problems, "\n".join(problems) + "\n" + burst.describe()
    cancels = [a for a in burst.answers if a.label.startswith("cancel")]
    answers = [a for a in burst.answers if a.label.startswith("come")]
    assert all(a.redirected_ok for a in cancels), burst.describe()
    assert all(a.redirected_ok or a.clearly_refused for a in answers), burst.describe()


def test_four_answers_of_an_overseer_who_joined_after_scheduling_keep_one_attendance(race_server: RaceServer) -> None:
    """An overseer who accepted after the action was scheduled (no attendance row yet) answers "coming" from four
    tabs at once: one attendance row, confirmed; every click is answered without a server error."""
    with race_server.setup() as s:
        w = World(s)
        judge = w.judge()
        case = w.case(judge)
        action = onsite.schedule(
            s,
            case=case,
            judge=judge.officer,
            scheduled_at=w.now + timedelta(days=3),
            place="现场",
            measure=OnsiteMeasure.IMPOUND,
            officers="王法官",
            now=w.now,
        )
        overseer, username = w.overseer()
        w.supervise(case, overseer)
        case_id, action_id, overseer_id = case.id, action.id, overseer.id
    page = f"/oversight/cases/{case_id}"
    burst = fire(
        race_server,
        [
            Shot(c, f"{page}/actions/{action_id}/respond", {"answer": "yes"}, label=f"come #{i}")
            for i, c in enumerate(clients(partial(staff, race_server, username, page), 4))
        ],
    )
    check_burst(burst, 4)
    with race_server.look() as s:
        rows = list(
            s.scalars(
                sa.select(Attendance).where(Attendance.action_id == action_id, Attendance.overseer_id == overseer_id)
            )
        )
        recorded = audits(s, "onsite.confirmed", object_type="onsite_action", object_ids=action_id)
        responses = [r.response for r in rows]
    assert responses == [AttendanceResponse.CONFIRMED], f"attendance rows {responses}\n{burst.describe()}"
    answered = [a for a in burst.answers if a.redirected_ok]
    assert answered and all(a in answered or a.clearly_refused for a in burst.answers), burst.describe()
    assert len(recorded) == len(answered), f"{len(recorded)} records for {len(answered)} answers\n{burst.describe()}"
