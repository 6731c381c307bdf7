"""What the orders store's modules share: the producer name, the keyset pager, one-snapshot
reads, and turning an aggregate into columns and its events into contracts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

import shared.contracts.orders  # noqa: F401 — registers the contracts events are mapped onto
from services.orders.domain import DomainEvent, OrdersAggregate, to_json
from shared.contracts import event_class
from shared.db import Executor, UnitOfWork
from shared.errors import concurrent_update

# The producer named on the events this service's outbox carries.
PRODUCER = "orders"

Position = tuple[datetime, UUID]


def columns_of(
    aggregate: OrdersAggregate, columns: tuple[str, ...], exclude: frozenset[str] = frozenset()
) -> list[Any]:
    """The aggregate's values for `columns`, then the rest of it as the `data` document."""
    document = to_json(aggregate)
    values = [getattr(aggregate, column) for column in columns]
    data = {key: value for key, value in document.items() if key not in columns and key not in exclude}
    return [*values, data]


def check_saved(result: str, what: str) -> None:
    """An UPDATE guarded by the loaded version changed no row: another request won."""
    if result != "UPDATE 1":
        raise concurrent_update(what)


def emit_events(uow: UnitOfWork, events: list[DomainEvent]) -> None:
    """Each domain event as its contract (which also checks the data has the contract's shape)."""
    for event in events:
        contract = event_class(event.type, 1)
        if contract is None:
            raise LookupError(f"no contract for {event.type}")
        # Maker order events carry when they happened as `at`; others ignore it.
        data = {"at": event.occurred_at, **event.data}
        uow.emit(
            contract.model_validate(data),
            aggregate_id=event.aggregate_id,
            aggregate_version=event.aggregate_version,
        )


@contextlib.asynccontextmanager
async def one_snapshot(db: Executor) -> AsyncIterator[Executor]:
    """A connection whose reads all see one snapshot: an order and its maker orders are read
    by separate queries, which must not straddle another transaction's commit. Inside a
    transaction already (a unit of work), its connection as it is."""
    if not isinstance(db, asyncpg.Pool):
        yield db
        return
    async with db.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        yield conn


class Where:
    """WHERE clauses with numbered parameters: add("status = {}", value)."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def add(self, clause: str, *values: Any) -> None:
        numbers = [f"${len(self.args) + i}" for i in range(1, len(values) + 1)]
        self.clauses.append(clause.format(*numbers))
        self.args.extend(values)


async def keyset_page(
    db: Executor,
    select: str,
    where: Where,
    after: Position | None,
    limit: int,
    sort: str = "created_at",
) -> tuple[list[asyncpg.Record], Position | None]:
    """One page newest first after the keyset position `after`, and the position of its last
    row when there is more."""
    if after is not None:
        where.add(f"({sort}, id) < ({{}}, {{}})", *after)
    clause = f" WHERE {' AND '.join(where.clauses)}" if where.clauses else ""
    rows = await db.fetch(
        f"{select}{clause} ORDER BY {sort} DESC, id DESC LIMIT ${len(where.args) + 1}",
        *where.args,
        limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1][sort], rows[-1]["id"]) if more else None)
