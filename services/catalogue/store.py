"""Catalogue SQL: the makers and images read models, listings, reservations and the inventory
ledger. (The search rows and search queries are in search.py.)

Locking, so that concurrent requests and messages never oversell and never deadlock:
  - every message of one order first takes that order's advisory lock (`lock_order`), so a
    placed, a cancelled and a confirmed of one order never interleave;
  - listings are locked (`FOR UPDATE`) before they are changed, several at once always in
    listing id order; a maker's row is locked before their listings, never after;
  - a listing is written only over the version its unit of work loaded (`update_listing`), and
    the table's CHECKs refuse a negative counter, so even a caller that forgot to lock cannot
    oversell: its UPDATE matches no row, or fails.

The loads of listings that will be saved take the unit of work and `track` what they load; the
writes read the loaded version back from it (`loaded_version`) and `mark_saved` what they wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from cachetools import LRUCache

from services.catalogue.domain import (
    NO_RATING,
    ImageStatus,
    KnownImages,
    Listing,
    ListingDraft,
    ListingStatus,
    MakerClaim,
    MakerStanding,
    MediaImage,
    Rating,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockCounters,
)
from shared.db import Executor, UnitOfWork, keep_newest
from shared.errors import concurrent_update
from shared.money import Money

# --- the makers read model ------------------------------------------------------------------------


@dataclass(frozen=True)
class MakerRecord:
    """A maker as the catalogue knows them (the latest makers.maker.* snapshot)."""

    id: UUID
    user_id: UUID
    version: int
    status: str
    handle: str
    display_name: str
    sourcing_claims: list[dict[str, Any]]
    hallmarking: dict[str, Any] | None
    works_precious_metals: bool
    natural_diamonds: bool
    accepts_commissions: bool
    updated_at: datetime
    system_of_warranties_attested: bool = False
    # Read with the maker, never written with them: the summary of their visible reviews.
    rating: Rating = NO_RATING

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def standing(self) -> MakerStanding:
        """What the maker-record rules of a listing read (docs/domain.md)."""
        return MakerStanding(
            sponsor_mark=(self.hallmarking or {}).get("sponsor_mark"),
            works_precious_metals=self.works_precious_metals,
            warranty_attested=self.system_of_warranties_attested,
        )

    @property
    def claims(self) -> list[MakerClaim]:
        return [MakerClaim.model_validate(claim) for claim in self.sourcing_claims]


MAKER_COLUMNS = (
    "id",
    "user_id",
    "version",
    "status",
    "handle",
    "display_name",
    "sourcing_claims",
    "hallmarking",
    "works_precious_metals",
    "natural_diamonds",
    "accepts_commissions",
    "updated_at",
    "system_of_warranties_attested",
)


def _rating_of(subject: str, subject_id: str) -> str:
    """A scalar subquery: the subject's rating as [count, total], NULL while none is kept."""
    return (
        f"(SELECT ARRAY[r.count, r.total] FROM ratings r "
        f"WHERE r.subject = '{subject}' AND r.subject_id = {subject_id})"
    )


def _rating(counted: list[int] | None) -> Rating:
    return NO_RATING if counted is None else Rating(*counted)


_SELECT_MAKER = f"SELECT {', '.join(MAKER_COLUMNS)}, {_rating_of('maker', 'makers.id')} AS rating FROM makers"


_PREFIXED = {prefix: [(column, prefix + column) for column in MAKER_COLUMNS] for prefix in ("", "maker_")}


def _maker(row: asyncpg.Record, prefix: str = "") -> MakerRecord:
    return MakerRecord(
        **{column: row[key] for column, key in _PREFIXED[prefix]}, rating=_rating(row[prefix + "rating"])
    )


async def maker_for_user(db: Executor, user_id: UUID, *, lock: bool = False) -> MakerRecord | None:
    """The maker whose user this is. `lock` holds their row against a concurrent suspension
    until the caller's transaction ends, so a listing is never published by a maker who is
    being suspended at that moment."""
    suffix = " FOR SHARE" if lock else ""
    row = await db.fetchrow(f"{_SELECT_MAKER} WHERE user_id = $1{suffix}", user_id)
    return None if row is None else _maker(row)


async def maker_for_update(conn: asyncpg.Connection, maker_id: UUID) -> MakerRecord | None:
    row = await conn.fetchrow(f"{_SELECT_MAKER} WHERE id = $1 FOR UPDATE", maker_id)
    return None if row is None else _maker(row)


async def save_maker(conn: asyncpg.Connection, maker: MakerRecord) -> None:
    await keep_newest(conn, "makers", {c: getattr(maker, c) for c in MAKER_COLUMNS}, key=("id",))


async def makers_by_id(db: Executor, maker_ids: list[UUID]) -> dict[UUID, MakerRecord]:
    rows = await db.fetch(f"{_SELECT_MAKER} WHERE id = ANY($1::uuid[])", maker_ids)
    return {row["id"]: _maker(row) for row in rows}


# --- the images read model ------------------------------------------------------------------------

_IMAGE_COLUMNS = (
    "image_id",
    "maker_id",
    "image_version",
    "status",
    "width",
    "height",
    "placeholder",
    "urls",
    "failure_code",
)


def _image(row: asyncpg.Record | dict[str, Any]) -> MediaImage:
    return MediaImage(
        image_id=UUID(str(row["image_id"])),
        maker_id=UUID(str(row["maker_id"])),
        version=row["image_version"],
        status=ImageStatus(row["status"]),
        width=row["width"],
        height=row["height"],
        placeholder=row["placeholder"],
        urls=row["urls"],
        failure_code=row["failure_code"],
    )


async def save_image(conn: asyncpg.Connection, image: MediaImage, now: datetime) -> bool:
    """Keep this state of the image unless one with a higher version is kept already (the guard
    is in the statement: two events of an image not seen yet may be handled at once). Whether
    it was kept."""
    values = (
        image.image_id,
        image.maker_id,
        image.version,
        image.status.value,
        image.width,
        image.height,
        image.placeholder,
        dict(image.urls) if image.urls is not None else None,
        image.failure_code,
    )
    row = {**dict(zip(_IMAGE_COLUMNS, values, strict=True)), "updated_at": now}
    return await keep_newest(conn, "media_images", row, key=("image_id",), version="image_version")


async def known_images(db: Executor, maker_id: UUID, image_ids: list[UUID]) -> KnownImages:
    """What the catalogue knows of these images, seen from the side of the maker whose listing
    names them."""
    rows = await db.fetch(
        f"SELECT {', '.join(_IMAGE_COLUMNS)} FROM media_images WHERE image_id = ANY($1::uuid[])",
        list(set(image_ids)),
    )
    return KnownImages(maker_id, {row["image_id"]: _image(row) for row in rows})


# The images a listing's photos name, as one jsonb array read with the listing (alias `l`), so a
# view shows each image's current state without a second round trip.
_PHOTO_IMAGES = (
    "(SELECT coalesce(jsonb_agg(to_jsonb(i)), '[]') FROM media_images i WHERE i.image_id IN "
    "(SELECT (photo->>'image_id')::uuid FROM jsonb_array_elements(l.fields->'photos') photo)) "
    "AS photo_images"
)


def _photo_images(row: asyncpg.Record) -> KnownImages:
    images = (_image(data) for data in row["photo_images"])
    return KnownImages(row["maker_id"], {image.image_id: image for image in images})


# --- listings -------------------------------------------------------------------------------------

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
        f"{_rating_of('listing', listing + '.id')} AS rating, coalesce((SELECT c.count FROM "
        f"favourite_counts c WHERE c.listing_id = {listing}.id), 0) AS favourite_count"
    )


_SELECT_LISTING = f"SELECT {', '.join(_LISTING_COLUMNS)}, {_reception('listings')} FROM listings"
_SELECT_LISTING_AND_MAKER = (
    "SELECT "
    + ", ".join(f"l.{c}" for c in _LISTING_COLUMNS)
    + f", {_reception('l')}, "
    + ", ".join(f"m.{c} AS maker_{c}" for c in MAKER_COLUMNS)
    + f", {_rating_of('maker', 'm.id')} AS maker_rating"
    + f", {_PHOTO_IMAGES} FROM listings l JOIN makers m ON m.id = l.maker_id"
)


# Validated drafts of recently read listings, by (id, version), with the stored data they came
# from. A hit is used only when the stored data is equal (a dict comparison, in C): validating a
# stored listing's fields again on every read was 13-20 % of the catalogue's CPU under search
# and GET load. Drafts are frozen value objects, so sharing one between reads is safe.
_DRAFTS: LRUCache[tuple[UUID, int], tuple[Any, ListingDraft]] = LRUCache(maxsize=4096)


def _draft(row: asyncpg.Record) -> ListingDraft:
    key, data = (row["id"], row["version"]), row["fields"]
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
        rating=_rating(row["rating"]),
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
    return _listing(row), _maker(row, "maker_"), _photo_images(row)


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
        f"SELECT {', '.join(_LISTING_COLUMNS)}, {_reception('l')}, {_PHOTO_IMAGES} FROM listings l "
        f"WHERE {' AND '.join(conditions)} ORDER BY created_at DESC, id DESC LIMIT ${len(params)}",
        *params,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    position = (rows[-1]["created_at"], rows[-1]["id"]) if more else None
    return [(_listing(row), _photo_images(row)) for row in rows], position


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


# --- reservations ---------------------------------------------------------------------------------


async def lock_order(conn: asyncpg.Connection, order_id: UUID) -> None:
    """Serialise every message of one order until the transaction ends (prefetch lets the
    consumer handle several at once, and they may arrive in any order)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 0))", order_id)


async def get_reservation(conn: asyncpg.Connection, order_id: UUID) -> Reservation | None:
    row = await conn.fetchrow(
        "SELECT order_id, status, expires_at, declined_makers, created_at, updated_at "
        "FROM reservations WHERE order_id = $1 FOR UPDATE",
        order_id,
    )
    if row is None:
        return None
    lines = await conn.fetch(
        "SELECT line_id, listing_id, maker_id, quantity, price_amount, price_currency, held, "
        "sold, released FROM reservation_lines WHERE order_id = $1 ORDER BY position",
        order_id,
    )
    return Reservation(
        order_id=row["order_id"],
        status=ReservationStatus(row["status"]),
        lines=[
            ReservationLine(
                line_id=line["line_id"],
                listing_id=line["listing_id"],
                maker_id=line["maker_id"],
                quantity=line["quantity"],
                unit_price=Money(amount=line["price_amount"], currency=line["price_currency"]),
                held=line["held"],
                sold=line["sold"],
                released=line["released"],
            )
            for line in lines
        ],
        expires_at=row["expires_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        declined_makers=list(row["declined_makers"]),
    )


async def insert_reservation(conn: asyncpg.Connection, reservation: Reservation) -> None:
    await conn.execute(
        "INSERT INTO reservations (order_id, status, expires_at, declined_makers, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        reservation.order_id,
        reservation.status.value,
        reservation.expires_at,
        reservation.declined_makers,
        reservation.created_at,
        reservation.updated_at,
    )
    await conn.executemany(
        "INSERT INTO reservation_lines (order_id, line_id, position, listing_id, maker_id, "
        "quantity, price_amount, price_currency, held, sold, released) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            (
                reservation.order_id,
                line.line_id,
                position,
                line.listing_id,
                line.maker_id,
                line.quantity,
                line.unit_price.amount,
                line.unit_price.currency,
                line.held,
                line.sold,
                line.released,
            )
            for position, line in enumerate(reservation.lines)
        ],
    )


async def update_reservation(conn: asyncpg.Connection, reservation: Reservation) -> None:
    await conn.execute(
        "UPDATE reservations SET status = $2, declined_makers = $3, updated_at = $4 WHERE order_id = $1",
        reservation.order_id,
        reservation.status.value,
        reservation.declined_makers,
        reservation.updated_at,
    )
    await conn.executemany(
        "UPDATE reservation_lines SET held = $3, sold = $4, released = $5 "
        "WHERE order_id = $1 AND line_id = $2",
        [
            (reservation.order_id, line.line_id, line.held, line.sold, line.released)
            for line in reservation.lines
        ],
    )


async def due_reservations(db: Executor, now: datetime, limit: int) -> list[UUID]:
    """Held reservations whose time is up, oldest first."""
    rows = await db.fetch(
        "SELECT order_id FROM reservations WHERE status = 'held' AND expires_at <= $1 "
        "ORDER BY expires_at LIMIT $2",
        now,
        limit,
    )
    return [row["order_id"] for row in rows]


# --- ratings (from reviews) and favourites --------------------------------------------------------


async def save_rating(
    conn: asyncpg.Connection,
    subject: str,
    subject_id: UUID,
    rating: Rating,
    histogram: dict[str, int],
    version: int,
    now: datetime,
) -> bool:
    """Keep this summary of a listing's or maker's (`subject`) visible reviews unless one of the
    same or a higher version is kept already (the guard is in the statement: two summaries of
    one subject may be handled at once). Whether it was kept."""
    row = {
        "subject": subject,
        "subject_id": subject_id,
        "count": rating.count,
        "total": rating.total,
        "histogram": histogram,
        "version": version,
        "updated_at": now,
    }
    return await keep_newest(conn, "ratings", row, key=("subject", "subject_id"))


async def add_favourite(conn: asyncpg.Connection, customer_id: UUID, listing_id: UUID, now: datetime) -> bool:
    """Keep the listing as one of the customer's favourites, counting it once; whether it was
    new (a favourite kept already, or added meanwhile by the same customer, changes nothing)."""
    added = await conn.fetchval(
        "WITH added AS (INSERT INTO favourites (customer_id, listing_id, created_at) "
        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING listing_id) "
        "INSERT INTO favourite_counts (listing_id, count) SELECT listing_id, 1 FROM added "
        "ON CONFLICT (listing_id) DO UPDATE SET count = favourite_counts.count + 1 RETURNING true",
        customer_id,
        listing_id,
        now,
    )
    return bool(added)


async def remove_favourite(conn: asyncpg.Connection, customer_id: UUID, listing_id: UUID) -> bool:
    """Forget the favourite, counting it off once; whether there was one."""
    removed = await conn.fetchval(
        "WITH removed AS (DELETE FROM favourites WHERE customer_id = $1 AND listing_id = $2 "
        "RETURNING listing_id) UPDATE favourite_counts c SET count = c.count - 1 FROM removed "
        "WHERE c.listing_id = removed.listing_id RETURNING true",
        customer_id,
        listing_id,
    )
    return bool(removed)


async def favourited(db: Executor, customer_id: UUID, listing_ids: list[UUID]) -> set[UUID]:
    """Which of these listings the customer keeps as favourites."""
    rows = await db.fetch(
        "SELECT listing_id FROM favourites WHERE customer_id = $1 AND listing_id = ANY($2::uuid[])",
        customer_id,
        listing_ids,
    )
    return {row["listing_id"] for row in rows}


async def favourite_page(
    db: Executor, customer_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> tuple[list[UUID], tuple[datetime, UUID] | None]:
    """One page of the customer's favourites that the public may see now (their search row is
    visible: a listing paused or hidden since leaves the list, and comes back with it), the
    newest favourite first, after the keyset position `after`."""
    at, listing_id = after or (None, None)
    rows = await db.fetch(
        "SELECT f.created_at, f.listing_id FROM favourites f "
        "JOIN listing_search s ON s.listing_id = f.listing_id AND s.visible "
        "WHERE f.customer_id = $1 AND ($2::timestamptz IS NULL OR (f.created_at, f.listing_id) < ($2, $3)) "
        "ORDER BY f.created_at DESC, f.listing_id DESC LIMIT $4",
        customer_id,
        at,
        listing_id,
        limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    position = (rows[-1]["created_at"], rows[-1]["listing_id"]) if more else None
    return [row["listing_id"] for row in rows], position
