"""The outbox relay: publishes committed events with confirms, in commit order
per aggregate, exactly as often as needed and never before the commit.

One relay per service is active at a time: it holds a session advisory lock on a
dedicated connection; standby relays retry the lock and take over when the
active one's connection goes (process killed, connection dropped). The active
relay wakes on NOTIFY from the unit of work and polls as a fallback.

Each round claims a batch of unsent rows (FOR UPDATE SKIP LOCKED), skipping any
row behind an earlier unsent row of the same aggregate that is backing off;
publishes each aggregate's rows in order while different aggregates go
concurrently; marks the confirmed rows sent and schedules the failed ones for a
later attempt with exponential backoff. When the broker itself is unreachable
no row is charged an attempt: the relay waits for the connection to come back
and carries on where it was. A crash between publish and mark means those rows
are published again: consumers deduplicate by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import defaultdict

import asyncpg

from shared import tracing
from shared.bus import Bus, PublishFailed
from shared.config import ServiceSettings
from shared.consumer import fault_point
from shared.db import connect, outbox_channel
from shared.logging import get_logger
from shared.metrics import EVENTS_PUBLISHED, OUTBOX_PUBLISH_FAILURES

log = get_logger()

_CLAIM = """
SELECT o.id, o.aggregate_id, o.attempts, o.event_id, o.routing_key,
       o.envelope::text AS body, o.envelope->>'correlation_id' AS correlation_id,
       o.envelope->>'type' AS event_type, o.envelope->>'traceparent' AS traceparent
FROM outbox o
WHERE o.sent_at IS NULL
  AND o.next_attempt_at <= now()
  AND NOT EXISTS (
        SELECT 1 FROM outbox earlier
        WHERE earlier.aggregate_id = o.aggregate_id
          AND earlier.sent_at IS NULL
          AND earlier.id < o.id
          AND earlier.next_attempt_at > now())
ORDER BY o.id
LIMIT $1
FOR UPDATE SKIP LOCKED
"""

MAX_BACKOFF_S = 30.0


def backoff_s(attempts: int) -> float:
    return min(MAX_BACKOFF_S, 0.5 * 2.0 ** min(attempts, 10)) * random.uniform(0.8, 1.2)


class OutboxRelay:
    def __init__(self, settings: ServiceSettings, pool: asyncpg.Pool, bus: Bus) -> None:
        self.settings = settings
        self.pool = pool
        self.bus = bus
        self.active = asyncio.Event()
        self._wake = asyncio.Event()
        self._lock_key = f"outbox-relay:{settings.namespace}:{settings.db_schema}"

    async def run(self) -> None:
        """Forever: win the relay lock, then publish until the lock connection goes."""
        while True:
            try:
                await self._run_while_holding_lock()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.active.clear()
                log.warning("relay_restart", error=repr(exc))
                await asyncio.sleep(1.0)

    async def _run_while_holding_lock(self) -> None:
        conn = await connect(self.settings, "relay")
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", self._lock_key):
                await asyncio.sleep(1.0)
            self.active.set()
            log.info("relay_active")
            await conn.add_listener(outbox_channel(self.settings.db_schema), lambda *_: self._wake.set())
            last_cleanup = 0.0
            loop = asyncio.get_running_loop()
            while not conn.is_closed():
                published, failed = await self.publish_batch()
                if loop.time() - last_cleanup > 60:
                    await self.delete_sent()
                    last_cleanup = loop.time()
                if published and not failed:
                    continue  # more may be waiting
                if failed:
                    await self._wait_for_broker()
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.outbox_poll_s)
                # Holding the lock is only real while this connection lives.
                await conn.fetchval("SELECT 1")
        finally:
            self.active.clear()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _wait_for_broker(self) -> None:
        while not self.bus.is_connected:
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.2)

    async def publish_batch(self) -> tuple[int, int]:
        """One round: returns (published, failed)."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self.settings.outbox_batch)
            if not rows:
                return 0, 0
            by_aggregate: dict[str, list[asyncpg.Record]] = defaultdict(list)
            for row in rows:
                by_aggregate[row["aggregate_id"]].append(row)
            sent: list[int] = []
            failed: list[tuple[int, int, str]] = []
            unreachable: list[int] = []
            await asyncio.gather(
                *(self._publish_in_order(chain, sent, failed, unreachable) for chain in by_aggregate.values())
            )
            fault_point(self.settings, "after_publish_before_mark")
            if sent:
                await conn.execute(
                    "UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])",
                    sent,
                )
            if failed:
                await conn.executemany(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = $2, "
                    "next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                    [(row_id, error[:1000], backoff_s(attempts)) for row_id, attempts, error in failed],
                )
        EVENTS_PUBLISHED.labels(self.settings.service).inc(len(sent))
        if failed:
            OUTBOX_PUBLISH_FAILURES.labels(self.settings.service).inc(len(failed))
            log.warning("outbox_publish_failed", failed=len(failed), first_error=failed[0][2][:300])
        if unreachable:
            log.warning("outbox_broker_unavailable", waiting=len(unreachable))
        return len(sent), len(failed) + len(unreachable)

    async def _publish_in_order(
        self,
        chain: list[asyncpg.Record],
        sent: list[int],
        failed: list[tuple[int, int, str]],
        unreachable: list[int],
    ) -> None:
        for position, row in enumerate(chain):
            try:
                with tracing.publish_span(row["routing_key"], row["traceparent"]):
                    await self.bus.publish_raw(
                        row["body"].encode(),
                        routing_key=row["routing_key"],
                        event_id=str(row["event_id"]),
                        correlation_id=row["correlation_id"],
                        event_type=row["event_type"],
                    )
            except PublishFailed as exc:
                # The rest of this aggregate waits behind it, to keep their order.
                behind = chain[position:]
                if exc.broker_unavailable:
                    unreachable.extend(r["id"] for r in behind)
                else:
                    failed.extend((r["id"], r["attempts"], str(exc)) for r in behind)
                return
            sent.append(row["id"])

    async def delete_sent(self) -> int:
        result = await self.pool.execute(
            "DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => $1)",
            float(self.settings.outbox_retention_s),
        )
        await self.pool.execute(
            "DELETE FROM inbox WHERE received_at < now() - make_interval(secs => $1)",
            float(max(self.settings.outbox_retention_s * 7, 7 * 86400)),
        )
        return int(result.split()[-1])

    async def drain(self, timeout_s: float = 10.0) -> None:
        """On shutdown: publish what is committed, if this relay is the active one."""
        if not self.active.is_set():
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(timeout_s):
                while True:
                    published, failed = await self.publish_batch()
                    if not published or failed:
                        return
