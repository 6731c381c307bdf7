"""RabbitMQ: one durable topic exchange, confirmed mandatory publishing, and the
queue topology of a consuming service.

Topology per consuming service (names carry the namespace):
  <ns>.<service>             quorum queue bound to the events it consumes;
                             redeliveries past the delivery limit are dead-lettered
                             to the parking queue (a message that crashes its consumer)
  <ns>.<service>.retry.<n>   one queue per retry delay; its TTL dead-letters the
                             message back into the service queue
  <ns>.<service>.parking     quorum queue of messages given up on, for `dlq replay`

And one per namespace: `<ns>.archive`, bound to every event type of the
contracts, keeping the latest events (bounded). It makes every contract event
routable even before its consumers exist, so `mandatory` publishing fails only
for a routing key that is not a contract at all: a bug, not a deploy order.
"""

from __future__ import annotations

from typing import Any, ClassVar

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustChannel, AbstractRobustConnection
from aio_pika.robust_connection import RobustConnection
from pamqp.commands import Basic
from yarl import URL

from shared.config import ServiceSettings

RETRY_ATTEMPT_HEADER = "x-retry-attempt"
PARKED_REASON_HEADER = "x-parked-reason"


class PublishFailed(RuntimeError):
    """A publish that was not confirmed: nacked, returned (unroutable) or timed out.

    `broker_unavailable` tells a lost connection (every publish fails alike until
    it is back) from a failure of this message (returned, nacked)."""

    def __init__(self, message: str, broker_unavailable: bool = False) -> None:
        super().__init__(message)
        self.broker_unavailable = broker_unavailable


class ClusterConnection(RobustConnection):
    """A robust connection to one node of a RabbitMQ cluster at a time: when the connection is
    lost, or an attempt to reconnect fails, the next attempt goes to the next node, in turn
    (`over(urls)` makes the class for a list of node URLs; the first is tried first).

    aio-pika reconnects to the URL it was given, read as `self.url` by each attempt, and each
    attempt starts by setting `transport` to None: that assignment moves `url` on when the
    previous attempt failed (it never had a transport) or the connection it had is gone."""

    nodes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def over(cls, urls: list[str]) -> type[ClusterConnection]:
        return type(cls.__name__, (cls,), {"nodes": tuple(urls)})

    def __init__(self, url: URL, *args: Any, **kwargs: Any) -> None:
        self._transport: Any = None
        self._attempting = False
        self._counting = False  # not the constructor's own `transport = None`
        self.node = 0
        super().__init__(url, *args, **kwargs)
        self._counting = True

    @property
    def transport(self) -> Any:
        return self._transport

    @transport.setter
    def transport(self, value: Any) -> None:
        if value is None and self._counting and self.nodes and (self._attempting or self._transport):
            self.node = (self.node + 1) % len(self.nodes)
            self.url = URL(self.nodes[self.node])
        self._attempting = value is None and self._counting
        self._transport = value


class Bus:
    def __init__(self, settings: ServiceSettings, connection_name: str = "") -> None:
        self.settings = settings
        self._connection_name = connection_name or f"{settings.namespace}.{settings.service}"
        self.connection: AbstractRobustConnection
        self._channel: AbstractRobustChannel
        self.exchange: AbstractExchange

    async def connect(self) -> None:
        urls = self.settings.broker_urls
        self.connection = await aio_pika.connect_robust(
            urls[0],
            client_properties={"connection_name": self._connection_name},
            reconnect_interval=1,
            # A cluster's nodes, each in turn when the one connected to is lost.
            connection_class=ClusterConnection.over(urls) if len(urls) > 1 else RobustConnection,
        )
        # A returned (unroutable) mandatory message raises: it was not delivered.
        self._channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        self.exchange = await self._declare_exchange(self._channel)

    async def _declare_exchange(self, channel: AbstractRobustChannel) -> AbstractExchange:
        # A service's own broker user may not configure the exchange: it only checks that the
        # exchange migrate declared is there (a passive declare needs no permission).
        return await channel.declare_exchange(
            self.settings.exchange,
            aio_pika.ExchangeType.TOPIC,
            durable=True,
            passive=self.settings.own_broker_user,
        )

    async def close(self) -> None:
        await self.connection.close()

    @property
    def is_connected(self) -> bool:
        return not self.connection.is_closed and self.connection.connected.is_set()

    async def channel(self, prefetch: int | None = None) -> AbstractRobustChannel:
        channel = await self.connection.channel()
        if prefetch:
            await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def publish_raw(
        self, body: bytes, *, routing_key: str, event_id: str, correlation_id: str, event_type: str
    ) -> None:
        """Publish an already-serialised envelope to the exchange, confirmed."""
        message = aio_pika.Message(
            body,
            message_id=event_id,
            correlation_id=correlation_id,
            type=event_type,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            app_id=self.settings.service,
        )
        await self._publish(self.exchange, message, routing_key)

    async def send_to_queue(
        self,
        queue: str,
        body: bytes,
        *,
        message_id: str | None,
        headers: dict[str, Any],
        correlation_id: str | None = None,
        event_type: str | None = None,
    ) -> None:
        """Publish straight to one queue (retries, parking, replay)."""
        message = aio_pika.Message(
            body,
            message_id=message_id,
            correlation_id=correlation_id,
            type=event_type,
            headers=headers,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await self._publish(self._channel.default_exchange, message, queue)

    async def _publish(self, exchange: AbstractExchange, message: aio_pika.Message, routing_key: str) -> None:
        try:
            confirmation = await exchange.publish(
                message, routing_key, mandatory=True, timeout=self.settings.publish_timeout_s
            )
        except aio_pika.exceptions.DeliveryError as exc:
            raise PublishFailed(f"{routing_key}: {exc!r}") from exc
        except TimeoutError as exc:
            raise PublishFailed(f"{routing_key}: publish timed out", not self.is_connected) from exc
        except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as exc:
            raise PublishFailed(f"{routing_key}: broker unavailable: {exc!r}", True) from exc
        if not isinstance(confirmation, Basic.Ack):
            raise PublishFailed(f"{routing_key}: not confirmed: {confirmation!r}")

    def service_queue_arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.settings.delivery_limit,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": self.settings.parking_queue,
        }

    async def declare_service_queues(self, routing_keys: list[str]) -> None:
        """Declare (idempotently) the service's queue, retry queues and parking queue."""
        s = self.settings
        channel = await self.connection.channel()
        try:
            await channel.declare_queue(s.parking_queue, durable=True, arguments={"x-queue-type": "quorum"})
            queue = await channel.declare_queue(
                s.queue, durable=True, arguments=self.service_queue_arguments()
            )
            for attempt, delay_ms in enumerate(s.retry_delays_ms, start=1):
                await channel.declare_queue(
                    s.retry_queue(attempt),
                    durable=True,
                    arguments={
                        "x-message-ttl": delay_ms,
                        "x-dead-letter-exchange": "",
                        "x-dead-letter-routing-key": s.queue,
                    },
                )
            exchange = await self._declare_exchange(channel)
            for key in routing_keys:
                await queue.bind(exchange, key)
        finally:
            await channel.close()

    async def declare_archive(self) -> None:
        from shared.contracts import load_contracts

        if self.settings.own_broker_user:
            return  # declared by migrate, as an administrator; the service may not
        channel = await self.connection.channel()
        try:
            queue = await channel.declare_queue(
                self.settings.archive_queue,
                durable=True,
                arguments={"x-max-length": self.settings.archive_max_events, "x-overflow": "drop-head"},
            )
            exchange = await self._declare_exchange(channel)
            for event in load_contracts().values():
                await queue.bind(exchange, event.routing_key())
        finally:
            await channel.close()

    async def queue_depth(self, name: str) -> int:
        channel = await self.connection.channel()
        try:
            queue = await channel.declare_queue(name, passive=True)
            return queue.declaration_result.message_count or 0
        finally:
            await channel.close()
