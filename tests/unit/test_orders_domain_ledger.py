"""The payout ledger (services/orders/domain/ledger.py): a maker's earning posts on delivery, a
reversal undoes it, the balance sums them; and the refund after delivery (Order.refund_delivered),
which refunds the customer and keeps the maker order delivered."""

from __future__ import annotations

import pytest

from services.orders.domain import (
    LedgerKind,
    MakerOrderStatus,
    Order,
    PaymentStatus,
    RefundReason,
    balance,
    earning_for,
    from_json,
    reversal_of,
    to_json,
)
from shared.errors import RulesViolated, StateConflict
from tests.unit.orders_domain_support import MAKER_A, MAKER_B, NOW, codes, confirmed, delivered, gbp, listing


class TestLedger:
    def test_earning_posts_on_delivery(self):
        order = confirmed(listing(price=gbp(12345)))
        maker_order = delivered(order.maker_orders[0])
        earning = earning_for(maker_order, at=NOW)
        assert earning.kind is LedgerKind.EARNING
        assert (earning.gross, earning.commission, earning.net) == (gbp(12345), gbp(1852), gbp(10493))
        assert earning.maker_order_id == maker_order.id
        assert earning.maker_id == MAKER_A

    def test_no_earning_before_delivery(self):
        with pytest.raises(ValueError):
            earning_for(confirmed(listing()).maker_orders[0], at=NOW)

    def test_refund_after_delivery_reverses_the_earning(self):
        first = earning_for(delivered(confirmed(listing(price=gbp(10000))).maker_orders[0]), at=NOW)
        second = earning_for(delivered(confirmed(listing(price=gbp(5000))).maker_orders[0]), at=NOW)
        reversal = reversal_of(first, at=NOW)
        assert reversal.kind is LedgerKind.REVERSAL
        assert (reversal.gross, reversal.commission, reversal.net) == (gbp(-10000), gbp(-1500), gbp(-8500))
        assert reversal.maker_order_id == first.maker_order_id
        assert balance([first, second], "GBP") == gbp(8500 + 4250)
        assert balance([first, second, reversal], "GBP") == gbp(4250)

    def test_a_reversal_cannot_be_reversed(self):
        earning = earning_for(delivered(confirmed(listing()).maker_orders[0]), at=NOW)
        with pytest.raises(ValueError):
            reversal_of(reversal_of(earning, at=NOW), at=NOW)

    def test_empty_ledger_balance_is_zero(self):
        assert balance([], "GBP") == gbp(0)


class TestRefundAfterDelivery:
    def test_refunds_the_part_and_keeps_it_delivered(self):
        order = confirmed(listing(price=gbp(4000)), listing(maker_id=MAKER_B, price=gbp(6000)))
        maker_order = delivered(order.maker_orders[1])
        order.maybe_complete(now=NOW)
        assert order.refund_delivered(maker_order.id, " Returned: scratched ", now=NOW)
        assert (maker_order.status, maker_order.refund_reason) == (
            MakerOrderStatus.DELIVERED,
            "Returned: scratched",
        )
        [refund] = order.refunds_due()
        assert (refund.amount, refund.reason, refund.maker_order_id) == (
            gbp(6000),
            RefundReason.AFTER_DELIVERY,
            maker_order.id,
        )
        assert order.compensation_due
        refunded = maker_order.pending_events[-1]
        assert refunded.name == "refunded"
        assert refunded.data["net"] == {"amount": -5100, "currency": "GBP"}
        assert refunded.data["refund"] == {"amount": 6000, "currency": "GBP"}

    def test_a_second_refund_changes_nothing(self):
        order = confirmed(listing())
        maker_order = delivered(order.maker_orders[0])
        order.refund_delivered(maker_order.id, "Faulty clasp", now=NOW)
        version = order.version
        assert not order.refund_delivered(maker_order.id, "Again", now=NOW)
        assert (order.version, len(order.refunds)) == (version, 1)

    def test_only_after_delivery(self):
        order = confirmed(listing())
        with pytest.raises(StateConflict) as excinfo:
            order.refund_delivered(order.maker_orders[0].id, "Too early", now=NOW)
        assert excinfo.value.code == "not_delivered"
        assert order.refunds == []

    def test_needs_a_reason(self):
        order = confirmed(listing())
        maker_order = delivered(order.maker_orders[0])
        with pytest.raises(RulesViolated) as excinfo:
            order.refund_delivered(maker_order.id, "  ", now=NOW)
        assert codes(excinfo) == ["reason_required"]

    def test_issuing_it_marks_the_payment_refunded(self):
        order = confirmed(listing())
        maker_order = delivered(order.maker_orders[0])
        order.refund_delivered(maker_order.id, "Returned", now=NOW)
        [refund] = order.refunds_due()
        order.refund_issued(refund.id, now=NOW)
        assert order.payment.status is PaymentStatus.REFUNDED
        assert not order.compensation_due

    def test_round_trips(self):
        order = confirmed(listing())
        maker_order = delivered(order.maker_orders[0])
        order.refund_delivered(maker_order.id, "Returned", now=NOW)
        restored = from_json(Order, to_json(order))
        assert restored.refunds[0].reason is RefundReason.AFTER_DELIVERY
        assert restored.maker_orders[0].refunded_at == NOW
