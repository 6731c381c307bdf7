"""The search index in memory: documents from search rows, exact totals and facets, filters,
sort keys and keyset paging across snapshots, relevance, typos, corrections, completions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import tantivy

from services.catalogue.domain import Category, MetalType
from services.catalogue.search.engine import SearchIndex, build_schema, document
from services.catalogue.search.query import Filters, Sort

START = datetime(2025, 1, 1, tzinfo=UTC)


def row(n: int, **overrides: Any) -> dict[str, Any]:
    category = ["ring", "pendant", "brooch"][n % 3]
    metal = ["gold", "silver"][n % 2]
    return {
        "listing_id": uuid4(),
        "published_at": START + timedelta(minutes=n),
        "price_amount": 1000 + (n % 4) * 500,
        "terms": [f"category:{category}", f"metal:{metal}", "production:one_of_a_kind"],
        "title": f"Hammered {metal} {category}",
        "attributes": f"{metal} {category} Maker Name",
        "description": "Made by hand.",
        "rating_average": 0,
        "rating_count": 0,
        **overrides,
    }


class Index:
    def __init__(self, rows: list[dict[str, Any]], keep_s: float = 300.0) -> None:
        self.tantivy = tantivy.Index(build_schema())
        self.writer = self.tantivy.writer(heap_size=15_000_000, num_threads=1)
        self.add(rows)
        self.search = SearchIndex(self.tantivy, keep_s)

    def add(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            self.writer.add_document(document(r))
        self.writer.commit()


def every(index: SearchIndex, filters: Filters, sort: Sort | None, limit: int = 4) -> list[UUID]:
    found: list[UUID] = []
    cursor = None
    while True:
        page = index.search(filters, sort, cursor, limit)
        found += page.listing_ids
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def test_totals_and_facets_are_exact_over_every_match() -> None:
    rows = [row(n) for n in range(30)]
    index = Index(rows).search
    page = index.search(Filters(), None, None, 5)
    assert page.total == 30 and len(page.listing_ids) == 5
    assert [(c.value, c.count) for c in page.facets["category"]] == [
        ("brooch", 10),
        ("pendant", 10),
        ("ring", 10),
    ]
    assert [(c.value, c.count) for c in page.facets["metal"]] == [("gold", 15), ("silver", 15)]
    assert page.facets["sourcing"] == []
    rings = index.search(
        Filters(category=Category.RING, metal=MetalType.GOLD, max_price=1500), None, None, 24
    )
    expected = {
        r["listing_id"]
        for r in rows
        if "category:ring" in r["terms"] and "metal:gold" in r["terms"] and r["price_amount"] <= 1500
    }
    assert set(rings.listing_ids) == expected and rings.total == len(expected)


def test_each_sort_pages_in_order_and_continues_in_a_newer_snapshot() -> None:
    rows = [row(n) for n in range(13)]
    store = Index(rows)
    index = store.search
    newest = sorted(rows, key=lambda r: r["published_at"], reverse=True)
    assert every(index, Filters(), Sort.NEWEST) == [r["listing_id"] for r in newest]
    by_price = every(index, Filters(), Sort.PRICE_ASC)
    prices = {r["listing_id"]: r["price_amount"] for r in rows}
    assert [prices[i] for i in by_price] == sorted(prices.values())
    assert len(set(by_price)) == 13

    # A page read, then more listings published and a new snapshot: the cursor still walks the
    # listings that were there, without repeats.
    first = index.search(Filters(), Sort.PRICE_DESC, None, 5)
    store.add([row(n, price_amount=99_999) for n in range(100, 105)])
    index.refresh()
    rest = every_from(index, Filters(), Sort.PRICE_DESC, first.next_cursor)
    assert sorted(first.listing_ids + rest) == sorted(prices)


def every_from(index: SearchIndex, filters: Filters, sort: Sort, cursor: str | None) -> list[UUID]:
    found: list[UUID] = []
    while cursor is not None:
        page = index.search(filters, sort, cursor, 4)
        found += page.listing_ids
        cursor = page.next_cursor
    return found


def test_relevance_pages_within_its_snapshot_while_another_replaces_it() -> None:
    rows = [row(n, title=f"Opal {'opal ' * (n % 3)}ring") for n in range(10)]
    store = Index(rows)
    index = store.search
    first = index.search(Filters(q="opal"), None, None, 4)
    store.add([row(n, title="Opal opal opal opal ring") for n in range(20, 25)])
    index.refresh()
    rest = every_from(index, Filters(q="opal"), Sort.RELEVANCE, first.next_cursor)
    assert sorted(first.listing_ids + rest) == sorted(r["listing_id"] for r in rows)
    # Once the old snapshot is dropped, paging continues in the current one.
    index.keep_s = 0
    index.refresh()
    assert index.search(Filters(q="opal"), None, first.next_cursor, 4).total == 15


def test_title_over_attributes_over_description_and_exact_over_typos() -> None:
    in_title = row(1, title="Garnet ring", attributes="", description="")
    in_attributes = row(2, title="Ring", attributes="garnet", description="")
    in_description = row(3, title="Ring", attributes="", description="A garnet inside.")
    index = Index([in_description, in_attributes, in_title]).search
    page = index.search(Filters(q="garnets"), None, None, 24)
    assert page.listing_ids == [r["listing_id"] for r in (in_title, in_attributes, in_description)]
    # "garnte" is no word of the index: one edit away from garnet, found; did_you_mean stays
    # None as the query finds enough.
    assert index.search(Filters(q="garnte"), None, None, 24).total == 3


def test_did_you_mean_and_suggestions() -> None:
    index = Index([row(n) for n in range(6)]).search
    typo = index.search(Filters(q="hamered brooch"), None, None, 24)
    # "hamered" is within one edit of "hammered": found, and the correction finds no more.
    assert (typo.total, typo.did_you_mean) == (2, None)
    short = index.search(Filters(q="rnig"), None, None, 24)  # too short to forgive
    assert (short.total, short.did_you_mean) == (0, "ring")
    nothing = index.search(Filters(q="gold xqzzy"), None, None, 24)
    assert (nothing.total, nothing.did_you_mean) == (0, None)
    assert index.suggest("ham") == ["hammered"]
    assert index.suggest("gold pen") == ["gold pendant"]
    assert index.suggest("silver pen") == ["silver pendant"]
    assert index.suggest("silver ") == []


def test_a_word_a_few_listings_misspell_is_corrected_to_the_common_one() -> None:
    rows = [row(n, title="Sapphire ring") for n in range(20)] + [row(99, title="Saphire ring")]
    index = Index(rows).search
    page = index.search(Filters(q="saphire"), None, None, 24)
    # The word is held (one maker's typo), so it matches itself only; the common spelling is
    # offered.
    assert (page.total, page.did_you_mean) == (1, "sapphire")


def test_a_sorted_first_page_is_the_same_read_with_its_counts_or_from_the_cache() -> None:
    # The first page of an ordered sort is read inside the counting aggregation; once the counts
    # are cached, the same page comes from a search of its own. Both must agree.
    rows = [row(n, price_amount=1000 + (n * 37) % 900) for n in range(40)]
    for filters in (Filters(), Filters(q="gold"), Filters(category=Category.RING, max_price=1500)):
        for sort in (Sort.NEWEST, Sort.PRICE_ASC, Sort.PRICE_DESC, Sort.RATING):
            index = Index(rows).search
            counted = index.search(filters, sort, None, 7)
            cached = index.search(filters, sort, None, 7)
            assert counted.listing_ids == cached.listing_ids, (filters, sort)
            # The cursor holds the last key exactly (the aggregation's sort values are u64).
            assert (counted.total, counted.next_cursor) == (cached.total, cached.next_cursor)
            rest = every_from(index, filters, sort, counted.next_cursor) if counted.next_cursor else []
            assert len(set(counted.listing_ids + rest)) == counted.total


def test_a_synonym_counts_every_listing_any_phrase_of_its_group_matches() -> None:
    # "sterling" is one group with "sterling silver", "silver 925" and "925 silver": counting
    # matches the group by its fewest phrases, which must find exactly what every phrase does.
    texts = ["Sterling hoops", "Sterling silver cuff", "Silver 925 studs", "925 silver chain", "Silver ring"]
    rows = [row(n, title=text, attributes="", description="") for n, text in enumerate(texts)]
    index = Index(rows).search
    page = index.search(Filters(q="sterling"), Sort.NEWEST, None, 10)
    assert page.total == 4
    assert set(page.listing_ids) == {r["listing_id"] for r in rows[:4]}
    ranked = index.search(Filters(q="sterling"), Sort.RELEVANCE, None, 10)
    assert ranked.total == 4 and set(ranked.listing_ids) == set(page.listing_ids)


def test_a_filter_narrows_a_ranking_without_reordering_it() -> None:
    # The same words, so the same relevance; only how many filter terms each listing carries
    # differs (a word's score in `terms` would favour the listing with the fewest).
    extra = ["occasion:wedding", "occasion:anniversary", "stone:garnet", "stone_origin:natural"]
    rows = [
        row(n, title="Garnet ring", attributes="gold ring", terms=[*row(n)["terms"], *extra[: n % 5]])
        for n in range(0, 40, 2)  # every one gold
    ]
    index = Index(rows).search
    ranked = every(index, Filters(q="garnet"), Sort.RELEVANCE)
    assert every(index, Filters(q="garnet", metal=MetalType.GOLD), Sort.RELEVANCE) == ranked
    assert every(index, Filters(q="garnet", metal=MetalType.GOLD, max_price=5000), Sort.RELEVANCE) == ranked
