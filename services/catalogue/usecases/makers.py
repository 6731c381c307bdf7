"""The catalogue's read model of makers, and what a maker's change does to their listings."""

from __future__ import annotations

from datetime import datetime

from services.catalogue import store
from services.catalogue.store import MakerRecord
from services.catalogue.usecases.saving import refresh_search_row, save_listing
from shared.db import UnitOfWork


async def apply_maker_snapshot(uow: UnitOfWork, maker: MakerRecord, now: datetime) -> None:
    """Keep the newest snapshot of a maker (the highest version wins). When a maker is suspended
    or reinstated, or their record changes so that a public listing breaks (or keeps again) a
    rule of it (sponsor mark, precious metals, System of Warranties), those listings leave or
    rejoin the storefront (a new version and a `hidden` / `shown` event each); when their
    sourcing claims or display name change, their listings' search rows follow."""
    current = await store.maker_for_update(uow.conn, maker.id)
    if current is not None and current.version >= maker.version:
        return  # an older snapshot than the one kept, or the same again
    await store.save_maker(uow.conn, maker)
    if current is None:
        return  # a maker new to the catalogue has no listings yet
    if (
        current.approved == maker.approved
        and current.sourcing_claims == maker.sourcing_claims
        and current.display_name == maker.display_name  # listings are found by it
        and current.standing == maker.standing
        and not await _record_rules_changed(uow, maker)
    ):
        return  # nothing a listing shows or is found by has changed
    for listing in await store.maker_listings_for_update(uow, maker.id):
        listing.maker_status_changed(
            was_approved=current.approved, approved=maker.approved, now=now, maker=maker.standing
        )
        if listing.version == uow.loaded_version(listing):
            await refresh_search_row(uow, listing, maker, now)
        else:
            await save_listing(uow, listing, maker, reason="adjusted", now=now)


async def _record_rules_changed(uow: UnitOfWork, maker: MakerRecord) -> bool:
    """Whether a public listing of the maker breaks other rules of the maker's record than it is
    hidden for: one published before these rules were checked, the first time the maker's
    record is heard of again."""
    standing = maker.standing
    return any(
        listing.hidden_by_for(standing) != listing.hidden_by
        for listing in await store.public_maker_listings(uow.conn, maker.id)
    )
