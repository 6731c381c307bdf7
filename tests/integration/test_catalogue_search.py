"""Search over HTTP against the real catalogue process: every filter, facets that add up, the
cap, stemming, relevance, the sorts, and keyset paging while listings are being published."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
import asyncpg
import pytest

from services.catalogue import search
from tests.support.catalogue import (
    TestMaker,
    add_listing,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    claim,
    ring,
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
async def catalogue(catalogue_pool: asyncpg.Pool) -> Catalogue:
    """One maker's published pieces, a minute apart; the maker holds fairmined (evidenced) and
    recycled (self-declared)."""
    maker = await approved_maker(catalogue_pool, [claim("fairmined"), claim("recycled", False)])
    word = "w" + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))
    start = datetime.now(UTC) - timedelta(hours=2)
    pieces = []
    for n in range(COUNT):
        body = body_for(n, word)
        at = start + timedelta(minutes=n)
        listing = await add_listing(catalogue_pool, maker, body, now=at)
        pieces.append(Piece(str(listing.id), body, at))
    return Catalogue(maker, word, pieces)


@pytest.fixture(scope="module")
def service(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("catalogue")


@pytest.fixture
async def client(service: ServiceProcess) -> AsyncIterator[Callable[..., Any]]:
    async with aiohttp.ClientSession() as session:

        async def get(status: int = 200, **params: Any) -> Any:
            query = urlencode({k: v for k, v in params.items() if v is not None})
            async with session.get(f"{service.url}/api/v1/listings?{query}") as response:
                body = await response.json(content_type=None)
                assert response.status == status, (params, body)
                return body

        yield get


async def every_page(get: Callable[..., Any], **params: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = await get(cursor=cursor, **params)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


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
    assert page["total"] == {"count": COUNT, "capped": False}
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
    assert all(not c["capped"] for counts in page["facets"].values() for c in counts)
    # Largest first, then by name.
    categories = page["facets"]["category"]
    assert categories == sorted(categories, key=lambda c: (-c["count"], c["value"]))

    # Under a filter, the facets describe what the filter leaves.
    rings = await client(maker_id=catalogue.maker.maker_id, category="ring", metal="gold")
    expected = catalogue.ids(lambda b: b["category"] == "ring" and has_metal("gold")(b))
    assert rings["total"]["count"] == len(expected)
    assert rings["facets"]["category"] == [{"value": "ring", "count": len(expected), "capped": False}]


async def test_counts_stop_at_the_cap(catalogue_pool: asyncpg.Pool, catalogue: Catalogue) -> None:
    cap = 5
    page = await search.search(
        catalogue_pool, search.Filters(maker_id=catalogue.maker.maker_id), None, None, 24, cap
    )
    assert (page.total.count, page.total.capped) == (cap, True)
    # Over the cap, facets count the cap's newest matches: lower bounds, each flagged.
    newest = [piece.body for piece in catalogue.pieces[-cap:]]
    assert {c.value: (c.count, c.capped) for c in page.facets["category"]} == {
        category: (n, True) for category, n in Counter(b["category"] for b in newest).items()
    }
    assert {c.value: c.count for c in page.facets["metal"]} == Counter(
        m["metal"] for b in newest for m in b["metals"]
    )
    # Exactly the cap is not over it.
    exact = await search.search(
        catalogue_pool, search.Filters(maker_id=catalogue.maker.maker_id), None, None, 24, COUNT
    )
    assert (exact.total.count, exact.total.capped) == (COUNT, False)
    assert sum(c.count for c in exact.facets["category"]) == COUNT
    assert not any(c.capped for counts in exact.facets.values() for c in counts)


# --- full text ------------------------------------------------------------------------------------


async def test_text_search_stems_english(client: Callable[..., Any], catalogue: Catalogue) -> None:
    rings = catalogue.ids(lambda b: b["category"] == "ring")
    # "rings" finds "ring"; the unique word keeps other tests' listings out.
    found = await every_page(client, q=f"rings {catalogue.word}", limit=100)
    assert ids(found) == rings
    # Stones and metals are searchable too, and the origin is part of a stone.
    sapphires = await every_page(client, q=f"{catalogue.word} sapphires", limit=100)
    assert ids(sapphires) == catalogue.ids(has_stone("sapphire"))
    lab = await every_page(client, q=f"{catalogue.word} lab-grown diamond", limit=100)
    assert ids(lab) == catalogue.ids(has_stone("diamond", "lab_grown"))
    excluded = await every_page(client, q=f"{catalogue.word} -gold", limit=100)
    assert ids(excluded) == catalogue.ids(lambda b: not has_metal("gold")(b))
    # Stop words alone filter nothing; blank parameters are ignored.
    everything = await client(q="the", maker_id=catalogue.maker.maker_id, category="")
    assert everything["total"]["count"] == COUNT


async def test_relevance_ranks_title_over_attributes_over_description(
    client: Callable[..., Any], catalogue_pool: asyncpg.Pool
) -> None:
    maker = await approved_maker(catalogue_pool)
    word = "quillon" + uuid.uuid4().hex[:6].translate(str.maketrans("0123456789", "abcdefghij"))
    in_description = await add_listing(
        catalogue_pool, maker, ring(description=f"Finished with a {word} texture.")
    )
    in_title = await add_listing(catalogue_pool, maker, ring(title=f"The {word} ring"))
    in_techniques = await add_listing(catalogue_pool, maker, ring(techniques=[word]))
    page = await client(q=word)
    assert [item["id"] for item in page["items"]] == [
        str(in_title.id),
        str(in_techniques.id),
        str(in_description.id),
    ]
    newest = await client(q=word, sort="newest")
    assert [item["id"] for item in newest["items"]] == [
        str(in_techniques.id),
        str(in_title.id),
        str(in_description.id),
    ]


# --- sorts and paging -----------------------------------------------------------------------------


async def test_sorts_page_through_everything_in_order(
    client: Callable[..., Any], catalogue: Catalogue
) -> None:
    by_id = {piece.id: piece for piece in catalogue.pieces}
    for sort, key in [
        ("newest", lambda p: (p.published_at, p.id)),
        ("price_asc", lambda p: (p.price, p.id)),
        ("price_desc", lambda p: (p.price, p.id)),
    ]:
        items = await every_page(client, maker_id=catalogue.maker.maker_id, sort=sort, limit=7)
        expected = sorted(catalogue.pieces, key=key, reverse=sort != "price_asc")
        assert [item["id"] for item in items] == [piece.id for piece in expected], sort
        assert all(item["id"] in by_id for item in items)
    default = await client(maker_id=catalogue.maker.maker_id, limit=3)
    assert [i["id"] for i in default["items"]] == [p.id for p in catalogue.pieces[::-1][:3]]


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "relevance", "relevance_windowed"])
async def test_paging_never_repeats_or_skips_while_listings_are_published(
    client: Callable[..., Any], catalogue_pool: asyncpg.Pool, sort: str
) -> None:
    maker = await approved_maker(catalogue_pool)
    word = "pg" + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "abcdefghij"))
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
    seen: list[str] = []
    cursor = None
    while True:
        if sort == "relevance_windowed":
            # A cap under the number of matches: relevance ranks a window, then the rest.
            found = await search.search(
                catalogue_pool,
                search.Filters(q=word, maker_id=maker.maker_id),
                search.Sort.RELEVANCE,
                cursor,
                4,
                7,
            )
            page = {"items": [{"id": str(i)} for i in found.listing_ids], "next_cursor": found.next_cursor}
        else:
            page = await client(q=word, maker_id=maker.maker_id, sort=sort, limit=4, cursor=cursor)
        seen += [item["id"] for item in page["items"]]
        # Meanwhile, more are published (newer, at any price, any rank).
        for _ in range(2):
            await add_listing(catalogue_pool, maker, body())
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "a listing was shown twice"
    assert existing <= set(seen), "a listing that existed from the start was skipped"


async def test_relevance_ranks_the_newest_matches_then_lists_the_older(catalogue_pool: asyncpg.Pool) -> None:
    maker = await approved_maker(catalogue_pool)
    word = "rk" + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "abcdefghij"))
    start = datetime.now(UTC) - timedelta(hours=1)
    # Oldest first: title matches and description matches alternate.
    pieces = [
        await add_listing(
            catalogue_pool,
            maker,
            ring(title=f"The {word} ring") if n % 2 else ring(description=f"A {word} finish."),
            now=start + timedelta(minutes=n),
        )
        for n in range(8)
    ]
    filters = search.Filters(q=word, maker_id=maker.maker_id)
    cap = 4
    ranked, older = pieces[4:], pieces[:4]
    seen, cursor = [], None
    while True:
        page = await search.search(catalogue_pool, filters, None, cursor, 3, cap)
        seen += page.listing_ids
        cursor = page.next_cursor
        if cursor is None:
            break
    # The 4 newest by rank (title matches first, newest first among equals), then the rest
    # newest first.
    title_first = [p for p in reversed(ranked) if p.fields.title.startswith("The")] + [
        p for p in reversed(ranked) if not p.fields.title.startswith("The")
    ]
    assert seen == [p.id for p in title_first] + [p.id for p in reversed(older)]


async def test_cursors_are_checked(client: Callable[..., Any], catalogue: Catalogue) -> None:
    page = await client(maker_id=catalogue.maker.maker_id, sort="newest", limit=2)
    problem = await client(
        400, maker_id=catalogue.maker.maker_id, sort="price_asc", cursor=page["next_cursor"]
    )
    assert problem["code"] == "invalid_cursor"
    for cursor in ("%%%", "WyJuZXdlc3QiXQ", "WyJuZXdlc3QiLCJ4IiwieSJd"):
        await client(400, sort="newest", cursor=cursor)
    relevance = search._Position(datetime.now(UTC), uuid.uuid4(), 2, None, 0.5).encode(search.Sort.RELEVANCE)
    await client(400, q="ring", sort="relevance", cursor=relevance)  # older tier, no window


async def test_only_visible_listings_are_found(
    client: Callable[..., Any], catalogue_pool: asyncpg.Pool
) -> None:
    maker = await approved_maker(catalogue_pool)
    word = "vis" + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "abcdefghij"))
    shown = await add_listing(catalogue_pool, maker, ring(title=f"{word} ring"))
    await add_listing(catalogue_pool, maker, ring(title=f"{word} ring"), publish=False)
    page = await client(q=word)
    assert [item["id"] for item in page["items"]] == [str(shown.id)]
    item = page["items"][0]
    assert item["stock"] is None and item["visible"] is True
    assert item["maker"]["id"] == str(maker.maker_id)
