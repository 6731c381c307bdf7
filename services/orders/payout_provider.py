"""Payouts' provider: the sandbox adapter behind the domain's `PayoutProvider` port, and the
process context that opens it.

The sandbox stands in for a bank transfer provider, so it keeps its own records (table
`sandbox_payouts`) on its own small pool, outside the run's transactions: one transfer per
idempotency key (a payout's id), whatever the retries, restarts and processes. It refuses a
single transfer over `SANDBOX_PAYOUT_LIMIT` minor units, as a real provider refuses one over
its limit.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from services.orders.domain import PayoutOutcome, PayoutProvider, PayoutProviderError, PayoutResult
from services.orders.settings import ORDERS_SETTINGS, OrdersSettings
from shared.db import create_pool
from shared.money import Money

PAYOUT_PROVIDER = web.AppKey("payout_provider", PayoutProvider)

SANDBOX_PAYOUT_LIMIT = 10_000_000
_SANDBOX_POOL_MAX = 2
_UNREACHABLE = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class SandboxPayoutProvider:
    """Idempotent per key: a repeated call answers the first call's result."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def pay(self, maker_id: uuid.UUID, amount: Money, idempotency_key: str) -> PayoutResult:
        outcome = PayoutOutcome.PAID if amount.amount <= SANDBOX_PAYOUT_LIMIT else PayoutOutcome.REFUSED
        try:
            await self._pool.execute(
                "INSERT INTO sandbox_payouts "
                "(idempotency_key, maker_id, amount, currency, outcome, reference) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING",
                idempotency_key,
                maker_id,
                amount.amount,
                amount.currency,
                outcome.value,
                f"sbx_po_{uuid.uuid4().hex}",
            )
            # Read after the insert, in a statement of its own: a transfer another process made
            # under the same key a moment earlier is visible now.
            row = await self._pool.fetchrow(
                "SELECT maker_id, amount, currency, outcome, reference FROM sandbox_payouts "
                "WHERE idempotency_key = $1",
                idempotency_key,
            )
        except _UNREACHABLE as exc:
            raise PayoutProviderError(f"sandbox unreachable: {exc!r}") from exc
        assert row is not None, "inserted or already there"
        if (row["maker_id"], row["amount"], row["currency"]) != (maker_id, amount.amount, amount.currency):
            return PayoutResult(
                PayoutOutcome.REFUSED, row["reference"], "idempotency key reused with other parameters"
            )
        detail = "" if row["outcome"] == PayoutOutcome.PAID else "over the sandbox's limit"
        return PayoutResult(PayoutOutcome(row["outcome"]), row["reference"], detail)


async def open_payout_provider(settings: OrdersSettings) -> tuple[PayoutProvider, asyncpg.Pool]:
    """The sandbox provider on a pool of its own (closed by the caller)."""
    pool = await create_pool(
        settings.model_copy(update={"pg_pool_min": 1, "pg_pool_max": _SANDBOX_POOL_MAX}), role="payouts"
    )
    return SandboxPayoutProvider(pool), pool


async def payout_provider_context(app: web.Application) -> AsyncIterator[None]:
    """Open the payout provider for the life of the process."""
    provider, pool = await open_payout_provider(app[ORDERS_SETTINGS])
    app[PAYOUT_PROVIDER] = provider
    yield
    await pool.close()
