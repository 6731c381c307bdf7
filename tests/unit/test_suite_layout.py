"""The suite's own layout: most test directories are not packages, so pytest imports their
modules by bare name, and two modules imported under one name stop the whole run at collection.
A module inside a package (a directory with `__init__.py`, like tests/integration/test_orders_api/)
is imported under its package's name, so its own name may repeat another package's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def import_name(path: Path) -> str:
    """The name pytest imports a test module under: its stem, prefixed by each enclosing package."""
    parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").exists() and directory != TESTS:
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts)


def test_every_test_module_has_a_name_of_its_own() -> None:
    names = Counter(import_name(path) for path in TESTS.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
    assert import_name(TESTS / "integration" / "test_orders_api" / "test_contracts.py") == (
        "test_orders_api.test_contracts"
    )
