"""The search row of each listing (table `listing_search`): what the search index is built from.

The row is rewritten with its listing in the same transaction, so the index never learns of a
state the listing's GET would not show. Each write moves the row up the change sequence (the
`changed_xid` a trigger sets, see migration 0009), which every index follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

import asyncpg

from services.catalogue.domain import Listing, Rating, fineness_name, shown_sourcing_claims
from services.catalogue.store import Executor, MakerRecord


@dataclass(frozen=True)
class SearchRow:
    listing_id: UUID
    visible: bool
    published_at: datetime | None
    price_amount: int | None
    category: str | None
    # Every exact-match filter value as "dimension:value" (category:ring, metal:gold,
    # fineness:750, metal_fineness:gold:750, stone:sapphire, stone_origin:natural,
    # stone_type_origin:sapphire:natural, production:made_to_order, sourcing:fairmined,
    # occasion:wedding, maker:<uuid>).
    terms: list[str]
    title: str
    attributes: str  # techniques, metals, stones, occasions, style tags, category, maker name
    description: str
    # The first day the row's sourcing terms may be wrong: the day after the earliest expiry
    # among the maker's claims (None when none expires). See `refresh_expired_claims`.
    stale_on: date | None = None


def normalise_word(value: str) -> str:
    """Stone types and tags are stored lower-case with single spaces; so are their filters."""
    return " ".join(value.lower().split())


def search_row(listing: Listing, maker: MakerRecord, today: date) -> SearchRow:
    fields = listing.fields
    terms: list[str] = [f"maker:{listing.maker_id}"]
    attributes: list[str] = [*fields.techniques, *fields.style_tags, *fields.occasions]
    if fields.category is not None:
        terms.append(f"category:{fields.category}")
        attributes.append(fields.category.value)
    if fields.production is not None:
        terms.append(f"production:{fields.production.kind}")
    for metal in fields.metals:
        terms.append(f"metal:{metal.metal}")
        attributes += [metal.metal.value, metal.colour or "", fineness_name(metal) or ""]
        if metal.fineness is not None:
            terms += [f"fineness:{metal.fineness}", f"metal_fineness:{metal.metal}:{metal.fineness}"]
            attributes.append(str(metal.fineness))
        if metal.recycled:
            attributes.append("recycled")
    for stone in fields.stones:
        origin = stone.origin.value.replace("_", "-")
        terms += [
            f"stone:{stone.type}",
            f"stone_origin:{stone.origin}",
            f"stone_type_origin:{stone.type}:{stone.origin}",
        ]
        attributes += [stone.type, origin]
    # Found by the claims shown as badges only: evidenced and held today.
    for claim in shown_sourcing_claims(fields, maker.claims, today):
        if claim.basis == "evidenced":
            terms.append(f"sourcing:{claim.scheme}")
    terms += [f"occasion:{occasion}" for occasion in fields.occasions]
    attributes.append(maker.display_name)
    return SearchRow(
        listing_id=listing.id,
        visible=listing.is_visible(maker.approved),
        published_at=listing.published_at,
        price_amount=fields.price.amount if fields.price else None,
        category=fields.category.value if fields.category else None,
        terms=sorted(set(terms)),
        title=fields.title or "",
        attributes=" ".join(a for a in attributes if a),
        description=fields.description or "",
        stale_on=stale_on(maker, today),
    )


def stale_on(maker: MakerRecord, today: date) -> date | None:
    """The day after the earliest expiry among the maker's claims current today: from then on a
    search row written today may show a claim the maker no longer holds."""
    expiries = [
        claim.expires_on for claim in maker.claims if claim.expires_on is not None and claim.is_current(today)
    ]
    return min(expiries) + timedelta(days=1) if expiries else None


async def save_search_row(conn: asyncpg.Connection, row: SearchRow) -> None:
    # The rating columns are left as they are: `save_search_rating` writes them.
    await conn.execute(
        "INSERT INTO listing_search (listing_id, visible, published_at, price_amount, category, "
        "terms, title, attributes, description, stale_on) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (listing_id) DO UPDATE SET visible = EXCLUDED.visible, "
        "published_at = EXCLUDED.published_at, price_amount = EXCLUDED.price_amount, "
        "category = EXCLUDED.category, terms = EXCLUDED.terms, title = EXCLUDED.title, "
        "attributes = EXCLUDED.attributes, description = EXCLUDED.description, "
        "stale_on = EXCLUDED.stale_on",
        row.listing_id,
        row.visible,
        row.published_at,
        row.price_amount,
        row.category,
        row.terms,
        row.title,
        row.attributes,
        row.description,
        row.stale_on,
    )


async def stale_search_rows(db: Executor, today: date, limit: int) -> list[UUID]:
    """Listings whose search row may show a claim that expired by `today` (index only)."""
    rows = await db.fetch(
        "SELECT listing_id FROM listing_search WHERE stale_on <= $1 ORDER BY listing_id LIMIT $2",
        today,
        limit,
    )
    return [row["listing_id"] for row in rows]


async def save_search_rating(conn: asyncpg.Connection, listing_id: UUID, rating: Rating) -> None:
    """The listing's rating as search filters and sorts by it (`min_rating`, `sort=rating`): 0
    while nothing is rated. Written only when it changed, so the row moves up the change
    sequence (and every index rewrites the listing) only then."""
    average = rating.average or 0
    await conn.execute(
        "UPDATE listing_search SET rating_average = $2, rating_count = $3 "
        "WHERE listing_id = $1 AND (rating_average, rating_count) IS DISTINCT FROM ($2, $3)",
        listing_id,
        average,
        rating.count,
    )
