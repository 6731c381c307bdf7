"""Direct RabbitMQ access for tests: read what reaches the exchange, publish raw
messages, and stop/start the broker application."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aio_pika

from tests.support.harness import AMQP_URL


@asynccontextmanager
async def tap(exchange: str, binding: str = "#") -> AsyncIterator[aio_pika.abc.AbstractQueue]:
    """An exclusive queue bound to the exchange: every event published from now on."""
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(ex, binding)
        yield queue
    finally:
        await connection.close()


async def drain(
    queue: aio_pika.abc.AbstractQueue,
    expected: int,
    timeout_s: float = 20,
    until: Callable[[list[dict[str, Any]]], bool] | None = None,
) -> list[dict[str, Any]]:
    """Read messages until `expected` have arrived, or, given `until`, until it holds for what
    has arrived (in arrival order): a tap may also catch events of earlier requests that an
    outbox relay publishes late."""
    received: list[dict[str, Any]] = []
    done = until or (lambda got: len(got) >= expected)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not done(received) and loop.time() < deadline:
        message = await queue.get(fail=False, timeout=5)
        if message is None:
            await asyncio.sleep(0.05)
            continue
        await message.ack()
        received.append(json.loads(message.body))
    return received


async def publish_raw(exchange: str, routing_key: str, body: bytes, message_id: str | None = None) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        await ex.publish(
            aio_pika.Message(body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key,
            mandatory=False,
        )
    finally:
        await connection.close()


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def stop_broker() -> None:
    rabbitmqctl("stop_app")


def start_broker() -> None:
    rabbitmqctl("start_app")
    rabbitmqctl("await_startup")
