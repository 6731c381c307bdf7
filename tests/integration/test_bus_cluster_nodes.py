"""A service given several nodes of a RabbitMQ cluster (MARKET_AMQP_NODES) moves to the next
node when the one it is connected to goes away, past a node that does not answer at all.

The three "nodes" are two TCP proxies in front of the run's broker and a port nobody listens
on: what the service sees of a cluster losing the node it was connected to (the crash of a
real node of a real three-node cluster, under load, is tests/reliability/test_scenarios_crashes.py)."""

from __future__ import annotations

import socket

import aio_pika

from shared.bus import Bus, ClusterConnection
from shared.config import ServiceSettings
from tests.support.faults import TcpProxy
from tests.support.harness import AMQP_URL, TestEnvironment, eventually


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on leaving: nothing answers there


async def test_a_lost_node_is_replaced_by_the_next_one_that_answers(test_env: TestEnvironment) -> None:
    assert "127.0.0.1:5672" in AMQP_URL
    first = TcpProxy("127.0.0.1", 5672, "node-1").start()
    third = TcpProxy("127.0.0.1", 5672, "node-3").start()
    dead = _closed_port()
    settings = ServiceSettings(
        amqp_url=AMQP_URL.replace("127.0.0.1:5672", f"127.0.0.1:{first.port}"),
        amqp_nodes=[f"127.0.0.1:{dead}", f"127.0.0.1:{third.port}"],
    )
    bus = Bus(settings, connection_name=f"{test_env.namespace}.cluster-nodes")
    try:
        await bus.connect()
        connection = bus.connection
        assert isinstance(connection, ClusterConnection)
        assert connection.url.port == first.port
        first.reset()  # node 1 gone: its connection reset, and every new one

        async def on_the_third() -> bool:
            return bus.is_connected and connection.url.port == third.port

        await eventually(on_the_third, timeout_s=30, message="reconnected through the third node")
        assert third.stats.connections >= 1
        # And it works there: a message goes through it to a queue and back.
        channel = await bus.connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(exclusive=True)
        await channel.default_exchange.publish(aio_pika.Message(b"{}"), queue.name)
        await eventually(lambda: queue.get(fail=False), message="the message came back")
    finally:
        await bus.close()
        first.stop()
        third.stop()


async def test_one_node_is_a_plain_robust_connection(test_env: TestEnvironment) -> None:
    bus = Bus(ServiceSettings(amqp_url=AMQP_URL), connection_name=f"{test_env.namespace}.one-node")
    await bus.connect()
    try:
        assert not isinstance(bus.connection, ClusterConnection)
    finally:
        await bus.close()
