"""The payout ledger: what makers earn on delivery, and the reversals of refunded deliveries.
Lines are immutable; a correction is a new line."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.orders.domain.events import utcnow
from services.orders.domain.maker_order import MakerOrder
from services.orders.domain.vocabulary import LedgerKind, MakerOrderStatus
from shared.money import Money


@dataclass(frozen=True)
class LedgerEntry:
    """One immutable line of a maker's ledger; corrections are new entries, never edits."""

    id: uuid.UUID
    maker_id: uuid.UUID
    maker_order_id: uuid.UUID
    kind: LedgerKind
    gross: Money
    commission: Money
    net: Money
    at: datetime
    # The return whose refund this reversal is (domain/returns.py); None otherwise.
    return_id: uuid.UUID | None = None


def earning_for(maker_order: MakerOrder, *, at: datetime | None = None) -> LedgerEntry:
    """What a delivered maker order earns its maker: the items less the commission, and the
    shipping whole (no commission is charged on it)."""
    if maker_order.status is not MakerOrderStatus.DELIVERED:
        raise ValueError("Earnings post only on delivery")
    shipping = maker_order.shipping_paid
    return LedgerEntry(
        id=uuid.uuid4(),
        maker_id=maker_order.maker_id,
        maker_order_id=maker_order.id,
        kind=LedgerKind.EARNING,
        gross=maker_order.gross + shipping,
        commission=maker_order.commission,
        net=maker_order.net + shipping,
        at=at or utcnow(),
    )


def reversal_of(
    earning: LedgerEntry, *, reversed_before: Iterable[LedgerEntry] = (), at: datetime | None = None
) -> LedgerEntry:
    """A refund of a whole delivered maker order cancels what is left of its earning with an
    opposite entry: the earning less what returns already reversed (`reversed_before`)."""
    if earning.kind is not LedgerKind.EARNING:
        raise ValueError("Only an earning can be reversed")
    before = list(reversed_before)
    currency = earning.gross.currency
    gross = earning.gross + Money.total((entry.gross for entry in before), currency)
    commission = earning.commission + Money.total((entry.commission for entry in before), currency)
    return LedgerEntry(
        id=uuid.uuid4(),
        maker_id=earning.maker_id,
        maker_order_id=earning.maker_order_id,
        kind=LedgerKind.REVERSAL,
        gross=-gross,
        commission=-commission,
        net=-(gross - commission),
        at=at or utcnow(),
    )


def balance(entries: Iterable[LedgerEntry], currency: str = "GBP") -> Money:
    """What the maker is owed: the sum of net amounts."""
    return Money.total((entry.net for entry in entries), currency)
