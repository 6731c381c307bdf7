"""Driving the fixture producer and consumer (tests/support/fixture_services.py) and counting
what took effect: the oracle of the event backbone's tests (none lost, none applied twice)."""

from __future__ import annotations

import uuid

import aiohttp
import asyncpg

from shared.contracts import Envelope
from tests.support.broker import publish_raw
from tests.support.fixture_services import ItemChanged
from tests.support.harness import eventually
from tests.support.waits import busy_connections, unsent


async def change(session: aiohttp.ClientSession, url: str, item_id: uuid.UUID, poison: bool = False) -> str:
    """Create or bump an item through the producer's API; the id of the event it emitted."""
    async with session.post(f"{url}/items/change", json={"item_id": str(item_id), "poison": poison}) as r:
        assert r.status == 200, await r.text()
        return (await r.json())["event_id"]


async def applied_counts(conn: asyncpg.Connection, event_ids: list[str]) -> dict[str, int]:
    """How many effects each of these events has in the consumer (absent: none)."""
    rows = await conn.fetch(
        "SELECT event_id::text AS id, count(*) AS n FROM consumer.effects "
        "WHERE event_id = ANY($1::uuid[]) GROUP BY event_id",
        event_ids,
    )
    return {r["id"]: r["n"] for r in rows}


async def consumer_caught_up(conn: asyncpg.Connection, namespace: str, timeout_s: float = 30) -> None:
    """Wait until every message already in the consumer's queue has been handled.

    A marker event is published after everything the test is counting (the producer's outbox
    rows are all sent first, so no copy of them is published after it) and waited for. The
    queue hands messages out in order, but a consumer handles up to its prefetch of them at once,
    so a message delivered just before the marker may still be in its transaction when the
    marker's commits: the consumer's connections going idle closes that gap."""
    marker = Envelope.wrap(
        ItemChanged(item_id=uuid.uuid4(), version_no=1), producer="test", aggregate_id="marker"
    )
    await publish_raw(
        f"{namespace}.events", marker.routing_key, marker.model_dump_json().encode(), str(marker.event_id)
    )

    async def marker_applied() -> bool:
        return bool(await applied_counts(conn, [str(marker.event_id)]))

    async def idle() -> bool:
        return await busy_connections(conn, namespace, "consumer") == 0

    await eventually(marker_applied, timeout_s, message="the marker event applied")
    await eventually(idle, timeout_s, message="no consumer transaction in flight")


async def assert_exactly_once(
    conn: asyncpg.Connection, namespace: str, event_ids: list[str], timeout_s: float = 30
) -> None:
    """Every one of these events took effect exactly once, and no copy of one is still on its way."""

    async def all_applied() -> bool:
        return len(await applied_counts(conn, event_ids)) == len(set(event_ids))

    async def all_sent() -> bool:
        return await unsent(conn, "producer.outbox", event_ids=event_ids) == 0

    await eventually(all_applied, timeout_s, message=f"{len(event_ids)} effects")
    await eventually(all_sent, timeout_s, message="the producer's outbox rows marked sent")
    await consumer_caught_up(conn, namespace, timeout_s)
    counts = await applied_counts(conn, event_ids)
    assert set(counts) == set(event_ids), "lost or unexpected effects"
    assert [i for i, n in counts.items() if n != 1] == [], "effects applied more than once"
