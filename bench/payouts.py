"""payouts: ledger entries paid per second by a payout run (`usecases.run_payouts`, what POST
/payout-runs and `marketplace payout-run` call), against a bare SQL + sandbox-call loop doing
the same payouts.

Setup (in its own namespace): the orders schema, migrated; 100k delivered earnings (--quick:
20k) across 2,000 makers (--quick: 400), written straight into the orders schema as the
delivery of a one-parcel order each (tests/support/payouts.py), delivered 15 to 60 days ago
with prices from £20 to £500, so every maker's balance is available and over the minimum.

Each repeat forgets every payout (the payout tables, the sandbox's transfers, the outbox) and
then, in an order that rotates from one repeat to the next:

  run       `run_payouts` over the orders service's pool and the sandbox provider: per maker,
            claim (lock, read the entries' facts, decide in the domain, insert the pending
            payout and its claims), pay (the sandbox), settle (paid + orders.payout.paid.v1 in
            the outbox); entries paid / wall clock
  baseline  one SQL query for every maker's unpaid earnings, then per maker the same three
            steps with nothing else: insert the payout and its claims, the same sandbox call,
            mark it paid with the same event row in the outbox

`payouts.run_s` is the wall clock of one whole run beside its baseline's.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.core import Context, compare, migrate_services, namespace
from services.orders import usecases
from services.orders.domain import PayoutProvider
from services.orders.payout_provider import open_payout_provider
from services.orders.settings import OrdersSettings
from shared.contracts import Envelope
from shared.contracts.orders import PayoutPaid
from shared.db import create_pool
from shared.money import Money
from tests.support.harness import admin_dsn
from tests.support.payouts import earning, seed_earnings

TARGET = ">= 0.5x"
HOLD = timedelta(days=14)
MINIMUM = 1000


async def seed(admin: asyncpg.Connection, entries: int, makers: int) -> None:
    rng = random.Random(15)
    maker_ids = [uuid.uuid4() for _ in range(makers)]
    now = datetime.now(UTC)
    batch = 10_000
    for start in range(0, entries, batch):
        await seed_earnings(
            admin,
            [
                earning(
                    maker_ids[(start + i) % makers],
                    rng.randrange(2000, 50_000, 5),
                    now - timedelta(days=15, seconds=rng.randrange(45 * 86400)),
                )
                for i in range(min(batch, entries - start))
            ],
        )
    await admin.execute("VACUUM ANALYZE orders.orders, orders.maker_orders, orders.payout_ledger")


async def forget_payouts(admin: asyncpg.Connection) -> None:
    await admin.execute(
        "TRUNCATE orders.payout_entries, orders.payouts, orders.payout_runs, orders.sandbox_payouts, "
        "orders.outbox"
    )
    await admin.execute("VACUUM ANALYZE orders.payout_entries, orders.payouts, orders.sandbox_payouts")


async def paid_entries(admin: asyncpg.Connection) -> int:
    return int(
        await admin.fetchval(
            "SELECT count(*) FROM orders.payout_entries pe JOIN orders.payouts p ON p.id = pe.payout_id "
            "WHERE p.status = 'paid'"
        )
    )


async def bare_loop(pool: asyncpg.Pool, provider: PayoutProvider) -> None:
    """The same payouts with nothing but SQL and the sandbox call."""
    run_id = uuid.uuid4()
    await pool.execute("INSERT INTO payout_runs (id) VALUES ($1)", run_id)
    rows = await pool.fetch(
        "SELECT maker_id, array_agg(id) AS entries, sum(net_amount)::bigint AS amount FROM payout_ledger "
        "WHERE at <= now() - interval '14 days' GROUP BY maker_id ORDER BY maker_id"
    )
    for row in rows:
        payout_id, amount = uuid.uuid4(), Money(amount=row["amount"], currency="GBP")
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO payouts (id, run_id, maker_id, amount, currency, status) "
                "VALUES ($1, $2, $3, $4, 'GBP', 'pending')",
                payout_id,
                run_id,
                row["maker_id"],
                row["amount"],
            )
            await conn.execute(
                "INSERT INTO payout_entries (payout_id, ledger_entry_id) SELECT $1, unnest($2::uuid[])",
                payout_id,
                row["entries"],
            )
        result = await provider.pay(row["maker_id"], amount, str(payout_id))
        async with pool.acquire() as conn, conn.transaction():
            paid_at = await conn.fetchval(
                "UPDATE payouts SET status = 'paid', provider_reference = $2, settled_at = now() "
                "WHERE id = $1 RETURNING settled_at",
                payout_id,
                result.reference,
            )
            envelope = Envelope.wrap(
                PayoutPaid(payout_id=payout_id, maker_id=row["maker_id"], amount=amount, paid_at=paid_at),
                producer="orders",
                aggregate_id=str(payout_id),
            )
            await conn.execute(
                "INSERT INTO outbox (event_id, routing_key, aggregate_id, envelope) VALUES ($1, $2, $3, $4)",
                envelope.event_id,
                envelope.routing_key,
                envelope.aggregate_id,
                envelope.model_dump_json(),
            )


async def run(ctx: Context, entries: int | None = None, makers: int | None = None) -> None:
    entries = entries or (20_000 if ctx.quick else 100_000)
    makers = makers or (400 if ctx.quick else 2_000)
    run_rates: list[float] = []
    bare_rates: list[float] = []
    run_seconds: list[float] = []
    bare_seconds: list[float] = []
    async with namespace("bench-payouts") as env:
        await migrate_services(env, ["orders"])
        settings = OrdersSettings()
        admin = await asyncpg.connect(admin_dsn(env.database))
        pool = await create_pool(settings)
        provider, provider_pool = await open_payout_provider(settings)
        try:
            await seed(admin, entries, makers)
            bar = ctx.progress(total=ctx.repeats * 2, desc=f"payouts (n={entries})", unit="run", leave=False)

            async def subject() -> None:
                await forget_payouts(admin)
                started = time.perf_counter()
                await usecases.run_payouts(pool, provider, minimum=MINIMUM, hold=HOLD)
                elapsed = time.perf_counter() - started
                if (paid := await paid_entries(admin)) != entries:
                    raise RuntimeError(f"the run paid {paid} of {entries} entries")
                run_rates.append(entries / elapsed)
                run_seconds.append(elapsed)

            async def baseline() -> None:
                await forget_payouts(admin)
                started = time.perf_counter()
                await bare_loop(pool, provider)
                elapsed = time.perf_counter() - started
                if (paid := await paid_entries(admin)) != entries:
                    raise RuntimeError(f"the bare loop paid {paid} of {entries} entries")
                bare_rates.append(entries / elapsed)
                bare_seconds.append(elapsed)

            steps = [baseline, subject]
            for i in range(ctx.repeats):
                shift = i % len(steps)
                for step in steps[shift:] + steps[:shift]:
                    await step()
                    bar.update()
            bar.close()
        finally:
            await provider_pool.close()
            await pool.close()
            await admin.close()
    note = (
        f"{entries} delivered earnings across {makers} makers, all available; baseline: one SQL "
        "query for every maker's unpaid earnings, then per maker insert the payout and its claims, "
        "the same sandbox call, mark it paid with its outbox event"
    )
    ctx.add(compare("payouts.entries_per_s", "entries/s", run_rates, bare_rates, TARGET, note=note))
    ctx.add(
        compare(
            "payouts.run_s",
            "s",
            run_seconds,
            bare_seconds,
            None,
            note=f"one whole payout run over {entries} entries; baseline: the bare loop's",
            lower_is_better=True,
        )
    )
