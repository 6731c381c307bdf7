"""Orders' SQL: the read models of listings and makers, the Order aggregate (with its maker
orders), commissions, the payout ledger, the lists, and the work lists of the sweepers.

Saving is optimistic on top of a row lock: commands `load_*` an aggregate in their unit of work,
which locks its row (so changes to one order queue up instead of failing) and remembers the
version it was loaded at (`uow.track`); every UPDATE still only succeeds against that version,
so a bug that skipped the lock could never silently overwrite a change. `save_*` writes what
changed and puts the events the aggregate recorded into the outbox, in the caller's
transaction. `read_*` reads without locking, for answers that change nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

import shared.contracts.orders  # noqa: F401 — registers the contracts events are mapped onto
from services.orders.domain import (
    Commission,
    CommissionStatus,
    DomainEvent,
    EngravingOption,
    LeadTime,
    LedgerEntry,
    LedgerKind,
    ListingSnapshot,
    MakerOrder,
    MakerOrderStatus,
    Order,
    OrdersAggregate,
    OrderStatus,
    ProductionKind,
    SizeRange,
    from_json,
    to_json,
)
from shared.contracts import event_class
from shared.contracts.catalogue import ListingSnapshotEvent
from shared.contracts.makers import MakerSnapshotEvent
from shared.db import UnitOfWork
from shared.errors import conflict
from shared.money import Money
from shared.watch import change_channel, notify_change

# The producer named on the events this service's outbox carries.
PRODUCER = "orders"

# A connection of the unit of work (pooled, hence the proxy), or the pool itself.
Connection = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
Executor = Connection | asyncpg.Pool
Position = tuple[datetime, UUID]


def _now() -> datetime:
    return datetime.now(UTC)


# --- read model: listings ------------------------------------------------------------------------


async def upsert_listing(conn: asyncpg.Connection, event: ListingSnapshotEvent) -> None:
    """Keep the snapshot with the highest listing_version; an older or repeated one is ignored."""
    await conn.execute(
        "INSERT INTO listings (listing_id, maker_id, listing_version, snapshot) "
        "VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (listing_id) DO UPDATE SET maker_id = EXCLUDED.maker_id, "
        "listing_version = EXCLUDED.listing_version, snapshot = EXCLUDED.snapshot, updated_at = now() "
        "WHERE listings.listing_version < EXCLUDED.listing_version",
        event.listing_id,
        event.maker_id,
        event.listing_version,
        event.model_dump(mode="json"),
    )


async def listings(db: Executor, listing_ids: set[UUID]) -> dict[UUID, ListingSnapshot]:
    rows = await db.fetch(
        "SELECT snapshot FROM listings WHERE listing_id = ANY($1::uuid[])", list(listing_ids)
    )
    found = (_listing(ListingSnapshotEvent.model_validate(row["snapshot"])) for row in rows)
    return {snapshot.listing_id: snapshot for snapshot in found if snapshot is not None}


def _listing(event: ListingSnapshotEvent) -> ListingSnapshot | None:
    """Catalogue's snapshot as orders' domain sees it; None when it cannot be bought at all
    (a draft has no price or production kind yet)."""
    if event.price is None or event.production_kind is None:
        return None
    price = event.price
    options = event.options
    engraving = options.engraving
    return ListingSnapshot(
        listing_id=event.listing_id,
        maker_id=event.maker_id,
        title=event.title,
        price=price,
        visible=event.visible,
        production_kind=ProductionKind(event.production_kind),
        lead_time_days=(
            LeadTime(event.lead_time_days.min, event.lead_time_days.max) if event.lead_time_days else None
        ),
        # Through str: the float catalogue sent (54.4) must compare as the decimal it means.
        ring_size_mm=(
            SizeRange(Decimal(str(options.ring_size_mm.min)), Decimal(str(options.ring_size_mm.max)))
            if options.ring_size_mm
            else None
        ),
        engraving=(
            EngravingOption(
                max_chars=engraving.max_chars,
                price_delta=engraving.price_delta or Money.zero(price.currency),
            )
            if engraving
            else None
        ),
        # An empty list offers no choice, the same as none.
        chain_lengths_cm=tuple(options.chain_lengths_cm) if options.chain_lengths_cm else None,
        has_natural_diamond=event.has_natural_diamond,
        stock_available=event.stock_available,
    )


# --- read model: makers --------------------------------------------------------------------------


@dataclass(frozen=True)
class MakerRecord:
    maker_id: UUID
    user_id: UUID
    status: str
    accepts_commissions: bool
    handle: str
    display_name: str

    @property
    def takes_commissions(self) -> bool:
        return self.status == "approved" and self.accepts_commissions


async def upsert_maker(conn: asyncpg.Connection, event: MakerSnapshotEvent) -> None:
    """Keep the snapshot with the highest maker_version; an older or repeated one is ignored."""
    await conn.execute(
        "INSERT INTO makers (maker_id, user_id, maker_version, status, accepts_commissions, "
        "handle, display_name) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (maker_id) DO UPDATE SET user_id = EXCLUDED.user_id, "
        "maker_version = EXCLUDED.maker_version, status = EXCLUDED.status, "
        "accepts_commissions = EXCLUDED.accepts_commissions, handle = EXCLUDED.handle, "
        "display_name = EXCLUDED.display_name, updated_at = now() "
        "WHERE makers.maker_version < EXCLUDED.maker_version",
        event.maker_id,
        event.user_id,
        event.maker_version,
        event.status,
        event.accepts_commissions,
        event.handle,
        event.display_name,
    )


async def maker(db: Executor, maker_id: UUID) -> MakerRecord | None:
    row = await db.fetchrow(
        "SELECT maker_id, user_id, status, accepts_commissions, handle, display_name "
        "FROM makers WHERE maker_id = $1",
        maker_id,
    )
    return MakerRecord(**dict(row)) if row else None


async def maker_id_for_user(db: Executor, user_id: UUID) -> UUID | None:
    return await db.fetchval("SELECT maker_id FROM makers WHERE user_id = $1", user_id)


# --- orders --------------------------------------------------------------------------------------

# Columns are the truth for these fields; `data` holds the rest of the aggregate.
_ORDER_COLUMNS = ("id", "customer_id", "status", "cancellation_reason", "version", "created_at", "expires_at")
_MAKER_ORDER_COLUMNS = ("id", "order_id", "maker_id", "status", "version", "created_at")
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
    async with _snapshot(db) as conn:
        row = await conn.fetchrow(f"{_SELECT_ORDER} WHERE id = $1", order_id)
        if row is None:
            return None
        [order] = await _with_maker_orders(conn, [row])
    return order


async def order_id_of_maker_order(db: Executor, maker_order_id: UUID) -> UUID | None:
    return await db.fetchval("SELECT order_id FROM maker_orders WHERE id = $1", maker_order_id)


# Every update of an order is announced here at commit (shared/watch.py): GET /orders/{id}?wait=
# waits for it instead of polling.
ORDER_CHANGED = change_channel("orders", "order")


async def save_order(uow: UnitOfWork, order: Order) -> None:
    """Insert or update the order and each of its maker orders that changed, and emit the
    events they recorded; a version other than the one loaded is a 409."""
    conn = uow.conn
    now = _now()
    values = _columns(order, _ORDER_COLUMNS, exclude=frozenset({"maker_orders"}))
    loaded = uow.loaded_version(order)
    if loaded is None:
        await conn.execute(
            "INSERT INTO orders (id, customer_id, status, cancellation_reason, version, created_at, "
            "expires_at, data, compensation_due, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            *values,
            order.compensation_due,
            now,
        )
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
        _check_saved(result, "order")
        await notify_change(conn, ORDER_CHANGED, order.id)
    uow.mark_saved(order)
    for maker_order in order.maker_orders:
        await _save_maker_order(uow, maker_order, now)
    _emit(uow, order.collect_events())


async def _save_maker_order(uow: UnitOfWork, maker_order: MakerOrder, now: datetime) -> None:
    conn = uow.conn
    values = _columns(maker_order, _MAKER_ORDER_COLUMNS)
    loaded = uow.loaded_version(maker_order)
    if loaded is None:
        await conn.execute(
            "INSERT INTO maker_orders (id, order_id, maker_id, status, version, created_at, data, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            *values,
            now,
        )
    elif maker_order.version != loaded:
        result = await conn.execute(
            "UPDATE maker_orders SET status = $3, version = $4, data = $5, updated_at = $6 "
            "WHERE id = $1 AND version = $2",
            maker_order.id,
            loaded,
            maker_order.status,
            maker_order.version,
            values[-1],
            now,
        )
        _check_saved(result, "maker order")
    uow.mark_saved(maker_order)


async def orders_page(
    db: Executor,
    *,
    customer_id: UUID | None,
    status: OrderStatus | None,
    after: Position | None,
    limit: int,
) -> tuple[list[Order], Position | None]:
    """Newest first; a customer's own, or (customer_id None) everyone's."""
    where = _Where()
    if customer_id is not None:
        where.add("customer_id = {}", customer_id)
    if status is not None:
        where.add("status = {}", status.value)
    async with _snapshot(db) as conn:
        rows, position = await _keyset(conn, _SELECT_ORDER, where, after, limit)
        return await _with_maker_orders(conn, rows), position


@dataclass(frozen=True)
class MakerOrderInContext:
    """A maker order with what its maker needs from the order to fulfil it."""

    maker_order: MakerOrder
    order: Order


async def maker_order_in_context(db: Executor, maker_order_id: UUID) -> MakerOrderInContext | None:
    async with _snapshot(db) as conn:
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
) -> tuple[list[MakerOrderInContext], Position | None]:
    """Newest first; one maker's, or (maker_id None) everyone's."""
    where = _Where()
    if maker_id is not None:
        where.add("maker_id = {}", maker_id)
    if status is not None:
        where.add("status = {}", status.value)
    async with _snapshot(db) as conn:
        rows, position = await _keyset(conn, _SELECT_MAKER_ORDER, where, after, limit)
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
    return [row["id"] for row in rows], (rows[0]["now"] if rows else _now())


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


# --- the payout ledger ---------------------------------------------------------------------------

_SELECT_LEDGER = (
    "SELECT id, maker_id, maker_order_id, kind, gross_amount, commission_amount, "
    "net_amount, currency, at FROM payout_ledger"
)


async def post_ledger_entry(conn: asyncpg.Connection, entry: LedgerEntry) -> None:
    """Append a line; a maker order's earning (or reversal) posted again changes nothing."""
    await conn.execute(
        "INSERT INTO payout_ledger (id, maker_id, maker_order_id, kind, gross_amount, "
        "commission_amount, net_amount, currency, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (maker_order_id, kind) DO NOTHING",
        entry.id,
        entry.maker_id,
        entry.maker_order_id,
        entry.kind.value,
        entry.gross.amount,
        entry.commission.amount,
        entry.net.amount,
        entry.gross.currency,
        entry.at,
    )


async def earning_of(db: Executor, maker_order_id: UUID) -> LedgerEntry | None:
    row = await db.fetchrow(
        f"{_SELECT_LEDGER} WHERE maker_order_id = $1 AND kind = 'earning'", maker_order_id
    )
    return _ledger_entry(row) if row else None


async def ledger_page(
    db: Executor, maker_id: UUID, after: Position | None, limit: int
) -> tuple[list[LedgerEntry], Position | None]:
    """A maker's ledger, newest first."""
    where = _Where()
    where.add("maker_id = {}", maker_id)
    rows, position = await _keyset(db, _SELECT_LEDGER, where, after, limit, sort="at")
    return [_ledger_entry(row) for row in rows], position


async def ledger_balances(db: Executor, maker_id: UUID) -> list[Money]:
    """The sum of the maker's net amounts, per currency."""
    rows = await db.fetch(
        "SELECT currency, sum(net_amount) AS balance FROM payout_ledger WHERE maker_id = $1 "
        "GROUP BY currency ORDER BY currency",
        maker_id,
    )
    return [Money(amount=int(row["balance"]), currency=row["currency"]) for row in rows]


def _ledger_entry(row: asyncpg.Record) -> LedgerEntry:
    currency = row["currency"]
    return LedgerEntry(
        id=row["id"],
        maker_id=row["maker_id"],
        maker_order_id=row["maker_order_id"],
        kind=LedgerKind(row["kind"]),
        gross=Money(amount=row["gross_amount"], currency=currency),
        commission=Money(amount=row["commission_amount"], currency=currency),
        net=Money(amount=row["net_amount"], currency=currency),
        at=row["at"],
    )


# --- commissions ---------------------------------------------------------------------------------

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
    values = _columns(commission, _COMMISSION_COLUMNS)
    now = _now()
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
        _check_saved(result, "commission")
    uow.mark_saved(commission)
    _emit(uow, commission.pull_events())


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
    where = _Where()
    if customer_id is not None:
        where.add("customer_id = {}", customer_id)
    if maker_id is not None:
        where.add("maker_id = {}", maker_id)
    if status is not None:
        where.add("status = {}", status.value)
    rows, position = await _keyset(db, _SELECT_COMMISSION, where, after, limit)
    return [_commission(row) for row in rows], position


def _commission(row: asyncpg.Record) -> Commission:
    return from_json(Commission, {**row["data"], **{c: row[c] for c in _COMMISSION_COLUMNS}})


# --- mapping and helpers -------------------------------------------------------------------------


def _columns(
    aggregate: OrdersAggregate, columns: tuple[str, ...], exclude: frozenset[str] = frozenset()
) -> list[Any]:
    """The aggregate's values for `columns`, then the rest of it as the `data` document."""
    document = to_json(aggregate)
    values = [getattr(aggregate, column) for column in columns]
    data = {key: value for key, value in document.items() if key not in columns and key not in exclude}
    return [*values, data]


def _check_saved(result: str, what: str) -> None:
    if result != "UPDATE 1":
        raise conflict("concurrent_update", f"The {what} was changed by another request; try again")


def _emit(uow: UnitOfWork, events: list[DomainEvent]) -> None:
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
async def _snapshot(db: Executor) -> AsyncIterator[Connection]:
    """A connection whose reads all see one snapshot: an order and its maker orders are read
    by separate queries, which must not straddle another transaction's commit. Inside a
    transaction already (a unit of work), its connection as it is."""
    if not isinstance(db, asyncpg.Pool):
        yield db
        return
    async with db.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        yield conn


class _Where:
    """WHERE clauses with numbered parameters: add("status = {}", value)."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def add(self, clause: str, *values: Any) -> None:
        numbers = [f"${len(self.args) + i}" for i in range(1, len(values) + 1)]
        self.clauses.append(clause.format(*numbers))
        self.args.extend(values)


async def _keyset(
    db: Executor,
    select: str,
    where: _Where,
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
