"""Deadline clocks (节点掌控): what each case owes and by when, computed from its nodes."""

from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.errors import InvalidSetting
from publicity.core.models import Court
from publicity.record.models import ClosureMode, EnforcementCase, NodeType, SearchTarget

# Defaults from the seed court and the SPC time-limit rules; a court may override each.
DEFAULTS: dict[str, int] = {
    "search_start_days": 2,  # online search started within 2 days of filing
    "search_complete_days": 3,  # person / vehicle / deposits / business searches done within 3 days
    "judge_assign_days": 7,  # judge assigned within 7 days of filing
    "notice_days": 3,  # 执行通知书 within 3 days of receiving the case
    "closure_months": 6,  # closed within 6 months of filing
    "research_interval_months": 6,  # after 终本: online search again every 6 months ...
    "research_years": 5,  # ... for 5 years
    "card_answer_days": 7,  # the judge answers an overseer's evaluation card within 7 days
    "question_answer_days": 7,  # ... and an overseer's question
    "aid_review_days": 15,  # judicial aid: the court decides within 15 days of the application
    "payout_days": 30,  # case funds: money received is paid out within 30 days (法发〔2017〕6号), or its delay approved
    "payout_approval_10k_yuan": 10,  # a payout above 10 × ¥10,000 (¥100,000) needs a second officer's approval
}

TIMED_SEARCHES = (SearchTarget.PERSON, SearchTarget.VEHICLE, SearchTarget.DEPOSITS, SearchTarget.BUSINESS)


class DeadlineKind(enum.StrEnum):
    SEARCH_STARTED = "search_started"
    SEARCH_COMPLETED = "search_completed"
    JUDGE_ASSIGNED = "judge_assigned"
    NOTICE_SERVED = "notice_served"
    CLOSURE = "closure"
    PERIODIC_SEARCH = "periodic_search"


class DeadlineStatus(enum.StrEnum):
    PENDING = "pending"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"


@dataclass(frozen=True)
class Deadline:
    """One obligation of a case: due by ``due_at``, met at ``met_at`` (None while open)."""

    kind: DeadlineKind
    due_at: datetime
    met_at: datetime | None
    status: DeadlineStatus
    target: SearchTarget | None = None

    @property
    def is_open(self) -> bool:
        return self.met_at is None


class Step(Protocol):
    """What the clocks and the transition rules read of a node (a stored node, or one about to be)."""

    @property
    def id(self) -> int | None: ...
    @property
    def node_type(self) -> NodeType: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def search_target(self) -> SearchTarget | None: ...
    @property
    def closure_mode(self) -> ClosureMode | None: ...


def overdue(due_at: datetime | None, now: datetime) -> bool:
    """Past its due time (and still owed: the caller asks only of what is open). The one reading of "overdue" (逾期)
    for every clock: case deadlines, an overseer's question, an evaluation card's answer."""
    return due_at is not None and now > due_at


def settings_for(overrides: Mapping[str, int] | None) -> dict[str, int]:
    """The court's deadline settings: its overrides over the defaults."""
    merged = dict(DEFAULTS)
    merged.update({k: int(v) for k, v in (overrides or {}).items() if k in DEFAULTS})
    return merged


COURT_ZONE = ZoneInfo("Asia/Shanghai")


def add_months(moment: datetime, months: int) -> datetime:
    """The same calendar day ``months`` later in court time (the month's last day when shorter)."""
    local = moment.astimezone(COURT_ZONE) if moment.tzinfo else moment
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    shifted = local.replace(year=year, month=month, day=day)
    return shifted.astimezone(moment.tzinfo) if moment.tzinfo else shifted


def _deadline(
    kind: DeadlineKind, due: datetime, met: datetime | None, now: datetime, target: SearchTarget | None = None
) -> Deadline:
    if met is not None:
        status = DeadlineStatus.MET if met <= due else DeadlineStatus.MET_LATE
    else:
        status = DeadlineStatus.OVERDUE if overdue(due, now) else DeadlineStatus.PENDING
    return Deadline(kind, due, met, status, target)


def _first(nodes: Sequence[Step], node_type: NodeType, target: SearchTarget | None = None) -> datetime | None:
    times = [n.occurred_at for n in nodes if n.node_type == node_type and (target is None or n.search_target == target)]
    return min(times) if times else None


def case_deadlines(
    case: EnforcementCase, nodes: Sequence[Step], settings: Mapping[str, int], *, now: datetime
) -> list[Deadline]:
    """Every deadline of ``case`` given its nodes, in due order."""
    filed = case.filed_at
    days = timedelta(days=1)
    closed_at = _first(nodes, NodeType.CLOSED)
    terminated_at = _first(nodes, NodeType.TERMINATED_THIS_ROUND)
    result = [
        _deadline(
            DeadlineKind.SEARCH_STARTED,
            filed + settings["search_start_days"] * days,
            _first(nodes, NodeType.SEARCH_STARTED),
            now,
        ),
        *(
            _deadline(
                DeadlineKind.SEARCH_COMPLETED,
                filed + settings["search_complete_days"] * days,
                _first(nodes, NodeType.SEARCH_COMPLETED, target),
                now,
                target,
            )
            for target in TIMED_SEARCHES
        ),
        _deadline(
            DeadlineKind.JUDGE_ASSIGNED,
            filed + settings["judge_assign_days"] * days,
            _first(nodes, NodeType.JUDGE_ASSIGNED),
            now,
        ),
        _deadline(
            DeadlineKind.NOTICE_SERVED,
            filed + settings["notice_days"] * days,
            _first(nodes, NodeType.NOTICE_SERVED),
            now,
        ),
        _deadline(
            DeadlineKind.CLOSURE,
            add_months(filed, settings["closure_months"]),
            min((t for t in (closed_at, terminated_at) if t), default=None),
            now,
        ),
    ]
    if closed_at is not None or terminated_at is not None:
        # Obligations of the running case lapse when it ends; only what was done stays listed.
        result = [d for d in result if d.met_at is not None]
    resumed = _first(nodes, NodeType.RESUMED) is not None
    if terminated_at is not None and closed_at is None and not resumed:
        result.extend(_periodic_searches(nodes, terminated_at, settings, now=now))
    return sorted(result, key=lambda d: (d.due_at, d.kind))


def _periodic_searches(
    nodes: Sequence[Step], terminated_at: datetime, settings: Mapping[str, int], *, now: datetime
) -> list[Deadline]:
    interval = settings["research_interval_months"]
    rounds = settings["research_years"] * 12 // interval
    searches = sorted(n.occurred_at for n in nodes if n.node_type == NodeType.PERIODIC_SEARCH)
    result: list[Deadline] = []
    window_start = terminated_at
    for round_no in range(1, rounds + 1):
        due = add_months(terminated_at, interval * round_no)
        # The first search after the round opened meets it: on time inside the window, late after it.
        met = next((t for t in searches if t > window_start), None)
        if met is None and due > now and result and result[-1].is_open:
            break  # show the next open round only, not five years of future ones
        result.append(_deadline(DeadlineKind.PERIODIC_SEARCH, due, met, now))
        if met is None and due > now:
            break
        window_start = due if met is None else max(due, met)  # one search meets one round
    return result


def next_due(deadlines: Sequence[Deadline]) -> datetime | None:
    """The earliest due date among the open deadlines (kept on the case for worklists)."""
    return min((d.due_at for d in deadlines if d.is_open), default=None)


def set_deadline_settings(
    session: Session, *, court: Court, settings: dict[str, int], actor: str, now: datetime
) -> Court:
    """Override some of the court's deadline defaults (days or months, see DEFAULTS)."""
    for name, value in settings.items():
        if name not in DEFAULTS or not 0 < int(value) <= 120:
            raise InvalidSetting(name=name)
    court.deadline_settings = {**(court.deadline_settings or {}), **{k: int(v) for k, v in settings.items()}}
    audit.record(
        session,
        actor=actor,
        action="court.deadline_settings",
        object_type="court",
        object_id=court.id,
        changes=dict(settings),
        chain=court.code,
        now=now,
    )
    session.flush()
    return court
