"""Check-then-write races in the publicity services, raced for real: threads with sessions of their own, released
together by a barrier, on SQLite and PostgreSQL. Each test asserts one effect, one audit record, one notice, and
that the losers got the domain error (review: /tmp/races_review.md, items noted per test)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.errors import AlreadyDecided, AlreadyRemoved, CaseTerminated, NotResumable, RemovalGroundRecorded
from publicity.core.models import AuditRecord, Court, Officer
from publicity.core.workdays import Calendar
from publicity.lists import bounties, corrections, defaulters, exposure, restrictions
from publicity.lists.models import (
    BountyClue,
    BountyNotice,
    BountyStatus,
    CorrectionGround,
    CorrectionRequest,
    CorrectionStatus,
    DefaulterEntry,
    ExposureChannel,
    ExposureFeature,
    LiftReason,
    RemovalReason,
    RestrictedItem,
    RestrictionOrder,
    RewardKind,
)
from publicity.outreach import grid
from publicity.outreach.models import GridArea, GridKind, Liaison, LiaisonGrid, PartyLocation
from publicity.record import cases, deadlines, lookup, notices
from publicity.record.models import (
    CaseNode,
    Channel,
    EnforcementCase,
    NodeType,
    NoticeSubscription,
    OutboxMessage,
    Party,
    PartySide,
)
from tests.factories import DAY, NOW, count, file, list_entry, make_court, make_judge, pid, terminate
from tests.racing import race

KEY = b"test-id-search-key"


def _race(
    engine: sa.Engine,
    workers: int,
    load: Callable[[Session, int], Any],
    act: Callable[[Session, int, Any], object],
    refused: tuple[type[BaseException], ...],
) -> tuple[list[str], list[BaseException]]:
    """tests.racing.race without the results: "done" per commit, the refusal's class name per domain error."""
    outcomes, errors, _ = race(engine, workers, load, act, refused)
    return outcomes, errors


def _audits(session: Session, action: str) -> int:
    session.expire_all()
    return count_where(session, AuditRecord, AuditRecord.action == action)


def count_where(session: Session, model: type, *where: sa.ColumnElement[bool]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def _messages(session: Session, kind: str) -> int:
    return count_where(session, OutboxMessage, OutboxMessage.kind == kind)


@pytest.fixture
def court(session: Session) -> Court:
    return make_court(session)


@pytest.fixture
def case(session: Session, court: Court) -> EnforcementCase:
    return file(session, court, judge=make_judge(session, court))


def _side(case: EnforcementCase, which: PartySide) -> Party:
    return next(p for p in case.parties if p.side == which)


def _entry(session: Session, court: Court, *, ground: bool = False) -> DefaulterEntry:
    entry = list_entry(session, court, "张三", pid("19800101"), now=NOW - 30 * DAY)
    if ground:
        defaulters.record_removal_ground(
            session,
            entry=entry,
            reason=RemovalReason.PERFORMED,
            occurred_at=NOW - DAY,
            calendar=Calendar(),
            actor="judge",
            now=NOW - DAY,
        )
    return entry


# --- #1 correction decisions ------------------------------------------------------------------------------------


@pytest.mark.commits
def test_an_accept_and_a_reject_at_once_decide_once(session: Session, engine: sa.Engine, court: Court) -> None:
    entry = _entry(session, court)
    request = corrections.file_request(
        session,
        entry=entry,
        ground=CorrectionGround.SHOULD_BE_REMOVED,
        statement="已全部履行。",
        requester_name="张三",
        contact_phone="13800000000",
        now=NOW - DAY,
    )
    session.commit()
    request_id = request.id

    def act(own: Session, worker: int, mine: CorrectionRequest) -> None:
        corrections.decide(
            own,
            request=mine,
            accept=worker == 0,
            reasons="不符合条件。",
            calendar=Calendar(),
            actor=f"j{worker}",
            now=NOW,
        )

    outcomes, errors = _race(engine, 2, lambda own, _w: own.get(CorrectionRequest, request_id), act, (AlreadyDecided,))
    assert errors == []
    assert sorted(outcomes) == ["AlreadyDecided", "done"]
    assert _audits(session, "correction.decide") == 1
    assert _messages(session, "correction_decided") == 1  # the requester hears one answer
    decided = session.get(CorrectionRequest, request_id)
    assert decided is not None
    removals = _audits(session, "defaulter.remove")
    # Accepted: the entry came off once; rejected: it stayed.
    assert removals == (1 if decided.status == CorrectionStatus.ACCEPTED else 0)
    assert audit.verify(session).ok


# --- #6, #7 defaulter removal and its ground ----------------------------------------------------------------------


@pytest.mark.commits
def test_two_removals_at_once_remove_once(session: Session, engine: sa.Engine, court: Court) -> None:
    entry_id = _entry(session, court, ground=True).id
    session.commit()

    def act(own: Session, worker: int, mine: DefaulterEntry) -> None:
        defaulters.remove(own, entry=mine, actor=f"clerk{worker}", now=NOW + worker * timedelta(seconds=1))

    outcomes, errors = _race(engine, 2, lambda own, _w: own.get(DefaulterEntry, entry_id), act, (AlreadyRemoved,))
    assert errors == []
    assert sorted(outcomes) == ["AlreadyRemoved", "done"]
    assert _audits(session, "defaulter.remove") == 1


@pytest.mark.commits
def test_two_grounds_at_once_start_the_clock_once(session: Session, engine: sa.Engine, court: Court) -> None:
    entry_id = _entry(session, court).id
    session.commit()
    days = [NOW - 2 * DAY, NOW - DAY]

    def act(own: Session, worker: int, mine: DefaulterEntry) -> None:
        defaulters.record_removal_ground(
            own,
            entry=mine,
            reason=RemovalReason.PERFORMED,
            occurred_at=days[worker],
            calendar=Calendar(),
            actor=f"clerk{worker}",
            now=NOW,
        )

    outcomes, errors = _race(
        engine, 2, lambda own, _w: own.get(DefaulterEntry, entry_id), act, (RemovalGroundRecorded,)
    )
    assert errors == []
    assert sorted(outcomes) == ["RemovalGroundRecorded", "done"]
    assert _audits(session, "defaulter.removal_ground") == 1
    entry = session.get(DefaulterEntry, entry_id)
    assert entry is not None and entry.removal_ground_at in days


# --- #5, #5b, #13, #23 bounties -----------------------------------------------------------------------------------


def _apply_bounty(session: Session, case: EnforcementCase, *, now: Any = NOW) -> BountyNotice:
    return bounties.apply(
        session,
        case=case,
        applicant=_side(case, PartySide.APPLICANT),
        respondent=_side(case, PartySide.RESPONDENT),
        reward_kind=RewardKind.FIXED,
        reward_fen=1_000_000,
        conditions="提供线索并执行到位的，给付悬赏金。",
        key=KEY,
        actor="clerk",
        now=now,
    )


@pytest.mark.commits
def test_two_bounty_applications_at_once_open_one(session: Session, engine: sa.Engine, case: EnforcementCase) -> None:
    session.commit()
    case_id = case.id

    def load(own: Session, _w: int) -> EnforcementCase:
        mine = own.get(EnforcementCase, case_id)
        assert mine is not None and mine.parties and mine.court.code
        return mine

    outcomes, errors = _race(
        engine, 2, load, lambda own, _w, mine: _apply_bounty(own, mine), (bounties.BountyAlreadyOpen,)
    )
    assert errors == []
    assert sorted(outcomes) == ["BountyAlreadyOpen", "done"]
    assert count(session, BountyNotice) == 1 and _audits(session, "bounty.apply") == 1


@pytest.mark.commits
def test_a_grant_and_a_close_at_once_leave_the_notice_closed(
    session: Session, engine: sa.Engine, case: EnforcementCase
) -> None:
    notice_id = _apply_bounty(session, case).id
    session.commit()

    def act(own: Session, worker: int, mine: BountyNotice) -> None:
        if worker == 0:
            bounties.decide(own, notice=mine, grant=True, reasons="", actor="judge", now=NOW + DAY)
        else:
            bounties.close(own, notice=mine, reason="申请人撤回。", actor="clerk", now=NOW + DAY)

    outcomes, errors = _race(
        engine, 2, lambda own, _w: own.get(BountyNotice, notice_id), act, (bounties.NotAwaitingDecision,)
    )
    assert errors == []
    assert sorted(outcomes) in (["done", "done"], ["NotAwaitingDecision", "done"])
    notice = session.get(BountyNotice, notice_id)
    assert notice is not None and notice.status == BountyStatus.CLOSED  # never published again after its closing
    assert _audits(session, "bounty.close") == 1
    assert _audits(session, "bounty.decide") == (1 if outcomes == ["done", "done"] else 0)


@pytest.mark.commits
def test_two_closings_at_once_close_once(session: Session, engine: sa.Engine, case: EnforcementCase) -> None:
    notice_id = _apply_bounty(session, case).id
    session.commit()

    def act(own: Session, worker: int, mine: BountyNotice) -> None:
        bounties.close(own, notice=mine, reason=f"撤回{worker}", actor=f"clerk{worker}", now=NOW + DAY)

    outcomes, errors = _race(engine, 2, lambda own, _w: own.get(BountyNotice, notice_id), act, (bounties.NotOpen,))
    assert errors == []
    assert sorted(outcomes) == ["NotOpen", "done"]
    assert _audits(session, "bounty.close") == 1


@pytest.mark.commits
def test_two_tabs_reading_the_clues_record_them_read_once(
    session: Session, engine: sa.Engine, case: EnforcementCase
) -> None:
    notice = _apply_bounty(session, case)
    bounties.decide(session, notice=notice, grant=True, reasons="", actor="judge", now=NOW + DAY)
    for ip in ("10.0.0.1", "10.0.0.2"):
        bounties.submit_clue(session, notice=notice, text="他在县城开店。", ip=ip, now=NOW + 2 * DAY)
    session.commit()
    notice_id = notice.id
    read: list[list[int]] = []

    def load(own: Session, _w: int) -> tuple[BountyNotice, list[BountyClue]]:
        mine = own.get(BountyNotice, notice_id)
        assert mine is not None and mine.court.code
        return mine, bounties.clues_of(own, mine)

    def act(own: Session, worker: int, loaded: tuple[BountyNotice, list[BountyClue]]) -> None:
        read.append(bounties.mark_read(own, notice=loaded[0], clues=loaded[1], actor="judge", now=NOW + 3 * DAY))

    outcomes, errors = _race(engine, 2, load, act, ())
    assert errors == [] and outcomes == ["done", "done"]
    assert sorted(map(len, read)) == [0, 2]  # the clues are fresh in one tab only
    assert _audits(session, "bounty.clues_read") == 1


# --- #8, #9 restrictions -----------------------------------------------------------------------------------------


def _issue(session: Session, case: EnforcementCase) -> RestrictionOrder:
    return restrictions.issue_order(
        session,
        case=case,
        respondent=_side(case, PartySide.RESPONDENT),
        items=[RestrictedItem.FLIGHTS],
        issued_on=date(2026, 3, 2),
        key=KEY,
        actor="judge",
        now=NOW,
    )


@pytest.mark.commits
def test_two_orders_at_once_against_one_respondent_issue_one(
    session: Session, engine: sa.Engine, case: EnforcementCase
) -> None:
    session.commit()
    case_id = case.id

    def load(own: Session, _w: int) -> EnforcementCase:
        mine = own.get(EnforcementCase, case_id)
        assert mine is not None and mine.parties and mine.court.code
        return mine

    outcomes, errors = _race(
        engine, 2, load, lambda own, _w, mine: _issue(own, mine), (restrictions.OrderAlreadyActive,)
    )
    assert errors == []
    assert sorted(outcomes) == ["OrderAlreadyActive", "done"]
    assert count(session, RestrictionOrder) == 1 and _audits(session, "restriction.issue") == 1
    assert audit.verify(session).ok


@pytest.mark.commits
def test_two_lifts_at_once_lift_once(session: Session, engine: sa.Engine, case: EnforcementCase) -> None:
    order_id = _issue(session, case).id
    session.commit()

    def act(own: Session, worker: int, mine: RestrictionOrder) -> None:
        restrictions.lift_order(
            own, order=mine, reason=LiftReason.PERFORMED, note=f"{worker}", actor="judge", now=NOW + DAY
        )

    outcomes, errors = _race(
        engine, 2, lambda own, _w: own.get(RestrictionOrder, order_id), act, (restrictions.AlreadyLifted,)
    )
    assert errors == []
    assert sorted(outcomes) == ["AlreadyLifted", "done"]
    assert _audits(session, "restriction.lift") == 1


# --- #14, #14b the exposure board ---------------------------------------------------------------------------------


@pytest.mark.commits
def test_two_features_of_one_entry_at_once_show_it_once(session: Session, engine: sa.Engine, court: Court) -> None:
    entry_id, court_id = _entry(session, court).id, court.id
    session.commit()

    def load(own: Session, _w: int) -> tuple[Court, DefaulterEntry]:
        return own.get_one(Court, court_id), own.get_one(DefaulterEntry, entry_id)

    def act(own: Session, worker: int, loaded: tuple[Court, DefaulterEntry]) -> None:
        exposure.feature(
            own,
            court=loaded[0],
            entry=loaded[1],
            channels=[ExposureChannel.WEBSITE],
            exposed_on=date(2026, 3, 1),
            actor=f"clerk{worker}",
            now=NOW,
        )

    # The loser is refused by the check when the winner committed first, else by the partial unique index (the
    # route turns both into AlreadyExposed).
    outcomes, errors = _race(engine, 2, load, act, (exposure.AlreadyExposed, sa.exc.IntegrityError))
    assert errors == []
    assert sorted(outcomes) in (["AlreadyExposed", "done"], ["IntegrityError", "done"])
    assert count(session, ExposureFeature) == 1 and _audits(session, "exposure.feature") == 1


@pytest.mark.commits
def test_two_withdrawals_at_once_withdraw_once(session: Session, engine: sa.Engine, court: Court) -> None:
    entry = _entry(session, court)
    shown = exposure.feature(
        session,
        court=court,
        entry=entry,
        channels=[ExposureChannel.WEBSITE],
        exposed_on=date(2026, 3, 1),
        actor="clerk",
        now=NOW,
    )
    session.commit()
    shown_id = shown.id

    def act(own: Session, worker: int, mine: ExposureFeature) -> None:
        exposure.withdraw(own, shown=mine, actor=f"clerk{worker}", now=NOW + DAY)

    outcomes, errors = _race(
        engine, 2, lambda own, _w: own.get(ExposureFeature, shown_id), act, (exposure.AlreadyWithdrawn,)
    )
    assert errors == []
    assert sorted(outcomes) == ["AlreadyWithdrawn", "done"]
    assert _audits(session, "exposure.withdraw") == 1


# --- #11, #26 notice subscriptions; the query code -----------------------------------------------------------------


def _subscribe(own: Session, party_id: int, address: str) -> str:
    party = own.get_one(Party, party_id)
    _subscription, token = notices.subscribe(
        own, case=party.case, party=party, channel=Channel.SMS, address=address, locale="zh_CN", now=NOW
    )
    return token


def _coded_applicant(session: Session, case: EnforcementCase) -> int:
    """The case's applicant, with a query code issued the day before (what subscribing needs); its id."""
    party = _side(case, PartySide.APPLICANT)
    lookup.issue_query_code(session, party=party, key=KEY, actor="clerk", now=NOW - DAY)
    session.commit()
    return party.id


def _load_party(party_id: int) -> Callable[[Session, int], Party]:
    def load(own: Session, _w: int) -> Party:
        mine = own.get_one(Party, party_id)
        assert mine.case.court.code and mine.query_code_hash
        return mine

    return load


@pytest.mark.commits
def test_four_subscriptions_at_once_stop_at_the_limit(
    session: Session, engine: sa.Engine, case: EnforcementCase
) -> None:
    party_id = _coded_applicant(session, case)
    load = _load_party(party_id)

    def act(own: Session, worker: int, mine: Party) -> None:
        _subscribe(own, mine.id, f"1380000000{worker}")

    outcomes, errors = _race(engine, 4, load, act, (notices.TooManySubscriptions,))
    assert errors == []
    assert sorted(outcomes) == ["TooManySubscriptions", "done", "done", "done"]
    assert notices.active_count(session, party_id=party_id) == notices.MAX_SUBSCRIPTIONS
    assert _audits(session, "subscription.create") == notices.MAX_SUBSCRIPTIONS


@pytest.mark.commits
def test_a_subscription_racing_a_reissued_code_does_not_outlive_it(
    session: Session, engine: sa.Engine, case: EnforcementCase
) -> None:
    party_id = _coded_applicant(session, case)
    load = _load_party(party_id)

    def act(own: Session, worker: int, mine: Party) -> None:
        if worker == 0:
            lookup.issue_query_code(own, party=mine, key=KEY, actor="clerk", now=NOW)
        else:
            _subscribe(own, mine.id, "13800000000")

    outcomes, errors = _race(engine, 2, load, act, (notices.CodeReissued,))
    assert errors == []
    assert sorted(outcomes) in (["CodeReissued", "done"], ["done", "done"])
    # Whichever came first, no subscription made with the old code is active after the reissue.
    assert notices.active_count(session, party_id=party_id) == 0
    assert _audits(session, "query_code.reissue") == 1


@pytest.mark.commits
def test_two_clicks_on_an_unsubscribe_link_cancel_once(
    session: Session, engine: sa.Engine, case: EnforcementCase
) -> None:
    party = _side(case, PartySide.APPLICANT)
    token = _subscribe(session, party.id, "13800000000")
    session.commit()

    def act(own: Session, _w: int, _loaded: None) -> None:
        notices.unsubscribe(own, token=token, now=NOW + DAY)

    outcomes, errors = _race(engine, 2, lambda own, _w: None, act, (notices.UnknownSubscription,))
    assert errors == []
    assert sorted(outcomes) == ["UnknownSubscription", "done"]
    assert _audits(session, "subscription.cancel") == 1
    assert count_where(session, NoticeSubscription, NoticeSubscription.cancelled_at.is_not(None)) == 1


# --- #18b resumed case numbers ------------------------------------------------------------------------------------


@pytest.mark.commits
def test_two_cases_resumed_at_once_get_two_numbers(session: Session, engine: sa.Engine, court: Court) -> None:
    judge = make_judge(session, court)
    ended = [file(session, court, f"（2026）鲁1427执{n}号", judge=judge) for n in (11, 12)]
    at = [terminate(session, c) for c in ended]
    session.commit()
    ids, resumed_at = [c.id for c in ended], max(at) + DAY

    def load(own: Session, worker: int) -> EnforcementCase:
        mine = own.get_one(EnforcementCase, ids[worker])
        assert mine.parties and mine.court.code
        return mine

    def act(own: Session, _w: int, mine: EnforcementCase) -> None:
        cases.resume_case(
            own, case=mine, new_number=None, occurred_at=resumed_at, public_text="", actor="clerk", now=resumed_at
        )

    outcomes, errors = _race(engine, 2, load, act, (NotResumable,))
    assert errors == [] and outcomes == ["done", "done"]
    numbers = session.scalars(sa.select(EnforcementCase.number).where(EnforcementCase.resumed_from_id.in_(ids))).all()
    assert len(set(numbers)) == 2


@pytest.mark.commits
def test_a_judge_assigned_as_the_case_ends_is_refused_or_assigned_before(
    session: Session, engine: sa.Engine, court: Court
) -> None:
    """#16: assigning the judge takes the case lock, so it sees a 终本 committed meanwhile (and 终本 sees it)."""
    case = file(session, court, "（2026）鲁1427执21号")
    judge = make_judge(session, court)
    session.commit()
    case_id, judge_id = case.id, judge.id
    ends = deadlines.add_months(case.filed_at, 3) + DAY  # when terminate() ends it

    def act(own: Session, worker: int, mine: EnforcementCase) -> None:
        if worker == 0:
            cases.assign_judge(own, case=mine, judge=own.get_one(Officer, judge_id), actor="clerk", now=ends)
        else:
            terminate(own, mine)

    outcomes, errors = _race(engine, 2, lambda own, _w: own.get_one(EnforcementCase, case_id), act, (CaseTerminated,))
    assert errors == []
    session.expire_all()
    kinds_in_order = session.scalars(
        sa.select(CaseNode.node_type).where(CaseNode.case_id == case_id).order_by(CaseNode.id)
    ).all()
    if sorted(outcomes) == ["CaseTerminated", "done"]:
        assert NodeType.JUDGE_ASSIGNED not in kinds_in_order  # refused after the 终本: nothing written
    else:
        assert outcomes == ["done", "done"]  # the assignment came first and the 终本 after it
        assert kinds_in_order.index(NodeType.JUDGE_ASSIGNED) < kinds_in_order.index(NodeType.TERMINATED_THIS_ROUND)


# --- #24, #25 the grid ---------------------------------------------------------------------------------------------


@pytest.mark.commits
def test_two_identical_townships_at_once_make_one(session: Session, engine: sa.Engine, court: Court) -> None:
    session.commit()
    court_id = court.id

    def act(own: Session, worker: int, mine: Court) -> None:
        grid.add_area(own, court=mine, name="城关镇", kind=GridKind.TOWNSHIP, actor=f"admin{worker}", now=NOW)

    outcomes, errors = _race(
        engine, 2, lambda own, _w: own.get_one(Court, court_id), act, (grid.DuplicateArea, sa.exc.IntegrityError)
    )
    assert errors == []
    assert sorted(outcomes) in (["DuplicateArea", "done"], ["IntegrityError", "done"])
    assert count(session, GridArea) == 1 and _audits(session, "grid.area_create") == 1


@pytest.mark.commits
def test_two_grid_assignments_and_locations_at_once_both_go_through(
    session: Session, engine: sa.Engine, case: EnforcementCase, court: Court
) -> None:
    town = grid.add_area(session, court=court, name="城关镇", kind=GridKind.TOWNSHIP, actor="admin", now=NOW)
    grids = [
        grid.add_area(session, court=court, name=name, kind=GridKind.VILLAGE, parent=town, actor="admin", now=NOW)
        for name in ("东关村", "西关村")
    ]
    liaison = grid.add_liaison(session, court=court, name="赵六", grids=[grids[0]], actor="admin", now=NOW)
    session.commit()
    liaison_id, party_id, grid_ids = liaison.id, _side(case, PartySide.RESPONDENT).id, [g.id for g in grids]

    def act(own: Session, worker: int, _loaded: None) -> None:
        chosen = own.get_one(GridArea, grid_ids[worker])
        grid.set_grids(own, liaison=own.get_one(Liaison, liaison_id), grids=[chosen], actor="admin", now=NOW)
        grid.locate_party(own, party=own.get_one(Party, party_id), grid=chosen, actor="clerk", now=NOW)

    outcomes, errors = _race(engine, 2, lambda own, _w: None, act, ())
    assert errors == [] and outcomes == ["done", "done"]  # no primary-key clash on PostgreSQL
    assert count(session, LiaisonGrid) == 1 and count(session, PartyLocation) == 1
