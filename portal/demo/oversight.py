"""Demo oversight (代表委员特邀监督): a roster and supervised cases in every state, made by the services.

Why it is long: it is scripted demo data: one scenario after another, each written through the services.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import cards, invitations, onsite, overseers, questions, reports
from oversight.models import (
    EvaluationCard,
    Invitation,
    OnsiteAction,
    OnsiteMeasure,
    Overseer,
    OverseerKind,
    OverseerLevel,
    Rating,
)
from publicity.core.models import Court, Officer
from publicity.record import cases, funds, notices
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import (
    CaseStage,
    ClosureMode,
    EnforcementCase,
    FundDirection,
    NodeType,
    OutboxMessage,
    OutboxStatus,
    PartyKind,
    PartySide,
)

ACTOR = "seed-demo"
DEFAULT_LINK_BASE = "http://127.0.0.1:5000/oversight/invitations/"
# The messages the oversight services put in the outbox (all of the demo's are in the past: delivered).
MESSAGE_KINDS = (
    "oversight_invitation",
    "onsite_scheduled",
    "onsite_reminder",
    "card_answered",
    "question_answered",
    "closure_report",
)
S, B, U = Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.UNSATISFIED

# The roster beyond the five overseers demo.seed puts on it (the last one's term has ended).
MORE_OVERSEERS = (
    (OverseerKind.DEPUTY, OverseerLevel.COUNTY, "夏津县人大常委会 郑保屯镇代表组"),
    (OverseerKind.CPPCC, OverseerLevel.COUNTY, "政协夏津县委员会 经济界别"),
    (OverseerKind.DEPUTY, OverseerLevel.CITY, "德州市人大常委会 夏津代表团"),
    (OverseerKind.CPPCC, OverseerLevel.PROVINCE, "政协山东省委员会"),
    (OverseerKind.DEPUTY, OverseerLevel.COUNTY, "夏津县人大常委会 新盛店镇代表组"),
)
EMAIL_PREFIX = {
    OverseerLevel.COUNTY: "xj",
    OverseerLevel.CITY: "dz",
    OverseerLevel.PROVINCE: "sd",
    OverseerLevel.NATIONAL: "qg",
}


@dataclass
class OversightDemo:
    """What was built: the roster and the supervised cases by their role in the demo."""

    overseers: list[Overseer] = field(default_factory=list)
    cases: dict[str, EnforcementCase] = field(default_factory=dict)


def invitation_link_base() -> str:
    """The invitation link without its token, on the portal's public address (as the invite view builds it)."""
    from flask import current_app, has_app_context

    from portal.templating import external_url

    if not has_app_context():
        return DEFAULT_LINK_BASE
    with current_app.test_request_context():
        return external_url("overseer.invitation", token="x")[:-1]


class _Builder:
    """Calls the services at moments relative to ``now``, in the court's local time."""

    def __init__(self, session: Session, *, rng: random.Random, now: datetime, link_base: str) -> None:
        self.session, self.rng, self.now, self.link_base = session, rng, now, link_base

    def at(self, days: int, hour: int, minute: int = 0) -> datetime:
        """``days`` from today (negative: in the past) at ``hour:minute`` Beijing time, as UTC."""
        day = self.now.astimezone(COURT_ZONE).date() + timedelta(days=days)
        return datetime.combine(day, time(hour, minute), tzinfo=COURT_ZONE).astimezone(UTC)

    def invite(self, case: EnforcementCase, overseer: Overseer, when: datetime, message: str) -> Invitation:
        return invitations.invite(
            self.session,
            case=case,
            overseer=overseer,
            judge=_judge(case),
            message=message,
            link_base=self.link_base,
            now=when,
        ).invitation

    def supervise(
        self, case: EnforcementCase, overseer: Overseer, invited: datetime, accepted: datetime, message: str
    ) -> Invitation:
        invitation = self.invite(case, overseer, invited, message)
        return invitations.accept(self.session, invitation=invitation, now=accepted)

    def schedule(
        self, case: EnforcementCase, *, when: datetime, on: datetime, measure: OnsiteMeasure, place: str, officers: str
    ) -> OnsiteAction:
        return onsite.schedule(
            self.session,
            case=case,
            judge=_judge(case),
            scheduled_at=on,
            place=place,
            measure=measure,
            officers=officers,
            now=when,
        )

    def card(
        self,
        case: EnforcementCase,
        overseer: Overseer,
        when: datetime,
        ratings: tuple[Rating, ...],
        *,
        action: OnsiteAction | None = None,
        comments: str = "",
        suggestions: str = "",
        spoke_with_parties: bool = False,
    ) -> EvaluationCard:
        """Fill and submit a card: five dimensions then the overall impression, in the paper card's order."""
        draft = cards.draft_for(
            self.session, case=case, overseer=overseer, action=action, now=when - timedelta(minutes=25)
        )
        return cards.submit(
            self.session,
            card=draft,
            data=_card_data(
                ratings,
                action=action,
                comments=comments,
                suggestions=suggestions,
                spoke_with_parties=spoke_with_parties,
            ),
            now=when,
        )

    def answer_card(self, card: EvaluationCard, case: EnforcementCase, when: datetime, text: str) -> None:
        cards.answer(self.session, card=card, judge=_judge(case), text=text, now=when)

    def ask(
        self,
        case: EnforcementCase,
        overseer: Overseer,
        when: datetime,
        text: str,
        answered: datetime | None = None,
        answer: str = "",
    ) -> None:
        question = questions.ask(self.session, case=case, overseer=overseer, text=text, now=when)
        if answered is not None:
            questions.answer(self.session, question=question, judge=_judge(case), text=answer, now=answered)

    def talk(
        self, case: EnforcementCase, overseer: Overseer, side: PartySide, talked_on: datetime, summary: str
    ) -> None:
        party = next(p for p in case.parties if p.side == side)
        questions.record_talk(
            self.session,
            case=case,
            overseer=overseer,
            party_name=party.name,
            talked_on=talked_on,
            summary=summary,
            now=talked_on + timedelta(hours=2),
        )

    def node(
        self,
        case: EnforcementCase,
        node_type: NodeType,
        when: datetime,
        text: str,
        *,
        closure_mode: ClosureMode | None = None,
    ) -> None:
        cases.add_node(
            self.session,
            case=case,
            node_type=node_type,
            occurred_at=when,
            public_text=text,
            closure_mode=closure_mode,
            actor=ACTOR,
            now=when,
        )

    def perform_in_full(self, case: EnforcementCase, *, paid: datetime, paid_out: datetime, closed: datetime) -> None:
        """The respondent pays what is still owed, the court pays the applicant, the case closes as 执行完毕."""
        owed = case.amount_applied_fen - funds.received_by_case(self.session, [case.id]).get(case.id, 0)
        if owed > 0:
            funds.record_movement(
                self.session,
                case=case,
                direction=FundDirection.IN,
                counterparty="被执行人交纳执行款",
                amount_fen=owed,
                occurred_at=paid,
                reference=f"JK{self.rng.randint(10000, 99999)}",
                actor=ACTOR,
                now=paid,
            )
        held = funds.balance(self.session, case)
        if held > 0:
            applicant = next(p.name for p in case.parties if p.side == PartySide.APPLICANT)
            funds.record_movement(
                self.session,
                case=case,
                direction=FundDirection.OUT,
                counterparty=applicant,
                amount_fen=held,
                occurred_at=paid_out,
                reference=f"FF{self.rng.randint(10000, 99999)}",
                actor=ACTOR,
                now=paid_out,
            )
        self.node(
            case,
            NodeType.CLOSED,
            closed,
            "被执行人已全部履行，本案执行完毕。",
            closure_mode=ClosureMode.FULLY_PERFORMED,
        )


def _judge(case: EnforcementCase) -> Officer:
    assert case.judge is not None  # the pool holds cases with a judge only
    return case.judge


def _respondent_is_entity(case: EnforcementCase) -> bool:
    return next(p for p in case.parties if p.side == PartySide.RESPONDENT).kind == PartyKind.ENTITY


def _message(case: EnforcementCase, text: str) -> str:
    """The invitation's message; a hard case (骨头案) says so."""
    return ("本案系我院重点攻坚的“骨头案”。" if case.hard_case else "") + text


def _card_data(
    ratings: tuple[Rating, ...],
    *,
    action: OnsiteAction | None,
    comments: str,
    suggestions: str,
    spoke_with_parties: bool,
) -> cards.CardData:
    return cards.CardData(
        ratings=dict(zip(cards.RATED, ratings, strict=True)),
        witnessed_on_site=action is not None,
        spoke_with_parties=spoke_with_parties,
        comments=comments,
        suggestions=suggestions,
    )


class _Contact(TypedDict):
    phone: str
    email: str


def _contact(rng: random.Random, kind: OverseerKind, level: OverseerLevel, number: int) -> _Contact:
    """A fake mobile (138...) and an example.org address like ``xjrd03`` (夏津 人大, the third on the roster)."""
    body = "rd" if kind == OverseerKind.DEPUTY else "zx"
    return {
        "phone": f"138{rng.randint(0, 99_999_999):08d}",
        "email": f"{EMAIL_PREFIX[level]}{body}{number:02d}@example.org",
    }


def _roster(
    session: Session,
    *,
    court: Court,
    roster: list[Overseer],
    rng: random.Random,
    appointed: datetime,
    term_ended: datetime,
    name_of: Callable[[random.Random], str],
) -> list[Overseer]:
    """Give the existing overseers contact details, add five more, and retire one whose term ended."""
    everyone = list(roster)
    for number, overseer in enumerate(roster, start=1):
        overseers.update_overseer(
            session,
            overseer=overseer,
            name=overseer.name,
            kind=overseer.kind,
            level=overseer.level,
            unit=overseer.unit,
            active=True,
            actor=ACTOR,
            now=appointed,
            **_contact(rng, overseer.kind, overseer.level, number),
        )
    for number, (kind, level, unit) in enumerate(MORE_OVERSEERS, start=len(roster) + 1):
        everyone.append(
            overseers.add_overseer(
                session,
                court=court,
                name=name_of(rng),
                kind=kind,
                level=level,
                unit=unit,
                actor=ACTOR,
                now=appointed,
                **_contact(rng, kind, level, number),
            )
        )
    retired = everyone[-1]
    overseers.update_overseer(
        session,
        overseer=retired,
        name=retired.name,
        kind=retired.kind,
        level=retired.level,
        unit=retired.unit,
        phone=retired.phone,
        email=retired.email,
        active=False,
        actor=ACTOR,
        now=term_ended,
    )
    return everyone


class _Cases:
    """Open cases with a judge, handed out once each: the demo judge's first where wanted, hard cases (骨头案) first."""

    def __init__(self, session: Session, *, court: Court, judge: Officer, now: datetime, avoid: set[str]) -> None:
        self.judge, self.now = judge, now
        self.open = list(
            session.scalars(
                sa.select(EnforcementCase)
                .where(
                    EnforcementCase.court_id == court.id,
                    EnforcementCase.judge_id.is_not(None),
                    EnforcementCase.stage.not_in((CaseStage.CLOSED, CaseStage.TERMINATED_THIS_ROUND)),
                    EnforcementCase.number.not_in(sorted(avoid)),
                )
                .order_by(EnforcementCase.id)
            )
        )
        self.used: set[int] = set()

    def take(self, *, older_than_days: int, demo_judge: bool) -> EnforcementCase | None:
        """The first unused case filed long enough ago; ``demo_judge`` prefers the demo judge's, else others'."""

        def preference(case: EnforcementCase) -> tuple[bool, bool, int]:
            mine = case.judge_id == self.judge.id
            if demo_judge:
                return (not mine, not case.hard_case, case.id)
            return (not case.hard_case, mine, case.id)

        limit = self.now - timedelta(days=older_than_days)
        fitting = [c for c in self.open if c.id not in self.used and c.filed_at <= limit]
        if not fitting:
            return None
        chosen = min(fitting, key=preference)
        self.used.add(chosen.id)
        return chosen


def seed_oversight(
    session: Session,
    *,
    court: Court,
    judge: Officer,
    roster: list[Overseer],
    rng: random.Random,
    now: datetime,
    link_base: str,
    name_of: Callable[[random.Random], str],
    avoid: set[str] | None = None,
) -> OversightDemo:
    """Add the demo's oversight: ``roster[0]`` is the ``deputy`` login's overseer, ``roster[1]`` the ``cppcc``
    login's; ``judge`` is the ``judge`` login's officer, who judges the supervised cases where the demo allows.
    Cases numbered in ``avoid`` (the printed showcase cases) are left alone. Every row is made by the services
    (so the audit trail and the outbox are as in real use), at times relative to ``now``."""
    b = _Builder(session, rng=rng, now=now, link_base=link_base)
    everyone = _roster(
        session,
        court=court,
        roster=roster,
        rng=rng,
        appointed=b.at(-200, 10),
        term_ended=b.at(-90, 10),
        name_of=name_of,
    )
    deputy, cppcc, city_deputy, city_cppcc, province_deputy = everyone[:5]
    county_deputy, county_cppcc, city_deputy_2, province_cppcc = everyone[5:9]
    built = OversightDemo(overseers=everyone)
    pool = _Cases(session, court=court, judge=judge, now=now, avoid=avoid or set())

    plan: tuple[tuple[str, int, bool, Callable[[_Builder, EnforcementCase, Mapping[str, Overseer]], None]], ...] = (
        ("active", 50, True, _active_case),
        ("reported", 75, True, _reported_case),
        ("states", 30, True, _invitation_states),
        ("report_due", 45, True, _report_due),
        ("pending", 4, False, _pending_invitations),
        ("other_judge", 40, False, _other_judge),
    )
    who = {
        "deputy": deputy,
        "cppcc": cppcc,
        "city_deputy": city_deputy,
        "city_cppcc": city_cppcc,
        "province_deputy": province_deputy,
        "county_deputy": county_deputy,
        "county_cppcc": county_cppcc,
        "city_deputy_2": city_deputy_2,
        "province_cppcc": province_cppcc,
    }
    for name, older_than_days, demo_judge, build in plan:
        case = pool.take(older_than_days=older_than_days, demo_judge=demo_judge)
        if case is None:  # a small demo (``--cases 4``) has too few cases for every story
            continue
        build(b, case, who)
        built.cases[name] = case
    _deliver(session, now=now)
    return built


def _deliver(session: Session, *, now: datetime) -> None:
    """Mark the oversight messages as sent a minute after they were written: the demo's events are all past."""
    session.flush()
    waiting = session.scalars(
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.kind.in_(MESSAGE_KINDS),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.created_at < now,
        )
        .order_by(OutboxMessage.id)
    )
    for message in waiting:
        notices.mark_sent(session, message=message, now=message.created_at + timedelta(minutes=1))
    session.flush()


# --- The stories ------------------------------------------------------------------------------------------------


def _active_case(b: _Builder, case: EnforcementCase, who: Mapping[str, Overseer]) -> None:
    """Under way: two overseers accepted (a third declined), a witnessed impound, cards (one amended), a
    question each, a talk with the applicant, and a search ahead that the deputy will witness."""
    judge = _judge(case)
    deputy, cppcc = who["deputy"], who["cppcc"]
    message = _message(case, "被执行人有履行能力却拒不履行、转移车辆规避执行，诚邀您全程监督。")
    b.supervise(case, deputy, b.at(-45, 9), b.at(-44, 20, 10), message)
    b.supervise(case, cppcc, b.at(-45, 9, 5), b.at(-43, 10, 30), message)
    declined = b.invite(case, who["city_deputy"], b.at(-45, 9, 10), message)
    invitations.decline(
        b.session,
        invitation=declined,
        reason="本月随市人大常委会赴外地开展执法检查，时间冲突，抱歉。",
        now=b.at(-43, 15, 40),
    )

    impound = b.schedule(
        case,
        when=b.at(-38, 16),
        on=b.at(-30, 9),
        measure=OnsiteMeasure.IMPOUND,
        place="夏津县银城街道某汽修厂院内（被执行人车辆停放处）",
        officers=f"{judge.name}（承办法官）、书记员1名、法警2名",
    )
    onsite.respond(b.session, action=impound, overseer_id=deputy.id, coming=True, now=b.at(-37, 8, 45))
    onsite.respond(b.session, action=impound, overseer_id=cppcc.id, coming=True, now=b.at(-36, 19, 20))
    b.node(case, NodeType.IMPOUND, b.at(-30, 10, 40), "依法扣押被执行人名下小型轿车一辆。")
    onsite.record_outcome(
        b.session,
        action=impound,
        judge=judge,
        now=b.at(-30, 15),
        outcome="车辆已扣押并移至法院停车场，被执行人当场承诺十日内提出还款方案；全程执法记录仪录像。",
    )
    onsite.record_witnessed(b.session, action=impound, overseer_id=deputy.id, witnessed=True, now=b.at(-30, 18))
    onsite.record_witnessed(b.session, action=impound, overseer_id=cppcc.id, witnessed=True, now=b.at(-29, 9, 10))

    on_site = b.card(
        case,
        deputy,
        b.at(-29, 20, 30),
        (S, S, S, S, S, S),
        action=impound,
        comments="执行人员出示证件、告知权利义务，现场秩序良好，扣押过程规范。",
    )
    b.answer_card(on_site, case, b.at(-27, 10, 15), "感谢代表的肯定，我们将继续规范现场执行。")
    first = b.card(
        case,
        cppcc,
        b.at(-28, 21),
        (S, S, B, S, B, B),
        spoke_with_parties=True,
        comments="扣押后处置进度偏慢，申请人仍未拿到执行款。",
        suggestions="建议尽快启动评估拍卖程序。",
    )
    b.answer_card(
        first, case, b.at(-25, 16, 20), "已于扣押当周委托评估机构，评估报告预计本月内出具，届时依法上网拍卖。"
    )
    b.talk(
        case,
        deputy,
        PartySide.APPLICANT,
        b.at(-26, 15),
        "申请人表示扣押车辆后被执行人已主动联系，希望法院尽快处置，对法院工作总体认可。",
    )
    b.ask(
        case,
        deputy,
        b.at(-20, 9, 30),
        "被扣押车辆是否已评估？预计何时拍卖？",
        b.at(-19, 17, 5),
        "评估机构已完成现场勘验，报告出具后将在淘宝司法拍卖平台挂拍，届时另行告知。",
    )
    amendment = cards.amend(b.session, card=first, now=b.at(-4, 19, 40))
    cards.submit(
        b.session,
        card=amendment,
        now=b.at(-4, 20),
        data=_card_data(
            (S, S, S, S, B, S),
            action=None,
            spoke_with_parties=True,
            suggestions="建议拍卖后尽快发放执行款。",
            comments="经了解评估已完成，处置进度比此前明显加快，修改评价。",
        ),
    )
    b.ask(case, cppcc, b.at(-2, 10, 10), "被执行人提出的还款方案是否已经收到？申请人是否同意？")

    premises = "夏津县南城镇被执行企业经营场所" if _respondent_is_entity(case) else "夏津县南城镇被执行人住所"
    search = b.schedule(
        case,
        when=b.at(-2, 15),
        on=b.at(3, 9),
        measure=OnsiteMeasure.SEARCH,
        place=premises,
        officers=f"{judge.name}（承办法官）、法警3名",
    )
    onsite.respond(b.session, action=search, overseer_id=deputy.id, coming=True, now=b.at(-1, 9, 20))


def _reported_case(b: _Builder, case: EnforcementCase, who: Mapping[str, Overseer]) -> None:
    """Closed: a witnessed seizure, a satisfied and an unsatisfied card (both answered), full performance,
    the closure report filed; one overseer has acknowledged it, the deputy not yet."""
    judge = _judge(case)
    deputy, other = who["deputy"], who["county_deputy"]
    message = _message(case, "本案被执行人抵触情绪明显，特邀请您监督执行。")
    entity = _respondent_is_entity(case)
    asset = "厂房" if entity else "商铺"
    b.supervise(case, deputy, b.at(-70, 10), b.at(-69, 8, 30), message)
    b.supervise(case, other, b.at(-70, 10, 5), b.at(-68, 11), message)
    b.ask(
        case,
        other,
        b.at(-66, 16),
        "被执行人名下是否查到可供执行的财产？",
        b.at(-64, 9, 40),
        f"网络查控发现被执行人名下有{asset}一处，拟近期现场查封。",
    )

    seizure = b.schedule(
        case,
        when=b.at(-62, 15),
        on=b.at(-55, 9, 30),
        measure=OnsiteMeasure.SEIZURE,
        place=f"夏津经济开发区被执行人{asset}",
        officers=f"{judge.name}（承办法官）、书记员1名、法警2名",
    )
    onsite.respond(b.session, action=seizure, overseer_id=deputy.id, coming=True, now=b.at(-61, 9))
    onsite.respond(b.session, action=seizure, overseer_id=other.id, coming=True, now=b.at(-60, 14, 30))
    b.node(case, NodeType.SEIZURE, b.at(-55, 10, 30), f"查封被执行人{asset}一处并张贴封条、公告。")
    onsite.record_outcome(
        b.session,
        action=seizure,
        judge=judge,
        now=b.at(-55, 16),
        outcome=f"{asset}已查封，张贴封条及公告；被执行人到场，表示愿意筹款履行。",
    )
    onsite.record_witnessed(b.session, action=seizure, overseer_id=deputy.id, witnessed=True, now=b.at(-55, 18))
    onsite.record_witnessed(b.session, action=seizure, overseer_id=other.id, witnessed=True, now=b.at(-55, 19))

    happy = b.card(case, deputy, b.at(-54, 20), (S, S, S, S, S, S), action=seizure)
    b.answer_card(happy, case, b.at(-52, 11), "感谢监督。")
    unhappy = b.card(
        case,
        other,
        b.at(-53, 21, 15),
        (S, S, U, S, B, B),
        comments="查封前进展较慢，申请人反映多次联系承办人未获答复。",
        suggestions="建议对重大案件建立进展定期告知机制。",
        spoke_with_parties=True,
    )
    b.answer_card(
        unhappy,
        case,
        b.at(-49, 10, 30),
        "意见收悉。前期因财产查控反馈滞后延误了查封，今后对重大案件每两周向申请人告知一次进展。",
    )
    b.talk(
        case,
        other,
        PartySide.RESPONDENT,
        b.at(-50, 14),
        ("被执行人法定代表人称企业经营困难" if entity else "被执行人称近年生意亏损")
        + f"，但愿意在{asset}不被拍卖的前提下筹款一次性履行。",
    )

    b.perform_in_full(case, paid=b.at(-16, 10), paid_out=b.at(-13, 15), closed=b.at(-12, 16))
    report = reports.file_report(
        b.session,
        case=case,
        judge=judge,
        now=b.at(-7, 11),
        summary=f"本案经现场查封{asset}后，被执行人筹款一次性履行全部义务，执行款已发放申请人，本案执行完毕。",
        response_to_cards="对“执行效率”不满意的意见，我院已建立重大案件进展两周一告知机制，并在本案中落实。",
    )
    reports.acknowledge(
        b.session,
        report=report,
        overseer=other,
        now=b.at(-5, 9, 30),
        remarks="结案报告内容翔实，执行效果良好；希望定期告知机制长期坚持。",
    )


def _invitation_states(b: _Builder, case: EnforcementCase, who: Mapping[str, Overseer]) -> None:
    """Invitations in every state on one case: accepted, expired, cancelled, pending; an overdue card."""
    judge = _judge(case)
    deputy = who["deputy"]
    message = _message(case, "本案申请人生活困难，社会关注度高，诚邀您监督。")
    b.supervise(case, deputy, b.at(-25, 9), b.at(-24, 21), message)
    b.invite(case, who["province_deputy"], b.at(-22, 10), message)  # never answered: expired 14 days later
    withdrawn = b.invite(case, who["city_cppcc"], b.at(-22, 10, 5), message)
    invitations.cancel(b.session, invitation=withdrawn, judge=judge, now=b.at(-21, 9, 15))
    b.talk(
        case,
        deputy,
        PartySide.RESPONDENT,
        b.at(-15, 10),
        "被执行人称暂无能力一次性履行，愿意先行支付部分款项，请求分期履行。",
    )
    b.card(
        case,
        deputy,
        b.at(-12, 20, 45),
        (S, S, B, S, B, B),
        spoke_with_parties=True,
        comments="申请人生活困难，至今未收到任何执行款，希望加快进度。",
    )  # unanswered, past its date
    b.ask(case, deputy, b.at(-5, 11), "分期履行方案是否已与申请人协商？首期款何时到位？")
    b.invite(case, who["county_cppcc"], b.at(-3, 9, 30), message)  # still pending
    summons = b.schedule(
        case,
        when=b.at(-6, 10),
        on=b.at(9, 14, 30),
        measure=OnsiteMeasure.SUMMONS,
        place="夏津县新盛店镇被执行人经营场所",
        officers=f"{judge.name}（承办法官）、法警4名",
    )
    onsite.respond(b.session, action=summons, overseer_id=deputy.id, coming=True, now=b.at(-4, 8, 10))


def _report_due(b: _Builder, case: EnforcementCase, who: Mapping[str, Overseer]) -> None:
    """Closed after a settlement three days ago: the judge's closure report is due."""
    judge = _judge(case)
    cppcc, city_deputy = who["cppcc"], who["city_deputy"]
    message = _message(case, "本案双方矛盾较深，特邀请您参与监督并了解当事人诉求。")
    b.supervise(case, cppcc, b.at(-40, 14), b.at(-39, 10), message)
    b.supervise(case, city_deputy, b.at(-40, 14, 5), b.at(-38, 16, 40), message)
    premises = "夏津县雷集镇被执行企业办公场所" if _respondent_is_entity(case) else "夏津县雷集镇被执行人住所"
    search = b.schedule(
        case,
        when=b.at(-36, 9),
        on=b.at(-30, 8, 30),
        measure=OnsiteMeasure.SEARCH,
        place=premises,
        officers=f"{judge.name}（承办法官）、法警2名",
    )
    onsite.respond(b.session, action=search, overseer_id=cppcc.id, coming=True, now=b.at(-35, 12))
    onsite.respond(b.session, action=search, overseer_id=city_deputy.id, coming=False, now=b.at(-34, 18))
    onsite.record_outcome(
        b.session,
        action=search,
        judge=judge,
        now=b.at(-30, 13),
        outcome="未发现可供执行的现金及贵重物品；现场组织双方协商，达成和解意向。",
    )
    onsite.record_witnessed(b.session, action=search, overseer_id=cppcc.id, witnessed=True, now=b.at(-30, 17))
    card = b.card(
        case,
        cppcc,
        b.at(-29, 19),
        (S, S, S, S, B, S),
        action=search,
        comments="法官现场释法说理，促成双方和解，效果较好。",
    )
    b.answer_card(card, case, b.at(-28, 9, 30), "感谢委员的支持，将督促被执行人按和解协议履行。")
    b.node(case, NodeType.SETTLEMENT, b.at(-20, 15), "双方当事人达成执行和解协议。")
    b.perform_in_full(case, paid=b.at(-8, 10), paid_out=b.at(-6, 10), closed=b.at(-3, 11))


def _pending_invitations(b: _Builder, case: EnforcementCase, who: Mapping[str, Overseer]) -> None:
    """Just invited: both demo overseers have an invitation waiting for their answer."""
    message = _message(case, "被执行人下落不明，执行难度大，诚邀您监督。")
    b.invite(case, who["deputy"], b.at(-2, 16), message)
    b.invite(case, who["cppcc"], b.at(-2, 16, 5), message)


def _other_judge(b: _Builder, case: EnforcementCase, who: Mapping[str, Overseer]) -> None:
    """Another judge's case supervised by city and provincial members; one declines as a relative of a party."""
    judge = _judge(case)
    city_cppcc, province_cppcc = who["city_cppcc"], who["province_cppcc"]
    entity = _respondent_is_entity(case)
    business = "被执行企业" if entity else "被执行人经营的门店"
    message = _message(case, f"本案{business}仍在经营，涉及多名债权人，诚邀您监督。")
    b.supervise(case, city_cppcc, b.at(-35, 10), b.at(-34, 9), message)
    b.supervise(case, province_cppcc, b.at(-35, 10, 5), b.at(-33, 20), message)
    declined = b.invite(case, who["city_deputy_2"], b.at(-35, 10, 10), message)
    invitations.decline(
        b.session, invitation=declined, reason="本人与被执行人系同村亲属，申请回避。", now=b.at(-33, 11)
    )
    b.ask(
        case,
        province_cppcc,
        b.at(-28, 15),
        f"{business}是否考虑活封活扣，避免停业？",
        b.at(-27, 10),
        "已对经营设备采取活封措施，不影响其正常经营。",
    )
    search = b.schedule(
        case,
        when=b.at(-22, 9),
        on=b.at(-15, 9),
        measure=OnsiteMeasure.SEARCH,
        place=f"夏津县{business}",
        officers=f"{judge.name}（承办法官）、法警2名",
    )
    onsite.respond(b.session, action=search, overseer_id=city_cppcc.id, coming=True, now=b.at(-21, 10))
    onsite.respond(b.session, action=search, overseer_id=province_cppcc.id, coming=False, now=b.at(-20, 16))
    onsite.record_outcome(
        b.session,
        action=search,
        judge=judge,
        now=b.at(-15, 14),
        outcome="调取账簿及往来凭证，查明应收账款一笔，已依法冻结。",
    )
    onsite.record_witnessed(b.session, action=search, overseer_id=city_cppcc.id, witnessed=True, now=b.at(-15, 18))
    onsite.record_witnessed(b.session, action=search, overseer_id=province_cppcc.id, witnessed=False, now=b.at(-14, 9))
    card = b.card(case, city_cppcc, b.at(-14, 20), (S, S, S, S, S, S), action=search)
    b.answer_card(card, case, b.at(-12, 10), "感谢委员监督。")
    b.card(
        case,
        province_cppcc,
        b.at(-2, 21),
        (S, S, B, S, S, S),
        comments="活封措施兼顾了正常经营，值得肯定；执行周期略长。",
    )
    impound = b.schedule(
        case,
        when=b.at(-1, 10),
        on=b.at(6, 9),
        measure=OnsiteMeasure.IMPOUND,
        place=f"夏津县{business}仓库",
        officers=f"{judge.name}（承办法官）、法警3名",
    )
    onsite.respond(b.session, action=impound, overseer_id=city_cppcc.id, coming=True, now=b.at(-1, 15))
