"""Shipping priced per maker's parcel (first item, additional items, free over a subtotal, zones),
its refusal, delivery estimated in UK working days, and what the order, its maker orders and the
maker's ledger make of it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.orders.domain import (
    LeadTime,
    ListingSnapshot,
    Order,
    ProductionKind,
    QualityChecks,
    RequestedLine,
    ShippingAddress,
    Tracking,
    price_lines,
)
from services.orders.domain.ledger import earning_for
from services.orders.domain.shipping import (
    MakerShipping,
    ShippingProfile,
    ShippingRate,
    Zone,
    add_working_days,
    price_shipping,
    zone_of,
)
from shared.errors import RulesViolated
from shared.money import Money

MAKER_A = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000001")
MAKER_B = uuid.UUID("bbbbbbbb-0000-0000-0000-000000000002")
# A Friday: dispatch and transit skip the weekend.
FRIDAY = date(2026, 12, 4)
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def gbp(amount: int) -> Money:
    return Money(amount=amount, currency="GBP")


def listing(maker_id: uuid.UUID = MAKER_A, price: int = 10000, **overrides) -> ListingSnapshot:
    values = dict(
        listing_id=uuid.uuid4(),
        maker_id=maker_id,
        title="Silver band",
        price=gbp(price),
        visible=True,
        production_kind=ProductionKind.READY_TO_SHIP,
        stock_available=10,
    )
    values.update(overrides)
    return ListingSnapshot(**values)


def lines(*requests: tuple[ListingSnapshot, int]):
    return price_lines(
        [RequestedLine(snapshot.listing_id, quantity) for snapshot, quantity in requests],
        {snapshot.listing_id: snapshot for snapshot, _ in requests},
    )


def rate(zone: Zone = Zone.UK, first=495, additional=150, free_over=None, transit=(2, 4)) -> ShippingRate:
    return ShippingRate(
        zone,
        gbp(first),
        gbp(additional),
        None if free_over is None else gbp(free_over),
        LeadTime(*transit),
    )


def maker(*rates: ShippingRate, maker_id=MAKER_A, name="Ana's Forge") -> dict[uuid.UUID, MakerShipping]:
    return {maker_id: MakerShipping(maker_id, name, ShippingProfile("GB", rates))}


def test_first_item_then_each_additional():
    one = price_shipping(lines((listing(), 1)), maker(rate()), "GB", FRIDAY)
    three = price_shipping(lines((listing(), 2), (listing(), 1)), maker(rate()), "GB", FRIDAY)
    assert one[0].amount == gbp(495)
    # Items count quantities, across the maker's lines.
    assert three[0].amount == gbp(495 + 2 * 150)


def test_free_from_exactly_free_over_not_one_penny_below():
    profile = maker(rate(free_over=20000))
    below = price_shipping(lines((listing(price=19999), 1)), profile, "GB", FRIDAY)
    at = price_shipping(lines((listing(price=10000), 2)), profile, "GB", FRIDAY)
    assert below[0].amount == gbp(495)
    assert at[0].amount == gbp(0)


def test_zones_of_destinations():
    assert zone_of("GB") is Zone.UK
    assert zone_of("fr") is Zone.EUROPE
    assert zone_of("NO") is Zone.EUROPE
    assert zone_of("CH") is Zone.EUROPE
    assert zone_of("US") is Zone.WORLD


def test_each_zone_priced_by_its_own_rate():
    profile = maker(rate(), rate(Zone.EUROPE, first=1200, transit=(4, 8)), rate(Zone.WORLD, first=2500))
    [europe] = price_shipping(lines((listing(), 1)), profile, "DE", FRIDAY)
    [world] = price_shipping(lines((listing(), 1)), profile, "JP", FRIDAY)
    assert (europe.zone, europe.amount, europe.transit_days) == (Zone.EUROPE, gbp(1200), LeadTime(4, 8))
    assert (world.zone, world.amount) == (Zone.WORLD, gbp(2500))


def test_a_destination_not_shipped_to_names_the_maker():
    profiles = {**maker(rate()), **maker(rate(Zone.EUROPE), maker_id=MAKER_B, name="Bea Gold")}
    with pytest.raises(RulesViolated) as excinfo:
        price_shipping(lines((listing(), 1), (listing(MAKER_B), 1)), profiles, "FR", FRIDAY)
    [problem] = excinfo.value.errors
    assert problem.code == "destination_not_shipped"
    assert problem.msg == "Ana's Forge does not deliver to France"
    assert "Ana's Forge" in str(excinfo.value)


def test_a_maker_without_a_profile_ships_free_within_the_uk_only():
    no_profile = {MAKER_A: MakerShipping(MAKER_A, "Ana's Forge")}
    [parcel] = price_shipping(lines((listing(), 3)), no_profile, "GB", FRIDAY)
    assert (parcel.amount, parcel.transit_days) == (gbp(0), LeadTime(1, 3))
    with pytest.raises(RulesViolated):
        price_shipping(lines((listing(), 1)), no_profile, "US", FRIDAY)


def test_working_days_skip_weekends_and_bank_holidays():
    assert add_working_days(FRIDAY, 0) == FRIDAY
    assert add_working_days(FRIDAY, 1) == date(2026, 12, 7)  # Monday
    # Christmas Day (Fri), the weekend and Boxing Day observed on Monday 28th.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    # Good Friday and Easter Monday 2026.
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)


def test_ready_to_ship_dispatches_in_one_to_three_days_then_transit():
    [parcel] = price_shipping(lines((listing(), 1)), maker(rate(transit=(2, 4))), "GB", FRIDAY)
    # 1 + 2 working days from Friday 4th: Wednesday 9th; 3 + 4: Tuesday 15th.
    assert (parcel.estimated_delivery.earliest, parcel.estimated_delivery.latest) == (
        date(2026, 12, 9),
        date(2026, 12, 15),
    )


def test_made_to_order_waits_for_the_slowest_lead_time():
    slow = listing(
        production_kind=ProductionKind.MADE_TO_ORDER, lead_time_days=LeadTime(5, 10), stock_available=None
    )
    quick = listing(
        production_kind=ProductionKind.MADE_TO_ORDER, lead_time_days=LeadTime(7, 8), stock_available=None
    )
    [parcel] = price_shipping(lines((slow, 1), (quick, 1)), maker(rate(transit=(1, 2))), "GB", FRIDAY)
    # min 7 + 1 = 8 working days; max 10 + 2 = 12.
    assert parcel.estimated_delivery.earliest == add_working_days(FRIDAY, 8)
    assert parcel.estimated_delivery.latest == add_working_days(FRIDAY, 12)


def placed_with_two_parcels(quantity: int) -> Order:
    """An order to London placed on a Friday: `quantity` of maker A's £100 band, and one of maker
    B's £50 piece, each maker's parcel priced by their own profile (B's first item £3)."""
    priced = lines((listing(), quantity), (listing(MAKER_B, price=5000), 1))
    profiles = {**maker(rate()), **maker(rate(first=300), maker_id=MAKER_B, name="Bea Gold")}
    return Order.place(
        customer_id=uuid.uuid4(),
        lines=priced,
        shipping_address=ShippingAddress("Ada", "1 Hatton Garden", "London", "EC1N 8AA", "GB"),
        payment_token="tok_visa",
        now=NOW,
        shipping=price_shipping(priced, profiles, "GB", FRIDAY),
    )


def test_order_totals_and_maker_orders_carry_shipping_without_commission():
    order = placed_with_two_parcels(quantity=2)
    assert order.subtotal == gbp(25000)
    assert order.shipping_total == gbp(645 + 300)
    assert order.total == gbp(25000 + 945)
    order.stock_reserved({}, now=NOW)
    order.payment_authorised("pay_1", commission_rate=Decimal("0.15"), now=NOW)
    assert order.authorised == order.total
    first, second = order.maker_orders
    assert (first.shipping_paid, second.shipping_paid) == (gbp(645), gbp(300))
    # Commission on the items only; the maker earns the shipping whole.
    assert first.commission == gbp(3000)
    first.accept(now=NOW)
    first.record_quality_check(passed=True, checks=QualityChecks(finish_inspected=True), now=NOW)
    first.dispatch(Tracking("Royal Mail", "RM123"), now=NOW)
    first.deliver(now=NOW)
    earning = earning_for(first, at=NOW)
    assert (earning.gross, earning.commission, earning.net) == (gbp(20645), gbp(3000), gbp(17645))


def confirmed_with_shipping() -> Order:
    order = placed_with_two_parcels(quantity=1)
    order.stock_reserved({}, now=NOW)
    order.payment_authorised("pay_1", commission_rate=Decimal("0.15"), now=NOW)
    order.payment_captured("cap_1", order.total, now=NOW)
    return order


def test_a_declined_parcel_refunds_its_items_and_its_shipping():
    order = confirmed_with_shipping()
    second = order.maker_orders[1]
    second.decline("Cannot source the stone", now=NOW)
    order.maker_order_declined(second.id, now=NOW)
    [refund] = order.refunds
    assert refund.amount == gbp(5000 + 300)


def test_an_operator_refund_of_a_delivered_parcel_gives_back_its_shipping():
    order = confirmed_with_shipping()
    first = order.maker_orders[0]
    first.accept(now=NOW)
    first.record_quality_check(passed=True, checks=QualityChecks(finish_inspected=True), now=NOW)
    first.dispatch(Tracking("Royal Mail", "RM123"), now=NOW)
    first.deliver(now=NOW)
    order.refund_delivered(first.id, "Lost stone", now=NOW)
    [refund] = order.refunds
    assert refund.amount == gbp(10000 + 495)


def test_delivery_priced_in_another_currency_than_the_pieces_is_refused():
    euros = ShippingRate(
        Zone.UK, Money(amount=500, currency="EUR"), Money(amount=0, currency="EUR"), None, LeadTime(1, 2)
    )
    with pytest.raises(RulesViolated) as excinfo:
        price_shipping(lines((listing(), 1)), maker(euros), "GB", FRIDAY)
    assert [problem.code for problem in excinfo.value.errors] == ["currency_mismatch"]
