"""The order's state machine (services/orders/domain/order.py): placing, reserving stock, payment,
expiry, the customer's cancellation, a maker declining their part, and completion."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from services.orders.domain import (
    SYSTEM_OF_WARRANTIES_STATEMENT,
    CancellationReason,
    MakerOrderStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    RefundStatus,
    Tracking,
)
from shared.errors import NotFound, RulesViolated, StateConflict
from tests.unit.orders_domain_support import (
    ADDRESS,
    CUSTOMER,
    MAKER_A,
    MAKER_B,
    NOW,
    RATE,
    codes,
    confirmed,
    delivered,
    event_names,
    gbp,
    listing,
    place,
    price,
    ready_to_dispatch,
    request,
)


class TestPlacing:
    def test_placed_pending_with_server_side_total(self):
        a, b = listing(price=gbp(1000)), listing(price=gbp(2500), maker_id=MAKER_B)
        order = place(a, b)
        assert order.status is OrderStatus.PENDING
        assert order.total == gbp(3500)
        assert order.expires_at > order.created_at
        assert order.version == 1
        [event] = order.pending_events
        assert event.type == "orders.order.placed"
        assert [line["listing_id"] for line in event.data["lines"]] == [str(a.listing_id), str(b.listing_id)]
        assert order.timeline[-1].status == "pending"

    def test_statement_when_a_line_has_a_natural_diamond_of_an_attested_maker(self):
        diamond = listing(has_natural_diamond=True, warranty_attested=True)
        assert place(diamond, listing()).statements == [SYSTEM_OF_WARRANTIES_STATEMENT]
        assert place(listing()).statements == []
        assert place(listing(warranty_attested=True)).statements == []

    def test_a_line_says_it_has_a_natural_diamond_whatever_its_maker_attested(self):
        unattested = listing(has_natural_diamond=True, warranty_attested=False)
        order = place(unattested, listing())
        assert [line.has_natural_diamond for line in order.lines] == [True, False]
        assert order.statements == []

    def test_payment_token_is_required(self):
        priced = price(request(snapshot := listing()), listings=[snapshot])
        with pytest.raises(RulesViolated) as excinfo:
            Order.place(customer_id=CUSTOMER, lines=priced, shipping_address=ADDRESS, payment_token=" ")
        assert codes(excinfo) == ["payment_token_required"]

    def test_events_are_json_ready(self):
        order = confirmed(
            listing(has_natural_diamond=True, warranty_attested=True), listing(maker_id=MAKER_B)
        )
        order.maker_orders[0].accept(now=NOW)
        events = order.collect_events()
        assert [event.type for event in events] == [
            "orders.order.placed",
            "orders.order.confirmed",
            "orders.maker_order.accepted",
        ]
        for event in events:
            # Only JSON's own types: written to the outbox and read back, the data is unchanged.
            assert json.loads(json.dumps(event.data)) == event.data, event.type


class TestStockReservation:
    def test_reserved_at_the_same_prices_awaits_payment(self):
        snapshot = listing()
        order = place(snapshot)
        assert order.stock_reserved({snapshot.listing_id: snapshot.price}, now=NOW)
        assert order.status is OrderStatus.PENDING
        assert order.awaiting_payment
        assert not order.stock_reserved({}, now=NOW)

    def test_a_different_catalogue_price_cancels(self):
        snapshot = listing()
        order = place(snapshot)
        assert order.stock_reserved({snapshot.listing_id: gbp(13000)}, now=NOW)
        assert order.status is OrderStatus.CANCELLED
        assert order.cancellation_reason is CancellationReason.PRICE_CHANGED
        cancelled = order.pending_events[-1]
        assert cancelled.data["release_stock"] is True
        assert cancelled.data["refund"] is None

    @pytest.mark.parametrize(
        ("reasons", "expected"),
        [
            (["out_of_stock"], CancellationReason.OUT_OF_STOCK),
            (["price_changed"], CancellationReason.PRICE_CHANGED),
            (["price_changed", "out_of_stock"], CancellationReason.OUT_OF_STOCK),
            (["listing_unavailable"], CancellationReason.OUT_OF_STOCK),
        ],
    )
    def test_reservation_failed(self, reasons, expected):
        order = place(listing())
        assert order.reservation_failed(reasons, now=NOW)
        assert order.cancellation_reason is expected
        # All-or-nothing reservation: nothing is held, so nothing to release.
        assert order.pending_events[-1].data["release_stock"] is False
        assert not order.reservation_failed(reasons, now=NOW)

    def test_failure_after_reservation_is_ignored(self):
        order = place(listing())
        order.stock_reserved({}, now=NOW)
        assert not order.reservation_failed(["out_of_stock"], now=NOW)
        assert order.status is OrderStatus.PENDING


class TestPayment:
    def test_authorised_confirms_and_splits_per_maker(self):
        a1, a2 = listing(price=gbp(10000)), listing(price=gbp(2345))
        b = listing(maker_id=MAKER_B, price=gbp(5000))
        order = confirmed(a1, a2, b)
        assert order.status is OrderStatus.CONFIRMED
        assert order.payment.status is PaymentStatus.CAPTURED
        assert order.payment.reference == "pay_1"
        assert order.authorised == order.captured == order.total == gbp(17345)
        maker_a, maker_b = order.maker_orders
        assert (maker_a.maker_id, maker_b.maker_id) == (MAKER_A, MAKER_B)
        assert [line.listing_id for line in maker_a.lines] == [a1.listing_id, a2.listing_id]
        assert maker_a.gross == gbp(12345)
        assert maker_a.commission == gbp(1852)
        assert maker_a.net == gbp(10493)
        assert maker_a.commission_rate == RATE
        assert maker_a.status is MakerOrderStatus.AWAITING_ACCEPTANCE
        assert event_names(order)[-1] == "confirmed"
        assert len(order.pending_events[-1].data["maker_orders"]) == 2

    def test_duplicate_authorisation_is_a_no_op(self):
        order = confirmed(listing())
        version = order.version
        assert not order.payment_authorised("pay_1", commission_rate=RATE, now=NOW)
        assert order.version == version
        assert len(order.maker_orders) == 1

    def test_authorisation_before_stock_is_reserved_is_refused(self):
        order = place(listing())
        with pytest.raises(StateConflict) as excinfo:
            order.payment_authorised("pay_1", commission_rate=RATE, now=NOW)
        assert excinfo.value.code == "stock_not_reserved"

    def test_declined(self):
        order = place(listing())
        order.stock_reserved({}, now=NOW)
        assert order.payment_declined(now=NOW)
        assert order.cancellation_reason is CancellationReason.PAYMENT_DECLINED
        assert order.pending_events[-1].data["release_stock"] is True
        assert not order.payment_declined(now=NOW)

    def test_decline_after_confirmation_is_ignored(self):
        order = confirmed(listing())
        assert not order.payment_declined(now=NOW)
        assert order.status is OrderStatus.CONFIRMED

    def test_idempotency_key_is_stable_per_order(self):
        order = place(listing())
        assert order.payment_idempotency_key == order.payment_idempotency_key
        assert str(order.id) in order.payment_idempotency_key


class TestExpiry:
    def test_not_before_expires_at(self):
        order = place(listing())
        assert not order.expire(order.expires_at - timedelta(seconds=1))
        assert order.status is OrderStatus.PENDING

    def test_at_expires_at(self):
        order = place(listing())
        assert order.expire(order.expires_at)
        assert order.cancellation_reason is CancellationReason.EXPIRED
        assert order.pending_events[-1].data["release_stock"] is True
        assert not order.expire(order.expires_at)

    def test_confirmed_orders_do_not_expire(self):
        order = confirmed(listing())
        assert not order.expire(order.expires_at + timedelta(days=1))

    def test_late_authorisation_is_voided(self):
        order = place(listing())
        order.stock_reserved({}, now=NOW)
        order.expire(order.expires_at)
        assert order.payment_authorised("pay_late", commission_rate=RATE, now=NOW)
        assert order.status is OrderStatus.CANCELLED
        assert order.maker_orders == []
        assert order.void_due
        assert order.payment_voided(now=NOW)
        assert order.payment.status is PaymentStatus.VOIDED
        assert not order.void_due
        assert not order.payment_voided(now=NOW)

    def test_void_when_nothing_to_void_is_refused(self):
        order = confirmed(listing())
        with pytest.raises(StateConflict):
            order.payment_voided(now=NOW)


class TestCustomerCancellation:
    def test_pending_cancel_releases_stock_without_refund(self):
        order = place(listing())
        assert order.cancel_by_customer(now=NOW)
        assert order.cancellation_reason is CancellationReason.CUSTOMER_CANCELLED
        cancelled = order.pending_events[-1]
        assert cancelled.data["release_stock"] is True
        assert cancelled.data["refund"] is None
        assert order.refunds == []

    def test_confirmed_cancel_refunds_and_cancels_maker_orders(self):
        order = confirmed(listing(price=gbp(1000)), listing(maker_id=MAKER_B, price=gbp(2000)))
        order.maker_orders[0].accept(now=NOW)
        assert order.cancel_by_customer(now=NOW)
        assert {mo.status for mo in order.maker_orders} == {MakerOrderStatus.CANCELLED}
        [refund] = order.refunds_due()
        assert refund.amount == gbp(3000)
        data = order.pending_events[-1].data
        assert data["refund"] == {"amount": 3000, "currency": "GBP"}
        assert len(data["release_lines"]) == 2
        events = order.collect_events()
        assert [(e.aggregate_id, e.name) for e in events if e.aggregate_type == "maker_order"] == [
            (order.maker_orders[0].id, "accepted"),
            (order.maker_orders[0].id, "cancelled"),
            (order.maker_orders[1].id, "cancelled"),
        ]
        assert order.pending_events == [] and order.maker_orders[0].pending_events == []

    def test_repeated_cancel_is_a_no_op(self):
        order = confirmed(listing())
        order.cancel_by_customer(now=NOW)
        version = order.version
        assert not order.cancel_by_customer(now=NOW)
        assert order.version == version
        assert len(order.refunds) == 1

    def test_refused_once_a_maker_order_is_dispatched(self):
        order = confirmed(listing(), listing(maker_id=MAKER_B))
        ready_to_dispatch(order.maker_orders[0]).dispatch(Tracking("DPD", "1"), now=NOW)
        with pytest.raises(StateConflict) as excinfo:
            order.cancel_by_customer(now=NOW)
        assert excinfo.value.code == "already_dispatched"
        assert order.status is OrderStatus.CONFIRMED

    def test_refused_when_completed(self):
        order = confirmed(listing())
        delivered(order.maker_orders[0])
        order.maybe_complete(now=NOW)
        with pytest.raises(StateConflict) as excinfo:
            order.cancel_by_customer(now=NOW)
        assert excinfo.value.code == "already_dispatched"

    def test_refused_when_cancelled_for_another_reason(self):
        order = place(listing())
        order.expire(order.expires_at)
        with pytest.raises(StateConflict) as excinfo:
            order.cancel_by_customer(now=NOW)
        assert excinfo.value.code == "invalid_state"

    def test_refund_issued_marks_the_payment_refunded(self):
        order = confirmed(listing())
        order.cancel_by_customer(now=NOW)
        [refund] = order.refunds_due()
        assert order.refund_issued(refund.id, now=NOW)
        assert refund.status is RefundStatus.ISSUED
        assert order.payment.status is PaymentStatus.REFUNDED
        assert order.refunds_due() == []
        assert not order.refund_issued(refund.id, now=NOW)


class TestMakerDeclines:
    def test_one_maker_declining_refunds_their_part(self):
        order = confirmed(listing(price=gbp(1000)), listing(maker_id=MAKER_B, price=gbp(2000)))
        maker_b = order.maker_orders[1]
        assert maker_b.decline("Out of materials", now=NOW)
        assert maker_b.pending_events[-1].data["release_lines"] == [
            {"listing_id": str(maker_b.lines[0].listing_id), "quantity": 1}
        ]
        assert order.maker_order_declined(maker_b.id, now=NOW)
        assert order.status is OrderStatus.CONFIRMED
        [refund] = order.refunds_due()
        assert (refund.amount, refund.maker_order_id) == (gbp(2000), maker_b.id)
        assert not order.maker_order_declined(maker_b.id, now=NOW)
        assert len(order.refunds) == 1

    def test_the_rest_delivered_completes_the_order(self):
        order = confirmed(listing(), listing(maker_id=MAKER_B))
        maker_a, maker_b = order.maker_orders
        maker_b.decline("Cannot make it", now=NOW)
        order.maker_order_declined(maker_b.id, now=NOW)
        delivered(maker_a)
        assert order.maybe_complete(now=NOW)
        assert order.status is OrderStatus.COMPLETED

    def test_a_decline_after_the_rest_is_delivered_completes_the_order(self):
        order = confirmed(listing(), listing(maker_id=MAKER_B))
        maker_a, maker_b = order.maker_orders
        delivered(maker_a)
        assert not order.maybe_complete(now=NOW)
        maker_b.decline("Cannot make it", now=NOW)
        order.maker_order_declined(maker_b.id, now=NOW)
        assert order.status is OrderStatus.COMPLETED

    def test_every_maker_declining_cancels_the_order(self):
        order = confirmed(listing(price=gbp(1000)), listing(maker_id=MAKER_B, price=gbp(2000)))
        maker_a, maker_b = order.maker_orders
        maker_a.decline("No", now=NOW)
        order.maker_order_declined(maker_a.id, now=NOW)
        maker_b.decline("No", now=NOW)
        assert order.maker_order_declined(maker_b.id, now=NOW)
        assert order.cancellation_reason is CancellationReason.MAKER_DECLINED
        assert [refund.amount for refund in order.refunds] == [gbp(1000), gbp(2000)]
        cancelled = order.pending_events[-1].data
        # Each decline already released its own lines.
        assert cancelled["release_stock"] is False
        assert cancelled["refund"] == {"amount": 2000, "currency": "GBP"}
        assert not order.maker_order_declined(maker_b.id, now=NOW)

    def test_customer_cancel_after_a_decline_releases_and_refunds_only_the_rest(self):
        a, b = listing(price=gbp(1000)), listing(maker_id=MAKER_B, price=gbp(2000))
        order = confirmed(a, b)
        maker_b = order.maker_orders[1]
        maker_b.decline("No", now=NOW)
        order.maker_order_declined(maker_b.id, now=NOW)
        order.cancel_by_customer(now=NOW)
        assert order.maker_orders[0].status is MakerOrderStatus.CANCELLED
        assert maker_b.status is MakerOrderStatus.DECLINED
        cancelled = order.pending_events[-1].data
        assert cancelled["release_lines"] == [{"listing_id": str(a.listing_id), "quantity": 1}]
        assert cancelled["refund"] == {"amount": 1000, "currency": "GBP"}

    def test_the_maker_order_must_be_declined_first(self):
        order = confirmed(listing())
        with pytest.raises(ValueError):
            order.maker_order_declined(order.maker_orders[0].id, now=NOW)

    def test_unknown_maker_order(self):
        with pytest.raises(NotFound) as excinfo:
            confirmed(listing()).maker_order(uuid.uuid4())
        assert excinfo.value.code == "not_found"


class TestCompletion:
    def test_only_when_every_maker_order_is_delivered(self):
        order = confirmed(listing(), listing(maker_id=MAKER_B))
        maker_a, maker_b = order.maker_orders
        delivered(maker_a)
        assert not order.maybe_complete(now=NOW)
        delivered(maker_b)
        assert order.maybe_complete(now=NOW)
        assert event_names(order)[-1] == "completed"
        assert not order.maybe_complete(now=NOW)

    def test_pending_orders_do_not_complete(self):
        assert not place(listing()).maybe_complete(now=NOW)
