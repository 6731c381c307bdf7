"""Barriers that let a test prove something did not happen, instead of sleeping and hoping.

A sleep proves nothing: on a slow machine the thing the test says cannot happen may simply not
have happened yet. Each helper here waits for (or reads) an observable fact after which the
thing could only have happened already:

    unsent(conn, "makers.outbox", ...)  outbox rows not yet published: once 0, every publish of
                                        them is confirmed, so each copy is already in every bound
                                        queue, and the relay publishes none of them again
    consumed(conn, "catalogue", id)     the consumer's inbox row, written in the transaction of
                                        the handler's effect: the event's effect is committed
    busy_connections(conn, ns, svc)     a service's database connections that are inside a
                                        statement or a transaction (none: nothing in flight)
    blocked_by(conn, pid, ...)          the backends waiting on a lock held by `pid`: a request
                                        or transaction is exactly there, and no further
    remaining(queue)                    what is in a tap queue now, without waiting for more

Polling until one of them holds is `tests.support.harness.eventually`.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import aio_pika
import asyncpg


async def unsent(
    conn: asyncpg.Connection | asyncpg.Pool,
    outbox: str,
    *,
    event_ids: list[str] | None = None,
    aggregate_ids: list[str] | None = None,
) -> int:
    """How many rows of `outbox` ("schema.outbox") for these events or aggregates are unsent."""
    if event_ids is not None:
        where, key = "event_id = ANY($1::uuid[])", event_ids
    elif aggregate_ids is not None:
        where, key = "aggregate_id = ANY($1::text[])", aggregate_ids
    else:
        raise ValueError("which rows: event_ids or aggregate_ids")
    return await conn.fetchval(f"SELECT count(*) FROM {outbox} WHERE {where} AND sent_at IS NULL", key)


async def consumed(conn: asyncpg.Connection | asyncpg.Pool, schema: str, event_id: UUID | str) -> bool:
    """Whether `schema`'s consumer has committed its handling of this event (its inbox row)."""
    return bool(await conn.fetchval(f"SELECT 1 FROM {schema}.inbox WHERE event_id = $1", UUID(str(event_id))))


async def busy_connections(conn: asyncpg.Connection, namespace: str, service: str) -> int:
    """The service's connections running a statement or holding a transaction open."""
    return await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1 AND state <> 'idle'",
        f"{namespace}.{service}.%",
    )


async def blocked_by(
    conn: asyncpg.Connection | asyncpg.Pool, holder_pid: int, query_contains: str = ""
) -> list[int]:
    """The backends waiting on a lock `holder_pid` holds, whose statement contains `query_contains`."""
    # Within a transaction PostgreSQL answers from the activity it read first; the holder asking
    # from inside the transaction that holds the lock needs it read again.
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND strpos(query, $2) > 0",
        holder_pid,
        query_contains,
    )
    return [row["pid"] for row in rows]


async def remaining(queue: aio_pika.abc.AbstractQueue) -> list[dict[str, Any]]:
    """Every message in the queue now (acknowledged), in order; none are waited for."""
    received = []
    while (message := await queue.get(fail=False)) is not None:
        await message.ack()
        received.append(json.loads(message.body))
    return received
