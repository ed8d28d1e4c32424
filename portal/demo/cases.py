"""Demo enforcement cases: a year's flow at a county court, reproducible from a seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from publicity.core.models import Court, Officer
from publicity.lists.names import CREDIT_ALPHABET, credit_check_char
from publicity.record import cases, funds, lookup
from publicity.record.models import (
    ClosureMode,
    EnforcementCase,
    FundDirection,
    NodeType,
    PartyKind,
    PartySide,
    SearchTarget,
)

ACTOR = "seed-demo"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
COMPANIES = (
    "夏津县{}商贸有限公司",
    "德州{}建筑工程有限公司",
    "山东{}棉业有限公司",
    "夏津{}纺织有限公司",
    "夏津县{}农业专业合作社",
    "德州市{}物流有限公司",
)
COMPANY_WORDS = ["恒泰", "鑫源", "瑞丰", "宏达", "金穗", "银河", "华信", "东升", "润丰", "永盛", "嘉禾", "万通"]
BASES = ("夏津县人民法院", "德州市中级人民法院", "德州仲裁委员会", "夏津县公证处")
CAUSES = (
    "民间借贷纠纷",
    "买卖合同纠纷",
    "劳务合同纠纷",
    "机动车交通事故责任纠纷",
    "追索劳动报酬纠纷",
    "离婚后财产纠纷",
)


@dataclass(frozen=True)
class DemoCase:
    number: str
    query_code: str


def _id_number(rng: random.Random, birth_year: int) -> str:
    body = f"371427{birth_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _credit_code(rng: random.Random) -> str:
    body = "91371427" + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(9))
    return body + credit_check_char(body)


def _party(rng: random.Random, side: PartySide, name_of: Callable[[random.Random], str]) -> cases.PartyData:
    if rng.random() < 0.3:
        return cases.PartyData(
            side=side,
            kind=PartyKind.ENTITY,
            name=rng.choice(COMPANIES).format(rng.choice(COMPANY_WORDS)),
            credit_code=_credit_code(rng),
            legal_representative=name_of(rng),
            phone=f"0534-{rng.randint(2000000, 8999999)}",
            address=f"夏津县银城街道{rng.randint(1, 300)}号",
        )
    return cases.PartyData(
        side=side,
        kind=PartyKind.PERSON,
        name=name_of(rng),
        sex=rng.choice(("male", "female")),
        id_number=_id_number(rng, rng.randint(1955, 2000)),
        phone=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
        address=f"夏津县{rng.choice(('南城镇', '新盛店镇', '雷集镇', '郑保屯镇', '白马湖镇'))}{rng.randint(1, 60)}号",
    )


def seed_cases(
    session: Session,
    *,
    court: Court,
    judges: list[Officer],
    count: int,
    rng: random.Random,
    key: bytes,
    name_of: Callable[[random.Random], str],
    now: datetime,
    showcase: int = 3,
) -> list[DemoCase]:
    """File ``count`` cases over the past year and move each along as far as its age allows."""
    printed: list[DemoCase] = []
    serials: dict[int, int] = {}
    start = now - timedelta(days=400)
    for i in range(count):
        filed_at = start + timedelta(minutes=rng.randint(0, 399 * 24 * 60))
        if i < showcase:  # recent cases with a short, readable history come first
            filed_at = now - timedelta(days=12 + 9 * i, hours=rng.randint(1, 8))
        year = filed_at.year
        serials[year] = serials.get(year, 0) + 1
        judge = rng.choice(judges)
        case = cases.file_case(
            session,
            court=court,
            number=f"（{year}）{court.code}执{serials[year]}号",
            basis_issuer=rng.choice(BASES),
            basis_number=f"（{year - 1}）鲁1427民初{rng.randint(100, 4000)}号",
            amount_applied_fen=rng.randint(5_000, 2_000_000) * 100,
            filed_at=filed_at,
            parties=[_party(rng, PartySide.APPLICANT, name_of), _party(rng, PartySide.RESPONDENT, name_of)],
            judge=judge,
            hard_case=rng.random() < 0.03,
            actor=ACTOR,
            now=filed_at,
        )
        code = "".join(rng.choice(lookup.ALPHABET) for _ in range(lookup.CODE_LENGTH))
        for party in case.parties:
            party_code = code if party.side == PartySide.APPLICANT else None
            lookup.issue_query_code(
                session,
                party=party,
                key=key,
                actor=ACTOR,
                now=filed_at,
                code=party_code or "".join(rng.choice(lookup.ALPHABET) for _ in range(10)),
            )
        _progress(session, case, rng, now=now)
        if i < showcase:
            printed.append(DemoCase(case.number, code))
    return printed


def _progress(session: Session, case: EnforcementCase, rng: random.Random, *, now: datetime) -> None:
    """Add the nodes a case of this age would have, with the usual slips on deadlines."""
    t = case.filed_at
    age = now - t

    def step(
        node_type: NodeType,
        days: float,
        text: str,
        *,
        search_target: SearchTarget | None = None,
        closure_mode: ClosureMode | None = None,
    ) -> bool:
        nonlocal t
        moment = t + timedelta(days=days, minutes=rng.randint(10, 300))
        if moment >= now:
            return False
        t = moment
        cases.add_node(
            session,
            case=case,
            node_type=node_type,
            occurred_at=t,
            public_text=text,
            search_target=search_target,
            closure_mode=closure_mode,
            actor=ACTOR,
            now=t,
        )
        return True

    slow = rng.random() < 0.12  # some cases miss the 2- and 3-day clocks
    if not step(NodeType.SEARCH_STARTED, 3.5 if slow else 0.6, "已通过全国法院网络执行查控系统启动查询。"):
        return
    for target in SearchTarget:
        if not step(NodeType.SEARCH_COMPLETED, 0.4 if not slow else 1.5, "查询已完成。", search_target=target):
            return
    if not step(NodeType.NOTICE_SERVED, 0.5, "已向被执行人送达执行通知书。"):
        return
    if not step(NodeType.ASSET_REPORT_ORDERED, 0.1, "已责令被执行人申报财产。"):
        return
    if not step(NodeType.TEAM_ASSIGNED, 2, f"移交{case.team or '执行实施团队'}办理。"):
        return
    outcome = rng.random()
    if outcome < 0.5 and age > timedelta(days=20):
        step(NodeType.FREEZE, 3, "冻结被执行人银行存款。")
        amount = case.amount_applied_fen if rng.random() < 0.6 else case.amount_applied_fen // rng.randint(2, 5)
        if step(NodeType.DEDUCTION, 2, "划拨被执行人存款。"):
            funds.record_movement(
                session,
                case=case,
                direction=FundDirection.IN,
                counterparty="被执行人账户划拨",
                amount_fen=amount,
                occurred_at=t,
                reference=f"HB{rng.randint(10000, 99999)}",
                actor=ACTOR,
                now=t,
            )
            payee = next(p.name for p in case.parties if p.side == PartySide.APPLICANT)
            t_out = t + timedelta(days=5)
            if t_out < now:
                funds.record_movement(
                    session,
                    case=case,
                    direction=FundDirection.OUT,
                    counterparty=payee,
                    amount_fen=amount,
                    occurred_at=t_out,
                    reference=f"FF{rng.randint(10000, 99999)}",
                    actor=ACTOR,
                    now=t_out,
                )
                t = t_out
                # 执行完毕 only once the money is paid out: a case holding money is not closed as performed.
                if amount == case.amount_applied_fen:
                    step(
                        NodeType.CLOSED,
                        2,
                        "被执行人已全部履行，本案执行完毕。",
                        closure_mode=ClosureMode.FULLY_PERFORMED,
                    )
    elif outcome < 0.75 and age > timedelta(days=130):
        step(NodeType.CONSUMPTION_RESTRICTION, 5, "对被执行人发出限制消费令。")
        step(NodeType.DEFAULTER_LISTING, 2, "将被执行人纳入失信被执行人名单。")
        step(NodeType.APPLICANT_HEARD, 60, "已听取申请执行人意见。")
        target_day = case.filed_at + timedelta(days=100)
        if target_day > t:
            t = target_day
        step(NodeType.TERMINATED_THIS_ROUND, 1, "经穷尽财产调查措施，未发现可供执行的财产，本次执行程序终结。")
    elif outcome < 0.85 and age > timedelta(days=40):
        step(NodeType.SETTLEMENT, 10, "双方当事人达成执行和解协议。")
    elif age > timedelta(days=30):
        step(NodeType.SEIZURE, 4, "查封被执行人名下房产一处。")
        if step(NodeType.APPRAISAL, 15, "委托评估机构对查封房产进行评估。"):
            step(NodeType.AUCTION_LISTED, 20, "查封房产在网络司法拍卖平台公开拍卖。")
