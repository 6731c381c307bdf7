"""Ratings from the reviews service: `reviews.ratings.changed` brings, after a review was
published or hidden, the whole summary of the listing's and of its maker's visible reviews.

Each subject keeps the summary with the highest version (a repeated or late event is ignored,
whatever order they come in). A listing's kept rating is written to its search row too, in the
same transaction, so every search index follows it through the change sequence as it follows a
listing's own changes: `min_rating` and `sort=rating` see it within a second.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.catalogue import search, store
from services.catalogue.domain import RatingSummary
from shared.db import UnitOfWork


async def apply_ratings(
    uow: UnitOfWork,
    listing_id: UUID,
    maker_id: UUID,
    listing: RatingSummary,
    maker: RatingSummary,
    now: datetime,
) -> None:
    if await store.save_rating(
        uow.conn, "listing", listing_id, listing.rating, listing.histogram, listing.version, now
    ):
        await search.save_search_rating(uow.conn, listing_id, listing.rating)
    await store.save_rating(uow.conn, "maker", maker_id, maker.rating, maker.histogram, maker.version, now)
