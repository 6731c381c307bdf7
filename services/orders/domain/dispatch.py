"""When a maker order should have gone: its latest dispatch date. Counted from the day the
maker accepted it, in UK working days: the parcel's lead time at most when made to order, else
the 3 days a piece already made may take (the same days `shipping.dispatch_days` promises the
customer). An accepted maker order not dispatched by then is overdue, and operators chase it."""

from __future__ import annotations

from datetime import date, datetime

from services.orders.domain.maker_order import MakerOrder
from services.orders.domain.returns import UK_TIME
from services.orders.domain.shipping import add_working_days, dispatch_days
from services.orders.domain.vocabulary import MakerOrderStatus

# The states of an accepted parcel not yet sent: the ones that can be overdue.
AWAITING_DISPATCH = frozenset({MakerOrderStatus.IN_PRODUCTION, MakerOrderStatus.QUALITY_CHECKED})


def uk_day(at: datetime) -> date:
    """The day it is (or was) in the UK at `at`: working days are the UK's."""
    return at.astimezone(UK_TIME).date()


def accepted_on(maker_order: MakerOrder) -> date | None:
    """The day the maker accepted it (its first step into production), or None if not yet."""
    for entry in maker_order.timeline:
        if entry.status == MakerOrderStatus.IN_PRODUCTION.value:
            return uk_day(entry.at)
    return None


def latest_dispatch_date(maker_order: MakerOrder) -> date | None:
    """The last working day it may be dispatched on; None before it is accepted."""
    accepted = accepted_on(maker_order)
    if accepted is None:
        return None
    return add_working_days(accepted, dispatch_days(maker_order.lines).max)


def is_overdue(maker_order: MakerOrder, today: date) -> bool:
    dispatch_by = latest_dispatch_date(maker_order)
    return maker_order.status in AWAITING_DISPATCH and dispatch_by is not None and today > dispatch_by
