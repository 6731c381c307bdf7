"""The marketplace's infrastructure crashing under load: the RabbitMQ node killed (SIGKILL of
its Erlang VM, not `stop_app`) and restarted; PostgreSQL restarted with a fast shutdown, twice;
the node leading the orders queue of a three-node RabbitMQ cluster killed.

These scenarios never touch the PostgreSQL and RabbitMQ the rest of the suite shares: the
module runs a PostgreSQL cluster, a RabbitMQ node and a three-node RabbitMQ cluster of its own
(tests/support/instances.py: own ports, data and logs under the run's work directory, stopped
at the end whatever happens), migrated as the suite migrates the shared database, and a
marketplace stack on them. The load, the oracle and the report are the other scenarios' own
(`scenario()` in test_scenarios.py): makers and listings built through the gateway,
customers ordering while the faults happen, every order settled within the bound, a share
cancelled, declined and fulfilled, then the oracle over every schema.

`make reliability` (RELIABILITY_FULL=1) kills twice and keeps each thing down longer;
RELIABILITY_EXTRA=1 runs the quick versions (one kill, short outages). `make test` leaves the
module out: about three minutes even quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.conftest import REAL_SERVICES
from tests.reliability.marketplace import FULL, Load, Shop, Stack
from tests.reliability.test_scenarios import scenario
from tests.support.harness import TestEnvironment, eventually, reads_jsonb
from tests.support.instances import PostgresInstance, RabbitCluster, RabbitNode, migrated, rabbit_node

pytestmark = pytest.mark.timeout(1800 if FULL else 600)

KILLS = 2 if FULL else 1
BROKER_DOWN_S = 8.0 if FULL else 2.0  # after the SIGKILL, before the node is started again
PG_DOWN_S = 5.0 if FULL else 1.5  # between the fast shutdown and the start
LEADER_DOWN_S = 20.0 if FULL else 4.0  # the cluster works on two nodes this long, at least
READY_S = 180  # a stack's fifteen processes start slowly on a busy machine


# --- the module's own infrastructure ------------------------------------------------------------


@pytest.fixture(scope="module")
def own_pg(workdir: Path) -> Iterator[PostgresInstance]:
    with PostgresInstance(workdir, "crash-pg") as instance:
        yield instance


@pytest.fixture(scope="module")
def own_node(workdir: Path) -> Iterator[RabbitNode]:
    with rabbit_node(workdir) as node:
        yield node


@pytest.fixture(scope="module")
async def own_db(own_pg: PostgresInstance, test_env: TestEnvironment) -> dict[str, Any]:
    """Every service's schema and roles on the module's own PostgreSQL (the run's namespace)."""
    return await migrated(
        REAL_SERVICES, pg_admin_dsn=own_pg.admin_dsn, pg_host="127.0.0.1", pg_port=own_pg.port
    )


@pytest.fixture(scope="module")
async def own_oracle_db(
    own_pg: PostgresInstance, own_db, test_env: TestEnvironment
) -> AsyncIterator[asyncpg.Pool]:
    """The oracle's superuser connections to the module's own database."""

    pool = await asyncpg.create_pool(
        own_pg.dsn(test_env.database),
        min_size=1,
        max_size=6,
        init=reads_jsonb,
        server_settings={"application_name": "reliability-oracle"},
    )
    yield pool
    await pool.close()


def _stack(test_env: TestEnvironment, workdir: Path, pg: PostgresInstance, amqp_urls: list[str]) -> Stack:
    """A marketplace stack on the module's own PostgreSQL and RabbitMQ node(s), set up like the
    package's stack (retries that ride out a fault, small pools)."""
    host_port = [url.split("@", 1)[1].rstrip("/") for url in amqp_urls[1:]]
    return Stack(
        test_env.env,
        workdir,
        MARKET_PG_HOST="127.0.0.1",
        MARKET_PG_PORT=str(pg.port),
        MARKET_PG_ADMIN_DSN=pg.admin_dsn,
        MARKET_AMQP_URL=amqp_urls[0],
        MARKET_AMQP_NODES=json.dumps(host_port),
        MARKET_RETRY_DELAYS_MS=json.dumps([300, 600, 3000, 6000]),
        MARKET_PG_POOL_MIN="1",
        MARKET_PG_POOL_MAX="4",
        PYTHONUNBUFFERED="1",
    )


def _settings_on(db: dict[str, Any], amqp_urls: list[str]) -> dict[str, Any]:
    """The services' settings as the oracle needs them: the module's database, this broker."""
    nodes = [url.split("@", 1)[1].rstrip("/") for url in amqp_urls[1:]]
    return {
        name: settings.model_copy(update={"amqp_url": amqp_urls[0], "amqp_nodes": nodes})
        for name, settings in db.items()
    }


@pytest.fixture(scope="module")
def node_stack(
    own_node: RabbitNode, own_pg: PostgresInstance, own_db, test_env: TestEnvironment, workdir: Path
) -> Iterator[Stack]:
    stack = _stack(test_env, workdir, own_pg, [own_node.url])
    try:
        stack.start_all(ready_s=READY_S)
        yield stack
    finally:
        stack.close()


@contextlib.asynccontextmanager
async def _shop(stack: Stack, pool: Any, mint: Callable[..., str]) -> AsyncIterator[Shop]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:
        yield Shop(session, stack.url("gateway"), pool, mint)


@pytest.fixture
async def node_shop(node_stack: Stack, own_oracle_db: asyncpg.Pool, mint) -> AsyncIterator[Shop]:
    async with _shop(node_stack, own_oracle_db, mint) as shop:
        yield shop


# --- the scenarios -------------------------------------------------------------------------------


async def test_rabbitmq_node_killed_under_load(
    node_shop, node_stack, own_oracle_db, own_db, own_node
) -> None:
    async def faults(load: Load, injected: list[str]) -> dict[str, Any]:
        downs = []
        for n in range(KILLS):
            await asyncio.sleep(1.0)
            started = time.monotonic()
            await asyncio.to_thread(own_node.kill)
            injected.append(f"RabbitMQ node SIGKILLed (kill {n + 1})")
            await asyncio.sleep(BROKER_DOWN_S)
            await asyncio.to_thread(own_node.start)
            downs.append(round(time.monotonic() - started, 1))
            injected.append(f"RabbitMQ node started again, down {downs[-1]:.1f}s")
        return {"broker_down_seconds": downs}

    await scenario(
        "rabbitmq_node_killed",
        "RabbitMQ node SIGKILLed under load, then restarted" + (" (twice)" if KILLS > 1 else ""),
        node_shop,
        node_stack,
        own_oracle_db,
        _settings_on(own_db, [own_node.url]),
        faults,
    )


async def test_postgresql_fast_restarted_twice_under_load(
    node_shop, node_stack, own_oracle_db, own_db, own_node, own_pg
) -> None:
    async def faults(load: Load, injected: list[str]) -> dict[str, Any]:
        downs = []
        for n in range(2):
            await asyncio.sleep(1.5)
            down = await asyncio.to_thread(own_pg.restart, PG_DOWN_S, "fast")
            downs.append(round(down, 1))
            injected.append(
                f"PostgreSQL stopped (fast shutdown) and started, down {down:.1f}s (restart {n + 1})"
            )
        return {"postgres_down_seconds": downs}

    await scenario(
        "postgres_fast_restarted_twice",
        "PostgreSQL restarted (fast shutdown) twice under load",
        node_shop,
        node_stack,
        own_oracle_db,
        _settings_on(own_db, [own_node.url]),
        faults,
    )


async def _kill_the_leader(cluster: RabbitCluster, queue: str, injected: list[str], n: int) -> dict[str, Any]:
    """SIGKILL the node leading `queue`, wait for another to lead it, keep the killed one down
    LEADER_DOWN_S in all, start it again and see it back in the cluster; what happened."""
    leader = await asyncio.to_thread(cluster.queue_leader, queue)
    listed = await asyncio.to_thread(leader.ctl, "list_connections", "name")
    connections = len([line for line in listed.splitlines() if line.strip()])
    started = time.monotonic()
    killed_at = datetime.now(UTC)
    await asyncio.to_thread(leader.kill)
    injected.append(f"{leader.node}, leading {queue} (quorum queue), SIGKILLed (kill {n})")

    async def new_leader() -> str | None:
        try:
            node = await asyncio.to_thread(cluster.queue_leader, queue)
        except (RuntimeError, ValueError):
            return None  # an election under way, or the node asked went away
        return node.node if node is not leader else None

    elected = await eventually(
        new_leader, timeout_s=120, interval_s=0.25, message=f"{queue} has a new leader"
    )
    elected_s = time.monotonic() - started
    at = cluster.elected_at(queue, killed_at)
    election_s = round((at - killed_at).total_seconds(), 2) if at else None
    injected.append(
        f"{elected} leads {queue}: elected {election_s}s after the kill by its log, "
        f"seen through rabbitmq-queues {elected_s:.1f}s after"
    )
    await asyncio.sleep(max(0.0, LEADER_DOWN_S - elected_s))
    await asyncio.to_thread(leader.start)
    down = time.monotonic() - started
    running = await asyncio.to_thread(cluster.running_nodes)
    assert leader.node in running, running
    injected.append(f"{leader.node} started again and back in the cluster, down {down:.1f}s")
    return {
        "killed": leader.node,
        "connections_on_it": connections,
        "new_leader": elected,
        "new_leader_elected_after_s": election_s,
        "new_leader_seen_after_s": round(elected_s, 1),
        "down_s": round(down, 1),
    }


async def test_cluster_node_leading_the_orders_queue_killed(
    own_oracle_db, own_db, own_pg, test_env: TestEnvironment, workdir: Path, mint
) -> None:
    """Three RabbitMQ nodes, every service given all three (MARKET_AMQP_URL and
    MARKET_AMQP_NODES); the node leading the orders service's quorum queue is killed under load
    and kept down while the cluster carries on with two, then started again."""
    cluster = RabbitCluster(workdir)
    stack: Stack | None = None
    try:
        await asyncio.to_thread(cluster.start)
        stack = _stack(test_env, workdir, own_pg, cluster.urls)
        await asyncio.to_thread(stack.start_all, READY_S)
        queue = f"{test_env.namespace}.orders"

        async def faults(load: Load, injected: list[str]) -> dict[str, Any]:
            kills = []
            for n in range(KILLS):
                await asyncio.sleep(1.0)
                kills.append(await _kill_the_leader(cluster, queue, injected, n + 1))
            return {"cluster_kills": kills}

        async with _shop(stack, own_oracle_db, mint) as shop:
            await scenario(
                "cluster_queue_leader_killed",
                "Three-node RabbitMQ cluster: the node leading the orders queue SIGKILLed under load",
                shop,
                stack,
                own_oracle_db,
                _settings_on(own_db, cluster.urls),
                faults,
            )
    finally:
        if stack is not None:
            stack.close()
        await asyncio.to_thread(cluster.close)
