"""The Order aggregate with its maker orders: load (locked and tracked), read, save (over the
version loaded), the lists, and the sweepers' work lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import asyncpg

from services.orders.domain import MakerOrder, MakerOrderStatus, Order, OrderStatus, from_json
from services.orders.domain.dispatch import AWAITING_DISPATCH, latest_dispatch_date
from services.orders.domain.events import utcnow
from services.orders.store.common import (
    Position,
    Where,
    check_saved,
    columns_of,
    emit_events,
    keyset_page,
    one_snapshot,
)
from shared.db import Executor, UnitOfWork
from shared.watch import change_channel, notify_change

# Columns are the truth for these fields; `data` holds the rest of the aggregate.
_ORDER_COLUMNS = (
    "id",
    "customer_id",
    "status",
    "cancellation_reason",
    "version",
    "created_at",
    "expires_at",
    "reference",
)
_MAKER_ORDER_COLUMNS = ("id", "order_id", "maker_id", "status", "version", "created_at", "reference")
_SELECT_ORDER = f"SELECT {', '.join(_ORDER_COLUMNS)}, data FROM orders"
_SELECT_MAKER_ORDER = f"SELECT {', '.join(_MAKER_ORDER_COLUMNS)}, data FROM maker_orders"


async def load_order(uow: UnitOfWork, order_id: UUID) -> Order | None:
    """One order with its maker orders, to change: locked until the unit of work ends, and
    tracked so that `save_order` writes over the version loaded."""
    row = await uow.conn.fetchrow(f"{_SELECT_ORDER} WHERE id = $1 FOR UPDATE", order_id)
    if row is None:
        return None
    [order] = await _with_maker_orders(uow.conn, [row])
    uow.track(order)
    for maker_order in order.maker_orders:
        uow.track(maker_order)
    return order


async def read_order(db: Executor, order_id: UUID) -> Order | None:
    """One order with its maker orders, to read."""
    async with one_snapshot(db) as conn:
        row = await conn.fetchrow(f"{_SELECT_ORDER} WHERE id = $1", order_id)
        if row is None:
            return None
        [order] = await _with_maker_orders(conn, [row])
    return order


async def order_references(db: Executor, order_ids: list[UUID]) -> dict[UUID, str]:
    """The references of these orders, by id (a commission names the order it became)."""
    rows = await db.fetch("SELECT id, reference FROM orders WHERE id = ANY($1::uuid[])", order_ids)
    return {row["id"]: row["reference"] for row in rows}


async def order_id_of_maker_order(db: Executor, maker_order_id: UUID) -> UUID | None:
    return await db.fetchval("SELECT order_id FROM maker_orders WHERE id = $1", maker_order_id)


class ReferenceTaken(Exception):
    """A new order drew a reference another order already has: draw again."""


# Every update of an order is announced here at commit (shared/watch.py): GET /orders/{id}?wait=
# waits for it instead of polling.
ORDER_CHANGED = change_channel("orders", "order")


async def save_order(uow: UnitOfWork, order: Order) -> None:
    """Insert or update the order and each of its maker orders that changed, and emit the
    events they recorded; a version other than the one loaded is a 409."""
    conn = uow.conn
    now = utcnow()
    values = columns_of(order, _ORDER_COLUMNS, exclude=frozenset({"maker_orders"}))
    loaded = uow.loaded_version(order)
    if loaded is None:
        try:
            # A savepoint: a taken reference leaves the caller's transaction usable for a retry.
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO orders (id, customer_id, status, cancellation_reason, version, "
                    "created_at, expires_at, reference, data, compensation_due, updated_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    *values,
                    order.compensation_due,
                    now,
                )
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "orders_reference_key":
                raise ReferenceTaken(order.reference) from error
            raise
    elif order.version != loaded:
        result = await conn.execute(
            "UPDATE orders SET status = $3, cancellation_reason = $4, version = $5, "
            "expires_at = $6, data = $7, compensation_due = $8, updated_at = $9 "
            "WHERE id = $1 AND version = $2",
            order.id,
            loaded,
            order.status,
            order.cancellation_reason,
            order.version,
            order.expires_at,
            values[-1],
            order.compensation_due,
            now,
        )
        check_saved(result, "order")
        await notify_change(conn, ORDER_CHANGED, order.id)
    uow.mark_saved(order)
    for maker_order in order.maker_orders:
        await _save_maker_order(uow, maker_order, now)
    emit_events(uow, order.collect_events())


async def _save_maker_order(uow: UnitOfWork, maker_order: MakerOrder, now: datetime) -> None:
    conn = uow.conn
    values = columns_of(maker_order, _MAKER_ORDER_COLUMNS)
    loaded = uow.loaded_version(maker_order)
    if loaded is None:
        await conn.execute(
            "INSERT INTO maker_orders (id, order_id, maker_id, status, version, created_at, "
            "reference, data, updated_at, dispatch_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            *values,
            now,
            latest_dispatch_date(maker_order),
        )
    elif maker_order.version != loaded:
        result = await conn.execute(
            "UPDATE maker_orders SET status = $3, version = $4, data = $5, updated_at = $6, "
            "dispatch_by = $7 WHERE id = $1 AND version = $2",
            maker_order.id,
            loaded,
            maker_order.status,
            maker_order.version,
            values[-1],
            now,
            latest_dispatch_date(maker_order),
        )
        check_saved(result, "maker order")
    uow.mark_saved(maker_order)


async def orders_page(
    db: Executor,
    *,
    customer_id: UUID | None,
    status: OrderStatus | None,
    after: Position | None,
    limit: int,
    reference: str | None = None,
) -> tuple[list[Order], Position | None]:
    """Newest first; a customer's own, or (customer_id None) everyone's; `reference`: the one
    order with that reference."""
    where = Where()
    if customer_id is not None:
        where.add("customer_id = {}", customer_id)
    if reference is not None:
        where.add("reference = {}", reference)
    if status is not None:
        where.add("status = {}", status.value)
    async with one_snapshot(db) as conn:
        rows, position = await keyset_page(conn, _SELECT_ORDER, where, after, limit)
        return await _with_maker_orders(conn, rows), position


@dataclass(frozen=True)
class MakerOrderInContext:
    """A maker order with what its maker needs from the order to fulfil it."""

    maker_order: MakerOrder
    order: Order


async def maker_order_in_context(db: Executor, maker_order_id: UUID) -> MakerOrderInContext | None:
    async with one_snapshot(db) as conn:
        order_id = await order_id_of_maker_order(conn, maker_order_id)
        order = await read_order(conn, order_id) if order_id else None
    return MakerOrderInContext(order.maker_order(maker_order_id), order) if order else None


async def maker_orders_page(
    db: Executor,
    *,
    maker_id: UUID | None,
    status: MakerOrderStatus | None,
    after: Position | None,
    limit: int,
    overdue_on: date | None = None,
) -> tuple[list[MakerOrderInContext], Position | None]:
    """Newest first; one maker's, or (maker_id None) everyone's; with `overdue_on`, only those
    accepted and still not dispatched after their latest dispatch date (domain/dispatch.py)."""
    where = Where()
    if maker_id is not None:
        where.add("maker_id = {}", maker_id)
    if status is not None:
        where.add("status = {}", status.value)
    if overdue_on is not None:
        where.add(
            "status = ANY({}::text[]) AND dispatch_by < {}",
            sorted(s.value for s in AWAITING_DISPATCH),
            overdue_on,
        )
    async with one_snapshot(db) as conn:
        rows, position = await keyset_page(conn, _SELECT_MAKER_ORDER, where, after, limit)
        order_rows = await conn.fetch(
            f"{_SELECT_ORDER} WHERE id = ANY($1::uuid[])", list({row["order_id"] for row in rows})
        )
        orders = {order.id: order for order in await _with_maker_orders(conn, order_rows)}
    return [
        MakerOrderInContext(orders[row["order_id"]].maker_order(row["id"]), orders[row["order_id"]])
        for row in rows
    ], position


async def claim_expired_orders(conn: asyncpg.Connection, limit: int) -> tuple[list[UUID], datetime]:
    """Pending orders past their expiry, locked; rows another worker holds are skipped. Returns
    them with the database's clock, the one expires_at is compared with."""
    rows = await conn.fetch(
        "SELECT id, now() AS now FROM orders WHERE status = 'pending' AND expires_at <= now() "
        "ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )
    return [row["id"] for row in rows], (rows[0]["now"] if rows else utcnow())


async def claim_compensations(conn: asyncpg.Connection, limit: int) -> list[UUID]:
    """Orders owing a refund or a void whose retry time has come, locked (SKIP LOCKED)."""
    rows = await conn.fetch(
        "SELECT id FROM orders WHERE compensation_due AND compensate_after <= now() "
        "ORDER BY compensate_after LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )
    return [row["id"] for row in rows]


async def defer_compensation(conn: asyncpg.Connection, order_id: UUID, delay_s: float) -> None:
    await conn.execute(
        "UPDATE orders SET compensate_after = now() + make_interval(secs => $2) WHERE id = $1",
        order_id,
        float(delay_s),
    )


async def _with_maker_orders(db: Executor, rows: list[asyncpg.Record]) -> list[Order]:
    if not rows:
        return []
    maker_rows = await db.fetch(
        f"{_SELECT_MAKER_ORDER} WHERE order_id = ANY($1::uuid[])", [row["id"] for row in rows]
    )
    by_order: dict[UUID, list[asyncpg.Record]] = {}
    for maker_row in maker_rows:
        by_order.setdefault(maker_row["order_id"], []).append(maker_row)
    return [_order(row, by_order.get(row["id"], [])) for row in rows]


def _order(row: asyncpg.Record, maker_rows: list[asyncpg.Record]) -> Order:
    order = from_json(
        Order,
        {
            **row["data"],
            **{column: row[column] for column in _ORDER_COLUMNS},
            "maker_orders": [{**r["data"], **{c: r[c] for c in _MAKER_ORDER_COLUMNS}} for r in maker_rows],
        },
    )
    # In the order its lines were placed, the order they were split in.
    line_position = {line.id: index for index, line in enumerate(order.lines)}
    order.maker_orders.sort(key=lambda mo: min(line_position[line.id] for line in mo.lines))
    return order
