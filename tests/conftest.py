"""Session fixtures: one fresh environment (database, roles, exchange and queue
namespace) per test run, migrated for every service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.harness import TestEnvironment


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("run")


@pytest.fixture(scope="session")
def test_env(workdir: Path) -> Iterator[TestEnvironment]:
    env = TestEnvironment(workdir)
    env.apply()
    yield env
