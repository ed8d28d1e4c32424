"""Enforcement statistics (执行质效): the court's performance computed from its own record.

Every figure is an aggregate over the register (cases, nodes, funds) and the lists, never typed in.
Years and months are the court's (``tz``): their UTC boundaries are computed here and the SQL buckets
rows with a CASE over them, so the same query runs on SQLite and PostgreSQL and no engine has to know
the time zone. Definitions (shown next to each figure on the dashboard):

- received: cases filed in the period (by type: 执 first enforcement, 执恢 resumed, 执保 preservation);
- closed: cases whose closure (结案 node, or 终本) falls in the period;
- actual closures (实际执结): closed as 执行完毕, or as 终结执行 after a settlement (执行和解) node;
- actual closure rate: actual closures / closed;
- amount-in-place rate (实际执行到位率): money recovered so far in the cases closed in the period /
  the amounts applied for in those cases (no figure when nothing was applied for); judicial aid is
  help for the applicant, not recovery, and is counted apart;
- completion rate (执行完毕率): closed as 执行完毕 / closed;
- 终本 rate: first-enforcement (执) cases closed by 终本 / first-enforcement cases closed;
- days to close: from filing to closure (mean and median), share closed within 6 months;
- overdue now: open cases with a deadline past (``next_due_at``), at the time of computing.

A case resumed after 终本 is a new 执恢 case: the first counts once as 终本 in its year, the 执恢 case
in the year it is filed and closed.

Why it is long: each figure's definition and its query sit together, so what a figure says and what it counts cannot
drift apart.
"""

from __future__ import annotations

import functools
import hashlib
import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVarTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core.models import AuditHead, Court, Officer, StatsSnapshot
from publicity.lists.models import BountyNotice, DefaulterEntry, RestrictionOrder, RewardPayment
from publicity.outreach.models import AidApplication, AssistanceTask
from publicity.record.models import (
    CaseNode,
    CaseStage,
    ClosureMode,
    EnforcementCase,
    FundDirection,
    FundMovement,
    FundSource,
    NodeType,
)

Ts = TypeVarTuple("Ts")

GROUPS = ("first", "resumed", "preservation")  # 执, 执恢, 执保
TYPE_GROUP = {"执": "first", "执恢": "resumed", "执保": "preservation"}
SIX_MONTHS_DAYS = 183


# --- Time buckets ----------------------------------------------------------------------------------------------


def month_bounds(year: int, tz: str) -> list[datetime]:
    """The 13 UTC instants starting each local month of ``year`` and the next year."""
    return months_bounds(year, year, tz)


def year_bounds(first: int, last: int, tz: str) -> list[datetime]:
    zone = ZoneInfo(tz)
    return [datetime(y, 1, 1, tzinfo=zone).astimezone(UTC) for y in range(first, last + 2)]


def months_bounds(first: int, last: int, tz: str) -> list[datetime]:
    """The UTC instants starting each local month from January of ``first`` to January after ``last``."""
    zone = ZoneInfo(tz)
    return [
        datetime(first + m // 12, m % 12 + 1, 1, tzinfo=zone).astimezone(UTC)
        for m in range(12 * (last - first + 1) + 1)
    ]


def bucket(
    column: sa.SQLColumnExpression[Any], bounds: Sequence[datetime], labels: Sequence[int]
) -> sa.ColumnElement[int]:
    """``labels[i]`` for a time in [bounds[i], bounds[i+1]); callers filter to [bounds[0], bounds[-1]).

    A balanced tree of CASEs: a row takes about log2(len(labels)) comparisons, so ten years of months
    (120 buckets) cost each row 7 comparisons, not up to 120."""
    if len(labels) == 1:
        return sa.literal(labels[0], sa.Integer)
    mid = len(labels) // 2
    return sa.case(
        (column < bounds[mid], bucket(column, bounds[: mid + 1], labels[:mid])),
        else_=bucket(column, bounds[mid:], labels[mid:]),
    )


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


# --- Figures ---------------------------------------------------------------------------------------------------


@dataclass
class CaseFigures:
    """Received and closed cases of one period (a month, a year, a judge's year)."""

    received: dict[str, int] = field(default_factory=lambda: {g: 0 for g in (*GROUPS, "other", "all")})
    closed: dict[str, int] = field(default_factory=lambda: {g: 0 for g in (*GROUPS, "other", "all")})
    closure_modes: dict[str, int] = field(default_factory=lambda: {m.value: 0 for m in ClosureMode})
    actual: int = 0
    fully_performed: int = 0
    first_closed: int = 0
    first_terminated: int = 0
    applied_fen: int = 0
    recovered_fen: int = 0
    days: list[float] = field(default_factory=list)

    def add_received(self, case_type: str, count: int) -> None:
        self.received[TYPE_GROUP.get(case_type, "other")] += count
        self.received["all"] += count

    def add_closed(
        self, case_type: str, mode: str | None, settled: bool, count: int, applied: int, recovered: int
    ) -> None:
        group = TYPE_GROUP.get(case_type, "other")
        self.closed[group] += count
        self.closed["all"] += count
        if mode:
            self.closure_modes[mode] += count
        if mode == ClosureMode.FULLY_PERFORMED or (mode == ClosureMode.TERMINATION and settled):
            self.actual += count
        if mode == ClosureMode.FULLY_PERFORMED:
            self.fully_performed += count
        if group == "first":
            self.first_closed += count
            if mode == ClosureMode.TERMINATED_THIS_ROUND:
                self.first_terminated += count
        self.applied_fen += applied
        self.recovered_fen += recovered

    def summary(self) -> dict[str, object]:
        """The figures with their rates (None where a denominator is zero)."""

        def rate(numerator: int, denominator: int) -> float | None:
            return round(100 * numerator / denominator, 2) if denominator else None

        days = sorted(self.days)
        return {
            "received": self.received,
            "closed": self.closed,
            "closure_modes": self.closure_modes,
            "actual_closures": self.actual,
            "actual_closure_rate": rate(self.actual, self.closed["all"]),
            "amount_applied_fen": self.applied_fen,
            "amount_recovered_fen": self.recovered_fen,
            "amount_in_place_rate": rate(self.recovered_fen, self.applied_fen),
            "completion_rate": rate(self.fully_performed, self.closed["all"]),
            "termination_rate": rate(self.first_terminated, self.first_closed),
            "mean_days_to_close": round(statistics.fmean(days), 1) if days else None,
            "median_days_to_close": round(statistics.median(days), 1) if days else None,
            "closed_within_6_months_rate": rate(sum(d <= SIX_MONTHS_DAYS for d in days), len(days)),
        }


def _settled() -> sa.ColumnElement[bool]:
    """Whether a case closed by 终结执行 had a settlement (执行和解): asked only of those cases (the CASE is
    evaluated lazily), so the per-case probe does not run for the thousands closed otherwise."""
    exists = (
        sa.select(CaseNode.id)
        .where(
            CaseNode.case_id == EnforcementCase.id,
            CaseNode.node_type == NodeType.SETTLEMENT,
            CaseNode.voided_by_id.is_(None),  # a settlement voided as entered in error never happened
        )
        .exists()
    )
    return sa.case((EnforcementCase.closure_mode == ClosureMode.TERMINATION, exists), else_=sa.false())


def _court(query: sa.Select[*Ts], court_id: int | None) -> sa.Select[*Ts]:
    return query if court_id is None else query.where(EnforcementCase.court_id == court_id)


def _received(
    session: Session, key: sa.SQLColumnExpression[Any], *, court_id: int | None, start: datetime, end: datetime
) -> Iterable[sa.Row[*tuple[Any, ...]]]:
    """(key, case_type, count) of cases filed in [start, end)."""
    query = (
        sa.select(key, EnforcementCase.case_type, sa.func.count())
        .where(EnforcementCase.filed_at >= start, EnforcementCase.filed_at < end)
        .group_by(key, EnforcementCase.case_type)
    )
    return session.execute(_court(query, court_id))


def _closed(
    session: Session, key: sa.SQLColumnExpression[Any], *, court_id: int | None, start: datetime, end: datetime
) -> Iterable[sa.Row[*tuple[Any, ...]]]:
    """(key, case_type, closure_mode, settled, count, applied, recovered) of cases closed in [start, end)."""
    # Each case's receipts, summed from the index of its fund movements (on SQLite a third faster than
    # joining the receipts of every case grouped beforehand; the same on PostgreSQL).
    received = (
        sa.select(sa.func.sum(FundMovement.amount_fen))
        .where(
            FundMovement.case_id == EnforcementCase.id,
            FundMovement.direction == FundDirection.IN,
            FundMovement.source == FundSource.ENFORCEMENT,
        )
        .scalar_subquery()
    )
    settled = _settled().label("settled")
    query = (
        sa.select(
            key,
            EnforcementCase.case_type,
            EnforcementCase.closure_mode,
            settled,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(EnforcementCase.amount_applied_fen), 0),
            sa.func.coalesce(sa.func.sum(received), 0),
        )
        .where(EnforcementCase.closed_at >= start, EnforcementCase.closed_at < end)
        .group_by(key, EnforcementCase.case_type, EnforcementCase.closure_mode, settled)
    )
    return session.execute(_court(query, court_id))


def _days_to_close(session: Session) -> sa.ColumnElement[float | Decimal]:
    """Days from filing to closure, computed by the engine (tens of thousands of rows: no datetime
    objects to build in Python)."""
    if session.get_bind().dialect.name == "postgresql":
        # extract() answers a numeric: a double instead, which the driver reads without building Decimals.
        return sa.cast(sa.extract("epoch", EnforcementCase.closed_at - EnforcementCase.filed_at), sa.Double) / 86400
    return sa.func.julianday(EnforcementCase.closed_at) - sa.func.julianday(EnforcementCase.filed_at)


def _durations(
    session: Session, key: sa.SQLColumnExpression[Any], *, court_id: int | None, start: datetime, end: datetime
) -> Iterable[tuple[object, list[float]]]:
    """(key, the days to close of its cases) of the cases closed in [start, end): one row per key, the
    days gathered by the engine (tens of thousands of rows would cost more to fetch than to count)."""
    days = _days_to_close(session)
    if session.get_bind().dialect.name == "postgresql":
        query = sa.select(key, sa.func.array_agg(days))
    else:
        query = sa.select(key, sa.func.json_group_array(days))
    query = query.where(EnforcementCase.closed_at >= start, EnforcementCase.closed_at < end).group_by(key)
    for k, gathered in session.execute(_court(query, court_id)):
        yield k, [round(d, 6) for d in (json.loads(gathered) if isinstance(gathered, str) else gathered)]


# --- Measures --------------------------------------------------------------------------------------------------

MEASURE_NODES = {
    "network_searches": (NodeType.SEARCH_STARTED,),
    "seizures_freezes": (NodeType.SEIZURE, NodeType.IMPOUND, NodeType.FREEZE, NodeType.DEDUCTION),
    "auctions_listed": (NodeType.AUCTION_LISTED,),
    "auctions_sold": (NodeType.AUCTION_SOLD,),
    "fines": (NodeType.FINE,),
    "detentions": (NodeType.DETENTION,),
}


def measures(session: Session, *, court_id: int | None, year: int, tz: str, now: datetime) -> dict[str, object]:
    """What the court did in the year: searches, seizures, auctions, punishments, lists, bounties, funds."""
    bounds = month_bounds(year, tz)
    start, end = bounds[0], bounds[-1]
    first_day, next_first_day = date(year, 1, 1), date(year + 1, 1, 1)
    node_counts = dict.fromkeys(NodeType, 0)
    sold_fen = 0
    query = (
        sa.select(CaseNode.node_type, sa.func.count(), sa.func.coalesce(sa.func.sum(CaseNode.amount_fen), 0))
        .join(EnforcementCase, EnforcementCase.id == CaseNode.case_id)
        # Counted by when each measure happened (re-dated ones where they now stand); voided ones not at all.
        .where(CaseNode.occurred_at >= start, CaseNode.occurred_at < end, CaseNode.voided_by_id.is_(None))
        .group_by(CaseNode.node_type)
    )
    for node_type, count, amount in session.execute(_court(query, court_id)):
        node_counts[node_type] = count
        if node_type == NodeType.AUCTION_SOLD:
            sold_fen = int(amount or 0)  # coalesce(sum, 0): never NULL
    result: dict[str, object] = {name: sum(node_counts[t] for t in types) for name, types in MEASURE_NODES.items()}
    result["auction_sold_fen"] = sold_fen

    def court_of(court_column: sa.SQLColumnExpression[int], query: sa.Select[*Ts]) -> sa.Select[*Ts]:
        return query if court_id is None else query.where(court_column == court_id)

    result["restriction_orders"] = (
        session.scalar(
            court_of(
                RestrictionOrder.court_id,
                sa.select(sa.func.count()).where(
                    RestrictionOrder.issued_on >= first_day, RestrictionOrder.issued_on < next_first_day
                ),
            )
        )
        or 0
    )
    # Published by now: an entry still in its grace period is not public, and must not show here either.
    result["defaulter_listings"] = (
        session.scalar(
            court_of(
                DefaulterEntry.court_id,
                sa.select(sa.func.count()).where(
                    DefaulterEntry.published_at >= start, DefaulterEntry.published_at < min(end, now)
                ),
            )
        )
        or 0
    )
    removals = session.execute(
        court_of(
            DefaulterEntry.court_id,
            sa.select(DefaulterEntry.removed_at, DefaulterEntry.removal_due).where(
                DefaulterEntry.removed_at.is_not(None),
                DefaulterEntry.removed_at >= start,
                DefaulterEntry.removed_at < end,
            ),
        )
    ).all()
    result["defaulter_removals"] = len(removals)
    due = [(removed, by) for removed, by in removals if removed is not None and by is not None]
    result["removals_with_deadline"] = len(due)
    result["removals_on_time"] = sum(local_day(removed, tz) <= by for removed, by in due)
    result["bounty_notices"] = (
        session.scalar(
            court_of(
                BountyNotice.court_id,
                sa.select(sa.func.count()).where(BountyNotice.published_at >= start, BountyNotice.published_at < end),
            )
        )
        or 0
    )
    rewards = court_of(
        BountyNotice.court_id,
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(RewardPayment.amount_fen), 0))
        .join(BountyNotice, BountyNotice.id == RewardPayment.notice_id)
        .where(RewardPayment.paid_on >= first_day, RewardPayment.paid_on < next_first_day),
    )
    count, fen = session.execute(rewards).one()
    result["rewards_paid"], result["rewards_paid_fen"] = count, int(fen)
    funds = _court(
        sa.select(
            FundMovement.direction, FundMovement.source, sa.func.coalesce(sa.func.sum(FundMovement.amount_fen), 0)
        )
        .join(EnforcementCase, EnforcementCase.id == FundMovement.case_id)
        .where(FundMovement.occurred_at >= start, FundMovement.occurred_at < end)
        .group_by(FundMovement.direction, FundMovement.source),
        court_id,
    )
    totals = {(direction, source): int(total) for direction, source, total in session.execute(funds)}
    result["funds_received_fen"] = totals.get((FundDirection.IN, FundSource.ENFORCEMENT), 0)
    result["funds_paid_out_fen"] = sum(v for (d, _s), v in totals.items() if d == FundDirection.OUT)
    # Judicial aid (司法救助): applicants helped and money the aid fund paid them in the year, apart from the
    # recovery and from the case funds. An application paid before ``paid_fen`` was kept paid what was granted.
    aid = _court(
        sa.select(
            sa.func.count(sa.distinct(AidApplication.party_id)),
            sa.func.coalesce(
                sa.func.sum(sa.func.coalesce(AidApplication.paid_fen, AidApplication.amount_granted_fen)), 0
            ),
        )
        .join(EnforcementCase, EnforcementCase.id == AidApplication.case_id)
        .where(AidApplication.paid_at >= start, AidApplication.paid_at < end),
        court_id,
    )
    applicants, paid = session.execute(aid).one()
    # paid is coalesce(sum, 0): never NULL.
    result["judicial_aid_applicants"], result["judicial_aid_paid_fen"] = applicants, int(paid or 0)
    # 执行+网格: assistance tasks the liaisons reported on in the year.
    tasks = _court(
        sa.select(sa.func.count())
        .select_from(AssistanceTask)
        .join(EnforcementCase, EnforcementCase.id == AssistanceTask.case_id)
        .where(AssistanceTask.reported_at >= start, AssistanceTask.reported_at < end),
        court_id,
    )
    result["grid_assistance_tasks"] = session.scalar(tasks) or 0
    return result


def overdue_now(session: Session, *, court_id: int | None, now: datetime) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(EnforcementCase)
        .where(
            EnforcementCase.stage.not_in((CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND)),
            EnforcementCase.next_due_at < now,
        )
    )
    return session.scalar(_court(query, court_id)) or 0


# --- The dashboard's figures -----------------------------------------------------------------------------------


def years_with_cases(session: Session, *, court_id: int | None, tz: str, now: datetime) -> list[int]:
    """From the year of the first filing to this year."""
    first = session.scalar(_court(sa.select(sa.func.min(EnforcementCase.filed_at)), court_id))
    this_year = now.astimezone(ZoneInfo(tz)).year
    return list(range(first.astimezone(ZoneInfo(tz)).year if first else this_year, this_year + 1))


def case_figures(
    session: Session,
    key: Callable[[sa.SQLColumnExpression[Any]], sa.SQLColumnExpression[Any]],
    *,
    court_id: int | None,
    start: datetime,
    end: datetime,
) -> dict[object, CaseFigures]:
    """Received and closed cases of [start, end) by ``key`` of the filing or closing time (its bucket) or
    of the case (its judge): three aggregates."""
    figures: defaultdict[object, CaseFigures] = defaultdict(CaseFigures)
    for k, case_type, count in _received(
        session, key(EnforcementCase.filed_at), court_id=court_id, start=start, end=end
    ):
        figures[k].add_received(case_type, count)
    closed_key = key(EnforcementCase.closed_at)
    for k, case_type, mode, settled, count, applied, recovered in _closed(
        session, closed_key, court_id=court_id, start=start, end=end
    ):
        figures[k].add_closed(
            case_type, mode.value if mode else None, bool(settled), count, int(applied), int(recovered)
        )
    for k, days in _durations(session, closed_key, court_id=court_id, start=start, end=end):
        figures[k].days.extend(days)
    return figures


@functools.lru_cache(maxsize=64)
def fixed_offset(tz: str, first: int, last: int) -> timedelta | None:
    """The zone's UTC offset if it is the same on every day of the years ``first`` to ``last`` (China's has
    been since 1991), else None (a zone with summer time). Remembered: a zone's past does not change."""
    zone = ZoneInfo(tz)
    start = datetime(first, 1, 1, tzinfo=UTC) - timedelta(days=1)
    days = (datetime(last + 1, 1, 2, tzinfo=UTC) - start).days
    offsets = {(start + timedelta(days=d)).astimezone(zone).utcoffset() for d in range(days)}
    return offsets.pop() if len(offsets) == 1 else None


def month_key(
    session: Session,
    column: sa.SQLColumnExpression[Any],
    *,
    tz: str,
    bounds: Sequence[datetime],
    labels: Sequence[int],
) -> sa.ColumnElement[Any]:
    """The local month of a UTC time (``labels[i]``, YYYYMM, for [bounds[i], bounds[i+1]); on PostgreSQL
    the month's first local moment), in the cheapest form the engine offers."""
    if session.get_bind().dialect.name == "postgresql":
        # The engine knows the zone: the local month's first moment (read as YYYYMM by ``monthly``;
        # cheaper than computing the number in SQL).
        return sa.func.date_trunc("month", sa.func.timezone(tz, column))
    offset = fixed_offset(tz, labels[0] // 100, labels[-1] // 100)
    if offset is not None:
        # SQLite stores UTC text: shift it by the zone's constant offset and read the month.
        minutes = int(offset.total_seconds() // 60)
        return sa.cast(sa.func.strftime("%Y%m", column, f"{minutes:+d} minutes"), sa.Integer)
    return bucket(column, bounds, labels)


def _month_label(key: object) -> int:
    """YYYYMM of a ``month_key`` value: the number itself, or on PostgreSQL the month's first local moment."""
    if isinstance(key, int):
        return key
    assert isinstance(key, date)  # date_trunc's timestamp (a datetime, itself a date)
    return 100 * key.year + key.month


def monthly(
    session: Session, *, court_id: int | None, first: int, last: int, tz: str
) -> dict[tuple[int, int], CaseFigures]:
    """Every local month of the years ``first`` to ``last``, keyed (year, month): one set of aggregates
    serves both a year's months and the year-on-year comparison."""
    bounds = months_bounds(first, last, tz)
    labels = [100 * year + month for year in range(first, last + 1) for month in range(1, 13)]
    found = {
        _month_label(k): figures
        for k, figures in case_figures(
            session,
            lambda column: month_key(session, column, tz=tz, bounds=bounds, labels=labels),
            court_id=court_id,
            start=bounds[0],
            end=bounds[-1],
        ).items()
    }
    return {(label // 100, label % 100): found.get(label) or CaseFigures() for label in labels}


def total(parts: Iterable[CaseFigures]) -> CaseFigures:
    """The sum of several periods' figures."""
    whole = CaseFigures()
    for figures in parts:
        for group in whole.received:
            whole.received[group] += figures.received[group]
            whole.closed[group] += figures.closed[group]
        for mode in whole.closure_modes:
            whole.closure_modes[mode] += figures.closure_modes[mode]
        whole.actual += figures.actual
        whole.fully_performed += figures.fully_performed
        whole.first_closed += figures.first_closed
        whole.first_terminated += figures.first_terminated
        whole.applied_fen += figures.applied_fen
        whole.recovered_fen += figures.recovered_fen
        whole.days.extend(figures.days)
    return whole


def year_figures(
    session: Session,
    *,
    court_id: int | None,
    year: int,
    tz: str,
    now: datetime,
    months: dict[tuple[int, int], CaseFigures] | None = None,
) -> dict[str, object]:
    """One year: its total, its twelve months, the measures taken, and what is overdue now.
    ``months``: the result of ``monthly`` when the caller has it (covering ``year``)."""
    if months is None:
        months = monthly(session, court_id=court_id, first=year, last=year, tz=tz)
    this_year = now.astimezone(ZoneInfo(tz)).year
    return {
        "year": year,
        "total": total(months[year, m] for m in range(1, 13)).summary(),
        "months": [{"month": m, **months[year, m].summary()} for m in range(1, 13)],
        "measures": measures(session, court_id=court_id, year=year, tz=tz, now=now),
        "overdue_now": overdue_now(session, court_id=court_id, now=now) if year == this_year else None,
    }


def overview(
    session: Session,
    *,
    court_id: int | None,
    years: Sequence[int],
    tz: str,
    months: dict[tuple[int, int], CaseFigures] | None = None,
) -> list[dict[str, object]]:
    """The headline figures of every year, for the year-on-year comparison.
    ``months``: the result of ``monthly`` when the caller has it (covering ``years``)."""
    if months is None:
        months = monthly(session, court_id=court_id, first=min(years), last=max(years), tz=tz)
    return [{"year": y, **total(months[y, m] for m in range(1, 13)).summary()} for y in years]


def by_judge(session: Session, *, court_id: int, year: int, tz: str) -> list[dict[str, object]]:
    """The year's figures per judge (and team): for staff only."""
    bounds = month_bounds(year, tz)
    judges = {j.id: j for j in session.scalars(sa.select(Officer).where(Officer.court_id == court_id))}
    figures: dict[object, CaseFigures] = {judge_id: CaseFigures() for judge_id in [*judges, None]}
    figures.update(
        case_figures(
            session, lambda _time: EnforcementCase.judge_id, court_id=court_id, start=bounds[0], end=bounds[-1]
        )
    )
    rows = []
    for judge_id, f in figures.items():
        if not f.received["all"] and not f.closed["all"]:
            continue
        judge = judges.get(judge_id) if isinstance(judge_id, int) else None  # the key is the judge_id column
        rows.append(
            {
                "judge_id": judge_id,
                "judge": judge.name if judge else None,
                "team": judge.team if judge else "",
                **f.summary(),
            }
        )
    # Teams and judges in order; the cases without a judge last.
    return sorted(rows, key=lambda r: (r["judge_id"] is None, str(r["team"]), str(r["judge"] or "")))


# --- The cache -------------------------------------------------------------------------------------------------


def fingerprint(session: Session, court_id: int | None = None) -> int:
    """A value that moves with every recorded change of the court (of every court for ``None``): each
    audit chain's head renews its ``changed`` marker in the transaction of every change (reads such as
    lookups excepted), so a snapshot is stale exactly when this differs, whatever the commit order."""
    query = sa.select(AuditHead.chain, AuditHead.changed).order_by(AuditHead.chain)
    if court_id is not None:
        query = query.join(Court, Court.code == AuditHead.chain).where(Court.id == court_id)
    digest = hashlib.sha256(repr(session.execute(query).all()).encode()).hexdigest()
    return int(digest[:15], 16)


def snapshot_key(court_id: int | None, year: int) -> str:
    return f"dashboard:{court_id or 'all'}:{year}"


def cached(session: Session, key: str, *, version: int, day: date) -> dict[str, object] | None:
    """The stored figures if they were computed today at this fingerprint."""
    # A fresh read: the session may hold an older copy of the row.
    row = session.scalar(
        sa.select(StatsSnapshot).where(StatsSnapshot.key == key).execution_options(populate_existing=True)
    )
    if row is None or row.version != version or row.day != day:
        return None
    return row.payload


def keep(session: Session, key: str, *, version: int, day: date, payload: dict[str, object], now: datetime) -> None:
    """Store the figures (an upsert: two processes computing at once both succeed)."""
    values = {"key": key, "version": version, "day": day, "payload": payload, "computed_at": now}
    renewed = ("version", "day", "payload", "computed_at")
    upsert: sa.Executable
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        pg_insert = postgresql.insert(StatsSnapshot).values(**values)
        upsert = pg_insert.on_conflict_do_update(
            index_elements=["key"], set_={k: pg_insert.excluded[k] for k in renewed}
        )
    else:
        from sqlalchemy.dialects import sqlite

        sqlite_insert = sqlite.insert(StatsSnapshot).values(**values)
        upsert = sqlite_insert.on_conflict_do_update(
            index_elements=["key"], set_={k: sqlite_insert.excluded[k] for k in renewed}
        )
    session.execute(upsert)


def dashboard(
    session: Session,
    *,
    court_id: int | None,
    year: int,
    tz: str,
    now: datetime,
    refresh: bool = False,
    version: int | None = None,
) -> dict[str, object]:
    """The dashboard's figures for ``year``: from the day's cache while nothing changed, else computed.
    ``version``: the fingerprint, when the caller has just read it."""
    version = fingerprint(session, court_id) if version is None else version
    day = local_day(now, tz)
    key = snapshot_key(court_id, year)
    if not refresh:
        found = cached(session, key, version=version, day=day)
        if found is not None:
            return found
    if session.get_bind().dialect.name == "postgresql":
        # These few aggregates run in milliseconds; PostgreSQL's JIT, tempted by their estimated cost,
        # would spend longer compiling them than running them (measured: 970 ms of JIT on one query).
        session.execute(sa.text("SET LOCAL jit = off"))
    years = years_with_cases(session, court_id=court_id, tz=tz, now=now)
    # One set of aggregates for the year's months and every year's headline figures.
    months = monthly(session, court_id=court_id, first=min(years[0], year), last=max(years[-1], year), tz=tz)
    payload = {
        **year_figures(session, court_id=court_id, year=year, tz=tz, now=now, months=months),
        "years": overview(session, court_id=court_id, years=years, tz=tz, months=months),
        "computed_at": now.isoformat(),
    }
    keep(session, key, version=version, day=day, payload=payload, now=now)
    return payload
