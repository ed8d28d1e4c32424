"""The composition root of the domain: which area reacts to which event (``publicity.record.events``)."""

from __future__ import annotations

import oversight.reactions
import publicity.reactions
from publicity.record import events


def install_events() -> None:
    """Install every domain package's event handlers (once per process; idempotent)."""
    events.install(publicity.reactions.HANDLERS, oversight.reactions.HANDLERS)
