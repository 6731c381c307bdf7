"""The event backbone end to end: a producer's unit of work → outbox → relay →
RabbitMQ → a consumer's inbox and effects, with the real PostgreSQL and
RabbitMQ, under duplicates, kills, failures and malformed input.

Every test counts what was produced against what took effect: none lost, none
applied twice, none unexpected."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp

from shared.bus import Bus
from shared.contracts import Envelope
from shared.dlq import parked_messages, replay_parked
from shared.outbox import OutboxRelay
from tests.support.backbone import applied_counts, assert_exactly_once, change
from tests.support.broker import drain, publish_raw, tap
from tests.support.faults import TcpProxy
from tests.support.fixture_services import ItemChanged
from tests.support.harness import eventually
from tests.support.waits import unsent


async def produce(url: str, count: int, item_ids: list[uuid.UUID] | None = None) -> list[str]:
    async with aiohttp.ClientSession() as session:
        return list(
            await asyncio.gather(
                *(
                    change(session, url, item_ids[i % len(item_ids)] if item_ids else uuid.uuid4())
                    for i in range(count)
                )
            )
        )


async def test_every_event_takes_effect_once(spawn, admin_conn, test_env) -> None:
    producer = spawn("producer")
    spawn("consumer")
    event_ids = await produce(producer.url, 60)
    await assert_exactly_once(admin_conn, test_env.namespace, event_ids)


async def test_same_message_delivered_three_times_sequentially_and_concurrently(
    spawn, admin_conn, test_env
) -> None:
    spawn("consumer")
    exchange = f"{test_env.namespace}.events"
    sequential = Envelope.wrap(
        ItemChanged(item_id=uuid.uuid4(), version_no=1), producer="test", aggregate_id="a"
    )
    concurrent = Envelope.wrap(
        ItemChanged(item_id=uuid.uuid4(), version_no=1), producer="test", aggregate_id="b"
    )
    for _ in range(3):
        await publish_raw(
            exchange, sequential.routing_key, sequential.model_dump_json().encode(), str(sequential.event_id)
        )
    await asyncio.gather(
        *(
            publish_raw(
                exchange,
                concurrent.routing_key,
                concurrent.model_dump_json().encode(),
                str(concurrent.event_id),
            )
            for _ in range(3)
        )
    )
    await assert_exactly_once(
        admin_conn, test_env.namespace, [str(sequential.event_id), str(concurrent.event_id)]
    )


async def test_consumer_killed_after_commit_before_ack(spawn, admin_conn, test_env) -> None:
    producer = spawn("producer")
    doomed = spawn("consumer", MARKET_FAULT_POINT="after_commit_before_ack")
    event_ids = await produce(producer.url, 20)
    assert doomed.wait_exit(30) == -9, "the consumer should have killed itself at the fault point"
    # It committed at least one effect whose message was never acknowledged.
    assert await applied_counts(admin_conn, event_ids)
    spawn("consumer")
    await assert_exactly_once(admin_conn, test_env.namespace, event_ids)


async def test_relay_killed_after_publish_before_mark_sent(spawn, admin_conn, test_env) -> None:
    api = spawn("producer", role="api")
    spawn("consumer")
    doomed_relay = spawn("producer", role="relay", MARKET_FAULT_POINT="after_publish_before_mark")
    event_ids = await produce(api.url, 25)
    assert doomed_relay.wait_exit(30) == -9
    # Published but never marked: the next relay publishes them again.
    assert await unsent(admin_conn, "producer.outbox", event_ids=event_ids) > 0
    spawn("producer", role="relay")
    # Counted once every outbox row is marked sent: the new relay republished the unmarked ones.
    await assert_exactly_once(admin_conn, test_env.namespace, event_ids)


async def test_events_of_one_aggregate_arrive_in_commit_order(spawn, test_env) -> None:
    producer = spawn("producer")
    items = [uuid.uuid4() for _ in range(5)]
    async with tap(f"{test_env.namespace}.events", ItemChanged.routing_key()) as queue:
        async with aiohttp.ClientSession() as session:
            # Each item's changes are sequential (each commits before the next);
            # the items interleave concurrently.
            async def bump(item: uuid.UUID) -> None:
                for _ in range(15):
                    await change(session, producer.url, item)

            await asyncio.gather(*(bump(item) for item in items))
        received = await drain(queue, 75)
    assert len(received) == 75
    for item in items:
        versions = [m["data"]["version_no"] for m in received if m["data"]["item_id"] == str(item)]
        assert versions == list(range(1, 16)), f"{item}: {versions}"


async def test_failing_handler_is_retried_then_parked_and_replayed(
    spawn, admin_conn, fixture_db, test_env
) -> None:
    producer = spawn("producer")
    spawn("consumer")
    await admin_conn.execute("DELETE FROM consumer.fault_cleared")
    poison_item = uuid.uuid4()
    async with aiohttp.ClientSession() as session:
        poison_id = await change(session, producer.url, poison_item, poison=True)
    healthy_ids = await produce(producer.url, 10)
    # Other messages keep flowing while the poison one waits out its retries.
    await assert_exactly_once(admin_conn, test_env.namespace, healthy_ids)
    settings = fixture_db["consumer"]

    async def parked() -> list:
        return [m for m in await parked_messages(settings) if m["message_id"] == poison_id]

    entries = await eventually(parked, timeout_s=30, message="poison message parked")
    assert "fault not cleared" in entries[0]["reason"]
    assert await applied_counts(admin_conn, [poison_id]) == {}

    await admin_conn.execute("INSERT INTO consumer.fault_cleared VALUES (1) ON CONFLICT DO NOTHING")
    assert await replay_parked(settings, poison_id) == 1
    await assert_exactly_once(admin_conn, test_env.namespace, [poison_id])
    assert await parked() == []


async def test_a_database_outage_longer_than_every_retry_parks_nothing(
    spawn, admin_conn, fixture_db, test_env
) -> None:
    """The consumer's database out of reach for longer than all its retry delays add up to: the
    messages that arrive meanwhile are held, not spent on retries and parked, and each takes
    effect once when the database is back."""
    settings = fixture_db["consumer"]
    proxy = TcpProxy(settings.pg_host, settings.pg_port, "consumer-postgres").start()
    try:
        producer = spawn("producer")
        spawn("consumer", MARKET_PG_PORT=str(proxy.port))
        cut = proxy.reset()  # every connection cut, and each new one as it arrives
        event_ids = await produce(producer.url, 5)

        async def consumer_failing() -> bool:
            return proxy.stats.resets > cut + 1  # the consumer has tried to reconnect, and failed

        await eventually(consumer_failing, message="the consumer failing to reach its database")
        # The fault's duration: three times every retry delay added up.
        await asyncio.sleep(3 * sum(json.loads(test_env.env["MARKET_RETRY_DELAYS_MS"])) / 1000)
        proxy.forward()
        await assert_exactly_once(admin_conn, test_env.namespace, event_ids)
        assert [m for m in await parked_messages(settings) if m["message_id"] in event_ids] == []
    finally:
        proxy.stop()


async def test_malformed_message_is_parked_at_once(spawn, admin_conn, fixture_db, test_env) -> None:
    spawn("consumer")
    exchange = f"{test_env.namespace}.events"
    bad_id = str(uuid.uuid4())
    await publish_raw(exchange, ItemChanged.routing_key(), b"{not json", bad_id)
    wrong_shape_id = str(uuid.uuid4())
    wrong_shape = Envelope.wrap(
        ItemChanged(item_id=uuid.uuid4(), version_no=1), producer="test", aggregate_id="x"
    ).model_dump(mode="json")
    wrong_shape["data"] = {"item_id": "not-a-uuid"}
    await publish_raw(exchange, ItemChanged.routing_key(), json.dumps(wrong_shape).encode(), wrong_shape_id)

    async def both_parked() -> list:
        ids = {m["message_id"] for m in await parked_messages(fixture_db["consumer"])}
        return bad_id in ids and wrong_shape_id in ids

    # Parked without waiting out the retry delays (300 ms + 600 ms here).
    await eventually(both_parked, timeout_s=5, message="malformed messages parked")


async def test_unroutable_publish_is_not_marked_sent(fixture_db, admin_conn) -> None:
    settings = fixture_db["producer"]
    envelope = Envelope.wrap(
        ItemChanged(item_id=uuid.uuid4(), version_no=1), producer="producer", aggregate_id="unroutable"
    )
    # A routing key no queue is bound to: the broker returns the message.
    body = envelope.model_dump(mode="json") | {"type": "fixture.nobody_listens"}
    await admin_conn.execute(
        "INSERT INTO producer.outbox (event_id, routing_key, aggregate_id, envelope) VALUES ($1, $2, $3, $4)",
        envelope.event_id,
        "fixture.nobody_listens.v1",
        "unroutable",
        json.dumps(body),
    )
    from shared.db import create_pool

    pool = await create_pool(settings)
    bus = Bus(settings)
    await bus.connect()
    try:
        relay = OutboxRelay(settings, pool, bus)
        _, failed = await relay.publish_batch()
        assert failed >= 1
        row = await admin_conn.fetchrow(
            "SELECT sent_at, attempts, last_error, next_attempt_at > now() AS backing_off "
            "FROM producer.outbox WHERE event_id = $1",
            envelope.event_id,
        )
        assert row["sent_at"] is None
        assert row["attempts"] == 1 and row["backing_off"]
        assert "NO_ROUTE" in row["last_error"] or "unroutable" in row["last_error"].lower()
    finally:
        await admin_conn.execute("DELETE FROM producer.outbox WHERE event_id = $1", envelope.event_id)
        await bus.close()
        await pool.close()
