"""Bespoke commissions: load (locked and tracked), read, save (over the version loaded), list."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.orders.domain import Commission, CommissionStatus, from_json
from services.orders.domain.events import utcnow
from services.orders.store.common import (
    Position,
    Where,
    check_saved,
    columns_of,
    emit_events,
    keyset_page,
)
from shared.db import Executor, UnitOfWork

_COMMISSION_COLUMNS = ("id", "maker_id", "customer_id", "status", "version", "order_id", "created_at")
_SELECT_COMMISSION = f"SELECT {', '.join(_COMMISSION_COLUMNS)}, data FROM commissions"


async def load_commission(uow: UnitOfWork, commission_id: UUID) -> Commission | None:
    """A commission to change: locked and tracked, like `load_order`."""
    row = await uow.conn.fetchrow(f"{_SELECT_COMMISSION} WHERE id = $1 FOR UPDATE", commission_id)
    return uow.track(_commission(row)) if row else None


async def read_commission(db: Executor, commission_id: UUID) -> Commission | None:
    row = await db.fetchrow(f"{_SELECT_COMMISSION} WHERE id = $1", commission_id)
    return _commission(row) if row else None


async def save_commission(uow: UnitOfWork, commission: Commission) -> None:
    """Like `save_order`; an accepted commission's order must be saved first."""
    values = columns_of(commission, _COMMISSION_COLUMNS)
    now = utcnow()
    loaded = uow.loaded_version(commission)
    if loaded is None:
        await uow.conn.execute(
            "INSERT INTO commissions (id, maker_id, customer_id, status, version, order_id, "
            "created_at, data, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            *values,
            now,
        )
    elif commission.version != loaded:
        result = await uow.conn.execute(
            "UPDATE commissions SET status = $3, version = $4, order_id = $5, data = $6, "
            "updated_at = $7 WHERE id = $1 AND version = $2",
            commission.id,
            loaded,
            commission.status,
            commission.version,
            commission.order_id,
            values[-1],
            now,
        )
        check_saved(result, "commission")
    uow.mark_saved(commission)
    emit_events(uow, commission.pull_events())


async def commissions_page(
    db: Executor,
    *,
    customer_id: UUID | None,
    maker_id: UUID | None,
    status: CommissionStatus | None,
    after: Position | None,
    limit: int,
) -> tuple[list[Commission], Position | None]:
    """Newest first; a customer's, a maker's, or (neither given) everyone's."""
    where = Where()
    if customer_id is not None:
        where.add("customer_id = {}", customer_id)
    if maker_id is not None:
        where.add("maker_id = {}", maker_id)
    if status is not None:
        where.add("status = {}", status.value)
    rows, position = await keyset_page(db, _SELECT_COMMISSION, where, after, limit)
    return [_commission(row) for row in rows], position


def _commission(row: asyncpg.Record) -> Commission:
    return from_json(Commission, {**row["data"], **{c: row[c] for c in _COMMISSION_COLUMNS}})
