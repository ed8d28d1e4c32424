"""Domain events: what one area of the record tells the others, inside the same transaction.

A use case publishes an event where something happened that other areas react to (a case ended, a node was
voided); the handlers run at once, in the publisher's transaction, so the reactions commit or roll back
with it. The table of handlers is assembled once, at start-up, by the composition root (``portal``), from
each domain package's own table (``publicity.reactions.HANDLERS``, ``oversight.reactions.HANDLERS``): so the
case register needs to import none of the areas that react to it, and ``publicity`` never imports
``oversight``. (cosmicpython's ``EVENT_HANDLERS``, without a message bus.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from publicity.record.models import ClosureMode, NodeType


@dataclass(frozen=True)
class CaseEnded:
    """A case was closed (结案) or closed by 终本 (``closure_mode`` TERMINATED_THIS_ROUND)."""

    case_id: int
    closure_mode: ClosureMode
    occurred_at: datetime
    actor: str
    now: datetime


@dataclass(frozen=True)
class NodeVoided:
    """A node entered in error was voided by a correction; ``reason`` is the correction's."""

    case_id: int
    node_id: int
    node_type: NodeType
    occurred_at: datetime
    reason: str
    actor: str
    now: datetime


Event = CaseEnded | NodeVoided
Handler = Callable[[Session, Any], None]
EVENT_TYPES: tuple[type, ...] = (CaseEnded, NodeVoided)

_handlers: dict[type, list[Handler]] = {}
_installed = False


def install(*tables: Mapping[type, Sequence[Handler]]) -> None:
    """Set the handlers of every event from the packages' tables (replacing any earlier installation)."""
    global _installed
    merged: dict[type, list[Handler]] = {event_type: [] for event_type in EVENT_TYPES}
    for table in tables:
        for event_type, handlers in table.items():
            merged[event_type].extend(handlers)
    _handlers.clear()
    _handlers.update(merged)
    _installed = True


def handlers_of(event_type: type) -> list[Handler]:
    """The installed handlers of ``event_type``, in the order they run."""
    return list(_handlers.get(event_type, []))


def publish(session: Session, event: Event) -> None:
    """Run every handler of ``event`` now, in ``session``'s transaction."""
    if not _installed:
        # A reaction silently missing would leave the record wrong (a closed case still listed): refuse.
        raise RuntimeError("domain event handlers are not installed: call portal.bootstrap.install_events()")
    for handler in _handlers[type(event)]:
        handler(session, event)
