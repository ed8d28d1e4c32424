"""Enforcement statistics (执行质效): every figure checked against a register whose figures were worked out by hand.

The register below is built through the services with explicit times. Times are written in UTC; most
are 02:00 UTC (10:00 in the court's zone, Asia/Shanghai), so the local day is the UTC day and the days
from filing to closure are whole numbers. The few at 16:30 / 17:00 UTC sit on the other side of a local
midnight on purpose (month and year boundaries are the court's).

The court 鲁1427 (judges 王建国 执行一组 = J1, 李明 执行二组 = J2, 张伟 执行三组 = J3 without cases):

case  number     judge  filed (UTC)        closed (UTC)       how               applied  recovered  days
A     2025执1    J1     2025-03-10 02:00   2025-07-01 02:00   终本               100000    20000      113
B     2026执恢1  J1     2026-02-10 02:00   2026-08-10 02:00   执行完毕           100000    80000      181  resumes A
B2    2026执恢2  -      2026-10-01 02:00   2027-01-05 02:00   终本               120000        0       96  resumes C5
C1    2026执1    J1     2026-01-05 02:00   2026-02-04 02:00   执行完毕            50000    50000       30
C2    2026执2    J2     2026-01-31 17:00   2026-05-01 17:00   终结执行 + 和解     80000    30000       90  filed in Feb
C3    2026执3    J2     2026-02-15 02:00   2026-03-17 02:00   终结执行, no 和解   60000        0       30
C4    2026执4    J1     2026-03-01 02:00   2026-03-11 02:00   执行完毕                0        0       10
C5    2026执5    -      2026-01-10 02:00   2026-06-01 02:00   终本               120000    10000      142
C7    2026执保1  J2     2026-04-01 02:00   2026-11-01 02:00   销案                30000        0      214
C8    2026执异1  -      2026-07-01 02:00   2026-07-21 02:00   驳回申请                0        0       20
C9    2026执6    J1     2026-09-01 02:00   2026-12-31 16:30   执行完毕            40000    40000  121.604  in 2027
C10   2026执7    J2     2026-06-01 02:00   open, overdue since 06-04               70000
C11   2026执9    J1     2026-12-19 02:00   open, first due 12-22                   70000
C12   2026执8    -      2025-12-31 16:30   2026-01-20 16:30   销案                20000     5000       20  filed in 2026
D1    2027执1    J2     2026-12-31 16:30   open, first due 2027-01-02              70000                 filed in 2027
(amounts in yuan here, fen in the code; "filed in Feb" etc.: by the court's clock)

C5's applicant got judicial aid (司法救助) twice in 2026 (20000 + 5000, the second on changed circumstances): paid
from the aid fund, never case money nor recovery, so C5's recovered stays 10000. A grid liaison (网格员) reported
on a task for C10 in 2026 and on one for C11 at 2026-12-31 16:30 UTC (2027's); a third task was never reported.

The court 鲁1401: X (执, closed 执行完毕 2026-04-01 after 31 days, 10000 applied and recovered) and Y (执, open,
overdue, 3000 of judicial aid to its applicant), with a few measures, to show what ``court_id`` keeps out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity import stats
from publicity.core import audit
from publicity.core.models import Court, Officer, StatsSnapshot
from publicity.core.workdays import Calendar
from publicity.lists import bounties, defaulters, restrictions
from publicity.lists.defaulters import EntryData
from publicity.lists.models import (
    BountyNotice,
    DefaulterEntry,
    ListingGround,
    RemovalReason,
    RestrictedItem,
    RewardKind,
)
from publicity.outreach import aid, grid
from publicity.outreach.models import GridKind, Hardship, TaskKind, TaskOutcome
from publicity.record import cases, funds, lookup
from publicity.record.lookup import LookupPolicy, LookupRefused
from publicity.record.models import (
    ClosureMode,
    EnforcementCase,
    FundDirection,
    NodeType,
    Party,
    PartyKind,
    PartySide,
    SearchTarget,
)
from tests.databases import SeededData, Template, TestDatabase
from tests.factories import RESPONDENT, file, make_court, make_judge, node

TZ = "Asia/Shanghai"
KEY = b"stats-test-key"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MODES = [m.value for m in ClosureMode]


def utc(year: int, month: int, day: int, hour: int = 2, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- expected figures, written out by hand ---------------------------------------------------------------------


def groups(first: int = 0, resumed: int = 0, preservation: int = 0, other: int = 0) -> dict[str, int]:
    return {
        "first": first,
        "resumed": resumed,
        "preservation": preservation,
        "other": other,
        "all": first + resumed + preservation + other,
    }


def modes(**counts: int) -> dict[str, int]:
    assert set(counts) <= set(MODES)
    return {m: counts.get(m, 0) for m in MODES}


def figures(
    *,
    received: dict[str, int] | None = None,
    closed: dict[str, int] | None = None,
    closure_modes: dict[str, int] | None = None,
    actual: int = 0,
    applied: int = 0,
    recovered: int = 0,
    actual_rate: float | None = None,
    in_place: float | None = None,
    completion: float | None = None,
    termination: float | None = None,
    mean: float | None = None,
    median: float | None = None,
    within_6_months: float | None = None,
) -> dict[str, object]:
    """The summary of one period as ``CaseFigures.summary`` shapes it; rates are percentages, 2 decimals."""
    return {
        "received": received or groups(),
        "closed": closed or groups(),
        "closure_modes": closure_modes or modes(),
        "actual_closures": actual,
        "actual_closure_rate": actual_rate,
        "amount_applied_fen": applied,
        "amount_recovered_fen": recovered,
        "amount_in_place_rate": in_place,
        "completion_rate": completion,
        "termination_rate": termination,
        "mean_days_to_close": mean,
        "median_days_to_close": median,
        "closed_within_6_months_rate": within_6_months,
    }


# Court 鲁1427, 2026. Months by the court's clock; "closed" by the 结案 or 终本 node.
MONTHS_2026 = {
    # received C1, C5, C12 (filed 2025-12-31 16:30 UTC = 01-01 00:30 local); closed C12 (销案, 20 days,
    # 20000 applied, 5000 received).
    1: figures(
        received=groups(first=3),
        closed=groups(first=1),
        closure_modes=modes(withdrawn=1),
        applied=2_000_000,
        recovered=500_000,
        actual_rate=0.0,
        in_place=25.0,
        completion=0.0,
        termination=0.0,
        mean=20.0,
        median=20.0,
        within_6_months=100.0,
    ),
    # received C2 (filed 01-31 17:00 UTC = 02-01 01:00 local), C3, B (执恢); closed C1 (执行完毕 in full).
    2: figures(
        received=groups(first=2, resumed=1),
        closed=groups(first=1),
        closure_modes=modes(fully_performed=1),
        actual=1,
        applied=5_000_000,
        recovered=5_000_000,
        actual_rate=100.0,
        in_place=100.0,
        completion=100.0,
        termination=0.0,
        mean=30.0,
        median=30.0,
        within_6_months=100.0,
    ),
    # received C4; closed C3 (终结执行 without 和解: not actual, 30 days) and C4 (执行完毕, nothing applied, 10 days).
    3: figures(
        received=groups(first=1),
        closed=groups(first=2),
        closure_modes=modes(termination=1, fully_performed=1),
        actual=1,
        applied=6_000_000,
        recovered=0,
        actual_rate=50.0,
        in_place=0.0,
        completion=50.0,
        termination=0.0,
        mean=20.0,
        median=20.0,
        within_6_months=100.0,
    ),
    4: figures(received=groups(preservation=1)),  # C7; nothing closed: no rates
    # closed C2 (终结执行 after a 执行和解 node: actual), 30000 of 80000 received, 90 days.
    5: figures(
        closed=groups(first=1),
        closure_modes=modes(termination=1),
        actual=1,
        applied=8_000_000,
        recovered=3_000_000,
        actual_rate=100.0,
        in_place=37.5,
        completion=0.0,
        termination=0.0,
        mean=90.0,
        median=90.0,
        within_6_months=100.0,
    ),
    # received C10; closed C5 by 终本: 10000 of 120000 (8.333 %), 142 days.
    6: figures(
        received=groups(first=1),
        closed=groups(first=1),
        closure_modes=modes(terminated_this_round=1),
        applied=12_000_000,
        recovered=1_000_000,
        actual_rate=0.0,
        in_place=8.33,
        completion=0.0,
        termination=100.0,
        mean=142.0,
        median=142.0,
        within_6_months=100.0,
    ),
    # received and closed C8 (执异, other); it applied for nothing, so the month has no amount-in-place rate,
    # and no first-enforcement case closed, so no 终本 rate.
    7: figures(
        received=groups(other=1),
        closed=groups(other=1),
        closure_modes=modes(rejected=1),
        actual_rate=0.0,
        in_place=None,
        completion=0.0,
        termination=None,
        mean=20.0,
        median=20.0,
        within_6_months=100.0,
    ),
    # closed B (执恢, 执行完毕 after 181 days: within 183), 80000 of 100000.
    8: figures(
        closed=groups(resumed=1),
        closure_modes=modes(fully_performed=1),
        actual=1,
        applied=10_000_000,
        recovered=8_000_000,
        actual_rate=100.0,
        in_place=80.0,
        completion=100.0,
        termination=None,
        mean=181.0,
        median=181.0,
        within_6_months=100.0,
    ),
    9: figures(received=groups(first=1)),  # C9 (closed in 2027)
    10: figures(received=groups(resumed=1)),  # B2, resuming C5
    # closed C7 (执保, 销案 after 214 days: not within 6 months).
    11: figures(
        closed=groups(preservation=1),
        closure_modes=modes(withdrawn=1),
        applied=3_000_000,
        actual_rate=0.0,
        in_place=0.0,
        completion=0.0,
        termination=None,
        mean=214.0,
        median=214.0,
        within_6_months=0.0,
    ),
    12: figures(received=groups(first=1)),  # C11; D1 and C9's closure fall in January 2027
}

TOTALS = {
    # A: received and closed by 终本 in 2025, 20000 of 100000 received, 113 days.
    2025: figures(
        received=groups(first=1),
        closed=groups(first=1),
        closure_modes=modes(terminated_this_round=1),
        applied=10_000_000,
        recovered=2_000_000,
        actual_rate=0.0,
        in_place=20.0,
        completion=0.0,
        termination=100.0,
        mean=113.0,
        median=113.0,
        within_6_months=100.0,
    ),
    # received: 执 C1 C2 C3 C4 C5 C9 C10 C11 C12, 执恢 B B2, 执保 C7, 执异 C8.
    # closed: C12 C1 C3 C4 C2 C5 C8 B C7 (A's 终本 stays in 2025; C9 and B2 close in 2027).
    # actual: C1 C4 B (执行完毕) + C2 (终结执行 after 和解) = 4 of 9 = 44.44 %; 执行完毕 3 of 9 = 33.33 %;
    # 终本 rate: C5 of the 6 执 closed (C1 C2 C3 C4 C5 C12) = 16.67 %.
    # applied 20000+50000+60000+0+80000+120000+0+100000+30000 = 460000 yuan; received 5000+50000+30000+10000
    # +80000 = 175000: 38.04 %. days 10 20 20 30 30 90 142 181 214: mean 737/9 = 81.9, median 30,
    # within 183 days 8 of 9 = 88.89 %.
    2026: figures(
        received=groups(first=9, resumed=2, preservation=1, other=1),
        closed=groups(first=6, resumed=1, preservation=1, other=1),
        closure_modes=modes(fully_performed=3, terminated_this_round=1, termination=2, withdrawn=2, rejected=1),
        actual=4,
        applied=46_000_000,
        recovered=17_500_000,
        actual_rate=44.44,
        in_place=38.04,
        completion=33.33,
        termination=16.67,
        mean=81.9,
        median=30.0,
        within_6_months=88.89,
    ),
    # received D1 (filed 2026-12-31 16:30 UTC); closed C9 (执行完毕 2026-12-31 16:30 UTC, 121 days 14.5 hours) and
    # B2 (执恢, 终本 after 96 days: a 终本 but not of a first-enforcement case, so the 终本 rate is 0 of 1).
    # applied 40000 + 120000, received 40000: 25 %. mean = median = (121.604 + 96) / 2 = 108.8.
    2027: figures(
        received=groups(first=1),
        closed=groups(first=1, resumed=1),
        closure_modes=modes(fully_performed=1, terminated_this_round=1),
        actual=1,
        applied=16_000_000,
        recovered=4_000_000,
        actual_rate=50.0,
        in_place=25.0,
        completion=50.0,
        termination=0.0,
        mean=108.8,
        median=108.8,
        within_6_months=100.0,
    ),
}

# Both courts, 2026: the above plus X (执, received and closed 执行完毕 in 31 days, 10000 of 10000) and Y (执, open).
# actual 5 of 10; 执行完毕 4 of 10; 终本 1 of 7 = 14.29 %; 185000 of 470000 = 39.36 %;
# days 10 20 20 30 30 31 90 142 181 214: mean 76.8, median (30 + 31) / 2 = 30.5, within 9 of 10.
TOTAL_2026_ALL_COURTS = figures(
    received=groups(first=11, resumed=2, preservation=1, other=1),
    closed=groups(first=7, resumed=1, preservation=1, other=1),
    closure_modes=modes(fully_performed=4, terminated_this_round=1, termination=2, withdrawn=2, rejected=1),
    actual=5,
    applied=47_000_000,
    recovered=18_500_000,
    actual_rate=50.0,
    in_place=39.36,
    completion=40.0,
    termination=14.29,
    mean=76.8,
    median=30.5,
    within_6_months=90.0,
)

NO_MEASURES = {
    "network_searches": 0,
    "seizures_freezes": 0,
    "auctions_listed": 0,
    "auctions_sold": 0,
    "fines": 0,
    "detentions": 0,
    "auction_sold_fen": 0,
    "restriction_orders": 0,
    "defaulter_listings": 0,
    "defaulter_removals": 0,
    "removals_with_deadline": 0,
    "removals_on_time": 0,
    "bounty_notices": 0,
    "rewards_paid": 0,
    "rewards_paid_fen": 0,
    "funds_received_fen": 0,
    "funds_paid_out_fen": 0,
    "judicial_aid_applicants": 0,
    "judicial_aid_paid_fen": 0,
    "grid_assistance_tasks": 0,
}

MEASURES = {
    # A: one search started, a restriction order, a bounty notice, 20000 received; E0 listed on A's number.
    2025: {
        **NO_MEASURES,
        "network_searches": 1,
        "restriction_orders": 1,
        "defaulter_listings": 1,
        "bounty_notices": 1,
        "funds_received_fen": 2_000_000,
    },
    2026: {
        "network_searches": 2,  # C1, C10 (A's was in 2025; C11's at 2026-12-31 16:30 UTC is 2027's)
        "seizures_freezes": 4,  # C1 冻结 + 划拨, C10 查封 + 扣押
        "auctions_listed": 2,
        "auctions_sold": 1,
        "auction_sold_fen": 2_500_000,  # C10: listed twice, sold once
        "fines": 1,
        "detentions": 1,  # C10
        "restriction_orders": 2,  # issued on C5 (02-01) and C10 (06-03)
        # published: E2 (C1, 01-15), E4 (decided 2025-12-15 with one month's grace: published 2026-01-15), E1 (C5)
        "defaulter_listings": 3,
        # E2 due 02-09 (3 working days after C1's closure on Wed 02-04), removed 02-10 00:30 local: late;
        # E1 due 07-06 (ground Wed 07-01), removed 07-06 23:30 local: on time.
        "defaulter_removals": 2,
        "removals_with_deadline": 2,
        "removals_on_time": 1,
        "bounty_notices": 1,
        "rewards_paid": 1,
        "rewards_paid_fen": 500_000,  # C10's notice and its reward
        # recovered: C12 5000 (2025-12-31 16:30 UTC), C1 50000, C2 30000, C5 10000, C10 30000, B 80000, C9 40000;
        # the 25000 of judicial aid paid to C5's applicant is not recovery, nor case money
        "funds_received_fen": 24_500_000,
        "funds_paid_out_fen": 20_000_000,  # C1 50000, C2 30000, B 80000, C9 40000 (paid out before 执行完毕)
        "judicial_aid_applicants": 1,
        "judicial_aid_paid_fen": 2_500_000,  # C5's applicant, paid twice
        "grid_assistance_tasks": 1,  # reported 06-08 on C10
    },
    # C11's search, C10's 10000 and N2 (granted 2026-12-31 16:30 UTC), E4 removed 2027-01-01 00:30 local (due 12-31),
    # the grid task on C11 reported 2026-12-31 16:30 UTC.
    2027: {
        **NO_MEASURES,
        "network_searches": 1,
        "defaulter_removals": 1,
        "removals_with_deadline": 1,
        "bounty_notices": 1,
        "funds_received_fen": 1_000_000,
        "grid_assistance_tasks": 1,
    },
}

# X adds a search, a fine, an order, a listing removed on time, a notice with a 1000 reward, 10000 in and out;
# Y 3000 of judicial aid to its applicant (from the aid fund: not in the case funds).
MEASURES_2026_ALL_COURTS = {
    **MEASURES[2026],
    "network_searches": 3,
    "fines": 2,
    "restriction_orders": 3,
    "defaulter_listings": 4,
    "defaulter_removals": 3,
    "removals_with_deadline": 3,
    "removals_on_time": 2,
    "bounty_notices": 2,
    "rewards_paid": 2,
    "rewards_paid_fen": 600_000,
    "funds_received_fen": 25_500_000,
    "funds_paid_out_fen": 21_000_000,
    "judicial_aid_applicants": 2,
    "judicial_aid_paid_fen": 2_800_000,
}


# --- the register ----------------------------------------------------------------------------------------------


@dataclass
class Register:
    court: Court
    other: Court
    j1: Officer
    j2: Officer
    j3: Officer
    case: dict[str, EnforcementCase]


def party(case: EnforcementCase, side: PartySide) -> Party:
    return next(p for p in case.parties if p.side == side)


def money(session: Session, case: EnforcementCase, direction: FundDirection, fen: int, at: datetime) -> None:
    funds.record_movement(
        session,
        case=case,
        direction=direction,
        counterparty="对方",
        amount_fen=fen,
        occurred_at=at,
        reference="回单",
        actor="clerk",
        now=at,
    )


def close(session: Session, case: EnforcementCase, mode: ClosureMode, at: datetime) -> None:
    node(session, case, NodeType.CLOSED, at=at, mode=mode)


def restrict(session: Session, case: EnforcementCase, at: datetime) -> None:
    restrictions.issue_order(
        session,
        case=case,
        respondent=party(case, PartySide.RESPONDENT),
        items=[RestrictedItem.FLIGHTS, RestrictedItem.HIGH_SPEED_RAIL],
        issued_on=at.astimezone(ZoneInfo(TZ)).date(),
        key=KEY,
        actor="judge",
        now=at,
    )


def ready_for_termination(session: Session, case: EnforcementCase, at: datetime, *, restriction_order: bool) -> None:
    """Everything 终本 requires but the three months: notice, asset report order, restriction, applicant heard,
    every search done."""
    for node_type in (NodeType.NOTICE_SERVED, NodeType.ASSET_REPORT_ORDERED, NodeType.APPLICANT_HEARD):
        node(session, case, node_type, at=at)
    if restriction_order:
        restrict(session, case, at)  # the order records the 限制消费 node
    else:
        node(session, case, NodeType.CONSUMPTION_RESTRICTION, at=at)
    for target in SearchTarget:
        node(session, case, NodeType.SEARCH_COMPLETED, at=at, target=target)


def list_entry(session: Session, court: Court, number: str, at: datetime, *, grace: int = 0) -> DefaulterEntry:
    data = EntryData(
        kind=PartyKind.ENTITY,
        name=RESPONDENT.name,
        id_number=RESPONDENT.credit_code,
        case_number=number,
        basis_number="（2025）鲁1427民初88号",
        basis_issuer="夏津县人民法院",
        obligation="偿还货款",
        circumstance="违反财产报告制度",
        ground=ListingGround.ASSET_REPORT,
        filed_on=date(2025, 3, 10),
        unperformed_fen=10_000_000,
        legal_representative="李四",
    )
    return defaulters.list_defaulter(
        session, court=court, data=data, key=KEY, actor="judge", now=at, grace_months=grace
    )


def publish_bounty(session: Session, case: EnforcementCase, applied: datetime, granted: datetime) -> BountyNotice:
    notice = bounties.apply(
        session,
        case=case,
        applicant=party(case, PartySide.APPLICANT),
        respondent=party(case, PartySide.RESPONDENT),
        reward_kind=RewardKind.FIXED,
        reward_fen=1_000_000,
        conditions="提供财产线索并执行到位的，给付悬赏金。",
        key=KEY,
        actor="clerk",
        now=applied,
    )
    return bounties.decide(session, notice=notice, grant=True, reasons="", actor="judge", now=granted)


def reward(session: Session, notice: BountyNotice, *, clue_at: datetime, paid_at: datetime, fen: int) -> None:
    clue = bounties.submit_clue(
        session,
        notice=notice,
        text="他在县城开店。",
        ip="10.0.0.9",
        now=clue_at,
        informant_name="孙八",
        informant_phone="13700000000",
        wants_reward=True,
    )
    bounties.record_payment(
        session,
        notice=notice,
        clue=clue,
        amount_fen=fen,
        paid_on=paid_at.date(),
        eligibility_confirmed=True,
        actor="judge",
        now=paid_at,
    )


def judicial_aid(
    session: Session,
    case: EnforcementCase,
    fen: int,
    applied: datetime,
    paid: datetime,
    *,
    reviewer: Officer,
    changed_circumstances: str = "",
) -> None:
    """Aid applied for, granted by ``reviewer`` (a judge other than the case's) two days later and paid."""
    application = aid.apply(
        session,
        case=case,
        party=party(case, PartySide.APPLICANT),
        hardship=Hardship.WAGES,
        household="本人失业，家中两位老人需赡养。",
        amount_asked_fen=fen,
        documents=[("申请书.pdf", PDF)],
        changed_circumstances=changed_circumstances,
        now=applied,
    )
    decided = applied + timedelta(days=2)
    aid.decide(
        session,
        application=application,
        reviewer=reviewer,
        grant=True,
        amount_granted_fen=fen,
        reasons="符合救助条件。",
        decided_at=decided,
        actor="judge",
        now=decided,
    )
    aid.record_payment(
        session, application=application, paid_at=paid, reference=f"aid-{application.id}", actor="clerk", now=paid
    )


def build(session: Session) -> Register:
    court = make_court(session)
    other = make_court(session, code="鲁1401", name="德州市德城区人民法院")
    j1 = make_judge(session, court, "王建国", "执行一组")
    j2 = make_judge(session, court, "李明", "执行二组")
    j3 = make_judge(session, court, "张伟", "执行三组")  # no cases: no row
    jx = make_judge(session, other, "周强", "执行一组")
    c: dict[str, EnforcementCase] = {}

    def new(
        key: str, number: str, filed_at: datetime, amount_fen: int, judge: Officer | None = None, where: Court = court
    ) -> EnforcementCase:
        c[key] = file(session, where, number, filed_at=filed_at, judge=judge, amount_fen=amount_fen)
        return c[key]

    # 2025: A is filed, searched, restricted, paid 20000, given a bounty notice, closed by 终本; E0 listed after.
    a = new("A", "（2025）鲁1427执1号", utc(2025, 3, 10), 10_000_000, j1)
    node(session, a, NodeType.SEARCH_STARTED, at=utc(2025, 3, 11))
    publish_bounty(session, a, utc(2025, 4, 1), utc(2025, 4, 3))
    money(session, a, FundDirection.IN, 2_000_000, utc(2025, 5, 1))
    ready_for_termination(session, a, utc(2025, 6, 1), restriction_order=True)
    node(session, a, NodeType.TERMINATED_THIS_ROUND, at=utc(2025, 7, 1))
    list_entry(session, court, a.number, utc(2025, 11, 1))  # E0, never removed
    e4 = list_entry(session, court, "（2025）鲁1427执9号", utc(2025, 12, 15), grace=1)  # published 2026-01-15

    c12 = new("C12", "（2026）鲁1427执8号", utc(2025, 12, 31, 16, 30), 2_000_000)  # 2026-01-01 00:30 local
    money(session, c12, FundDirection.IN, 500_000, utc(2025, 12, 31, 16, 30))  # 2026's money
    close(session, c12, ClosureMode.WITHDRAWN, utc(2026, 1, 20, 16, 30))

    # C1: searched, frozen, deducted, paid in full, paid out, closed 执行完毕; E2 listed on it, removed late.
    c1 = new("C1", "（2026）鲁1427执1号", utc(2026, 1, 5), 5_000_000, j1)
    node(session, c1, NodeType.SEARCH_STARTED, at=utc(2026, 1, 6))
    node(session, c1, NodeType.FREEZE, at=utc(2026, 1, 8))
    e2 = list_entry(session, court, c1.number, utc(2026, 1, 15))
    node(session, c1, NodeType.DEDUCTION, at=utc(2026, 1, 20))
    money(session, c1, FundDirection.IN, 5_000_000, utc(2026, 2, 1))
    money(session, c1, FundDirection.OUT, 5_000_000, utc(2026, 2, 3))
    close(session, c1, ClosureMode.FULLY_PERFORMED, utc(2026, 2, 4))  # the removal ground of E2: due 02-09
    assert e2.removal_due == date(2026, 2, 9)
    defaulters.remove(session, entry=e2, actor="judge", now=utc(2026, 2, 9, 16, 30))  # 02-10 00:30 local: late

    c5 = new("C5", "（2026）鲁1427执5号", utc(2026, 1, 10), 12_000_000)
    c2 = new("C2", "（2026）鲁1427执2号", utc(2026, 1, 31, 17), 8_000_000, j2)  # 2026-02-01 01:00 local
    c["B"] = b = cases.resume_case(
        session,
        case=a,
        new_number=None,
        occurred_at=utc(2026, 2, 10),
        public_text="",
        actor="clerk",
        now=utc(2026, 2, 10),
    )
    assert b.number == "（2026）鲁1427执恢1号" and b.judge_id == j1.id and b.amount_applied_fen == 10_000_000
    c3 = new("C3", "（2026）鲁1427执3号", utc(2026, 2, 15), 6_000_000, j2)
    c4 = new("C4", "（2026）鲁1427执4号", utc(2026, 3, 1), 0, j1)
    close(session, c4, ClosureMode.FULLY_PERFORMED, utc(2026, 3, 11))

    ready_for_termination(session, c5, utc(2026, 2, 1), restriction_order=True)
    e1 = list_entry(session, court, c5.number, utc(2026, 3, 1))
    money(session, c5, FundDirection.IN, 1_000_000, utc(2026, 4, 1))
    node(session, c5, NodeType.TERMINATED_THIS_ROUND, at=utc(2026, 6, 1))
    judicial_aid(session, c5, 2_000_000, utc(2026, 7, 1), utc(2026, 7, 10), reviewer=j1)  # the respondent has nothing
    judicial_aid(
        session, c5, 500_000, utc(2026, 11, 1), utc(2026, 11, 10), reviewer=j1, changed_circumstances="申请人住院。"
    )
    defaulters.record_removal_ground(
        session,
        entry=e1,
        reason=RemovalReason.APPLICANT_REQUEST,
        occurred_at=utc(2026, 7, 1),
        calendar=Calendar(),
        actor="judge",
        now=utc(2026, 7, 1),
    )
    assert e1.removal_due == date(2026, 7, 6)
    defaulters.remove(session, entry=e1, actor="judge", now=utc(2026, 7, 6, 15, 30))  # 23:30 local: on time

    node(session, c2, NodeType.SETTLEMENT, at=utc(2026, 3, 1))
    money(session, c2, FundDirection.IN, 3_000_000, utc(2026, 3, 10))
    money(session, c2, FundDirection.OUT, 3_000_000, utc(2026, 3, 12))
    close(session, c2, ClosureMode.TERMINATION, utc(2026, 5, 1, 17))  # 05-02 01:00 local
    close(session, c3, ClosureMode.TERMINATION, utc(2026, 3, 17))  # no settlement: not an actual closure

    c7 = new("C7", "（2026）鲁1427执保1号", utc(2026, 4, 1), 3_000_000, j2)
    close(session, c7, ClosureMode.WITHDRAWN, utc(2026, 11, 1))
    c8 = new("C8", "（2026）鲁1427执异1号", utc(2026, 7, 1), 0)
    close(session, c8, ClosureMode.REJECTED, utc(2026, 7, 21))

    # C10: the measures of the year, a bounty notice and its reward; left open and overdue (searches not done).
    c10 = new("C10", "（2026）鲁1427执7号", utc(2026, 6, 1), 7_000_000, j2)
    node(session, c10, NodeType.SEARCH_STARTED, at=utc(2026, 6, 2))
    restrict(session, c10, utc(2026, 6, 3))
    node(session, c10, NodeType.SEIZURE, at=utc(2026, 6, 5))
    node(session, c10, NodeType.IMPOUND, at=utc(2026, 6, 6))
    node(session, c10, NodeType.FINE, at=utc(2026, 6, 10))
    node(session, c10, NodeType.DETENTION, at=utc(2026, 6, 20))
    notice = publish_bounty(session, c10, utc(2026, 6, 10), utc(2026, 6, 12))
    node(session, c10, NodeType.AUCTION_LISTED, at=utc(2026, 7, 1))
    money(session, c10, FundDirection.IN, 3_000_000, utc(2026, 7, 15))
    reward(session, notice, clue_at=utc(2026, 6, 15), paid_at=utc(2026, 7, 20), fen=500_000)
    # No service takes a sale's price (add_node has no amount), so the sale is written the way
    # funds.record_movement writes its nodes; the rules hold (one listing, not yet sold).
    cases.append_node(
        session,
        c10,
        NodeType.AUCTION_SOLD,
        occurred_at=utc(2026, 8, 1),
        public_text="",
        amount_fen=2_500_000,
        actor="clerk",
        now=utc(2026, 8, 1),
    )
    node(session, c10, NodeType.AUCTION_LISTED, at=utc(2026, 9, 1))  # listed again, not sold
    money(session, c10, FundDirection.IN, 1_000_000, utc(2026, 12, 31, 16, 30))  # 2027's money
    town = grid.add_area(
        session,
        court=court,
        name="城关镇",
        kind=GridKind.TOWNSHIP,
        station="城关镇执行工作站",
        actor="admin",
        now=utc(2026, 1, 1),
    )
    village = grid.add_area(
        session, court=court, name="东关村", kind=GridKind.VILLAGE, parent=town, actor="admin", now=utc(2026, 1, 1)
    )
    liaison = grid.add_liaison(session, court=court, name="赵网格", grids=[village], actor="admin", now=utc(2026, 1, 1))
    task = grid.request_task(
        session,
        case=c10,
        grid=village,
        liaison=liaison,
        judge=j2,
        kind=TaskKind.LOCATE,
        instructions="查找被执行人下落",
        due_at=utc(2026, 6, 10),
        now=utc(2026, 6, 5),
    )
    grid.accept_task(session, task=task, liaison_id=liaison.id, now=utc(2026, 6, 6))
    grid.report_task(
        session,
        task=task,
        liaison_id=liaison.id,
        outcome=TaskOutcome.DONE,
        report="已找到",
        done_at=utc(2026, 6, 7),
        place="东关村",
        now=utc(2026, 6, 8),
    )
    grid.close_task(session, task=task, judge=j2, public_text="网格员协助查找到被执行人。", now=utc(2026, 6, 9))
    grid.request_task(
        session,
        case=c10,
        grid=village,
        liaison=liaison,
        judge=j2,
        kind=TaskKind.URGE,
        instructions="督促履行",
        due_at=utc(2026, 7, 10),
        now=utc(2026, 7, 1),
    )  # never reported

    money(session, b, FundDirection.IN, 8_000_000, utc(2026, 8, 1))
    money(session, b, FundDirection.OUT, 8_000_000, utc(2026, 8, 5))  # paid out: no 执行完毕 while money is held
    close(session, b, ClosureMode.FULLY_PERFORMED, utc(2026, 8, 10))

    c9 = new("C9", "（2026）鲁1427执6号", utc(2026, 9, 1), 4_000_000, j1)
    money(session, c9, FundDirection.IN, 4_000_000, utc(2026, 10, 1))
    money(session, c9, FundDirection.OUT, 4_000_000, utc(2026, 10, 9))
    close(session, c9, ClosureMode.FULLY_PERFORMED, utc(2026, 12, 31, 16, 30))  # 2027-01-01 00:30 local

    c["B2"] = b2 = cases.resume_case(
        session,
        case=c5,
        new_number=None,
        occurred_at=utc(2026, 10, 1),
        public_text="",
        actor="clerk",
        now=utc(2026, 10, 1),
    )
    ready_for_termination(session, b2, utc(2026, 10, 20), restriction_order=False)
    node(session, b2, NodeType.TERMINATED_THIS_ROUND, at=utc(2027, 1, 5))

    c11 = new("C11", "（2026）鲁1427执9号", utc(2026, 12, 19), 7_000_000, j1)
    publish_bounty(session, c11, utc(2026, 12, 30), utc(2026, 12, 31, 16, 30))  # published 2027-01-01 local
    node(session, c11, NodeType.SEARCH_STARTED, at=utc(2026, 12, 31, 16, 30))  # 2027's search
    task = grid.request_task(
        session,
        case=c11,
        grid=village,
        liaison=liaison,
        judge=j1,
        kind=TaskKind.SERVE,
        instructions="送达执行通知书",
        due_at=utc(2027, 1, 5),
        now=utc(2026, 12, 28),
    )
    grid.accept_task(session, task=task, liaison_id=liaison.id, now=utc(2026, 12, 29))
    grid.report_task(
        session,
        task=task,
        liaison_id=liaison.id,
        outcome=TaskOutcome.DONE,
        report="已送达",
        done_at=utc(2026, 12, 31),
        place="东关村",
        now=utc(2026, 12, 31, 16, 30),
    )  # 2027's report
    new("D1", "（2027）鲁1427执1号", utc(2026, 12, 31, 16, 30), 7_000_000, j2)  # 2027-01-01 00:30 local
    defaulters.record_removal_ground(
        session,
        entry=e4,
        reason=RemovalReason.APPLICANT_REQUEST,
        occurred_at=utc(2026, 12, 28),
        calendar=Calendar(),
        actor="judge",
        now=utc(2026, 12, 28),
    )
    assert e4.removal_due == date(2026, 12, 31)
    defaulters.remove(session, entry=e4, actor="judge", now=utc(2026, 12, 31, 16, 30))  # 2027-01-01 local: late

    # The other court: a search, an order, a listing, a fine, a bounty, funds and aid on X, closed 执行完毕
    # (its entry due 04-06, removed 04-02); Y open.
    x = new("X", "（2026）鲁1401执1号", utc(2026, 3, 1), 1_000_000, jx, where=other)
    node(session, x, NodeType.SEARCH_STARTED, at=utc(2026, 3, 2))
    restrict(session, x, utc(2026, 3, 3))
    ex = list_entry(session, other, x.number, utc(2026, 3, 3))
    node(session, x, NodeType.FINE, at=utc(2026, 3, 5))
    other_notice = publish_bounty(session, x, utc(2026, 3, 4), utc(2026, 3, 5))
    money(session, x, FundDirection.IN, 1_000_000, utc(2026, 3, 10))
    money(session, x, FundDirection.OUT, 500_000, utc(2026, 3, 12))
    money(session, x, FundDirection.OUT, 500_000, utc(2026, 3, 30))  # the rest, before 执行完毕
    reward(session, other_notice, clue_at=utc(2026, 3, 6), paid_at=utc(2026, 3, 15), fen=100_000)
    close(session, x, ClosureMode.FULLY_PERFORMED, utc(2026, 4, 1))
    assert ex.removal_due == date(2026, 4, 6)
    defaulters.remove(session, entry=ex, actor="judge", now=utc(2026, 4, 2))
    y = new("Y", "（2026）鲁1401执2号", utc(2026, 3, 1), 1_000_000, where=other)
    judicial_aid(session, y, 300_000, utc(2026, 3, 16), utc(2026, 3, 20), reviewer=jx)

    session.commit()
    return Register(court, other, j1, j2, j3, c)


def _seed_register(url: str) -> dict[str, Any]:
    """Build the register once for the module; return the ids its tests load it by."""
    engine = sa.create_engine(url)
    with Session(engine) as session:
        r = build(session)
        session.commit()
        ids = {"officers": [r.court.id, r.other.id, r.j1.id, r.j2.id, r.j3.id]}
        ids["case"] = {key: case.id for key, case in r.case.items()}
    engine.dispose()
    return ids


@pytest.fixture
def module_data(engine_kind: str, database_template: Template, seeded_data: SeededData) -> Template:
    """The register, built once per engine for this module (each test on a copy or in a rolled-back transaction)."""
    return seeded_data.get(engine_kind, database_template, "stats_register", _seed_register)


@pytest.fixture
def register(session: Session, database: TestDatabase, module_data: Template) -> Register:
    """The register, loaded in this test's session."""
    court, other, j1, j2, j3 = database.facts["officers"]
    return Register(
        session.get_one(Court, court),
        session.get_one(Court, other),
        session.get_one(Officer, j1),
        session.get_one(Officer, j2),
        session.get_one(Officer, j3),
        {key: session.get_one(EnforcementCase, id_) for key, id_ in database.facts["case"].items()},
    )


def year(session: Session, court: Court | None, y: int, now: datetime = utc(2027, 1, 10)) -> dict[str, object]:
    return stats.year_figures(session, court_id=court.id if court else None, year=y, tz=TZ, now=now)


# --- received, closed and their rates --------------------------------------------------------------------------


def test_the_years_totals(session: Session, register: Register) -> None:
    for y, expected in TOTALS.items():
        assert year(session, register.court, y)["total"] == expected, y


def test_each_month_of_the_year(session: Session, register: Register) -> None:
    months = year(session, register.court, 2026)["months"]
    assert [m["month"] for m in months] == list(range(1, 13))
    for m in months:
        assert {k: v for k, v in m.items() if k != "month"} == MONTHS_2026[m["month"]], m["month"]


def test_the_months_add_up_to_the_year(session: Session, register: Register) -> None:
    figures_2026 = year(session, register.court, 2026)
    for key in ("received", "closed", "closure_modes"):
        summed = {k: sum(m[key][k] for m in figures_2026["months"]) for k in figures_2026["total"][key]}
        assert summed == figures_2026["total"][key], key
    for key in ("actual_closures", "amount_applied_fen", "amount_recovered_fen"):
        assert sum(m[key] for m in figures_2026["months"]) == figures_2026["total"][key], key


def test_month_and_year_boundaries_are_the_courts(session: Session, register: Register) -> None:
    months_2026 = year(session, register.court, 2026)["months"]
    months_2027 = year(session, register.court, 2027)["months"]
    # C2, filed 2026-01-31 17:00 UTC (02-01 01:00 local), is February's; C12, filed 2025-12-31 16:30 UTC, January's.
    assert months_2026[0]["received"]["first"] == 3 and months_2026[1]["received"]["first"] == 2
    # C9, closed 2026-12-31 16:30 UTC, and D1, filed then, are January 2027's, not December 2026's.
    assert months_2026[11]["received"]["all"] == 1 and months_2026[11]["closed"]["all"] == 0
    assert months_2027[0]["received"]["all"] == 1
    assert months_2027[0]["closed"] == groups(first=1, resumed=1)
    assert year(session, register.court, 2025)["total"]["received"]["all"] == 1  # A only, not C12


def test_months_follow_a_court_zone_with_summer_time(session: Session) -> None:
    # Berlin: UTC+1 in winter, UTC+2 from 2026-03-29 to 2026-10-25. The engine computes the months
    # of a zone with summer time another way than China's fixed UTC+8 (which it shifts by a constant).
    berlin = "Europe/Berlin"
    assert stats.fixed_offset(berlin, 2026, 2026) is None and stats.fixed_offset(TZ, 2017, 2026) == timedelta(hours=8)
    court = make_court(session)
    filed = {
        1: utc(2025, 12, 31, 23, 30),  # 2026-01-01 00:30 CET: January 2026, not 2025
        2: utc(2026, 3, 31, 22, 30),  # 2026-04-01 00:30 CEST: April (under UTC+1 it would still be March)
        3: utc(2026, 10, 31, 22, 30),  # 2026-10-31 23:30 CET: October (under UTC+2 it would be November)
        4: utc(2026, 12, 31, 22, 30),  # 2026-12-31 23:30 CET: December 2026
    }
    for serial, at in filed.items():
        case = file(session, court, f"（2026）鲁1427执{serial}号", filed_at=at, amount_fen=0)
        close(session, case, ClosureMode.WITHDRAWN, at + timedelta(days=10))
    session.commit()
    figures_2026 = stats.year_figures(session, court_id=court.id, year=2026, tz=berlin, now=utc(2027, 2, 1))
    received = {m["month"]: m["received"]["all"] for m in figures_2026["months"] if m["received"]["all"]}
    assert received == {1: 1, 4: 1, 10: 1, 12: 1}
    # Closed ten days later: January, April, November; the last in January 2027.
    closed = {m["month"]: m["closed"]["all"] for m in figures_2026["months"] if m["closed"]["all"]}
    assert closed == {1: 1, 4: 1, 11: 1}
    overview = stats.overview(session, court_id=court.id, years=[2025, 2026, 2027], tz=berlin)
    assert [(row["year"], row["received"]["all"], row["closed"]["all"]) for row in overview] == [
        (2025, 0, 0),
        (2026, 4, 3),
        (2027, 0, 1),
    ]


def test_actual_closures_count_a_termination_only_after_a_settlement(session: Session, register: Register) -> None:
    total = year(session, register.court, 2026)["total"]
    assert total["closure_modes"]["termination"] == 2  # C2 (after 和解) and C3 (without)
    assert total["closure_modes"]["fully_performed"] == 3  # C1, C4, B
    assert total["actual_closures"] == 4  # C3 is not one
    assert total["actual_closure_rate"] == 44.44  # 4 / 9


def test_the_termination_rate_counts_first_enforcement_cases_only(session: Session, register: Register) -> None:
    total_2027 = year(session, register.court, 2027)["total"]
    # B2 (执恢) was closed by 终本 in 2027: a 终本 closure, but neither numerator nor denominator of the rate.
    assert total_2027["closure_modes"]["terminated_this_round"] == 1
    assert total_2027["termination_rate"] == 0.0  # C9 is the only 执 closed
    total_2026 = year(session, register.court, 2026)["total"]
    assert total_2026["termination_rate"] == 16.67  # C5 of C1 C2 C3 C4 C5 C12; B, C7 and C8 are not 执


def test_a_resumed_case_counts_once_as_termination_and_again_as_a_resumed_case(
    session: Session, register: Register
) -> None:
    figures_2025 = year(session, register.court, 2025)["total"]
    figures_2026 = year(session, register.court, 2026)["total"]
    # A: received and closed by 终本 in 2025 ...
    assert figures_2025["received"] == groups(first=1) and figures_2025["closed"] == groups(first=1)
    assert figures_2025["closure_modes"]["terminated_this_round"] == 1 and figures_2025["termination_rate"] == 100.0
    # ... and not again in 2026, when it was resumed as B (received and closed in 2026).
    assert figures_2026["received"]["resumed"] == 2  # B and B2
    assert figures_2026["closed"]["resumed"] == 1  # B
    assert figures_2026["closure_modes"]["terminated_this_round"] == 1  # C5 only
    assert register.case["A"].closed_at == utc(2025, 7, 1)  # the resumption does not reopen it


def test_a_case_that_applied_for_nothing_leaves_the_amount_rate_alone(session: Session, register: Register) -> None:
    months = year(session, register.court, 2026)["months"]
    assert months[2]["amount_applied_fen"] == 6_000_000 and months[2]["amount_in_place_rate"] == 0.0  # C3 + C4
    assert months[6]["closed"]["all"] == 1 and months[6]["amount_in_place_rate"] is None  # C8 alone


def test_a_year_whose_closed_cases_applied_for_nothing_has_no_amount_rate(session: Session) -> None:
    court = make_court(session)
    case = file(session, court, "（2026）鲁1427执1号", filed_at=utc(2026, 3, 1), amount_fen=0)
    money(session, case, FundDirection.IN, 100_00, utc(2026, 3, 5))  # money in, but nothing was applied for
    money(session, case, FundDirection.OUT, 100_00, utc(2026, 3, 6))  # and paid out before 执行完毕
    close(session, case, ClosureMode.FULLY_PERFORMED, utc(2026, 3, 6))
    session.commit()
    expected = figures(
        received=groups(first=1),
        closed=groups(first=1),
        closure_modes=modes(fully_performed=1),
        actual=1,
        applied=0,
        recovered=100_00,
        actual_rate=100.0,
        in_place=None,
        completion=100.0,
        termination=0.0,
        mean=5.0,
        median=5.0,
        within_6_months=100.0,
    )
    assert year(session, court, 2026, now=utc(2026, 6, 1))["total"] == expected
    assert stats.overview(session, court_id=court.id, years=[2026], tz=TZ) == [{"year": 2026, **expected}]
    dashboard = stats.dashboard(session, court_id=court.id, year=2026, tz=TZ, now=utc(2026, 6, 1))
    assert dashboard["total"]["amount_in_place_rate"] is None


def test_an_empty_year_has_zeros_and_no_rates(session: Session) -> None:
    court = make_court(session)
    session.commit()
    figures_2026 = year(session, court, 2026, now=utc(2026, 6, 1))
    assert figures_2026["total"] == figures() and all(
        m == {"month": m["month"], **figures()} for m in figures_2026["months"]
    )
    assert figures_2026["measures"] == NO_MEASURES and figures_2026["overdue_now"] == 0


def test_the_days_to_close_and_the_six_month_share(session: Session, register: Register) -> None:
    total = year(session, register.court, 2026)["total"]
    assert (total["mean_days_to_close"], total["median_days_to_close"]) == (81.9, 30.0)
    assert total["closed_within_6_months_rate"] == 88.89  # C7's 214 days is the one over 183 (B's 181 is not)
    total_2027 = year(session, register.court, 2027)["total"]
    assert total_2027["mean_days_to_close"] == 108.8  # C9: 121 days and 14.5 hours, B2: 96 days


def test_the_overview_compares_the_years(session: Session, register: Register) -> None:
    rows = stats.overview(session, court_id=register.court.id, years=[2025, 2026, 2027], tz=TZ)
    assert rows == [{"year": y, **TOTALS[y]} for y in (2025, 2026, 2027)]


def test_all_courts_together_and_each_court_apart(session: Session, register: Register) -> None:
    assert year(session, None, 2026)["total"] == TOTAL_2026_ALL_COURTS
    other = year(session, register.other, 2026)["total"]
    assert other == figures(
        received=groups(first=2),
        closed=groups(first=1),
        closure_modes=modes(fully_performed=1),
        actual=1,
        applied=1_000_000,
        recovered=1_000_000,
        actual_rate=100.0,
        in_place=100.0,
        completion=100.0,
        termination=0.0,
        mean=31.0,
        median=31.0,
        within_6_months=100.0,
    )


# --- measures ---------------------------------------------------------------------------------------------------


def test_the_measures_of_each_year(session: Session, register: Register) -> None:
    for y, expected in MEASURES.items():
        assert stats.measures(session, court_id=register.court.id, year=y, tz=TZ, now=utc(2027, 1, 10)) == expected, y
        assert year(session, register.court, y)["measures"] == expected, y


def test_the_measures_of_another_court_are_counted_only_for_all_courts(session: Session, register: Register) -> None:
    assert stats.measures(session, court_id=None, year=2026, tz=TZ, now=utc(2027, 1, 10)) == MEASURES_2026_ALL_COURTS
    assert stats.measures(session, court_id=register.other.id, year=2026, tz=TZ, now=utc(2027, 1, 10)) == {
        **NO_MEASURES,
        "network_searches": 1,
        "fines": 1,
        "restriction_orders": 1,
        "defaulter_listings": 1,
        "defaulter_removals": 1,
        "removals_with_deadline": 1,
        "removals_on_time": 1,
        "bounty_notices": 1,
        "rewards_paid": 1,
        "rewards_paid_fen": 100_000,
        "funds_received_fen": 1_000_000,
        "funds_paid_out_fen": 1_000_000,  # X, all of it before 执行完毕
        "judicial_aid_applicants": 1,
        "judicial_aid_paid_fen": 300_000,
    }


def test_judicial_aid_is_counted_apart_and_never_as_recovery(session: Session, register: Register) -> None:
    c5 = register.case["C5"]
    assert funds.balance(session, c5) == 1_000_000  # 10000 recovered; the 25000 of aid never entered the funds
    months = year(session, register.court, 2026)["months"]
    assert months[5]["amount_recovered_fen"] == 1_000_000 and months[5]["amount_in_place_rate"] == 8.33  # C5
    measures = stats.measures(session, court_id=register.court.id, year=2026, tz=TZ, now=utc(2027, 1, 10))
    assert (measures["funds_received_fen"], measures["judicial_aid_paid_fen"]) == (24_500_000, 2_500_000)
    assert measures["judicial_aid_applicants"] == 1  # one applicant, helped twice


def test_a_removal_is_on_time_by_the_courts_day(session: Session, register: Register) -> None:
    removed = {
        e.case_number: (e.removed_at, e.removal_due)
        for e in session.scalars(
            sa.select(DefaulterEntry).where(
                DefaulterEntry.removed_at.is_not(None), DefaulterEntry.court_id == register.court.id
            )
        )
    }
    # Both were removed on their due day in UTC; by the court's day E1 was on time and E2 a day late.
    assert removed[register.case["C5"].number] == (utc(2026, 7, 6, 15, 30), date(2026, 7, 6))
    assert removed[register.case["C1"].number] == (utc(2026, 2, 9, 16, 30), date(2026, 2, 9))
    measures = stats.measures(session, court_id=register.court.id, year=2026, tz=TZ, now=utc(2027, 1, 10))
    assert (measures["defaulter_removals"], measures["removals_on_time"]) == (2, 1)


# --- overdue now --------------------------------------------------------------------------------------------------


def test_overdue_now_counts_open_cases_past_a_deadline_at_the_time_of_computing(
    session: Session, register: Register
) -> None:
    # 2026-12-20: C10 (searches due 06-04); C11 is due 12-22, D1 2027-01-02.
    assert year(session, register.court, 2026, now=utc(2026, 12, 20))["overdue_now"] == 1
    assert year(session, None, 2026, now=utc(2026, 12, 20))["overdue_now"] == 2  # and Y of the other court
    # 2027-01-10: C10, C11 and D1; only this year's figures say it.
    assert year(session, register.court, 2027, now=utc(2027, 1, 10))["overdue_now"] == 3
    assert year(session, register.court, 2026, now=utc(2027, 1, 10))["overdue_now"] is None
    # B2's periodic search after 终本 is due 2027-07-05; past it, B2 is still not counted: it is not open.
    assert register.case["B2"].next_due_at == utc(2027, 7, 5)
    assert year(session, register.court, 2027, now=utc(2027, 8, 1))["overdue_now"] == 3


# --- per judge ----------------------------------------------------------------------------------------------------


BY_JUDGE_2026 = {
    # C1 C4 C9 C11 and B received; C1 C4 B closed 执行完毕: 130000 of 150000, days 30 10 181.
    "王建国": (
        "执行一组",
        figures(
            received=groups(first=4, resumed=1),
            closed=groups(first=2, resumed=1),
            closure_modes=modes(fully_performed=3),
            actual=3,
            applied=15_000_000,
            recovered=13_000_000,
            actual_rate=100.0,
            in_place=86.67,
            completion=100.0,
            termination=0.0,
            mean=73.7,
            median=30.0,
            within_6_months=100.0,
        ),
    ),
    # C2 C3 C10 C7 received; C2 (和解) C3 closed 终结执行, C7 销案: 30000 of 170000, days 90 30 214.
    "李明": (
        "执行二组",
        figures(
            received=groups(first=3, preservation=1),
            closed=groups(first=2, preservation=1),
            closure_modes=modes(termination=2, withdrawn=1),
            actual=1,
            applied=17_000_000,
            recovered=3_000_000,
            actual_rate=33.33,
            in_place=17.65,
            completion=0.0,
            termination=0.0,
            mean=111.3,
            median=90.0,
            within_6_months=66.67,
        ),
    ),
    # No judge: C5 C12 B2 C8 received; C5 终本, C12 销案, C8 驳回: 15000 of 140000, days 142 20 20.
    None: (
        "",
        figures(
            received=groups(first=2, resumed=1, other=1),
            closed=groups(first=2, other=1),
            closure_modes=modes(terminated_this_round=1, withdrawn=1, rejected=1),
            applied=14_000_000,
            recovered=1_500_000,
            actual_rate=0.0,
            in_place=10.71,
            completion=0.0,
            termination=50.0,
            mean=60.7,
            median=20.0,
            within_6_months=100.0,
        ),
    ),
}


def test_figures_per_judge(session: Session, register: Register) -> None:
    rows = stats.by_judge(session, court_id=register.court.id, year=2026, tz=TZ)
    ids = {register.j1.id: "王建国", register.j2.id: "李明", None: None}
    got = {row["judge"]: row for row in rows}
    assert set(got) == set(BY_JUDGE_2026)  # 张伟 has no case, 周强 is of the other court
    for name, (team, expected) in BY_JUDGE_2026.items():
        row = dict(got[name])
        assert ids[row.pop("judge_id")] == name
        assert (row.pop("judge"), row.pop("team")) == (name, team)
        assert row == expected, name
    assert sum(r["closed"]["all"] for r in rows) == TOTALS[2026]["closed"]["all"]


def test_the_judge_table_lists_the_cases_without_a_judge_last(session: Session, register: Register) -> None:
    # by_judge sorts on (team or "~", judge or "~"): "~" is meant to come last, but it sorts before every
    # Chinese team name, so the unassigned row leads the table.
    rows = stats.by_judge(session, court_id=register.court.id, year=2026, tz=TZ)
    assert [(r["team"], r["judge"]) for r in rows] == [("执行一组", "王建国"), ("执行二组", "李明"), ("", None)]


# --- the cache ----------------------------------------------------------------------------------------------------


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The ``now`` of every time the dashboard computed its figures (rather than reading the snapshot)."""
    calls: list[datetime] = []
    compute = stats.year_figures

    def counting(session: Session, **kwargs: object) -> dict[str, object]:
        calls.append(kwargs["now"])  # type: ignore[arg-type]
        return compute(session, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(stats, "year_figures", counting)
    return calls


def dashboard(session: Session, court: Court, now: datetime, **kwargs: object) -> dict[str, object]:
    """As the view does it: compute or read, then commit the snapshot."""
    payload = stats.dashboard(session, court_id=court.id, year=2027, tz=TZ, now=now, **kwargs)  # type: ignore[arg-type]
    session.commit()
    return payload


def test_the_dashboard_is_the_years_figures_with_the_overview(
    session: Session, register: Register, computations: list[datetime]
) -> None:
    now = utc(2027, 1, 10)
    payload = dashboard(session, register.court, now)
    assert payload["year"] == 2027 and payload["total"] == TOTALS[2027] and payload["measures"] == MEASURES[2027]
    assert payload["overdue_now"] == 3 and payload["computed_at"] == now.isoformat()
    assert payload["years"] == [{"year": y, **TOTALS[y]} for y in (2025, 2026, 2027)]
    assert payload["months"][0] == {"month": 1, **TOTALS[2027]}  # everything of 2027 so far is January's
    assert computations == [now]


@pytest.mark.commits
def test_the_dashboard_is_served_from_its_snapshot_while_nothing_changes(
    session: Session, engine: sa.Engine, register: Register, computations: list[datetime]
) -> None:
    now = utc(2027, 1, 10)
    first = dashboard(session, register.court, now)
    assert computations == [now]
    later = dashboard(session, register.court, now + timedelta(hours=3))
    assert later == first and later["computed_at"] == now.isoformat()
    with Session(engine) as elsewhere:  # another process reads the same copy
        assert (
            stats.dashboard(elsewhere, court_id=register.court.id, year=2027, tz=TZ, now=now + timedelta(hours=4))
            == first
        )
    assert computations == [now]
    assert session.get(StatsSnapshot, f"dashboard:{register.court.id}:2027").day == date(2027, 1, 10)


def test_the_second_call_answers_without_computing(
    session: Session, register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utc(2027, 1, 10)
    first = dashboard(session, register.court, now)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("computed again")

    monkeypatch.setattr(stats, "year_figures", refuse)
    monkeypatch.setattr(stats, "overview", refuse)
    assert dashboard(session, register.court, now + timedelta(minutes=5)) == first


def test_a_new_node_recomputes_the_dashboard(
    session: Session, register: Register, computations: list[datetime]
) -> None:
    now = utc(2027, 1, 10)
    assert dashboard(session, register.court, now)["measures"]["fines"] == 0
    node(session, register.case["C10"], NodeType.FINE, at=now + timedelta(hours=1))
    session.commit()
    later = now + timedelta(hours=2)
    payload = dashboard(session, register.court, later)
    assert payload["measures"]["fines"] == 1 and payload["computed_at"] == later.isoformat()
    assert dashboard(session, register.court, later + timedelta(hours=1))["measures"]["fines"] == 1
    assert computations == [now, later]


def test_a_closure_recomputes_the_dashboard(session: Session, register: Register, computations: list[datetime]) -> None:
    now = utc(2027, 1, 10)
    assert dashboard(session, register.court, now)["total"]["closed"]["all"] == 2
    close(session, register.case["D1"], ClosureMode.WITHDRAWN, now + timedelta(hours=1))
    session.commit()
    payload = dashboard(session, register.court, now + timedelta(hours=2))
    assert payload["total"]["closed"] == groups(first=2, resumed=1)
    assert payload["total"]["closure_modes"]["withdrawn"] == 1
    assert payload["overdue_now"] == 2  # D1 is no longer open
    assert len(computations) == 2


def test_a_party_lookup_leaves_the_snapshot_in_place(
    session: Session, register: Register, computations: list[datetime]
) -> None:
    case = register.case["C10"]
    applicant = party(case, PartySide.APPLICANT)
    code = lookup.issue_query_code(session, party=applicant, key=KEY, actor="clerk", now=utc(2027, 1, 9))
    session.commit()
    now = utc(2027, 1, 10)
    first = dashboard(session, register.court, now)
    found, who = lookup.lookup(
        session,
        case_number=case.number,
        code=code,
        key=KEY,
        ip="10.1.1.1",
        policy=LookupPolicy(),
        now=now + timedelta(minutes=10),
    )
    assert (found.id, who.id) == (case.id, applicant.id)
    session.commit()
    with pytest.raises(LookupRefused):  # a wrong code is audited too, and is a read as well
        lookup.lookup(
            session,
            case_number=case.number,
            code="WRONGCODE1",
            key=KEY,
            ip="10.1.1.2",
            policy=LookupPolicy(),
            now=now + timedelta(minutes=20),
        )
    session.commit()
    audit.record(
        session,
        actor="party:1",
        action="case.lookup",
        object_type="enforcement_case",
        object_id=case.id,
        chain=register.court.code,
        now=now + timedelta(minutes=30),
    )
    session.commit()
    assert dashboard(session, register.court, now + timedelta(hours=1)) == first
    assert computations == [now]


def test_a_new_day_in_the_courts_zone_recomputes(
    session: Session, register: Register, computations: list[datetime]
) -> None:
    evening = utc(2027, 1, 10, 15)  # 23:00 local
    first = dashboard(session, register.court, evening)
    assert dashboard(session, register.court, utc(2027, 1, 10, 15, 59)) == first  # 23:59 local, same day
    after_midnight = utc(2027, 1, 10, 16, 30)  # the same UTC day, but 2027-01-11 00:30 local
    assert dashboard(session, register.court, after_midnight)["computed_at"] == after_midnight.isoformat()
    assert (
        dashboard(session, register.court, evening + timedelta(days=1))["computed_at"] == after_midnight.isoformat()
    )  # 2027-01-11 23:00 local: still that day's copy
    tomorrow = after_midnight + timedelta(days=1)
    assert dashboard(session, register.court, tomorrow)["computed_at"] == tomorrow.isoformat()
    assert computations == [evening, after_midnight, tomorrow]


def test_refresh_recomputes(session: Session, register: Register, computations: list[datetime]) -> None:
    now = utc(2027, 1, 10)
    dashboard(session, register.court, now)
    refreshed = dashboard(session, register.court, now + timedelta(hours=1), refresh=True)
    assert refreshed["computed_at"] == (now + timedelta(hours=1)).isoformat()
    assert dashboard(session, register.court, now + timedelta(hours=2)) == refreshed  # the refreshed copy is kept
    assert computations == [now, now + timedelta(hours=1)]


def test_each_court_and_year_has_its_own_snapshot(
    session: Session, register: Register, computations: list[datetime]
) -> None:
    now = utc(2027, 1, 10)
    mine = dashboard(session, register.court, now)
    everyone = stats.dashboard(session, court_id=None, year=2027, tz=TZ, now=now)
    last_year = stats.dashboard(session, court_id=register.court.id, year=2026, tz=TZ, now=now)
    session.commit()
    assert everyone["overdue_now"] == 4 and mine["overdue_now"] == 3  # Y of the other court
    assert last_year["total"] == TOTALS[2026] and last_year["overdue_now"] is None
    assert len(computations) == 3
    assert stats.dashboard(session, court_id=None, year=2027, tz=TZ, now=now) == everyone
    assert len(computations) == 3


# --- listings in their grace period -------------------------------------------------------------------------------


def test_a_listing_in_its_grace_period_is_not_yet_a_published_listing(session: Session) -> None:
    # Decided 2026-03-01 with two months' grace: published 2026-05-01. On 2026-04-01 nobody has seen it;
    # the dashboard computed that day should not count it among the year's published listings.
    court = make_court(session)
    entry = list_entry(session, court, "（2026）鲁1427执1号", utc(2026, 3, 1), grace=2)
    session.commit()
    assert entry.published_at == utc(2026, 5, 1)
    assert year(session, court, 2026, now=utc(2026, 4, 1))["measures"]["defaulter_listings"] == 0
    assert year(session, court, 2026, now=utc(2026, 5, 2))["measures"]["defaulter_listings"] == 1
