"""Applicants who subscribe hear when their respondent is listed (when it is published) or taken off."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core.workdays import Calendar
from publicity.lists import defaulters
from publicity.lists.models import RemovalReason
from publicity.record import notices
from publicity.record.models import (
    Channel,
    EnforcementCase,
    OutboxMessage,
    OutboxStatus,
    PartyKind,
    PartySide,
    SubscriptionTopic,
)
from publicity.record.notices import ListingsForApplicants
from tests.factories import KEY, NOW, NUMBER, entry_data, file, make_court


def party(case: EnforcementCase, side: PartySide):  # type: ignore[no-untyped-def]
    return next(p for p in case.parties if p.side == side)


@pytest.fixture
def case(session: Session) -> EnforcementCase:
    filed = file(session, make_court(session))
    session.commit()
    return filed


def subscribe_listings(session: Session, case: EnforcementCase, address: str = "13900000000") -> None:
    notices.subscribe(
        session,
        case=case,
        party=party(case, PartySide.APPLICANT),
        channel=Channel.SMS,
        address=address,
        locale="zh_CN",
        topic=SubscriptionTopic.LISTINGS,
        now=NOW,
    )
    session.commit()


def list_respondent(session: Session, case: EnforcementCase, *, grace: int = 0):  # type: ignore[no-untyped-def]
    entry = defaulters.list_defaulter(
        session,
        court=case.court,
        case=case,
        key=KEY,
        actor="judge",
        now=NOW,
        grace_months=grace,
        data=entry_data("夏津县恒丰商贸有限公司", "91371427MA3C123459", 1, kind=PartyKind.ENTITY, case_number=NUMBER),
    )
    session.commit()
    return entry


def listing_messages(session: Session) -> list[OutboxMessage]:
    return list(
        session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "listing_event").order_by(OutboxMessage.id)
        )
    )


def test_the_applicant_is_told_when_the_listing_is_published_not_before(
    session: Session, case: EnforcementCase
) -> None:
    subscribe_listings(session, case)
    entry = list_respondent(session, case, grace=1)
    [message] = listing_messages(session)
    assert (message.recipient, message.params["event"]) == ("13900000000", "listed")
    assert message.next_attempt_at == entry.published_at > NOW
    assert notices.claim(session, now=NOW + timedelta(days=1)) == []  # still in its grace period
    assert [m.id for m in notices.claim(session, now=entry.published_at)] == [message.id]


def test_removal_is_told_and_a_removal_in_the_grace_period_withdraws_the_listing_notice(
    session: Session, case: EnforcementCase
) -> None:
    subscribe_listings(session, case)
    entry = list_respondent(session, case, grace=2)
    defaulters.record_removal_ground(
        session,
        entry=entry,
        reason=RemovalReason.PERFORMED,
        occurred_at=NOW,
        calendar=Calendar(),
        actor="judge",
        now=NOW,
    )
    defaulters.remove(session, entry=entry, actor="judge", now=NOW + timedelta(hours=1))
    session.commit()
    [listed] = listing_messages(session)  # never published, so nobody hears it was nor that it ended
    assert listed.status == OutboxStatus.FAILED
    assert notices.claim(session, now=entry.published_at) == []

    published = list_respondent_again(session, case)
    defaulters.record_removal_ground(
        session,
        entry=published,
        reason=RemovalReason.PERFORMED,
        occurred_at=NOW,
        calendar=Calendar(),
        actor="judge",
        now=NOW,
    )
    defaulters.remove(session, entry=published, actor="judge", now=NOW + timedelta(days=1))
    session.commit()
    assert [m.params["event"] for m in listing_messages(session)][-2:] == ["listed", "removed"]


def list_respondent_again(session: Session, case: EnforcementCase):  # type: ignore[no-untyped-def]
    entry = defaulters.list_defaulter(
        session,
        court=case.court,
        case=case,
        key=KEY,
        actor="judge",
        now=NOW,
        data=entry_data("张三", "371427198203151234", 2, case_number="（2026）鲁1427执2号"),
    )
    session.commit()
    return entry


def test_node_subscribers_are_not_told_of_listings_and_respondents_cannot_subscribe(
    session: Session, case: EnforcementCase
) -> None:
    notices.subscribe(
        session,
        case=case,
        party=party(case, PartySide.APPLICANT),
        channel=Channel.EMAIL,
        address="a@example.cn",
        locale="zh_CN",
        now=NOW,
    )
    with pytest.raises(ListingsForApplicants):
        notices.subscribe(
            session,
            case=case,
            party=party(case, PartySide.RESPONDENT),
            channel=Channel.SMS,
            address="13700000000",
            locale="zh_CN",
            topic=SubscriptionTopic.LISTINGS,
            now=NOW,
        )
    session.rollback()
    list_respondent(session, case)
    assert listing_messages(session) == []


def test_the_message_names_the_respondent_and_the_case(app, session: Session, case: EnforcementCase) -> None:  # type: ignore[no-untyped-def]
    from portal.adapters.notify import render

    subscribe_listings(session, case)
    list_respondent(session, case)
    [message] = listing_messages(session)
    with app.test_request_context():
        subject, text = render(message)
    assert NUMBER in subject
    assert "夏津县恒丰商贸有限公司" in text and "失信被执行人名单" in text


def test_a_removal_in_the_grace_period_withdraws_only_that_entrys_notice(
    session: Session, case: EnforcementCase
) -> None:
    subscribe_listings(session, case)
    first = list_respondent(session, case, grace=2)
    second = defaulters.list_defaulter(
        session,
        court=case.court,
        case=case,
        key=KEY,
        actor="judge",
        now=NOW,
        grace_months=1,
        data=entry_data("李四", "371427198201201232", 3, case_number=NUMBER),
    )
    session.commit()
    defaulters.record_removal_ground(
        session,
        entry=first,
        reason=RemovalReason.PERFORMED,
        occurred_at=NOW,
        calendar=Calendar(),
        actor="judge",
        now=NOW,
    )
    defaulters.remove(session, entry=first, actor="judge", now=NOW)
    session.commit()
    assert [m.params["respondent"] for m in notices.claim(session, now=second.published_at)] == ["李四"]


def test_a_waiting_notice_is_not_sent_once_the_applicant_unsubscribed(
    app,
    session: Session,
    case: EnforcementCase,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    from portal.adapters import notify
    from portal.extensions import db

    app.config["MINGJING_SMS_FILE"] = str(tmp_path / "sms.jsonl")

    subscription, _token = notices.subscribe(
        session,
        case=case,
        party=party(case, PartySide.APPLICANT),
        channel=Channel.SMS,
        address="13900000000",
        locale="zh_CN",
        topic=SubscriptionTopic.LISTINGS,
        now=NOW,
    )
    entry = list_respondent(session, case, grace=1)
    subscription.cancelled_at = NOW + timedelta(days=1)
    session.commit()
    [message] = listing_messages(session)
    monkeypatch.setattr(notify, "utcnow", lambda: entry.published_at)
    with app.app_context():
        assert notify.deliver_once(app, worker="w") == (0, 0)
        withdrawn = db.session.get(OutboxMessage, message.id)
        assert withdrawn.status == OutboxStatus.FAILED and withdrawn.last_error == "subscription cancelled"
        sms_file = Path(app.config["MINGJING_SMS_FILE"])
    assert not sms_file.exists() or "13900000000" not in sms_file.read_text(encoding="utf-8")


def test_an_imported_listing_on_a_watched_case_is_told_once_published(
    session: Session, case: EnforcementCase, tmp_path: Path
) -> None:
    from publicity.lists import defaulter_imports
    from tests.factories import ZHANG_SAN_ID, import_row, write_csv

    subscribe_listings(session, case)
    rows = [
        import_row("夏津县恒丰商贸有限公司", "91371427MA3C123459", serial=1, sex="", published="2026年04月01日"),
        import_row("张三", ZHANG_SAN_ID, serial=7),
    ]  # a case not in the register: nobody to tell
    path = write_csv(tmp_path / "list.csv", rows)
    result = defaulter_imports.import_entries(session, defaulter_imports.read(path), key=KEY, actor="admin", now=NOW)
    session.commit()
    assert result.ok and result.inserted == 2 and result.notices == 1
    [message] = listing_messages(session)
    assert message.params["respondent"] == "夏津县恒丰商贸有限公司" and message.next_attempt_at > NOW
    again = defaulter_imports.import_entries(
        session, defaulter_imports.read(path), key=KEY, actor="admin", now=NOW + timedelta(hours=1)
    )
    assert again.inserted == 0 and again.notices == 0  # a re-import tells nobody twice


def test_re_subscribing_keeps_the_waiting_notice(
    app,
    session: Session,
    case: EnforcementCase,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from portal.adapters import notify

    app.config["MINGJING_SMS_FILE"] = str(tmp_path / "sms.jsonl")

    subscribe_listings(session, case)
    entry = list_respondent(session, case, grace=1)
    subscribe_listings(session, case)  # the same address again: a fresh unsubscribe link
    monkeypatch.setattr(notify, "utcnow", lambda: entry.published_at)
    with app.test_request_context():  # as 'notify deliver' runs it (links in messages)
        assert notify.deliver_once(app, worker="w") == (1, 0)
    assert "已被纳入失信被执行人名单" in (tmp_path / "sms.jsonl").read_text(encoding="utf-8")


def test_an_import_of_a_listing_whose_term_has_ended_tells_nobody(
    session: Session, case: EnforcementCase, tmp_path: Path
) -> None:
    from publicity.lists import defaulter_imports
    from tests.factories import import_row, write_csv

    subscribe_listings(session, case)
    path = write_csv(
        tmp_path / "old.csv",
        [import_row("夏津县恒丰商贸有限公司", "91371427MA3C123459", serial=1, sex="", published="2022-01-01")],
    )  # ground 4: two years, ended 2024
    result = defaulter_imports.import_entries(session, defaulter_imports.read(path), key=KEY, actor="admin", now=NOW)
    assert result.inserted == 1 and result.notices == 0
