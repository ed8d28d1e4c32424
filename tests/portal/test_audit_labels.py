"""Every audit action written anywhere has a name in the trail's language."""

from __future__ import annotations

import re
from pathlib import Path

from portal.templating import AUDIT_ACTIONS

ROOT = Path(__file__).resolve().parents[2]


def test_every_audit_action_has_a_label() -> None:
    actions: set[str] = set()
    for package in ("portal", "publicity", "oversight"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            actions.update(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
            actions.update(re.findall(r'else "([a-z_]+\.[a-z_]+)"', text))
    assert len(actions) > 20
    assert sorted(actions - set(AUDIT_ACTIONS)) == []
