"""Customers' address books: list, count (under the customer's lock), add, delete."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.orders.domain.addresses import SavedAddress
from services.orders.domain.order import ShippingAddress
from shared.db import Executor

_SELECT = "SELECT id, customer_id, name, line1, line2, city, postcode, country FROM addresses"


def _saved(row: asyncpg.Record) -> SavedAddress:
    return SavedAddress(
        id=row["id"],
        customer_id=row["customer_id"],
        address=ShippingAddress(
            name=row["name"],
            line1=row["line1"],
            line2=row["line2"],
            city=row["city"],
            postcode=row["postcode"],
            country=row["country"],
        ),
    )


async def addresses_of(db: Executor, customer_id: UUID) -> list[SavedAddress]:
    """A customer's addresses, oldest first (the order they were added in)."""
    rows = await db.fetch(f"{_SELECT} WHERE customer_id = $1 ORDER BY created_at, id", customer_id)
    return [_saved(row) for row in rows]


async def saved_address(db: Executor, address_id: UUID) -> SavedAddress | None:
    row = await db.fetchrow(f"{_SELECT} WHERE id = $1", address_id)
    return _saved(row) if row else None


async def count_addresses_locked(conn: asyncpg.Connection, customer_id: UUID) -> int:
    """How many addresses the customer keeps, with their address book locked until the
    transaction ends, so two additions at once cannot both pass the cap."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('addresses:' || $1::uuid::text, 0))", customer_id
    )
    return int(await conn.fetchval("SELECT count(*) FROM addresses WHERE customer_id = $1", customer_id))


async def add_address(conn: asyncpg.Connection, saved: SavedAddress) -> None:
    a = saved.address
    await conn.execute(
        "INSERT INTO addresses (id, customer_id, name, line1, line2, city, postcode, country) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        saved.id,
        saved.customer_id,
        a.name,
        a.line1,
        a.line2,
        a.city,
        a.postcode,
        a.country,
    )


async def delete_address(db: Executor, customer_id: UUID, address_id: UUID) -> bool:
    """Delete one of the customer's addresses; False when they have none with that id."""
    result = await db.execute(
        "DELETE FROM addresses WHERE id = $1 AND customer_id = $2", address_id, customer_id
    )
    return bool(result == "DELETE 1")
