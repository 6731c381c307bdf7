"""Fixtures of the reliability suite: one marketplace stack for the package (real processes, the
run's own database and namespace), a superuser connection for the oracle, and a shop on it.

QUICK by default (a short version of each scenario, in `make test`); RELIABILITY_FULL=1 (set
by `make reliability`) runs each scenario at full size and the report is written from the
results (scripts/reliability_report.py)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.reliability.marketplace import FULL, Shop, Stack
from tests.support.harness import TestEnvironment, admin_dsn, reads_jsonb

# The soak runs for minutes: only when asked for (`make soak` sets SOAK_MINUTES, `make
# reliability` RELIABILITY_FULL), never in `make test`. The link and background-worker
# scenarios (fifteen processes behind proxies) and the infrastructure crashes (a PostgreSQL
# cluster, a RabbitMQ node and a three-node cluster of their own) cost `make test` about eight
# minutes even quick, so they run in `make reliability` only; RELIABILITY_EXTRA=1 runs their
# quick versions (`RELIABILITY_EXTRA=1 make test PYTEST_ARGS=tests/reliability`).
EXTRA = ("test_scenarios_links.py", "test_scenarios_crashes.py")
collect_ignore = [] if FULL or os.environ.get("SOAK_MINUTES") else ["test_soak.py"]
if not FULL and not os.environ.get("RELIABILITY_EXTRA"):
    collect_ignore.extend(EXTRA)


@pytest.fixture(scope="package")
def stack(services_db: dict, test_env: TestEnvironment, workdir: Path) -> Iterator[Stack]:
    # Retries long enough to ride out a fault, never so few that one fault parks a message. The
    # first delays are the run's own ([300, 600]): a queue's TTL cannot change once declared,
    # and every other process of the run declares retry queues 1 and 2 with those.
    delays = [*json.loads(test_env.env["MARKET_RETRY_DELAYS_MS"]), 3000, 6000]
    # Small pools: eight processes share PostgreSQL's 100 connections with the rest of the
    # suite's processes (and the oracle's).
    stack = Stack(
        test_env.env,
        workdir,
        MARKET_RETRY_DELAYS_MS=json.dumps(delays),
        MARKET_PG_POOL_MIN="1",
        MARKET_PG_POOL_MAX="4",
        PYTHONUNBUFFERED="1",
    )
    try:
        stack.start_all()
        yield stack
    finally:
        stack.close()
        # The run's teardown removes the retry queues it knows of; these extra ones are ours.
        for service in ("makers", "catalogue", "orders"):
            for attempt in range(
                len(json.loads(test_env.env["MARKET_RETRY_DELAYS_MS"])) + 1, len(delays) + 1
            ):
                subprocess.run(
                    ["rabbitmqctl", "delete_queue", f"{test_env.namespace}.{service}.retry.{attempt}"],
                    capture_output=True,
                    timeout=60,
                )


@pytest.fixture(scope="module")
async def pg(test_env: TestEnvironment, services_db: dict) -> AsyncIterator[asyncpg.Pool]:
    """Superuser connections to the run's database (a pool: checks run concurrently)."""

    pool = await asyncpg.create_pool(
        admin_dsn(test_env.database),
        min_size=1,
        max_size=6,
        init=reads_jsonb,
        server_settings={"application_name": "reliability-oracle"},
    )
    yield pool
    await pool.close()


@pytest.fixture
async def shop(stack: Stack, pg: asyncpg.Pool, mint: Callable[..., str]) -> AsyncIterator[Shop]:
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:
        yield Shop(session, stack.url("gateway"), pg, mint)
