"""Counted stock: available + reserved + sold == stocked, none negative, never oversold."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.catalogue.domain.fields import Production
from services.catalogue.domain.vocabulary import ProductionKind


class StockInvariantError(ValueError):
    """A stock operation that would break the counters: a bug in the caller, not bad input."""


@dataclass(frozen=True)
class StockCounters:
    """Units of a counted listing: available + reserved + sold == stocked, none negative."""

    available: int
    reserved: int = 0
    sold: int = 0

    def __post_init__(self) -> None:
        if min(self.available, self.reserved, self.sold) < 0:
            raise StockInvariantError(f"Stock counters cannot go negative: {self}")

    @property
    def stocked(self) -> int:
        return self.available + self.reserved + self.sold


class ReserveRefusal(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    NOT_AVAILABLE = "not_available"


@dataclass(frozen=True)
class ReserveResult:
    """`counters` are the counters after the attempt (None for a made-to-order listing)."""

    counters: StockCounters | None
    refusal: ReserveRefusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def positive(quantity: int) -> int:
    if quantity < 1:
        raise StockInvariantError(f"Quantity must be at least 1, not {quantity}")
    return quantity


def reserve_stock(counters: StockCounters, quantity: int) -> ReserveResult:
    """Hold `quantity` units for an order; refused, never oversold, when too few are left."""
    if positive(quantity) > counters.available:
        return ReserveResult(counters, ReserveRefusal.OUT_OF_STOCK)
    return ReserveResult(
        StockCounters(counters.available - quantity, counters.reserved + quantity, counters.sold)
    )


def commit_stock(counters: StockCounters, quantity: int) -> StockCounters:
    """A paid order's reserved units become sold."""
    if positive(quantity) > counters.reserved:
        raise StockInvariantError(f"Cannot sell {quantity}: only {counters.reserved} reserved")
    return StockCounters(counters.available, counters.reserved - quantity, counters.sold + quantity)


def release_stock(counters: StockCounters, quantity: int) -> StockCounters:
    """A cancelled order's reserved units go back on sale."""
    if positive(quantity) > counters.reserved:
        raise StockInvariantError(f"Cannot release {quantity}: only {counters.reserved} reserved")
    return StockCounters(counters.available + quantity, counters.reserved - quantity, counters.sold)


def set_available_stock(counters: StockCounters, available: int) -> StockCounters:
    """The maker says how many are on hand to sell now; reservations and sales are unchanged."""
    return StockCounters(available, counters.reserved, counters.sold)


def restock_refusal(
    counters: StockCounters | None, current: Production | None, sent: Production | None
) -> str | None:
    """The change the production a maker sent (`sent`, None when the edit leaves it alone) asks
    of the stock that cannot apply (`stock_not_applicable`), worded as an action ("restock a
    one-of-a-kind piece that is sold"), or None.

    A one-of-a-kind piece exists once: while its one unit is sold or reserved, no stock count
    brings it back (only an undone sale does, see `return_stock`), even the count it was listed
    with. Sending no count is not a stock change. A change of kind is not a stock change either
    (the kind is locked once anything is sold). Made-to-order counts no stock at all (a count
    there is `production_field_not_allowed`, a rule of the listing's fields)."""
    if (
        current is None
        or sent is None
        or current.kind is not ProductionKind.ONE_OF_A_KIND
        or sent.kind is not ProductionKind.ONE_OF_A_KIND
        or sent.stock is None
        or counters is None
        or counters.available > 0
    ):
        return None
    what = "sold" if counters.sold else "reserved"
    return f"restock a one-of-a-kind piece that is {what} (it exists once)"


def return_stock(counters: StockCounters, quantity: int) -> StockCounters:
    """Sold units that never left the maker (the order was cancelled or the maker declined it
    before dispatch) go back on sale."""
    if positive(quantity) > counters.sold:
        raise StockInvariantError(f"Cannot return {quantity}: only {counters.sold} sold")
    return StockCounters(counters.available + quantity, counters.reserved, counters.sold - quantity)


def counters_for(production: Production | None) -> StockCounters | None:
    """The counters a listing produced this way starts with (made-to-order counts nothing)."""
    if production is None or production.kind is ProductionKind.MADE_TO_ORDER:
        return None
    if production.kind is ProductionKind.ONE_OF_A_KIND:
        return StockCounters(available=1)
    return StockCounters(available=production.stock or 0)
