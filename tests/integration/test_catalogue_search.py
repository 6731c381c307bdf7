"""Search over HTTP against the real catalogue process and its search index: every filter,
exact totals and facets (against SQL truth), stemming, typos, synonyms, did_you_mean, suggest,
relevance over every match, the sorts, paging while listings are published, and hidden
listings never found."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.catalogue import usecases
from shared.contracts.makers import MakerSuspended
from shared.db import UnitOfWork
from shared.paging import encode_cursor
from tests.support.catalogue import (
    TestMaker,
    add_listing,
    apply_maker,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    claim,
    client,  # noqa: F401 — a fixture
    every_page,
    ring,
    searchable,
    service,  # noqa: F401 — a fixture
    unique_word,
)
from tests.support.harness import ServiceProcess

pytestmark = pytest.mark.timeout(120)

CATEGORIES = ["ring", "necklace", "pendant", "earrings", "bracelet", "brooch"]
METALS = [  # (metal, fineness, weight, hallmark)
    ("gold", 750, 4.2, "hallmarked"),
    ("gold", 375, 0.8, "exempt_under_weight"),
    ("silver", 925, 9.0, "hallmarked"),
    ("platinum", 950, 3.1, "hallmarked"),
]
STONES = [
    None,
    ("sapphire", "natural"),
    ("sapphire", "lab_grown"),
    ("diamond", "natural"),
    ("diamond", "lab_grown"),
    ("cubic zirconia", "imitation"),
]
PRODUCTION = [
    {"kind": "ready_to_ship", "stock": 2},
    {"kind": "one_of_a_kind"},
    {"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 10}},
]
COUNT = 36


@dataclass
class Piece:
    id: str
    body: dict[str, Any]
    published_at: datetime

    @property
    def price(self) -> int:
        return self.body["price"]["amount"]


def body_for(n: int, word: str) -> dict[str, Any]:
    category = CATEGORIES[n % len(CATEGORIES)]
    metal, fineness, weight, hallmark = METALS[n % len(METALS)]
    stone = STONES[(n // 2) % len(STONES)]
    stone_word = {
        None: "plain",
        "natural": "natural",
        "lab_grown": "laboratory-grown",
        "imitation": "imitation",
    }[stone[1] if stone else None]
    return ring(
        title=f"{stone_word.capitalize()} {metal} {category} {word}",
        description=f"A {category} made by hand in {metal}.",
        category=category,
        occasions=["wedding"] if n % 5 == 0 else ["everyday"],
        price={"amount": 5000 + (n * 1733) % 90000, "currency": "GBP"},
        production=PRODUCTION[n % len(PRODUCTION)],
        metals=[{"metal": metal, "fineness": fineness, "weight_g": weight}],
        hallmark={"status": hallmark}
        if hallmark != "hallmarked"
        else {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "london"},
        stones=[{"type": stone[0], "origin": stone[1]}] if stone else [],
        sourcing_claims=[["fairmined"], ["recycled"], [], []][n % 4],
        options={"ring_size_mm": {"min": 50, "max": 58}} if category == "ring" else None,
    )


@dataclass
class Catalogue:
    maker: TestMaker
    word: str
    pieces: list[Piece]

    def ids(self, keep: Callable[[dict[str, Any]], bool]) -> set[str]:
        return {piece.id for piece in self.pieces if keep(piece.body)}


@pytest.fixture(scope="module")
async def catalogue(catalogue_pool: asyncpg.Pool, service: ServiceProcess) -> Catalogue:
    """One maker's published pieces, a minute apart; the maker holds fairmined (evidenced) and
    recycled (self-declared)."""
    maker = await approved_maker(catalogue_pool, [claim("fairmined"), claim("recycled", False)])
    word = unique_word("w")
    start = datetime.now(UTC) - timedelta(hours=2)
    pieces = []
    for n in range(COUNT):
        body = body_for(n, word)
        at = start + timedelta(minutes=n)
        listing = await add_listing(catalogue_pool, maker, body, now=at)
        pieces.append(Piece(str(listing.id), body, at))
    await searchable(service.url)
    return Catalogue(maker, word, pieces)


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


# --- filters --------------------------------------------------------------------------------------


def has_metal(metal: str, fineness: int | None = None) -> Callable[[dict[str, Any]], bool]:
    return lambda b: any(m["metal"] == metal and fineness in (None, m["fineness"]) for m in b["metals"])


def has_stone(kind: str | None, origin: str | None = None) -> Callable[[dict[str, Any]], bool]:
    return lambda b: any(kind in (None, s["type"]) and origin in (None, s["origin"]) for s in b["stones"])


FILTERS: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
    ({"category": "ring"}, lambda b: b["category"] == "ring"),
    ({"metal": "gold"}, has_metal("gold")),
    ({"fineness": 925}, lambda b: any(m["fineness"] == 925 for m in b["metals"])),
    ({"metal": "gold", "fineness": 375}, has_metal("gold", 375)),
    ({"stone": "Sapphire"}, has_stone("sapphire")),
    ({"stone_origin": "lab_grown"}, has_stone(None, "lab_grown")),
    ({"stone": "diamond", "stone_origin": "natural"}, has_stone("diamond", "natural")),
    ({"stone": "cubic  zirconia"}, has_stone("cubic zirconia")),
    ({"min_price": 30000}, lambda b: b["price"]["amount"] >= 30000),
    ({"max_price": 30000}, lambda b: b["price"]["amount"] <= 30000),
    ({"min_price": 20000, "max_price": 60000}, lambda b: 20000 <= b["price"]["amount"] <= 60000),
    ({"production": "made_to_order"}, lambda b: b["production"]["kind"] == "made_to_order"),
    ({"sourcing": "fairmined"}, lambda b: b["sourcing_claims"] == ["fairmined"]),
    ({"occasion": "Wedding"}, lambda b: b["occasions"] == ["wedding"]),
    (
        {"category": "pendant", "metal": "silver"},
        lambda b: b["category"] == "pendant" and has_metal("silver")(b),
    ),
]


@pytest.mark.parametrize(("params", "keep"), FILTERS, ids=[str(p) for p, _ in FILTERS])
async def test_each_filter_finds_exactly_the_matching_listings(
    client: Callable[..., Any],
    catalogue: Catalogue,
    params: dict[str, Any],
    keep: Callable[[dict[str, Any]], bool],
) -> None:
    found = await every_page(client, maker_id=catalogue.maker.maker_id, limit=100, **params)
    expected = catalogue.ids(keep)
    assert expected, "a filter that matches nothing proves little"
    assert ids(found) == expected


async def test_facets_count_the_matches_and_add_up(client: Callable[..., Any], catalogue: Catalogue) -> None:
    page = await client(maker_id=catalogue.maker.maker_id, limit=5)
    assert page["total"] == {"count": COUNT}
    facets = {
        dimension: {c["value"]: c["count"] for c in counts} for dimension, counts in page["facets"].items()
    }
    assert sum(facets["category"].values()) == COUNT
    assert sum(facets["production"].values()) == COUNT
    bodies = [piece.body for piece in catalogue.pieces]
    assert facets["category"] == Counter(b["category"] for b in bodies)
    assert facets["metal"] == Counter(m["metal"] for b in bodies for m in b["metals"])
    assert facets["stone_origin"] == Counter(s["origin"] for b in bodies for s in b["stones"])
    # Only the badges count: recycled is self-declared.
    evidenced = Counter(s for b in bodies for s in b["sourcing_claims"] if s != "recycled")
    assert facets["sourcing"] == evidenced
    assert (await client(maker_id=catalogue.maker.maker_id, sourcing="recycled"))["items"] == []
    # Largest first, then by name.
    categories = page["facets"]["category"]
    assert categories == sorted(categories, key=lambda c: (-c["count"], c["value"]))

    # Under a filter, the facets describe what the filter leaves.
    rings = await client(maker_id=catalogue.maker.maker_id, category="ring", metal="gold")
    expected = catalogue.ids(lambda b: b["category"] == "ring" and has_metal("gold")(b))
    assert rings["total"]["count"] == len(expected)
    assert rings["facets"]["category"] == [{"value": "ring", "count": len(expected)}]


async def _sql_truth(pool: asyncpg.Pool, terms: list[str]) -> tuple[int, dict[str, dict[str, int]]]:
    """The total and facets of a filter search, counted by PostgreSQL from the search rows."""
    total = await pool.fetchval(
        "SELECT count(*) FROM listing_search WHERE visible AND terms @> $1::text[]", terms
    )
    rows = await pool.fetch(
        "SELECT split_part(term, ':', 1) AS dimension, split_part(term, ':', 2) AS value, count(*) AS n "
        "FROM listing_search, unnest(terms) AS term "
        "WHERE visible AND terms @> $1::text[] AND split_part(term, ':', 1) = ANY($2::text[]) "
        "GROUP BY 1, 2",
        terms,
        list(FACETS),
    )
    facets: dict[str, dict[str, int]] = {dimension: {} for dimension in FACETS}
    for row in rows:
        facets[row["dimension"]][row["value"]] = row["n"]
    return total, facets


FACETS = ("category", "metal", "stone_origin", "production", "sourcing")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"category": "ring"},
        {"metal": "gold"},
        {"stone_origin": "lab_grown"},
        {"production": "one_of_a_kind"},
    ],
)
async def test_totals_and_facets_equal_sql_truth(
    client: Callable[..., Any], catalogue_pool: asyncpg.Pool, catalogue: Catalogue, params: dict[str, Any]
) -> None:
    """Over the whole catalogue (every test's listings), not one maker's: counts are exact."""
    page = await client(limit=1, **params)
    terms = [f"{dimension}:{value}" for dimension, value in params.items()]
    total, facets = await _sql_truth(catalogue_pool, terms)
    assert page["total"]["count"] == total
    assert {d: {c["value"]: c["count"] for c in counts} for d, counts in page["facets"].items()} == facets


# --- sorts and paging -----------------------------------------------------------------------------


def tie(listing_id: str) -> int:
    """Equal sort values are ordered by the low bits of the listing's id (see engine.py)."""
    return uuid.UUID(listing_id).int & (2**30 - 1)


async def test_sorts_page_through_everything_in_order(
    client: Callable[..., Any], catalogue: Catalogue
) -> None:
    for sort, key in [
        ("newest", lambda p: (p.published_at, tie(p.id))),
        ("price_asc", lambda p: (p.price, tie(p.id))),
        ("price_desc", lambda p: (p.price, tie(p.id))),
        ("rating", lambda p: (tie(p.id),)),  # no ratings yet: all 0
    ]:
        items = await every_page(client, maker_id=catalogue.maker.maker_id, sort=sort, limit=7)
        expected = sorted(catalogue.pieces, key=key, reverse=sort != "price_asc")
        assert [item["id"] for item in items] == [piece.id for piece in expected], sort
    default = await client(maker_id=catalogue.maker.maker_id, limit=3)
    assert [i["id"] for i in default["items"]] == [p.id for p in catalogue.pieces[::-1][:3]]
    assert (await client(maker_id=catalogue.maker.maker_id, min_rating=1))["total"]["count"] == 0


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "relevance"])
async def test_paging_never_repeats_or_skips_while_listings_are_published(
    client: Callable[..., Any], catalogue_pool: asyncpg.Pool, service: ServiceProcess, sort: str
) -> None:
    maker = await approved_maker(catalogue_pool)
    word = unique_word("pg")
    rng = random.Random(sort)

    def body() -> dict[str, Any]:
        # Prices repeat, so ties are broken by id; some titles carry the word twice (a
        # higher rank), so relevance has ties and differences both.
        title = f"{word} ring" + (f" {word}" if rng.random() < 0.3 else "")
        return ring(title=title, price={"amount": rng.choice([9000, 12500, 15000, 20000])})

    start = datetime.now(UTC) - timedelta(hours=1)
    existing = {
        str((await add_listing(catalogue_pool, maker, body(), now=start + timedelta(seconds=n))).id)
        for n in range(20)
    }
    await searchable(service.url)
    seen: list[str] = []
    cursor = None
    while True:
        page = await client(q=word, maker_id=maker.maker_id, sort=sort, limit=4, cursor=cursor)
        seen += [item["id"] for item in page["items"]]
        # Meanwhile, more are published (newer, at any price, any rank), and become searchable.
        for _ in range(2):
            await add_listing(catalogue_pool, maker, body())
        await searchable(service.url)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "a listing was shown twice"
    assert existing <= set(seen), "a listing that existed from the start was skipped"


async def test_cursors_are_checked(client: Callable[..., Any], catalogue: Catalogue) -> None:
    page = await client(maker_id=catalogue.maker.maker_id, sort="newest", limit=2)
    problem = await client(
        400, maker_id=catalogue.maker.maker_id, sort="price_asc", cursor=page["next_cursor"]
    )
    assert problem["code"] == "invalid_cursor"
    for cursor in (
        "%%%",
        encode_cursor(["newest"]),
        encode_cursor(["newest", 1, 2, "x"]),
        encode_cursor(["newest", 1, -2, 5]),
        encode_cursor(["newest", 1, 2, 2**64]),
        encode_cursor(["newest", True, 2, 5]),
    ):
        assert (await client(400, sort="newest", cursor=cursor))["code"] == "invalid_cursor"
    # A generation long gone: the keyset continues on the current snapshot.
    gone = encode_cursor(["newest", 1, 2, 2**64 - 1])
    assert (await client(sort="newest", maker_id=catalogue.maker.maker_id, cursor=gone))["total"][
        "count"
    ] == COUNT


# --- what is found --------------------------------------------------------------------------------


async def test_hidden_listings_never_appear(
    client: Callable[..., Any], catalogue_pool: asyncpg.Pool, service: ServiceProcess
) -> None:
    maker = await approved_maker(catalogue_pool)
    word = unique_word("vis")
    shown, paused, archived = [
        await add_listing(catalogue_pool, maker, ring(title=f"{word} ring")) for _ in range(3)
    ]
    await add_listing(catalogue_pool, maker, ring(title=f"{word} ring"), publish=False)
    await searchable(service.url)
    page = await client(q=word)
    assert ids(page["items"]) == {str(shown.id), str(paused.id), str(archived.id)}
    item = next(i for i in page["items"] if i["id"] == str(shown.id))
    assert item["stock"] is None and item["visible"] is True
    assert item["maker"]["id"] == str(maker.maker_id)

    now = datetime.now(UTC)
    async with UnitOfWork(catalogue_pool, "catalogue") as uow:
        await usecases.pause_listing(uow, maker.user_id, paused.id, now)
    async with UnitOfWork(catalogue_pool, "catalogue") as uow:
        await usecases.archive_listing(uow, maker.user_id, archived.id, now)
    await searchable(service.url)
    assert ids((await client(q=word))["items"]) == {str(shown.id)}

    # The maker suspended: every one of their listings leaves search; reinstated, it returns.
    await apply_maker(catalogue_pool, maker.event(MakerSuspended, status="suspended"))
    await searchable(service.url)
    assert (await client(q=word))["total"]["count"] == 0
    await apply_maker(catalogue_pool, maker.event())
    await searchable(service.url)
    assert ids((await client(q=word))["items"]) == {str(shown.id)}
