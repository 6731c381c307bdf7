"""Ledger entry states at their boundaries (the hold after delivery, an open return, a reversal
following its earning), the split of a balance, what a payout run pays, and the statement's
CSV-injection guard."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.orders.api.payouts import _major, _safe_cells
from services.orders.domain import (
    EntryFacts,
    EntryState,
    LedgerKind,
    PayoutStatus,
    balances_of,
    payable_entries,
    state_of,
)
from shared.money import Money

HOLD = timedelta(days=14)
DELIVERED = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
MAKER_ORDER = uuid.uuid4()


def earning(
    net: int = 10000,
    *,
    delivered_at: datetime = DELIVERED,
    return_open: bool = False,
    payout_status: PayoutStatus | None = None,
    maker_order_id: uuid.UUID = MAKER_ORDER,
) -> EntryFacts:
    return EntryFacts(
        id=uuid.uuid4(),
        maker_order_id=maker_order_id,
        kind=LedgerKind.EARNING,
        net=Money(amount=net, currency="GBP"),
        delivered_at=delivered_at,
        return_open=return_open,
        payout_status=payout_status,
    )


def reversal(net: int = -10000, *, earning_claimed: bool = False, return_open: bool = False) -> EntryFacts:
    return EntryFacts(
        id=uuid.uuid4(),
        maker_order_id=MAKER_ORDER,
        kind=LedgerKind.REVERSAL,
        net=Money(amount=net, currency="GBP"),
        delivered_at=DELIVERED,
        return_open=return_open,
        payout_status=None,
        earning_claimed=earning_claimed,
    )


def test_an_earning_is_pending_through_day_14_after_delivery_and_available_from_then() -> None:
    entry = earning()
    assert state_of(entry, now=DELIVERED + timedelta(days=13, hours=23), hold=HOLD) is EntryState.PENDING
    assert state_of(entry, now=DELIVERED + HOLD - timedelta(microseconds=1), hold=HOLD) is EntryState.PENDING
    assert state_of(entry, now=DELIVERED + HOLD, hold=HOLD) is EntryState.AVAILABLE
    assert state_of(entry, now=DELIVERED + timedelta(days=15), hold=HOLD) is EntryState.AVAILABLE


def test_an_open_return_holds_an_earning_whatever_its_age() -> None:
    held = earning(return_open=True)
    assert state_of(held, now=DELIVERED + timedelta(days=15), hold=HOLD) is EntryState.PENDING
    assert state_of(held, now=DELIVERED + timedelta(days=400), hold=HOLD) is EntryState.PENDING


def test_an_entry_is_paid_only_once_its_payout_was_paid() -> None:
    later = DELIVERED + timedelta(days=20)
    assert state_of(earning(payout_status=PayoutStatus.PAID), now=later, hold=HOLD) is EntryState.PAID
    # Being paid: still owed, so still available (never counted twice, never lost).
    assert state_of(earning(payout_status=PayoutStatus.PENDING), now=later, hold=HOLD) is EntryState.AVAILABLE


def test_a_reversal_follows_its_unpaid_earning_and_lowers_available_once_it_was_paid() -> None:
    assert state_of(reversal(), now=DELIVERED + timedelta(days=3), hold=HOLD) is EntryState.PENDING
    assert state_of(reversal(), now=DELIVERED + timedelta(days=15), hold=HOLD) is EntryState.AVAILABLE
    assert (
        state_of(reversal(earning_claimed=True), now=DELIVERED + timedelta(days=3), hold=HOLD)
        is EntryState.AVAILABLE
    )


def test_balances_split_the_whole_ledger_by_state() -> None:
    now = DELIVERED + timedelta(days=15)
    entries = [
        earning(5000, payout_status=PayoutStatus.PAID),
        earning(3000),
        earning(2000, delivered_at=now - timedelta(days=1)),
        earning(700, return_open=True),
        reversal(-5000, earning_claimed=True),
    ]
    balances = balances_of(entries, "GBP", now=now, hold=HOLD)
    assert (balances.pending.amount, balances.available.amount, balances.paid.amount) == (2700, -2000, 5000)
    assert balances.pending.amount + balances.available.amount + balances.paid.amount == sum(
        entry.net.amount for entry in entries
    )


def test_a_run_pays_the_available_entries_when_they_reach_the_minimum() -> None:
    now = DELIVERED + timedelta(days=15)
    old, young = earning(600), earning(700, delivered_at=now - timedelta(days=2))
    assert payable_entries([old, young], now=now, hold=HOLD, minimum=1000) == {}
    more = earning(400)
    chosen = payable_entries([old, young, more], now=now, hold=HOLD, minimum=1000)
    assert {entry.id for entry in chosen["GBP"]} == {old.id, more.id}
    # Exactly the minimum is enough; entries a payout carries already are never chosen again.
    assert payable_entries([earning(1000)], now=now, hold=HOLD, minimum=1000)
    claimed = earning(5000, payout_status=PayoutStatus.PENDING)
    assert payable_entries([claimed], now=now, hold=HOLD, minimum=1) == {}


def test_a_reversal_after_a_payout_comes_off_the_next_one() -> None:
    now = DELIVERED + timedelta(days=15)
    new, clawback = earning(3000, maker_order_id=uuid.uuid4()), reversal(-2500, earning_claimed=True)
    assert payable_entries([new, clawback], now=now, hold=HOLD, minimum=1000) == {}
    bigger = earning(4000, maker_order_id=uuid.uuid4())
    chosen = payable_entries([new, clawback, bigger], now=now, hold=HOLD, minimum=1000)
    assert sum(entry.net.amount for entry in chosen["GBP"]) == 4500


def test_statement_cells_that_a_spreadsheet_would_run_are_quoted_and_amounts_stay_numbers() -> None:
    assert _safe_cells(["=HYPERLINK(1)", "+1+1", "-1+cmd|x", "@SUM(A1)", "FF-7K3D-92QX-1", "-104.93"]) == [
        "'=HYPERLINK(1)",
        "'+1+1",
        "'-1+cmd|x",
        "'@SUM(A1)",
        "FF-7K3D-92QX-1",
        "-104.93",
    ]
    assert _major(Money(amount=-10493, currency="GBP")) == "-104.93"
    assert _major(Money(amount=5, currency="GBP")) == "0.05"
