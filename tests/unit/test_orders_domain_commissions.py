"""Bespoke commissions (services/orders/domain/commission.py): the request's rules, quoting,
acceptance into a bespoke order line, and declining or withdrawing while open."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from services.orders.domain import CancellationRight, CommissionStatus, LeadTime, Order
from shared.errors import Forbidden, RulesViolated, StateConflict
from shared.money import Money
from tests.unit.orders_domain_support import (
    ADDRESS,
    CUSTOMER,
    MAKER_A,
    MAKER_B,
    NOW,
    RATE,
    codes,
    commission_request,
    event_names,
    gbp,
    quoted,
)


class TestCommission:
    def test_request(self):
        commission = commission_request()
        assert commission.status is CommissionStatus.REQUESTED
        assert event_names(commission) == ["requested"]

    def test_maker_not_accepting_commissions(self):
        with pytest.raises(RulesViolated) as excinfo:
            commission_request(maker_accepts_commissions=False)
        assert codes(excinfo) == ["maker_not_accepting_commissions"]

    @pytest.mark.parametrize(
        ("overrides", "code"),
        [
            ({"brief": " "}, "brief_required"),
            ({"brief": "x" * 4001}, "brief_too_long"),
            ({"budget": gbp(0)}, "budget_invalid"),
            ({"ring_size_mm": Decimal("37.99")}, "ring_size_out_of_range"),
            ({"ring_size_mm": Decimal("76.01")}, "ring_size_out_of_range"),
            ({"deadline": NOW.date()}, "deadline_in_past"),
        ],
    )
    def test_request_rules(self, overrides, code):
        with pytest.raises(RulesViolated) as excinfo:
            commission_request(**overrides)
        assert codes(excinfo) == [code]

    @pytest.mark.parametrize(
        "overrides",
        [
            {"brief": "x" * 4000},
            {"ring_size_mm": Decimal("38")},
            {"ring_size_mm": Decimal("76")},
            {"ring_size_mm": None},
            {"deadline": NOW.date() + timedelta(days=1)},
        ],
    )
    def test_request_at_the_limits(self, overrides):
        assert commission_request(**overrides).status is CommissionStatus.REQUESTED

    def test_quote_and_requote(self):
        commission = quoted()
        assert commission.status is CommissionStatus.QUOTED
        assert commission.quote.price == gbp(75000)
        assert not commission.quote_price(
            by_maker_id=MAKER_A, price=gbp(75000), lead_time_days=30, description="18ct signet", now=NOW
        )
        assert commission.quote_price(
            by_maker_id=MAKER_A, price=gbp(70000), lead_time_days=30, description="18ct signet", now=NOW
        )
        assert commission.quote.price == gbp(70000)
        assert event_names(commission) == ["requested", "quoted", "quoted"]

    def test_quote_rules(self):
        with pytest.raises(RulesViolated) as excinfo:
            commission_request().quote_price(
                by_maker_id=MAKER_A,
                price=Money(amount=0, currency="EUR"),
                lead_time_days=0,
                description="",
                now=NOW,
            )
        assert codes(excinfo) == [
            "price_invalid",
            "currency_mismatch",
            "lead_time_invalid",
            "description_required",
        ]

    def test_a_natural_diamond_needs_the_makers_attestation(self):
        """The order a quote becomes prints the System of Warranties statement for a natural
        diamond, so only a maker who attested may quote one (as only they may list one)."""
        quote = {"by_maker_id": MAKER_A, "price": gbp(75000), "lead_time_days": 30, "now": NOW}
        with pytest.raises(RulesViolated) as excinfo:
            commission_request().quote_price(
                **quote, description="Solitaire with a natural diamond", has_natural_diamond=True
            )
        assert codes(excinfo) == ["warranty_not_attested"]
        commission = commission_request()
        assert commission.quote_price(
            **quote,
            description="Solitaire with a natural diamond",
            has_natural_diamond=True,
            warranty_attested=True,
        )
        assert commission.quote is not None and commission.quote.has_natural_diamond
        # Without a natural diamond the attestation is not asked for.
        assert commission_request().quote_price(**quote, description="Plain signet")

    def test_only_the_maker_quotes(self):
        with pytest.raises(Forbidden) as excinfo:
            commission_request().quote_price(
                by_maker_id=MAKER_B, price=gbp(1), lead_time_days=1, description="x", now=NOW
            )
        assert excinfo.value.code == "forbidden"

    def test_accept_produces_the_bespoke_line(self):
        commission = quoted()
        order_id = uuid.uuid4()
        assert commission.accept(by_customer_id=CUSTOMER, order_id=order_id, now=NOW)
        assert commission.status is CommissionStatus.ACCEPTED
        assert commission.order_id == order_id
        assert not commission.accept(by_customer_id=CUSTOMER, order_id=order_id, now=NOW)
        line = commission.order_line()
        assert line.cancellation_right is CancellationRight.EXEMPT_PERSONALISED
        assert (line.unit_price, line.line_total, line.quantity) == (gbp(75000), gbp(75000), 1)
        assert line.listing_id is None and line.commission_id == commission.id
        assert line.options.ring_size_mm == Decimal("56")
        assert line.lead_time_days == LeadTime(30, 30)
        assert commission.order_line() == line

    def test_a_bespoke_order_needs_no_stock(self):
        commission = quoted()
        order_id = uuid.uuid4()
        commission.accept(by_customer_id=CUSTOMER, order_id=order_id, now=NOW)
        order = Order.place(
            customer_id=CUSTOMER,
            lines=[commission.order_line()],
            shipping_address=ADDRESS,
            payment_token="tok_visa",
            now=NOW,
            order_id=order_id,
        )
        assert order.id == order_id
        assert order.awaiting_payment
        assert order.pending_events[0].data["lines"] == []
        assert order.payment_authorised("pay", commission_rate=RATE, now=NOW)
        assert order.maker_orders[0].lead_time_days == LeadTime(30, 30)

    def test_accept_before_a_quote_is_refused(self):
        with pytest.raises(StateConflict) as excinfo:
            commission_request().accept(by_customer_id=CUSTOMER, order_id=uuid.uuid4(), now=NOW)
        assert excinfo.value.extra == {"current_state": "requested"}

    def test_only_the_customer_accepts(self):
        with pytest.raises(Forbidden) as excinfo:
            quoted().accept(by_customer_id=uuid.uuid4(), order_id=uuid.uuid4(), now=NOW)
        assert excinfo.value.code == "forbidden"

    def test_no_order_line_before_acceptance(self):
        with pytest.raises(StateConflict):
            quoted().order_line()

    @pytest.mark.parametrize("make", [commission_request, quoted])
    def test_maker_declines_while_open(self, make):
        commission = make()
        assert commission.decline(by_maker_id=MAKER_A, reason="Fully booked", now=NOW)
        assert commission.status is CommissionStatus.DECLINED
        assert event_names(commission)[-1] == "declined"
        assert not commission.decline(by_maker_id=MAKER_A, reason="Fully booked", now=NOW)

    @pytest.mark.parametrize("make", [commission_request, quoted])
    def test_customer_withdraws_while_open(self, make):
        commission = make()
        assert commission.withdraw(by_customer_id=CUSTOMER, now=NOW)
        assert commission.status is CommissionStatus.WITHDRAWN
        assert event_names(commission)[-1] == "withdrawn"
        assert not commission.withdraw(by_customer_id=CUSTOMER, now=NOW)

    def test_closing_after_acceptance_is_refused(self):
        commission = quoted()
        commission.accept(by_customer_id=CUSTOMER, order_id=uuid.uuid4(), now=NOW)
        with pytest.raises(StateConflict):
            commission.withdraw(by_customer_id=CUSTOMER, now=NOW)
        with pytest.raises(StateConflict):
            commission.decline(by_maker_id=MAKER_A, now=NOW)

    def test_no_quote_after_closing(self):
        commission = commission_request()
        commission.withdraw(by_customer_id=CUSTOMER, now=NOW)
        with pytest.raises(StateConflict) as excinfo:
            quoted(commission)
        assert excinfo.value.extra == {"current_state": "withdrawn"}
