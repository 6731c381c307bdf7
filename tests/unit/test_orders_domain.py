"""Unit tests for the orders domain: pricing rules at their boundaries and every state machine."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.orders.domain import (
    MAX_QUANTITY_PER_LINE,
    SYSTEM_OF_WARRANTIES_STATEMENT,
    CancellationReason,
    CancellationRight,
    Commission,
    CommissionStatus,
    EngravingOption,
    LeadTime,
    LedgerKind,
    LineOptions,
    ListingSnapshot,
    MakerOrder,
    MakerOrderStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    ProductionKind,
    QualityChecks,
    RefundReason,
    RefundStatus,
    RequestedLine,
    RingMeasurement,
    ShippingAddress,
    SizeRange,
    Tracking,
    balance,
    commission_for,
    earning_for,
    from_json,
    price_lines,
    reversal_of,
    to_json,
)
from shared.errors import DomainError, Forbidden, NotFound, RulesViolated, StateConflict
from shared.money import Money

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RATE = Decimal("0.15")
MAKER_A = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000001")
MAKER_B = uuid.UUID("bbbbbbbb-0000-0000-0000-000000000002")
CUSTOMER = uuid.UUID("cccccccc-0000-0000-0000-000000000003")
ADDRESS = ShippingAddress(
    name="Ada", line1="1 Hatton Garden", city="London", postcode="EC1N 8AA", country="GB"
)
PASSING_CHECKS = QualityChecks(finish_inspected=True, hallmark_verified=True, stones_secure=True)


def gbp(amount: int) -> Money:
    return Money(amount=amount, currency="GBP")


def listing(**overrides) -> ListingSnapshot:
    values = dict(
        listing_id=uuid.uuid4(),
        maker_id=MAKER_A,
        title="Silver band",
        price=gbp(12500),
        visible=True,
        production_kind=ProductionKind.READY_TO_SHIP,
        stock_available=5,
    )
    values.update(overrides)
    return ListingSnapshot(**values)


def ring(**overrides) -> ListingSnapshot:
    values = dict(
        title="Gold ring",
        ring_size_mm=SizeRange(Decimal("48"), Decimal("60")),
        engraving=EngravingOption(max_chars=12, price_delta=gbp(1500)),
    )
    values.update(overrides)
    return listing(**values)


def made_to_order(lead_time: LeadTime) -> ListingSnapshot:
    return listing(
        production_kind=ProductionKind.MADE_TO_ORDER, lead_time_days=lead_time, stock_available=None
    )


def necklace(**overrides) -> ListingSnapshot:
    return listing(title="Pendant", chain_lengths_cm=(40, 45, 50), **overrides)


def request(snapshot: ListingSnapshot, quantity: int = 1, **options) -> RequestedLine:
    return RequestedLine(listing_id=snapshot.listing_id, quantity=quantity, options=LineOptions(**options))


def price(*lines: RequestedLine, listings: list[ListingSnapshot]):
    return price_lines(lines, {snapshot.listing_id: snapshot for snapshot in listings})


def codes(excinfo: pytest.ExceptionInfo[DomainError]) -> list[str]:
    return [violation.code for violation in excinfo.value.errors]


def rejected(*lines: RequestedLine, listings: list[ListingSnapshot]) -> list[str]:
    with pytest.raises(RulesViolated) as excinfo:
        price(*lines, listings=listings)
    return codes(excinfo)


def place(*snapshots: ListingSnapshot) -> Order:
    priced = price(*(request(snapshot) for snapshot in snapshots), listings=list(snapshots))
    return Order.place(
        customer_id=CUSTOMER, lines=priced, shipping_address=ADDRESS, payment_token="tok_visa", now=NOW
    )


def confirmed(*snapshots: ListingSnapshot) -> Order:
    order = place(*snapshots)
    order.stock_reserved({}, now=NOW)
    order.payment_authorised("pay_1", commission_rate=RATE, now=NOW)
    order.payment_captured("cap_1", order.total, now=NOW)
    return order


def event_names(aggregate) -> list[str]:
    return [event.name for event in aggregate.pending_events]


def ready_to_dispatch(maker_order: MakerOrder) -> MakerOrder:
    maker_order.accept(now=NOW)
    maker_order.record_quality_check(passed=True, checks=PASSING_CHECKS, now=NOW)
    return maker_order


def delivered(maker_order: MakerOrder) -> MakerOrder:
    ready_to_dispatch(maker_order)
    maker_order.dispatch(Tracking("Royal Mail", "RM123"), now=NOW)
    maker_order.deliver(now=NOW)
    return maker_order


# -- Money and commission ----------------------------------------------------------------------


class TestCommissionRounding:
    @pytest.mark.parametrize(
        ("gross", "expected"),
        [
            (12345, 1852),  # 1851.75 rounds up
            (10, 2),  # 1.5: half rounds up, not to even
            (30, 5),  # 4.5
            (1, 0),  # 0.15
            (3, 0),  # 0.45 rounds down
            (0, 0),
        ],
    )
    def test_rounds_half_up_to_the_minor_unit(self, gross, expected):
        assert commission_for(gbp(gross), RATE) == gbp(expected)

    def test_float_rate_is_refused(self):
        with pytest.raises(TypeError):
            commission_for(gbp(100), 0.15)

    @pytest.mark.parametrize("rate", [Decimal("-0.01"), Decimal("1")])
    def test_rate_outside_zero_to_one_is_refused(self, rate):
        with pytest.raises(ValueError):
            commission_for(gbp(100), rate)


# -- Pricing and options -----------------------------------------------------------------------


class TestPricing:
    def test_price_comes_from_the_listing_times_quantity(self):
        snapshot = listing(price=gbp(4999))
        [line] = price(request(snapshot, quantity=3), listings=[snapshot])
        assert line.unit_price == gbp(4999)
        assert line.line_total == gbp(14997)
        assert line.maker_id == MAKER_A

    def test_engraving_is_priced_per_unit(self):
        snapshot = ring()
        engraved = request(snapshot, 2, ring_size_mm=Decimal("54"), engraving_text="A & B")
        [line] = price(engraved, listings=[snapshot])
        assert line.engraving_price == gbp(1500)
        assert line.line_total == gbp((12500 + 1500) * 2)

    @pytest.mark.parametrize("blank", ["", "   "])
    def test_blank_engraving_is_no_engraving(self, blank):
        snapshot = ring()
        [line] = price(
            request(snapshot, ring_size_mm=Decimal("54"), engraving_text=blank), listings=[snapshot]
        )
        assert line.options.engraving_text is None
        assert line.line_total == gbp(12500)
        assert line.cancellation_right is CancellationRight.STANDARD

    def test_lead_time_is_kept_for_made_to_order_lines_only(self):
        made = made_to_order(LeadTime(7, 14))
        ready = listing(lead_time_days=LeadTime(1, 2))
        made_line, ready_line = price(request(made), request(ready), listings=[made, ready])
        assert made_line.lead_time_days == LeadTime(7, 14)
        assert ready_line.lead_time_days is None

    def test_every_problem_is_reported_together(self):
        snapshot = ring()
        found = rejected(
            request(snapshot, quantity=0, ring_size_mm=Decimal("70"), engraving_text="x" * 13),
            RequestedLine(listing_id=uuid.uuid4(), quantity=1),
            listings=[snapshot],
        )
        assert sorted(found) == sorted(
            ["ring_size_out_of_range", "engraving_too_long", "quantity_invalid", "listing_unavailable"]
        )

    def test_violations_locate_the_line_and_option(self):
        snapshot = ring()
        with pytest.raises(RulesViolated) as excinfo:
            price(request(snapshot, ring_size_mm=Decimal("61")), listings=[snapshot])
        assert excinfo.value.errors[0].loc == ("lines", 0, "options", "ring_size_mm")

    def test_no_lines(self):
        with pytest.raises(RulesViolated) as excinfo:
            price_lines([], {})
        assert codes(excinfo) == ["order_empty"]

    def test_unknown_and_hidden_listings_look_the_same(self):
        hidden = listing(visible=False)
        assert rejected(request(hidden), listings=[hidden]) == ["listing_unavailable"]
        assert rejected(request(listing()), listings=[]) == ["listing_unavailable"]

    def test_lines_in_different_currencies_are_refused(self):
        pounds, euros = listing(), listing(price=Money(amount=9900, currency="EUR"))
        assert rejected(request(pounds), request(euros), listings=[pounds, euros]) == ["currency_mismatch"]


class TestQuantity:
    @pytest.mark.parametrize("quantity", [0, -1, True, MAX_QUANTITY_PER_LINE + 1])
    def test_invalid_quantities(self, quantity):
        snapshot = listing(production_kind=ProductionKind.MADE_TO_ORDER, stock_available=None)
        assert rejected(request(snapshot, quantity), listings=[snapshot]) == ["quantity_invalid"]

    def test_line_cap_itself_is_allowed(self):
        snapshot = listing(production_kind=ProductionKind.MADE_TO_ORDER, stock_available=None)
        [line] = price(request(snapshot, MAX_QUANTITY_PER_LINE), listings=[snapshot])
        assert line.quantity == MAX_QUANTITY_PER_LINE

    def test_one_of_a_kind_sells_one(self):
        unique = listing(production_kind=ProductionKind.ONE_OF_A_KIND, stock_available=1)
        assert price(request(unique, 1), listings=[unique])[0].quantity == 1
        assert rejected(request(unique, 2), listings=[unique]) == ["quantity_invalid"]

    def test_one_of_a_kind_cannot_be_bought_twice_across_lines(self):
        unique = listing(production_kind=ProductionKind.ONE_OF_A_KIND, stock_available=1)
        assert rejected(request(unique), request(unique), listings=[unique]) == ["quantity_invalid"]

    def test_ready_to_ship_up_to_stock(self):
        snapshot = listing(stock_available=3)
        assert price(request(snapshot, 3), listings=[snapshot])[0].quantity == 3
        assert rejected(request(snapshot, 4), listings=[snapshot]) == ["quantity_invalid"]

    def test_sold_out(self):
        snapshot = listing(stock_available=0)
        assert rejected(request(snapshot), listings=[snapshot]) == ["out_of_stock"]


class TestRingSize:
    @pytest.mark.parametrize("size", [Decimal("48"), Decimal("54.4"), Decimal("60")])
    def test_sizes_within_the_range_including_its_ends(self, size):
        snapshot = ring()
        [line] = price(request(snapshot, ring_size_mm=size), listings=[snapshot])
        assert line.options.ring_size_mm == size

    @pytest.mark.parametrize("size", [Decimal("47.99"), Decimal("60.01")])
    def test_just_outside_the_range(self, size):
        snapshot = ring()
        found = rejected(request(snapshot, ring_size_mm=size), listings=[snapshot])
        assert found == ["ring_size_out_of_range"]

    def test_float_sizes_compare_by_their_decimal_value(self):
        snapshot = ring(ring_size_mm=SizeRange(Decimal("54.4"), Decimal("60")))
        [line] = price(request(snapshot, ring_size_mm=54.4), listings=[snapshot])
        assert line.options.ring_size_mm == Decimal("54.4")

    def test_size_is_required_when_a_range_is_offered(self):
        snapshot = ring()
        assert rejected(request(snapshot), listings=[snapshot]) == ["ring_size_out_of_range"]

    def test_size_on_a_piece_without_sizes(self):
        snapshot = listing()
        found = rejected(request(snapshot, ring_size_mm=Decimal("54")), listings=[snapshot])
        assert found == ["option_not_offered"]

    def test_choosing_a_preset_size_is_not_personalisation(self):
        snapshot = ring()
        [line] = price(request(snapshot, ring_size_mm=Decimal("54")), listings=[snapshot])
        assert line.cancellation_right is CancellationRight.STANDARD


class TestEngraving:
    def sized(self, text: str) -> RequestedLine:
        return request(self.snapshot, ring_size_mm=Decimal("54"), engraving_text=text)

    def setup_method(self):
        self.snapshot = ring()

    def test_at_max_chars(self):
        [line] = price(self.sized("x" * 12), listings=[self.snapshot])
        assert line.options.engraving_text == "x" * 12

    def test_one_over_max_chars(self):
        assert rejected(self.sized("x" * 13), listings=[self.snapshot]) == ["engraving_too_long"]

    def test_combining_accents_count_as_one_character(self):
        # "é" typed as e + U+0301 is one engraved character.
        [line] = price(self.sized("Amélie 1990".replace("é", "e\u0301") + "!"), listings=[self.snapshot])
        assert len(line.options.engraving_text) == 12

    @pytest.mark.parametrize("text", ["Ada & Bo", "Zoë · 2025", "Für immer ♥", "always'"])
    def test_printable_text(self, text):
        [line] = price(self.sized(text), listings=[self.snapshot])
        assert line.options.engraving_text == text

    @pytest.mark.parametrize(
        "text",
        [
            "line\nbreak",  # control
            "tab\there",  # control
            "nul\x00",  # control
            "bell\x07",  # control
            "abc\u202edcba",  # right-to-left override (format character)
            "a\u200db",  # zero-width joiner (format character)
            "lone\ud800",  # unpaired surrogate
            "priv\ue000",  # private use
            "nb\u00a0sp",  # a space an engraver cannot see
        ],
    )
    def test_non_printable_characters_are_refused(self, text):
        assert rejected(self.sized(text), listings=[self.snapshot]) == ["engraving_not_printable"]

    def test_engraving_on_a_piece_without_engraving(self):
        snapshot = listing()
        assert rejected(request(snapshot, engraving_text="Hi"), listings=[snapshot]) == ["option_not_offered"]

    def test_engraving_makes_the_line_exempt_from_cancellation(self):
        [line] = price(self.sized("Hi"), listings=[self.snapshot])
        assert line.cancellation_right is CancellationRight.EXEMPT_PERSONALISED


class TestChainLength:
    @pytest.mark.parametrize("length", [40, 45, 50])
    def test_offered_lengths(self, length):
        snapshot = necklace()
        [line] = price(request(snapshot, chain_length_cm=length), listings=[snapshot])
        assert line.options.chain_length_cm == length
        assert line.cancellation_right is CancellationRight.STANDARD

    @pytest.mark.parametrize("length", [35, 42, 55, None])
    def test_lengths_not_offered_or_missing(self, length):
        snapshot = necklace()
        found = rejected(request(snapshot, chain_length_cm=length), listings=[snapshot])
        assert found == ["chain_length_not_offered"]

    def test_length_on_a_piece_without_a_chain(self):
        snapshot = listing()
        assert rejected(request(snapshot, chain_length_cm=45), listings=[snapshot]) == ["option_not_offered"]


# -- Orders ------------------------------------------------------------------------------------


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


# -- Maker orders ------------------------------------------------------------------------------


class TestMakerOrder:
    def maker_order(self, *snapshots: ListingSnapshot) -> MakerOrder:
        return confirmed(*(snapshots or (listing(),))).maker_orders[0]

    def test_lead_time_is_the_slowest_made_to_order_line(self):
        fast, slow = made_to_order(LeadTime(3, 20)), made_to_order(LeadTime(10, 14))
        assert self.maker_order(fast, slow).lead_time_days == LeadTime(10, 20)
        assert self.maker_order(listing()).lead_time_days is None

    def test_accept(self):
        maker_order = self.maker_order()
        assert maker_order.accept(now=NOW)
        assert maker_order.status is MakerOrderStatus.IN_PRODUCTION
        assert event_names(maker_order) == ["accepted"]
        assert not maker_order.accept(now=NOW)

    def test_accept_after_decline_is_refused(self):
        maker_order = self.maker_order()
        maker_order.decline("Too busy", now=NOW)
        with pytest.raises(StateConflict) as excinfo:
            maker_order.accept(now=NOW)
        assert excinfo.value.extra == {"current_state": "declined"}

    def test_decline(self):
        maker_order = self.maker_order()
        assert maker_order.decline("Too busy", now=NOW)
        assert maker_order.decline_reason == "Too busy"
        assert event_names(maker_order) == ["declined"]
        assert not maker_order.decline("Too busy", now=NOW)

    def test_decline_needs_a_reason(self):
        with pytest.raises(RulesViolated) as excinfo:
            self.maker_order().decline("  ", now=NOW)
        assert codes(excinfo) == ["decline_reason_required"]

    def test_decline_after_accepting_is_refused(self):
        maker_order = self.maker_order()
        maker_order.accept(now=NOW)
        with pytest.raises(StateConflict):
            maker_order.decline("Changed my mind", now=NOW)

    def test_failed_check_keeps_it_in_production(self):
        maker_order = self.maker_order()
        maker_order.accept(now=NOW)
        failing = QualityChecks(finish_inspected=True, stones_secure=False)
        assert maker_order.record_quality_check(passed=False, checks=failing, notes="Loose claw", now=NOW)
        assert maker_order.status is MakerOrderStatus.IN_PRODUCTION
        assert maker_order.quality_checks[-1].notes == "Loose claw"
        assert maker_order.pending_events[-1].data["passed"] is False

    def test_passed_check(self):
        maker_order = self.maker_order()
        maker_order.accept(now=NOW)
        assert maker_order.record_quality_check(passed=True, checks=PASSING_CHECKS, now=NOW)
        assert maker_order.status is MakerOrderStatus.QUALITY_CHECKED
        assert not maker_order.record_quality_check(passed=True, checks=PASSING_CHECKS, now=NOW)
        assert len(maker_order.quality_checks) == 1

    def test_a_failed_recheck_sends_it_back_to_production(self):
        maker_order = ready_to_dispatch(self.maker_order())
        maker_order.record_quality_check(
            passed=False, checks=QualityChecks(finish_inspected=False), notes="Scratch", now=NOW
        )
        assert maker_order.status is MakerOrderStatus.IN_PRODUCTION

    def test_check_before_accepting_is_refused(self):
        with pytest.raises(StateConflict) as excinfo:
            self.maker_order().record_quality_check(passed=True, checks=PASSING_CHECKS, now=NOW)
        assert excinfo.value.extra == {"current_state": "awaiting_acceptance"}

    def test_a_pass_with_a_failed_item_is_inconsistent(self):
        maker_order = self.maker_order()
        maker_order.accept(now=NOW)
        with pytest.raises(RulesViolated) as excinfo:
            maker_order.record_quality_check(
                passed=True, checks=QualityChecks(finish_inspected=True, stones_secure=False), now=NOW
            )
        assert codes(excinfo) == ["quality_check_inconsistent"]

    def test_dispatch_before_a_passed_check_needs_a_check(self):
        maker_order = self.maker_order()
        with pytest.raises(StateConflict) as excinfo:
            maker_order.dispatch(Tracking("DPD", "1"), now=NOW)
        assert excinfo.value.code == "quality_check_required"
        maker_order.accept(now=NOW)
        with pytest.raises(StateConflict) as excinfo:
            maker_order.dispatch(Tracking("DPD", "1"), now=NOW)
        assert excinfo.value.code == "quality_check_required"

    def test_dispatch(self):
        maker_order = ready_to_dispatch(self.maker_order())
        tracking = Tracking("Royal Mail", "RM123456789GB")
        assert maker_order.dispatch(tracking, now=NOW)
        assert maker_order.status is MakerOrderStatus.DISPATCHED
        assert maker_order.tracking == tracking
        assert maker_order.pending_events[-1].data["tracking"] == {
            "carrier": "Royal Mail",
            "tracking_number": "RM123456789GB",
        }
        assert not maker_order.dispatch(tracking, now=NOW)
        with pytest.raises(StateConflict):
            maker_order.dispatch(Tracking("DPD", "other"), now=NOW)

    def test_dispatch_needs_tracking(self):
        maker_order = ready_to_dispatch(self.maker_order())
        with pytest.raises(RulesViolated) as excinfo:
            maker_order.dispatch(Tracking(" ", ""), now=NOW)
        assert codes(excinfo) == ["tracking_required", "tracking_required"]

    def test_deliver(self):
        maker_order = ready_to_dispatch(self.maker_order())
        with pytest.raises(StateConflict):
            maker_order.deliver(now=NOW)
        maker_order.dispatch(Tracking("DPD", "1"), now=NOW)
        assert maker_order.deliver(now=NOW)
        assert maker_order.status is MakerOrderStatus.DELIVERED
        assert not maker_order.deliver(now=NOW)
        assert event_names(maker_order) == ["accepted", "quality_checked", "dispatched", "delivered"]
        assert [event.aggregate_version for event in maker_order.pending_events] == [1, 2, 3, 4]

    def test_commission_rate_is_frozen_on_the_maker_order(self):
        order = place(listing(price=gbp(10000)))
        order.stock_reserved({}, now=NOW)
        order.payment_authorised("pay", commission_rate=Decimal("0.2"), now=NOW)
        maker_order = order.maker_orders[0]
        assert (maker_order.commission, maker_order.net) == (gbp(2000), gbp(8000))
        restored = from_json(Order, to_json(order)).maker_orders[0]
        assert restored.commission_rate == Decimal("0.2")


class TestQualityCheckForPersonalisedPieces:
    def maker_order(self) -> MakerOrder:
        snapshot = ring()
        order = Order.place(
            customer_id=CUSTOMER,
            lines=price(
                request(snapshot, ring_size_mm=Decimal("54"), engraving_text="A"), listings=[snapshot]
            ),
            shipping_address=ADDRESS,
            payment_token="tok_visa",
            now=NOW,
        )
        order.stock_reserved({}, now=NOW)
        order.payment_authorised("pay", commission_rate=RATE, now=NOW)
        maker_order = order.maker_orders[0]
        maker_order.accept(now=NOW)
        return maker_order

    def test_a_pass_must_verify_engraving_and_measure_the_ring(self):
        with pytest.raises(RulesViolated) as excinfo:
            self.maker_order().record_quality_check(passed=True, checks=PASSING_CHECKS, now=NOW)
        assert [v.loc[-1] for v in excinfo.value.errors] == ["engraving_verified", "measured_ring_size_mm"]

    def test_a_complete_pass(self):
        checks = QualityChecks(
            finish_inspected=True,
            hallmark_verified=True,
            engraving_verified=True,
            measured_ring_size_mm=Decimal("54.1"),
        )
        maker_order = self.maker_order()
        assert maker_order.record_quality_check(passed=True, checks=checks, now=NOW)
        assert maker_order.status is MakerOrderStatus.QUALITY_CHECKED


class TestQualityCheckEvidence:
    """A passed check must have checked what the parcel needs (issue 13: a ring measured at 48 mm
    on a 55 mm order, and 25 g of gold with `hallmark_verified` left out, both passed)."""

    def maker_order(self, snapshot: ListingSnapshot, **options) -> MakerOrder:
        order = Order.place(
            customer_id=CUSTOMER,
            lines=price(request(snapshot, **options), listings=[snapshot]),
            shipping_address=ADDRESS,
            payment_token="tok_visa",
            now=NOW,
        )
        order.stock_reserved({}, now=NOW)
        order.payment_authorised("pay", commission_rate=RATE, now=NOW)
        maker_order = order.maker_orders[0]
        maker_order.accept(now=NOW)
        return maker_order

    def sized(self, ordered: str = "55") -> MakerOrder:
        return self.maker_order(ring(engraving=None), ring_size_mm=Decimal(ordered))

    def refused(self, maker_order: MakerOrder, **checks) -> list[str]:
        with pytest.raises(RulesViolated) as excinfo:
            maker_order.record_quality_check(
                passed=True, checks=QualityChecks(**{"finish_inspected": True, **checks}), now=NOW
            )
        assert maker_order.status is MakerOrderStatus.IN_PRODUCTION
        return codes(excinfo)

    def passes(self, maker_order: MakerOrder, **checks) -> bool:
        return maker_order.record_quality_check(
            passed=True, checks=QualityChecks(**{"finish_inspected": True, **checks}), now=NOW
        )

    def test_the_live_finding_48_mm_measured_on_a_55_mm_order(self):
        assert self.refused(self.sized("55"), measured_ring_size_mm=Decimal("48")) == ["ring_size_mismatch"]

    @pytest.mark.parametrize("measured", ["54.5", "55", "55.5", 54.5, 55.5])
    def test_within_half_a_millimetre_including_it(self, measured):
        assert self.passes(self.sized("55"), measured_ring_size_mm=measured)

    @pytest.mark.parametrize("measured", ["54.499", "55.501", "56"])
    def test_just_over_half_a_millimetre(self, measured):
        assert self.refused(self.sized("55"), measured_ring_size_mm=Decimal(measured)) == [
            "ring_size_mismatch"
        ]

    def test_a_failed_check_records_the_mismatch(self):
        maker_order = self.sized("55")
        assert maker_order.record_quality_check(
            passed=False,
            checks=QualityChecks(finish_inspected=True, measured_ring_size_mm=Decimal("48")),
            notes="Resize",
            now=NOW,
        )
        assert maker_order.status is MakerOrderStatus.IN_PRODUCTION

    def test_the_live_finding_25_g_of_gold_with_the_hallmark_left_out(self):
        gold = listing(title="18ct gold cuff", needs_hallmark=True)
        assert self.refused(self.maker_order(gold)) == ["hallmark_not_verified"]
        assert self.refused(self.maker_order(gold), hallmark_verified=False) == ["hallmark_not_verified"]
        assert self.passes(self.maker_order(gold), hallmark_verified=True)

    def test_no_hallmark_needed(self):
        light = listing(title="Gold stud, 0.8 g", needs_hallmark=False)
        assert self.passes(self.maker_order(light))
        assert self.refused(self.maker_order(light), hallmark_verified=False) == [
            "quality_check_inconsistent"
        ]

    def test_an_ordered_engraving_must_be_verified(self):
        def engraved() -> MakerOrder:
            return self.maker_order(listing(engraving=EngravingOption(10, gbp(0))), engraving_text="A&B")

        assert self.refused(engraved()) == ["engraving_not_verified"]
        assert self.refused(engraved(), engraving_verified=False) == ["engraving_not_verified"]
        assert self.passes(engraved(), engraving_verified=True)
        # Not engraved: nothing to verify.
        assert self.passes(self.maker_order(listing(engraving=EngravingOption(10, gbp(0)))))

    def test_every_problem_is_reported_together(self):
        snapshot = ring(needs_hallmark=True)
        maker_order = self.maker_order(snapshot, ring_size_mm=Decimal("55"), engraving_text="A")
        refused = self.refused(maker_order, measured_ring_size_mm=Decimal("48"))
        assert sorted(refused) == ["engraving_not_verified", "hallmark_not_verified", "ring_size_mismatch"]

    def test_lines_stored_before_the_hallmark_was_known_need_none(self):
        maker_order = self.maker_order(listing(needs_hallmark=True))
        stored = to_json(maker_order.lines[0])
        assert stored["needs_hallmark"] is True
        del stored["needs_hallmark"]
        restored = from_json(type(maker_order.lines[0]), stored)
        assert restored.needs_hallmark is False


class TestCurrencies:
    """Only the marketplace's currencies (MARKET_CURRENCIES), one per order."""

    def test_a_listing_in_a_currency_the_marketplace_does_not_take(self):
        euros = listing(price=Money(amount=9900, currency="EUR"))
        with pytest.raises(RulesViolated) as excinfo:
            price_lines([request(euros)], {euros.listing_id: euros}, ["GBP"])
        assert codes(excinfo) == ["currency_not_accepted"]
        assert excinfo.value.errors[0].loc == ("lines", 0)
        assert price_lines([request(euros)], {euros.listing_id: euros}, ["GBP", "EUR"])

    def test_one_currency_per_order_even_when_both_are_accepted(self):
        pounds, euros = listing(), listing(price=Money(amount=9900, currency="EUR"))
        with pytest.raises(RulesViolated) as excinfo:
            price_lines(
                [request(pounds), request(euros)],
                {pounds.listing_id: pounds, euros.listing_id: euros},
                ["GBP", "EUR"],
            )
        assert codes(excinfo) == ["currency_mismatch"]

    def test_a_budget_in_a_currency_the_marketplace_does_not_take(self):
        with pytest.raises(RulesViolated) as excinfo:
            commission_request(budget=Money(amount=80000, currency="USD"), accepted_currencies=["GBP"])
        assert codes(excinfo) == ["currency_not_accepted"]
        assert excinfo.value.errors[0].loc == ("budget", "currency")
        assert commission_request(accepted_currencies=["GBP"]).status is CommissionStatus.REQUESTED

    def test_a_quote_in_a_currency_the_marketplace_does_not_take(self):
        with pytest.raises(RulesViolated) as excinfo:
            commission_request().quote_price(
                by_maker_id=MAKER_A,
                price=Money(amount=75000, currency="USD"),
                lead_time_days=30,
                description="18ct signet",
                accepted_currencies=["GBP"],
                now=NOW,
            )
        assert codes(excinfo) == ["currency_not_accepted", "currency_mismatch"]
        assert commission_request().quote_price(
            by_maker_id=MAKER_A,
            price=gbp(75000),
            lead_time_days=30,
            description="18ct signet",
            accepted_currencies=["GBP"],
            now=NOW,
        )


# -- Payout ledger -----------------------------------------------------------------------------


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


# -- Bespoke commissions -----------------------------------------------------------------------


def commission_request(**overrides) -> Commission:
    values = dict(
        maker_id=MAKER_A,
        maker_accepts_commissions=True,
        customer_id=CUSTOMER,
        brief="A signet ring with our family crest",
        budget=gbp(80000),
        deadline=NOW.date() + timedelta(days=60),
        ring_size_mm=Decimal("56"),
        now=NOW,
    )
    values.update(overrides)
    return Commission.request(**values)


def quoted(commission: Commission | None = None) -> Commission:
    commission = commission or commission_request()
    commission.quote_price(
        by_maker_id=MAKER_A, price=gbp(75000), lead_time_days=30, description="18ct signet", now=NOW
    )
    return commission


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


# -- Serialisation -----------------------------------------------------------------------------


class TestSerialisation:
    def test_order_round_trips_with_its_maker_orders(self):
        order = confirmed(listing(has_natural_diamond=True, price=gbp(100)), listing(maker_id=MAKER_B))
        order.maker_orders[0].accept(now=NOW)
        data = to_json(order)
        json.dumps(data)
        assert "pending_events" not in data
        restored = from_json(Order, data)
        assert to_json(restored) == data
        assert restored.pending_events == []
        assert restored.maker_orders[0].status is MakerOrderStatus.IN_PRODUCTION
        assert restored.total == order.total

    def test_commission_round_trips(self):
        commission = quoted()
        assert to_json(from_json(Commission, to_json(commission))) == to_json(commission)

    def test_listing_snapshot_from_catalogue_shaped_json(self):
        snapshot = from_json(
            ListingSnapshot,
            {
                "listing_id": str(uuid.uuid4()),
                "maker_id": str(MAKER_A),
                "title": "Ring",
                "price": {"amount": 100, "currency": "GBP"},
                "visible": True,
                "production_kind": "made_to_order",
                "lead_time_days": {"min": 5, "max": 10},
                "ring_size_mm": {"min": "48", "max": "60.5"},
                "engraving": {"max_chars": 10, "price_delta": {"amount": 500, "currency": "GBP"}},
                "chain_lengths_cm": None,
            },
        )
        assert snapshot.ring_size_mm == SizeRange(Decimal("48"), Decimal("60.5"))
        assert snapshot.production_kind is ProductionKind.MADE_TO_ORDER


class TestEachRingLineMeasured:
    """A parcel of two rings of different sizes: each ring line is compared with its own ordered
    size (one measurement of 50 mm no longer passes a parcel that also holds a 60 mm ring)."""

    def two_rings(self) -> MakerOrder:
        small, large = ring(title="Stacking ring", engraving=None), ring(title="Signet", engraving=None)
        lines = price(
            request(small, ring_size_mm=Decimal("50")),
            request(large, ring_size_mm=Decimal("60")),
            listings=[small, large],
        )
        order = Order.place(
            customer_id=CUSTOMER, lines=lines, shipping_address=ADDRESS, payment_token="tok_visa", now=NOW
        )
        order.stock_reserved({}, now=NOW)
        order.payment_authorised("pay", commission_rate=RATE, now=NOW)
        maker_order = order.maker_orders[0]
        maker_order.accept(now=NOW)
        return maker_order

    def check(self, maker_order: MakerOrder, **checks) -> list[tuple[tuple, str, str]]:
        """The problems of passing with these checks, as (loc, code, message); [] when it passed."""
        try:
            maker_order.record_quality_check(
                passed=True, checks=QualityChecks(finish_inspected=True, **checks), now=NOW
            )
        except RulesViolated as refused:
            return [(v.loc, v.code, v.msg) for v in refused.errors]
        assert maker_order.status is MakerOrderStatus.QUALITY_CHECKED
        return []

    def measured(self, maker_order: MakerOrder, *sizes: str) -> tuple[RingMeasurement, ...]:
        return tuple(
            RingMeasurement(line.id, Decimal(size))
            for line, size in zip(maker_order.lines, sizes, strict=False)
        )

    def test_one_measurement_is_compared_with_every_ring_line(self):
        [(loc, code, msg)] = self.check(self.two_rings(), measured_ring_size_mm=Decimal("50"))
        assert (loc, code) == (("checks", "measured_ring_size_mm"), "ring_size_mismatch")
        assert "Signet" in msg and "60" in msg

    def test_each_ring_line_measured_on_its_own(self):
        maker_order = self.two_rings()
        assert (
            self.check(maker_order, measured_ring_sizes_mm=self.measured(maker_order, "50.5", "59.5")) == []
        )

    def test_a_mismatch_names_its_line(self):
        maker_order = self.two_rings()
        signet = maker_order.lines[1]
        [(loc, code, msg)] = self.check(
            maker_order, measured_ring_sizes_mm=self.measured(maker_order, "50", "60.501")
        )
        assert (loc, code) == (("checks", "measured_ring_sizes_mm", 1, "mm"), "ring_size_mismatch")
        assert str(signet.id) in msg and "Signet" in msg

    def test_a_line_not_measured_on_its_own_takes_the_one_measurement(self):
        maker_order = self.two_rings()
        measured = self.measured(maker_order, "50")
        assert (
            self.check(maker_order, measured_ring_sizes_mm=measured, measured_ring_size_mm=Decimal("60"))
            == []
        )

    def test_every_ring_line_must_be_measured(self):
        maker_order = self.two_rings()
        [(loc, code, msg)] = self.check(maker_order, measured_ring_sizes_mm=self.measured(maker_order, "50"))
        assert (loc, code) == (("checks", "measured_ring_sizes_mm"), "quality_check_inconsistent")
        assert str(maker_order.lines[1].id) in msg

    def test_a_measurement_of_another_line_or_one_line_twice_is_inconsistent(self):
        maker_order = self.two_rings()
        small, large = maker_order.lines
        stranger = RingMeasurement(uuid.uuid4(), Decimal("50"))
        twice = (RingMeasurement(small.id, Decimal("50")), RingMeasurement(small.id, Decimal("50")))
        problems = self.check(
            maker_order,
            measured_ring_sizes_mm=(stranger, *twice, RingMeasurement(large.id, Decimal("60"))),
        )
        assert [(loc, code) for loc, code, _ in problems] == [
            (("checks", "measured_ring_sizes_mm", 0, "line_id"), "quality_check_inconsistent"),
            (("checks", "measured_ring_sizes_mm", 2), "quality_check_inconsistent"),
        ]

    def test_the_measurements_are_kept_with_the_check(self):
        maker_order = self.two_rings()
        measured = self.measured(maker_order, "50", "60")
        self.check(maker_order, measured_ring_sizes_mm=measured)
        stored = from_json(MakerOrder, json.loads(json.dumps(to_json(maker_order))))
        assert stored.quality_checks[-1].checks.measured_ring_sizes_mm == measured
