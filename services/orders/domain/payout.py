"""Payouts: when a ledger entry may be paid to its maker, what a payout run pays, and the payout
provider port (adapters live outside the domain, services/orders/payout_provider.py).

An earning is `pending` until the hold (14 days) after its maker order's delivery has passed
and while a return is open on that maker order; then `available`; `paid` once a payout that
carried it was paid. A reversal follows its earning while that earning is unpaid (the two
cancel out wherever they stand); once the earning was paid, the reversal is `available` and
reduces what the next payout sends. An entry carried by a payout still in flight counts as
`available` until the provider has paid it, so pending + available + paid is always the
whole ledger."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from services.orders.domain.events import DomainEvent
from services.orders.domain.serialisation import to_json
from services.orders.domain.vocabulary import LedgerKind
from shared.money import Money


class EntryState(StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    PAID = "paid"


class PayoutStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"


@dataclass(frozen=True)
class EntryFacts:
    """What decides one ledger entry's state, as the store reads it."""

    id: uuid.UUID
    maker_order_id: uuid.UUID
    kind: LedgerKind
    net: Money
    # When the maker order was delivered: its earning posts then.
    delivered_at: datetime
    return_open: bool
    # The status of the payout carrying this entry (None: not carried by any).
    payout_status: PayoutStatus | None
    # For a reversal: whether its earning is carried by a payout already.
    earning_claimed: bool = False


def state_of(entry: EntryFacts, *, now: datetime, hold: timedelta) -> EntryState:
    if entry.payout_status is PayoutStatus.PAID:
        return EntryState.PAID
    if entry.payout_status is PayoutStatus.PENDING:
        return EntryState.AVAILABLE
    if entry.kind is LedgerKind.REVERSAL and entry.earning_claimed:
        return EntryState.AVAILABLE
    if entry.return_open or now < entry.delivered_at + hold:
        return EntryState.PENDING
    return EntryState.AVAILABLE


@dataclass(frozen=True)
class Balances:
    """A maker's ledger in one currency, split by state: pending + available + paid = the sum."""

    pending: Money
    available: Money
    paid: Money


def balances_of(entries: Iterable[EntryFacts], currency: str, *, now: datetime, hold: timedelta) -> Balances:
    sums = {state: Money.zero(currency) for state in EntryState}
    for entry in entries:
        if entry.net.currency == currency:
            state = state_of(entry, now=now, hold=hold)
            sums[state] = sums[state] + entry.net
    return Balances(sums[EntryState.PENDING], sums[EntryState.AVAILABLE], sums[EntryState.PAID])


def payable_entries(
    entries: Iterable[EntryFacts], *, now: datetime, hold: timedelta, minimum: int
) -> dict[str, list[EntryFacts]]:
    """The entries one maker's next payout carries, per currency: every available entry no
    payout carries yet, when together they come to at least `minimum` minor units."""
    by_currency: dict[str, list[EntryFacts]] = {}
    for entry in entries:
        if entry.payout_status is None and state_of(entry, now=now, hold=hold) is EntryState.AVAILABLE:
            by_currency.setdefault(entry.net.currency, []).append(entry)
    return {
        currency: chosen
        for currency, chosen in by_currency.items()
        if sum(entry.net.amount for entry in chosen) >= minimum
    }


def payout_paid(payout_id: uuid.UUID, maker_id: uuid.UUID, amount: Money, paid_at: datetime) -> DomainEvent:
    """The fact a paid payout publishes (`orders.payout.paid`)."""
    return DomainEvent(
        aggregate_type="payout",
        name="paid",
        aggregate_id=payout_id,
        aggregate_version=1,
        occurred_at=paid_at,
        data=to_json({"payout_id": payout_id, "maker_id": maker_id, "amount": amount, "paid_at": paid_at}),
    )


# --- the payout provider port ---------------------------------------------------------------------


class PayoutOutcome(StrEnum):
    PAID = "paid"
    # The provider will not send it (e.g. over its limit): the payout fails and its entries are
    # released for a later run.
    REFUSED = "refused"


@dataclass(frozen=True)
class PayoutResult:
    outcome: PayoutOutcome
    reference: str
    detail: str = ""


class PayoutProviderError(Exception):
    """The provider could not be reached or answered nothing: the payout stays pending and the
    next run asks again with the same idempotency key."""


class PayoutProvider(Protocol):
    # The idempotency key (the payout's id) makes a repeated call answer the first call's
    # result and never send the money twice.
    async def pay(self, maker_id: uuid.UUID, amount: Money, idempotency_key: str) -> PayoutResult: ...
