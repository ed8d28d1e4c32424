"""Party lookup by case number and query code: hashed codes, one answer for every refusal, lockouts, audit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.models import AuditRecord, Base
from publicity.record import lookup
from publicity.record.lookup import LookupLocked, LookupPolicy, LookupRefused
from publicity.record.models import EnforcementCase, Party, PartySide
from tests.factories import NOW, file, make_court

KEY = b"test-key"
POLICY = LookupPolicy()
NUMBER = "（2026）鲁1427执1号"


@pytest.fixture
def filed_case(session: Session) -> EnforcementCase:
    return file(session, make_court(session), NUMBER)


@pytest.fixture
def applicant(filed_case: EnforcementCase) -> Party:
    return next(p for p in filed_case.parties if p.side == PartySide.APPLICANT)


def issue(session: Session, party: Party, *, now: datetime = NOW) -> str:
    code = lookup.issue_query_code(session, party=party, key=KEY, actor="clerk", now=now)
    session.commit()
    return code


def attempt(
    session: Session, code: str, *, number: str = NUMBER, ip: str = "10.0.0.1", now: datetime = NOW
) -> tuple[EnforcementCase, Party]:
    """One lookup as the web layer makes it: its transaction is committed whatever the outcome."""
    try:
        return lookup.lookup(session, case_number=number, code=code, key=KEY, ip=ip, policy=POLICY, now=now)
    finally:
        session.commit()


def wrong(code: str) -> str:
    """A valid-looking code that is not ``code``."""
    return ("A" if code[0] != "A" else "C") + code[1:]


def test_the_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL") & set(lookup.ALPHABET)
    assert len(set(lookup.ALPHABET)) == len(lookup.ALPHABET)


def test_a_query_code_is_ten_readable_characters_stored_only_as_a_hash(session: Session, applicant: Party) -> None:
    code = issue(session, applicant)
    assert len(code) == 10 and set(code) <= set(lookup.ALPHABET)
    session.expire_all()
    assert applicant.query_code_hash and applicant.query_code_hash != code
    assert applicant.query_code_issued_at == NOW
    for table in Base.metadata.sorted_tables:
        for row in session.execute(sa.select(table)):
            assert not any(code in str(value) for value in row), f"the code is stored in {table.name}"


def test_codes_differ_between_parties_and_issues(session: Session, filed_case: EnforcementCase) -> None:
    codes = {issue(session, party) for party in filed_case.parties for _ in range(3)}
    assert len(codes) == 6


@pytest.mark.parametrize(
    ("number", "typed"),
    [
        ("（2026）鲁1427执1号", "{code}"),
        ("(2026)鲁1427执1号", "{lower}"),
        (" (2026) 鲁1427 执1号", " {spaced} "),
    ],
)
def test_the_party_finds_the_case_in_any_spelling(
    session: Session, filed_case: EnforcementCase, applicant: Party, number: str, typed: str
) -> None:
    code = issue(session, applicant)
    entered = typed.format(code=code, lower=code.lower(), spaced=f"{code[:5]} {code[5:]}".lower())
    case, party = attempt(session, entered, number=number)
    assert case.id == filed_case.id and party.id == applicant.id


def test_each_party_is_recognised_by_its_own_code(session: Session, filed_case: EnforcementCase) -> None:
    applicant, respondent = filed_case.parties
    codes = {party.id: issue(session, party) for party in (applicant, respondent)}
    assert attempt(session, codes[respondent.id])[1].id == respondent.id
    assert attempt(session, codes[applicant.id])[1].id == applicant.id


def test_a_reissued_code_replaces_the_old_one(session: Session, applicant: Party) -> None:
    old = issue(session, applicant)
    new = issue(session, applicant, now=NOW + timedelta(minutes=1))
    with pytest.raises(LookupRefused):
        attempt(session, old)
    assert attempt(session, new)[1].id == applicant.id
    actions = [r.action for r in audit.page(session, object_type="party")]
    assert actions == ["query_code.reissue", "query_code.issue"]


def test_a_party_without_a_code_is_never_matched(
    session: Session, filed_case: EnforcementCase, applicant: Party
) -> None:
    issue(session, applicant)
    respondent = next(p for p in filed_case.parties if p.side == PartySide.RESPONDENT)
    assert respondent.query_code_hash is None
    for typed in ("", " "):
        with pytest.raises(LookupRefused):
            attempt(session, typed)


def test_an_unknown_case_and_a_wrong_code_get_the_same_answer(session: Session, applicant: Party) -> None:
    code = issue(session, applicant)
    with pytest.raises(LookupRefused) as unknown_case:
        attempt(session, code, number="（2026）鲁1427执999号")
    with pytest.raises(LookupRefused) as wrong_code:
        attempt(session, wrong(code))
    assert type(unknown_case.value) is type(wrong_code.value)
    assert str(unknown_case.value) == str(wrong_code.value)
    assert unknown_case.value.message == wrong_code.value.message and unknown_case.value.params == {}


def test_five_failures_lock_the_case_until_the_window_passes(session: Session, applicant: Party) -> None:
    code = issue(session, applicant)
    for i in range(POLICY.case_failures):
        with pytest.raises(LookupRefused):  # either spelling counts against the same case
            attempt(
                session,
                wrong(code),
                number=NUMBER if i % 2 else "(2026)鲁1427执1号",
                ip=f"10.0.1.{i}",
                now=NOW + timedelta(minutes=i),
            )
    with pytest.raises(LookupLocked) as locked:
        attempt(session, code, ip="10.9.9.9", now=NOW + timedelta(minutes=5))
    assert locked.value.until == NOW + POLICY.window
    with pytest.raises(LookupLocked):
        attempt(session, code, now=NOW + POLICY.window - timedelta(seconds=1))
    case, party = attempt(session, code, now=NOW + POLICY.window + timedelta(seconds=1))
    assert party.id == applicant.id


def test_a_locked_case_does_not_lock_other_cases(
    session: Session, filed_case: EnforcementCase, applicant: Party
) -> None:
    code = issue(session, applicant)
    other = file(session, filed_case.court, "（2026）鲁1427执2号")
    other_code = issue(session, other.parties[0])
    for _ in range(POLICY.case_failures):
        with pytest.raises(LookupRefused):
            attempt(session, wrong(code))
    with pytest.raises(LookupLocked):
        attempt(session, code)
    assert attempt(session, other_code, number="（2026）鲁1427执2号")[0].id == other.id


def test_twenty_failures_lock_the_address_across_cases(session: Session, applicant: Party) -> None:
    code = issue(session, applicant)
    for i in range(POLICY.ip_failures):  # 4 per case: no case reaches its own limit
        with pytest.raises(LookupRefused):
            attempt(session, "ACDEFGHJKM", number=f"（2026）鲁1427执{100 + i // 4}号", ip="10.6.6.6")
    with pytest.raises(LookupLocked):
        attempt(session, code, ip="10.6.6.6", now=NOW + timedelta(minutes=1))
    assert attempt(session, code, ip="10.7.7.7", now=NOW + timedelta(minutes=1))[1].id == applicant.id
    assert attempt(session, code, ip="10.6.6.6", now=NOW + POLICY.window + timedelta(seconds=1))[1].id == applicant.id


def test_every_attempt_is_audited_and_the_trail_stays_intact(
    session: Session, filed_case: EnforcementCase, applicant: Party
) -> None:
    code = issue(session, applicant)
    attempt(session, code, ip="10.0.0.8")
    for _ in range(POLICY.case_failures):
        with pytest.raises(LookupRefused):
            attempt(session, wrong(code), ip="10.0.0.9")
    with pytest.raises(LookupLocked):
        attempt(session, code, ip="10.0.0.9")
    with pytest.raises(LookupRefused):
        attempt(session, code, number="（2026）鲁1427执404号", ip="10.0.0.9")
    records = list(
        session.scalars(sa.select(AuditRecord).where(AuditRecord.action.like("case.lookup%")).order_by(AuditRecord.id))
    )
    assert [r.action for r in records] == (
        ["case.lookup"] + ["case.lookup_failed"] * 5 + ["case.lookup_locked", "case.lookup_failed"]
    )
    assert records[0].actor == f"party:{applicant.id}" and records[0].object_id == str(filed_case.id)
    assert {r.actor for r in records[1:]} == {"ip:10.0.0.9"}
    assert records[-1].object_id == "（2026）鲁1427执404号"
    assert all(code not in r.changes for r in records)
    assert audit.verify(session).ok
