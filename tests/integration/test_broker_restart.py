"""RabbitMQ stopped while events are being produced: nothing is lost, nothing applied twice,
and readiness reports the outage."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import aiohttp
import pytest

from tests.support.backbone import assert_exactly_once, change
from tests.support.broker import start_broker, stop_broker
from tests.support.harness import eventually

pytestmark = pytest.mark.broker_faults

# The broker stays down until the producer has committed this many changes without it.
CHANGES_DURING_OUTAGE = 150


@dataclass(frozen=True)
class Produced:
    event_id: str
    asked_at: float  # time.monotonic() as the request was sent
    answered_at: float  # and as its answer (the commit) came back


async def test_broker_stopped_while_producing(spawn, admin_conn, test_env) -> None:
    producer = spawn("producer")
    consumer = spawn("consumer")
    produced: list[Produced] = []
    stop_producing = asyncio.Event()

    async def keep_producing(session: aiohttp.ClientSession) -> None:
        while not stop_producing.is_set():
            asked_at = time.monotonic()
            event_id = await change(session, producer.url, uuid.uuid4())
            produced.append(Produced(event_id, asked_at, time.monotonic()))
            await asyncio.sleep(0.02)

    async def produced_since(moment: float) -> bool:
        return sum(p.asked_at > moment for p in produced) >= 20

    async with aiohttp.ClientSession() as session:
        producing = asyncio.create_task(keep_producing(session))
        await eventually(lambda: produced_since(0.0), message="producing before the outage")
        await asyncio.to_thread(stop_broker)
        # The outage, as the test knows it: from the moment the broker application has stopped to
        # the moment it is asked to start again. Only changes asked and answered strictly inside
        # it count as made while the broker was down.
        down_from = time.monotonic()
        try:

            async def not_ready() -> bool:
                async with session.get(consumer.url + "/health/ready") as r:
                    return r.status == 503

            await eventually(not_ready, timeout_s=8, message="readiness reports the broker down")

            async def enough_made_without_the_broker() -> bool:
                made = sum(p.asked_at > down_from for p in produced)
                return made >= CHANGES_DURING_OUTAGE

            await eventually(
                enough_made_without_the_broker, timeout_s=30, message="changes made while the broker is down"
            )
        finally:
            down_until = time.monotonic()
            restarted_at = await admin_conn.fetchval("SELECT clock_timestamp()")
            await asyncio.to_thread(start_broker)
        await eventually(lambda: produced_since(down_until), message="producing after the outage")
        stop_producing.set()
        await producing

    during = [p.event_id for p in produced if down_from < p.asked_at and p.answered_at < down_until]
    assert len(during) > 100, f"the producer accepted only {len(during)} changes while the broker was down"
    # None of those could be published before the broker came back; then all of them were.
    published_early = await admin_conn.fetchval(
        "SELECT count(*) FROM producer.outbox WHERE event_id = ANY($1::uuid[]) AND sent_at < $2",
        during,
        restarted_at,
    )
    assert published_early == 0, "events published while the broker was down: was it down?"
    await assert_exactly_once(admin_conn, test_env.namespace, [p.event_id for p in produced], timeout_s=60)
