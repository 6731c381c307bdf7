"""The daily claims refresh: a maker's sourcing claim that expires stops finding their listings.

A listing's search row holds the sourcing schemes it is found by (`sourcing=` and the facet),
computed for the day it was written, and the day it stops being true (`stale_on`: the day after
the earliest expiry among the maker's claims). The refresh rewrites the rows whose day has come,
for today. Badges and disclosures need no refresh: they are computed for the day they are read.
The listing itself is unchanged (no new version, no event: its snapshot carries no claims).

Run by the worker (`refresh-expired-claims`, every ten minutes: an index lookup that finds nothing until a
day boundary) and by `marketplace refresh-claims`.
"""

from __future__ import annotations

from datetime import date

import asyncpg

from services.catalogue import search, store
from services.catalogue.usecases.saving import PRODUCER
from shared.db import UnitOfWork


async def refresh_expired_claims(pool: asyncpg.Pool, today: date, batch: int = 200) -> int:
    """Rewrite, for `today`, the search rows that may show a claim expired by then, `batch`
    listings a transaction. Returns how many rows were rewritten."""
    refreshed = 0
    while listing_ids := await search.stale_search_rows(pool, today, batch):
        async with UnitOfWork(pool, PRODUCER) as uow:
            # Locked, so a listing saved meanwhile is not overwritten with what it was.
            listings = await store.listings_for_update(uow, listing_ids)
            makers = await store.makers_by_id(uow.conn, sorted({li.maker_id for li in listings.values()}))
            for listing in listings.values():
                row = search.search_row(listing, makers[listing.maker_id], today)
                await search.save_search_row(uow.conn, row)
        refreshed += len(listings)
        if len(listing_ids) < batch or len(listings) < len(listing_ids):
            break
    return refreshed
