"""Session fixtures: one fresh environment (database, roles, exchange and queue
namespace) per test run, migrated for every service, and helpers to start real
service processes and mint tokens. Unit tests use none of them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.auth import Role
from shared.migrate import migrate
from tests.support.harness import ServiceProcess, TestEnvironment, spawner

REAL_SERVICES = ("makers", "catalogue", "orders", "media", "notifications", "reviews", "gateway")


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("run")


@pytest.fixture(scope="session")
async def test_env(workdir: Path) -> AsyncIterator[TestEnvironment]:
    env = TestEnvironment(workdir)
    env.apply()
    yield env
    await env.teardown()


@pytest.fixture(scope="session")
async def services_db(test_env: TestEnvironment) -> dict:
    """Every real service's schema and roles, migrated once per run, dropped after."""
    from ops.services import definition

    settings = {}
    for name in REAL_SERVICES:
        service = definition(name)
        settings[name] = test_env.track(service.settings_cls())
        await migrate(settings[name], service.migrations)
    return settings


@pytest.fixture(scope="session")
def mint(test_env: TestEnvironment) -> Callable[..., str]:
    """mint(role, user_id=None, email_verified=True) -> a valid access token for that user (whose
    address is verified unless said otherwise: makers may submit applications)."""
    issuer = test_env.token_issuer()

    def make(role: Role, user_id: uuid.UUID | None = None, email_verified: bool = True) -> str:
        return issuer.issue(user_id or uuid.uuid4(), role, email_verified=email_verified)

    return make


@pytest.fixture
async def db(test_env: TestEnvironment, services_db) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to the run's database, for assertions."""
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{test_env.database}")
    yield conn
    await conn.close()


@pytest.fixture(scope="module")
def service_processes(test_env: TestEnvironment, workdir: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """start(name, role="all", **env) -> a running real service process (python -m
    services.NAME). Every process a test module starts is stopped when the module ends, so a
    full run never holds more PostgreSQL connections than one module needs."""
    with spawner(test_env, workdir) as start:
        yield start
