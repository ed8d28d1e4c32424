"""Demo data: a county court modelled on the seed article (夏津县人民法院, code 鲁1427)."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import overseers
from oversight.models import OverseerKind, OverseerLevel
from portal.demo.bounties import seed_bounties
from portal.demo.cases import DemoCase, seed_cases
from portal.demo.defaulters import generate as generate_defaulters
from portal.demo.grid import seed_grid
from portal.demo.oversight import invitation_link_base, seed_oversight
from portal.demo.restrictions import seed_restrictions
from portal.identity import accounts
from portal.models import Account, Role
from publicity.core import courts
from publicity.core.models import Court, OfficerKind
from publicity.lists import defaulters as defaulter_list
from publicity.lists import exposure, restrictions
from publicity.lists.models import DefaulterEntry, ExposureChannel, RemovalReason, RestrictionOrder

ACTOR = "seed-demo"
TEAMS = ("执行一团队", "执行二团队", "执行三团队", "执行四团队", "执行五团队")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国志红燕鹏飞宇凯延庆"


@dataclass
class DemoLogin:
    label: str
    username: str
    password: str


@dataclass
class DemoData:
    court: Court
    logins: list[DemoLogin] = field(default_factory=list)
    cases: list[DemoCase] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The printed demo logins (``<role in Chinese> <username> / <password>``) and cases."""
        return [f"{login.label} {login.username} / {login.password}" for login in self.logins] + [
            f"{case.number} 查询码 {case.query_code}" for case in self.cases
        ]


def has_data(session: Session) -> bool:
    """True when the database already holds courts or accounts."""
    return (
        session.execute(sa.select(sa.func.count()).select_from(Court)).scalar_one() > 0
        or session.execute(sa.select(sa.func.count()).select_from(Account)).scalar_one() > 0
    )


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _password(rng: random.Random) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "demo-" + "".join(rng.choice(alphabet) for _ in range(8))


def seed(
    session: Session,
    *,
    seed: int,
    now: datetime,
    key: bytes,
    cases: int = 300,
    defaulters: int = 0,
    id_key: bytes | None = None,
    link_base: str | None = None,
) -> DemoData:
    """Build the demo court, its officers and overseers, one account per role, its cases, their oversight, its
    grid liaisons and judicial aid."""
    rng = random.Random(seed)
    # Passwords come from their own stream so that adding demo data does not change them.
    password_rng = random.Random(f"passwords-{seed}")
    court = courts.add_court(
        session,
        code="鲁1427",
        name="夏津县人民法院",
        province="山东省",
        contact_phone="0534-12368",
        actor=ACTOR,
        now=now,
    )
    data = DemoData(court=court)

    officers = {}
    for team in TEAMS:
        officers[(team, OfficerKind.JUDGE)] = courts.add_officer(
            session, court=court, name=_name(rng), kind=OfficerKind.JUDGE, team=team, actor=ACTOR, now=now
        )
        for _ in range(2):  # the team's second clerk is the one kept (and given the demo login)
            officers[(team, OfficerKind.CLERK)] = courts.add_officer(
                session, court=court, name=_name(rng), kind=OfficerKind.CLERK, team=team, actor=ACTOR, now=now
            )

    roster = [
        overseers.add_overseer(
            session, court=court, name=_name(rng), kind=kind, level=level, unit=unit, actor=ACTOR, now=now
        )
        for kind, level, unit in (
            (OverseerKind.DEPUTY, OverseerLevel.COUNTY, "夏津县人大常委会 银城街道代表组"),
            (OverseerKind.CPPCC, OverseerLevel.COUNTY, "政协夏津县委员会 法制界别"),
            (OverseerKind.DEPUTY, OverseerLevel.CITY, "德州市人大常委会"),
            (OverseerKind.CPPCC, OverseerLevel.CITY, "政协德州市委员会"),
            (OverseerKind.DEPUTY, OverseerLevel.PROVINCE, "山东省人大常委会"),
        )
    ]

    judge = officers[(TEAMS[0], OfficerKind.JUDGE)]
    clerk = officers[(TEAMS[0], OfficerKind.CLERK)]
    # (label, username, role, name, officer, overseer, the staff member's own mobile)
    for label, username, role, name, officer_id, overseer_id, phone in (
        ("管理员", "admin", Role.ADMIN, "系统管理员", None, None, "13953400001"),
        ("执行法官", "judge", Role.JUDGE, judge.name, judge.id, None, "13953400002"),
        ("书记员", "clerk", Role.CLERK, clerk.name, clerk.id, None, "13953400003"),
        ("人大代表", "deputy", Role.OVERSEER, roster[0].name, None, roster[0].id, ""),
        ("政协委员", "cppcc", Role.OVERSEER, roster[1].name, None, roster[1].id, ""),
        ("网格员", "liaison", Role.LIAISON, _name(rng), None, None, ""),
        ("省级管理员", "province", Role.PROVINCE, "省法院信息管理员", None, None, "13953400009"),
    ):
        password = _password(password_rng)
        accounts.create_account(
            session,
            username=username,
            display_name=name,
            role=role,
            password=password,
            court=None if role == Role.PROVINCE else court,  # the province's, not one court's
            officer_id=officer_id,
            overseer_id=overseer_id,
            phone=phone,
            actor=ACTOR,
            now=now,
        )
        data.logins.append(DemoLogin(label, username, password))
    judges = [o for (team, kind), o in officers.items() if kind == OfficerKind.JUDGE]
    data.cases = seed_cases(
        session,
        court=court,
        judges=judges,
        count=cases,
        rng=random.Random(f"cases-{seed}"),
        key=key,
        name_of=_name,
        now=now,
    )
    seed_bounties(
        session, court=court, rng=random.Random(f"bounties-{seed}"), key=id_key or key, now=now, judge_id=judge.id
    )
    seed_restrictions(
        session, court=court, rng=random.Random(f"restrictions-{seed}"), key=id_key or key, now=now, name_of=_name
    )
    if defaulters:
        seed_defaulters(session, court=court, count=defaulters, seed=seed, key=id_key or key, now=now)
    seed_exposure(session, court=court, rng=random.Random(f"exposure-{seed}"), now=now)
    seed_oversight(
        session,
        court=court,
        judge=judge,
        roster=roster,
        rng=random.Random(f"oversight-{seed}"),
        now=now,
        link_base=link_base or invitation_link_base(),
        name_of=_name,
        avoid={c.number for c in data.cases},
    )
    seed_grid(
        session,
        court=court,
        judge=judge,
        rng=random.Random(f"grid-{seed}"),
        now=now,
        key=id_key or key,
        name_of=_name,
        avoid={c.number for c in data.cases},
    )
    return data


def seed_exposure(session: Session, *, court: Court, rng: random.Random, now: datetime, count: int = 9) -> int:
    """Feature a few public defaulter entries and restriction orders on the exposure board."""
    today = now.astimezone(defaulter_list.COURT_ZONE).date()
    entries = list(
        session.scalars(
            sa.select(DefaulterEntry)
            .where(DefaulterEntry.court_id == court.id, defaulter_list.public_clause(now))
            .order_by(DefaulterEntry.id)
            .limit(200)
        )
    )
    orders = list(
        session.scalars(
            sa.select(RestrictionOrder)
            .where(RestrictionOrder.court_id == court.id, restrictions.public_clause(now))
            .order_by(RestrictionOrder.id)
        )
    )
    chosen = rng.sample(entries, min(count - 2, len(entries))) + rng.sample(orders, min(2, len(orders)))
    for item in chosen:
        channels = rng.sample(list(ExposureChannel), rng.randint(1, 3))
        exposure.feature(
            session,
            court=court,
            channels=channels,
            exposed_on=today - timedelta(days=rng.randint(0, 60)),
            actor=ACTOR,
            now=now,
            **({"entry": item} if isinstance(item, DefaulterEntry) else {"order": item}),
        )
    return len(chosen)


def seed_defaulters(session: Session, *, court: Court, count: int, seed: int, key: bytes, now: datetime) -> int:
    """Generate list entries in bulk (a million in a few minutes); some removed, some expired."""
    from publicity.core import audit as audit_trail
    from publicity.lists import defaulters as defaulter_list

    generated = list(generate_defaulters(count, seed=seed, court_code=court.code, now=now))
    rows = defaulter_list.bulk_rows(
        court, (d for d, _ in generated), key=key, now=now, published_at=(p for _, p in generated)
    )
    inserted = defaulter_list.bulk_insert(session, rows)
    # About one in twelve has been removed since (performed, settled, revoked ...).
    removed_ids = list(
        session.scalars(
            sa.select(DefaulterEntry.id).where(DefaulterEntry.court_id == court.id, DefaulterEntry.id % 12 == 0)
        )
    )
    for start in range(0, len(removed_ids), 5000):
        chunk = removed_ids[start : start + 5000]
        session.execute(
            sa.update(DefaulterEntry)
            .where(DefaulterEntry.id.in_(chunk))
            .values(
                removal_reason=RemovalReason.PERFORMED, removal_ground_at=now, removal_due=now.date(), removed_at=now
            )
        )
    audit_trail.record(
        session,
        actor=ACTOR,
        action="defaulter.bulk_seed",
        object_type="defaulter_entry",
        object_id="*",
        changes={"inserted": inserted, "removed": len(removed_ids)},
        chain=court.code,
        now=now,
    )
    defaulter_list.bump_version(session)
    return inserted
