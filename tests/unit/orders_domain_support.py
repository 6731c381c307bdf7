"""What the orders domain's unit tests share (test_orders_domain_*.py): fixed ids, times and an
address, listing snapshots to price, and orders, maker orders and commissions brought to a state
through the real transitions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.orders.domain import (
    Commission,
    EngravingOption,
    LeadTime,
    LineOptions,
    ListingSnapshot,
    MakerOrder,
    Order,
    ProductionKind,
    QualityChecks,
    RequestedLine,
    ShippingAddress,
    SizeRange,
    Tracking,
    price_lines,
)
from shared.errors import DomainError
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


def request(snapshot: ListingSnapshot, quantity: int = 1, **options) -> RequestedLine:
    return RequestedLine(listing_id=snapshot.listing_id, quantity=quantity, options=LineOptions(**options))


def price(*lines: RequestedLine, listings: list[ListingSnapshot]):
    return price_lines(lines, {snapshot.listing_id: snapshot for snapshot in listings})


def codes(excinfo: pytest.ExceptionInfo[DomainError]) -> list[str]:
    return [violation.code for violation in excinfo.value.errors]


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
