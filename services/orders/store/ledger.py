"""The payout ledger: what each maker earned (and had reversed), line by line."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.orders.domain import LedgerEntry, LedgerKind
from services.orders.store.common import Position, Where, keyset_page
from shared.db import Executor
from shared.money import Money

_SELECT_LEDGER = (
    "SELECT id, maker_id, maker_order_id, kind, gross_amount, commission_amount, "
    "net_amount, currency, at, return_id FROM payout_ledger"
)


async def post_ledger_entry(conn: asyncpg.Connection, entry: LedgerEntry) -> None:
    """Append a line; a maker order's earning (or whole reversal), or a return's reversal,
    posted again changes nothing."""
    await conn.execute(
        "INSERT INTO payout_ledger (id, maker_id, maker_order_id, kind, gross_amount, "
        "commission_amount, net_amount, currency, at, return_id) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        entry.id,
        entry.maker_id,
        entry.maker_order_id,
        entry.kind.value,
        entry.gross.amount,
        entry.commission.amount,
        entry.net.amount,
        entry.gross.currency,
        entry.at,
        entry.return_id,
    )


async def earning_of(db: Executor, maker_order_id: UUID) -> LedgerEntry | None:
    row = await db.fetchrow(
        f"{_SELECT_LEDGER} WHERE maker_order_id = $1 AND kind = 'earning'", maker_order_id
    )
    return _ledger_entry(row) if row else None


async def reversals_of(db: Executor, maker_order_id: UUID) -> list[LedgerEntry]:
    """The reversals a maker order's earning has had (its returns', or a whole refund's)."""
    rows = await db.fetch(
        f"{_SELECT_LEDGER} WHERE maker_order_id = $1 AND kind = 'reversal' ORDER BY at, id", maker_order_id
    )
    return [_ledger_entry(row) for row in rows]


async def ledger_page(
    db: Executor, maker_id: UUID, after: Position | None, limit: int
) -> tuple[list[LedgerEntry], Position | None]:
    """A maker's ledger, newest first."""
    where = Where()
    where.add("maker_id = {}", maker_id)
    rows, position = await keyset_page(db, _SELECT_LEDGER, where, after, limit, sort="at")
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
        return_id=row["return_id"],
    )
