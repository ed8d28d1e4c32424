"""The defaulter list (失信被执行人名单): name keys, working days, listing, removal, public search, imports."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit, workdays
from publicity.core.errors import AlreadyRemoved, InvalidGrace, InvalidTerm, MinorNotListed
from publicity.core.models import AuditRecord, CalendarDay, Court
from publicity.core.workdays import Calendar
from publicity.lists import defaulter_imports, defaulters, names
from publicity.lists import search as listsearch
from publicity.lists.defaulters import COURT_ZONE, Filters
from publicity.lists.models import DefaulterEntry, ListingGround, RemovalReason
from publicity.record import deadlines
from publicity.record.models import PartyKind
from tests.factories import (
    CREDIT_CODE,
    KEY,
    NOW,
    ZHANG_SAN_ID,
    count,
    entry_data,
    import_row,
    list_entry,
    make_court,
    pid,
    write_csv,
)

DAY = timedelta(days=1)
LI_SI_ID = pid("19820120")  # 371427198201201232: the same masked form as 张三's
ZHOU_SHUN_ID = pid("19880101")  # 37142719880101123X
SHAN_ID = pid("19770707")


# --- helpers -----------------------------------------------------------------------------------


def shipped_2026() -> dict[date, workdays.DayKind]:
    return workdays.read_calendar_file(workdays.CALENDAR_DIR / "2026.json")


def calendar_2026() -> Calendar:
    return Calendar([CalendarDay(day=d, kind=k) for d, k in shipped_2026().items()])


def give_ground(
    session: Session,
    entry: DefaulterEntry,
    *,
    at: datetime = NOW,
    calendar: Calendar | None = None,
    reason: RemovalReason = RemovalReason.PERFORMED,
) -> None:
    defaulters.record_removal_ground(
        session, entry=entry, reason=reason, occurred_at=at, calendar=calendar or Calendar(), actor="judge", now=at
    )


def public_ids(session: Session, at: datetime) -> set[int]:
    return set(session.scalars(sa.select(DefaulterEntry.id).where(defaulters.public_clause(at))))


def found(
    session: Session,
    query: str,
    *,
    filters: Filters = Filters(),
    key: bytes = KEY,
    now: datetime = NOW,
    limit: int = 100,
) -> list[str]:
    page = defaulters.search(session, query=query, filters=filters, key=key, now=now, limit=limit)
    return [e.name for e in page.items]


def finds_nothing_by_bare_number(session: Session, number: str, *, now: datetime = NOW) -> bool:
    """A full number without the name is not searched: no items, mode id_without_name."""
    page = defaulters.search(session, query=number, key=KEY, now=now)
    return page.items == [] and page.next_cursor is None and page.mode == "id_without_name"


def walk(session: Session, query: str, *, limit: int = 2) -> list[int]:
    """Every page of ``query`` via next_cursor; returns the ids in page order."""
    ids: list[int] = []
    cursor = None
    for _ in range(50):
        page = defaulters.search(session, query=query, cursor=cursor, key=KEY, now=NOW, limit=limit)
        assert page.items, "a page reached through a cursor is empty"
        assert len(page.items) <= limit
        ids += [e.id for e in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError("pagination never ends")


@pytest.fixture
def court(session: Session) -> Court:
    return make_court(session)


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("单雄信", ("shanxiongxin", "sxx")),
        ("曾小贤", ("zengxiaoxian", "zxx")),
        ("解缙", ("xiejin", "xj")),
        ("查良镛", ("zhaliangyong", "zly")),
        ("翟天临", ("zhaitianlin", "ztl")),
        ("张三", ("zhangsan", "zs")),
        ("赵帅", ("zhaoshuai", "zs")),
        ("张 三", ("zhangsan", "zs")),
    ],
)
def test_a_persons_name_is_spelled_with_the_surname_reading(name: str, keys: tuple[str, str]) -> None:
    assert names.pinyin_keys(name) == keys


@pytest.mark.parametrize(
    ("name", "spelled"),
    [
        ("单县恒丰商贸有限公司", "danxianhengfengshangmaoyouxiangongsi"),
        ("曾记粥铺", "cengjizhoupu"),
        ("解放公司", "jiefanggongsi"),
    ],
)
def test_an_entity_name_is_read_without_the_surname_rule(name: str, spelled: str) -> None:
    assert names.pinyin_keys(name, person=False)[0] == spelled
    assert names.pinyin_keys(name, person=True)[0] != spelled  # the rule would change it


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("371427198203151232", "3714271982****1232"),
        ("37142719820315123x", "3714271982****123X"),
        (" 371427198203151232 ", "3714271982****1232"),
        (CREDIT_CODE, "91371427MA****3459"),
        ("371427820315123", "****"),  # an old 15-digit number shows nothing
        ("", ""),
    ],
)
def test_mask_number_hides_characters_11_to_14(number: str, masked: str) -> None:
    assert names.mask_number(number) == masked


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("3714271982****1232", "3714271982****1232"),
        (" ３７１４２７１９８２＊＊＊＊１２３ｘ ", "3714271982****123X"),
        ("3714271982****123x", "3714271982****123X"),
        ("3714271982***1232", None),
        ("371427198203151232", None),
        ("张三", None),
    ],
)
def test_masked_query_normalises_what_a_visitor_typed(typed: str, normalised: str | None) -> None:
    assert names.masked_query(typed) == normalised


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("371427198203151232", "371427198203151232"),
        ("37142719820315123x", "37142719820315123X"),
        ("　３７１４２７１９８２０３１５１２３ｘ　", "37142719820315123X"),
        ("91371427ma3c123459", CREDIT_CODE),
        ("3714271982031512", None),
        ("3714271982****1232", None),
    ],
)
def test_full_number_query_normalises_what_a_visitor_typed(typed: str, normalised: str | None) -> None:
    assert names.full_number_query(typed) == normalised


# --- working days --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (date(2026, 2, 13), date(2026, 2, 25)),  # Fri: 2/14 (调休 Saturday), Spring Festival, 2/24, 2/25
        (date(2026, 9, 30), date(2026, 10, 10)),  # Wed: National Day week, 10/8, 10/9, 10/10 (调休 Saturday)
        (date(2026, 3, 2), date(2026, 3, 5)),  # a plain Monday
        (date(2026, 3, 6), date(2026, 3, 11)),  # a plain Friday: the weekend is skipped
        (date(2026, 3, 7), date(2026, 3, 11)),  # a Saturday: the start itself is not counted
        (date(2025, 12, 31), date(2026, 1, 6)),  # New Year 1/1-3 off, 1/4 (Sunday) worked, 1/5, 1/6
    ],
)
def test_working_days_follow_the_2026_calendar(start: date, due: date) -> None:
    assert calendar_2026().add_working_days(start, 3) == due


def test_without_the_calendar_only_weekends_are_skipped() -> None:
    assert Calendar().add_working_days(date(2026, 2, 13), 3) == date(2026, 2, 18)
    assert Calendar().add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 5)


def test_adjusted_and_holiday_days_are_told_apart() -> None:
    cal = calendar_2026()
    assert cal.is_working_day(date(2026, 2, 14)) and cal.is_working_day(date(2026, 10, 10))
    assert not cal.is_working_day(date(2026, 2, 16)) and not cal.is_working_day(date(2026, 10, 1))
    assert not cal.is_working_day(date(2026, 3, 7)) and cal.is_working_day(date(2026, 3, 9))


# --- listing ---------------------------------------------------------------------------------------


def test_ground_1_has_no_fixed_term(session: Session, court: Court) -> None:
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID, ground=ListingGround.ABLE_BUT_REFUSES)
    assert entry.term_months is None and entry.expires_at is None
    assert defaulters.is_public(entry, NOW + timedelta(days=3650))


@pytest.mark.parametrize("ground", [g for g in ListingGround if g != ListingGround.ABLE_BUT_REFUSES])
def test_grounds_2_to_6_are_listed_for_two_years(session: Session, court: Court, ground: ListingGround) -> None:
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID, ground=ground)
    session.commit()
    session.expire_all()
    assert entry.term_months == 24
    assert entry.published_at == NOW
    assert entry.expires_at == datetime(2028, 3, 2, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("years", "months"), [(1, 36), (2, 48), (3, 60)])
def test_an_extension_adds_one_to_three_years(session: Session, court: Court, years: int, months: int) -> None:
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID, ground=ListingGround.OBSTRUCTS, extension=years)
    assert entry.term_months == months
    assert entry.expires_at == deadlines.add_months(NOW, months)


@pytest.mark.parametrize(
    ("ground", "years"),
    [
        (ListingGround.OBSTRUCTS, 4),
        (ListingGround.OBSTRUCTS, -1),
        (ListingGround.ABLE_BUT_REFUSES, 1),
    ],
)
def test_a_bad_extension_is_refused(session: Session, court: Court, ground: ListingGround, years: int) -> None:
    with pytest.raises(InvalidTerm):
        list_entry(session, court, "张三", ZHANG_SAN_ID, ground=ground, extension=years)
    assert count(session, DefaulterEntry) == 0


@pytest.mark.parametrize("grace", [1, 2, 3])
def test_a_grace_period_delays_publication(session: Session, court: Court, grace: int) -> None:
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID, grace=grace)
    published = deadlines.add_months(NOW, grace)
    assert entry.published_at == published
    assert entry.decided_on == date(2026, 3, 2)
    assert entry.expires_at == deadlines.add_months(published, 24)  # the term runs from publication
    assert not defaulters.is_public(entry, published - timedelta(seconds=1))
    assert defaulters.is_public(entry, published)
    assert public_ids(session, NOW) == set()
    assert found(session, "张三") == [] and found(session, "张三", now=published) == ["张三"]


@pytest.mark.parametrize("grace", [4, -1])
def test_a_grace_period_beyond_three_months_is_refused(session: Session, court: Court, grace: int) -> None:
    with pytest.raises(InvalidGrace):
        list_entry(session, court, "张三", ZHANG_SAN_ID, grace=grace)
    assert count(session, DefaulterEntry) == 0


@pytest.mark.parametrize("number", ["371427200803031234", " 371427200803031234 ", "371427200803031234\n"])
def test_a_minor_is_not_listed(session: Session, court: Court, number: str) -> None:
    # The number as typed may carry spaces (it is stored stripped): the respondent is still 17.
    with pytest.raises(MinorNotListed):
        list_entry(session, court, "小明", number)  # 18 tomorrow
    assert count(session, DefaulterEntry) == 0
    adult = list_entry(session, court, "小红", pid("20080302"))  # 18 today
    assert adult.age == 18


def test_age_is_taken_on_the_courts_day(session: Session, court: Court) -> None:
    # 17:00 UTC on 2 March is already 3 March in China: the respondent born 2008-03-03 is 18 there.
    entry = list_entry(session, court, "小明", "371427200803031234", now=datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    assert entry.age == 18 and entry.decided_on == date(2026, 3, 3)


def test_an_entry_keeps_the_full_number_but_publishes_masked_and_hashed(session: Session, court: Court) -> None:
    entry = list_entry(session, court, " 张三 ", " 37142719820315123x ", case_number="(2026)鲁1427执0012号")
    session.commit()
    session.expire_all()
    assert entry.id_number == "37142719820315123X"
    assert entry.id_masked == "3714271982****123X"
    assert entry.id_hash == names.number_hash("37142719820315123X", key=KEY)
    assert entry.id_hash != names.number_hash("37142719820315123X", key=b"other")
    assert "37142719820315123X" not in entry.id_hash
    assert (entry.name, entry.name_pinyin, entry.name_initials) == ("张三", "zhangsan", "zs")
    assert entry.case_number == "（2026）鲁1427执12号"
    assert (entry.age, entry.province, entry.court_id) == (43, "山东省", court.id)


def test_an_entity_has_no_age_or_sex(session: Session, court: Court) -> None:
    entry = list_entry(session, court, "单县恒丰商贸有限公司", CREDIT_CODE, kind=PartyKind.ENTITY)
    assert entry.age is None and entry.sex == ""
    assert entry.id_masked == "91371427MA****3459"
    assert entry.name_pinyin.startswith("danxian")


def test_listing_is_audited(session: Session, court: Court) -> None:
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID)
    session.commit()
    records = list(session.scalars(sa.select(AuditRecord).where(AuditRecord.action == "defaulter.list")))
    assert [(r.chain, r.object_id, r.actor) for r in records] == [("鲁1427", str(entry.id), "judge")]
    assert "张三" in records[0].changes
    assert audit.verify(session).ok


# --- what is public ---------------------------------------------------------------------------------


def test_is_public_and_public_clause_agree_over_an_entrys_life(session: Session, court: Court) -> None:
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID, grace=1)
    session.commit()
    published, expires = entry.published_at, entry.expires_at
    assert expires is not None
    moments = {
        NOW: False,  # decided, not yet published
        published - timedelta(seconds=1): False,
        published: True,
        published + timedelta(days=400): True,
        expires - timedelta(seconds=1): True,
        expires: False,  # the term is over although no job removed it
        expires + timedelta(days=30): False,
    }
    assert entry.removed_at is None
    for at, expected in moments.items():
        assert defaulters.is_public(entry, at) is expected, at
        assert (entry.id in public_ids(session, at)) is expected, at


def test_a_removed_entry_is_not_public(session: Session, court: Court) -> None:
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID)
    later = NOW + 10 * DAY
    give_ground(session, entry, at=later)
    assert defaulters.is_public(entry, later) and entry.id in public_ids(session, later)
    defaulters.remove(session, entry=entry, actor="judge", now=later)
    session.commit()
    for at in (later, later + DAY):
        assert not defaulters.is_public(entry, at)
        assert entry.id not in public_ids(session, at)


# --- removal -----------------------------------------------------------------------------------------


def test_removal_is_due_three_working_days_after_the_ground(session: Session, court: Court) -> None:
    workdays.set_days(session, days=shipped_2026(), actor="admin", now=NOW)
    session.commit()
    cal = workdays.load(session)
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID, now=datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    occurred = datetime(2026, 2, 13, 10, 0, tzinfo=COURT_ZONE)  # Friday before the Spring Festival
    defaulters.record_removal_ground(
        session,
        entry=entry,
        reason=RemovalReason.PERFORMED,
        occurred_at=occurred,
        calendar=cal,
        actor="judge",
        now=occurred,
    )
    session.commit()
    session.expire_all()
    assert entry.removal_due == date(2026, 2, 25)
    assert entry.removal_reason == RemovalReason.PERFORMED and entry.removal_ground_at == occurred
    assert entry.removed_at is None and defaulters.is_public(entry, occurred)
    assert audit.verify(session).ok


def test_the_ground_day_is_the_courts_day(session: Session, court: Court) -> None:
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID, now=datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    # 17:00 UTC on Thursday 12 February is 01:00 on Friday 13 February in China.
    give_ground(session, entry, at=datetime(2026, 2, 12, 17, 0, tzinfo=UTC), calendar=calendar_2026())
    assert entry.removal_due == date(2026, 2, 25)  # 2/14 (调休), 2/24, 2/25; from the UTC day it would be 2/24


def test_a_calendar_loaded_from_the_database_has_holidays_and_adjusted_workdays(session: Session) -> None:
    workdays.set_days(session, days=shipped_2026(), actor="admin", now=NOW)
    session.commit()
    cal = workdays.load(session)
    assert not cal.is_working_day(date(2026, 2, 16))  # Spring Festival
    assert cal.is_working_day(date(2026, 2, 14))  # the Saturday worked in exchange (调休)
    assert cal.is_working_day(date(2026, 10, 10))
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert audit.verify(session).ok


def test_remove_takes_the_entry_down_once(session: Session, court: Court) -> None:
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID)
    give_ground(session, entry, at=NOW + DAY)
    removed_at = NOW + 2 * DAY
    defaulters.remove(session, entry=entry, actor="judge", now=removed_at)
    session.commit()
    session.expire_all()
    assert entry.removed_at == removed_at
    with pytest.raises(AlreadyRemoved):
        defaulters.remove(session, entry=entry, actor="judge", now=removed_at + DAY)
    with pytest.raises(AlreadyRemoved):
        give_ground(session, entry, at=removed_at + DAY, reason=RemovalReason.REVOKED)
    session.expire_all()
    assert entry.removed_at == removed_at and entry.removal_reason == RemovalReason.PERFORMED
    assert [r.action for r in session.scalars(sa.select(AuditRecord).order_by(AuditRecord.id))][-2:] == [
        "defaulter.removal_ground",
        "defaulter.remove",
    ]


def test_removal_worklist_splits_due_and_late(session: Session, court: Court) -> None:
    other_court = make_court(session, code="鲁1401", name="德州市中级人民法院")
    cal = calendar_2026()
    late = list_entry(session, court, "张三", ZHANG_SAN_ID, now=datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    due_today = list_entry(session, court, "李四", LI_SI_ID, now=datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    due_later = list_entry(session, court, "王五", pid("19900101"), now=datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    list_entry(session, court, "赵六", pid("19910101"))  # no removal ground
    done = list_entry(session, court, "孙七", pid("19920101"))
    elsewhere = list_entry(session, other_court, "周八", pid("19930101"))
    give_ground(session, late, at=datetime(2026, 2, 13, 10, 0, tzinfo=COURT_ZONE), calendar=cal)  # due 2/25
    give_ground(session, due_today, at=datetime(2026, 2, 26, 10, 0, tzinfo=COURT_ZONE), calendar=cal)  # due 3/2
    give_ground(session, due_later, at=datetime(2026, 3, 2, 10, 0, tzinfo=COURT_ZONE), calendar=cal)  # due 3/5
    give_ground(session, done, at=NOW, calendar=cal)
    defaulters.remove(session, entry=done, actor="judge", now=NOW)
    give_ground(session, elsewhere, at=datetime(2026, 2, 13, 10, 0, tzinfo=COURT_ZONE), calendar=cal)
    session.commit()
    # 2/26 + 3 working days: 2/27, 2/28 (调休 Saturday), 3/2
    assert (due_today.removal_due, due_later.removal_due) == (date(2026, 3, 2), date(2026, 3, 5))
    on_time, overdue = defaulters.removal_worklist(session, court_id=court.id, today=date(2026, 3, 2))
    assert [e.name for e in on_time] == ["李四", "王五"]
    assert [e.name for e in overdue] == ["张三"]
    on_time, overdue = defaulters.removal_worklist(session, court_id=court.id, today=date(2026, 3, 3))
    assert [e.name for e in on_time] == ["王五"]
    assert [e.name for e in overdue] == ["张三", "李四"]


# --- expiry ------------------------------------------------------------------------------------------


def test_expire_removes_entries_whose_term_ended(session: Session, court: Court) -> None:
    cal = calendar_2026()
    listed_2024 = datetime(2024, 2, 12, 2, 0, tzinfo=UTC)  # expires 2026-02-12 10:00 in China, a Thursday
    ended = [
        list_entry(session, court, name, number, now=listed_2024)
        for name, number in (("张三", ZHANG_SAN_ID), ("李四", LI_SI_ID), ("王五", pid("19900101")))
    ]
    running = list_entry(session, court, "赵六", pid("19910101"))
    no_term = list_entry(
        session, court, "孙七", pid("19920101"), now=listed_2024, ground=ListingGround.ABLE_BUT_REFUSES
    )
    session.commit()
    assert defaulters.expire(session, calendar=cal, actor="system", now=NOW, batch=2) == 3
    session.commit()
    session.expire_all()
    for entry in ended:
        assert entry.removal_reason == RemovalReason.TERM_ENDED
        assert entry.removed_at == NOW
        assert entry.removal_ground_at == entry.expires_at == datetime(2026, 2, 12, 2, 0, tzinfo=UTC)
        assert entry.removal_due == date(2026, 2, 24)  # 2/13, 2/14 (调休), then after the holiday 2/24
    for entry in (running, no_term):
        assert entry.removed_at is None and entry.removal_reason is None
        assert defaulters.is_public(entry, NOW)
    assert defaulters.expire(session, calendar=cal, actor="system", now=NOW) == 0
    assert audit.verify(session).ok


def test_expire_leaves_an_entry_whose_term_has_not_ended(session: Session, court: Court) -> None:
    entry = list_entry(session, court, "张三", ZHANG_SAN_ID)
    assert entry.expires_at is not None
    assert (
        defaulters.expire(session, calendar=Calendar(), actor="system", now=entry.expires_at - timedelta(seconds=1))
        == 0
    )
    assert entry.removed_at is None
    assert defaulters.expire(session, calendar=Calendar(), actor="system", now=entry.expires_at) == 1
    assert entry.removed_at == entry.expires_at


# --- public search ------------------------------------------------------------------------------------


@pytest.fixture
def listed(session: Session, court: Court) -> dict[str, DefaulterEntry]:
    """Eight public entries and three hidden ones (named 张三 with 张三's ID number)."""
    entries = {
        "张三": list_entry(session, court, "张三", ZHANG_SAN_ID),
        "张三丰": list_entry(session, court, "张三丰", pid("19700101")),
        "张伟": list_entry(
            session,
            court,
            "张伟",
            pid("19900505"),
            now=datetime(2025, 6, 2, 2, 0, tzinfo=UTC),
            ground=ListingGround.ABLE_BUT_REFUSES,
        ),
        "赵帅": list_entry(session, court, "赵帅", pid("19850606"), ground=ListingGround.OBSTRUCTS),
        "单雄信": list_entry(session, court, "单雄信", SHAN_ID),
        "李四": list_entry(session, court, "李四", LI_SI_ID),
        "周顺": list_entry(session, court, "周顺", ZHOU_SHUN_ID),
        "单县恒丰商贸有限公司": list_entry(session, court, "单县恒丰商贸有限公司", CREDIT_CODE, kind=PartyKind.ENTITY),
    }
    removed = list_entry(session, court, "张三", ZHANG_SAN_ID, case_number="（2026）鲁1427执901号")
    give_ground(session, removed)
    defaulters.remove(session, entry=removed, actor="judge", now=NOW)
    list_entry(
        session,
        court,
        "张三",
        ZHANG_SAN_ID,
        now=datetime(2024, 1, 2, 2, 0, tzinfo=UTC),
        case_number="（2024）鲁1427执902号",
    )  # expired on 2026-01-02; no job ran
    list_entry(session, court, "张三", ZHANG_SAN_ID, grace=2, case_number="（2026）鲁1427执903号")  # not yet published
    session.commit()
    return entries


SEARCHES: list[tuple[str, list[str]]] = [
    ("张三", ["张三", "张三丰"]),  # exact first, then the prefix
    ("张三丰", ["张三丰"]),
    ("赵帅", ["赵帅"]),
    ("张三丰二", []),
    ("zhangsan", ["张三"]),
    ("ZhangSan", ["张三"]),
    ("zhang san", ["张三"]),
    ("zs", ["周顺", "赵帅", "张三"]),  # initials, newest first
    ("zsf", ["张三丰"]),
    ("shanxiongxin", ["单雄信"]),  # a surname read as a surname
    ("sxx", ["单雄信"]),
    ("danxianhengfengshangmaoyouxiangongsi", ["单县恒丰商贸有限公司"]),  # an entity read as written
    ("(2026)鲁1427执1号", ["张三"]),
    ("（2026）鲁1427执0004号", ["赵帅"]),
    ("(2026)鲁1427执901号", []),  # removed
    ("(2024)鲁1427执902号", []),  # expired
    ("(2026)鲁1427执903号", []),  # not yet published
    # A full number is searched only together with the exact name (typed in the same query).
    (f"张三 {ZHANG_SAN_ID}", ["张三"]),
    (f"{ZHANG_SAN_ID} 张三", ["张三"]),
    ("周顺 37142719880101123x", ["周顺"]),
    ("周顺\u3000３７１４２７１９８８０１０１１２３Ｘ", ["周顺"]),  # an ideographic space, full-width digits
    (f"单县恒丰商贸有限公司 {CREDIT_CODE.lower()}", ["单县恒丰商贸有限公司"]),
    ("张三 371427198203151233", []),
    (ZHANG_SAN_ID, []),  # the bare number: not searched
    ("37142719880101123x", []),
    ("３７１４２７１９８８０１０１１２３Ｘ", []),
    (CREDIT_CODE.lower(), []),
    ("371427198203151233", []),
    (f"李四 {ZHANG_SAN_ID}", []),  # the right number with another (listed) name
    (f"张 {ZHANG_SAN_ID}", []),  # a name prefix is not the name
    (f"张三丰 {ZHANG_SAN_ID}", []),
    (f"单县恒丰商贸 {CREDIT_CODE}", []),
    ("3714271982****1232", ["李四", "张三"]),
    ("3714271988＊＊＊＊123x", ["周顺"]),
    ("91371427MA****3459", ["单县恒丰商贸有限公司"]),
]


def test_search_finds_the_right_public_entries(session: Session, listed: dict[str, DefaulterEntry]) -> None:
    wrong = {query: got for query, expected in SEARCHES if (got := found(session, query)) != expected}
    assert wrong == {}


def test_a_one_character_query_is_a_name_prefix(session: Session, listed: dict[str, DefaulterEntry]) -> None:
    page = defaulters.search(session, query="张", key=KEY, now=NOW)
    assert page.mode == "name"
    result = [e.name for e in page.items]
    assert sorted(result) == sorted(["张三", "张三丰", "张伟"])
    assert result.index("张三") < result.index("张三丰")
    assert sorted(found(session, "单")) == sorted(["单县恒丰商贸有限公司", "单雄信"])


def test_search_modes() -> None:
    assert listsearch.search_mode("") == listsearch.search_mode("  ") == "browse"
    assert listsearch.search_mode("张三") == "name"
    assert listsearch.search_mode("zs") == "pinyin"
    assert listsearch.search_mode("(2026)鲁1427执1号") == "case"
    assert listsearch.search_mode(f"张三 {ZHANG_SAN_ID}") == "id"
    assert listsearch.search_mode(f" {ZHANG_SAN_ID}  张三 ") == "id"
    assert listsearch.search_mode(f"单县恒丰商贸有限公司 {CREDIT_CODE}") == "id"
    assert listsearch.search_mode(ZHANG_SAN_ID) == "id_without_name"
    assert listsearch.search_mode(f" {CREDIT_CODE.lower()} ") == "id_without_name"
    assert listsearch.search_mode("3714271982****1232") == "masked"


def test_an_id_number_is_matched_only_through_the_keyed_hash(
    session: Session, listed: dict[str, DefaulterEntry]
) -> None:
    assert found(session, f"张三 {ZHANG_SAN_ID}") == ["张三"]
    assert found(session, f"张三 {ZHANG_SAN_ID}", key=b"another key") == []
    assert finds_nothing_by_bare_number(session, ZHANG_SAN_ID)
    assert found(session, f"李四 {ZHANG_SAN_ID}") == []  # 李四's masked number is 张三's, the hash is not


def test_an_eighteen_letter_pinyin_query_is_a_pinyin_query(session: Session, court: Court) -> None:
    # 上官晓雄 spells to 18 letters; no ID number or credit code is all letters (a credit code has
    # six digits of area code), so the query must be read as pinyin, not as an ID number.
    list_entry(session, court, "上官晓雄", "371427198001011234")
    session.commit()
    assert names.pinyin_keys("上官晓雄")[0] == "shangguanxiaoxiong"
    assert listsearch.search_mode("shangguanxiaoxiong") == "pinyin"
    assert found(session, "shangguanxiaoxiong") == ["上官晓雄"]


def test_browse_lists_every_public_entry_newest_first(session: Session, listed: dict[str, DefaulterEntry]) -> None:
    page = defaulters.search(session, query="", key=KEY, now=NOW)
    assert page.mode == "browse" and page.next_cursor is None
    expected = sorted(listed.values(), key=lambda e: e.id, reverse=True)
    assert [e.id for e in page.items] == [e.id for e in expected]
    assert found(session, "   ") == [e.name for e in expected]


def test_search_filters_by_ground_and_year(session: Session, listed: dict[str, DefaulterEntry]) -> None:
    assert found(session, "", filters=Filters(ground=ListingGround.OBSTRUCTS)) == ["赵帅"]
    assert found(session, "zs", filters=Filters(ground=ListingGround.OBSTRUCTS)) == ["赵帅"]
    assert found(session, "张三", filters=Filters(ground=ListingGround.OBSTRUCTS)) == []
    assert found(session, "", filters=Filters(year=2025)) == ["张伟"]
    assert found(session, "张", filters=Filters(year=2025)) == ["张伟"]
    assert "张伟" not in found(session, "", filters=Filters(year=2026))
    assert len(found(session, "", filters=Filters(year=2026))) == 7
    assert found(session, "", filters=Filters(year=2024)) == []  # the expired 2024 entry stays hidden
    assert found(session, "", filters=Filters(ground=ListingGround.ABLE_BUT_REFUSES, year=2025)) == ["张伟"]


def test_hidden_entries_never_appear_later_either(session: Session, listed: dict[str, DefaulterEntry]) -> None:
    # Two months on, the graced entry is published; the removed and expired ones stay hidden.
    later = deadlines.add_months(NOW, 2)
    assert found(session, f"张三 {ZHANG_SAN_ID}", now=later) == ["张三", "张三"]
    assert finds_nothing_by_bare_number(session, ZHANG_SAN_ID, now=later)
    assert found(session, f"李四 {ZHANG_SAN_ID}", now=later) == []
    assert found(session, "(2026)鲁1427执903号", now=later) == ["张三"]
    assert found(session, "(2026)鲁1427执901号", now=later) == []
    assert found(session, "(2024)鲁1427执902号", now=later) == []


@pytest.mark.parametrize("query", ["", "张", "zs", "3714271982****1232"])
def test_keyset_pages_return_every_entry_once_in_order(
    session: Session, listed: dict[str, DefaulterEntry], query: str
) -> None:
    whole = defaulters.search(session, query=query, key=KEY, now=NOW, limit=100)
    assert whole.next_cursor is None
    paged = walk(session, query, limit=2)
    assert paged == [e.id for e in whole.items]
    assert len(set(paged)) == len(paged)
    assert len(walk(session, query, limit=1)) == len(whole.items)


def test_browse_pages_of_two(session: Session, listed: dict[str, DefaulterEntry]) -> None:
    newest_first = sorted((e.id for e in listed.values()), reverse=True)
    assert walk(session, "", limit=2) == newest_first  # 8 entries: four full pages, the last without a cursor
    assert walk(session, "", limit=3) == newest_first


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


GARBAGE_CURSORS = [
    "garbage",
    "!!!",
    "中文",
    "=",
    _b64([1, 2, 3]),
    _b64({"a": 1}),
    _b64("ab"),
    _b64(7),
    _b64([None, "x"]),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
]


@pytest.mark.parametrize("query", ["", "张", "zs"])
def test_a_garbage_cursor_gives_the_first_page(session: Session, listed: dict[str, DefaulterEntry], query: str) -> None:
    first = defaulters.search(session, query=query, key=KEY, now=NOW, limit=2)
    assert first.items and first.next_cursor
    for cursor in GARBAGE_CURSORS:
        again = defaulters.search(session, query=query, cursor=cursor, key=KEY, now=NOW, limit=2)
        assert [e.id for e in again.items] == [e.id for e in first.items], cursor
        assert again.next_cursor == first.next_cursor, cursor


FORGED_CURSORS = [_b64([None, 10**30]), _b64(["张", 10**30]), _b64([None, -(10**30)]), _b64([None, True])]


@pytest.mark.parametrize("query", ["", "张", "zs"])
def test_a_forged_cursor_gives_the_first_page(session: Session, listed: dict[str, DefaulterEntry], query: str) -> None:
    # A cursor is visitor input (the public API hands it back): an id no column can hold is garbage too.
    first = defaulters.search(session, query=query, key=KEY, now=NOW, limit=2)
    for cursor in FORGED_CURSORS:
        again = defaulters.search(session, query=query, cursor=cursor, key=KEY, now=NOW, limit=2)
        assert [e.id for e in again.items] == [e.id for e in first.items], cursor


# --- bulk insert ----------------------------------------------------------------------------------------


def test_bulk_insert_skips_rows_already_listed(session: Session, court: Court) -> None:
    rows = [
        entry_data("张三", ZHANG_SAN_ID, 1),
        entry_data("单雄信", SHAN_ID, 2),
        entry_data("赵帅", pid("19850606"), 3, ground=ListingGround.ABLE_BUT_REFUSES),
    ]
    assert defaulters.bulk_insert(session, defaulters.bulk_rows(court, rows, key=KEY, now=NOW), batch=2) == 3
    session.commit()
    assert defaulters.bulk_insert(session, defaulters.bulk_rows(court, rows, key=KEY, now=NOW)) == 0
    session.commit()
    assert count(session, DefaulterEntry) == 3
    assert found(session, "zhangsan") == ["张三"]
    assert found(session, "shanxiongxin") == ["单雄信"]
    assert found(session, "zs") == ["赵帅", "张三"]
    assert found(session, f"张三 {ZHANG_SAN_ID}") == ["张三"]
    assert finds_nothing_by_bare_number(session, ZHANG_SAN_ID)
    assert found(session, f"赵帅 {ZHANG_SAN_ID}") == []
    assert found(session, "3714271982****1232") == ["张三"]
    zhang, _, zhao = sorted(session.scalars(sa.select(DefaulterEntry)), key=lambda e: e.id)
    assert (zhang.term_months, zhang.expires_at, zhang.age) == (24, datetime(2028, 3, 2, 2, 0, tzinfo=UTC), 43)
    assert (zhao.term_months, zhao.expires_at) == (None, None)


def test_bulk_insert_skips_an_entry_listed_one_by_one(session: Session, court: Court) -> None:
    list_entry(session, court, "张三", ZHANG_SAN_ID)  # case （2026）鲁1427执1号
    session.commit()
    rows = [entry_data("张三", ZHANG_SAN_ID, 1), entry_data("李四", LI_SI_ID, 2)]
    assert defaulters.bulk_insert(session, defaulters.bulk_rows(court, rows, key=KEY, now=NOW)) == 1
    assert count(session, DefaulterEntry) == 2


# --- imports ---------------------------------------------------------------------------------------------


def run_import(session: Session, path: Path, **kwargs: int) -> defaulter_imports.Result:
    return defaulter_imports.import_entries(
        session, defaulter_imports.read(path), key=KEY, actor="admin", now=NOW, **kwargs
    )


GOOD_ROWS = [
    import_row(),
    import_row(
        "单县恒丰商贸有限公司", CREDIT_CODE, serial=2, sex="", circumstance="有履行能力而拒不履行生效法律文书确定义务"
    ),
    import_row("单雄信", SHAN_ID, serial=3, circumstance="以虚假诉讼规避执行", published="2026年03月02日"),
]


def test_import_inserts_good_rows_once(session: Session, court: Court, tmp_path: Path) -> None:
    session.commit()
    path = write_csv(tmp_path / "list.csv", GOOD_ROWS)
    result = run_import(session, path)
    assert result.ok and result.errors == []
    assert (result.rows, result.inserted) == (3, 3)
    session.commit()
    assert found(session, "zhangsan") == ["张三"]
    assert found(session, "shanxiongxin") == ["单雄信"]
    assert found(session, f"单县恒丰商贸有限公司 {CREDIT_CODE}") == ["单县恒丰商贸有限公司"]
    assert finds_nothing_by_bare_number(session, CREDIT_CODE)
    assert found(session, f"单雄信 {CREDIT_CODE}") == []
    assert found(session, "(2026)鲁1427执2号") == ["单县恒丰商贸有限公司"]
    by_name = {e.name: e for e in session.scalars(sa.select(DefaulterEntry))}
    assert by_name["张三"].ground == ListingGround.ASSET_REPORT
    assert by_name["张三"].unperformed_fen == 10_000_000 and by_name["张三"].sex == "male"
    assert by_name["张三"].published_at == datetime(2026, 3, 1, 9, 0, tzinfo=COURT_ZONE)
    assert by_name["单县恒丰商贸有限公司"].kind == PartyKind.ENTITY
    assert by_name["单县恒丰商贸有限公司"].ground == ListingGround.ABLE_BUT_REFUSES
    assert by_name["单县恒丰商贸有限公司"].expires_at is None
    assert by_name["单雄信"].ground == ListingGround.EVADES
    assert by_name["单雄信"].published_at == datetime(2026, 3, 2, 9, 0, tzinfo=COURT_ZONE)
    assert audit.verify(session).ok

    again = run_import(session, path)
    assert again.ok and (again.rows, again.inserted) == (3, 0)
    session.commit()
    assert count(session, DefaulterEntry) == 3


def test_import_reports_every_bad_row_and_keeps_nothing(session: Session, court: Court, tmp_path: Path) -> None:
    session.commit()
    rows = [
        GOOD_ROWS[0],  # line 2
        import_row(court_name="某某县人民法院", serial=11),  # line 3
        import_row(number="12345", serial=12),  # line 4
        import_row(number="37142719820315123", serial=13),  # line 5: 17 characters
        import_row("小明", pid("20100101"), serial=14),  # line 6: a minor
        import_row(circumstance="其他情形", serial=15),  # line 7
        import_row(published="2026-02-30", serial=16),  # line 8
        import_row(unperformed="十万元", serial=17),  # line 9
        import_row(unperformed="-5", serial=18),  # line 10
        GOOD_ROWS[1],  # line 11
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    result = run_import(session, path, batch=1)  # the first good row is written before the bad ones are met
    assert not result.ok
    assert result.rows == 10
    assert [e.line for e in result.errors] == [3, 4, 5, 6, 7, 8, 9, 10]
    reasons = [e.reason for e in result.errors]
    assert "执行法院" in reasons[0] and "身份证号码" in reasons[1] and "身份证号码" in reasons[2]
    assert "minor" in reasons[3] and "失信被执行人行为具体情形" in reasons[4] and "发布时间" in reasons[5]
    assert "未履行部分" in reasons[6] and "未履行部分" in reasons[7]
    session.rollback()
    assert count(session, DefaulterEntry) == 0
    assert count(session, Court) == 1

    good = run_import(session, write_csv(tmp_path / "good.csv", GOOD_ROWS[:2]))
    assert good.ok and good.inserted == 2


def test_an_import_without_every_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("被执行人姓名/名称,案号\n张三,(2026)鲁1427执1号\n", encoding="utf-8")
    with pytest.raises(ValueError, match="执行法院"):
        defaulter_imports.read(path)


@pytest.mark.parametrize(
    "number",
    [
        "371427198202301234",  # no 30 February: not an ID number, and no credit code either
        "371427201001011235",  # a minor's ID number with a wrong check digit
    ],
)
def test_import_refuses_a_mistyped_id_number(session: Session, court: Court, tmp_path: Path, number: str) -> None:
    session.commit()
    result = run_import(session, write_csv(tmp_path / "typo.csv", [import_row("小明", number)]))
    assert [e.line for e in result.errors] == [2]
    assert "身份证号码" in result.errors[0].reason
    session.rollback()
    assert count(session, DefaulterEntry) == 0
