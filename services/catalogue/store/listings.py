"""The Listing aggregate (read with its maker and the images its photos name, loaded and locked
for a unit of work, written over the version it was loaded at) and the inventory ledger of its
stock moves."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from cachetools import LRUCache

from services.catalogue.domain import KnownImages, Listing, ListingDraft, ListingStatus, StockCounters
from services.catalogue.store.common import as_rating, rating_of
from services.catalogue.store.read_models import (
    MAKER_COLUMNS,
    PHOTO_IMAGES,
    MakerRecord,
    maker_record,
    photo_images,
)
from shared.db import Executor, UnitOfWork
from shared.errors import concurrent_update

_LISTING_COLUMNS = (
    "id",
    "maker_id",
    "status",
    "fields",
    "stock_available",
    "stock_reserved",
    "stock_sold",
    "created_at",
    "updated_at",
    "published_at",
    "version",
    "hidden_by",
)


def _reception(listing: str) -> str:
    """What is read with each listing (`listing` names its table): its rating and how many
    customers keep it as a favourite (scalar subqueries, so a FOR UPDATE locks the listing
    alone)."""
    return (
        f"{rating_of('listing', listing + '.id')} AS rating, coalesce((SELECT c.count FROM "
        f"favourite_counts c WHERE c.listing_id = {listing}.id), 0) AS favourite_count"
    )


_SELECT_LISTING = f"SELECT {', '.join(_LISTING_COLUMNS)}, {_reception('listings')} FROM listings"
_SELECT_LISTING_AND_MAKER = (
    "SELECT "
    + ", ".join(f"l.{c}" for c in _LISTING_COLUMNS)
    + f", {_reception('l')}, "
    + ", ".join(f"m.{c} AS maker_{c}" for c in MAKER_COLUMNS)
    + f", {rating_of('maker', 'm.id')} AS maker_rating"
    + f", {PHOTO_IMAGES} FROM listings l JOIN makers m ON m.id = l.maker_id"
)


# The validated draft of each recently read listing, with the stored data it came from. A hit
# is used only when the stored data is equal (a dict comparison, in C): validating a stored
# listing's fields again on every read was 13-20 % of the catalogue's CPU under search and GET
# load. Keyed by listing, not version: every stock move makes a new version with the same
# fields, and a key per version filled the cache with entries no read could find again (about
# 11 KiB each: the worker grew 56 MiB an hour under the soak). Drafts are frozen value
# objects, so sharing one between reads is safe.
_DRAFTS: LRUCache[UUID, tuple[Any, ListingDraft]] = LRUCache(maxsize=4096)


def _draft(row: asyncpg.Record) -> ListingDraft:
    key, data = row["id"], row["fields"]
    cached = _DRAFTS.get(key)
    if cached is not None and cached[0] == data:
        return cached[1]
    draft = ListingDraft.model_validate(data)
    _DRAFTS[key] = (data, draft)
    return draft


def _listing(row: asyncpg.Record) -> Listing:
    return Listing(
        id=row["id"],
        maker_id=row["maker_id"],
        status=ListingStatus(row["status"]),
        fields=_draft(row),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        published_at=row["published_at"],
        version=row["version"],
        stock=_counters(row),
        hidden_by=tuple(row["hidden_by"]),
        rating=as_rating(row["rating"]),
        favourite_count=row["favourite_count"],
    )


def _counters(row: asyncpg.Record) -> StockCounters | None:
    """A made-to-order listing counts no stock."""
    if row["stock_available"] is None:
        return None
    return StockCounters(row["stock_available"], row["stock_reserved"], row["stock_sold"])


def _values(listing: Listing) -> list[Any]:
    stock = listing.stock
    return [
        listing.id,
        listing.maker_id,
        listing.status.value,
        listing.fields.model_dump(mode="json"),
        stock.available if stock else None,
        stock.reserved if stock else None,
        stock.sold if stock else None,
        listing.created_at,
        listing.updated_at,
        listing.published_at,
        listing.version,
        list(listing.hidden_by),
    ]


ListingRead = tuple[Listing, MakerRecord, KnownImages]
"""A listing with its maker and the images its photos name: what a view is made from."""


def _listing_read(row: asyncpg.Record) -> ListingRead:
    return _listing(row), maker_record(row, "maker_"), photo_images(row)


async def get_listing(db: Executor, listing_id: UUID) -> ListingRead | None:
    row = await db.fetchrow(f"{_SELECT_LISTING_AND_MAKER} WHERE l.id = $1", listing_id)
    return None if row is None else _listing_read(row)


async def listings_with_makers(db: Executor, listing_ids: list[UUID]) -> dict[UUID, ListingRead]:
    rows = await db.fetch(f"{_SELECT_LISTING_AND_MAKER} WHERE l.id = ANY($1::uuid[])", listing_ids)
    return {row["id"]: _listing_read(row) for row in rows}


async def own_listing_for_update(uow: UnitOfWork, listing_id: UUID, maker_id: UUID) -> Listing | None:
    """The maker's own listing, locked. Another maker's is not found: authorisation is part of
    the query."""
    row = await uow.conn.fetchrow(
        f"{_SELECT_LISTING} WHERE id = $1 AND maker_id = $2 FOR UPDATE", listing_id, maker_id
    )
    return None if row is None else uow.track(_listing(row))


async def listings_for_update(uow: UnitOfWork, listing_ids: list[UUID]) -> dict[UUID, Listing]:
    """Lock these listings in id order: two transactions locking overlapping sets cannot
    deadlock."""
    rows = await uow.conn.fetch(
        f"{_SELECT_LISTING} WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", listing_ids
    )
    return {row["id"]: uow.track(_listing(row)) for row in rows}


async def maker_listings_for_update(uow: UnitOfWork, maker_id: UUID) -> list[Listing]:
    rows = await uow.conn.fetch(f"{_SELECT_LISTING} WHERE maker_id = $1 ORDER BY id FOR UPDATE", maker_id)
    return [uow.track(_listing(row)) for row in rows]


async def public_maker_listings(db: Executor, maker_id: UUID) -> list[Listing]:
    """A maker's published and sold-out listings, not locked: to see whether any must change
    before locking them all."""
    rows = await db.fetch(
        f"{_SELECT_LISTING} WHERE maker_id = $1 AND status IN ('published', 'sold_out')", maker_id
    )
    return [_listing(row) for row in rows]


async def public_listings_after(db: Executor, after: UUID | None, limit: int) -> list[Listing]:
    """One page of the published and sold-out listings, in id order after `after` (keyset
    paging over the index of migration 0008), not locked."""
    rows = await db.fetch(
        f"{_SELECT_LISTING} WHERE status IN ('published', 'sold_out') AND id > $1 ORDER BY id LIMIT $2",
        after or UUID(int=0),
        limit,
    )
    return [_listing(row) for row in rows]


async def maker_listings(
    db: Executor,
    maker_id: UUID,
    status: ListingStatus | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> tuple[list[tuple[Listing, KnownImages]], tuple[datetime, UUID] | None]:
    """One page of a maker's listings (each with the images its photos name), newest first,
    after the keyset position `after`."""
    conditions: list[str] = ["maker_id = $1"]
    params: list[Any] = [maker_id]
    if status is not None:
        params.append(status.value)
        conditions.append(f"status = ${len(params)}")
    if after is not None:
        params += [after[0], after[1]]
        conditions.append(f"(created_at, id) < (${len(params) - 1}, ${len(params)})")
    params.append(limit + 1)
    rows = await db.fetch(
        f"SELECT {', '.join(_LISTING_COLUMNS)}, {_reception('l')}, {PHOTO_IMAGES} FROM listings l "
        f"WHERE {' AND '.join(conditions)} ORDER BY created_at DESC, id DESC LIMIT ${len(params)}",
        *params,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    position = (rows[-1]["created_at"], rows[-1]["id"]) if more else None
    return [(_listing(row), photo_images(row)) for row in rows], position


async def insert_listing(uow: UnitOfWork, listing: Listing) -> None:
    await uow.conn.execute(
        f"INSERT INTO listings ({', '.join(_LISTING_COLUMNS)}) "
        f"VALUES ({', '.join(f'${i}' for i in range(1, len(_LISTING_COLUMNS) + 1))})",
        *_values(listing),
    )
    uow.mark_saved(listing)


_UPDATABLE = _LISTING_COLUMNS[2:]
# `stored` is the row as it was before this statement (a self-join reads the statement's
# snapshot), so the update hands back the counters it replaced.
_UPDATE_LISTING = (
    "UPDATE listings AS l SET "
    + ", ".join(f"{column} = ${i}" for i, column in enumerate(_UPDATABLE, start=3))
    + " FROM listings AS stored WHERE l.id = $1 AND l.version = $2 AND stored.id = l.id"
    " RETURNING stored.stock_available, stored.stock_reserved, stored.stock_sold"
)


async def update_listing(uow: UnitOfWork, listing: Listing) -> StockCounters | None:
    """Write the listing over the version its unit of work loaded, and return the stock
    counters it had before (what the inventory ledger records the move from). Anything else
    that changed it meanwhile makes this a 409 (or, in a message handler, a retry)."""
    loaded = uow.loaded_version(listing)
    if loaded is None:
        raise ValueError(f"listing {listing.id} was not loaded in this unit of work")
    stored = await uow.conn.fetchrow(_UPDATE_LISTING, listing.id, loaded, *_values(listing)[2:])
    if stored is None:
        raise concurrent_update("listing")
    uow.mark_saved(listing)
    return _counters(stored)


async def any_listing(db: Executor) -> bool:
    return bool(await db.fetchval("SELECT EXISTS (SELECT 1 FROM listings)"))


# --- the inventory ledger -------------------------------------------------------------------------


async def record_stock_change(
    conn: asyncpg.Connection,
    listing_id: UUID,
    before: StockCounters | None,
    after: StockCounters | None,
    *,
    reason: str,
    order_id: UUID | None,
    at: datetime,
) -> None:
    if after is None or before == after:
        return
    before = before or StockCounters(0)
    await conn.execute(
        "INSERT INTO inventory_ledger (listing_id, order_id, reason, available_delta, "
        "reserved_delta, sold_delta, available, reserved, sold, at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        listing_id,
        order_id,
        reason,
        after.available - before.available,
        after.reserved - before.reserved,
        after.sold - before.sold,
        after.available,
        after.reserved,
        after.sold,
        at,
    )
