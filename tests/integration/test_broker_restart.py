"""RabbitMQ stopped for 10 s while events are being produced: nothing is lost,
nothing applied twice, and readiness reports the outage."""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp
import pytest

from tests.integration.test_event_backbone import assert_exactly_once, change
from tests.support.broker import start_broker, stop_broker
from tests.support.harness import eventually

pytestmark = pytest.mark.broker_faults


async def test_broker_stopped_for_ten_seconds_while_producing(spawn, admin_conn) -> None:
    producer = spawn("producer")
    consumer = spawn("consumer")
    event_ids: list[str] = []
    stop_producing = asyncio.Event()

    async def keep_producing(session: aiohttp.ClientSession) -> None:
        while not stop_producing.is_set():
            event_ids.append(await change(session, producer.url, uuid.uuid4()))
            await asyncio.sleep(0.02)

    async with aiohttp.ClientSession() as session:
        producing = asyncio.create_task(keep_producing(session))
        await asyncio.sleep(1.5)
        await asyncio.to_thread(stop_broker)
        try:
            stopped_at = time.monotonic()

            async def not_ready() -> bool:
                async with session.get(consumer.url + "/health/ready") as r:
                    return r.status == 503
            await eventually(not_ready, timeout_s=8, message="readiness reports the broker down")
            await asyncio.sleep(max(0.0, 10 - (time.monotonic() - stopped_at)))
        finally:
            await asyncio.to_thread(start_broker)
        await asyncio.sleep(2)
        stop_producing.set()
        await producing

    during_outage = len(event_ids)
    assert during_outage > 100, "the producer kept accepting changes while the broker was down"
    await assert_exactly_once(admin_conn, event_ids, timeout_s=60)
