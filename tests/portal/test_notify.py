"""Delivering notices: a real local SMTP server, the file SMS gateway, retries, concurrent workers."""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from portal.adapters import notify
from portal.database import utcnow
from portal.extensions import db
from publicity.record import notices
from publicity.record.models import Channel, NoticeKind, OutboxMessage, OutboxStatus
from tests.factories import NOW, make_app


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp() -> Inbox:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks its server by connecting to it)
        probe.bind(("127.0.0.1", 0))
        inbox.port = probe.getsockname()[1]  # type: ignore[attr-defined]
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)  # type: ignore[attr-defined]
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def mail_app(database_url: str, smtp: Inbox, tmp_path: Path) -> Flask:
    app = make_app(
        database_url,
        MINGJING_MAIL_HOST="127.0.0.1",
        MINGJING_MAIL_PORT=smtp.port,  # type: ignore[attr-defined]
        MINGJING_MAIL_FROM="notices@court.example",
        MINGJING_SMS_FILE=str(tmp_path / "sms.jsonl"),
        MINGJING_PUBLIC_URL="https://court.example",
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def enqueue(app: Flask, n: int, channel: Channel = Channel.SMS, recipient: str = "13900000000") -> None:
    with app.app_context():
        for i in range(n):
            notices.enqueue(
                db.session,
                channel=channel,
                recipient=recipient,
                kind=NoticeKind.CASE_NODE,
                now=NOW,
                params={
                    "case_number": "（2026）鲁1427执5号",
                    "node_type": "search_started",
                    "public_text": f"第{i}条",
                    "amount_fen": None,
                },
            )
        db.session.commit()


def statuses(app: Flask) -> list[str]:
    with app.app_context():
        return [m.status.value for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))]


def test_sms_goes_to_the_development_file(mail_app: Flask) -> None:
    enqueue(mail_app, 2)
    result = mail_app.test_cli_runner().invoke(args=["notify", "deliver"])
    assert result.exit_code == 0 and "sent 2, failed 0, pending 0" in result.output
    lines = [json.loads(line) for line in Path(mail_app.config["MINGJING_SMS_FILE"]).read_text().splitlines()]
    assert [line["to"] for line in lines] == ["13900000000", "13900000000"]
    assert (
        "（2026）鲁1427执5号" in lines[0]["text"] and "启动网络查控" in lines[0]["text"] and "第0条" in lines[0]["text"]
    )
    assert "https://court.example/cases/lookup" in lines[0]["text"]
    assert statuses(mail_app) == ["sent", "sent"]
    # Nothing is sent twice.
    again = mail_app.test_cli_runner().invoke(args=["notify", "deliver"])
    assert "sent 0" in again.output and len(Path(mail_app.config["MINGJING_SMS_FILE"]).read_text().splitlines()) == 2


def test_email_goes_through_a_real_smtp_server(mail_app: Flask, smtp: Inbox) -> None:
    enqueue(mail_app, 1, Channel.EMAIL, "party@example.com")
    assert mail_app.test_cli_runner().invoke(args=["notify", "deliver"]).exit_code == 0
    assert len(smtp.messages) == 1
    sender, recipients, content = smtp.messages[0]
    assert sender == "notices@court.example" and recipients == ["party@example.com"]
    assert "Subject:" in content and statuses(mail_app) == ["sent"]


def test_failures_are_retried_with_back_off(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, MINGJING_MAIL_HOST="127.0.0.1", MINGJING_MAIL_PORT=1)  # nothing listens there
    enqueue(app, 1, Channel.EMAIL, "party@example.com")
    result = app.test_cli_runner().invoke(args=["notify", "deliver"])
    assert "sent 0, failed 1, pending 1" in result.output
    with app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage))
        assert message.status == OutboxStatus.PENDING and message.attempts == 1 and "Error" in message.last_error
        assert message.next_attempt_at > NOW
        db.engine.dispose()


@pytest.mark.commits
def test_two_concurrent_workers_send_each_message_exactly_once(mail_app: Flask) -> None:
    enqueue(mail_app, 60)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with mail_app.test_request_context(base_url="https://court.example"):
                notify.deliver(mail_app, loop=False, echo=lambda _line: None)
                db.session.remove()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    lines = [json.loads(line)["text"] for line in Path(mail_app.config["MINGJING_SMS_FILE"]).read_text().splitlines()]
    assert len(lines) == 60
    assert sorted(lines) == sorted(set(lines))  # every message once: the texts differ by number
    assert statuses(mail_app) == ["sent"] * 60


def test_a_node_and_its_notices_share_one_transaction(mail_app: Flask) -> None:
    """A rolled-back node leaves no message behind."""
    with mail_app.app_context():
        from publicity.core import courts
        from publicity.record import cases
        from publicity.record.models import NodeType, PartyKind, PartySide

        court = courts.add_court(
            db.session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="t", now=NOW
        )
        case = cases.file_case(
            db.session,
            court=court,
            number="（2026）鲁1427执5号",
            basis_issuer="x",
            basis_number="y",
            amount_applied_fen=100,
            filed_at=NOW,
            actor="t",
            now=NOW,
            parties=[cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="甲")],
        )
        notices.subscribe(
            db.session,
            case=case,
            party=case.parties[0],
            channel=Channel.SMS,
            address="13900000000",
            locale="zh_CN",
            now=NOW,
        )
        db.session.commit()
        cases.add_node(
            db.session,
            case=case,
            node_type=NodeType.SEARCH_STARTED,
            occurred_at=NOW + timedelta(hours=1),
            public_text="x",
            actor="t",
            now=NOW + timedelta(hours=1),
        )
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def crash_after_sending(app: Flask) -> None:
    """Put every sent message back as a worker that died between sending it and recording it leaves it:
    claimed long enough ago that the next worker takes it over."""
    with app.app_context():
        db.session.execute(
            sa.update(OutboxMessage).values(
                status=OutboxStatus.SENDING,
                sent_at=None,
                claimed_by="dead-worker",
                claimed_at=utcnow() - notices.CLAIM_TIMEOUT - timedelta(minutes=1),
            )
        )
        db.session.commit()
        db.engine.dispose()


def message_ids(inbox: Inbox) -> list[str]:
    return [
        line.split(":", 1)[1].strip()
        for _sender, _to, content in inbox.messages
        for line in content.splitlines()
        if line.lower().startswith("message-id:")
    ]


def test_a_resent_email_carries_the_same_message_id(database_url: str, smtp: Inbox, tmp_path: Path) -> None:
    """Delivery is at least once: a resend after a crash is recognisable by its recipient."""
    port = smtp.port  # type: ignore[attr-defined]
    app = make_app(
        database_url,
        MINGJING_MAIL_HOST="127.0.0.1",
        MINGJING_MAIL_PORT=port,
        MINGJING_MAIL_FROM="notices@court.example",
        MINGJING_COURT_CODE="鲁1427",
    )
    enqueue(app, 2, Channel.EMAIL, "party@example.com")
    assert "sent 2" in app.test_cli_runner().invoke(args=["notify", "deliver"]).output
    crash_after_sending(app)
    assert "sent 2" in app.test_cli_runner().invoke(args=["notify", "deliver"]).output
    with app.app_context():
        ids = [m.id for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))]
        db.engine.dispose()
    expected = [f"<outbox-{i}.xn--1427-k96n@court.example>" for i in ids]
    assert message_ids(smtp) == expected + expected  # the court code spelled in ASCII, as RFC 5322 wants


def test_the_message_id_names_the_portal_without_a_court_code(mail_app: Flask, smtp: Inbox) -> None:
    enqueue(mail_app, 1, Channel.EMAIL, "party@example.com")
    mail_app.test_cli_runner().invoke(args=["notify", "deliver"])
    with mail_app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage))
        assert message_ids(smtp) == [f"<outbox-{message.id}.portal@court.example>"]
        assert notify.message_key(mail_app, message) == f"outbox-{message.id}.portal@court.example"


def test_the_file_gateway_writes_a_resent_sms_once(mail_app: Flask) -> None:
    enqueue(mail_app, 2)
    mail_app.test_cli_runner().invoke(args=["notify", "deliver"])
    crash_after_sending(mail_app)
    assert "sent 2, failed 0, pending 0" in mail_app.test_cli_runner().invoke(args=["notify", "deliver"]).output
    lines = [json.loads(line) for line in Path(mail_app.config["MINGJING_SMS_FILE"]).read_text().splitlines()]
    with mail_app.app_context():
        ids = [m.id for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))]
    assert [line["key"] for line in lines] == [f"outbox-{i}.portal@court.example" for i in ids]
    assert statuses(mail_app) == ["sent", "sent"]


class KeylessGateway:
    """A gateway written before idempotency keys: send(to=, text=) only."""

    sent: list[dict[str, str]] = []

    def __init__(self, app: Flask) -> None:
        pass

    def send(self, *, to: str, text: str) -> None:
        KeylessGateway.sent.append({"to": to, "text": text})


class KeywordsGateway:
    """A gateway taking any keyword gets the key too."""

    sent: list[dict[str, str]] = []

    def __init__(self, app: Flask) -> None:
        pass

    def send(self, **fields: str) -> None:
        KeywordsGateway.sent.append(fields)


@pytest.mark.parametrize("gateway", [KeylessGateway, KeywordsGateway])
def test_other_gateways_are_called_as_they_accept(database_url: str, gateway: type) -> None:
    gateway.sent = []
    app = make_app(database_url, MINGJING_SMS_GATEWAY=f"{__name__}:{gateway.__name__}")
    enqueue(app, 1)
    assert "sent 1, failed 0" in app.test_cli_runner().invoke(args=["notify", "deliver"]).output
    with app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage))
        key = notify.message_key(app, message)
        db.engine.dispose()
    expected = ["key", "text", "to"] if gateway is KeywordsGateway else ["text", "to"]
    assert [sorted(s) for s in gateway.sent] == [expected]
    if gateway is KeywordsGateway:
        assert gateway.sent[0]["key"] == key == f"outbox-{message.id}.portal@localhost"


# One message of every kind, with the parameters its writer gives it.
CASE = {"case_number": "（2026）鲁1427执5号"}
ONSITE = {**CASE, "scheduled_at": "2026-12-09T01:00:00+00:00", "measure": "seizure", "place": "银城街"}
SAMPLES: dict[NoticeKind, dict[str, object]] = {
    NoticeKind.CASE_NODE: {**CASE, "node_type": "search_started", "public_text": "", "amount_fen": 120000},
    NoticeKind.SUBSCRIBED: {**CASE, "unsubscribe_token": "t", "topic": "nodes"},
    NoticeKind.CORRECTION_DECIDED: {**CASE, "entry_name": "张三", "accepted": False, "reasons": "理由"},
    NoticeKind.LISTING_EVENT: {**CASE, "event": "listed", "respondent": "张三"},
    NoticeKind.OVERSIGHT_INVITATION: {**CASE, "court": "夏津县人民法院", "judge": "李法官", "link": "https://x/i/1"},
    NoticeKind.ONSITE_SCHEDULED: {**ONSITE, "judge": "李法官", "contact_phone": "0534-12368"},
    NoticeKind.ONSITE_REMINDER: {**ONSITE, "judge": "李法官"},
    NoticeKind.ONSITE_CANCELLED: {**ONSITE, "reason": "case_closed"},
    NoticeKind.ONSITE_RESCHEDULED: {**ONSITE, "previous_at": "2026-12-08T01:00:00+00:00", "reason": "下雨"},
    NoticeKind.CARD_ANSWERED: {**CASE, "judge": "李法官"},
    NoticeKind.QUESTION_ANSWERED: {**CASE, "judge": "李法官"},
    NoticeKind.CLOSURE_REPORT: {**CASE, "judge": "李法官"},
    NoticeKind.GRID_PUSH: {**CASE, "event": "listed", "grid": "银城", "respondent": "张三"},
    NoticeKind.GRID_TASK: {**CASE, "kind": "serve", "due_at": "2026-12-10T09:00:00+00:00"},
    NoticeKind.AID_DECIDED: {**CASE, "granted": True, "amount_fen": 500000},
    NoticeKind.AID_PAID: {**CASE, "amount_fen": 500000},
}


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_notice_kind_has_its_renderer_in_both_languages(mail_app: Flask, kind: NoticeKind) -> None:
    assert set(notify.RENDERERS) == set(NoticeKind) == set(SAMPLES)
    # As the delivery worker renders: in a request context on the portal's public address (links in the text).
    with mail_app.test_request_context(base_url=mail_app.config["MINGJING_PUBLIC_URL"]):
        texts = {}
        for locale in ("zh_CN", "en"):
            message = OutboxMessage(kind=kind, locale=locale, params=SAMPLES[kind])
            subject, text = notify.render(message)
            assert "（2026）鲁1427执5号" in subject + text and "%(" not in subject + text, (locale, text)
            texts[locale] = text
        assert texts["zh_CN"] != texts["en"]  # each language has its own wording


def test_the_database_refuses_a_kind_no_renderer_knows(mail_app: Flask) -> None:
    with mail_app.app_context():
        insert = sa.text(
            "INSERT INTO publicity_outbox_message (channel, recipient, locale, kind, params, status, attempts,"
            " next_attempt_at, last_error, created_at)"
            " VALUES ('sms', '13900000000', 'zh_CN', :kind, '{}', 'pending', 0, :at, '', :at)"
        )
        db.session.execute(insert, {"kind": "case_node", "at": NOW})  # a known kind goes in
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(insert, {"kind": "case_nodes", "at": NOW})
        db.session.rollback()
