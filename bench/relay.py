"""relay: outbox events per second published with confirms by shared.outbox.OutboxRelay,
against raw aio-pika confirmed publishing of the same messages with the same in-flight window.

Setup (per benchmark, in its own namespace): the fixture producer's schema, migrated; the
archive queue and the fixture consumer's quorum queue bound to the fixture event, so every
message is routed to a classic and a quorum queue as in production.

Each repeat (a full run makes 3 x --repeats short ones) inserts N events into the producer's
outbox (one aggregate each, in commit order, as a burst of independent orders would leave
them) and then, in an order that rotates from one repeat to the next:

  relay     OutboxRelay.publish_batch() until every row is sent: claim, publish with
            confirms and `mandatory`, mark sent; the batch is `MARKET_OUTBOX_BATCH` (500)
  baseline  the same N envelopes (already in memory: no database at all) published on one
            confirming channel with `mandatory`, at most `batch` unconfirmed at any time
            (a sliding window: the best a publisher can do with that many in flight)

The queues are purged after each run so every run meets the same broker state.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import aio_pika
import asyncpg
from pamqp.commands import Basic

from bench.core import Context, compare, namespace
from shared.bus import Bus
from shared.contracts import Envelope
from shared.db import create_pool
from shared.migrate import migrate
from shared.outbox import OutboxRelay
from tests.support.fixture_services import CONSUMER, PRODUCER, ItemChanged
from tests.support.harness import admin_dsn

TARGET = ">= 0.8x"


def make_envelopes(count: int) -> list[Envelope]:
    out = []
    for _ in range(count):
        item = uuid.uuid4()
        out.append(
            Envelope.wrap(
                ItemChanged(item_id=item, version_no=1),
                producer="producer",
                aggregate_id=str(item),
                aggregate_version=1,
            )
        )
    return out


async def insert_outbox(admin: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    await admin.execute("TRUNCATE producer.outbox")
    await admin.copy_records_to_table(
        "outbox",
        schema_name="producer",
        columns=["event_id", "routing_key", "aggregate_id", "envelope"],
        records=[(e.event_id, e.routing_key, e.aggregate_id, e.model_dump_json()) for e in envelopes],
    )
    await admin.execute("VACUUM ANALYZE producer.outbox")


async def run_relay(relay: OutboxRelay, expected: int) -> float:
    """Events/s of the relay publishing every pending row: its own loop when it has one
    (`publish_pending`), else `publish_batch()` until a round publishes nothing."""
    started = time.perf_counter()
    total = 0
    pending = getattr(relay, "publish_pending", None)
    while True:
        if pending is not None:
            published, failed = await pending()
        else:
            published, failed = await relay.publish_batch()
        if failed:
            raise RuntimeError(f"relay failed to publish {failed} events")
        total += published
        if not published:
            break
    elapsed = time.perf_counter() - started
    if total != expected:
        raise RuntimeError(f"relay published {total} of {expected}")
    return expected / elapsed


async def run_raw(
    exchange: aio_pika.abc.AbstractExchange,
    bodies: list[tuple[bytes, Envelope]],
    window: int,
    timeout_s: float,
) -> float:
    semaphore = asyncio.Semaphore(window)
    failures: list[BaseException] = []

    async def one(body: bytes, envelope: Envelope) -> None:
        try:
            message = aio_pika.Message(
                body,
                message_id=str(envelope.event_id),
                correlation_id=envelope.correlation_id,
                type=envelope.type,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                app_id="producer",
            )
            confirmation = await exchange.publish(
                message, envelope.routing_key, mandatory=True, timeout=timeout_s
            )
            if not isinstance(confirmation, Basic.Ack):
                failures.append(RuntimeError(repr(confirmation)))
        except BaseException as exc:
            failures.append(exc)
        finally:
            semaphore.release()

    started = time.perf_counter()
    tasks = []
    for body, envelope in bodies:
        await semaphore.acquire()
        tasks.append(asyncio.create_task(one(body, envelope)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"raw publishing: {len(failures)} failures, first {failures[0]!r}")
    return len(bodies) / elapsed


async def run(ctx: Context, events: int | None = None, batch: int | None = None) -> None:
    events = events or (4_000 if ctx.quick else 10_000)
    # Short runs, many pairs: on a shared machine the load shifts within seconds, and the
    # median of many back-to-back pairs is what stays put.
    pairs = ctx.repeats if ctx.quick else ctx.repeats * 3
    async with namespace("bench-relay") as env:
        producer = env.track(PRODUCER.settings_cls())
        consumer = env.track(CONSUMER.settings_cls())
        if batch:
            producer = producer.model_copy(update={"outbox_batch": batch})
        window = producer.outbox_batch
        await migrate(producer, PRODUCER.migrations)
        admin = await asyncpg.connect(admin_dsn(env.database))
        pool = await create_pool(producer)
        bus = Bus(producer)
        await bus.connect()
        raw = await aio_pika.connect(env.env["MARKET_AMQP_URL"])
        try:
            await bus.declare_archive()
            consumer_bus = Bus(consumer)
            await consumer_bus.connect()
            try:
                await consumer_bus.declare_service_queues([ItemChanged.routing_key()])
            finally:
                await consumer_bus.close()
            channel = await raw.channel(publisher_confirms=True, on_return_raises=True)
            exchange = await channel.declare_exchange(
                producer.exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            purge_channel = await raw.channel()

            async def purge() -> None:
                for name in (producer.archive_queue, consumer.queue):
                    queue = await purge_channel.declare_queue(name, passive=True)
                    await queue.purge()

            relay = OutboxRelay(producer, pool, bus)
            envelopes = make_envelopes(events)
            bodies = [(e.model_dump_json().encode(), e) for e in envelopes]
            # Warm-up: connections, plans, the broker's queue processes.
            await insert_outbox(admin, envelopes[: window * 2])
            await run_relay(relay, window * 2)
            await run_raw(exchange, bodies[: window * 2], window, producer.publish_timeout_s)
            await purge()

            relay_rates: list[float] = []
            raw_rates: list[float] = []
            bar = ctx.progress(
                total=pairs * 2, desc=f"relay (n={events}, batch={window})", unit="run", leave=False
            )

            async def raw_run() -> None:
                raw_rates.append(await run_raw(exchange, bodies, window, producer.publish_timeout_s))

            async def relay_run() -> None:
                await insert_outbox(admin, envelopes)
                relay_rates.append(await run_relay(relay, events))

            steps = [raw_run, relay_run]
            for i in range(pairs):
                shift = i % len(steps)
                for step in steps[shift:] + steps[:shift]:
                    await step()
                    await purge()
                    bar.update()
            bar.close()
        finally:
            await raw.close()
            await bus.close()
            await pool.close()
            await admin.close()
    note = (
        f"{events} events x {pairs} interleaved pairs, batch/window {window}; baseline: raw "
        f"aio-pika confirmed publish of the same messages, sliding window {window}"
    )
    ctx.add(compare("relay.events_per_s", "events/s", relay_rates, raw_rates, TARGET, note=note))
