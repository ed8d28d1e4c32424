"""Deadline clocks: what a case owes and by when, as the clock moves across each boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from publicity.core.errors import ClosureModeRequired
from publicity.core.models import Court
from publicity.record import cases, deadlines
from publicity.record.deadlines import Deadline, DeadlineKind, DeadlineStatus
from publicity.record.models import ClosureMode, EnforcementCase, NodeType, SearchTarget
from tests.factories import DAY, NOW, file, make_court, make_judge, node, terminate

MINUTE = timedelta(minutes=1)


@pytest.fixture
def court(session: Session) -> Court:
    return make_court(session)


@pytest.fixture
def filed_case(session: Session, court: Court) -> EnforcementCase:
    return file(session, court)


def periodic(session: Session, case: EnforcementCase, *, now: datetime) -> list[Deadline]:
    return [d for d in cases.case_deadlines(session, case, now=now) if d.kind == DeadlineKind.PERIODIC_SEARCH]


def find(found: list[Deadline], kind: DeadlineKind, target: SearchTarget | None = None) -> Deadline:
    [deadline] = [d for d in found if d.kind == kind and d.target == target]
    return deadline


def status(
    session: Session, case: EnforcementCase, kind: DeadlineKind, *, now: datetime, target: SearchTarget | None = None
) -> DeadlineStatus:
    return find(cases.case_deadlines(session, case, now=now), kind, target).status


def test_the_search_starts_within_two_days(session: Session, filed_case: EnforcementCase) -> None:
    kind = DeadlineKind.SEARCH_STARTED
    assert find(cases.case_deadlines(session, filed_case, now=NOW), kind).due_at == NOW + 2 * DAY
    assert status(session, filed_case, kind, now=NOW + DAY + 23 * timedelta(hours=1)) == DeadlineStatus.PENDING
    assert status(session, filed_case, kind, now=NOW + 2 * DAY + MINUTE) == DeadlineStatus.OVERDUE


@pytest.mark.parametrize(
    ("started", "expected"),
    [
        (NOW + DAY, DeadlineStatus.MET),
        (NOW + 2 * DAY, DeadlineStatus.MET),
        (NOW + 2 * DAY + MINUTE, DeadlineStatus.MET_LATE),
    ],
)
def test_a_search_started_before_the_due_meets_it_and_after_meets_it_late(
    session: Session, filed_case: EnforcementCase, started: datetime, expected: DeadlineStatus
) -> None:
    node(session, filed_case, NodeType.SEARCH_STARTED, at=started)
    deadline = find(cases.case_deadlines(session, filed_case, now=NOW + 30 * DAY), DeadlineKind.SEARCH_STARTED)
    assert deadline.status == expected and deadline.met_at == started and not deadline.is_open


def test_the_four_basic_searches_are_done_within_three_days(session: Session, filed_case: EnforcementCase) -> None:
    node(session, filed_case, NodeType.SEARCH_COMPLETED, at=NOW + DAY, target=SearchTarget.PERSON)
    node(session, filed_case, NodeType.SEARCH_COMPLETED, at=NOW + 4 * DAY, target=SearchTarget.VEHICLE)
    found = cases.case_deadlines(session, filed_case, now=NOW + 3 * DAY + MINUTE)
    searches = {d.target: d for d in found if d.kind == DeadlineKind.SEARCH_COMPLETED}
    assert set(searches) == {SearchTarget.PERSON, SearchTarget.VEHICLE, SearchTarget.DEPOSITS, SearchTarget.BUSINESS}
    assert all(d.due_at == NOW + 3 * DAY for d in searches.values())
    assert searches[SearchTarget.PERSON].status == DeadlineStatus.MET
    assert searches[SearchTarget.VEHICLE].status == DeadlineStatus.MET_LATE
    assert searches[SearchTarget.DEPOSITS].status == DeadlineStatus.OVERDUE
    before = cases.case_deadlines(session, filed_case, now=NOW + 3 * DAY - MINUTE)
    assert find(before, DeadlineKind.SEARCH_COMPLETED, SearchTarget.BUSINESS).status == DeadlineStatus.PENDING


def test_the_judge_is_assigned_within_seven_days(session: Session, court: Court, filed_case: EnforcementCase) -> None:
    kind = DeadlineKind.JUDGE_ASSIGNED
    assert status(session, filed_case, kind, now=NOW + 7 * DAY - MINUTE) == DeadlineStatus.PENDING
    assert status(session, filed_case, kind, now=NOW + 7 * DAY + MINUTE) == DeadlineStatus.OVERDUE
    cases.assign_judge(session, case=filed_case, judge=make_judge(session, court), actor="t", now=NOW + 5 * DAY)
    assert status(session, filed_case, kind, now=NOW + 8 * DAY) == DeadlineStatus.MET


def test_a_judge_named_at_filing_meets_the_assignment_deadline(session: Session, court: Court) -> None:
    case = file(session, court, judge=make_judge(session, court))
    assert status(session, case, DeadlineKind.JUDGE_ASSIGNED, now=NOW + 30 * DAY) == DeadlineStatus.MET


def test_the_notice_is_served_within_three_days(session: Session, filed_case: EnforcementCase) -> None:
    kind = DeadlineKind.NOTICE_SERVED
    assert status(session, filed_case, kind, now=NOW + 3 * DAY - MINUTE) == DeadlineStatus.PENDING
    assert status(session, filed_case, kind, now=NOW + 3 * DAY + MINUTE) == DeadlineStatus.OVERDUE
    node(session, filed_case, NodeType.NOTICE_SERVED, at=NOW + 4 * DAY)
    assert status(session, filed_case, kind, now=NOW + 5 * DAY) == DeadlineStatus.MET_LATE


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2025, 8, 31, 1, 30, tzinfo=UTC), 6, datetime(2026, 2, 28, 1, 30, tzinfo=UTC)),
        (datetime(2027, 8, 31, 1, 30, tzinfo=UTC), 6, datetime(2028, 2, 29, 1, 30, tzinfo=UTC)),
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2026, 10, 15, tzinfo=UTC), 3, datetime(2027, 1, 15, tzinfo=UTC)),
        (datetime(2026, 3, 2, tzinfo=UTC), 60, datetime(2031, 3, 2, tzinfo=UTC)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last_of_a_short_month(
    start: datetime, months: int, expected: datetime
) -> None:
    assert deadlines.add_months(start, months) == expected


@pytest.mark.parametrize(
    ("filed_at", "due"),
    [
        (datetime(2025, 8, 31, 1, 30, tzinfo=UTC), datetime(2026, 2, 28, 1, 30, tzinfo=UTC)),
        (datetime(2027, 8, 31, 1, 30, tzinfo=UTC), datetime(2028, 2, 29, 1, 30, tzinfo=UTC)),
        (NOW, datetime(2026, 9, 2, 2, 0, tzinfo=UTC)),
    ],
)
def test_the_case_is_closed_within_six_months(
    session: Session, court: Court, filed_at: datetime, due: datetime
) -> None:
    case = file(session, court, f"（{filed_at.year}）鲁1427执1号", filed_at=filed_at)
    closure = find(cases.case_deadlines(session, case, now=filed_at), DeadlineKind.CLOSURE)
    assert closure.due_at == due
    assert status(session, case, DeadlineKind.CLOSURE, now=due - MINUTE) == DeadlineStatus.PENDING
    assert status(session, case, DeadlineKind.CLOSURE, now=due + MINUTE) == DeadlineStatus.OVERDUE


def test_a_court_may_shorten_a_deadline(session: Session) -> None:
    court = make_court(session, settings={"search_start_days": 1})
    case = file(session, court)
    assert status(session, case, DeadlineKind.SEARCH_STARTED, now=NOW + DAY + MINUTE) == DeadlineStatus.OVERDUE
    assert case.next_due_at == NOW + DAY
    untouched = find(cases.case_deadlines(session, case, now=NOW), DeadlineKind.NOTICE_SERVED)
    assert untouched.due_at == NOW + 3 * DAY


def test_the_pure_calculation_takes_the_settings_given(session: Session, filed_case: EnforcementCase) -> None:
    settings = deadlines.settings_for({"closure_months": 3, "judge_assign_days": 10, "unknown": 99})
    found = deadlines.case_deadlines(filed_case, cases.nodes_of(session, filed_case), settings, now=NOW)
    assert find(found, DeadlineKind.CLOSURE).due_at == datetime(2026, 6, 2, 2, 0, tzinfo=UTC)
    assert find(found, DeadlineKind.JUDGE_ASSIGNED).due_at == NOW + 10 * DAY
    assert [d.due_at for d in found] == sorted(d.due_at for d in found)


def test_next_due_is_the_earliest_open_deadline(session: Session, filed_case: EnforcementCase) -> None:
    assert filed_case.next_due_at == NOW + 2 * DAY  # the search start
    node(session, filed_case, NodeType.SEARCH_STARTED, at=NOW + DAY)
    assert filed_case.next_due_at == NOW + 3 * DAY  # the basic searches and the notice
    for target in (SearchTarget.PERSON, SearchTarget.VEHICLE, SearchTarget.DEPOSITS, SearchTarget.BUSINESS):
        node(session, filed_case, NodeType.SEARCH_COMPLETED, at=NOW + 2 * DAY, target=target)
    assert filed_case.next_due_at == NOW + 3 * DAY  # still the notice
    node(session, filed_case, NodeType.NOTICE_SERVED, at=NOW + 5 * DAY)  # late still closes it
    assert filed_case.next_due_at == NOW + 7 * DAY  # the judge
    found = cases.case_deadlines(session, filed_case, now=NOW + 5 * DAY)
    assert filed_case.next_due_at == min(d.due_at for d in found if d.is_open)
    session.commit()
    session.expire_all()
    assert session.get(EnforcementCase, filed_case.id).next_due_at == NOW + 7 * DAY


def test_a_closed_case_has_no_open_deadline(session: Session, filed_case: EnforcementCase) -> None:
    node(session, filed_case, NodeType.SEARCH_STARTED, at=NOW + DAY)
    node(session, filed_case, NodeType.CLOSED, at=NOW + 20 * DAY, mode=ClosureMode.FULLY_PERFORMED)
    found = cases.case_deadlines(session, filed_case, now=NOW + 400 * DAY)
    assert found and all(not d.is_open for d in found)
    assert all(d.status in (DeadlineStatus.MET, DeadlineStatus.MET_LATE) for d in found)
    assert find(found, DeadlineKind.CLOSURE).status == DeadlineStatus.MET
    assert filed_case.next_due_at is None


def test_after_termination_a_periodic_search_is_due_every_six_months(
    session: Session, filed_case: EnforcementCase
) -> None:
    terminated_at = terminate(session, filed_case)
    first_due = deadlines.add_months(terminated_at, 6)
    assert filed_case.next_due_at == first_due
    found = cases.case_deadlines(session, filed_case, now=terminated_at)
    assert [d.kind for d in found if d.is_open] == [DeadlineKind.PERIODIC_SEARCH]
    assert find(found, DeadlineKind.CLOSURE).met_at == terminated_at
    assert status(session, filed_case, DeadlineKind.PERIODIC_SEARCH, now=first_due - MINUTE) == DeadlineStatus.PENDING
    assert status(session, filed_case, DeadlineKind.PERIODIC_SEARCH, now=first_due + MINUTE) == DeadlineStatus.OVERDUE

    searched = first_due - 10 * DAY
    node(session, filed_case, NodeType.PERIODIC_SEARCH, at=searched, target=SearchTarget.DEPOSITS)
    rounds = periodic(session, filed_case, now=searched)
    assert [(d.due_at, d.status) for d in rounds] == [
        (first_due, DeadlineStatus.MET),
        (deadlines.add_months(terminated_at, 12), DeadlineStatus.PENDING),
    ]
    assert filed_case.next_due_at == deadlines.add_months(terminated_at, 12)


def test_a_late_periodic_search_clears_the_missed_round(session: Session, filed_case: EnforcementCase) -> None:
    """A search done after the round's due is late, but done: the case must not stay overdue for ever."""
    terminated_at = terminate(session, filed_case)
    first_due = deadlines.add_months(terminated_at, 6)
    searched = first_due + 20 * DAY
    node(session, filed_case, NodeType.PERIODIC_SEARCH, at=searched, target=SearchTarget.PERSON)
    rounds = periodic(session, filed_case, now=searched)
    assert rounds[0].due_at == first_due
    assert rounds[0].status == DeadlineStatus.MET_LATE
    assert filed_case.next_due_at is not None and filed_case.next_due_at > searched


def test_a_resumed_case_owes_no_more_periodic_searches(session: Session, filed_case: EnforcementCase) -> None:
    resumed_on = terminate(session, filed_case) + 30 * DAY
    new = cases.resume_case(
        session, case=filed_case, new_number=None, occurred_at=resumed_on, public_text="", actor="judge", now=resumed_on
    )
    assert filed_case.next_due_at is None
    assert all(not d.is_open for d in cases.case_deadlines(session, filed_case, now=resumed_on + 400 * DAY))
    assert new.next_due_at == resumed_on + 2 * DAY  # the new case's clocks start at its filing


def test_overdue_is_strictly_after_the_due_time_and_nothing_owed_is_never_overdue() -> None:
    # One reading for every clock the pages mark (case deadlines, questions, card answers): a thing due at 17:00 is
    # on time at 17:00 and overdue a second later.
    assert deadlines.overdue(NOW, NOW) is False
    assert deadlines.overdue(NOW, NOW + timedelta(seconds=1)) is True
    assert deadlines.overdue(NOW, NOW - DAY) is False
    assert deadlines.overdue(None, NOW) is False


def test_closing_modes_leave_out_terminated_this_round_and_a_closing_node_refuses_it(session: Session) -> None:
    assert ClosureMode.TERMINATED_THIS_ROUND not in cases.CLOSING_MODES
    assert set(cases.CLOSING_MODES) == set(ClosureMode) - {ClosureMode.TERMINATED_THIS_ROUND}
    case = file(session, make_court(session))
    with pytest.raises(ClosureModeRequired):
        node(session, case, NodeType.CLOSED, at=NOW + DAY, mode=ClosureMode.TERMINATED_THIS_ROUND)
