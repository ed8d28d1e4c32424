"""Delivering the outbox: render each message in its recipient's language and send it.

Why it is long: it holds the renderer of every notice kind (sixteen messages, each in its own short function) beside
the delivery worker and the SMS and mail gateways that send what they render.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import inspect
import json
import re
import smtplib
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol, TypeGuard

from flask import Flask
from flask_babel import force_locale, format_datetime, get_locale
from flask_babel import gettext as _

from oversight.models import OnsiteMeasure
from portal.database import utcnow
from portal.extensions import db
from portal.presentation import labels
from portal.templating import external_url
from publicity.record import notices, outbox_secrets
from publicity.record.models import Channel, NodeType, NoticeKind, OutboxMessage


class SmsGateway(Protocol):
    """What an SMS gateway does: send one text to one mobile number, or raise.

    A gateway may also accept ``key=``, the message's stable identity (the same on a resend after a
    crash between sending and recording it), to pass on as the operator API's idempotency key;
    gateways without it are called as before.
    """

    def send(self, *, to: str, text: str) -> None: ...


class KeyedSmsGateway(Protocol):
    """A gateway that takes the message's key."""

    def send(self, *, to: str, text: str, key: str) -> None: ...


class FileSmsGateway:
    """Development gateway: appends each SMS as a JSON line to a file instead of sending it; a key it
    has already written is not written again (what an operator's idempotency key does)."""

    def __init__(self, app: Flask) -> None:
        self.path = app.config["MINGJING_SMS_FILE"]

    def send(self, *, to: str, text: str, key: str | None = None) -> None:
        with open(self.path, "a+", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # check and append as one step, whichever worker sends
            if key is not None:
                f.seek(0)
                if key in _written_keys(f):
                    return
            f.write(
                json.dumps({"to": to, "text": text, "at": utcnow().isoformat(), "key": key}, ensure_ascii=False) + "\n"
            )


def _written_keys(lines: Iterable[str]) -> set[str]:
    keys = set()
    for line in lines:
        try:
            keys.add(json.loads(line).get("key"))
        except ValueError:  # a line cut short by a crash while writing it
            continue
    return keys


def sms_gateway(app: Flask) -> SmsGateway:
    """Build the gateway named by MINGJING_SMS_GATEWAY (``module:Class``, constructed with the app)."""
    module_name, _sep, class_name = app.config["MINGJING_SMS_GATEWAY"].partition(":")
    gateway: SmsGateway = getattr(importlib.import_module(module_name), class_name)(app)
    return gateway


def _takes_key(gateway: SmsGateway | KeyedSmsGateway) -> TypeGuard[KeyedSmsGateway]:
    parameters = inspect.signature(gateway.send).parameters.values()
    return any(p.name == "key" or p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters)


def _send_sms(gateway: SmsGateway, *, to: str, text: str, key: str) -> None:
    if _takes_key(gateway):
        gateway.send(to=to, text=text, key=key)
    else:  # a gateway written before keys existed
        gateway.send(to=to, text=text)


_DOT_ATOM = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")


def message_key(app: Flask, message: OutboxMessage) -> str:
    """The message's identity, the same on every attempt: ``outbox-<id>.<deployment>@<mail domain>``.

    Delivery is at least once (a worker that dies after sending but before recording it leaves the
    message to be claimed again), so the email carries it as its Message-ID and the SMS gateway gets it
    as its idempotency key: recipients and gateways can recognise the resend. The deployment part (the
    configured court code, else "portal") keeps two portals sending from one mail domain apart.
    """
    court = app.config["MINGJING_COURT_CODE"]
    try:
        deployment = court.encode("idna").decode("ascii").lower() if court else "portal"  # 鲁1427 -> xn--1427-k96n
    except UnicodeError:
        deployment = ""
    if not _DOT_ATOM.fullmatch(deployment):
        deployment = "court-" + hashlib.sha256(court.encode()).hexdigest()[:12]
    domain = app.config["MINGJING_MAIL_FROM"].partition("@")[2]
    if not _DOT_ATOM.fullmatch(domain):
        domain = "mingjing"
    return f"outbox-{message.id}.{deployment}@{domain}"


def send_email(app: Flask, *, to: str, subject: str, text: str, message_id: str) -> None:
    """Send one plain-text email over SMTP with the configured server (``message_id`` without brackets)."""
    config = app.config
    message = EmailMessage()
    message["From"] = config["MINGJING_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    message.set_content(text)
    with smtplib.SMTP(config["MINGJING_MAIL_HOST"], config["MINGJING_MAIL_PORT"], timeout=20) as smtp:
        if config["MINGJING_MAIL_STARTTLS"]:
            smtp.starttls()
        if config["MINGJING_MAIL_USER"]:
            smtp.login(config["MINGJING_MAIL_USER"], config["MINGJING_MAIL_PASSWORD"])
        smtp.send_message(message)


def render(message: OutboxMessage, params: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """The subject and text of a message, in the recipient's language (``params``: its parameters with the sealed
    secrets opened; opened here when not given), by the renderer of its kind."""
    p: Mapping[str, Any] = outbox_secrets.reveal(message.params) if params is None else params  # shaped by the kind
    kind = NoticeKind(message.kind)
    with force_locale(message.locale):
        return RENDERERS[kind](kind, p)


# --- One renderer per notice kind (a kind without one fails tests/portal/test_notify.py) ------------------------


def _case_node(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    what = labels.label(labels.NODE_TYPES, NodeType(p["node_type"]))
    detail = p.get("public_text") or ""
    if p.get("amount_fen") is not None:
        detail = _("%(amount)s yuan", amount=labels.yuan(p["amount_fen"])) + (f" {detail}" if detail else "")
    subject = _("Case %(number)s: %(what)s", number=p["case_number"], what=what)
    text = subject + (
        f"：{detail}" if detail and str(get_locale()).startswith("zh") else f": {detail}" if detail else ""
    )
    text += "\n" + _("Details: %(url)s", url=_external("cases.lookup", case_number=p["case_number"]))
    return str(subject), str(text)


def _subscribed(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    subject = _("Notices for case %(number)s", number=p["case_number"])
    url = _external("cases.unsubscribe", token=p["unsubscribe_token"])
    if p.get("topic") == "listings":
        text = _(
            "You will be told when the respondent of case %(number)s is listed, restricted or taken off a "
            "list. To stop: %(url)s",
            number=p["case_number"],
            url=url,
        )
    else:
        text = _(
            "You will receive the new public steps of case %(number)s. To stop: %(url)s",
            number=p["case_number"],
            url=url,
        )
    return str(subject), str(text)


def _correction_decided(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    subject = _("Your correction request about %(name)s", name=p["entry_name"])
    if p["accepted"]:
        text = _(
            "The court accepted your correction request about %(name)s (%(number)s): the entry is off the list.",  # noqa: E501 - one message
            name=p["entry_name"],
            number=p["case_number"],
        )
    else:
        text = _(
            "The court rejected your correction request about %(name)s (%(number)s). Reasons: %(reasons)s "
            "You may ask the court at the next level for review within 10 days.",
            name=p["entry_name"],
            number=p["case_number"],
            reasons=p["reasons"],
        )
    return str(subject), str(text)


def _listing_event(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    texts = {
        "listed": _("Case %(number)s: %(name)s has been published on the list of dishonest judgment defaulters."),
        "removed": _("Case %(number)s: %(name)s is no longer on the list of dishonest judgment defaulters."),
        "restricted": _("Case %(number)s: a consumption restriction order against %(name)s has been issued."),
        "restriction_lifted": _("Case %(number)s: the consumption restriction order against %(name)s has been lifted."),
    }
    subject = _("Case %(number)s: list notice", number=p["case_number"])
    text = texts[p["event"]] % {"number": p["case_number"], "name": p["respondent"]}
    text += "\n" + _("Details: %(url)s", url=_external("cases.lookup", case_number=p["case_number"]))
    return str(subject), str(text)


def _oversight_invitation(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    subject = _("Invitation to supervise case %(number)s", number=p["case_number"])
    text = _(
        "%(court)s, judge %(judge)s, invites you to supervise enforcement case %(number)s. "
        "Answer through this link (valid 14 days): %(link)s",
        court=p["court"],
        judge=p["judge"],
        number=p["case_number"],
        link=p["link"],
    )
    if p.get("message"):
        text += "\n" + p["message"]
    return str(subject), str(text)


def _onsite_coming(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    when = format_datetime(datetime.fromisoformat(p["scheduled_at"]), "yyyy-MM-dd HH:mm")
    measure = labels.label(labels.ONSITE_MEASURES, OnsiteMeasure(p["measure"]))
    subject = (
        _("On-site action tomorrow: case %(number)s", number=p["case_number"])
        if kind == NoticeKind.ONSITE_REMINDER
        else _("On-site action in case %(number)s", number=p["case_number"])
    )
    text = _(
        "Case %(number)s: %(measure)s at %(place)s, %(when)s. Please tell the court whether you will "
        "witness it: %(url)s",
        number=p["case_number"],
        measure=measure,
        place=p["place"],
        when=when,
        url=_external("overseer.home"),
    )
    text += _judge_contact(p)
    return str(subject), str(text)


def _onsite_cancelled(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    when = format_datetime(datetime.fromisoformat(p["scheduled_at"]), "yyyy-MM-dd HH:mm")
    measure = labels.label(labels.ONSITE_MEASURES, OnsiteMeasure(p["measure"]))
    subject = _("On-site action cancelled: case %(number)s", number=p["case_number"])
    text = _(
        "Case %(number)s: the %(measure)s at %(place)s, %(when)s, is cancelled.",
        number=p["case_number"],
        measure=measure,
        place=p["place"],
        when=when,
    )
    reason = labels.label(labels.ONSITE_CANCEL_REASONS, p["reason"])
    text += "\n" + _("Reason: %(reason)s", reason=reason) + _judge_contact(p)
    return str(subject), str(text)


def _onsite_rescheduled(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    when = format_datetime(datetime.fromisoformat(p["scheduled_at"]), "yyyy-MM-dd HH:mm")
    previous = format_datetime(datetime.fromisoformat(p["previous_at"]), "yyyy-MM-dd HH:mm")
    measure = labels.label(labels.ONSITE_MEASURES, OnsiteMeasure(p["measure"]))
    subject = _("On-site action moved: case %(number)s", number=p["case_number"])
    text = _(
        "Case %(number)s: the %(measure)s planned for %(previous)s now takes place at %(place)s, %(when)s. "
        "Please tell the court again whether you will witness it: %(url)s",
        number=p["case_number"],
        measure=measure,
        previous=previous,
        place=p["place"],
        when=when,
        url=_external("overseer.home"),
    )
    text += "\n" + _("Reason: %(reason)s", reason=p["reason"]) + _judge_contact(p)
    return str(subject), str(text)


def _oversight_answer(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    texts = {
        NoticeKind.CARD_ANSWERED: _("Case %(number)s: judge %(judge)s answered your evaluation card."),
        NoticeKind.QUESTION_ANSWERED: _("Case %(number)s: judge %(judge)s answered your question."),
        NoticeKind.CLOSURE_REPORT: _(
            "Case %(number)s has closed: judge %(judge)s filed the closure report. Please read and acknowledge it."
        ),
    }
    subject = _("Case %(number)s: oversight", number=p["case_number"])
    text = texts[kind] % {"number": p["case_number"], "judge": p["judge"]}
    text += "\n" + _("Details: %(url)s", url=_external("overseer.home"))
    return str(subject), str(text)


def _grid_push(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    event = labels.label(labels.PUSH_EVENTS, p["event"])
    subject = _("Grid %(grid)s: %(event)s", grid=p["grid"], event=event)
    text = _(
        "%(respondent)s of your grid %(grid)s (case %(number)s): %(event)s. Details in your inbox: %(url)s",
        respondent=p["respondent"],
        grid=p["grid"],
        number=p["case_number"],
        event=event,
        url=_external("grid.home"),
    )
    return str(subject), str(text)


def _grid_task(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    task = labels.label(labels.TASK_KINDS, p["kind"])
    due = format_datetime(datetime.fromisoformat(p["due_at"]), "yyyy-MM-dd HH:mm")
    subject = _("Case %(number)s: the court asks your help", number=p["case_number"])
    text = _(
        "Case %(number)s: the court asks you to %(kind)s by %(due)s. Accept and report back: %(url)s",
        number=p["case_number"],
        kind=task,
        due=due,
        url=_external("grid.home"),
    )
    return str(subject), str(text)


def _aid(kind: NoticeKind, p: Mapping[str, Any]) -> tuple[str, str]:
    subject = _("Case %(number)s: judicial aid", number=p["case_number"])
    if kind == NoticeKind.AID_PAID:
        text = _(
            "Case %(number)s: the judicial aid of %(amount)s yuan has been paid.",
            number=p["case_number"],
            amount=labels.yuan(p["amount_fen"]),
        )
    elif p["granted"]:
        text = _(
            "Case %(number)s: the court granted you judicial aid of %(amount)s yuan.",
            number=p["case_number"],
            amount=labels.yuan(p["amount_fen"]),
        )
    else:
        text = _(
            "Case %(number)s: the court refused your application for judicial aid. Reasons: %(reasons)s",
            number=p["case_number"],
            reasons=p["reasons"],
        )
    text += "\n" + _("Details: %(url)s", url=_external("cases.lookup", case_number=p["case_number"]))
    return str(subject), str(text)


RENDERERS: dict[NoticeKind, Callable[[NoticeKind, Mapping[str, Any]], tuple[str, str]]] = {
    NoticeKind.CASE_NODE: _case_node,
    NoticeKind.SUBSCRIBED: _subscribed,
    NoticeKind.CORRECTION_DECIDED: _correction_decided,
    NoticeKind.LISTING_EVENT: _listing_event,
    NoticeKind.OVERSIGHT_INVITATION: _oversight_invitation,
    NoticeKind.ONSITE_SCHEDULED: _onsite_coming,
    NoticeKind.ONSITE_REMINDER: _onsite_coming,
    NoticeKind.ONSITE_CANCELLED: _onsite_cancelled,
    NoticeKind.ONSITE_RESCHEDULED: _onsite_rescheduled,
    NoticeKind.CARD_ANSWERED: _oversight_answer,
    NoticeKind.QUESTION_ANSWERED: _oversight_answer,
    NoticeKind.CLOSURE_REPORT: _oversight_answer,
    NoticeKind.GRID_PUSH: _grid_push,
    NoticeKind.GRID_TASK: _grid_task,
    NoticeKind.AID_DECIDED: _aid,
    NoticeKind.AID_PAID: _aid,
}


def _judge_contact(p: Mapping[str, Any]) -> str:
    """The line an overseer calls about an on-site action (messages queued before it existed have none)."""
    if not p.get("judge"):
        return ""
    if p.get("contact_phone"):
        return "\n" + str(_("Contact: judge %(judge)s, tel. %(phone)s", judge=p["judge"], phone=p["contact_phone"]))
    return "\n" + str(_("Contact: judge %(judge)s", judge=p["judge"]))


def _external(endpoint: str, **values: object) -> str:
    return external_url(endpoint, **values)


def deliver_once(app: Flask, *, worker: str, batch: int = 20) -> tuple[int, int]:
    """Claim one batch, send it, record the outcome; return (sent, failed)."""
    claimed = notices.claim(db.session, worker=worker, limit=batch, now=utcnow())
    db.session.commit()
    sent = failed = 0
    gateway = sms_gateway(app) if any(m.channel == Channel.SMS for m in claimed) else None
    for message in claimed:
        if notices.subscription_ended(db.session, message):  # e.g. a listing notice unsubscribed while it waited
            notices.mark_withdrawn(db.session, message=message, now=utcnow())
            db.session.commit()
            continue
        try:
            params = outbox_secrets.reveal(message.params)
        except outbox_secrets.Unreadable as exc:  # another key, or an altered row: no retry would open it
            notices.mark_unreadable(db.session, message=message, error=f"not sent: {exc}", now=utcnow())
            db.session.commit()
            failed += 1
            continue
        try:
            subject, text = render(message, params)
            key = message_key(app, message)
            if message.channel == Channel.SMS:
                assert gateway is not None  # made above when any claimed message is an SMS
                _send_sms(gateway, to=message.recipient, text=text, key=key)
            else:
                send_email(app, to=message.recipient, subject=subject, text=text, message_id=key)
        except (OSError, smtplib.SMTPException, ValueError, KeyError) as exc:
            notices.mark_failed(db.session, message=message, error=f"{type(exc).__name__}: {exc}", now=utcnow())
            failed += 1
        else:
            notices.mark_sent(db.session, message=message, now=utcnow())
            sent += 1
        db.session.commit()  # one message at a time: a crash loses at most the one in flight
    return sent, failed


def deliver(app: Flask, *, loop: bool, interval: float = 5.0, echo: Callable[[str], object] = print) -> None:
    """Send pending messages; with ``loop``, keep polling until interrupted."""
    worker = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
    total_sent = total_failed = 0
    with app.test_request_context(base_url=app.config["MINGJING_PUBLIC_URL"]):
        while True:
            sent, failed = deliver_once(app, worker=worker)
            total_sent, total_failed = total_sent + sent, total_failed + failed
            if sent or failed:
                continue
            if not loop:
                break
            time.sleep(interval)
    echo(f"sent {total_sent}, failed {total_failed}, pending {notices.pending_count(db.session)}")
