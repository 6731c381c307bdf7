from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.migrate import migrate
from tests.support.fixture_services import CONSUMER, PRODUCER
from tests.support.harness import ServiceProcess, TestEnvironment


@pytest.fixture(scope="session")
async def fixture_db(test_env: TestEnvironment) -> dict:
    """The fixture producer and consumer schemas, migrated; dropped after the run."""
    settings = {
        "producer": test_env.track(PRODUCER.settings_cls()),
        "consumer": test_env.track(CONSUMER.settings_cls()),
    }
    await migrate(settings["producer"], PRODUCER.migrations)
    await migrate(settings["consumer"], CONSUMER.migrations)
    return settings


@pytest.fixture
async def admin_conn(test_env: TestEnvironment, fixture_db) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{test_env.database}")
    yield conn
    await conn.close()


@pytest.fixture
def spawn(test_env: TestEnvironment, workdir: Path) -> Iterator:
    """Start fixture service processes; all are stopped after the test."""
    started: list[ServiceProcess] = []

    def start(service: str, role: str = "all", wait: bool = True, **extra_env: str) -> ServiceProcess:
        proc = ServiceProcess(
            ["tests.support.fixture_services", service, "--role", role],
            f"{service.upper()}_PORT",
            test_env.env,
            workdir,
            f"{service}-{role}",
            extra_env,
        )
        started.append(proc)
        return proc.start(wait=wait)

    yield start
    for proc in started:
        proc.stop()
