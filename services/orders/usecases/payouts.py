"""Payouts: a maker's ledger and balances."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.orders import store
from services.orders.domain import (
    LedgerEntry,
)
from services.orders.store import Executor, Position
from shared.money import Money


@dataclass(frozen=True)
class Payouts:
    """A page of a maker's ledger, newest first, and their balance in each currency."""

    entries: list[LedgerEntry]
    next_position: Position | None
    balances: list[Money]


async def list_payouts(
    db: Executor, *, maker_id: uuid.UUID | None, after: Position | None, limit: int
) -> Payouts:
    """A maker's payout ledger (earnings on delivery, reversals of refunded deliveries) and
    balances; nothing for a maker the read model does not know (None)."""
    if maker_id is None:
        return Payouts([], None, [])
    entries, position = await store.ledger_page(db, maker_id, after, limit)
    return Payouts(entries, position, await store.ledger_balances(db, maker_id))
