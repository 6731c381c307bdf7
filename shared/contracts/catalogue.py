"""Events of the catalogue service.

`catalogue.listing.*` carry one snapshot of the listing: everything orders needs
to price a line and check its options without asking catalogue. A consumer keeps,
per `listing_id`, the snapshot with the highest `listing_version` and ignores
older ones. `visible` is true only while the listing is public (published or
sold out) and its maker is approved.

`catalogue.stock.*` answer `orders.order.placed`: the reservation for one order,
all lines or none, with the authoritative unit prices.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import Event
from shared.money import Money

ProductionKindName = Literal["one_of_a_kind", "made_to_order", "ready_to_ship"]
ListingStatusName = Literal["draft", "published", "paused", "sold_out", "archived"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RangeData(_Data):
    min: float
    max: float


class LeadTimeData(_Data):
    min: int
    max: int


class EngravingData(_Data):
    max_chars: int
    price_delta: Money | None = Field(None, description="None: engraving is included in the price")


class ListingOptionsData(_Data):
    ring_size_mm: RangeData | None = None
    engraving: EngravingData | None = None
    chain_lengths_cm: list[int] | None = None


class MetalData(_Data):
    metal: Literal["gold", "silver", "platinum", "palladium", "other"]
    fineness: int | None = Field(None, description="Parts per thousand")


class HallmarkData(_Data):
    status: Literal["hallmarked", "exempt_under_weight", "not_applicable"]
    sponsor_mark: str | None = None
    assay_office: str | None = None


class ListingSnapshotEvent(Event):
    """The shape every catalogue.listing.* event shares (not itself an event type)."""

    listing_id: UUID
    maker_id: UUID
    listing_version: int = Field(ge=1)
    status: ListingStatusName
    visible: bool = Field(description="Public now: published or sold out, and the maker approved")
    title: str
    category: str | None = None
    price: Money | None
    production_kind: ProductionKindName | None
    lead_time_days: LeadTimeData | None = None
    options: ListingOptionsData = ListingOptionsData()
    has_natural_diamond: bool = False
    needs_hallmark: bool = Field(
        False,
        description="The Hallmarking Act requires the piece to be hallmarked (a precious metal at "
        "or over its exemption weight): its quality check must verify the hallmark",
    )
    stock_available: int | None = Field(None, description="None: made to order, no limit")
    metals: list[MetalData] = Field([], description="What the piece is made of, for its invoice")
    hallmark: HallmarkData | None = Field(None, description="How it is hallmarked, for its invoice")


class ListingPublished(ListingSnapshotEvent):
    event_type = "catalogue.listing.published"


class ListingUpdated(ListingSnapshotEvent):
    event_type = "catalogue.listing.updated"


class ListingPriceChanged(ListingSnapshotEvent):
    event_type = "catalogue.listing.price_changed"

    previous_price: Money | None = None


class ListingPaused(ListingSnapshotEvent):
    event_type = "catalogue.listing.paused"


class ListingArchived(ListingSnapshotEvent):
    event_type = "catalogue.listing.archived"


class ListingSoldOut(ListingSnapshotEvent):
    event_type = "catalogue.listing.sold_out"


class ListingBackInStock(ListingSnapshotEvent):
    event_type = "catalogue.listing.back_in_stock"


class ListingHidden(ListingSnapshotEvent):
    """The maker was suspended: the listing is out of search and GET."""

    event_type = "catalogue.listing.hidden"


class ListingShown(ListingSnapshotEvent):
    """The maker was reinstated: the listing is public again."""

    event_type = "catalogue.listing.shown"


LISTING_EVENTS: tuple[type[ListingSnapshotEvent], ...] = (
    ListingPublished,
    ListingUpdated,
    ListingPriceChanged,
    ListingPaused,
    ListingArchived,
    ListingSoldOut,
    ListingBackInStock,
    ListingHidden,
    ListingShown,
)


class ReservedLineData(_Data):
    line_id: UUID
    listing_id: UUID
    maker_id: UUID
    quantity: int
    unit_price: Money = Field(description="The authoritative price at reservation time")


class StockReserved(Event):
    """Every line of the order is reserved until `expires_at`."""

    event_type = "catalogue.stock.reserved"

    order_id: UUID
    lines: list[ReservedLineData]
    expires_at: datetime


class FailedLineData(_Data):
    line_id: UUID
    listing_id: UUID
    reason: Literal["out_of_stock", "not_available", "price_changed"]


class StockReservationFailed(Event):
    """Nothing was reserved; each failing line says why."""

    event_type = "catalogue.stock.reservation_failed"

    order_id: UUID
    lines: list[FailedLineData]
