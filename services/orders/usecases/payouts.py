"""Payouts: a maker's ledger with each entry's state, balances, payouts and statement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.orders import store
from services.orders.domain import Balances, EntryState, LedgerEntry, balances_of, state_of
from services.orders.domain.events import utcnow
from services.orders.store import Executor, Position
from services.orders.store import payouts as payout_store
from services.orders.store.common import one_snapshot
from services.orders.store.payouts import PayoutRecord, StatementLine
from shared.money import Money


@dataclass(frozen=True)
class PayoutLine:
    entry: LedgerEntry
    state: EntryState
    reference: str


@dataclass(frozen=True)
class Payouts:
    """A page of a maker's ledger, newest first, their balance in each currency, that balance
    split by state (in the first currency), and their settled payouts."""

    lines: list[PayoutLine]
    next_position: Position | None
    balances: list[Money]
    by_state: Balances
    payouts: list[PayoutRecord]


async def list_payouts(
    db: Executor,
    *,
    maker_id: uuid.UUID | None,
    after: Position | None,
    limit: int,
    hold: timedelta,
    now: datetime | None = None,
) -> Payouts:
    """A maker's payout ledger (earnings on delivery, reversals of refunds) with each line's
    state, balances and payouts; nothing for a maker the read model does not know (None)."""
    now = now or utcnow()
    if maker_id is None:
        zero = Money.zero("GBP")
        return Payouts([], None, [], Balances(zero, zero, zero), [])
    # One snapshot: every line of the page has its facts, and the sums match the lines.
    async with one_snapshot(db) as conn:
        entries, position = await store.ledger_page(conn, maker_id, after, limit)
        facts = await payout_store.entry_facts(conn, maker_id)
        references = await payout_store.references_of(conn, [entry.maker_order_id for entry in entries])
        balances = await store.ledger_balances(conn, maker_id)
        payouts = await payout_store.payouts_of_maker(conn, maker_id)
    states = {fact.id: state_of(fact, now=now, hold=hold) for fact in facts}
    currency = balances[0].currency if balances else "GBP"
    return Payouts(
        [PayoutLine(entry, states[entry.id], references[entry.maker_order_id]) for entry in entries],
        position,
        balances,
        balances_of(facts, currency, now=now, hold=hold),
        payouts,
    )


async def statement(
    db: Executor, *, maker_id: uuid.UUID | None, start: datetime, end: datetime
) -> list[StatementLine]:
    """The maker's ledger entries in [start, end), oldest first."""
    if maker_id is None:
        return []
    return await payout_store.statement(db, maker_id, start, end)
