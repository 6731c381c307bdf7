"""The event backbone end to end: producer's unit of work → outbox → relay →
RabbitMQ → consumer's inbox and effects, against the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import asyncpg

from tests.support.harness import eventually


async def change(session: aiohttp.ClientSession, url: str, item_id: uuid.UUID, poison: bool = False) -> dict:
    async with session.post(f"{url}/items/change", json={"item_id": str(item_id), "poison": poison}) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def effects_count(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM consumer.effects")


async def test_events_flow_once_each(spawn, admin_conn) -> None:
    producer = spawn("producer")
    spawn("consumer")
    await admin_conn.execute("TRUNCATE consumer.effects")
    async with aiohttp.ClientSession() as session:
        produced = await asyncio.gather(*(change(session, producer.url, uuid.uuid4()) for _ in range(50)))
    ids = {p["event_id"] for p in produced}
    await eventually(lambda: _has(admin_conn, ids), message="all 50 effects")
    rows = await admin_conn.fetch("SELECT event_id::text FROM consumer.effects")
    applied = [r["event_id"] for r in rows if r["event_id"] in ids]
    assert sorted(applied) == sorted(ids)


async def _has(conn: asyncpg.Connection, ids: set[str]) -> bool:
    rows = await conn.fetch("SELECT event_id::text FROM consumer.effects WHERE event_id::text = ANY($1)", list(ids))
    return len(rows) >= len(ids)
