"""Bounty notices (执行悬赏): application and 10-day decision, clues with per-address limits, rewards, closure."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.errors import BadAttachment, InvalidAmount, ReasonsRequired
from publicity.core.models import AuditRecord, Court, ThrottleEvent
from publicity.lists import bounties
from publicity.lists.models import BountyClue, BountyNotice, BountyStatus, RewardKind, RewardPayment
from publicity.record import cases, funds
from publicity.record.models import ClosureMode, EnforcementCase, FundDirection, NodeType, Party, PartyKind, PartySide
from tests.factories import DAY, NOW, count, file, make_court, make_judge, node, terminate

KEY = b"test-id-search-key"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
COMPANY, COMPANY_CODE = "夏津县恒丰商贸有限公司", "91371427MA3C123459"  # the respondent of test_cases' file()


def parties(case: EnforcementCase) -> tuple[Party, Party]:
    return (
        next(p for p in case.parties if p.side == PartySide.APPLICANT),
        next(p for p in case.parties if p.side == PartySide.RESPONDENT),
    )


def apply(
    session: Session, case: EnforcementCase, *, now: datetime = NOW, respondent: Party | None = None, **reward: object
) -> BountyNotice:
    applicant, default_respondent = parties(case)
    reward = reward or {"reward_kind": RewardKind.FIXED, "reward_fen": 10_000_00}
    return bounties.apply(
        session,
        case=case,
        applicant=applicant,
        respondent=respondent or default_respondent,
        conditions="提供被执行人下落线索并执行到位的，给付悬赏金。",
        channels="法院网站",
        key=KEY,
        actor="clerk",
        now=now,
        **reward,
    )  # type: ignore[arg-type]


def publish(session: Session, case: EnforcementCase, *, now: datetime = NOW, **reward: object) -> BountyNotice:
    notice = apply(session, case, now=now, **reward)
    return bounties.decide(session, notice=notice, grant=True, reasons="", actor="judge", now=now + DAY)


def clue(
    session: Session,
    notice: BountyNotice,
    *,
    at: datetime,
    ip: str = "10.0.0.1",
    text: str = "他在县城开店。",
    **extra: object,
) -> BountyClue:
    return bounties.submit_clue(session, notice=notice, text=text, ip=ip, now=at, **extra)  # type: ignore[arg-type]


@pytest.fixture
def court(session: Session) -> Court:
    return make_court(session)


@pytest.fixture
def case(session: Session, court: Court) -> EnforcementCase:
    return file(session, court, judge=make_judge(session, court))


# --- Application and decision ---------------------------------------------------------------------------------


def test_the_court_decides_within_ten_days_of_the_application_in_court_time(
    session: Session, case: EnforcementCase
) -> None:
    notice = apply(session, case)
    assert notice.status == BountyStatus.APPLIED and notice.decision_due == date(2026, 3, 12)
    assert notice.respondent_name == COMPANY and notice.id_masked == "91371427MA****3459"
    assert notice.name_initials == "xjxhfsmyxgs" and notice.case_number == case.number
    # 01:00 in Shanghai on 2 March is still 1 March in UTC: the clock runs from the court's day.
    other = file(session, case.court, "（2026）鲁1427执2号")
    late_evening_utc = datetime(2026, 3, 1, 17, 0, tzinfo=NOW.tzinfo)
    assert apply(session, other, now=late_evening_utc).decision_due == date(2026, 3, 12)
    [record] = session.scalars(
        sa.select(AuditRecord).where(AuditRecord.action == "bounty.apply", AuditRecord.object_id == str(notice.id))
    )
    assert '"decision_due":"2026-03-12"' in record.changes


def test_the_clock_runs_from_the_day_the_written_application_arrived(session: Session, case: EnforcementCase) -> None:
    applicant, respondent = parties(case)
    notice = bounties.apply(
        session,
        case=case,
        applicant=applicant,
        respondent=respondent,
        reward_kind=RewardKind.FIXED,
        reward_fen=500_00,
        conditions="条件",
        key=KEY,
        actor="clerk",
        now=NOW,
        received_on=date(2026, 2, 25),
    )
    assert notice.decision_due == date(2026, 3, 7)
    with pytest.raises(bounties.FutureDate):
        bounties.apply(
            session,
            case=case,
            applicant=applicant,
            respondent=respondent,
            reward_kind=RewardKind.FIXED,
            reward_fen=500_00,
            conditions="条件",
            key=KEY,
            actor="clerk",
            now=NOW,
            received_on=date(2026, 3, 3),
        )


@pytest.mark.parametrize(
    "reward",
    [
        {"reward_kind": RewardKind.FIXED, "reward_fen": 0},
        {"reward_kind": RewardKind.FIXED, "reward_fen": None},
        {"reward_kind": RewardKind.FIXED, "reward_fen": 100, "reward_basis_points": 500},
        {"reward_kind": RewardKind.PERCENTAGE, "reward_basis_points": 0},
        {"reward_kind": RewardKind.PERCENTAGE, "reward_basis_points": 10_001},
        {"reward_kind": RewardKind.PERCENTAGE, "reward_basis_points": 500, "reward_cap_fen": 0},
        {"reward_kind": RewardKind.PERCENTAGE, "reward_basis_points": 500, "reward_fen": 100},
    ],
)
def test_a_reward_is_a_positive_sum_or_a_share_up_to_all(
    session: Session, case: EnforcementCase, reward: dict[str, object]
) -> None:
    with pytest.raises(bounties.InvalidReward):
        apply(session, case, **reward)
    assert count(session, BountyNotice) == 0


def test_an_application_names_the_cases_own_parties_and_its_conditions(session: Session, case: EnforcementCase) -> None:
    applicant, respondent = parties(case)
    other = file(session, case.court, "（2026）鲁1427执2号")
    _, stranger = parties(other)
    for a, r in ((respondent, respondent), (applicant, applicant), (applicant, stranger)):
        with pytest.raises(bounties.NotAParty):
            bounties.apply(
                session,
                case=case,
                applicant=a,
                respondent=r,
                reward_kind=RewardKind.FIXED,
                reward_fen=100,
                conditions="条件",
                key=KEY,
                actor="clerk",
                now=NOW,
            )
    with pytest.raises(bounties.ConditionsRequired):
        bounties.apply(
            session,
            case=case,
            applicant=applicant,
            respondent=respondent,
            reward_kind=RewardKind.FIXED,
            reward_fen=100,
            conditions="  ",
            key=KEY,
            actor="clerk",
            now=NOW,
        )
    assert count(session, BountyNotice) == 0


def test_one_open_bounty_per_respondent_and_case(session: Session, case: EnforcementCase) -> None:
    first = apply(session, case)
    with pytest.raises(bounties.BountyAlreadyOpen):
        apply(session, case)
    bounties.decide(session, notice=first, grant=False, reasons="申请人未提供担保。", actor="judge", now=NOW)
    assert apply(session, case).status == BountyStatus.APPLIED  # a new application after a rejection


def test_grant_publishes_now_and_reject_needs_reasons(session: Session, case: EnforcementCase) -> None:
    notice = apply(session, case)
    with pytest.raises(ReasonsRequired):
        bounties.decide(session, notice=notice, grant=False, reasons=" ", actor="judge", now=NOW + DAY)
    assert notice.status == BountyStatus.APPLIED and notice.published_at is None
    bounties.decide(session, notice=notice, grant=True, reasons="", actor="judge", now=NOW + DAY)
    assert notice.status == BountyStatus.PUBLISHED and notice.published_at == NOW + DAY
    assert notice.decided_by == "judge"
    with pytest.raises(bounties.NotAwaitingDecision):
        bounties.decide(session, notice=notice, grant=False, reasons="撤回", actor="judge", now=NOW + 2 * DAY)
    other = apply(session, file(session, case.court, "（2026）鲁1427执2号"))
    bounties.decide(session, notice=other, grant=False, reasons="线索已掌握，无需悬赏。", actor="judge", now=NOW)
    assert other.status == BountyStatus.REJECTED and other.published_at is None
    assert other.decision_reasons == "线索已掌握，无需悬赏。"
    changes = session.scalars(sa.select(AuditRecord.changes).where(AuditRecord.action == "bounty.decide")).all()
    assert len(changes) == 2 and all('"on_time":true' in c for c in changes)
    assert audit.verify(session).ok


def test_applications_awaiting_decision_most_urgent_first(session: Session, court: Court) -> None:
    made = []
    for serial, received in ((1, date(2026, 3, 1)), (2, date(2026, 2, 10)), (3, date(2026, 2, 20))):
        case = file(session, court, f"（2026）鲁1427执{serial}号")
        applicant, respondent = parties(case)
        made.append(
            bounties.apply(
                session,
                case=case,
                applicant=applicant,
                respondent=respondent,
                reward_kind=RewardKind.FIXED,
                reward_fen=100,
                conditions="条件",
                key=KEY,
                actor="clerk",
                now=NOW,
                received_on=received,
            )
        )
    publish(session, file(session, court, "（2026）鲁1427执4号"))
    other_court = make_court(session, code="鲁1401", name="德州市中级人民法院")
    apply(session, file(session, other_court, "（2026）鲁1401执1号"))
    pending = bounties.awaiting_decision(session, court_id=court.id)
    assert [n.id for n in pending] == [made[1].id, made[2].id, made[0].id]
    assert [n.decision_due for n in pending] == [date(2026, 2, 20), date(2026, 3, 2), date(2026, 3, 11)]


def test_an_ended_case_takes_no_bounty(session: Session, case: EnforcementCase) -> None:
    terminate(session, case)
    with pytest.raises(bounties.CaseNotOpen):
        apply(session, case)


# --- Clues ----------------------------------------------------------------------------------------------------


def test_clues_are_taken_on_published_notices_only(session: Session, case: EnforcementCase) -> None:
    notice = apply(session, case)
    with pytest.raises(bounties.NotPublished):
        clue(session, notice, at=NOW)
    bounties.decide(session, notice=notice, grant=True, reasons="", actor="judge", now=NOW)
    received = clue(session, notice, at=NOW + DAY, attachment=PDF, attachment_name="照片.pdf")
    assert received.attachment_type == "application/pdf" and received.received_at == NOW + DAY
    assert received.informant_name == "" and received.read_at is None
    [record] = session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "bounty.clue"))
    assert record.actor == "public" and "10.0.0.1" not in record.changes


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"wants_reward": True}, bounties.ContactRequired),
        ({"wants_reward": True, "informant_name": "刘先生"}, bounties.ContactRequired),
        ({"wants_reward": True, "informant_phone": "13900000000"}, bounties.ContactRequired),
        ({"text": "  "}, bounties.ClueRequired),
        ({"text": "长" * (bounties.CLUE_TEXT_MAX + 1)}, bounties.ClueRequired),
        ({"attachment": b"MZ\x90\x00 an executable", "attachment_name": "x.pdf"}, BadAttachment),
        (
            {"attachment": b"%PDF-" + b"0" * bounties.ATTACHMENT_LIMIT, "attachment_name": "big.pdf"},
            bounties.AttachmentTooLarge,
        ),
    ],
)
def test_a_bad_clue_is_refused_and_nothing_is_kept(
    session: Session, case: EnforcementCase, extra: dict[str, object], error: type[Exception]
) -> None:
    notice = publish(session, case)
    with pytest.raises(error):
        clue(session, notice, at=NOW + 2 * DAY, **extra)
    assert count(session, BountyClue) == 0 and count(session, ThrottleEvent) == 0


def test_an_informant_claiming_the_reward_gives_name_and_phone(session: Session, case: EnforcementCase) -> None:
    notice = publish(session, case)
    named = clue(
        session,
        notice,
        at=NOW + 2 * DAY,
        wants_reward=True,
        informant_name=" 刘先生 ",
        informant_phone="13900000000",
        attachment=PNG,
        attachment_name="a.png",
    )
    assert (named.informant_name, named.informant_phone, named.attachment_type) == (
        "刘先生",
        "13900000000",
        "image/png",
    )
    assert "刘先生" not in "".join(session.scalars(sa.select(AuditRecord.changes)))


def test_five_clues_an_hour_and_twenty_a_day_per_address(session: Session, case: EnforcementCase) -> None:
    notice = publish(session, case)
    start = NOW + 2 * DAY
    for i in range(5):
        clue(session, notice, at=start + timedelta(minutes=i))
    with pytest.raises(bounties.CluesPaused) as paused:
        clue(session, notice, at=start + timedelta(minutes=10))
    assert paused.value.until == start + timedelta(hours=1)
    clue(session, notice, at=start + timedelta(minutes=10), ip="10.0.0.2")  # another address is not held up
    t = start
    for hour in range(1, 4):  # 5 more in each of the next three hours: 20 in all
        t = start + hour * timedelta(hours=1, minutes=5)
        for i in range(5):
            clue(session, notice, at=t + timedelta(seconds=i))
    with pytest.raises(bounties.CluesPaused) as daily:
        clue(session, notice, at=start + timedelta(hours=5))
    assert daily.value.until == start + timedelta(days=1)
    clue(session, notice, at=start + timedelta(days=1, minutes=1))
    assert count(session, BountyClue) == 22


@pytest.mark.commits
def test_the_limit_is_shared_by_every_process(session: Session, engine: sa.Engine, case: EnforcementCase) -> None:
    """Eight submissions at once from one address, each in its own connection: exactly five get through."""
    notice_id = publish(session, case).id
    session.commit()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def send(worker: int) -> None:
        try:
            with Session(engine) as own:
                notice = own.get(BountyNotice, notice_id)
                assert notice is not None and notice.court.code
                barrier.wait()
                try:
                    clue(own, notice, at=NOW + 2 * DAY + timedelta(seconds=worker), text=f"线索{worker}")
                except bounties.CluesPaused:
                    own.rollback()
                    outcomes.append("paused")
                else:
                    own.commit()
                    outcomes.append("received")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["paused"] * 3 + ["received"] * 5
    session.expire_all()
    assert count(session, BountyClue) == 5


def test_the_judge_worklist_lists_clues_of_their_cases_in_arrival_order(session: Session, court: Court) -> None:
    judge, other_judge = make_judge(session, court), make_judge(session, court, name="赵敏")
    mine = publish(session, file(session, court, "（2026）鲁1427执1号", judge=judge))
    also_mine = publish(session, file(session, court, "（2026）鲁1427执2号", judge=judge))
    theirs = publish(session, file(session, court, "（2026）鲁1427执3号", judge=other_judge))
    t = NOW + 2 * DAY
    received = [
        clue(session, n, at=t + timedelta(minutes=i), ip=f"10.0.0.{i}")
        for i, n in enumerate((also_mine, theirs, mine, also_mine))
    ]
    listed = bounties.clues_for_judge(session, judge_id=judge.id)
    assert [c.id for c in listed] == [received[0].id, received[2].id, received[3].id]
    assert all(c.read_at is None for c in listed)
    assert bounties.mark_read(
        session, notice=also_mine, clues=bounties.clues_of(session, also_mine), actor="judge", now=t + DAY
    ) == [received[0].id, received[3].id]
    assert (
        bounties.mark_read(
            session, notice=also_mine, clues=bounties.clues_of(session, also_mine), actor="judge", now=t + 2 * DAY
        )
        == []
    )
    # When the notice closes, its read clues leave the worklist; unread ones stay until read.
    bounties.close(session, notice=also_mine, reason="申请人撤回", actor="judge", now=t + DAY)
    bounties.close(session, notice=mine, reason="申请人撤回", actor="judge", now=t + DAY)
    assert [c.id for c in bounties.clues_for_judge(session, judge_id=judge.id)] == [received[2].id]
    assert [c.id for c in bounties.clues_for_judge(session, judge_id=other_judge.id)] == [received[1].id]


# --- Rewards --------------------------------------------------------------------------------------------------


def recover(session: Session, case: EnforcementCase, amount_fen: int) -> None:
    funds.record_movement(
        session,
        case=case,
        direction=FundDirection.IN,
        counterparty="被执行人",
        amount_fen=amount_fen,
        occurred_at=NOW + 3 * DAY,
        actor="clerk",
        now=NOW + 3 * DAY,
    )


def pay(
    session: Session,
    notice: BountyNotice,
    paid_clue: BountyClue,
    amount_fen: int,
    *,
    confirmed: bool = True,
    paid_on: date = date(2026, 3, 10),
) -> RewardPayment:
    return bounties.record_payment(
        session,
        notice=notice,
        clue=paid_clue,
        amount_fen=amount_fen,
        paid_on=paid_on,
        eligibility_confirmed=confirmed,
        actor="clerk",
        now=NOW + 10 * DAY,
    )


def test_a_fixed_reward_is_paid_once_money_is_recovered_and_never_beyond_it(
    session: Session, case: EnforcementCase
) -> None:
    notice = publish(session, case, reward_kind=RewardKind.FIXED, reward_fen=10_000_00)
    named = clue(
        session, notice, at=NOW + 2 * DAY, wants_reward=True, informant_name="刘先生", informant_phone="13900000000"
    )
    anonymous = clue(session, notice, at=NOW + 2 * DAY, ip="10.0.0.9")
    with pytest.raises(bounties.NothingRecovered):
        pay(session, notice, named, 5_000_00)
    recover(session, case, 200_000_00)
    with pytest.raises(bounties.EligibilityNotConfirmed):
        pay(session, notice, named, 5_000_00, confirmed=False)
    with pytest.raises(bounties.AnonymousInformant):
        pay(session, notice, anonymous, 5_000_00)
    with pytest.raises(InvalidAmount):
        pay(session, notice, named, 0)
    with pytest.raises(bounties.FutureDate):
        pay(session, notice, named, 100, paid_on=date(2026, 3, 13))
    first = pay(session, notice, named, 6_000_00)
    with pytest.raises(bounties.RewardExceeded) as exceeded:
        pay(session, notice, named, 4_000_01)
    assert exceeded.value.params == {"limit": "10,000.00", "paid": "6,000.00"}
    pay(session, notice, named, 4_000_00)
    assert [p.amount_fen for p in bounties.payments_of(session, notice)] == [6_000_00, 4_000_00]
    assert first.recorded_by == "clerk" and bounties.paid_total(session, notice) == 10_000_00
    records = session.scalars(sa.select(AuditRecord.changes).where(AuditRecord.action == "bounty.pay")).all()
    assert len(records) == 2 and all('"eligibility_confirmed":true' in r for r in records)
    other = publish(session, file(session, case.court, "（2026）鲁1427执2号"))
    with pytest.raises(bounties.ClueNotOnNotice):
        pay(session, other, named, 100)


def test_a_share_of_the_recovery_is_capped(session: Session, case: EnforcementCase) -> None:
    notice = publish(session, case, reward_kind=RewardKind.PERCENTAGE, reward_basis_points=500, reward_cap_fen=8_000_00)
    named = clue(session, notice, at=NOW + 2 * DAY, informant_name="王女士", informant_phone="13600000000")
    recover(session, case, 100_000_00)  # 5 % of 100,000 yuan is 5,000 yuan
    with pytest.raises(bounties.RewardExceeded):
        pay(session, notice, named, 5_000_01)
    pay(session, notice, named, 5_000_00)
    recover(session, case, 100_000_00)  # 5 % of 200,000 is 10,000: the cap of 8,000 applies
    with pytest.raises(bounties.RewardExceeded) as exceeded:
        pay(session, notice, named, 3_000_01)
    assert exceeded.value.params["limit"] == "8,000.00"
    pay(session, notice, named, 3_000_00)


# --- Closure --------------------------------------------------------------------------------------------------


def test_closing_the_case_closes_its_open_bounties(session: Session, case: EnforcementCase) -> None:
    published = publish(session, case)
    second = cases.add_party(
        session,
        case=case,
        data=cases.PartyData(
            side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="李四", id_number="371427198203151234"
        ),
        actor="clerk",
        now=NOW,
    )
    applied = apply(session, case, respondent=second)
    node(session, case, NodeType.CLOSED, at=NOW + 5 * DAY, mode=ClosureMode.FULLY_PERFORMED)
    for notice in (published, applied):
        assert notice.status == BountyStatus.CLOSED and notice.closed_at == NOW + 5 * DAY
        assert notice.close_reason == bounties.CASE_CLOSED
    with pytest.raises(bounties.NotPublished):
        clue(session, published, at=NOW + 6 * DAY)
    with pytest.raises(bounties.NotOpen):
        bounties.close(session, notice=published, reason="x", actor="judge", now=NOW + 6 * DAY)
    assert list(bounties.iter_public(session)) == []
    assert audit.verify(session).ok


def test_terminating_the_case_closes_its_bounties_too(session: Session, case: EnforcementCase) -> None:
    notice = publish(session, case)
    terminate(session, case)
    assert notice.status == BountyStatus.CLOSED


def test_closing_by_hand_needs_a_reason(session: Session, case: EnforcementCase) -> None:
    notice = publish(session, case)
    with pytest.raises(bounties.CloseReasonRequired):
        bounties.close(session, notice=notice, reason=" ", actor="judge", now=NOW + DAY)
    bounties.close(session, notice=notice, reason="申请人撤回悬赏申请", actor="judge", now=NOW + DAY)
    assert (notice.status, notice.close_reason) == (BountyStatus.CLOSED, "申请人撤回悬赏申请")


# --- Public search --------------------------------------------------------------------------------------------


def test_search_finds_published_notices_by_name_pinyin_case_and_number(session: Session, court: Court) -> None:
    people = [("张三", "371427198203151232"), ("张三丰", "371427197001011237"), ("李四", "37142719900505123X")]
    found = {}
    for serial, (name, number) in enumerate(people, start=1):
        case = cases.file_case(
            session,
            court=court,
            number=f"（2026）鲁1427执{serial}号",
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初1号",
            amount_applied_fen=100,
            filed_at=NOW,
            actor="clerk",
            now=NOW,
            parties=[
                cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="申请人"),
                cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name=name, id_number=number),
            ],
        )
        found[name] = publish(session, case).id
    pending = file(session, court, "（2026）鲁1427执9号")
    apply(session, pending)  # awaiting decision: never in search

    def ids(query: str) -> tuple[str, list[int]]:
        page = bounties.search(session, query=query, key=KEY)
        return page.mode, [n.id for n in page.items]

    assert ids("张三") == ("name", [found["张三"], found["张三丰"]])
    assert ids("zs") == ("pinyin", [found["张三"]])
    assert ids("zhangsanfeng") == ("pinyin", [found["张三丰"]])
    assert ids("(2026)鲁1427执3号") == ("case", [found["李四"]])
    assert ids("李四 37142719900505123X") == ("id", [found["李四"]])
    assert ids("张三 37142719900505123X") == ("id", [])
    assert ids("37142719900505123X") == ("id_without_name", [])
    assert ids("3714271990****123X") == ("masked", [found["李四"]])
    assert ids(COMPANY) == ("name", [])
    assert ids("")[1] == sorted(found.values(), reverse=True)


def test_search_pages_by_keyset_through_every_notice_once(session: Session, court: Court) -> None:
    made = [publish(session, file(session, court, f"（2026）鲁1427执{serial}号")).id for serial in range(1, 26)]
    for query in ("", COMPANY[:3]):
        seen: list[int] = []
        cursor = None
        while True:
            page = bounties.search(session, query=query, key=KEY, cursor=cursor, limit=10)
            seen += [n.id for n in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(made) and len(seen) == len(set(seen)), query
    assert bounties.search(session, query="", key=KEY, cursor="not-a-cursor").items  # a bad cursor starts over
    assert [n.id for n in bounties.iter_public(session, batch=7)] == sorted(made, reverse=True)


def test_money_the_court_had_before_the_lead_earns_no_reward(session: Session, case: EnforcementCase) -> None:
    notice = publish(session, case, reward_kind=RewardKind.PERCENTAGE, reward_basis_points=750)
    funds.record_movement(
        session,
        case=case,
        direction=FundDirection.IN,
        counterparty="被执行人",
        amount_fen=100_000_00,
        occurred_at=NOW + DAY,
        actor="clerk",
        now=NOW + DAY,
    )
    named = clue(session, notice, at=NOW + 2 * DAY, informant_name="王女士", informant_phone="13600000000")
    with pytest.raises(bounties.NothingRecovered):  # the 100,000 yuan came in before the lead
        pay(session, notice, named, 1_00)
    recover(session, case, 20_000_00)  # after the lead: 7.5 % of 20,000 yuan is 1,500 yuan
    with pytest.raises(bounties.RewardExceeded) as exceeded:
        pay(session, notice, named, 1_500_01)
    assert exceeded.value.params["limit"] == "1,500.00"
    pay(session, notice, named, 1_500_00)
