"""How oversight reacts to the case register's events (see ``publicity.record.events``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from oversight import onsite
from publicity.record.events import CaseEnded, Handler


def cancel_onsite_actions(session: Session, event: CaseEnded) -> None:
    """A case that ended (结案 in any mode, or 终本) has nothing left to witness: its scheduled on-site actions
    are cancelled and the invited overseers told."""
    onsite.cancel_for_case(session, case_id=event.case_id, reason="case_closed", actor=event.actor, now=event.now)


HANDLERS: dict[type, list[Handler]] = {CaseEnded: [cancel_onsite_actions]}
