"""The event consumer: inbox deduplication, delayed retries and parking.

For each message: decode the envelope, find the handler for its type and
version, and run the handler in a unit of work that first records the event id
in the inbox. A duplicate finds its id there and is skipped. A handler whose
work is slow prepares it first, outside any transaction (`PreparedHandler`). The message is
acknowledged only after the transaction commits. A handler that raises is
retried through the TTL retry queues and parked after the last one; a message
that cannot be decoded, or that no handler knows, is parked at once. A database that
is down is not a failure of the message: the consumer holds it until the database
answers again and then runs the handler again, spending none of its retries.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel
from pydantic import ValidationError

from shared import tracing
from shared.bus import PARKED_REASON_HEADER, RETRY_ATTEMPT_HEADER, Bus
from shared.config import ServiceSettings
from shared.contracts import Envelope, Event
from shared.db import CONNECT_FAILED, UnitOfWork
from shared.logging import bind_context, get_logger
from shared.metrics import EVENTS_CONSUMED

log = get_logger()

T = TypeVar("T")

# The longest pause between two probes of a database that is down.
MAX_DATABASE_WAIT_S = 2.0


@dataclass(frozen=True)
class PreparedHandler(Generic[T]):
    """A handler with slow work (seconds of CPU, say) that must not hold a transaction, its row
    locks and a pooled connection while it runs. `prepare(pool, event, envelope)` does that work
    first, outside any transaction and before the inbox is consulted, so it must be harmless to
    repeat (a duplicate typically finds the state it reads already changed, and does nothing).
    `apply(uow, event, envelope, prepared)` then runs in the unit of work that records the event
    in the inbox, like any handler, and re-checks the state `prepare` read: another delivery may
    have changed it meanwhile."""

    prepare: Callable[[asyncpg.Pool, Any, Envelope], Awaitable[T]]
    apply: Callable[[UnitOfWork, Any, Envelope, T], Awaitable[None]]


Handler = Callable[[UnitOfWork, Any, Envelope], Awaitable[None]] | PreparedHandler[Any]


def fault_point(settings: ServiceSettings, name: str) -> None:
    """Testing hook: die here, like a power cut, when told to by the settings."""
    if settings.fault_point == name:
        log.warning("fault_point_kill", point=name)
        os.kill(os.getpid(), signal.SIGKILL)


async def handle_directly(
    pool: asyncpg.Pool,
    service: str,
    handler: Callable[[UnitOfWork, Any, Envelope], Awaitable[None]],
    event: Event,
    *,
    producer: str,
    aggregate_id: object,
    aggregate_version: int,
) -> None:
    """Run one of a service's handlers on `event` as though `producer` had published it, in a
    unit of work of its own, without the bus or the inbox (handlers keep the newest version, so
    a repeat is harmless). For seeds, which tell a service what its peers' events said."""
    envelope = Envelope.wrap(
        event, producer=producer, aggregate_id=str(aggregate_id), aggregate_version=aggregate_version
    )
    async with UnitOfWork(pool, service) as uow:
        await handler(uow, event, envelope)


class Consumer:
    def __init__(
        self,
        settings: ServiceSettings,
        pool: asyncpg.Pool,
        bus: Bus,
        handlers: dict[type[Event], Handler],
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.bus = bus
        self.handlers = {(cls.event_type, cls.version): (cls, fn) for cls, fn in handlers.items()}
        self._channel: AbstractRobustChannel | None = None
        self._in_flight: set[asyncio.Task[None]] = set()

    @property
    def routing_keys(self) -> list[str]:
        return sorted(f"{t}.v{v}" for t, v in self.handlers)

    async def start(self) -> None:
        await self.bus.declare_service_queues(self.routing_keys)
        # Prefetch bounded by the pool: never hold more messages than can run.
        self._channel = await self.bus.channel(prefetch=self.settings.pg_pool_max)
        # Declared (not merely looked up) on this channel, so the robust channel
        # re-declares it and resumes consuming after a reconnection.
        queue = await self._channel.declare_queue(
            self.settings.queue, durable=True, arguments=self.bus.service_queue_arguments()
        )
        await queue.consume(self._on_message)
        log.info("consumer_started", queue=self.settings.queue, bindings=self.routing_keys)

    async def stop(self) -> None:
        """Stop taking messages, then let the ones in hand finish."""
        if self._channel is not None:
            await self._channel.close()
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=30)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._process(message)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        service = self.settings.service
        try:
            envelope = Envelope.model_validate_json(message.body)
        except ValidationError as exc:
            await self._park(message, f"malformed envelope: {exc.errors()[:3]}", "malformed")
            return
        known = self.handlers.get((envelope.type, envelope.version))
        if known is None:
            await self._park(message, f"no handler for {envelope.routing_key}", "malformed")
            return
        event_cls, handler = known
        try:
            event = event_cls.model_validate(envelope.data)
        except ValidationError as exc:
            await self._park(message, f"malformed data: {exc.errors()[:3]}", "malformed")
            return

        with (
            bind_context(
                correlation_id=envelope.correlation_id,
                event_id=str(envelope.event_id),
                event_type=envelope.type,
            ),
            tracing.consume_span(envelope.routing_key, envelope.traceparent, str(envelope.event_id)),
        ):
            while True:
                try:
                    first_time = await self._apply(handler, event, envelope)
                    break
                except Exception as exc:
                    tracing.failed(exc)
                    if isinstance(exc, CONNECT_FAILED) and await self._waited_for_database(exc):
                        # The database was down, not the message at fault: try it again now,
                        # without spending one of its retries (an outage longer than them all
                        # would otherwise park every message that arrived during it).
                        continue
                    await self._retry_or_park(message, exc)
                    return
            fault_point(self.settings, "after_commit_before_ack")
            await message.ack()
            outcome = "processed" if first_time else "duplicate"
            EVENTS_CONSUMED.labels(service, envelope.type, outcome).inc()
            log.info("event_consumed", outcome=outcome)

    async def _apply(self, handler: Handler, event: Event, envelope: Envelope) -> bool:
        """Run the handler in a unit of work that records the event in the inbox; whether this
        was the event's first time (a duplicate changes nothing)."""
        prepared = (
            await handler.prepare(self.pool, event, envelope)
            if isinstance(handler, PreparedHandler)
            else None
        )
        async with UnitOfWork(self.pool, self.settings.service, self.settings.db_schema) as uow:
            first_time = bool(
                await uow.conn.fetchval(
                    "INSERT INTO inbox (event_id, event_type) VALUES ($1, $2) "
                    "ON CONFLICT DO NOTHING RETURNING true",
                    envelope.event_id,
                    envelope.type,
                )
            )
            if first_time:
                if isinstance(handler, PreparedHandler):
                    await handler.apply(uow, event, envelope, prepared)
                else:
                    await handler(uow, event, envelope)
        return first_time

    async def _waited_for_database(self, exc: Exception) -> bool:
        """After a lost connection: whether the database was unreachable, in which case this
        returns once it answers again (holding the message meanwhile, as every other consumer
        of the service does). False when it answers at once: a connection cut while the
        database stays up (terminated, reset) is an ordinary failure, retried as any other."""
        pauses = 0
        while True:
            try:
                await self.pool.fetchval("SELECT 1")
            except CONNECT_FAILED as probe_exc:
                if pauses == 0:
                    log.warning("database_unreachable_holding_event", error=repr(exc), probe=repr(probe_exc))
                await asyncio.sleep(min(0.1 * 2 ** min(pauses, 8), MAX_DATABASE_WAIT_S))
                pauses += 1
                continue
            if pauses:
                log.info("database_back", pauses=pauses)
            return pauses > 0

    async def _retry_or_park(self, message: AbstractIncomingMessage, exc: Exception) -> None:
        # The retries so far: the int this consumer set when it last forwarded the message.
        retries = (message.headers or {}).get(RETRY_ATTEMPT_HEADER)
        attempt = (retries if isinstance(retries, int) else 0) + 1
        delays = self.settings.retry_delays_ms
        if attempt > len(delays):
            log.error("event_parked", error=repr(exc), attempts=attempt - 1)
            await self._park(message, f"failed {attempt - 1} retries: {exc!r}", "parked")
            return
        log.warning("event_retry", error=repr(exc), attempt=attempt, delay_ms=delays[attempt - 1])
        headers = dict(message.headers or {})
        headers[RETRY_ATTEMPT_HEADER] = attempt
        await self._forward(message, self.settings.retry_queue(attempt), headers)
        EVENTS_CONSUMED.labels(self.settings.service, message.type or "", "retried").inc()

    async def _park(self, message: AbstractIncomingMessage, reason: str, outcome: str) -> None:
        headers = dict(message.headers or {})
        headers[PARKED_REASON_HEADER] = reason[:1000]
        await self._forward(message, self.settings.parking_queue, headers)
        EVENTS_CONSUMED.labels(self.settings.service, message.type or "", outcome).inc()
        if outcome == "malformed":
            log.error("event_malformed_parked", reason=reason[:500], message_id=message.message_id)

    async def _forward(self, message: AbstractIncomingMessage, queue: str, headers: dict[str, Any]) -> None:
        """Move the message to another queue; ack the original only once the copy
        is confirmed, so a failure here redelivers it instead of losing it."""
        try:
            await self.bus.send_to_queue(
                queue,
                message.body,
                message_id=message.message_id,
                headers=headers,
                correlation_id=message.correlation_id,
                event_type=message.type,
            )
        except Exception:
            log.exception("forward_failed", queue=queue)
            await message.nack(requeue=True)
            return
        await message.ack()
