"""A maker order's latest dispatch date (services/orders/domain/dispatch.py): counted in UK working
days from the day it was accepted, its lead time when made to order, else 3 days; overdue after."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from services.orders.domain import (
    LeadTime,
    ListingSnapshot,
    MakerOrder,
    ProductionKind,
    RequestedLine,
    Tracking,
    price_lines,
)
from services.orders.domain.dispatch import is_overdue, latest_dispatch_date
from services.orders.domain.maker_order import QualityChecks
from shared.money import Money

MAKER = uuid.uuid4()


def _maker_order(*lead_times: LeadTime | None) -> MakerOrder:
    listings = [
        ListingSnapshot(
            listing_id=uuid.uuid4(),
            maker_id=MAKER,
            title="Band",
            price=Money(amount=5000, currency="GBP"),
            visible=True,
            production_kind=ProductionKind.MADE_TO_ORDER if lead_time else ProductionKind.READY_TO_SHIP,
            stock_available=None if lead_time else 5,
            lead_time_days=lead_time,
        )
        for lead_time in lead_times
    ]
    lines = price_lines(
        [RequestedLine(listing.listing_id, 1) for listing in listings], {ls.listing_id: ls for ls in listings}
    )
    return MakerOrder.create(
        order_id=uuid.uuid4(),
        reference="FF-0000-0000-1",
        maker_id=MAKER,
        lines=lines,
        commission_rate=Decimal("0.15"),
        now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    )


# Friday 18 December 2026, late evening in London; then the weekend, Christmas and Boxing Day
# (moved to Monday 28th).
FRIDAY_EVENING = datetime(2026, 12, 18, 23, 30, tzinfo=UTC)


def test_a_piece_already_made_goes_within_three_working_days_of_acceptance() -> None:
    maker_order = _maker_order(None)
    assert latest_dispatch_date(maker_order) is None  # not accepted yet
    maker_order.accept(now=datetime(2026, 12, 2, 10, 0, tzinfo=UTC))  # a Wednesday
    assert latest_dispatch_date(maker_order) == date(2026, 12, 7)  # Thu, Fri, Mon


def test_weekends_and_bank_holidays_are_not_counted() -> None:
    maker_order = _maker_order(None)
    maker_order.accept(now=FRIDAY_EVENING)
    # Mon 21, Tue 22, Wed 23 December.
    assert latest_dispatch_date(maker_order) == date(2026, 12, 23)
    christmas = _maker_order(None)
    christmas.accept(now=datetime(2026, 12, 23, 12, 0, tzinfo=UTC))
    # Thu 24, then (not Fri 25, Christmas, the weekend or Mon 28, for Boxing Day) Tue 29, Wed 30.
    assert latest_dispatch_date(christmas) == date(2026, 12, 30)


def test_made_to_order_goes_by_its_slowest_lead_time() -> None:
    maker_order = _maker_order(LeadTime(3, 5), LeadTime(2, 8), None)
    maker_order.accept(now=datetime(2026, 12, 1, 10, 0, tzinfo=UTC))  # a Tuesday
    assert latest_dispatch_date(maker_order) == date(2026, 12, 11)  # 8 working days


def test_overdue_after_the_day_until_dispatched() -> None:
    maker_order = _maker_order(None)
    maker_order.accept(now=datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    assert not is_overdue(maker_order, date(2026, 12, 7))
    assert is_overdue(maker_order, date(2026, 12, 8))
    maker_order.record_quality_check(passed=True, checks=QualityChecks(finish_inspected=True), notes="")
    assert is_overdue(maker_order, date(2026, 12, 8))
    maker_order.dispatch(Tracking("Royal Mail", "RM1"))
    assert not is_overdue(maker_order, date(2026, 12, 8))
