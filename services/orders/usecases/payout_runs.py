"""Payout runs: each maker's available balance of at least the minimum, sent through the payout
provider, each ledger entry exactly once however runs are retried, stopped or raced.

A run takes three steps per maker, each committed before the next:
1. claim: under the maker's lock, a `pending` payout is created with a claim on every entry it
   carries (one claim per entry: a unique index), in one transaction;
2. send: the provider is asked to pay it with the payout's id as idempotency key;
3. settle: the payout is marked paid (with `orders.payout.paid.v1` in the outbox) or failed
   (its entries released for a later run).
A run first resumes every payout still `pending` (a run stopped between 1 and 3): the same key
makes the provider answer what it did, never pay again. Two runs at once queue on the maker's
lock, and the second finds the entries claimed; a payout both resume is settled once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from services.orders.domain import (
    PayoutOutcome,
    PayoutProvider,
    PayoutProviderError,
    PayoutStatus,
    payable_entries,
    payout_paid,
)
from services.orders.domain.events import utcnow
from services.orders.store import PRODUCER
from services.orders.store import payouts as payout_store
from services.orders.store.common import emit_events
from services.orders.store.payouts import PayoutRecord
from shared.db import UnitOfWork
from shared.logging import get_logger
from shared.money import Money

log = get_logger()


@dataclass(frozen=True)
class PayoutRun:
    id: uuid.UUID
    payouts: list[PayoutRecord]


async def run_payouts(
    pool: asyncpg.Pool,
    provider: PayoutProvider,
    *,
    minimum: int,
    hold: timedelta,
    now: datetime | None = None,
) -> PayoutRun:
    """Pay every maker's available balance of at least `minimum` minor units; the run's
    payouts (those it resumed too), each paid, failed, or still pending when the provider could
    not be reached (the next run asks again)."""
    now = now or utcnow()
    run_id = uuid.uuid4()
    await payout_store.create_run(pool, run_id)
    sent: list[uuid.UUID] = []
    for payout in await payout_store.pending_payouts(pool):
        await _send(pool, provider, payout.id, payout.maker_id, payout.amount)
        sent.append(payout.id)
    for maker_id in await payout_store.makers_with_unclaimed_entries(pool, now - hold):
        for payout_id, amount in await _claim(pool, run_id, maker_id, now=now, hold=hold, minimum=minimum):
            await _send(pool, provider, payout_id, maker_id, amount)
            sent.append(payout_id)
    return PayoutRun(run_id, await payout_store.payouts_by_id(pool, sent))


async def _claim(
    pool: asyncpg.Pool,
    run_id: uuid.UUID,
    maker_id: uuid.UUID,
    *,
    now: datetime,
    hold: timedelta,
    minimum: int,
) -> list[tuple[uuid.UUID, Money]]:
    """Create the maker's pending payouts (one per currency) with their claims on the entries."""
    claimed = []
    async with UnitOfWork(pool, PRODUCER) as uow:
        await payout_store.lock_maker_payouts(uow.conn, maker_id)
        facts = await payout_store.entry_facts(uow.conn, maker_id)
        for currency, entries in payable_entries(facts, now=now, hold=hold, minimum=minimum).items():
            payout_id = uuid.uuid4()
            amount = Money.total((entry.net for entry in entries), currency)
            await payout_store.create_payout(
                uow.conn, payout_id, run_id, maker_id, amount, [entry.id for entry in entries]
            )
            claimed.append((payout_id, amount))
    return claimed


async def _send(
    pool: asyncpg.Pool, provider: PayoutProvider, payout_id: uuid.UUID, maker_id: uuid.UUID, amount: Money
) -> None:
    try:
        result = await provider.pay(maker_id, amount, str(payout_id))
    except PayoutProviderError as exc:
        log.warning("payout_provider_unreachable", payout_id=str(payout_id), detail=repr(exc))
        return
    status = PayoutStatus.PAID if result.outcome is PayoutOutcome.PAID else PayoutStatus.FAILED
    async with UnitOfWork(pool, PRODUCER) as uow:
        settled_at = await payout_store.settle_payout(
            uow.conn, payout_id, status, result.reference, result.detail
        )
        if settled_at is not None and status is PayoutStatus.PAID:
            emit_events(uow, [payout_paid(payout_id, maker_id, amount, settled_at)])
