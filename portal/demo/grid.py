"""Demo 执行+网格 and 司法救助: townships with their work stations, grids, liaisons, respondents placed in grids,
pushes, assistance tasks in every state and judicial aid in every status, all made by the services.

Why it is long: it is scripted demo data: one scenario after another, each written through the services.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.demo.cases import _id_number
from portal.models import Account, Role
from publicity.core.models import Court, Officer, OfficerKind
from publicity.lists import bounties, restrictions
from publicity.lists import defaulters as defaulter_list
from publicity.lists.models import (
    BoundRole,
    BountyNotice,
    DefaulterEntry,
    ListingGround,
    RestrictedItem,
    RestrictionOrder,
    RewardKind,
)
from publicity.lists.restrictions import BoundPersonData
from publicity.outreach import aid, grid
from publicity.outreach.models import (
    AidApplication,
    AssistanceTask,
    GridArea,
    GridKind,
    Hardship,
    Liaison,
    TaskKind,
    TaskOutcome,
)
from publicity.record import cases, funds, notices
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import (
    CaseStage,
    EnforcementCase,
    NodeType,
    OutboxMessage,
    OutboxStatus,
    Party,
    PartyKind,
    PartySide,
)

ACTOR = "seed-demo"
C, V, E = GridKind.COMMUNITY, GridKind.VILLAGE, GridKind.ENTERPRISE
# Townships of 夏津县 where the demo's parties live (portal.demo.cases writes these into their addresses), each with
# its grids. The village and community names are made up for the demo.
TOWNSHIPS: tuple[tuple[str, tuple[tuple[str, GridKind], ...]], ...] = (
    ("银城街道", (("府前社区", C), ("西关社区", C), ("开发区企业网格", E))),
    ("南城镇", (("南城村", V), ("东街村", V), ("西街村", V))),
    ("新盛店镇", (("新盛店村", V), ("前屯村", V))),
    ("雷集镇", (("雷集村", V), ("后屯村", V))),
    ("郑保屯镇", (("郑保屯村", V), ("北屯村", V))),
    ("白马湖镇", (("白马湖村", V), ("张庄村", V))),
)
# The liaisons: township, grids, SMS, email (every grid has at least one). The demo ``liaison`` login's liaison
# joins them in two grids of the township where the demo judge has the most respondents.
LIAISONS = (
    ("银城街道", ("府前社区", "西关社区"), False, True),
    ("银城街道", ("开发区企业网格",), True, False),
    ("南城镇", ("南城村", "东街村"), True, False),
    ("南城镇", ("西街村",), False, False),
    ("新盛店镇", ("新盛店村", "前屯村"), True, False),
    ("雷集镇", ("雷集村", "后屯村"), True, True),
    ("郑保屯镇", ("郑保屯村", "北屯村"), False, False),
    ("白马湖镇", ("白马湖村",), True, False),
    ("白马湖镇", ("张庄村",), False, False),
)
INSTRUCTIONS = {
    TaskKind.SERVE: "请协助向被执行人送达执行通知书、报告财产令，并由其在送达回证上签字。",
    TaskKind.LOCATE: "被执行人经电话联系未果，请协助了解其近期居住、经营地点及联系方式。",
    TaskKind.CHECK_ASSET: "请协助核实被执行人在辖区内的房屋、车辆、经营设备等财产情况，拍照留存。",
    TaskKind.MEDIATE: "双方当事人均有和解意愿，请协助在村（居）委会组织调解，促成执行和解。",
    TaskKind.URGE: "请协助向被执行人释明拒不履行的法律后果，督促其主动履行或提出还款计划。",
}


@dataclass
class Located:
    """A respondent of an open case placed in a grid."""

    case: EnforcementCase
    respondent: Party
    grid: GridArea


@dataclass
class GridDemo:
    """What was built, by its role in the demo."""

    areas: list[GridArea] = field(default_factory=list)
    liaisons: list[Liaison] = field(default_factory=list)
    demo_liaison: Liaison | None = None
    located: list[Located] = field(default_factory=list)
    pushed: dict[str, int] = field(default_factory=dict)  # story -> object id (order, notice, entry)
    tasks: dict[str, AssistanceTask] = field(default_factory=dict)
    applications: dict[str, AidApplication] = field(default_factory=dict)


def pdf(text: str) -> bytes:
    """A small, well-formed one-page PDF showing ``text`` (ASCII): the demo's scanned documents."""
    stream = f"BT /F1 14 Tf 72 770 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class _Clock:
    """Moments relative to ``now``, in the court's local time."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def at(self, days: int, hour: int, minute: int = 0) -> datetime:
        """``days`` from today (negative: in the past) at ``hour:minute`` Beijing time, as UTC."""
        day = self.now.astimezone(COURT_ZONE).date() + timedelta(days=days)
        return datetime.combine(day, time(hour, minute), tzinfo=COURT_ZONE).astimezone(UTC)

    def in_this_year(self, moment: datetime) -> datetime:
        """``moment``, or the start of the current year if it falls in the last one (so the dashboard's year
        shows it)."""
        year_start = datetime(self.now.astimezone(COURT_ZONE).year, 1, 1, tzinfo=COURT_ZONE).astimezone(UTC)
        return min(max(moment, year_start), self.now)


def _respondent(case: EnforcementCase) -> Party:
    return next(p for p in case.parties if p.side == PartySide.RESPONDENT)


def _applicant(case: EnforcementCase) -> Party:
    return next(p for p in case.parties if p.side == PartySide.APPLICANT)


def _phone(rng: random.Random) -> str:
    return f"139{rng.randint(0, 99_999_999):08d}"


# --- Areas, liaisons, locations ---------------------------------------------------------------------------------


def _areas(session: Session, *, court: Court, when: datetime) -> dict[tuple[str, str], GridArea]:
    """Add the townships (each with its work station) and their grids; keyed by (township, grid) names,
    the township itself under (township, "")."""
    built: dict[tuple[str, str], GridArea] = {}
    for n, (township, grids) in enumerate(TOWNSHIPS):
        moment = when + timedelta(minutes=10 * n)
        parent = grid.add_area(
            session,
            court=court,
            name=township,
            kind=GridKind.TOWNSHIP,
            station=f"{township}执行联络工作站",
            actor=ACTOR,
            now=moment,
        )
        built[(township, "")] = parent
        for name, kind in grids:
            built[(township, name)] = grid.add_area(
                session,
                court=court,
                name=name,
                kind=kind,
                parent=parent,
                actor=ACTOR,
                now=moment + timedelta(minutes=1),
            )
    return built


def _township_of(party: Party) -> str | None:
    return next((name for name, _grids in TOWNSHIPS if name in party.address), None)


def _candidates(
    session: Session, *, court: Court, judge: Officer, rng: random.Random, before: datetime, avoid: set[str], count: int
) -> list[EnforcementCase]:
    """Open cases filed ``before`` whose respondent's address names a township: all of the demo judge's, then
    others at random, ``count`` in all, in register order."""
    found = [
        c
        for c in session.scalars(
            sa.select(EnforcementCase)
            .where(
                EnforcementCase.court_id == court.id,
                EnforcementCase.stage.not_in((CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND)),
                EnforcementCase.filed_at < before,
                EnforcementCase.number.not_in(sorted(avoid)),
            )
            .order_by(EnforcementCase.id)
        )
        if _township_of(_respondent(c)) is not None
    ]
    mine = [c for c in found if c.judge_id == judge.id][:count]
    others = [c for c in found if c.judge_id != judge.id]
    return sorted(mine + rng.sample(others, max(0, min(count - len(mine), len(others)))), key=lambda c: c.id)


def _home_township(candidates: list[EnforcementCase], judge: Officer) -> str:
    """The township where most of the demo judge's respondents live (the first on the list if none)."""
    counts = {name: 0 for name, _grids in TOWNSHIPS}
    for case in candidates:
        if case.judge_id == judge.id:
            counts[_township_of(_respondent(case)) or TOWNSHIPS[0][0]] += 1
    return max(counts, key=lambda name: counts[name])  # the first of equals, in TOWNSHIPS' order


def _liaisons(
    session: Session,
    *,
    court: Court,
    areas: dict[tuple[str, str], GridArea],
    home: str,
    account: Account | None,
    rng: random.Random,
    when: datetime,
    name_of: Callable[[random.Random], str],
) -> tuple[Liaison, list[Liaison]]:
    """Put nine liaisons on the list and, in two grids of ``home``, the demo ``liaison`` login's (linked to the
    account as the admin's form does); return the demo liaison and everyone."""
    everyone = []
    for n, (township, names, sms, email) in enumerate(LIAISONS, start=1):
        everyone.append(
            grid.add_liaison(
                session,
                court=court,
                name=name_of(rng),
                phone=_phone(rng),
                email=f"xjwg{n:02d}@example.org" if email else "",
                notify_sms=sms,
                notify_email=email,
                grids=[areas[(township, g)] for g in names],
                actor=ACTOR,
                now=when + timedelta(minutes=5 * n),
            )
        )
    grids = [area for (t, name), area in areas.items() if t == home and name]
    homes = [g for g in grids if g.kind != GridKind.ENTERPRISE]
    enterprise = [g for g in grids if g.kind == GridKind.ENTERPRISE]
    demo = grid.add_liaison(
        session,
        court=court,
        name=account.display_name if account else name_of(rng),
        phone=_phone(rng),
        notify_sms=True,
        grids=(homes[:1] + enterprise[:1] + homes[1:])[:2],
        actor=ACTOR,
        now=when + timedelta(days=30),
    )
    if account is not None:
        account.liaison_id = demo.id
    return demo, [*everyone, demo]


def _locate(
    session: Session,
    *,
    candidates: list[EnforcementCase],
    judge: Officer,
    demo: Liaison,
    areas: dict[tuple[str, str], GridArea],
    rng: random.Random,
    when: datetime,
) -> list[Located]:
    """Place each candidate's respondent in a grid of the township of their address (staff choose it from the
    address, which names no village): companies mostly in the enterprise grid, the demo judge's respondents in
    the demo liaison's grids when they live there."""
    located = []
    home = demo.grids[0].parent_id
    for n, case in enumerate(candidates):
        respondent = _respondent(case)
        township = _township_of(respondent)
        grids = [area for (t, name), area in areas.items() if t == township and name]
        if case.judge_id == judge.id and grids[0].parent_id == home:
            grids = list(demo.grids)
        enterprise = [g for g in grids if g.kind == GridKind.ENTERPRISE]
        homes = [g for g in grids if g.kind != GridKind.ENTERPRISE] or enterprise
        entity = respondent.kind == PartyKind.ENTITY
        place = rng.choice(enterprise) if entity and enterprise and rng.random() < 0.6 else rng.choice(homes)
        grid.locate_party(session, party=respondent, grid=place, actor=ACTOR, now=when + timedelta(minutes=3 * n))
        located.append(Located(case, respondent, place))
    return located


class _Pool:
    """The located respondents, handed out by grid: unused cases first, then the demo judge's, in register order."""

    def __init__(self, located: list[Located], judge: Officer) -> None:
        self.located, self.judge = located, judge
        self.used: set[int] = set()

    def take(self, grids: Iterable[int], fits: Callable[[Located], bool] = lambda _: True) -> Located | None:
        wanted = set(grids)
        fitting = [x for x in self.located if x.grid.id in wanted and fits(x)]
        if not fitting:
            return None
        chosen = min(fitting, key=lambda x: (x.case.id in self.used, x.case.judge_id != self.judge.id, x.case.id))
        self.used.add(chosen.case.id)
        return chosen


# --- Pushes -----------------------------------------------------------------------------------------------------


def _restrict(
    session: Session,
    spot: Located,
    *,
    rng: random.Random,
    key: bytes,
    when: datetime,
    name_of: Callable[[random.Random], str],
) -> RestrictionOrder:
    """Issue a restriction order (限制消费令); the respondent's grid hears of it."""
    respondent = spot.respondent
    bound = []
    if respondent.kind == PartyKind.ENTITY:
        bound.append(
            BoundPersonData(
                BoundRole.LEGAL_REPRESENTATIVE,
                respondent.legal_representative or name_of(rng),
                _id_number(rng, rng.randint(1960, 1990)),
            )
        )
    items = [
        RestrictedItem.FLIGHTS,
        RestrictedItem.HIGH_SPEED_RAIL,
        RestrictedItem.LUXURY_VENUES,
        RestrictedItem.TRAVEL,
    ]
    return restrictions.issue_order(
        session,
        case=spot.case,
        respondent=respondent,
        items=items,
        issued_on=when.astimezone(COURT_ZONE).date(),
        bound_persons=bound,
        key=key,
        actor=ACTOR,
        now=when,
    )


def _bounty(session: Session, spot: Located, *, key: bytes, applied: datetime, granted: datetime) -> BountyNotice:
    """The applicant applies for a bounty notice (悬赏公告); granted, it is published and pushed."""
    notice = bounties.apply(
        session,
        case=spot.case,
        applicant=_applicant(spot.case),
        respondent=spot.respondent,
        reward_kind=RewardKind.FIXED,
        reward_fen=20_000 * 100,
        key=key,
        actor=ACTOR,
        now=applied,
        conditions="提供被执行人可供执行的财产线索，法院据此执行到位的，按本公告金额给付悬赏金。",
        channels=f"夏津县人民法院网站、微信公众号；推送至{spot.grid.full_name}网格联络员",
    )
    return bounties.decide(session, notice=notice, grant=True, reasons="", actor=ACTOR, now=granted)


def _list(session: Session, *, court: Court, spot: Located, key: bytes, when: datetime) -> DefaulterEntry:
    """List the respondent as a defaulter (失信被执行人) for breaching the asset report order, with the case node."""
    case, respondent = spot.case, spot.respondent
    received = funds.received_by_case(session, [case.id]).get(case.id, 0)
    entity = respondent.kind == PartyKind.ENTITY
    data = defaulter_list.EntryData(
        kind=respondent.kind,
        name=respondent.name,
        id_number=respondent.credit_code if entity else respondent.id_number,
        case_number=case.number,
        basis_number=case.basis_number,
        basis_issuer=case.basis_issuer,
        obligation=f"给付申请执行人{case.amount_applied_fen / 100:,.2f}元及迟延履行期间的债务利息。",
        circumstance="违反财产报告制度",
        ground=ListingGround.ASSET_REPORT,
        filed_on=case.filed_at.astimezone(COURT_ZONE).date(),
        unperformed_fen=max(case.amount_applied_fen - received, 0),
        performed_fen=min(received, case.amount_applied_fen),
        sex="" if entity else respondent.sex,
        legal_representative=respondent.legal_representative if entity else "",
    )
    entry = defaulter_list.list_defaulter(session, court=court, data=data, key=key, actor=ACTOR, now=when, case=case)
    cases.add_node(
        session,
        case=case,
        node_type=NodeType.DEFAULTER_LISTING,
        occurred_at=when,
        public_text="将被执行人纳入失信被执行人名单。",
        actor=ACTOR,
        now=when,
    )
    return entry


def _pushes(
    session: Session,
    *,
    court: Court,
    pool: _Pool,
    demo: Liaison,
    demo_grids: set[int],
    other_grids: set[int],
    rng: random.Random,
    key: bytes,
    clock: _Clock,
    name_of: Callable[[random.Random], str],
) -> dict[str, int]:
    """A bounty notice, a restriction order and a listing about respondents of the demo liaison's grids (the
    first read, the others new), and a restriction order in another township."""
    pushed: dict[str, int] = {}
    open_notices = set(session.scalars(sa.select(BountyNotice.case_id).where(BountyNotice.status.in_(bounties.OPEN))))
    active_orders = set(
        session.scalars(sa.select(RestrictionOrder.case_id).where(RestrictionOrder.lifted_at.is_(None)))
    )
    listed = set(session.scalars(sa.select(DefaulterEntry.case_id).where(DefaulterEntry.case_id.is_not(None))))

    spot = pool.take(demo_grids, lambda x: x.case.id not in open_notices)
    if spot is not None:
        pushed["bounty"] = _bounty(session, spot, key=key, applied=clock.at(-14, 10), granted=clock.at(-12, 15)).id
        grid.mark_read(session, liaison_id=demo.id, now=clock.at(-10, 20, 30))
    spot = pool.take(demo_grids, lambda x: x.case.id not in active_orders)
    if spot is not None:
        pushed["restricted"] = _restrict(session, spot, rng=rng, key=key, when=clock.at(-9, 11), name_of=name_of).id
    spot = pool.take(demo_grids, lambda x: x.case.id not in listed)
    if spot is not None:
        pushed["listed"] = _list(session, court=court, spot=spot, key=key, when=clock.at(-4, 10)).id
    spot = pool.take(other_grids, lambda x: x.case.id not in active_orders)
    if spot is not None:
        pushed["restricted_elsewhere"] = _restrict(
            session, spot, rng=rng, key=key, when=clock.at(-7, 15, 30), name_of=name_of
        ).id
    return pushed


# --- Assistance tasks -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Story:
    """One task's life: days relative to today of each step (None: not reached)."""

    kind: TaskKind
    requested: int
    due: int
    accepted: int | None = None
    reported: int | None = None
    outcome: TaskOutcome | None = None
    report: str = ""
    closed: int | None = None
    public_text: str = ""
    attachment: str = ""


DEMO_STORIES = {
    "closed": _Story(
        TaskKind.SERVE,
        -32,
        -25,
        -31,
        -29,
        TaskOutcome.DONE,
        "已到被执行人{place}，{signed}签收执行通知书及报告财产令，送达回证已拍照上传。",
        -28,
        "经网格员协助，执行通知书、报告财产令已送达被执行人。",
        "送达回证.pdf",
    ),
    "overdue": _Story(TaskKind.CHECK_ASSET, -14, -4, -13),
    "reported": _Story(
        TaskKind.LOCATE,
        -9,
        5,
        -8,
        -2,
        TaskOutcome.PARTLY,
        "经走访，被执行人已不在原{place}，据周边群众反映其近期在县城活动，具体地址待进一步核实。",
    ),
    "requested": _Story(TaskKind.URGE, -1, 9),
}
OTHER_STORIES = {
    "mediated": _Story(
        TaskKind.MEDIATE,
        -40,
        -30,
        -39,
        -35,
        TaskOutcome.DONE,
        "在村（居）委会组织双方调解，被执行人同意分三期履行，首期款于月底前交付。",
        -34,
        "经网格员协助调解，双方当事人就分期履行达成一致意见。",
    ),
    "not_possible": _Story(
        TaskKind.CHECK_ASSET,
        -20,
        -12,
        -19,
        -16,
        TaskOutcome.NOT_POSSIBLE,
        "经实地走访核查，被执行人名下车辆已于去年转卖他人，当地未发现其他可供执行的财产。",
        -15,
        "经网格员协助核查，未发现被执行人在当地有可供执行的财产。",
    ),
    "new_elsewhere": _Story(TaskKind.LOCATE, -3, 7),
}


def _task(
    session: Session, spot: Located, liaison: Liaison, judge: Officer, story: _Story, clock: _Clock
) -> AssistanceTask:
    """Request the task and take it as far as its story goes, each step through the service."""
    task = grid.request_task(
        session,
        case=spot.case,
        grid=spot.grid,
        liaison=liaison,
        judge=judge,
        kind=story.kind,
        instructions=INSTRUCTIONS[story.kind],
        due_at=clock.at(story.due, 17, 30),
        now=clock.at(story.requested, 9, 40),
    )
    if story.accepted is None:
        return task
    grid.accept_task(session, task=task, liaison_id=liaison.id, now=clock.at(story.accepted, 8, 15))
    if story.reported is None or story.outcome is None:
        return task
    attachment = (
        (story.attachment, "application/pdf", pdf("Mingjing demo - receipt of service")) if story.attachment else None
    )
    entity = spot.respondent.kind == PartyKind.ENTITY
    report = story.report.format(
        place="经营场所" if entity else "住所", signed="由其工作人员代为" if entity else "被执行人本人"
    )
    grid.report_task(
        session,
        task=task,
        liaison_id=liaison.id,
        outcome=story.outcome,
        report=report,
        done_at=clock.at(story.reported, 10),
        place=spot.respondent.address or spot.grid.full_name,
        attachment=attachment,
        now=clock.at(story.reported, 16, 20),
    )
    if story.closed is not None:
        grid.close_task(session, task=task, judge=judge, public_text=story.public_text, now=clock.at(story.closed, 11))
    return task


def _tasks(
    session: Session,
    *,
    judge: Officer,
    located: list[Located],
    demo: Liaison,
    demo_grids: set[int],
    other_grids: set[int],
    clock: _Clock,
) -> dict[str, AssistanceTask]:
    """The demo judge's tasks for the demo liaison in every state (one overdue); a few asked of other liaisons
    by the judges of their cases (the demo judge's first)."""
    built: dict[str, AssistanceTask] = {}
    pool = _Pool(located, judge)
    for name, story in DEMO_STORIES.items():
        spot = pool.take(demo_grids)
        if spot is None:  # a small demo has too few located respondents for every story
            continue
        built[name] = _task(session, spot, demo, judge, story, clock)
    for name, story in OTHER_STORIES.items():
        spot = pool.take(other_grids)
        if spot is None:
            continue
        liaison = next(x for x in grid.liaisons_of_grid(session, spot.grid.id) if x.id != demo.id)
        built[name] = _task(session, spot, liaison, spot.case.judge or judge, story, clock)
    return built


# --- Judicial aid -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Aid:
    hardship: Hardship
    household: str
    asked_yuan: int
    documents: tuple[str, ...]
    submitted: int
    decided: int | None = None
    granted_yuan: int | None = None
    reasons: str = ""
    paid: int | None = None


AID_STORIES = {
    "paid": _Aid(
        Hardship.INJURY,
        "申请人因交通事故致残，丧失劳动能力，医疗费负债较重；被执行人经穷尽财产调查措施，确无财产可供执行。",
        50_000,
        ("残疾证.pdf", "医疗费票据.pdf", "家庭困难证明.pdf"),
        -45,
        -33,
        20_000,
        "经审查，申请人因案件无法执行导致生活面临急迫困难，符合司法救助条件，决定给予一次性救助金。",
        -10,
    ),
    "granted": _Aid(
        Hardship.SUPPORT,
        "申请人年逾七旬，无固定收入，赡养费长期未获给付，患慢性病需长期服药。",
        30_000,
        ("户籍证明.pdf", "村委会困难证明.pdf"),
        -26,
        -16,
        15_000,
        "经审查符合司法救助条件，决定给予救助金，待财政拨付后发放。",
    ),
    "refused": _Aid(
        Hardship.OTHER,
        "申请人经营的个体门店因货款未能收回，资金周转困难，请求给予救助。",
        20_000,
        ("营业执照.pdf",),
        -38,
        -27,
        reasons="经审查，申请人有稳定的经营收入及自有住房，不属于因案件无法执行导致生活面临急迫困难的情形，"
        "不符合司法救助条件，决定不予救助。",
    ),
    "submitted": _Aid(
        Hardship.WAGES,
        "申请人系进城务工人员，被拖欠劳动报酬，家中两名子女在校读书，主要收入来源中断。",
        20_000,
        ("欠薪证明.pdf", "家庭困难证明.pdf"),
        -4,
    ),
}


def _aid(
    session: Session, *, court: Court, rng: random.Random, clock: _Clock, avoid: set[str]
) -> dict[str, AidApplication]:
    """Applications by applicants (persons) of cases whose respondent could not pay: 终本 cases first, then
    open ones; one in every status."""
    before = clock.now - timedelta(days=51)  # a fixed span before now (not a local day): the same cases every run
    found = list(
        session.scalars(
            sa.select(EnforcementCase)
            .where(
                EnforcementCase.court_id == court.id,
                EnforcementCase.stage != CaseStage.CLOSED,
                EnforcementCase.filed_at < before,
                EnforcementCase.number.not_in(sorted(avoid)),
            )
            .order_by(EnforcementCase.id)
        )
    )
    fitting = [
        c for c in found if _applicant(c).kind == PartyKind.PERSON and (c.closed_at is None or c.closed_at < before)
    ]
    terminated = [c for c in fitting if c.stage == CaseStage.TERMINATED_THIS_ROUND]
    others = [c for c in fitting if c.stage != CaseStage.TERMINATED_THIS_ROUND]
    chosen = rng.sample(terminated, min(len(AID_STORIES), len(terminated)))
    chosen += rng.sample(others, min(len(AID_STORIES) - len(chosen), len(others)))
    judges = list(
        session.scalars(
            sa.select(Officer)
            .where(Officer.court_id == court.id, Officer.kind == OfficerKind.JUDGE)
            .order_by(Officer.id)
        )
    )
    built: dict[str, AidApplication] = {}
    for (name, story), case in zip(AID_STORIES.items(), chosen, strict=False):
        documents = [
            (title, pdf(f"Mingjing demo - judicial aid document {n}"))
            for n, title in enumerate(story.documents, start=1)
        ]
        application = aid.apply(
            session,
            case=case,
            party=_applicant(case),
            hardship=story.hardship,
            household=story.household,
            amount_asked_fen=story.asked_yuan * 100,
            documents=documents,
            now=clock.at(story.submitted, 10, 30),
        )
        if story.decided is not None:
            # A judge of the court other than the case's own decides, never above what the case still owes.
            reviewer = next(j for j in judges if j.id != case.judge_id)
            granted = story.granted_yuan * 100 if story.granted_yuan else None
            if granted is not None:
                granted = min(granted, aid.limits_of(session, application).most)
            decided = clock.at(story.decided, 15)
            aid.decide(
                session,
                application=application,
                reviewer=reviewer,
                grant=granted is not None,
                amount_granted_fen=granted,
                reasons=story.reasons,
                decided_at=decided,
                actor=ACTOR,
                now=decided,
            )
        if story.paid is not None:
            paid = clock.in_this_year(clock.at(story.paid, 10))
            aid.record_payment(
                session,
                application=application,
                paid_at=paid,
                reference=f"救助金拨付 {paid.astimezone(COURT_ZONE):%Y%m%d}-{application.id:04d}",
                actor=ACTOR,
                now=paid,
            )
        built[name] = application
    return built


# --- The whole ---------------------------------------------------------------------------------------------------


def seed_grid(
    session: Session,
    *,
    court: Court,
    judge: Officer,
    rng: random.Random,
    now: datetime,
    key: bytes,
    name_of: Callable[[random.Random], str],
    avoid: set[str] | None = None,
    login: str = "liaison",
    located: int = 36,
) -> GridDemo:
    """Add the demo's 执行+网格 and 司法救助: townships and grids, ten liaisons (the last the ``login`` account's),
    ``located`` respondents of open cases placed in grids, pushes to the demo liaison's inbox, ``judge``'s
    assistance tasks in every state (one overdue), and judicial aid applications in every status. Cases numbered
    in ``avoid`` (the printed showcase cases) are left alone; ``key`` is the list search key. Every row is made by
    the services at times relative to ``now``; the messages they queue are marked sent, being past."""
    avoid = avoid or set()
    clock = _Clock(now)
    first_message = session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    account = session.scalar(sa.select(Account).where(Account.username == login, Account.role == Role.LIAISON))
    built = GridDemo()

    areas = _areas(session, court=court, when=clock.at(-240, 9))
    built.areas = list(areas.values())
    located_at = clock.at(-60, 9)
    # Cases filed a fixed span before now (not a local day), so every run at any hour picks the same ones.
    candidates = _candidates(
        session, court=court, judge=judge, rng=rng, before=now - timedelta(days=61), avoid=avoid, count=located
    )
    demo, built.liaisons = _liaisons(
        session,
        court=court,
        areas=areas,
        home=_home_township(candidates, judge),
        account=account,
        rng=rng,
        when=clock.at(-230, 10),
        name_of=name_of,
    )
    built.demo_liaison = demo
    demo_grids = {g.id for g in demo.grids}
    other_grids = {a.id for a in areas.values() if a.parent_id is not None} - demo_grids
    built.located = _locate(
        session, candidates=candidates, judge=judge, demo=demo, areas=areas, rng=rng, when=located_at
    )
    built.pushed = _pushes(
        session,
        court=court,
        pool=_Pool(built.located, judge),
        demo=demo,
        demo_grids=demo_grids,
        other_grids=other_grids,
        rng=rng,
        key=key,
        clock=clock,
        name_of=name_of,
    )
    built.tasks = _tasks(
        session,
        judge=judge,
        located=built.located,
        demo=demo,
        demo_grids=demo_grids,
        other_grids=other_grids,
        clock=clock,
    )
    built.applications = _aid(session, court=court, rng=rng, clock=clock, avoid=avoid)
    _deliver(session, after=first_message, now=now)
    return built


def _deliver(session: Session, *, after: int, now: datetime) -> None:
    """Mark the messages queued here as sent a minute after they were written: the demo's events are all past."""
    session.flush()
    waiting = session.scalars(
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.id > after,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.created_at < now,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
    )
    for message in waiting:
        notices.mark_sent(session, message=message, now=message.created_at + timedelta(minutes=1))
    session.flush()
