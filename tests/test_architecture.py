"""The layering holds: domain packages never import the web layer, publicity never imports oversight, no blueprint
imports another (what they share is in portal.views, portal.keys and the packages below them), the CLI imports no
view, and no package has an import cycle."""

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


def import_graph(packages: tuple[str, ...] = ("publicity", "oversight"), root: Path = ROOT) -> dict[str, set[str]]:
    """Which module of ``packages`` imports which, counting imports inside functions too (a lazy import hides a
    cycle, it does not remove it); ``from publicity import cases`` counts as importing ``publicity.record.cases``."""
    modules = {
        ".".join(path.relative_to(root).with_suffix("").parts): path
        for package in packages
        for path in (root / package).rglob("*.py")
    }
    modules = {name.removesuffix(".__init__"): path for name, path in modules.items()}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in found if m in modules and m != name and m not in packages}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_inside_the_domain_packages() -> None:
    # Cross-area reactions go through publicity.record.events, installed by portal.bootstrap: the case register
    # imports none of the areas that react to it.
    assert cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_lazy_import_cycle() -> None:
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert cycles(graph) == [["a.x", "a.y", "a.z"]]
    assert cycles({"a.x": {"a.y"}, "a.y": set()}) == []


def test_no_import_cycle_in_the_web_package() -> None:
    assert cycles(import_graph(("portal",))) == []


BLUEPRINTS = "portal.blueprints."


def blueprints_importing_blueprints(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        if name.startswith(BLUEPRINTS)
        for target in targets
        if target.startswith(BLUEPRINTS)
    )


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for successor in graph.get(todo.pop(), ()):
            if successor not in seen:
                seen.add(successor)
                todo.append(successor)
    return seen


def test_no_blueprint_imports_another_blueprint() -> None:
    assert blueprints_importing_blueprints(import_graph(("portal",))) == []


def test_the_cli_imports_no_view() -> None:
    """The commands run without the web pages: nothing the CLI imports, directly or through other modules, is a
    blueprint or the views' shared helpers."""
    graph = import_graph(("portal",))
    assert "portal.cli" in graph
    views = sorted(m for m in reachable(graph, "portal.cli") if m.startswith(BLUEPRINTS) or m == "portal.views")
    assert views == []


def test_the_checkers_see_a_blueprint_importing_a_blueprint_and_a_cycle(tmp_path: Path) -> None:
    blueprints = tmp_path / "portal" / "blueprints"
    blueprints.mkdir(parents=True)
    for name in ("__init__", "a", "cli"):
        (blueprints.parent / f"{name}.py").write_text("")
    (blueprints / "__init__.py").write_text("")
    (blueprints / "one.py").write_text("def f():\n    from portal.blueprints.two import g\n")
    (blueprints / "two.py").write_text("from portal import a\n")
    (blueprints.parent / "a.py").write_text("def h():\n    from portal.blueprints import two\n")
    (blueprints.parent / "cli.py").write_text("from portal import a\n")
    graph = import_graph(("portal",), root=tmp_path)
    assert blueprints_importing_blueprints(graph) == ["portal.blueprints.one imports portal.blueprints.two"]
    assert cycles(graph) == [["portal.a", "portal.blueprints.two"]]
    assert "portal.blueprints.two" in reachable(graph, "portal.cli")


# The areas of publicity, each above the ones it may import: core (courts, audit, errors...) imports no area; the
# record imports core; the lists and outreach import the record and core, and each other (a listing is pushed to
# the liaisons of the respondent's grid; a liaison's task reads the entry). Two reads go the other way, on purpose:
# voiding a 限制消费 node checks that no restriction order is in force, and the case import checks an ID number's
# shape with the lists' name rules.
RECORD_READS_LISTS = {
    ("publicity.record.cases", "publicity.lists.models"),
    ("publicity.record.imports", "publicity.lists.names"),
}


def area(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 2 else ""


def test_publicity_areas_import_only_the_areas_below_them() -> None:
    peers = {"core", "record", "lists", "outreach"}
    below = {"core": {"core"}, "record": {"core", "record"}, "lists": peers, "outreach": peers}
    graph = import_graph(("publicity",))
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        if area(name) in below
        for target in targets
        if area(target) in below and area(target) not in below[area(name)] and (name, target) not in RECORD_READS_LISTS
    )
    assert wrong == []
    assert {area(name) for name in graph} >= set(below)  # the checker sees every area


LONG_MODULE = 420  # lines ("about 400")
MODULES_PER_FOLDER = 16  # "about 15", counting __init__.py


def test_a_long_module_says_why_at_its_top() -> None:
    unexplained = []
    for package in ("portal", "publicity", "oversight"):
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            if source.count("\n") > LONG_MODULE:
                docstring = ast.get_docstring(ast.parse(source)) or ""
                if "Why it is long:" not in docstring:
                    unexplained.append(str(path.relative_to(ROOT)))
    assert unexplained == []


def test_no_folder_of_the_code_is_a_flat_heap() -> None:
    crowded = {
        str(folder.relative_to(ROOT)): count
        for package in ("portal", "publicity", "oversight")
        for folder in [ROOT / package, *(p for p in (ROOT / package).rglob("*") if p.is_dir())]
        if (count := len(list(folder.glob("*.py")))) > MODULES_PER_FOLDER
    }
    assert crowded == {}
