"""Property: whatever happens to a captured order (customer cancels, makers decline, operators
refund delivered parts, customers return some units of some lines, refunds issued in any order,
and refunds asked for beyond what is left), the customer never gets back more than was captured,
what stays captured is exactly the price of what they kept, and the payment's status follows the
amounts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.orders.domain import (
    LineOptions,
    ListingSnapshot,
    MakerOrderStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    PricedLine,
    ProductionKind,
    QualityChecks,
    RefundReason,
    RequestedLine,
    ShippingAddress,
    Tracking,
    price_lines,
)
from shared.errors import StateConflict
from shared.money import Money

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MAKERS = [uuid.UUID(int=maker) for maker in (1, 2, 3)]
CHECKS = QualityChecks(finish_inspected=True, hallmark_verified=True, stones_secure=True)


def gbp(amount: int) -> Money:
    return Money(amount=amount, currency="GBP")


def captured_order(lines: list[tuple[int, int, int]]) -> Order:
    """Confirmed and captured: one line per (maker index, unit price, quantity)."""
    snapshots = [
        ListingSnapshot(
            listing_id=uuid.uuid4(),
            maker_id=MAKERS[maker],
            title=f"Piece {index}",
            price=gbp(price),
            visible=True,
            production_kind=ProductionKind.READY_TO_SHIP,
            stock_available=10,
        )
        for index, (maker, price, _) in enumerate(lines)
    ]
    priced = price_lines(
        [
            RequestedLine(s.listing_id, quantity, LineOptions())
            for s, (_, _, quantity) in zip(snapshots, lines, strict=True)
        ],
        {s.listing_id: s for s in snapshots},
    )
    order = Order.place(
        customer_id=uuid.uuid4(),
        lines=priced,
        shipping_address=ShippingAddress("Ada", "1 Lane", "Bath", "BA1 1AA", "GB"),
        payment_token="tok_visa",
        now=NOW,
    )
    order.stock_reserved({}, now=NOW)
    order.payment_authorised("auth", commission_rate=Decimal("0.15"), now=NOW)
    order.payment_captured("cap", order.total, now=NOW)
    return order


class Customer:
    """What the customer keeps, counted apart from the order's refunds: the oracle."""

    def __init__(self, order: Order) -> None:
        self.order = order
        self.returned: dict[uuid.UUID, int] = {line.id: 0 for line in order.lines}
        self.given_up: set[uuid.UUID] = set()  # maker orders declined or refunded whole

    def kept(self) -> int:
        if self.order.status is OrderStatus.CANCELLED:
            return 0
        return sum(
            unit_price(line) * (line.quantity - self.returned[line.id])
            for maker_order in self.order.maker_orders
            if maker_order.id not in self.given_up
            for line in maker_order.lines
        )


def unit_price(line: PricedLine) -> int:
    return line.line_total.amount // line.quantity


def act(customer: Customer, action: tuple[str, int, int]) -> None:
    """One step; a step the order's state does not allow is refused and changes nothing."""
    order = customer.order
    name, pick, amount = action
    maker_order = order.maker_orders[pick % len(order.maker_orders)]
    if name == "cancel":
        order.cancel_by_customer(now=NOW)
    elif name == "decline":
        if maker_order.decline("No silver", now=NOW):
            order.maker_order_declined(maker_order.id, now=NOW)
            customer.given_up.add(maker_order.id)
    elif name == "fulfil":
        maker_order.accept(now=NOW)
        maker_order.record_quality_check(passed=True, checks=CHECKS, now=NOW)
        maker_order.dispatch(Tracking("Royal Mail", "RM1"), now=NOW)
        maker_order.deliver(now=NOW)
        order.maybe_complete(now=NOW)
    elif name == "operator_refund":
        if order.refund_delivered(maker_order.id, "Scratched", now=NOW):
            customer.given_up.add(maker_order.id)
    elif name == "return":
        # Some units of one line of a delivered parcel come back (what a return refunds).
        if maker_order.status is not MakerOrderStatus.DELIVERED or maker_order.id in customer.given_up:
            return
        line = maker_order.lines[amount % len(maker_order.lines)]
        units = min(1 + amount % 3, line.quantity - customer.returned[line.id])
        if units and order.refund_return(
            uuid.uuid4(), maker_order.id, gbp(unit_price(line) * units), now=NOW
        ):
            customer.returned[line.id] += units
    elif name == "issue":
        for refund in order.refunds_due()[: 1 + amount % 2]:
            order.refund_issued(refund.id, now=NOW)
    elif name == "greedy_refund":
        # More than is left of the captured money must be refused, however it is asked for.
        too_much = gbp(order.refundable.amount + 1 + amount % 1000)
        order.refund(too_much, RefundReason.AFTER_DELIVERY, key=f"greedy-{uuid.uuid4()}", now=NOW)
        raise AssertionError(f"{too_much} owed when only {order.refundable} was left")


def check(customer: Customer, before: dict[str, Any] | None = None) -> None:
    order = customer.order
    captured, owed, refunded = order.captured.amount, order.refunds_total.amount, order.refunded.amount
    assert 0 <= refunded <= owed <= captured == order.total.amount
    assert captured - owed == customer.kept(), "captured − refunds owed is what the customer kept"
    expected = (
        PaymentStatus.CAPTURED
        if refunded == 0
        else PaymentStatus.REFUNDED
        if refunded == captured
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    assert order.payment.status is expected
    if before is not None:
        assert (owed, len(order.refunds)) == (before["owed"], before["count"]), "a refusal moved money"


ACTIONS = st.tuples(
    st.sampled_from(["cancel", "decline", "fulfil", "operator_refund", "return", "issue", "greedy_refund"]),
    st.integers(0, 2),
    st.integers(0, 10**6),
)
LINES = st.lists(
    st.tuples(st.integers(0, 2), st.integers(1, 50_000), st.integers(1, 4)), min_size=1, max_size=5
)


@settings(max_examples=300, deadline=None)
@given(lines=LINES, actions=st.lists(ACTIONS, max_size=25))
def test_refunds_never_exceed_what_was_captured_and_the_status_follows(
    lines: list[tuple[int, int, int]], actions: list[tuple[str, int, int]]
) -> None:
    customer = Customer(captured_order(lines))
    check(customer)
    for action in actions:
        before = {"owed": customer.order.refunds_total.amount, "count": len(customer.order.refunds)}
        try:
            act(customer, action)
        except StateConflict as refused:
            assert refused.code in {
                "refund_exceeds_captured",
                "invalid_state",
                "already_dispatched",
                "not_delivered",
            }
            assert (refused.code == "refund_exceeds_captured") == (action[0] == "greedy_refund")
            check(customer, before)
            continue
        check(customer)
    # Every refund owed is eventually issued: the status then says how much came back.
    for refund in customer.order.refunds_due():
        customer.order.refund_issued(refund.id, now=NOW)
    check(customer)
