"""Returns: load (locked and tracked), read, save (over the version loaded), an order's
returns, and the lists."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.orders.domain.events import utcnow
from services.orders.domain.returns import Return, ReturnStatus
from services.orders.domain.serialisation import from_json
from services.orders.store.common import (
    Position,
    Where,
    check_saved,
    columns_of,
    emit_events,
    keyset_page,
)
from shared.db import Executor, UnitOfWork

_RETURN_COLUMNS = (
    "id",
    "order_id",
    "maker_order_id",
    "maker_id",
    "customer_id",
    "status",
    "version",
    "created_at",
)
_SELECT_RETURN = f"SELECT {', '.join(_RETURN_COLUMNS)}, data FROM returns"


async def order_id_of_return(db: Executor, return_id: UUID) -> UUID | None:
    return await db.fetchval("SELECT order_id FROM returns WHERE id = $1", return_id)


async def load_return(uow: UnitOfWork, return_id: UUID) -> Return | None:
    """A return to change: locked and tracked, like `load_order` (lock its order first)."""
    row = await uow.conn.fetchrow(f"{_SELECT_RETURN} WHERE id = $1 FOR UPDATE", return_id)
    return uow.track(_return(row)) if row else None


async def returns_of_order(db: Executor, order_id: UUID) -> list[Return]:
    """Every return of an order, oldest first; read under the order's lock, so complete."""
    rows = await db.fetch(f"{_SELECT_RETURN} WHERE order_id = $1 ORDER BY created_at, id", order_id)
    return [_return(row) for row in rows]


async def read_return(db: Executor, return_id: UUID) -> Return | None:
    row = await db.fetchrow(f"{_SELECT_RETURN} WHERE id = $1", return_id)
    return _return(row) if row else None


async def save_return(uow: UnitOfWork, returned: Return) -> None:
    """Like `save_order`: insert or update over the version loaded, with its events."""
    values = columns_of(returned, _RETURN_COLUMNS)
    now = utcnow()
    loaded = uow.loaded_version(returned)
    if loaded is None:
        await uow.conn.execute(
            "INSERT INTO returns (id, order_id, maker_order_id, maker_id, customer_id, status, "
            "version, created_at, data, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            *values,
            now,
        )
    elif returned.version != loaded:
        result = await uow.conn.execute(
            "UPDATE returns SET status = $3, version = $4, data = $5, updated_at = $6 "
            "WHERE id = $1 AND version = $2",
            returned.id,
            loaded,
            returned.status,
            returned.version,
            values[-1],
            now,
        )
        check_saved(result, "return")
    uow.mark_saved(returned)
    emit_events(uow, returned.pull_events())


async def returns_page(
    db: Executor,
    *,
    customer_id: UUID | None,
    maker_id: UUID | None,
    order_id: UUID | None,
    status: ReturnStatus | None,
    after: Position | None,
    limit: int,
) -> tuple[list[Return], Position | None]:
    """Newest first; a customer's, a maker's, or (neither given) everyone's."""
    where = Where()
    if customer_id is not None:
        where.add("customer_id = {}", customer_id)
    if maker_id is not None:
        where.add("maker_id = {}", maker_id)
    if order_id is not None:
        where.add("order_id = {}", order_id)
    if status is not None:
        where.add("status = {}", status.value)
    rows, position = await keyset_page(db, _SELECT_RETURN, where, after, limit)
    return [_return(row) for row in rows], position


def _return(row: asyncpg.Record) -> Return:
    return from_json(Return, {**row["data"], **{c: row[c] for c in _RETURN_COLUMNS}})
