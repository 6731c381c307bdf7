"""Search: the denormalised search row of each listing, and the search query over them.

The search row (table `listing_search`, see the migration) is rewritten with its listing in the
same transaction, so search never shows a listing its GET would hide.

A search reads, under the same query and filters:

  newest   the `cap` + 1 newest matches (`cap` is 1000 by default), which give the total, the
           facets (counted from each match's `facet_bits`, one bigint), and for relevance the
           window of listings it ranks. Their cost is bounded by the cap whatever the
           catalogue's size. When at most `cap` match, every count is
           exact. When more match, the total is reported as `cap` with `capped: true` ("1000+")
           and each facet count is how many of the `cap` newest matches have that value: a
           lower bound, also flagged `capped` ("312+"). (Counting each of the 27 facet values
           exactly up to the cap was tried first: 30-135 ms at 100k listings, 140-1040 ms at
           1M, growing with the catalogue.)
  page     keyset order: `WHERE <filters> AND (sort key, id) after the cursor ORDER BY sort key,
           id LIMIT n`. newest and the price sorts walk a btree index. Relevance ranks (ts_rank
           of the weighted vector) only the window, the `cap` newest matches, then continues
           with the older matches newest first: ranking every match of a broad word cost a
           parallel scan of the table (165 ms at 1M). The newest query ranks each match as it
           reads it (ts_rank of the same index tuple or heap row it just matched), and the
           window is ordered by those ranks; neither a second scan of every text match (105-118
           ms at 1M) nor a second query of the window's ids (a primary-key lookup and a heap
           visit each) is needed. The newest query's index (`listing_search_newest`) covers
           `document` and `facet_bits` as well as `terms`, so the newest-first walk filters and
           ranks on the text without visiting the heap. The window is fixed by the first page
           and carried in the cursor. The cursor is the position of the last item shown, so
           paging never repeats an item and never skips one that existed when paging began,
           however many listings are published meanwhile.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from operator import itemgetter
from typing import Any
from uuid import UUID

import asyncpg

from services.catalogue.domain import (
    Category,
    Listing,
    MetalType,
    ProductionKind,
    SourcingScheme,
    StoneOrigin,
    fineness_name,
    shown_sourcing_claims,
)
from services.catalogue.store import Executor, MakerRecord
from shared.errors import bad_request
from shared.paging import decode_cursor, encode_cursor

# --- the search row -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRow:
    listing_id: UUID
    visible: bool
    published_at: datetime | None
    price_amount: int | None
    category: str | None
    terms: list[str]
    facet_bits: int  # the facet terms among `terms`, one bit each (FACET_TERMS)
    title: str  # weight A
    attributes: str  # weight B: techniques, metals, stones, category, style tags
    description: str  # weight C
    # The first day the row's sourcing terms may be wrong: the day after the earliest expiry
    # among the maker's claims (None when none expires). See `refresh_expired_claims`.
    stale_on: date | None = None


def normalise_word(value: str) -> str:
    """Stone types and tags are stored lower-case with single spaces; so are their filters."""
    return " ".join(value.lower().split())


def search_row(listing: Listing, maker: MakerRecord, today: date) -> SearchRow:
    fields = listing.fields
    terms: list[str] = [f"maker:{listing.maker_id}"]
    attributes: list[str] = [*fields.techniques, *fields.style_tags]
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
    return SearchRow(
        listing_id=listing.id,
        visible=listing.is_visible(maker.approved),
        published_at=listing.published_at,
        price_amount=fields.price.amount if fields.price else None,
        category=fields.category.value if fields.category else None,
        terms=sorted(set(terms)),
        facet_bits=facet_bits(terms),
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
    await conn.execute(
        "INSERT INTO listing_search (listing_id, visible, published_at, price_amount, "
        "category, terms, facet_bits, stale_on, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $11, "
        "setweight(to_tsvector('english', $8), 'A') || "
        "setweight(to_tsvector('english', $9), 'B') || "
        "setweight(to_tsvector('english', $10), 'C')) "
        "ON CONFLICT (listing_id) DO UPDATE SET visible = EXCLUDED.visible, "
        "published_at = EXCLUDED.published_at, price_amount = EXCLUDED.price_amount, "
        "category = EXCLUDED.category, terms = EXCLUDED.terms, "
        "facet_bits = EXCLUDED.facet_bits, stale_on = EXCLUDED.stale_on, document = EXCLUDED.document",
        row.listing_id,
        row.visible,
        row.published_at,
        row.price_amount,
        row.category,
        row.terms,
        row.facet_bits,
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


# --- facets ---------------------------------------------------------------------------------------

FACETS = ("category", "metal", "stone_origin", "production", "sourcing")

# Every facet value, as its search-row term, in the order of its bit in `facet_bits`. The
# positions are stored in every search row (and in migration 0003's backfill), so this list is
# append-only: a new value goes at the end, never between. A search counts its facets from
# these bits (one bigint a match) instead of from each match's terms (a dozen strings each to
# send, decode and count): 63 positions, 27 taken.
FACET_TERMS: tuple[str, ...] = (
    *(
        f"category:{value}"
        for value in (
            "ring",
            "necklace",
            "pendant",
            "earrings",
            "bracelet",
            "bangle",
            "brooch",
            "cufflinks",
            "anklet",
            "charm",
        )
    ),
    *(f"metal:{value}" for value in ("gold", "silver", "platinum", "palladium", "other")),
    *(f"stone_origin:{value}" for value in ("natural", "lab_grown", "imitation")),
    *(f"production:{value}" for value in ("one_of_a_kind", "made_to_order", "ready_to_ship")),
    *(
        f"sourcing:{value}"
        for value in ("recycled", "fairtrade", "fairmined", "rjc_coc", "scs_recycled", "other")
    ),
)
_FACET_BIT = {term: 1 << position for position, term in enumerate(FACET_TERMS)}


def facet_bits(terms: list[str]) -> int:
    bits = 0
    for term in terms:
        bits |= _FACET_BIT.get(term, 0)
    return bits


# --- the query ------------------------------------------------------------------------------------


class Sort(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    category: Category | None = None
    metal: MetalType | None = None
    fineness: int | None = None
    stone: str | None = None
    stone_origin: StoneOrigin | None = None
    min_price: int | None = None
    max_price: int | None = None
    production: ProductionKind | None = None
    sourcing: SourcingScheme | None = None
    maker_id: UUID | None = None
    occasion: str | None = None

    def terms(self) -> list[str]:
        """The exact-match filters as search-row terms (all must be present). The category is
        not among them: it is matched on its own column (see `search`)."""
        terms = []
        if self.production:
            terms.append(f"production:{self.production}")
        if self.metal and self.fineness is not None:
            terms.append(f"metal_fineness:{self.metal}:{self.fineness}")
        elif self.metal:
            terms.append(f"metal:{self.metal}")
        elif self.fineness is not None:
            terms.append(f"fineness:{self.fineness}")
        stone = normalise_word(self.stone) if self.stone else None
        if stone and self.stone_origin:
            terms.append(f"stone_type_origin:{stone}:{self.stone_origin}")
        elif stone:
            terms.append(f"stone:{stone}")
        elif self.stone_origin:
            terms.append(f"stone_origin:{self.stone_origin}")
        if self.sourcing:
            terms.append(f"sourcing:{self.sourcing}")
        if self.maker_id:
            terms.append(f"maker:{self.maker_id}")
        if self.occasion:
            terms.append(f"occasion:{normalise_word(self.occasion)}")
        return terms


@dataclass(frozen=True)
class Count:
    value: str
    count: int
    capped: bool


@dataclass
class SearchPage:
    listing_ids: list[UUID]
    next_cursor: str | None
    total: Count
    facets: dict[str, list[Count]] = field(default_factory=dict)


class _Sql:
    """A WHERE clause built with numbered parameters."""

    def __init__(self, params: list[Any] | None = None, conditions: list[str] | None = None) -> None:
        self.params: list[Any] = list(params or [])
        self.conditions: list[str] = list(conditions or ["visible"])

    def copy(self) -> _Sql:
        return _Sql(self.params, self.conditions)

    def param(self, value: Any, cast: str = "") -> str:
        self.params.append(value)
        return f"${len(self.params)}{cast}"

    @property
    def where(self) -> str:
        return " AND ".join(self.conditions)


# --- cursors --------------------------------------------------------------------------------------

# The ordered sorts: key column, direction, and the key's type in a cursor.
_ORDERED: dict[Sort, tuple[str, str, type]] = {
    Sort.NEWEST: ("published_at", "DESC", str),
    Sort.PRICE_ASC: ("price_amount", "ASC", int),
    Sort.PRICE_DESC: ("price_amount", "DESC", int),
}
_RANKED, _OLDER = 1, 2  # the tiers of relevance
_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class _Position:
    """The last item a page showed: its sort key and id. For relevance also its rank and tier,
    and the window: the oldest ranked listing (None when every match is ranked), fixed on the
    first page so that which listings are ranked never changes while paging."""

    key: Any
    listing_id: UUID
    tier: int = _RANKED
    window: tuple[datetime, UUID] | None = None
    rank: float = 0.0

    def encode(self, sort: Sort) -> str:
        key = self.key.isoformat() if isinstance(self.key, datetime) else self.key
        if sort is not Sort.RELEVANCE:
            return encode_cursor([sort.value, key, str(self.listing_id)])
        window = [self.window[0].isoformat(), str(self.window[1])] if self.window else ["", ""]
        return encode_cursor([sort.value, *window, self.tier, self.rank, key, str(self.listing_id)])


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("naive time")
    return moment


def decode_position(cursor: str | None, sort: Sort) -> _Position | None:
    """The position in a cursor; one made for another sort order is a 400."""
    if cursor is None:
        return None
    shape = (str, str, str, int, float, str, str) if sort is Sort.RELEVANCE else (str, _ORDERED[sort][2], str)
    position = decode_cursor(cursor, shape)
    assert position is not None
    if position[0] != sort.value:
        raise bad_request("The cursor belongs to another sort order", code="invalid_cursor")
    try:
        if sort is not Sort.RELEVANCE:
            if sort is Sort.NEWEST:
                return _Position(_aware(position[1]), UUID(position[2]))
            price = position[1]
            # A price outside bigint (or a bool, which is an int to Python) was never issued.
            if isinstance(price, bool) or not _BIGINT_MIN <= price <= _BIGINT_MAX:
                raise ValueError("price out of range")
            return _Position(price, UUID(position[2]))
        _, window_at, window_id, tier, rank, at, listing_id = position
        window = (_aware(window_at), UUID(window_id)) if window_at else None
        if (tier == _RANKED or (tier == _OLDER and window is not None)) and math.isfinite(rank):
            return _Position(_aware(at), UUID(listing_id), tier, window, float(rank))
    except ValueError:
        pass
    raise bad_request("Invalid cursor", code="invalid_cursor")


# --- the search -----------------------------------------------------------------------------------


async def search(
    pool: asyncpg.Pool,
    filters: Filters,
    sort: Sort | None,
    cursor: str | None,
    limit: int,
    cap: int,
) -> SearchPage:
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        # Each search is planned for its own values (a generic plan cannot know whether a
        # term matches ten listings or half of them), and never JIT-compiled: JIT costs more
        # than these bounded queries take.
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL jit = off")
        tsquery = None
        if filters.q:
            # A query of stop words only ("the") has no lexemes: it filters nothing.
            tsquery = (
                await conn.fetchval("SELECT websearch_to_tsquery('english', $1)::text", filters.q) or None
            )
        sort = sort or (Sort.RELEVANCE if tsquery else Sort.NEWEST)
        if sort is Sort.RELEVANCE and tsquery is None:
            sort = Sort.NEWEST
        after = decode_position(cursor, sort)

        sql = _Sql()
        q = sql.param(tsquery, "::tsquery") if tsquery else ""
        if tsquery:
            sql.conditions.append(f"document @@ {q}")
        terms = filters.terms()
        if terms:
            sql.conditions.append(f"terms @> {sql.param(terms, '::text[]')}")
        if filters.category:
            # A column of its own, with an index that walks the category's listings alone,
            # newest first. (Not also as a term: PostgreSQL would count its selectivity twice
            # and misjudge which index to use.)
            sql.conditions.append(f"category = {sql.param(filters.category.value)}")
        if filters.min_price is not None:
            sql.conditions.append(f"price_amount >= {sql.param(filters.min_price)}")
        if filters.max_price is not None:
            sql.conditions.append(f"price_amount <= {sql.param(filters.max_price)}")

        # The cap's newest matches (and one more): the total, the facets, and the window of
        # listings relevance ranks.
        # For relevance each match is ranked as the walk reads it, from the same index tuple
        # (or heap row) that was just matched.
        rank = f", ts_rank(document, {q}) AS rank" if sort is Sort.RELEVANCE else ""
        newest = await conn.fetch(
            f"SELECT facet_bits, published_at, listing_id{rank} FROM listing_search "
            f"WHERE {sql.where} ORDER BY published_at DESC, listing_id DESC LIMIT {cap + 1}",
            *sql.params,
        )
        total, facets = _facets(newest, cap)
        if sort is Sort.RELEVANCE:
            window = (
                after.window
                if after
                else (
                    (newest[cap - 1]["published_at"], newest[cap - 1]["listing_id"])
                    if len(newest) > cap
                    else None
                )
            )
            shown, more = await _relevance_page(
                conn, sql, q, window, after, limit, _window_ranks(newest, cap, window)
            )
        else:
            shown, more = await _ordered_page(conn, sql, sort, after, limit)
        return SearchPage(
            listing_ids=[position.listing_id for position in shown],
            next_cursor=shown[-1].encode(sort) if more and shown else None,
            total=total,
            facets=facets,
        )


async def _ordered_page(
    conn: Executor, sql: _Sql, sort: Sort, after: _Position | None, limit: int
) -> tuple[list[_Position], bool]:
    column, direction, _ = _ORDERED[sort]
    page = sql.copy()
    if after is not None:
        op = "<" if direction == "DESC" else ">"
        page.conditions.append(
            f"({column}, listing_id) {op} ({page.param(after.key)}, {page.param(after.listing_id)})"
        )
    rows = await conn.fetch(
        f"SELECT listing_id, {column} AS key FROM listing_search WHERE {page.where} "
        f"ORDER BY {column} {direction}, listing_id {direction} LIMIT {limit + 1}",
        *page.params,
    )
    return [_Position(row["key"], row["listing_id"]) for row in rows[:limit]], len(rows) > limit


_Ranked = tuple[float, datetime, UUID]  # (rank, published_at, listing_id)
_RANKED_COLUMNS = itemgetter("rank", "published_at", "listing_id")


async def _relevance_page(
    conn: Executor,
    sql: _Sql,
    q: str,
    window: tuple[datetime, UUID] | None,
    after: _Position | None,
    limit: int,
    window_ranks: list[_Ranked] | None = None,
) -> tuple[list[_Position], bool]:
    """Relevance: the listings in the window (the cap's newest matches, or every match when
    there are no more) by rank, title matches first, newest first among equals; then older
    matches, newest first. Ranking costs one ts_rank per listing in the window, however many
    match: taken from the newest query when it read the whole window (`window_ranks`), else
    from a query of the window by its bounds."""
    shown: list[_Position] = []
    more = False
    if after is None or after.tier == _RANKED:
        if window_ranks is not None:
            if after is not None:
                last = (after.rank, after.key, after.listing_id)
                window_ranks = [r for r in window_ranks if r < last]
            # The SQL order below (rank, then newest, then id; all descending), in Python.
            ranked = heapq.nlargest(limit + 1, window_ranks)
        else:
            ranked_sql = sql.copy()
            rank = f"ts_rank(document, {q})"
            if window is not None:
                ranked_sql.conditions.append(
                    f"(published_at, listing_id) >= ({ranked_sql.param(window[0])}, "
                    f"{ranked_sql.param(window[1])})"
                )
            if after is not None:
                ranked_sql.conditions.append(
                    f"({rank}, published_at, listing_id) < "
                    f"({ranked_sql.param(after.rank, '::real')}, {ranked_sql.param(after.key)}, "
                    f"{ranked_sql.param(after.listing_id)})"
                )
            rows = await conn.fetch(
                f"SELECT listing_id, published_at, {rank} AS rank FROM listing_search "
                f"WHERE {ranked_sql.where} "
                f"ORDER BY rank DESC, published_at DESC, listing_id DESC LIMIT {limit + 1}",
                *ranked_sql.params,
            )
            ranked = [(row["rank"], row["published_at"], row["listing_id"]) for row in rows]
        shown = [_Position(at, listing_id, _RANKED, window, rank) for rank, at, listing_id in ranked[:limit]]
        more = len(ranked) > limit
    if not more and window is not None:
        older = sql.copy()
        start = after if after is not None and after.tier == _OLDER else None
        bound_at, bound_id = (start.key, start.listing_id) if start else window
        older.conditions.append(
            f"(published_at, listing_id) < ({older.param(bound_at)}, {older.param(bound_id)})"
        )
        room = limit - len(shown)
        rows = await conn.fetch(
            f"SELECT listing_id, published_at FROM listing_search WHERE {older.where} "
            f"ORDER BY published_at DESC, listing_id DESC LIMIT {room + 1}",
            *older.params,
        )
        shown += [_Position(row["published_at"], row["listing_id"], _OLDER, window) for row in rows[:room]]
        more = len(rows) > room
    return shown, more


def _window_ranks(
    newest: list[asyncpg.Record],
    cap: int,
    window: tuple[datetime, UUID] | None,
) -> list[_Ranked] | None:
    """The ranked listings of the window, when the newest matches just read (`newest`, newest
    first, up to `cap` + 1) hold all of it: every match when there is no window (at most `cap`
    match); else those at or after the window's oldest listing, provided that listing is still
    among the `cap` newest (listings published while a client pages can push it out: then
    None, and the window is ranked by its bounds)."""
    ranked = list(map(_RANKED_COLUMNS, newest[:cap]))
    if window is None:
        return None if len(newest) > cap else ranked
    if len(newest) > cap and ranked[-1][1:] > window:
        return None
    return [r for r in ranked if r[1:] >= window]


def _facets(rows: list[asyncpg.Record], cap: int) -> tuple[Count, dict[str, list[Count]]]:
    capped = len(rows) > cap
    # Matches share a few combinations of facet values: count the combinations (in C), then
    # each combination's bits.
    counts = [0] * len(FACET_TERMS)
    for bits, n in Counter(map(itemgetter(0), rows[:cap])).items():
        while bits:
            lowest = bits & -bits
            counts[lowest.bit_length() - 1] += n
            bits ^= lowest
    return Count("total", min(len(rows), cap), capped), _grouped(
        {term: (n, capped) for term, n in zip(FACET_TERMS, counts, strict=True) if n}
    )


def _grouped(counts: dict[str, tuple[int, bool]]) -> dict[str, list[Count]]:
    facets: dict[str, list[Count]] = {dimension: [] for dimension in FACETS}
    for term, (n, capped) in counts.items():
        dimension, value = term.split(":", 1)
        facets[dimension].append(Count(value, n, capped))
    for values in facets.values():
        values.sort(key=lambda c: (-c.count, c.value))
    return facets
