"""The one path every listing change takes (every use case, and the seed): in the caller's unit of
work, write the listing over the version that was loaded, its search row, an inventory ledger
entry when its stock moved, and its events as `catalogue.listing.*` snapshots.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.catalogue import search, store
from services.catalogue.domain import (
    Listing,
    ListingEvent,
    ListingEventName,
)
from services.catalogue.store import MakerRecord
from shared.contracts.catalogue import (
    ListingArchived,
    ListingBackInStock,
    ListingHidden,
    ListingPaused,
    ListingPriceChanged,
    ListingPublished,
    ListingShown,
    ListingSnapshotEvent,
    ListingSoldOut,
    ListingUpdated,
)
from shared.db import UnitOfWork

# The catalogue's name as a producer of events (its outbox, its schema).
PRODUCER = "catalogue"

_EVENT_TYPES: dict[ListingEventName, type[ListingSnapshotEvent]] = {
    ListingEventName.PUBLISHED: ListingPublished,
    ListingEventName.UPDATED: ListingUpdated,
    ListingEventName.PRICE_CHANGED: ListingPriceChanged,
    ListingEventName.PAUSED: ListingPaused,
    ListingEventName.ARCHIVED: ListingArchived,
    ListingEventName.SOLD_OUT: ListingSoldOut,
    ListingEventName.BACK_IN_STOCK: ListingBackInStock,
    ListingEventName.HIDDEN: ListingHidden,
    ListingEventName.SHOWN: ListingShown,
}


async def insert_listing(uow: UnitOfWork, listing: Listing, maker: MakerRecord) -> None:
    await store.insert_listing(uow, listing)
    await search.save_search_row(uow.conn, search.search_row(listing, maker, listing.created_at.date()))
    await store.record_stock_change(
        uow.conn,
        listing.id,
        None,
        listing.stock,
        reason="stocked",
        order_id=None,
        at=listing.created_at,
    )
    emit_events(uow, listing, maker)


async def save_listing(
    uow: UnitOfWork,
    listing: Listing,
    maker: MakerRecord,
    *,
    reason: str,
    now: datetime,
    order_id: UUID | None = None,
) -> None:
    """Save a listing a command changed (one whose version did not move is left alone): over
    the version this unit of work loaded, with a ledger entry from the counters it replaced."""
    if listing.version == uow.loaded_version(listing):
        return
    before = await store.update_listing(uow, listing)
    await search.save_search_row(uow.conn, search.search_row(listing, maker, now.date()))
    await store.record_stock_change(
        uow.conn,
        listing.id,
        before,
        listing.stock,
        reason=reason,
        order_id=order_id,
        at=now,
    )
    available_moved = (before.available if before else None) != (
        listing.stock.available if listing.stock else None
    )
    emit_events(uow, listing, maker, available_moved=available_moved)


def emit_events(
    uow: UnitOfWork, listing: Listing, maker: MakerRecord, *, available_moved: bool = False
) -> None:
    """Each event of the command carries the listing as it is now, at its current version.
    Stock that moved without any other event (a reservation, a release) is announced as
    `updated` too: orders checks quantities against `stock_available`, and a stale count
    would refuse pieces that are back on sale."""
    visible = listing.is_visible(maker.approved)
    events = listing.pull_events()
    if not events and available_moved:
        events = [ListingEvent(ListingEventName.UPDATED, listing.id, listing.version, listing.updated_at)]
    for event in events:
        data = snapshot(listing, visible)
        if event.name is ListingEventName.PRICE_CHANGED:
            data["previous_price"] = event.data["old"]
        uow.emit(
            _EVENT_TYPES[event.name].model_validate(data),
            aggregate_id=listing.id,
            aggregate_version=listing.version,
        )


def snapshot(listing: Listing, visible: bool) -> dict[str, Any]:
    """The listing as orders needs it to price a line and check its options."""
    fields = listing.fields
    production = fields.production
    options = fields.options
    ring_sizes = options.ring_size_mm if options else None
    return {
        "listing_id": listing.id,
        "maker_id": listing.maker_id,
        "listing_version": listing.version,
        "status": listing.status.value,
        "visible": visible,
        "title": fields.title or "",
        "category": fields.category.value if fields.category else None,
        "price": fields.price.model_dump() if fields.price else None,
        "production_kind": production.kind.value if production else None,
        "lead_time_days": production.lead_time_days.model_dump()
        if production and production.lead_time_days
        else None,
        "options": {
            "ring_size_mm": {"min": float(ring_sizes.min), "max": float(ring_sizes.max)}
            if ring_sizes
            else None,
            "engraving": options.engraving.model_dump() if options and options.engraving else None,
            "chain_lengths_cm": options.chain_lengths_cm if options else None,
        },
        "has_natural_diamond": fields.contains_natural_diamond,
        "needs_hallmark": fields.needs_hallmark,
        "stock_available": listing.stock.available if listing.stock else None,
        "metals": [{"metal": m.metal.value, "fineness": m.fineness} for m in fields.metals],
        "hallmark": fields.hallmark.model_dump(mode="json") if fields.hallmark else None,
    }


async def refresh_search_row(uow: UnitOfWork, listing: Listing, maker: MakerRecord, now: datetime) -> None:
    """Rewrite the search row of a listing that did not change itself but whose maker did (the
    claims it is found by, whether it is visible)."""
    await search.save_search_row(uow.conn, search.search_row(listing, maker, now.date()))
