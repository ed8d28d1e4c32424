"""Demo bounty notices: a few published on open demo cases, with clues from the public, and one awaiting decision."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core.models import Court
from publicity.lists import bounties
from publicity.lists.models import BountyNotice, RewardKind
from publicity.record.models import EnforcementCase, PartySide

ACTOR = "seed-demo"
CHANNELS = "夏津县人民法院网站、微信公众号；推送至被执行人住所地网格联络员"
FIXED_CONDITIONS = "提供被执行人下落线索，法院据此找到被执行人并执行到位的，按本公告金额给付悬赏金。"
SHARE_CONDITIONS = (
    "提供被执行人可供执行的财产线索（法院尚未掌握），经查证属实并执行到位的，按实际执行到位金额的比例给付悬赏金。"
)
CLUES = (
    "被执行人近期常在县城银城街道一带出现，驾驶一辆白色面包车。",
    "听说被执行人在南城镇承包了一片棉田，今年的棉花已经卖给了收购站。",
    "被执行人在德州市区开了一家五金店，用的是亲戚的名字。",
    "被执行人名下可能还有一台挖掘机，停在郑保屯镇一处院子里。",
    "被执行人每逢周末回新盛店镇老家。",
)
INFORMANTS = (("刘先生", "13905341234"), ("", ""), ("王女士", "13605347788"), ("", ""))


def seed_bounties(
    session: Session,
    *,
    court: Court,
    rng: random.Random,
    key: bytes,
    now: datetime,
    judge_id: int | None = None,
    published: int = 3,
) -> int:
    """Publish ``published`` notices (fixed sums and shares of the recovery) with a few clues each, and leave
    one more application awaiting the court's decision; return how many notices were created. The first
    notice is on a case of ``judge_id`` (the demo judge's login then shows informants' contacts)."""
    candidates = list(
        session.scalars(
            sa.select(EnforcementCase)
            .where(
                EnforcementCase.court_id == court.id,
                EnforcementCase.stage.not_in(bounties.ENDED_STAGES),
                EnforcementCase.filed_at < now - timedelta(days=40),
            )
            .order_by(EnforcementCase.id)
        )
    )
    chosen = rng.sample(candidates, min(published + 1, len(candidates)))
    own = [c for c in candidates if c.judge_id == judge_id]
    if own:  # the first notice, published with clues, is on one of the demo judge's cases
        mine = next((c for c in chosen if c.judge_id == judge_id), None) or rng.choice(own)
        chosen = [mine, *[c for c in chosen if c is not mine][:published]]
    for i, case in enumerate(chosen):
        applicant = next(p for p in case.parties if p.side == PartySide.APPLICANT)
        respondent = next(p for p in case.parties if p.side == PartySide.RESPONDENT)
        pending = i == published  # the last one still awaits the court's decision
        days_ago = rng.randint(2, 6) if pending else rng.randint(20, 35)
        applied_at = now - timedelta(days=days_ago, hours=rng.randint(1, 8))
        fixed = i % 2 == 0
        notice = bounties.apply(
            session,
            case=case,
            applicant=applicant,
            respondent=respondent,
            reward_kind=RewardKind.FIXED if fixed else RewardKind.PERCENTAGE,
            reward_fen=rng.choice((5_000, 10_000, 20_000)) * 100 if fixed else None,
            reward_basis_points=None if fixed else rng.choice((500, 800, 1000)),
            reward_cap_fen=None if fixed else rng.choice((None, 50_000 * 100)),
            conditions=FIXED_CONDITIONS if fixed else SHARE_CONDITIONS,
            channels=CHANNELS,
            key=key,
            actor=ACTOR,
            now=applied_at,
        )
        if pending:
            continue
        decided_at = applied_at + timedelta(days=rng.randint(2, 8))
        bounties.decide(session, notice=notice, grant=True, reasons="", actor=ACTOR, now=decided_at)
        _clues(session, notice, rng, start=decided_at, now=now)
    return len(chosen)


def _clues(session: Session, notice: BountyNotice, rng: random.Random, *, start: datetime, now: datetime) -> None:
    t = start
    for n in range(rng.randint(1, 3)):
        t = t + timedelta(days=rng.randint(1, 5), minutes=rng.randint(5, 600))
        if t >= now:
            return
        name, phone = rng.choice(INFORMANTS)
        bounties.submit_clue(
            session,
            notice=notice,
            text=rng.choice(CLUES),
            informant_name=name,
            informant_phone=phone,
            wants_reward=bool(name),
            ip=f"demo-{notice.id}-{n}",
            limits=(),
            now=t,
        )
