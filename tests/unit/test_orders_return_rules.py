"""The returns rules (services/orders/domain/returns.py), each at its boundary, with the clock
given: the windows counted in UK calendar days from each parcel's delivery, personalised lines,
returnable quantities, refund amounts with and without shipping, and the ledger reversal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from services.orders.domain import (
    EngravingOption,
    LedgerKind,
    LineOptions,
    ListingSnapshot,
    MakerOrder,
    MakerOrderStatus,
    Order,
    ProductionKind,
    QualityChecks,
    RequestedLine,
    ShippingAddress,
    Tracking,
    earning_for,
    price_lines,
    reversal_of,
)
from services.orders.domain.returns import (
    Return,
    ReturnReason,
    ReturnRequestLine,
    ReturnStatus,
    days_after_delivery,
    last_day_to_return,
)
from shared.errors import DomainError, RulesViolated, StateConflict
from shared.money import Money

LONDON = ZoneInfo("Europe/London")
PLACED = datetime(2025, 2, 20, 9, 0, tzinfo=UTC)
# 18:00 on Saturday 1 March 2025 in London (GMT, so UTC too).
DELIVERED = datetime(2025, 3, 1, 18, 0, tzinfo=UTC)
RATE = Decimal("0.15")
MAKER_A = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000001")
MAKER_B = uuid.UUID("bbbbbbbb-0000-0000-0000-000000000002")
CUSTOMER = uuid.UUID("cccccccc-0000-0000-0000-000000000003")
ADDRESS = ShippingAddress(
    name="Ada", line1="1 Hatton Garden", city="London", postcode="EC1N 8AA", country="GB"
)
CHANGED_MIND, FAULTY, NOT_AS_DESCRIBED = ReturnReason


def gbp(amount: int) -> Money:
    return Money(amount=amount, currency="GBP")


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def listing(price: int = 12500, maker_id: uuid.UUID = MAKER_A, **overrides: object) -> ListingSnapshot:
    values: dict[str, object] = dict(
        listing_id=uuid.uuid4(),
        maker_id=maker_id,
        title="Silver band",
        price=gbp(price),
        visible=True,
        production_kind=ProductionKind.READY_TO_SHIP,
        stock_available=10,
        engraving=EngravingOption(max_chars=12, price_delta=gbp(1500)),
    )
    values.update(overrides)
    return ListingSnapshot(**values)  # type: ignore[arg-type]


def order_of(*lines: tuple[ListingSnapshot, int, str | None], deliver: bool = True) -> Order:
    """An order of (listing, quantity, engraving) lines, confirmed, each parcel delivered at
    DELIVERED (or only dispatched)."""
    requested = [
        RequestedLine(snap.listing_id, qty, LineOptions(engraving_text=text)) for snap, qty, text in lines
    ]
    priced = price_lines(requested, {snap.listing_id: snap for snap, _, _ in lines})
    order = Order.place(
        customer_id=CUSTOMER, lines=priced, shipping_address=ADDRESS, payment_token="tok_visa", now=PLACED
    )
    order.stock_reserved({}, now=PLACED)
    order.payment_authorised("auth-1", commission_rate=RATE, now=PLACED)
    for maker_order in order.maker_orders:
        maker_order.accept(now=PLACED)
        maker_order.record_quality_check(
            passed=True,
            checks=QualityChecks(finish_inspected=True, engraving_verified=True),
            now=PLACED,
        )
        maker_order.dispatch(Tracking("Royal Mail", "RM1"), now=PLACED)
        if deliver:
            maker_order.deliver(now=DELIVERED)
    return order


def ask(
    order: Order,
    *lines: tuple[int, int],
    reason: ReturnReason = CHANGED_MIND,
    now: datetime = DELIVERED + timedelta(days=1),
    earlier: list[Return] | None = None,
) -> Return:
    """A return of (line index, quantity) pairs."""
    return Return.request(
        order=order,
        lines=[ReturnRequestLine(order.lines[index].id, quantity) for index, quantity in lines],
        reason=reason,
        note="",
        earlier=earlier or [],
        now=now,
    )


def refused(order: Order, *lines: tuple[int, int], **options: object) -> list[str]:
    with pytest.raises(RulesViolated) as excinfo:
        ask(order, *lines, **options)  # type: ignore[arg-type]
    return [violation.code for violation in excinfo.value.errors]


def received(returned: Return, order: Order, earlier: list[Return], now: datetime = DELIVERED) -> Return:
    returned.receive(maker_order=order.maker_order(returned.maker_order_id), earlier=earlier, now=now)
    return returned


# --- the windows ---------------------------------------------------------------------------------


def test_days_after_delivery_are_uk_calendar_days_from_the_day_of_delivery() -> None:
    assert days_after_delivery(DELIVERED, london(2025, 3, 1, 23, 59)) == 0
    assert days_after_delivery(DELIVERED, london(2025, 3, 2, 0, 0)) == 1
    assert days_after_delivery(DELIVERED, london(2025, 3, 15, 23, 59, 59)) == 14
    # Delivered at 23:30 London on a summer day is 22:30 UTC: still that London day.
    late = london(2025, 7, 1, 23, 30).astimezone(UTC)
    assert days_after_delivery(late, london(2025, 7, 2, 0, 5)) == 1
    assert last_day_to_return(late, CHANGED_MIND).isoformat() == "2025-07-15"


def test_change_of_mind_is_accepted_on_day_14_and_refused_from_day_15() -> None:
    order = order_of((listing(), 1, None))
    assert ask(order, (0, 1), now=london(2025, 3, 15, 23, 59, 59)).status is ReturnStatus.REQUESTED
    assert refused(order, (0, 1), now=london(2025, 3, 16, 0, 0)) == ["return_window_closed"]
    assert last_day_to_return(DELIVERED, CHANGED_MIND).isoformat() == "2025-03-15"


@pytest.mark.parametrize("reason", [FAULTY, NOT_AS_DESCRIBED])
def test_faulty_or_not_as_described_is_accepted_on_day_30_and_refused_from_day_31(
    reason: ReturnReason,
) -> None:
    order = order_of((listing(), 1, None))
    # British Summer Time began on 30 March: day 30 ends at 23:00 UTC.
    day_30_last_second = london(2025, 3, 31, 23, 59, 59)
    assert ask(order, (0, 1), reason=reason, now=day_30_last_second).status is ReturnStatus.REQUESTED
    assert refused(order, (0, 1), reason=reason, now=london(2025, 4, 1, 0, 0)) == ["return_window_closed"]
    assert refused(order, (0, 1), now=day_30_last_second) == ["return_window_closed"]


def test_each_parcel_counts_its_window_from_its_own_delivery() -> None:
    order = order_of((listing(), 1, None), (listing(maker_id=MAKER_B), 1, None), deliver=False)
    first, second = order.maker_orders
    first.deliver(now=DELIVERED)
    second.deliver(now=DELIVERED + timedelta(days=10))
    day_20 = DELIVERED + timedelta(days=20)
    assert refused(order, (0, 1), now=day_20) == ["return_window_closed"]
    assert ask(order, (1, 1), now=day_20).maker_order_id == second.id


# --- what can be returned ------------------------------------------------------------------------


def test_a_parcel_not_delivered_is_refused_with_409() -> None:
    order = order_of((listing(), 1, None), deliver=False)
    with pytest.raises(StateConflict) as excinfo:
        ask(order, (0, 1))
    assert excinfo.value.code == "not_delivered"
    assert order.maker_orders[0].status is MakerOrderStatus.DISPATCHED


def test_a_personalised_line_is_refused_for_a_change_of_mind_and_accepted_when_faulty() -> None:
    order = order_of((listing(), 1, "ADA"))
    assert refused(order, (0, 1)) == ["return_not_allowed"]
    assert ask(order, (0, 1), reason=FAULTY).status is ReturnStatus.REQUESTED
    assert ask(order, (0, 1), reason=NOT_AS_DESCRIBED).status is ReturnStatus.REQUESTED


def test_returnable_is_what_was_bought_less_open_and_refunded_returns() -> None:
    order = order_of((listing(), 3, None))
    first = ask(order, (0, 2))
    assert refused(order, (0, 2), earlier=[first]) == ["quantity_exceeds_returnable"]
    second = ask(order, (0, 1), earlier=[first])
    assert refused(order, (0, 1), earlier=[first, second]) == ["quantity_exceeds_returnable"]
    received(first, order, [first, second])
    assert refused(order, (0, 1), earlier=[first, second]) == ["quantity_exceeds_returnable"]
    # A rejected return gives its units back.
    second.reject("Arrived worn", now=DELIVERED)
    assert ask(order, (0, 1), earlier=[first, second]).lines[0].quantity == 1
    assert refused(order, (0, 4)) == ["quantity_exceeds_returnable"]


def test_a_request_is_refused_whole_with_every_problem() -> None:
    order = order_of((listing(), 1, None), (listing(maker_id=MAKER_B), 1, None))
    assert refused(order, (0, 1), (1, 1)) == ["one_parcel_per_return"]
    assert refused(order, (0, 1), (0, 1)) == ["duplicate_line", "duplicate_line"]
    assert refused(order, (0, 0)) == ["quantity_invalid"]
    assert refused(order) == ["return_empty"]
    with pytest.raises(RulesViolated) as excinfo:
        Return.request(
            order=order,
            lines=[ReturnRequestLine(uuid.uuid4(), 1)],
            reason=FAULTY,
            note="",
            earlier=[],
            now=DELIVERED,
        )
    assert [v.code for v in excinfo.value.errors] == ["unknown_line"]
    engraved = order_of((listing(), 1, "ADA"))
    late = london(2025, 3, 20, 12, 0)
    assert sorted(refused(engraved, (0, 2), now=late)) == [
        "quantity_exceeds_returnable",
        "return_not_allowed",
        "return_window_closed",
    ]


def test_a_parcel_an_operator_refunded_whole_has_nothing_left_to_return() -> None:
    order = order_of((listing(), 1, None))
    open_return = ask(order, (0, 1))
    order.maker_orders[0].refund_after_delivery("Lost in the post", now=DELIVERED)
    assert refused(order, (0, 1)) == ["quantity_exceeds_returnable"]
    with pytest.raises(StateConflict) as excinfo:
        received(open_return, order, [open_return])
    assert excinfo.value.code == "already_refunded" and open_return.refund is None


# --- refunds and the ledger ----------------------------------------------------------------------


def test_a_partial_return_refunds_the_units_with_their_options_and_no_shipping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(MakerOrder, "shipping_paid", property(lambda self: gbp(495)))
    order = order_of((listing(12500), 2, "ADA"), (listing(8000), 1, None))
    returned = received(ask(order, (0, 1), reason=FAULTY), order, [])
    assert returned.status is ReturnStatus.REFUNDED
    assert returned.refund is not None
    # 125.00 + the engraving's 15.00, one of two.
    assert (returned.refund.lines, returned.refund.shipping, returned.refund.amount) == (
        gbp(14000),
        gbp(0),
        gbp(14000),
    )
    # 15% of 140.00 of the maker order's 360.00.
    assert (
        returned.refund.reversal_gross,
        returned.refund.reversal_commission,
        returned.refund.reversal_net,
    ) == (
        gbp(-14000),
        gbp(-2100),
        gbp(-11900),
    )


def test_the_return_that_brings_the_parcels_last_line_back_refunds_its_shipping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(MakerOrder, "shipping_paid", property(lambda self: gbp(495)))
    order = order_of(
        (listing(1003), 1, None), (listing(1999), 2, None), (listing(700, maker_id=MAKER_B), 1, None)
    )
    first = ask(order, (0, 1))
    second = ask(order, (1, 1), earlier=[first])
    third = ask(order, (1, 1), earlier=[first, second])
    returns = [first, second, third]
    for returned in returns:
        received(returned, order, returns)
    refunds = [r.refund for r in returns if r.refund]
    assert [r.shipping for r in refunds] == [gbp(0), gbp(0), gbp(495)]
    assert [r.amount for r in refunds] == [gbp(1003), gbp(1999), gbp(1999 + 495)]
    # The whole parcel back: its reversals add up to exactly its earning, plus the shipping.
    maker_order = order.maker_orders[0]
    assert Money.total((r.reversal_commission for r in refunds), "GBP") == -maker_order.commission
    assert Money.total((r.reversal_gross for r in refunds), "GBP") == -(maker_order.gross + gbp(495))
    assert Money.total((r.reversal_net for r in refunds), "GBP") == -(maker_order.net + gbp(495))
    entry = first.ledger_reversal()
    # An operator's whole refund after the first return reverses only what is left.
    earning = earning_for(maker_order, at=DELIVERED)
    rest = reversal_of(earning, reversed_before=[entry], at=DELIVERED)
    assert (rest.gross, rest.commission) == (
        -(earning.gross - gbp(1003)),
        -(maker_order.commission + entry.commission),
    )
    assert (entry.kind, entry.return_id, entry.maker_order_id) == (
        LedgerKind.REVERSAL,
        first.id,
        maker_order.id,
    )
    assert entry.net == refunds[0].reversal_net


def test_a_return_is_received_once_and_then_cannot_be_rejected() -> None:
    order = order_of((listing(), 1, None))
    returned = ask(order, (0, 1))
    assert returned.receive(maker_order=order.maker_orders[0], earlier=[returned], now=DELIVERED) is True
    assert returned.receive(maker_order=order.maker_orders[0], earlier=[returned], now=DELIVERED) is False
    with pytest.raises(StateConflict):
        returned.reject("Too late", now=DELIVERED)
    assert [event.type for event in returned.pull_events()] == [
        "orders.return.requested",
        "orders.return.refunded",
    ]


def test_a_rejected_return_needs_a_reason_and_cannot_be_received() -> None:
    order = order_of((listing(), 1, None))
    returned = ask(order, (0, 1))
    with pytest.raises(DomainError) as excinfo:
        returned.reject("  ", now=DELIVERED)
    assert excinfo.value.code == "reason_required"
    assert returned.reject("Sent back a different ring", now=DELIVERED) is True
    assert returned.reject("Sent back a different ring", now=DELIVERED) is False
    with pytest.raises(StateConflict):
        returned.receive(maker_order=order.maker_orders[0], earlier=[], now=DELIVERED)
    assert returned.status is ReturnStatus.REJECTED and returned.refund is None
