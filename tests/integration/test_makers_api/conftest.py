"""The package's fixtures. The makers process is package-scoped, and so is the
service_processes that starts it (tests/conftest.py's, module-scoped there): the process
starts once for every module of the package, as it did once for the one module these tests
come from, and is stopped when the package ends. `api` (support.py) is a client per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.test_makers_api.support import api  # noqa: F401 — a fixture
from tests.support.harness import ServiceProcess, spawner
from tests.support.harness import TestEnvironment as Environment


@pytest.fixture(scope="package")
def service_processes(test_env: Environment, workdir: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """tests/conftest.py's service_processes, for the whole package."""
    with spawner(test_env, workdir) as start:
        yield start


@pytest.fixture(scope="package")
def makers(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("makers")
