"""Customers' favourites, and how many customers keep each listing as one (the count a listing
is read with)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from shared.db import Executor


async def add_favourite(conn: asyncpg.Connection, customer_id: UUID, listing_id: UUID, now: datetime) -> bool:
    """Keep the listing as one of the customer's favourites, counting it once; whether it was
    new (a favourite kept already, or added meanwhile by the same customer, changes nothing)."""
    added = await conn.fetchval(
        "WITH added AS (INSERT INTO favourites (customer_id, listing_id, created_at) "
        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING listing_id) "
        "INSERT INTO favourite_counts (listing_id, count) SELECT listing_id, 1 FROM added "
        "ON CONFLICT (listing_id) DO UPDATE SET count = favourite_counts.count + 1 RETURNING true",
        customer_id,
        listing_id,
        now,
    )
    return bool(added)


async def remove_favourite(conn: asyncpg.Connection, customer_id: UUID, listing_id: UUID) -> bool:
    """Forget the favourite, counting it off once; whether there was one."""
    removed = await conn.fetchval(
        "WITH removed AS (DELETE FROM favourites WHERE customer_id = $1 AND listing_id = $2 "
        "RETURNING listing_id) UPDATE favourite_counts c SET count = c.count - 1 FROM removed "
        "WHERE c.listing_id = removed.listing_id RETURNING true",
        customer_id,
        listing_id,
    )
    return bool(removed)


async def favourited(db: Executor, customer_id: UUID, listing_ids: list[UUID]) -> set[UUID]:
    """Which of these listings the customer keeps as favourites."""
    rows = await db.fetch(
        "SELECT listing_id FROM favourites WHERE customer_id = $1 AND listing_id = ANY($2::uuid[])",
        customer_id,
        listing_ids,
    )
    return {row["listing_id"] for row in rows}


async def favourite_page(
    db: Executor, customer_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> tuple[list[UUID], tuple[datetime, UUID] | None]:
    """One page of the customer's favourites that the public may see now (their search row is
    visible: a listing paused or hidden since leaves the list, and comes back with it), the
    newest favourite first, after the keyset position `after`."""
    at, listing_id = after or (None, None)
    rows = await db.fetch(
        "SELECT f.created_at, f.listing_id FROM favourites f "
        "JOIN listing_search s ON s.listing_id = f.listing_id AND s.visible "
        "WHERE f.customer_id = $1 AND ($2::timestamptz IS NULL OR (f.created_at, f.listing_id) < ($2, $3)) "
        "ORDER BY f.created_at DESC, f.listing_id DESC LIMIT $4",
        customer_id,
        at,
        listing_id,
        limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    position = (rows[-1]["created_at"], rows[-1]["listing_id"]) if more else None
    return [row["listing_id"] for row in rows], position
