"""Wiring a service process: one aiohttp app per process whose cleanup contexts
open what the chosen roles need.

    api     the service's HTTP API
    worker  the event consumer and the service's periodic jobs (sweepers)
    relay   the outbox relay
    all     all three (the default)

Every role serves /health/live, /health/ready, /metrics and /openapi.json, so
each process can be probed wherever it runs. Shutdown (SIGTERM) stops accepting
requests, lets in-flight handlers and messages finish, flushes the outbox, then
closes the broker and database connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from shared import allocator, tracing
from shared.bus import Bus
from shared.config import ServiceSettings
from shared.consumer import Consumer, Handler
from shared.contracts import Event
from shared.db import create_pool
from shared.http import METRICS_HOOKS, POOL, READY_CHECKS, SETTINGS, Routes, create_app
from shared.logging import configure_logging, get_logger
from shared.metrics import OUTBOX_LAG, OUTBOX_PENDING, PARKING_DEPTH
from shared.outbox import OutboxRelay

log = get_logger()

ROLES = ("api", "worker", "relay", "all")

BUS = web.AppKey("bus", Bus)
RELAY = web.AppKey("relay", OutboxRelay)
CONSUMER = web.AppKey("consumer", Consumer)

Job = Callable[[web.Application], Awaitable[None]]
Context = Callable[[web.Application], AsyncIterator[None]]


@dataclass
class PeriodicJob:
    """A job the worker role runs every `every_s` seconds (sweepers, expiry)."""

    name: str
    every_s: float
    run: Job


@dataclass
class ServiceDefinition:
    name: str
    title: str
    settings_cls: type[ServiceSettings]
    migrations: Path | None
    # The service's own typed key for its settings object (`app[ORDERS_SETTINGS]`), so its code
    # reads its own settings with their real type; `shared` code uses `SETTINGS`.
    settings_key: web.AppKey[Any] | None = None
    routes: list[Routes] = field(default_factory=list)
    # Built per app, so handlers can close over the app's resources.
    handlers: Callable[[web.Application], dict[type[Event], Handler]] = lambda app: {}
    jobs: list[PeriodicJob] = field(default_factory=list)
    # Resources of the service itself (HTTP clients, providers), opened first.
    contexts: list[Context] = field(default_factory=list)
    uses_bus: bool = True


def build_app(definition: ServiceDefinition, settings: ServiceSettings, role: str = "all") -> web.Application:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    roles = {"api", "worker", "relay"} if role == "all" else {role}
    app = create_app(settings, definition.title)
    if definition.settings_key is not None:
        app[definition.settings_key] = settings
    app.cleanup_ctx.append(_database)
    if definition.uses_bus:
        app.cleanup_ctx.append(_broker)
    app.cleanup_ctx.extend(definition.contexts)
    if "api" in roles:
        for routes in definition.routes:
            routes.install(app)
    if "relay" in roles and definition.uses_bus:
        app.cleanup_ctx.append(_relay)
    if "worker" in roles:
        if definition.uses_bus:
            app.cleanup_ctx.append(_consumer(definition))
        if definition.jobs:
            app.cleanup_ctx.append(_jobs(definition.jobs))
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await create_pool(settings)
    app[POOL] = pool

    async def database_ready() -> None:
        async with asyncio.timeout(2):
            await pool.fetchval("SELECT 1")

    async def outbox_gauges() -> None:
        row = await pool.fetchrow(
            "SELECT count(*) AS pending, "
            "coalesce(extract(epoch FROM now() - min(created_at)), 0) AS lag "
            "FROM outbox WHERE sent_at IS NULL"
        )
        assert row is not None  # an aggregate without GROUP BY always returns one row
        OUTBOX_PENDING.labels(settings.service).set(row["pending"])
        OUTBOX_LAG.labels(settings.service).set(float(row["lag"]))

    app[READY_CHECKS].append(("database", database_ready))
    app[METRICS_HOOKS].append(outbox_gauges)
    yield
    await pool.close()


async def _broker(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    bus = Bus(settings)
    await bus.connect()
    app[BUS] = bus

    async def broker_ready() -> None:
        if not bus.is_connected:
            raise ConnectionError("broker connection is down")

    async def parking_gauge() -> None:
        PARKING_DEPTH.labels(settings.service).set(await bus.queue_depth(settings.parking_queue))

    app[READY_CHECKS].append(("broker", broker_ready))
    app[METRICS_HOOKS].append(parking_gauge)
    yield
    await bus.close()


async def _relay(app: web.Application) -> AsyncIterator[None]:
    relay = OutboxRelay(app[SETTINGS], app[POOL], app[BUS])
    app[RELAY] = relay
    await app[BUS].declare_archive()
    task = asyncio.create_task(relay.run(), name="outbox-relay")
    yield
    await relay.drain()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _consumer(definition: ServiceDefinition) -> Context:
    async def consumer_context(app: web.Application) -> AsyncIterator[None]:
        consumer = Consumer(app[SETTINGS], app[POOL], app[BUS], definition.handlers(app))
        app[CONSUMER] = consumer
        if consumer.handlers:
            await consumer.start()
        else:
            # Still declare the queues, so the parking queue exists for tooling.
            await app[BUS].declare_service_queues([])
        yield
        await consumer.stop()

    return consumer_context


def _jobs(jobs: list[PeriodicJob]) -> Context:
    async def jobs_context(app: web.Application) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_every(app, job), name=job.name) for job in jobs]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    return jobs_context


async def _every(app: web.Application, job: PeriodicJob) -> None:
    while True:
        try:
            await job.run(app)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job_failed", job=job.name)
        await asyncio.sleep(job.every_s)


async def declare_topology(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """Declare the archive and the service's queues and bindings ahead of any
    process, so no event published before its consumer first starts is lost."""
    if not definition.uses_bus:
        return
    # As the administrator of MARKET_AMQP_URL, not the service's own user: the exchange and the
    # archive are beyond what that user may configure.
    admin = settings.model_copy(update={"amqp_password": "", "amqp_passwords": {}})
    bus = Bus(admin, connection_name=f"{settings.namespace}.migrate")
    await bus.connect()
    try:
        await bus.declare_archive()
        keys = sorted(cls.routing_key() for cls in definition.handlers(web.Application()))
        await bus.declare_service_queues(keys)
    finally:
        await bus.close()


def main(definition: ServiceDefinition, argv: list[str] | None = None) -> None:
    """`python -m services.NAME [--role api|worker|relay|all]`: run one service process."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{definition.name}")
    parser.add_argument("--role", choices=ROLES, default="all")
    args = parser.parse_args(argv)
    run(definition, args.role)


def run(definition: ServiceDefinition, role: str = "all") -> None:
    allocator.limit_arenas()
    settings = definition.settings_cls()
    configure_logging(definition.name, settings.log_level)
    tracing.configure_tracing(definition.name, settings.namespace, settings.otlp_endpoint)
    app = build_app(definition, settings, role)
    app.cleanup_ctx.append(allocator.giving_back_freed_memory)
    log.info("service_starting", role=role, port=settings.port)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=None,
        shutdown_timeout=30,
    )
    tracing.shutdown()
