"""Orders' read models of other services' data: listings (what an order line is priced from)
and makers (who takes commissions, where and at what price they post parcels), each kept at its
newest snapshot from their events."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import ValidationError

from services.orders.domain import EngravingOption, LeadTime, ListingSnapshot, ProductionKind, SizeRange
from services.orders.domain.pricing import LineHallmark, LineMetal
from shared.contracts.catalogue import ListingSnapshotEvent
from shared.contracts.makers import DEFAULT_SHIPPING, MakerShippingData, MakerSnapshotEvent
from shared.db import Executor, keep_newest
from shared.money import Money

# A read model's row says when it last changed (the database's clock, not the event's).
_TOUCHED = {"updated_at": "now()"}


async def upsert_listing(conn: asyncpg.Connection, event: ListingSnapshotEvent) -> None:
    """Keep the snapshot with the highest listing_version; an older or repeated one is ignored."""
    row = {
        "listing_id": event.listing_id,
        "maker_id": event.maker_id,
        "listing_version": event.listing_version,
        "snapshot": event.model_dump(mode="json"),
    }
    await keep_newest(
        conn, "listings", row, key=("listing_id",), version="listing_version", overrides=_TOUCHED
    )


async def listings(db: Executor, listing_ids: set[UUID]) -> dict[UUID, ListingSnapshot]:
    rows = await db.fetch(
        "SELECT l.snapshot, coalesce(m.system_of_warranties_attested, false) AS warranty_attested "
        "FROM listings l LEFT JOIN makers m ON m.maker_id = l.maker_id "
        "WHERE l.listing_id = ANY($1::uuid[])",
        list(listing_ids),
    )
    found = (
        _listing(event, row["warranty_attested"])
        for row in rows
        if (event := _valid_snapshot(row["snapshot"])) is not None
    )
    return {snapshot.listing_id: snapshot for snapshot in found if snapshot is not None}


def _valid_snapshot(data: Any) -> ListingSnapshotEvent | None:
    """A kept snapshot the contract still accepts; one it refuses now (a price stored before
    currencies were checked, such as `XYZ`) cannot be bought, like a hidden listing."""
    try:
        return ListingSnapshotEvent.model_validate(data)
    except ValidationError:
        return None


def _listing(event: ListingSnapshotEvent, warranty_attested: bool) -> ListingSnapshot | None:
    """Catalogue's snapshot as orders' domain sees it; None when it cannot be bought at all
    (a draft has no price or production kind yet). `has_natural_diamond` is the piece's; whether
    its maker attested to the System of Warranties comes from the makers read model."""
    if event.price is None or event.production_kind is None:
        return None
    price = event.price
    options = event.options
    engraving = options.engraving
    return ListingSnapshot(
        listing_id=event.listing_id,
        maker_id=event.maker_id,
        title=event.title,
        price=price,
        visible=event.visible,
        production_kind=ProductionKind(event.production_kind),
        lead_time_days=(
            LeadTime(event.lead_time_days.min, event.lead_time_days.max) if event.lead_time_days else None
        ),
        # Through str: the float catalogue sent (54.4) must compare as the decimal it means.
        ring_size_mm=(
            SizeRange(Decimal(str(options.ring_size_mm.min)), Decimal(str(options.ring_size_mm.max)))
            if options.ring_size_mm
            else None
        ),
        engraving=(
            EngravingOption(
                max_chars=engraving.max_chars,
                price_delta=engraving.price_delta or Money.zero(price.currency),
            )
            if engraving
            else None
        ),
        # An empty list offers no choice, the same as none.
        chain_lengths_cm=tuple(options.chain_lengths_cm) if options.chain_lengths_cm else None,
        has_natural_diamond=event.has_natural_diamond,
        warranty_attested=warranty_attested,
        needs_hallmark=event.needs_hallmark,
        stock_available=event.stock_available,
        metals=tuple(LineMetal(metal.metal, metal.fineness) for metal in event.metals),
        hallmark=(
            LineHallmark(event.hallmark.status, event.hallmark.sponsor_mark, event.hallmark.assay_office)
            if event.hallmark
            else None
        ),
    )


# --- makers --------------------------------------------------------------------------


@dataclass(frozen=True)
class MakerRecord:
    maker_id: UUID
    user_id: UUID
    status: str
    accepts_commissions: bool
    handle: str
    display_name: str
    system_of_warranties_attested: bool = False
    # Who sells, as their invoices name them; None until the makers service said.
    legal_name: str | None = None
    vat_number: str | None = None

    @property
    def takes_commissions(self) -> bool:
        return self.status == "approved" and self.accepts_commissions


async def upsert_maker(conn: asyncpg.Connection, event: MakerSnapshotEvent) -> None:
    """Keep the snapshot with the highest maker_version; an older or repeated one is ignored."""
    row = {
        "maker_id": event.maker_id,
        "user_id": event.user_id,
        "maker_version": event.maker_version,
        "status": event.status,
        "accepts_commissions": event.accepts_commissions,
        "handle": event.handle,
        "display_name": event.display_name,
        "system_of_warranties_attested": event.system_of_warranties_attested,
        "legal_name": event.invoicing.legal_name,
        "vat_number": event.invoicing.vat_number,
        "shipping": event.shipping.model_dump(mode="json"),
    }
    await keep_newest(conn, "makers", row, key=("maker_id",), version="maker_version", overrides=_TOUCHED)


async def maker(db: Executor, maker_id: UUID) -> MakerRecord | None:
    row = await db.fetchrow(
        "SELECT maker_id, user_id, status, accepts_commissions, handle, display_name, "
        "coalesce(system_of_warranties_attested, false) AS system_of_warranties_attested, "
        "legal_name, vat_number FROM makers WHERE maker_id = $1",
        maker_id,
    )
    return MakerRecord(**dict(row)) if row else None


async def maker_shipping(db: Executor, maker_id: UUID) -> MakerShippingData | None:
    """The maker's shipping profile (the zones they post to, prices, transit days); None for a
    maker orders has not heard of. A maker described before profiles existed has the default."""
    row = await db.fetchrow("SELECT shipping FROM makers WHERE maker_id = $1", maker_id)
    if row is None:
        return None
    shipping = row["shipping"]
    return DEFAULT_SHIPPING if shipping is None else MakerShippingData.model_validate(shipping)


async def maker_id_for_user(db: Executor, user_id: UUID) -> UUID | None:
    return await db.fetchval("SELECT maker_id FROM makers WHERE user_id = $1", user_id)
