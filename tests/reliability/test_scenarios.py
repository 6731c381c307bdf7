"""The marketplace under load and faults: tens of customers ordering from several makers
through the gateway while the broker restarts, workers die at their worst moments, database
connections are cut and the network between the gateway and the services slows down.

Each scenario builds its own makers and listings on the module's stack, runs the load with its
faults, waits (within a bound) for every order to settle, then cancels and fulfils a share of
the confirmed orders, and hands everything to the oracle (see marketplace.py for its
invariants). Its figures are written to test-artifacts/reliability/<scenario>.json, from which
`make reliability` writes docs/reliability.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from tests.reliability.marketplace import (
    FULL,
    PROFILE,
    Load,
    Shop,
    Stack,
    Verdict,
    aftercare,
    oracle,
    settled,
    write_result,
)
from tests.support.faults import TcpProxy, restart_broker, terminate_connections
from tests.support.harness import TestEnvironment

pytestmark = [pytest.mark.timeout(900 if FULL else 300), pytest.mark.broker_faults]

BROKER_DOWN_S = 8.0 if FULL else 3.0
KILLS = 2 if FULL else 1
TERMINATIONS = 4 if FULL else 2
LATENCY_S = 0.2

Faults = Callable[[Load, list[str]], Awaitable[dict[str, Any] | None]]
Checks = Callable[[Load, Verdict], Awaitable[None]]


async def scenario(
    name: str,
    title: str,
    shop: Shop,
    stack: Stack,
    pg: asyncpg.Connection,
    services_db: dict,
    faults: Faults,
    *,
    gateway_url: str | None = None,
    checks: Checks | None = None,
    mailbox: Any = None,
) -> dict[str, Any]:
    """One scenario: load with its faults, settling, aftercare, the oracle, then `checks` (the
    scenario's own invariants, adding to the oracle's verdict and figures), the result written.
    `mailbox`: the run's SMTP server (an SmtpCatcher), whose log the oracle checks emails against."""
    makers = await shop.catalogue(PROFILE)
    load = Load(shop, makers, PROFILE, gateway_url=gateway_url)
    injected: list[str] = []
    extra: dict[str, Any] = {}
    faults_over = asyncio.Event()
    loading = asyncio.create_task(load.run(until=faults_over))
    try:
        extra.update(await faults(load, injected) or {})
        await asyncio.sleep(1.0)  # and a little load after the last fault
    finally:
        faults_over.set()
        await loading
    verdict = None
    try:
        # From the load's end to its settlement, seen by polling (write_result states the floor).
        extra["settle_seconds"] = round(
            await settled(pg, load.order_ids(), PROFILE.settle_s, since=load.finished), 2
        )
        care = await aftercare(shop, load, makers)
        extra["aftercare"] = {
            "cancelled": care.cancelled,
            "declined": care.declined,
            "delivered": care.delivered,
            "refused": dict(care.refused),
        }
        extra["aftercare_settle_seconds"] = round(await settled(pg, load.order_ids(), PROFILE.settle_s), 2)
    except AssertionError as exc:
        extra["settle_error"] = str(exc)[:500]
    verdict = await oracle(pg, load, makers, services_db, mailbox=mailbox)
    if checks is not None:
        await checks(load, verdict)
    if "settle_error" in extra:
        verdict.fail(f"did not settle within {PROFILE.settle_s}s")
    dead = stack.dead()
    if dead:
        verdict.fail(f"processes died: {dead}")
    result = write_result(name, title, PROFILE, injected, load, verdict, extra)
    print(
        f"\n{name}: {result['result']} placed={result['orders_placed']} "
        f"states={result['order_states']} traffic={result['traffic']} faults={injected}"
    )
    assert not verdict.violations, verdict.violations
    return result


async def wait_exit(stack: Stack, key: str, timeout_s: float = 60) -> int:
    proc = stack.procs[key]
    return await asyncio.to_thread(proc.wait_exit, timeout_s)


# --- the scenarios -------------------------------------------------------------------------------


async def test_broker_restarted_twice_under_load(shop, stack, pg, services_db) -> None:
    async def faults(load: Load, injected: list[str]) -> None:
        for n in range(2):
            await asyncio.sleep(1.0)
            down = await restart_broker(BROKER_DOWN_S)
            injected.append(f"RabbitMQ stopped {down:.1f}s (restart {n + 1})")

    await scenario(
        "broker_restarted_twice", "RabbitMQ restarted twice under load", shop, stack, pg, services_db, faults
    )


async def _killed_at(stack: Stack, key: str, point: str, injected: list[str]) -> None:
    """Replace a role's process by one that kills itself at `point`, wait for it to die, keep
    it down a moment (work piles up), then start a healthy one."""
    for n in range(KILLS):
        stack.stop(key)
        # Not waited for: it may meet its fault point before it even answers probes.
        await asyncio.to_thread(stack.start, key, False, MARKET_FAULT_POINT=point)
        code = await wait_exit(stack, key)
        assert code == -9, f"{key} should have killed itself at {point} (exit {code})"
        injected.append(f"{key} SIGKILLed at {point} (kill {n + 1})")
        await asyncio.sleep(2.0)
        await asyncio.to_thread(stack.start, key)
        injected.append(f"{key} restarted")
        if n + 1 < KILLS:
            await asyncio.sleep(1.0)


@pytest.mark.parametrize(
    ("key", "point", "delay_s", "name", "title"),
    [
        pytest.param(
            "orders.worker",
            "mid_saga",
            0.0,
            "orders_worker_killed_mid_saga",
            "Orders worker killed between payment authorisation and commit, then restarted",
            id="orders_worker_mid_saga",
        ),
        pytest.param(
            "catalogue.worker",
            "after_commit_before_ack",
            0.0,
            "catalogue_worker_killed_after_commit_before_ack",
            "Catalogue worker killed after its commit, before the ack, then restarted",
            id="catalogue_worker_after_commit_before_ack",
        ),
        pytest.param(
            "orders.relay",
            "after_publish_before_mark",
            0.5,
            "orders_relay_killed_after_publish_before_mark",
            "Orders relay killed after publishing, before marking sent, then restarted",
            id="orders_relay_after_publish_before_mark",
        ),
    ],
)
async def test_a_process_killed_at_its_worst_moment(
    shop, stack, pg, services_db, key: str, point: str, delay_s: float, name: str, title: str
) -> None:
    async def faults(load: Load, injected: list[str]) -> None:
        await asyncio.sleep(delay_s)
        await _killed_at(stack, key, point, injected)

    await scenario(name, title, shop, stack, pg, services_db, faults)


async def test_every_service_database_connections_terminated(
    shop, stack, pg, services_db, test_env: TestEnvironment
) -> None:
    async def faults(load: Load, injected: list[str]) -> None:
        for n in range(TERMINATIONS):
            await asyncio.sleep(1.5)
            count = await terminate_connections(pg, test_env.namespace)
            injected.append(f"pg_terminate_backend on every service connection: {count} (round {n + 1})")

    await scenario(
        "db_connections_terminated",
        "Every service's PostgreSQL connections terminated under load",
        shop,
        stack,
        pg,
        services_db,
        faults,
    )


async def test_latency_on_the_gateways_upstreams(shop, stack, pg, services_db) -> None:
    proxies = {
        name: TcpProxy("127.0.0.1", stack.procs[key].port, name).start()
        for name, key in (("makers", "makers"), ("catalogue", "catalogue.api"), ("orders", "orders.api"))
    }
    try:
        gateway = await asyncio.to_thread(
            stack.gateway, **{name: f"http://127.0.0.1:{proxy.port}" for name, proxy in proxies.items()}
        )

        async def faults(load: Load, injected: list[str]) -> dict[str, Any]:
            for proxy in proxies.values():
                proxy.forward(latency_s=LATENCY_S)
            injected.append(
                f"{int(LATENCY_S * 1000)} ms added each way between the gateway and "
                "makers, catalogue and orders (TCP proxies)"
            )
            return {}

        result = await scenario(
            "gateway_upstream_latency",
            "200 ms latency between the gateway and every service",
            shop,
            stack,
            pg,
            services_db,
            faults,
            gateway_url=gateway.url,
        )
        # Every checkout crossed the slow link, once each way at least.
        assert result["checkout_seconds"]["p50"] >= 2 * LATENCY_S * 0.9, result["checkout_seconds"]
    finally:
        for proxy in proxies.values():
            proxy.stop()


async def test_network_faults_on_the_workers_links(shop, stack, pg, services_db, test_env) -> None:
    """The catalogue worker reaches PostgreSQL, and the orders worker RabbitMQ, through TCP
    proxies that blackhole and then reset their connections."""
    pg_proxy = TcpProxy("127.0.0.1", 5432, "catalogue-pg").start()
    amqp_proxy = TcpProxy("127.0.0.1", 5672, "orders-amqp").start()
    amqp_url = test_env.env["MARKET_AMQP_URL"].replace("127.0.0.1:5672", f"127.0.0.1:{amqp_proxy.port}")
    assert amqp_url != test_env.env["MARKET_AMQP_URL"], "the proxy must stand in for the broker"
    try:
        stack.stop("catalogue.worker")
        await asyncio.to_thread(
            stack.start,
            "catalogue.worker",
            True,
            MARKET_PG_HOST="127.0.0.1",
            MARKET_PG_PORT=str(pg_proxy.port),
        )
        stack.stop("orders.worker")
        await asyncio.to_thread(stack.start, "orders.worker", True, MARKET_AMQP_URL=amqp_url)

        async def faults(load: Load, injected: list[str]) -> None:
            await asyncio.sleep(1.0)
            pg_proxy.blackhole()
            amqp_proxy.blackhole()
            injected.append("catalogue worker ↔ PostgreSQL and orders worker ↔ RabbitMQ blackholed 3s")
            await asyncio.sleep(3.0)
            pg_proxy.forward()
            amqp_proxy.forward()
            resets = pg_proxy.reset_once() + amqp_proxy.reset_once()
            injected.append(f"then every connection on both links reset (RST): {resets}")
            await asyncio.sleep(2.0)
            resets = pg_proxy.reset_once()
            injected.append(f"catalogue worker's PostgreSQL connections reset again: {resets}")

        await scenario(
            "worker_links_blackholed_and_reset",
            "Workers' PostgreSQL and RabbitMQ links blackholed, then reset",
            shop,
            stack,
            pg,
            services_db,
            faults,
        )
    finally:
        # Back to direct links for whatever runs next on this stack.
        for key in ("catalogue.worker", "orders.worker"):
            stack.stop(key)
            await asyncio.to_thread(stack.start, key)
        pg_proxy.stop()
        amqp_proxy.stop()
