"""The import graph keeps the services apart: a service's process (`python -m services.NAME`)
loads only that service and `shared/`; `shared/` imports no service and no tooling; no service
imports the tooling (`ops/`); and no module imports itself round a circle.

The graph is read statically (ast) from every module under services/, shared/ and ops/. An
import inside a function or under TYPE_CHECKING counts as much as one at the top: a reader
follows both, and a circle through either is still a circle to untangle."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("services", "shared", "ops")

Graph = Mapping[str, set[str]]


# --- reading the graph ----------------------------------------------------------------------------


def module_files(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Every module of the packages, by dotted name (a package is its __init__)."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imports_of(module: str, path: Path, modules: Iterable[str]) -> set[str]:
    """The modules (of `modules`) that one module imports. `from X import y` is an edge to X.y
    when that is a module, else to X; relative imports are resolved."""
    known = set(modules)
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(_known_prefix(alias.name, known) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else _known_prefix(base, known))
    return found - {None, module}


def _known_prefix(name: str, known: set[str]) -> str | None:
    """The longest leading part of a dotted name that is one of our modules (None: a
    third-party or standard library import)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in known:
            return ".".join(parts[:end])
    return None


def import_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """module -> the modules of the packages it imports."""
    modules = module_files(root, packages)
    return {module: imports_of(module, path, modules) for module, path in modules.items()}


def loaded_by(graph: Graph, start: str) -> set[str]:
    """Every module importing `start` loads: what it imports, in turn, and the packages
    (__init__) above each of them, which Python runs first."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        parents = {".".join(parts[:i]) for i in range(1, len(parts))}
        todo.extend((graph.get(module, set()) | parents) - seen)
    return seen


# --- what is wrong with a graph -------------------------------------------------------------------


def owner(module: str) -> str:
    """`services.orders` for any module of the orders service, else the top package."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "services" and len(parts) > 1 else parts[0]


def process_leaks(graph: Graph, service: str) -> list[str]:
    """Modules outside the service and shared/ that `python -m services.SERVICE` loads."""
    allowed = {service, "shared", "services"}  # `services` itself: the bare namespace package
    return sorted(m for m in loaded_by(graph, f"{service}.__main__") if owner(m) not in allowed)


def forbidden_edges(graph: Graph) -> list[str]:
    """Imports that cross a wall: shared/ -> services/ or ops/; a service -> ops/ or another
    service."""
    found = []
    for module, imports in graph.items():
        for imported in sorted(imports):
            source, target = owner(module), owner(imported)
            if source == target or target == "shared":
                continue
            if source == "shared" or (source.startswith("services") and target != "services"):
                found.append(f"{module} -> {imported}")
    return sorted(found)


def circles(graph: Graph) -> list[tuple[list[str], list[str]]]:
    """Each group of modules that import one another round (a strongly connected group, by
    Tarjan's algorithm): its modules, and one circle through them, the first module repeated at
    the end."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.get(module, ())):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1 or module in graph.get(module, ()):
                groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted((sorted(group), _circle_in(graph, group)) for group in groups)


def _circle_in(graph: Graph, group: set[str]) -> list[str]:
    """A path from the group's first module back to itself, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    todo = [start]
    while todo:  # breadth first: the shortest circle through `start`
        module = todo.pop(0)
        for imported in sorted(graph.get(module, ())):
            if imported == start:
                return [*paths[module], start]
            if imported in group and imported not in paths:
                paths[imported] = [*paths[module], imported]
                todo.append(imported)
    raise AssertionError(f"no circle through {start}")  # a strongly connected group has one


# --- the repository's graph -----------------------------------------------------------------------

GRAPH = import_graph()
SERVICES = sorted(owner(m) for m in GRAPH if m.startswith("services.") and m.endswith(".__main__"))


def test_the_graph_holds_every_service() -> None:
    assert {"services.makers", "services.catalogue", "services.orders", "services.gateway"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_process_loads_only_its_service_and_shared(service: str) -> None:
    leaks = process_leaks(GRAPH, service)
    assert not leaks, f"python -m {service} loads modules of other packages: {leaks}"


def test_no_import_crosses_a_wall() -> None:
    edges = forbidden_edges(GRAPH)
    assert not edges, (
        "shared/ imports no service nor ops/; a service imports no other service "
        "nor ops/:\n" + "\n".join(edges)
    )


def test_no_import_circle() -> None:
    found = circles(GRAPH)
    assert not found, "modules that import one another round:\n" + "\n".join(
        f"{', '.join(group)} (e.g. {' -> '.join(circle)})" for group, circle in found
    )


# --- the checks can fail --------------------------------------------------------------------------


def test_the_checks_find_a_circle_and_a_crossing() -> None:
    graph = {
        "services.orders.__main__": {"services.orders.app"},
        "services.orders.app": {"services.orders.api", "shared.service"},
        "services.orders.api": {"services.orders.saga"},
        "services.orders.saga": {"services.orders.app", "services.catalogue.store"},
        "services.catalogue.store": set(),
        "shared.service": {"ops.services"},
        "ops.services": set(),
        "services.makers.api": {"services.makers.api"},
    }
    assert circles(graph) == [
        (["services.makers.api"], ["services.makers.api", "services.makers.api"]),
        (
            ["services.orders.api", "services.orders.app", "services.orders.saga"],
            ["services.orders.api", "services.orders.saga", "services.orders.app", "services.orders.api"],
        ),
    ]
    assert process_leaks(graph, "services.orders") == [
        "ops",
        "ops.services",
        "services.catalogue",
        "services.catalogue.store",
    ]
    assert forbidden_edges(graph) == [
        "services.orders.saga -> services.catalogue.store",
        "shared.service -> ops.services",
    ]


def test_the_graph_reads_every_kind_of_import(tmp_path: Path) -> None:
    files = {
        "services/__init__.py": "",
        "services/shop/__init__.py": "",
        "services/shop/domain.py": "import asyncpg\nOrder = object\n",
        "services/shop/app.py": (
            "from typing import TYPE_CHECKING\n"
            "from . import domain\n"
            "if TYPE_CHECKING:\n"
            "    from .api import handler\n"
        ),
        "services/shop/api.py": "def handler():\n    import services.shop.app\n",
        "services/shop/usecases/__init__.py": "from ..domain import Order\nfrom .place import place\n",
        "services/shop/usecases/place.py": "from services.shop.usecases import Order\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path, ("services",))
    assert graph["services.shop.domain"] == set()
    assert graph["services.shop.app"] == {"services.shop.domain", "services.shop.api"}
    assert graph["services.shop.api"] == {"services.shop.app"}
    assert graph["services.shop.usecases"] == {"services.shop.domain", "services.shop.usecases.place"}
    assert [circle for _, circle in circles(graph)] == [
        ["services.shop.api", "services.shop.app", "services.shop.api"],
        ["services.shop.usecases", "services.shop.usecases.place", "services.shop.usecases"],
    ]
