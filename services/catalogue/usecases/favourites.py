"""A customer's favourite pieces: keep one, let it go, list them.

Keeping and letting go are idempotent: a favourite kept twice is kept once (and counted once in
the listing's `favourite_count`), and letting go of one not kept changes nothing. Only a listing
the public may see can be made a favourite (another is missing, 404, as for its GET); a
favourite whose listing is paused or hidden later stays, out of the list until it is shown
again, and can still be let go.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.catalogue import store
from services.catalogue.store import ListingRead
from shared.db import Executor, UnitOfWork
from shared.errors import not_found


async def add_favourite(uow: UnitOfWork, customer_id: UUID, listing_id: UUID, now: datetime) -> bool:
    """Keep a visible listing as the customer's favourite; whether it was not kept already."""
    found = await store.get_listing(uow.conn, listing_id)
    if found is None or not found[0].is_visible(found[1].approved):
        raise not_found("Listing")
    return await store.add_favourite(uow.conn, customer_id, listing_id, now)


async def remove_favourite(uow: UnitOfWork, customer_id: UUID, listing_id: UUID) -> bool:
    """Let a favourite go; whether there was one. An id no listing ever had is missing (404),
    as for keeping it: only a listing that exists (shown or not) can be let go of quietly."""
    removed = await store.remove_favourite(uow.conn, customer_id, listing_id)
    if not removed and await store.get_listing(uow.conn, listing_id) is None:
        raise not_found("Listing")
    return removed


async def favourite_listings(
    db: Executor, customer_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> tuple[list[ListingRead], tuple[datetime, UUID] | None]:
    """One page of the customer's favourites the public may see, the newest favourite first."""
    listing_ids, position = await store.favourite_page(db, customer_id, after, limit)
    found = await store.listings_with_makers(db, listing_ids)
    return [found[listing_id] for listing_id in listing_ids if listing_id in found], position
