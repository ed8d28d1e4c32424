"""Each race test's own data, made through the domain services in the server's database: a court of its own (a new
code per test), its judge and clerk with accounts, a case with an applicant and a respondent, overseers... Nothing
is shared between tests, so nothing needs emptying, and each test reads back only its own rows."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oversight import invitations, overseers
from oversight.models import Invitation, Overseer, OverseerKind
from portal.identity import accounts
from portal.models import Account, Role
from publicity.core import courts
from publicity.core.models import AuditRecord, Officer, OfficerKind
from publicity.lists import defaulters
from publicity.lists.models import DefaulterEntry
from publicity.outreach import grid
from publicity.outreach.models import GridKind
from publicity.record import cases, lookup, notices
from publicity.record.deadlines import COURT_ZONE
from publicity.record.models import (
    Channel,
    EnforcementCase,
    OutboxMessage,
    Party,
    PartyKind,
    PartySide,
    SubscriptionTopic,
)
from tests.factories import PASSWORD, entry_data, pid
from tests.faults.servers import SECRET_KEY

KEY = SECRET_KEY.encode()  # the portal's query-code and ID-search key (both fall back to SECRET_KEY)
LINK_BASE = "http://127.0.0.1/oversight/invitations/"
_serial = itertools.count(1)  # one per World: courts, usernames and phone numbers of their own
_phones = itertools.count(1)


def now() -> datetime:
    return datetime.now(UTC)


def today() -> str:
    """Today in the court's time zone, as a date field takes it."""
    return now().astimezone(COURT_ZONE).date().isoformat()


def phone() -> str:
    """A mobile number nobody else in this test run has."""
    return f"139{next(_phones):08d}"


@dataclass
class Staff:
    officer: Officer
    username: str


class World:
    """A court of the test's own and what the test adds to it, in ``session`` (committed by the caller)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.n = next(_serial)
        self.now = now()
        self.court = courts.add_court(
            session, code=f"苏{self.n:04d}", name=f"第{self.n}测试法院", province="江苏省", actor="races", now=self.now
        )

    def _name(self, role: str) -> str:
        return f"r{self.n}{role}"

    def officer(self, kind: OfficerKind, role: Role, label: str) -> Staff:
        """An officer of the court with an account (password ``PASSWORD``)."""
        officer = courts.add_officer(
            self.session, court=self.court, name=f"{label}{self.n}", kind=kind, actor="races", now=self.now
        )
        username = self._name(label)
        accounts.create_account(
            self.session,
            username=username,
            display_name=officer.name,
            role=role,
            password=PASSWORD,
            court=self.court,
            officer_id=officer.id,
            actor="races",
            now=self.now,
        )
        return Staff(officer, username)

    def judge(self, label: str = "judge") -> Staff:
        return self.officer(OfficerKind.JUDGE, Role.JUDGE, label)

    def clerk(self, label: str = "clerk") -> Staff:
        return self.officer(OfficerKind.CLERK, Role.CLERK, label)

    def case(self, judge: Staff | None = None, *, serial: int = 1) -> EnforcementCase:
        """A case filed 40 days ago: an applicant (a person with a phone) and a respondent (an adult with an ID)."""
        filed = self.now - timedelta(days=40)
        return cases.file_case(
            self.session,
            court=self.court,
            number=f"（2026）{self.court.code}执{serial}号",
            basis_issuer="测试县人民法院",
            basis_number="（2025）苏0001民初1号",
            amount_applied_fen=500_000_00,
            filed_at=filed,
            judge=judge.officer if judge else None,
            actor="races",
            now=filed,
            parties=[
                cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="孙申请", phone=phone()),
                cases.PartyData(
                    side=PartySide.RESPONDENT,
                    kind=PartyKind.PERSON,
                    name="张被执",
                    sex="male",
                    id_number=pid("19800101", f"{self.n % 1000:03d}"),
                    phone=phone(),
                ),
            ],
        )

    def overseer(self, label: str = "ov", *, account: bool = True) -> tuple[Overseer, str]:
        """A deputy on the roster reachable by SMS, with an account unless ``account`` is false."""
        overseer = overseers.add_overseer(
            self.session,
            court=self.court,
            name=f"监督{label}{self.n}",
            kind=OverseerKind.DEPUTY,
            phone=phone(),
            actor="races",
            now=self.now,
        )
        username = self._name(label)
        if account:
            accounts.create_account(
                self.session,
                username=username,
                display_name=overseer.name,
                role=Role.OVERSEER,
                password=PASSWORD,
                court=self.court,
                overseer_id=overseer.id,
                actor="races",
                now=self.now,
            )
        return overseer, username

    def invite(self, case: EnforcementCase, overseer: Overseer) -> invitations.Sent:
        assert case.judge is not None
        return invitations.invite(
            self.session,
            case=case,
            overseer=overseer,
            judge=case.judge,
            message="请监督本案执行。",
            link_base=LINK_BASE,
            now=self.now,
        )

    def supervise(self, case: EnforcementCase, overseer: Overseer) -> Invitation:
        """Invite the overseer and accept at once."""
        return invitations.accept(self.session, invitation=self.invite(case, overseer).invitation, now=self.now)

    def query_code(self, party: Party) -> str:
        return lookup.issue_query_code(self.session, party=party, key=KEY, actor="races", now=self.now)

    def listings_subscription(self, case: EnforcementCase) -> str:
        """The applicant subscribes a phone to the respondent's listing events; return the phone."""
        address = phone()
        notices.subscribe(
            self.session,
            case=case,
            party=side(case, PartySide.APPLICANT),
            channel=Channel.SMS,
            address=address,
            topic=SubscriptionTopic.LISTINGS,
            locale="zh_CN",
            now=self.now,
        )
        return address

    def entry(self, case: EnforcementCase) -> DefaulterEntry:
        """The case's respondent on the defaulter list, public since yesterday."""
        respondent = side(case, PartySide.RESPONDENT)
        return defaulters.list_defaulter(
            self.session,
            court=self.court,
            data=entry_data(respondent.name, respondent.id_number, self.n, case_number=case.number),
            key=KEY,
            actor="races",
            now=self.now - timedelta(days=1),
            case=case,
        )

    def liaison_for(self, party: Party) -> tuple[int, str]:
        """A grid liaison (SMS on) of the grid the party lives in; the liaison's id and phone."""
        township = grid.add_area(
            self.session, court=self.court, name=f"测试镇{self.n}", kind=GridKind.TOWNSHIP, actor="races", now=self.now
        )
        village = grid.add_area(
            self.session,
            court=self.court,
            name=f"测试村{self.n}",
            kind=GridKind.VILLAGE,
            parent=township,
            actor="races",
            now=self.now,
        )
        address = phone()
        liaison = grid.add_liaison(
            self.session,
            court=self.court,
            name=f"网格员{self.n}",
            phone=address,
            notify_sms=True,
            grids=[village],
            actor="races",
            now=self.now,
        )
        grid.locate_party(self.session, party=party, grid=village, actor="races", now=self.now)
        return liaison.id, address


def side(case: EnforcementCase, which: PartySide) -> Party:
    return next(p for p in case.parties if p.side == which)


# --- Reading back a test's own rows -----------------------------------------------------------------------------


def audits(session: Session, action: str, *, object_type: str, object_ids: object) -> list[AuditRecord]:
    """The audit records of ``action`` on these objects, in the order of the trail."""
    ids = [str(i) for i in (object_ids if isinstance(object_ids, list | tuple | set) else [object_ids])]
    return list(
        session.scalars(
            sa.select(AuditRecord)
            .where(AuditRecord.action == action, AuditRecord.object_type == object_type, AuditRecord.object_id.in_(ids))
            .order_by(AuditRecord.chain, AuditRecord.seq)
        )
    )


def audits_by(session: Session, action: str, *, actor: str) -> list[AuditRecord]:
    return list(
        session.scalars(
            sa.select(AuditRecord)
            .where(AuditRecord.action == action, AuditRecord.actor == actor)
            .order_by(AuditRecord.chain, AuditRecord.seq)
        )
    )


def outbox(
    session: Session, kind: str, *, recipients: list[str] | None = None, case_id: int | None = None
) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    if recipients is not None:
        query = query.where(OutboxMessage.recipient.in_(recipients))
    if case_id is not None:
        query = query.where(OutboxMessage.case_id == case_id)
    return list(session.scalars(query))


def account_of(session: Session, overseer_id: int) -> list[Account]:
    return list(session.scalars(sa.select(Account).where(Account.overseer_id == overseer_id)))
