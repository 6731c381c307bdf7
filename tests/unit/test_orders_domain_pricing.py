"""The orders domain's pricing (services/orders/domain/pricing.py): the commission's rounding, a
line's price and options (quantity, ring size, engraving, chain length) at their boundaries, and
the currencies an order may be priced in."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from services.orders.domain import (
    MAX_QUANTITY_PER_LINE,
    CancellationRight,
    CommissionStatus,
    LeadTime,
    ListingSnapshot,
    ProductionKind,
    RequestedLine,
    SizeRange,
    commission_for,
    price_lines,
)
from shared.errors import RulesViolated
from shared.money import Money
from tests.unit.orders_domain_support import (
    MAKER_A,
    NOW,
    RATE,
    codes,
    commission_request,
    gbp,
    listing,
    made_to_order,
    price,
    request,
    ring,
)


def necklace(**overrides) -> ListingSnapshot:
    return listing(title="Pendant", chain_lengths_cm=(40, 45, 50), **overrides)


def rejected(*lines: RequestedLine, listings: list[ListingSnapshot]) -> list[str]:
    with pytest.raises(RulesViolated) as excinfo:
        price(*lines, listings=listings)
    return codes(excinfo)


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
