"""Makers' delivered earnings written straight into the orders schema (an order, its delivered
maker order and the earning posted at delivery), for payout tests and the payouts benchmark;
and the checks every payout test makes: each ledger entry paid at most once, and per maker
Σ payouts + available + pending = Σ ledger."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from services.orders.domain import balances_of
from services.orders.store.payouts import entry_facts
from shared.db import Executor

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
COMMISSION_RATE_PERCENT = 15


@dataclass(frozen=True)
class Earning:
    maker_id: uuid.UUID
    gross: int
    delivered_at: datetime
    maker_order_id: uuid.UUID
    ledger_entry_id: uuid.UUID

    @property
    def commission(self) -> int:
        return self.gross * COMMISSION_RATE_PERCENT // 100

    @property
    def net(self) -> int:
        return self.gross - self.commission


def earning(maker_id: uuid.UUID, gross: int, delivered_at: datetime) -> Earning:
    return Earning(maker_id, gross, delivered_at, uuid.uuid4(), uuid.uuid4())


def _reference() -> str:
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"FF-{code[:4]}-{code[4:]}"


async def seed_earnings(conn: asyncpg.Connection, earnings: list[Earning], schema: str = "orders") -> None:
    """Each earning as an order (with its reference) of one delivered maker order (the order's
    reference and `-1`), in three statements whatever their number."""
    order_ids = [uuid.uuid4() for _ in earnings]
    references = [_reference() for _ in earnings]
    at = [e.delivered_at for e in earnings]
    await conn.execute(
        f"INSERT INTO {schema}.orders (id, customer_id, status, version, created_at, updated_at, "
        "expires_at, data, reference) SELECT o, gen_random_uuid(), 'completed', 1, d, d, d, '{}'::jsonb, r "
        "FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS t (o, d, r)",
        order_ids,
        at,
        references,
    )
    await conn.execute(
        f"INSERT INTO {schema}.maker_orders (id, order_id, maker_id, status, version, created_at, "
        "updated_at, data, reference) SELECT mo, o, m, 'delivered', 4, d, d, '{}'::jsonb, r || '-1' "
        "FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::text[]) "
        "AS t (mo, o, m, d, r)",
        [e.maker_order_id for e in earnings],
        order_ids,
        [e.maker_id for e in earnings],
        at,
        references,
    )
    await conn.execute(
        f"INSERT INTO {schema}.payout_ledger (id, maker_id, maker_order_id, kind, gross_amount, "
        "commission_amount, net_amount, currency, at) "
        "SELECT i, m, mo, 'earning', g, c, g - c, 'GBP', d "
        "FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::bigint[], $6::timestamptz[]) "
        "AS t (i, m, mo, g, c, d)",
        [e.ledger_entry_id for e in earnings],
        [e.maker_id for e in earnings],
        [e.maker_order_id for e in earnings],
        [e.gross for e in earnings],
        [e.commission for e in earnings],
        at,
    )


async def entries_paid_more_than_once(conn: asyncpg.Connection, schema: str = "orders") -> int:
    """Ledger entries carried by more than one paid payout (0, or money went out twice)."""
    return int(
        await conn.fetchval(
            f"SELECT count(*) FROM (SELECT pe.ledger_entry_id FROM {schema}.payout_entries pe "
            f"JOIN {schema}.payouts p ON p.id = pe.payout_id WHERE p.status = 'paid' "
            "GROUP BY pe.ledger_entry_id HAVING count(*) > 1) AS twice"
        )
    )


async def transfers_match_payouts(conn: asyncpg.Connection, schema: str = "orders") -> bool:
    """The provider sent exactly the paid payouts, each once, for its amount."""
    return bool(
        await conn.fetchval(
            f"SELECT (SELECT count(*) FROM {schema}.sandbox_payouts WHERE outcome = 'paid') = "
            f"(SELECT count(*) FROM {schema}.payouts WHERE status = 'paid') AND NOT EXISTS ("
            f"SELECT 1 FROM {schema}.payouts p JOIN {schema}.sandbox_payouts s "
            "ON s.idempotency_key = p.id::text WHERE p.status = 'paid' AND s.amount <> p.amount)"
        )
    )


async def makers_not_adding_up(
    conn: Executor,
    maker_ids: list[uuid.UUID],
    hold: timedelta,
    schema: str = "orders",
) -> list[str]:
    """Makers for whom Σ paid payouts + available + pending ≠ Σ ledger: paid from the payouts
    the provider was asked for, available and pending as the service splits the rest (its own
    query and rules), the ledger summed apart. Also a payout whose amount is not the sum of the
    entries it carried. Each as a sentence."""
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as one:
            return await makers_not_adding_up(one, maker_ids, hold, schema)
    wrong = []
    now = datetime.now(UTC)
    for maker_id in maker_ids:
        async with conn.transaction(readonly=True, isolation="repeatable_read"):
            await conn.execute(f"SET LOCAL search_path = {schema}")
            facts = await entry_facts(conn, maker_id)
            ledger = await conn.fetchval(
                "SELECT coalesce(sum(net_amount), 0) FROM payout_ledger WHERE maker_id = $1", maker_id
            )
            paid = await conn.fetchval(
                "SELECT coalesce(sum(amount), 0) FROM payouts WHERE maker_id = $1 AND status = 'paid'",
                maker_id,
            )
            mismatched = await conn.fetchval(
                "SELECT count(*) FROM payouts p WHERE p.maker_id = $1 AND p.status <> 'failed' "
                "AND p.amount <> (SELECT sum(l.net_amount) FROM payout_entries pe "
                "JOIN payout_ledger l ON l.id = pe.ledger_entry_id WHERE pe.payout_id = p.id)",
                maker_id,
            )
        split = balances_of(facts, "GBP", now=now, hold=hold)
        if paid + split.available.amount + split.pending.amount != ledger:
            wrong.append(
                f"maker {maker_id}: paid {paid} + available {split.available.amount} + pending "
                f"{split.pending.amount} != ledger {ledger}"
            )
        if mismatched:
            wrong.append(f"maker {maker_id}: {mismatched} payouts not equal to the entries they carried")
    return wrong
