"""Payouts' SQL: the facts that decide each ledger entry's state, payout runs, the payouts that
claim entries (each entry by at most one payout that has not failed: a unique index), and the
maker's statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from services.orders.domain import EntryFacts, LedgerKind, PayoutStatus
from shared.db import Executor
from shared.money import Money

# Each of a maker's entries with its earning's delivery, an open return on its maker order, and
# the payout carrying it (or its earning). The maker's entries and claims are each read once, by
# the maker's indexes, so the cost stays per maker whatever plan a prepared statement settles on
# and however many claims the tables hold.
_ENTRY_FACTS = """
WITH mine AS MATERIALIZED (
    SELECT id, maker_order_id, kind, net_amount, currency, at FROM payout_ledger WHERE maker_id = $1
), claims AS MATERIALIZED (
    SELECT pe.ledger_entry_id, p.status FROM payouts p
    JOIN payout_entries pe ON pe.payout_id = p.id AND NOT pe.released
    WHERE p.maker_id = $1
)
SELECT l.id, l.maker_order_id, l.kind, l.net_amount, l.currency, earning.at AS delivered_at,
       EXISTS (SELECT 1 FROM returns r
               WHERE r.maker_order_id = l.maker_order_id AND r.status = 'requested') AS return_open,
       claim.status AS payout_status, earning_claim.status IS NOT NULL AS earning_claimed
FROM mine l
JOIN mine earning ON earning.maker_order_id = l.maker_order_id AND earning.kind = 'earning'
LEFT JOIN claims claim ON claim.ledger_entry_id = l.id
LEFT JOIN claims earning_claim ON earning_claim.ledger_entry_id = earning.id
"""


@dataclass(frozen=True)
class PayoutRecord:
    id: UUID
    run_id: UUID
    maker_id: UUID
    amount: Money
    status: PayoutStatus
    settled_at: datetime | None


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    reference: str
    kind: LedgerKind
    gross: Money
    commission: Money
    net: Money


async def entry_facts(db: Executor, maker_id: UUID) -> list[EntryFacts]:
    rows = await db.fetch(_ENTRY_FACTS, maker_id)
    return [
        EntryFacts(
            id=row["id"],
            maker_order_id=row["maker_order_id"],
            kind=LedgerKind(row["kind"]),
            net=Money(amount=row["net_amount"], currency=row["currency"]),
            delivered_at=row["delivered_at"],
            return_open=row["return_open"],
            payout_status=PayoutStatus(row["payout_status"]) if row["payout_status"] else None,
            earning_claimed=row["earning_claimed"],
        )
        for row in rows
    ]


async def makers_with_unclaimed_entries(db: Executor, delivered_by: datetime) -> list[UUID]:
    """Makers with an entry from before `delivered_by` that no payout carries: only they can
    have an available balance (a later entry is pending, or a reversal that only lowers it)."""
    rows = await db.fetch(
        "SELECT DISTINCT l.maker_id FROM payout_ledger l WHERE l.at <= $1 AND NOT EXISTS "
        "(SELECT 1 FROM payout_entries pe WHERE pe.ledger_entry_id = l.id AND NOT pe.released) "
        "ORDER BY l.maker_id",
        delivered_by,
    )
    return [row["maker_id"] for row in rows]


async def lock_maker_payouts(conn: Executor, maker_id: UUID) -> None:
    """Claims for one maker queue up behind each other until the transaction ends, so a run
    racing another sees the entries the other claimed."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('payouts:' || $1::uuid::text, 0))", maker_id
    )


async def create_run(db: Executor, run_id: UUID) -> None:
    await db.execute("INSERT INTO payout_runs (id) VALUES ($1)", run_id)


async def create_payout(
    conn: Executor, payout_id: UUID, run_id: UUID, maker_id: UUID, amount: Money, entries: list[UUID]
) -> None:
    """A `pending` payout and its claim on `entries` (the caller's transaction commits both)."""
    await conn.execute(
        "INSERT INTO payouts (id, run_id, maker_id, amount, currency, status) "
        "VALUES ($1, $2, $3, $4, $5, 'pending')",
        payout_id,
        run_id,
        maker_id,
        amount.amount,
        amount.currency,
    )
    await conn.execute(
        "INSERT INTO payout_entries (payout_id, ledger_entry_id) SELECT $1, unnest($2::uuid[])",
        payout_id,
        entries,
    )


_SELECT_PAYOUT = "SELECT id, run_id, maker_id, amount, currency, status, settled_at FROM payouts"


def _payout(row: asyncpg.Record) -> PayoutRecord:
    return PayoutRecord(
        id=row["id"],
        run_id=row["run_id"],
        maker_id=row["maker_id"],
        amount=Money(amount=row["amount"], currency=row["currency"]),
        status=PayoutStatus(row["status"]),
        settled_at=row["settled_at"],
    )


async def pending_payouts(db: Executor) -> list[PayoutRecord]:
    """Payouts claimed but not settled: a run that stopped half way left them."""
    rows = await db.fetch(f"{_SELECT_PAYOUT} WHERE status = 'pending' ORDER BY created_at, id")
    return [_payout(row) for row in rows]


async def payouts_by_id(db: Executor, ids: list[UUID]) -> list[PayoutRecord]:
    rows = await db.fetch(f"{_SELECT_PAYOUT} WHERE id = ANY($1::uuid[]) ORDER BY maker_id, id", ids)
    return [_payout(row) for row in rows]


async def payouts_of_maker(db: Executor, maker_id: UUID) -> list[PayoutRecord]:
    """A maker's settled payouts, newest first."""
    rows = await db.fetch(
        f"{_SELECT_PAYOUT} WHERE maker_id = $1 AND status <> 'pending' ORDER BY created_at DESC, id DESC",
        maker_id,
    )
    return [_payout(row) for row in rows]


async def settle_payout(
    conn: Executor, payout_id: UUID, status: PayoutStatus, reference: str, failure: str
) -> datetime | None:
    """Mark a pending payout paid or failed (a failed one releases its entries); when it was
    settled already (by a racing run), None."""
    settled_at: datetime | None = await conn.fetchval(
        "UPDATE payouts SET status = $2, provider_reference = $3, failure = nullif($4, ''), "
        "settled_at = now() WHERE id = $1 AND status = 'pending' RETURNING settled_at",
        payout_id,
        status.value,
        reference,
        failure,
    )
    if settled_at is not None and status is PayoutStatus.FAILED:
        await conn.execute("UPDATE payout_entries SET released = true WHERE payout_id = $1", payout_id)
    return settled_at


async def statement(db: Executor, maker_id: UUID, start: datetime, end: datetime) -> list[StatementLine]:
    """The maker's ledger entries from `start` (inclusive) to `end` (exclusive), oldest first."""
    rows = await db.fetch(
        "SELECT l.at, l.kind, l.gross_amount, l.commission_amount, l.net_amount, l.currency, "
        "mo.reference "
        "FROM payout_ledger l JOIN maker_orders mo ON mo.id = l.maker_order_id "
        "WHERE l.maker_id = $1 AND l.at >= $2 AND l.at < $3 ORDER BY l.at, l.id",
        maker_id,
        start,
        end,
    )
    return [
        StatementLine(
            at=row["at"],
            reference=row["reference"],
            kind=LedgerKind(row["kind"]),
            gross=Money(amount=row["gross_amount"], currency=row["currency"]),
            commission=Money(amount=row["commission_amount"], currency=row["currency"]),
            net=Money(amount=row["net_amount"], currency=row["currency"]),
        )
        for row in rows
    ]


async def references_of(db: Executor, maker_order_ids: list[UUID]) -> dict[UUID, str]:
    """Maker orders' references."""
    rows = await db.fetch(
        "SELECT id, reference FROM maker_orders WHERE id = ANY($1::uuid[])", maker_order_ids
    )
    return {row["id"]: row["reference"] for row in rows}
