"""The layering holds: domain packages never import the web layer, publicity never imports oversight."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB_LAYER = {"flask", "wtforms", "portal", "werkzeug", "jinja2"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offending(package: str, forbidden: set[str], prefixes: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in forbidden or any(top.startswith(p) for p in prefixes):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_domain_packages_do_not_import_the_web_layer() -> None:
    for package in ("publicity", "oversight"):
        assert offending(package, WEB_LAYER, prefixes=("flask_",)) == []


def test_publicity_does_not_import_oversight() -> None:
    assert offending("publicity", {"oversight"}) == []


def test_the_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import flask\nfrom flask_login import current_user\nfrom portal.models import Role\n")
    assert imported_modules(sample) == {"flask", "flask_login", "portal.models"}
