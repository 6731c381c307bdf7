"""The re-check of public listings: every published and sold-out listing is held again to the rules
that may change after it went public (domain/recheck.py: honest wording, the marketplace's
currencies). One that breaks one is hidden (`hidden_by` says why, `catalogue.listing.hidden`);
one hidden by an earlier re-check that keeps them again is shown.

It walks the public listings in id order a page at a time (keyset paging, not locked), and locks
and saves only the few a page holds that must change, in one transaction per page: a million
listings are read once, without holding a lock on more than a page. A listing changed meanwhile
is re-checked on its locked, current version.

Run by the worker (`recheck-public-listings`) when it starts, since the rules change with a release
or the settings, both of which restart it, and daily after that; and by
`marketplace recheck-listings`. About 0.2 ms of CPU a listing: minutes for a million.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

import asyncpg

from services.catalogue import store
from services.catalogue.usecases.saving import PRODUCER, save_listing
from shared.db import UnitOfWork


async def recheck_public_listings(
    pool: asyncpg.Pool, currencies: Collection[str], now: datetime, batch: int = 500
) -> int:
    """Re-check every public listing, the marketplace taking `currencies`, `batch` listings a
    page. Returns how many were hidden, shown again or hidden for other reasons."""
    changed = 0
    after: UUID | None = None
    while page := await store.public_listings_after(pool, after, batch):
        after = page[-1].id
        due = [listing.id for listing in page if listing.rechecked_hidden_by(currencies) != listing.hidden_by]
        if due:
            async with UnitOfWork(pool, PRODUCER) as uow:
                listings = await store.listings_for_update(uow, due)
                makers = await store.makers_by_id(uow.conn, sorted({li.maker_id for li in listings.values()}))
                for listing in listings.values():
                    maker = makers[listing.maker_id]
                    listing.recheck(currencies=currencies, maker_approved=maker.approved, now=now)
                    if listing.version != uow.loaded_version(listing):
                        changed += 1
                        await save_listing(uow, listing, maker, reason="adjusted", now=now)
        if len(page) < batch:
            break
    return changed
