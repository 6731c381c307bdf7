"""Reservations: the stock an order holds, line by line, until it is confirmed, cancelled or
expires; and the advisory lock that serialises every message of one order."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from services.catalogue.domain import Reservation, ReservationLine, ReservationStatus
from shared.db import Executor
from shared.money import Money


async def lock_order(conn: asyncpg.Connection, order_id: UUID) -> None:
    """Serialise every message of one order until the transaction ends (prefetch lets the
    consumer handle several at once, and they may arrive in any order)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 0))", order_id)


async def get_reservation(conn: asyncpg.Connection, order_id: UUID) -> Reservation | None:
    row = await conn.fetchrow(
        "SELECT order_id, status, expires_at, declined_makers, created_at, updated_at "
        "FROM reservations WHERE order_id = $1 FOR UPDATE",
        order_id,
    )
    if row is None:
        return None
    lines = await conn.fetch(
        "SELECT line_id, listing_id, maker_id, quantity, price_amount, price_currency, held, "
        "sold, released FROM reservation_lines WHERE order_id = $1 ORDER BY position",
        order_id,
    )
    return Reservation(
        order_id=row["order_id"],
        status=ReservationStatus(row["status"]),
        lines=[
            ReservationLine(
                line_id=line["line_id"],
                listing_id=line["listing_id"],
                maker_id=line["maker_id"],
                quantity=line["quantity"],
                unit_price=Money(amount=line["price_amount"], currency=line["price_currency"]),
                held=line["held"],
                sold=line["sold"],
                released=line["released"],
            )
            for line in lines
        ],
        expires_at=row["expires_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        declined_makers=list(row["declined_makers"]),
    )


async def insert_reservation(conn: asyncpg.Connection, reservation: Reservation) -> None:
    await conn.execute(
        "INSERT INTO reservations (order_id, status, expires_at, declined_makers, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        reservation.order_id,
        reservation.status.value,
        reservation.expires_at,
        reservation.declined_makers,
        reservation.created_at,
        reservation.updated_at,
    )
    await conn.executemany(
        "INSERT INTO reservation_lines (order_id, line_id, position, listing_id, maker_id, "
        "quantity, price_amount, price_currency, held, sold, released) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            (
                reservation.order_id,
                line.line_id,
                position,
                line.listing_id,
                line.maker_id,
                line.quantity,
                line.unit_price.amount,
                line.unit_price.currency,
                line.held,
                line.sold,
                line.released,
            )
            for position, line in enumerate(reservation.lines)
        ],
    )


async def update_reservation(conn: asyncpg.Connection, reservation: Reservation) -> None:
    await conn.execute(
        "UPDATE reservations SET status = $2, declined_makers = $3, updated_at = $4 WHERE order_id = $1",
        reservation.order_id,
        reservation.status.value,
        reservation.declined_makers,
        reservation.updated_at,
    )
    await conn.executemany(
        "UPDATE reservation_lines SET held = $3, sold = $4, released = $5 "
        "WHERE order_id = $1 AND line_id = $2",
        [
            (reservation.order_id, line.line_id, line.held, line.sold, line.released)
            for line in reservation.lines
        ],
    )


async def due_reservations(db: Executor, now: datetime, limit: int) -> list[UUID]:
    """Held reservations whose time is up, oldest first."""
    rows = await db.fetch(
        "SELECT order_id FROM reservations WHERE status = 'held' AND expires_at <= $1 "
        "ORDER BY expires_at LIMIT $2",
        now,
        limit,
    )
    return [row["order_id"] for row in rows]
