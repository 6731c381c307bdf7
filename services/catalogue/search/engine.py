"""The search index: its schema, a search row as a document, and searching it.

One tantivy index of the visible listings. Text is stemmed in English into one field (`text`)
holding the title four times, the attributes twice and the description once: BM25 over it
weighs a word in the title over one in the attributes over one in the description (the field
weights as repeated frequencies, as BM25F does), and a word is one term, so a query of several
words is an intersection of single terms, found and ranked in one pass. The three are also
kept apart with their positions (`title`, `attributes`, `description`) for quoted phrases, and
one unstemmed field of every word (`spell`) serves typo tolerance, corrections and completions.
Filters are exact terms (`terms`, as in the search row) and ranges over fast fields, and add
nothing to a score; facets and the total are one aggregation over every match (the page's own
search counts nothing), which also reads an ordered first page (its top hits by the sort key)
when it runs.
Each ordered sort has one fast u64 key: the sort value in the high bits, the low bits of the
listing's id below it (ties broken by id; two keys are equal only if the value and those bits
both are), so keyset paging is one range on one field. Equal relevance scores are ordered
newest first.

Searches read a searcher (a snapshot) kept a few minutes after newer ones replace it: a cursor
names its generation, so paging within a snapshot never repeats or skips a listing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID

import tantivy
from cachetools import LRUCache
from tantivy import FieldType, Occur, Order, Query

from services.catalogue.search import corrections
from services.catalogue.search.query import (
    Clause,
    Either,
    Filters,
    Position,
    Quoted,
    Sort,
    Synonyms,
    TextQuery,
    Word,
    decode_position,
    parse_text,
    typo_distance,
)
from services.catalogue.search.synonyms import Phrase, words

# Bumped whenever the schema or what a document holds changes: an index on disk made for
# another version is rebuilt.
SCHEMA_VERSION = 4

TEXT_WEIGHTS = {"title": 4.0, "attributes": 2.0, "description": 1.0}
FACETS = ("category", "metal", "stone_origin", "production", "sourcing")
_EPOCH_MS = 946684800_000  # 2000-01-01: milliseconds since then fit 42 bits until 2139
_ORDERED: dict[Sort, tuple[str, Order]] = {
    Sort.NEWEST: ("newest_key", Order.Desc),
    Sort.PRICE_ASC: ("price_key", Order.Asc),
    Sort.PRICE_DESC: ("price_key", Order.Desc),
    Sort.RATING: ("rating_key", Order.Desc),
}
# A relevance cursor is an offset into one snapshot's ranking: walking past this many
# matches is not offered (the ranking is recomputed up to the offset on every page).
MAX_RELEVANCE_OFFSET = 10_000
# Replaced snapshots kept readable at most (a commit every round under constant change).
MAX_SNAPSHOTS = 256
# Queries whose total and facets are kept, per snapshot.
COUNTED_CACHE = 2048
# How many matches beyond a page are read to order a group of equal scores at its end.
TIE_READ = 512
# The facets and the total: terms of each facet (more buckets than any facet has values), the
# category's counting documents without one under a key no category has (see `_aggregate`).
_NO_CATEGORY = "-"
_AGGREGATIONS: dict[str, Any] = {name: {"terms": {"field": name, "size": 100}} for name in FACETS}
_AGGREGATIONS["category"]["terms"]["missing"] = _NO_CATEGORY
# Fewer matches than this and the query is worth a correction.
DID_YOU_MEAN_BELOW = 3


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field("id_hi", fast=True)
    builder.add_unsigned_field("id_lo", fast=True)
    for name in TEXT_WEIGHTS:
        builder.add_text_field(name, tokenizer_name="en_stem")
    builder.add_text_field("spell", tokenizer_name="default", index_option="basic")
    builder.add_text_field("text", tokenizer_name="en_stem", index_option="freq")
    builder.add_text_field("terms", tokenizer_name="raw", index_option="basic")
    for name in FACETS:
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("price", fast=True)
    builder.add_float_field("rating", fast=True)
    for name in ("newest_key", "price_key", "rating_key"):
        builder.add_unsigned_field(name, fast=True)
    return builder.build()


_SCHEMA = build_schema()


def _key(high: int, bits: int, listing_id: UUID) -> int:
    """`high` (clamped to `bits` bits) over the low 64 - `bits` bits of the listing's id."""
    low_bits = 64 - bits
    return (max(0, min(high, (1 << bits) - 1)) << low_bits) | (listing_id.int & ((1 << low_bits) - 1))


class Row(Protocol):
    """A search row as read from PostgreSQL (an asyncpg Record) or built as a dict."""

    def __getitem__(self, key: str, /) -> Any: ...


def document(row: Row, schema: tantivy.Schema | None = None) -> tantivy.Document:
    """A visible search row as a document (of `schema`, built once by a caller adding many)."""
    listing_id: UUID = row["listing_id"]
    published: datetime | None = row["published_at"]
    price = row["price_amount"] or 0
    rating = float(row["rating_average"])
    published_ms = int(published.timestamp() * 1000) - _EPOCH_MS if published else 0
    rating_high = (round(rating * 100) << 25) | min(row["rating_count"], (1 << 25) - 1)
    terms: list[str] = row["terms"]
    fields: dict[str, Any] = {name: [] for name in FACETS}
    for term in terms:
        dimension, _, value = term.partition(":")
        if dimension in fields:
            fields[dimension].append(value)
    fields.update(
        id=str(listing_id),
        id_hi=listing_id.int >> 64,
        id_lo=listing_id.int & (2**64 - 1),
        title=row["title"],
        attributes=row["attributes"],
        description=row["description"],
        spell=" ".join(row[name] for name in TEXT_WEIGHTS),
        # Each weight as repetitions: BM25 over `text` counts a title word four times.
        text=[row[name] for name, weight in TEXT_WEIGHTS.items() for _ in range(int(weight))],
        terms=terms,
        price=price,
        rating=rating,
        newest_key=_key(published_ms, 42, listing_id),
        price_key=_key(price, 34, listing_id),
        rating_key=_key(rating_high, 34, listing_id),
    )
    # One call with the whole document: a field at a time cost several times more.
    return tantivy.Document.from_dict(fields, schema or _SCHEMA)


_STEMMER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)


def stems(text: str) -> list[str]:
    """Text as the stemmed fields index it (tantivy's `en_stem`)."""
    return list(_STEMMER.analyze(text))


@dataclass(frozen=True)
class Count:
    value: str
    count: int


@dataclass
class SearchPage:
    listing_ids: list[UUID]
    next_cursor: str | None
    total: int
    facets: dict[str, list[Count]] = field(default_factory=dict)
    did_you_mean: str | None = None


Counted = tuple[int, dict[str, list[Count]]]  # a query's total and facets


@lru_cache(maxsize=256)
def _fewest(group: tuple[Phrase, ...]) -> list[Phrase]:
    """The phrases of a synonym group that match what the whole group matches: a phrase whose
    words (as stems, in any order) include all of another's matches only what that one does
    ("sterling silver" within "sterling", "925 silver" as "silver 925"). Matching only: each
    phrase a group holds adds to a ranked match's score."""
    keys = [frozenset(frozenset(stems(word)) for word in phrase) for phrase in group]
    return [
        phrase
        for k, (phrase, key) in enumerate(zip(group, keys, strict=True))
        if not any(other < key or (other == key and j < k) for j, other in enumerate(keys))
    ]


class SearchIndex:
    """Searches over the snapshots of one index (thread-safe reads; `refresh` from one task)."""

    def __init__(self, index: tantivy.Index, keep_s: float = 300.0, after_generation: int = 0) -> None:
        self.index = index
        self.schema = index.schema
        self.keep_s = keep_s
        # Generations count up from the clock (milliseconds), so a cursor made before a restart
        # or a rebuild never names a different snapshot of the same number.
        self.generation = max(after_generation, time.time_ns() // 1_000_000)
        self._searchers: dict[int, tantivy.Searcher] = {}
        self._replaced: dict[int, float] = {}  # generation -> when a newer one replaced it
        # The total and facets of recent searches, by snapshot and filters; searches run on
        # several threads at once.
        self._counted: LRUCache[tuple[int, Filters], Counted] = LRUCache(maxsize=COUNTED_CACHE)
        self._counted_lock = threading.Lock()
        self.refresh()

    def refresh(self) -> None:
        """Read what the last commit made searchable, as a new generation."""
        self.index.reload()
        now = time.monotonic()
        if self._searchers:
            self._replaced[self.generation] = now
        self.generation += 1
        self._searchers[self.generation] = self.index.searcher()
        # A generation stays readable for `keep_s` after a newer one replaced it, and at most
        # MAX_SNAPSHOTS are kept (each holds its segments' files open), the oldest going first.
        expired = {generation for generation, at in self._replaced.items() if now - at >= self.keep_s}
        expired.update(list(self._replaced)[: max(0, len(self._replaced) - MAX_SNAPSHOTS)])
        for generation in expired:
            del self._replaced[generation], self._searchers[generation]

    def current(self) -> tantivy.Searcher:
        return self._searchers[self.generation]

    @property
    def documents(self) -> int:
        return int(self.current().num_docs)

    def _snapshot(self, generation: int | None) -> tuple[int, tantivy.Searcher]:
        found = self._searchers.get(generation) if generation is not None else None
        if found is None or generation is None:
            return self.generation, self.current()
        return generation, found

    # --- search -----------------------------------------------------------------------------------

    def search(self, filters: Filters, sort: Sort | None, cursor: str | None, limit: int) -> SearchPage:
        text = parse_text(filters.q)
        if sort is None or (sort is Sort.RELEVANCE and not text.required):
            sort = Sort.RELEVANCE if text.required else Sort.NEWEST
        after = decode_position(cursor, sort)
        generation, searcher = self._snapshot(after.generation if after else None)
        # Only relevance ranks matches: another order finds them through `text`, unscored.
        scored = sort is Sort.RELEVANCE
        query = self._query(searcher, text, filters, scored=scored)
        # The total and facets of a query are counted once per snapshot (the next page, the
        # same search by another shopper), in one aggregation over every match; the page's
        # own search then counts nothing.
        known = self._known(generation, filters)
        offset = after.offset if after else 0
        # An ordered first page is read by the pass that counts, when there is one (the top hits
        # by its key): one pass over the matches instead of two.
        top = _ORDERED[sort] if not scored and after is None and known is None else None
        read: list[tuple[int, UUID]] = []
        if known is None:
            counted, read = self._aggregate(
                searcher,
                self._query(searcher, text, filters, scored=False) if scored else query,
                (*top, limit + 1) if top else None,
            )
            self._remember(generation, filters, counted)
        total, facets = known or counted
        if scored:
            # Within its snapshot a ranking is fixed: the offset resumes it exactly.
            hits = self._ranked(searcher, query, offset + limit + 1)[offset:]
            more = len(hits) > limit and offset + limit < MAX_RELEVANCE_OFFSET
            page = self._keyed(searcher, hits[:limit])
        elif top:
            more = len(read) > limit
            page = read[:limit]
        else:
            key, order = _ORDERED[sort]
            page_query = query
            if after is not None:
                # Keyset: strictly after the last key, in whichever snapshot.
                if order is Order.Asc:
                    beyond = Query.range_query(
                        self.schema, key, FieldType.Unsigned, lower_bound=after.key, include_lower=False
                    )
                else:
                    beyond = Query.range_query(
                        self.schema, key, FieldType.Unsigned, upper_bound=after.key, include_upper=False
                    )
                page_query = Query.boolean_query([(Occur.Must, query), (Occur.Must, beyond)])
            hits = searcher.search(page_query, limit + 1, count=False, order_by_field=key, order=order).hits
            more = len(hits) > limit
            page = self._keyed(searcher, hits[:limit])
        next_cursor = None
        if more and page:
            next_cursor = Position(sort, generation, offset + limit, page[-1][0]).encode()
        did_you_mean = None
        if text.required and total < DID_YOU_MEAN_BELOW and filters.q:
            did_you_mean = self._did_you_mean(searcher, filters, total)
        return SearchPage(
            listing_ids=[listing_id for _, listing_id in page],
            next_cursor=next_cursor,
            total=total,
            facets=facets,
            did_you_mean=did_you_mean,
        )

    def _ranked(self, searcher: tantivy.Searcher, query: Query, count: int) -> list[tuple[Any, Any]]:
        """The `count` best matches by score, equal scores newest first. tantivy orders equal
        scores by where documents sit in its segments, which differs between instances that
        received the same changes in other batches: so when the last two tie, the rest of their
        group is read too (up to TIE_READ more matches; past that, instances may order a group
        apart)."""
        # One search reads the page and the matches after it that may tie with its end: a
        # second search when the last two tie scored every match again (most pages of
        # cloned listings end in a tie).
        found = searcher.search(query, count + TIE_READ, count=False)
        hits = found.hits[:count]
        if len(hits) == count > 1 and hits[-1][0] == hits[-2][0]:
            # The last two tie: the group may go on past them.
            boundary = hits[-1][0]
            hits = [hit for hit in found.hits if hit[0] >= boundary]
        keys = searcher.fast_field_values("newest_key", [address for _, address in hits])
        ranked = sorted(zip(hits, keys, strict=True), key=lambda hit: (-hit[0][0], -(hit[1] or 0)))
        return [hit for hit, _ in ranked[:count]]

    def _keyed(self, searcher: tantivy.Searcher, hits: list[tuple[Any, Any]]) -> list[tuple[Any, UUID]]:
        """Hits (key, address) as (key, listing id)."""
        ids = self._ids(searcher, [address for _, address in hits])
        return [(key, listing_id) for (key, _), listing_id in zip(hits, ids, strict=True)]

    def _ids(self, searcher: tantivy.Searcher, addresses: list[tantivy.DocAddress]) -> list[UUID]:
        if not addresses:
            return []
        highs = searcher.fast_field_values("id_hi", addresses)
        lows = searcher.fast_field_values("id_lo", addresses)
        return [
            UUID(int=(int(high or 0) << 64) | int(low or 0)) for high, low in zip(highs, lows, strict=True)
        ]

    def _known(self, generation: int, filters: Filters) -> Counted | None:
        with self._counted_lock:
            return self._counted.get((generation, filters))

    def _remember(self, generation: int, filters: Filters, counted: Counted) -> None:
        with self._counted_lock:
            self._counted[(generation, filters)] = counted

    def _aggregate(
        self, searcher: tantivy.Searcher, query: Query, top: tuple[str, Order, int] | None = None
    ) -> tuple[Counted, list[tuple[int, UUID]]]:
        """The number of matches and their facets, in one pass over every match; with `top`
        (a sort key, its order and a count), also the first matches by that key, as (key,
        listing id)."""
        aggregations = _AGGREGATIONS
        if top:
            key, order, count = top
            direction = "asc" if order is Order.Asc else "desc"
            aggregations = {
                **_AGGREGATIONS,
                "top": {
                    "top_hits": {
                        "size": count,
                        "sort": [{key: direction}],
                        "docvalue_fields": ["id_hi", "id_lo"],
                    }
                },
            }
        result = searcher.aggregate(query, aggregations)
        facets = {
            name: sorted(
                (
                    Count(bucket["key"], bucket["doc_count"])
                    for bucket in result[name]["buckets"]
                    if bucket["key"] != _NO_CATEGORY
                ),
                key=lambda c: (-c.count, c.value),
            )
            for name in FACETS
        }
        # A document has at most one category, and one without counts under _NO_CATEGORY: the
        # category buckets (with any beyond their size) count every match exactly once.
        category = result["category"]
        total = sum(bucket["doc_count"] for bucket in category["buckets"]) + category["sum_other_doc_count"]
        read = [
            (
                int(hit["sort"][0]),
                UUID(
                    int=(int(hit["docvalue_fields"]["id_hi"][0]) << 64)
                    | int(hit["docvalue_fields"]["id_lo"][0])
                ),
            )
            for hit in (result["top"]["hits"] if top else [])
        ]
        return (int(total), facets), read

    # --- the query --------------------------------------------------------------------------------

    def _query(
        self, searcher: tantivy.Searcher, text: TextQuery, filters: Filters, scored: bool = True
    ) -> Query:
        """The query of `text` and `filters`; unless `scored`, one that finds the same matches
        without ranking them (for counting: a word is one term of `text`, not one per field)."""
        must = [self._clause(searcher, clause, scored=scored) for clause in text.required]
        narrowing = [
            Query.term_query(self.schema, "terms", term, index_option="basic") for term in filters.terms()
        ]
        if filters.min_price is not None or filters.max_price is not None:
            narrowing.append(
                Query.range_query(
                    self.schema, "price", FieldType.Integer, filters.min_price, filters.max_price
                )
            )
        if filters.min_rating is not None:
            narrowing.append(Query.range_query(self.schema, "rating", FieldType.Float, filters.min_rating))
        if scored:
            # A filter narrows a ranking without reordering it: scored, a term of `terms` would
            # add more to a listing with fewer terms.
            narrowing = [Query.const_score_query(query, 0.0) for query in narrowing]
        must += narrowing
        if not must:
            must.append(Query.all_query())
        subqueries = [(Occur.Must, query) for query in must]
        subqueries += [
            (Occur.MustNot, self._clause(searcher, clause, typos=False, scored=scored))
            for clause in text.excluded
        ]
        return Query.boolean_query(subqueries)

    def _clause(
        self, searcher: tantivy.Searcher, clause: Clause, typos: bool = True, scored: bool = True
    ) -> Query:
        if isinstance(clause, Word):
            return self._word(searcher, clause.text, typos, scored)
        if isinstance(clause, Quoted):
            # A phrase is matched in each field: `text` would also join the end of one field
            # to the start of the next.
            phrase: list[str | tuple[int, str]] = [*stems(" ".join(clause.words))]
            return self._should(
                Query.boost_query(Query.phrase_query(self.schema, name, phrase), weight)
                for name, weight in TEXT_WEIGHTS.items()
            )
        if isinstance(clause, Synonyms):
            group = clause.group if scored else _fewest(clause.group)
            return self._should(
                Query.boolean_query(
                    [(Occur.Must, self._word(searcher, word, False, scored)) for word in phrase]
                )
                for phrase in group
            )
        assert isinstance(clause, Either)
        return self._should(self._clause(searcher, option, typos, scored) for option in clause.clauses)

    def _word(self, searcher: tantivy.Searcher, word: str, typos: bool, scored: bool = True) -> Query:
        """A word by its stem in `text` (ranked by BM25 over its weighted frequencies if
        `scored`, else matched only); a word the index does not hold at all also within its
        typo distance (so a real word never matches its neighbours, and an exact match always
        scores above a corrected one)."""
        option = "freq" if scored else "basic"
        exact = [Query.term_query(self.schema, "text", stem, index_option=option) for stem in stems(word)]
        distance = typo_distance(word)
        if typos and distance and searcher.doc_freq("spell", word) == 0:
            fuzzy = Query.fuzzy_term_query(self.schema, "spell", word, distance=distance)
            exact.append(Query.boost_query(fuzzy, 0.5))
        return self._should(exact)

    @staticmethod
    def _should(queries: Any) -> Query:
        queries = list(queries)
        if len(queries) == 1:
            return queries[0]  # one term stays a term (intersections of terms are the fastest)
        return Query.boolean_query([(Occur.Should, query) for query in queries])

    # --- corrections and completions --------------------------------------------------------------

    def _did_you_mean(self, searcher: tantivy.Searcher, filters: Filters, total: int) -> str | None:
        typed = words(filters.q or "")
        # A word few listings hold may be a maker's typo too: a far more common neighbour is
        # offered for it as for a word none holds.
        corrected = [
            corrections.closest(searcher, word, searcher.doc_freq("spell", word))
            if searcher.doc_freq("spell", word) < DID_YOU_MEAN_BELOW
            else word
            for word in typed
        ]
        better = [fixed or word for fixed, word in zip(corrected, typed, strict=True)]
        if better == typed:
            return None
        suggestion = " ".join(better)
        (found, _), _ = self._aggregate(
            searcher, self._query(searcher, parse_text(suggestion), Filters(q=suggestion), scored=False)
        )
        return suggestion if found > total else None

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions of the last word typed, among listings holding the words before it,
        the most common first."""
        typed = words(prefix)
        if not typed or prefix[-1:].isspace():
            return []
        *head, last = typed
        searcher = self.current()
        within = (
            Query.boolean_query([(Occur.Must, self._word(searcher, word, typos=False)) for word in head])
            if head
            else Query.all_query()
        )
        found = searcher.terms_with_prefix("spell", last, filter_query=within, limit=limit + 1)
        return [" ".join([*head, term]) for term, count in found if count and term != last][:limit]
