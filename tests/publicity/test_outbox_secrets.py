"""An invitation's one-time link is sealed in the outbox until delivered: the stored row holds no token, the SMS and
the email carry the working link, the link is erased once sent, and a row sealed under another key fails cleanly."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from oversight import invitations
from portal.extensions import db
from publicity.core import audit
from publicity.record import notices, outbox_secrets
from publicity.record.models import Channel, OutboxMessage, OutboxStatus
from tests.factories import LINK, NOW, dispose, file, invite, make_app, make_court, make_judge, make_overseer
from tests.portal.test_notify import Inbox, smtp  # noqa: F401 - the SMTP server fixture

PHONE, ADDRESS = "13900000001", "liu@example.cn"


@pytest.fixture
def mail_app(database_url: str, smtp: Inbox, tmp_path: Path) -> Iterator[Flask]:  # noqa: F811 - the fixture
    app = make_app(
        database_url,
        MINGJING_MAIL_HOST="127.0.0.1",
        MINGJING_MAIL_PORT=smtp.port,  # type: ignore[attr-defined]
        MINGJING_MAIL_FROM="notices@court.example",
        MINGJING_SMS_FILE=str(tmp_path / "sms.jsonl"),
    )
    yield app
    dispose(app)


def invite_deputy(app: Flask) -> str:
    """Invite a deputy reachable by SMS and email; return the invitation's token."""
    with app.app_context():
        court = make_court(db.session)
        case = file(db.session, court, judge=make_judge(db.session, court))
        deputy = make_overseer(db.session, court, "刘建华", phone=PHONE, email=ADDRESS)
        token = invite(db.session, case, deputy).token
        db.session.commit()
        return token


def raw_rows(app: Flask) -> str:
    """Every column of every outbox row as the database holds it (what a backup holds)."""
    with app.app_context():
        return "\n".join(
            repr(tuple(row)) for row in db.session.execute(sa.text("SELECT * FROM publicity_outbox_message"))
        )


def messages(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return found


def test_the_stored_row_holds_no_token(mail_app: Flask) -> None:
    token = invite_deputy(mail_app)
    stored = raw_rows(mail_app)
    assert stored.count("\n") == 1  # the SMS and the email
    assert token not in stored and LINK not in stored
    assert token[:12] not in stored and token[-12:] not in stored  # nor a part of it
    for message in messages(mail_app):
        assert "link" not in message.params and message.params["case_number"]  # the rest stays readable
        assert message.params[outbox_secrets.SEALED]["key"] == "test"  # the audit key it is derived from


def test_the_delivered_sms_and_email_carry_the_working_link_and_it_is_erased(mail_app: Flask, smtp: Inbox) -> None:  # noqa: F811
    token = invite_deputy(mail_app)
    result = mail_app.test_cli_runner().invoke(args=["notify", "deliver"])
    assert result.exit_code == 0 and "sent 2, failed 0" in result.output, result.output
    [sms] = [json.loads(line) for line in Path(mail_app.config["MINGJING_SMS_FILE"]).read_text().splitlines()]
    assert sms["to"] == PHONE and LINK + token in sms["text"]
    [(_sender, recipients, content)] = smtp.messages
    body = email.message_from_string(content, policy=email.policy.default).get_body().get_content()  # type: ignore[union-attr]
    assert recipients == [ADDRESS] and LINK + token in body
    with mail_app.app_context():  # the link works: it finds the invitation
        assert invitations.find_by_token(db.session, token, now=NOW).overseer.name == "刘建华"
    stored = raw_rows(mail_app)
    assert token not in stored and outbox_secrets.SEALED not in stored  # erased: not even sealed
    for message in messages(mail_app):
        assert message.status == OutboxStatus.SENT and message.params["case_number"] and message.params["judge"]


@pytest.mark.parametrize(
    ("key_id", "reason"),
    [
        ("test", "cannot be decrypted with audit key 'test'"),  # the same id, another secret
        ("other", "sealed with audit key 'test', which this portal lacks"),  # a keyring without that key
    ],
)
def test_a_row_sealed_under_another_key_fails_cleanly(
    mail_app: Flask,
    database_url: str,
    tmp_path: Path,
    key_id: str,
    reason: str,
) -> None:
    invite_deputy(mail_app)
    other = make_app(
        database_url,
        MINGJING_AUDIT_KEY="another-audit-key-" + "1" * 32,
        MINGJING_AUDIT_KEY_ID=key_id,
        MINGJING_SMS_FILE=str(tmp_path / "other-sms.jsonl"),
        MINGJING_MAIL_PORT=1,  # nothing may be sent
    )
    try:
        result = other.test_cli_runner().invoke(args=["notify", "deliver"])
        assert result.exit_code == 0 and "sent 0, failed 2, pending 0" in result.output, result.output
        assert "Traceback" not in result.output and result.exception is None
        assert not (tmp_path / "other-sms.jsonl").exists()
        for message in messages(other):
            assert message.status == OutboxStatus.FAILED and message.attempts == 1
            assert message.last_error.startswith("not sent: ") and reason in message.last_error
            assert outbox_secrets.SEALED not in message.params  # given up: nothing left to open
    finally:
        dispose(other)


def test_a_link_sealed_before_the_key_was_rotated_still_opens() -> None:
    old = audit.Keyring("2025", {"2025": b"k" * 32})
    rotated = audit.Keyring("2026", {"2025": b"k" * 32, "2026": b"n" * 32})
    sealed = outbox_secrets.seal({"link": LINK + "abc", "case_number": "x"}, ["link"], keys=old)
    assert "abc" not in json.dumps(sealed)
    assert outbox_secrets.reveal(sealed, keys=rotated) == {"link": LINK + "abc", "case_number": "x"}
    altered = {**sealed, "sealed": {"key": "2025", "data": sealed["sealed"]["data"][:-4] + "AAAA"}}  # type: ignore[index]
    with pytest.raises(outbox_secrets.Unreadable, match="altered"):
        outbox_secrets.reveal(altered, keys=rotated)


def test_messages_without_secrets_are_stored_as_they_are(mail_app: Flask) -> None:
    with mail_app.app_context():
        message = notices.enqueue(
            db.session, channel=Channel.SMS, recipient=PHONE, kind="case_node", params={"case_number": "x"}, now=NOW
        )
        assert message.params == {"case_number": "x"}
        db.session.rollback()
