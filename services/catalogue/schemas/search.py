"""The search API's models: the query, the results with their facets, the suggestions, and
a page of results as JSON (items spliced in from each listing's cached rendering)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from services.catalogue.domain import (
    Category,
    MetalType,
    ProductionKind,
    SourcingScheme,
    StoneOrigin,
    StoneType,
    Tag,
)
from services.catalogue.schemas.listings import ListingView, listing_json
from services.catalogue.search import SearchPage
from services.catalogue.store import ListingRead
from shared.money import MAX_ABS_AMOUNT
from shared.paging import Page, PageQuery
from shared.text import single_line


def _blank_is_absent_in_schema(schema: dict[str, Any]) -> None:
    """The document says what the parser does: every parameter may also be sent blank."""
    for name, prop in list(schema.get("properties", {}).items()):
        schema["properties"][name] = {
            "anyOf": [prop, {"type": "string", "maxLength": 0}],
            **{k: prop[k] for k in ("description", "default") if k in prop},
        }


class SearchQuery(PageQuery):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_blank_is_absent_in_schema)

    q: Annotated[str, single_line(1, 200)] | None = Field(
        None,
        description="Full text over title, description, techniques, metals (with fineness names "
        "such as 18ct, sterling), stones, occasions, style tags and the maker's name; English "
        'stemming ("rings" finds "ring"); typos forgiven (one edit in words of 5+ letters, two in '
        "9+) for words no listing holds; jewellery synonyms (sterling = silver 925); web-search "
        'syntax ("quoted phrases", -excluded, or)',
    )
    category: Category | None = None
    metal: MetalType | None = None
    fineness: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="Per mille; with `metal`, that metal at that fineness",
    )
    stone: StoneType | None = Field(None, description="Stone type, e.g. sapphire")
    stone_origin: StoneOrigin | None = Field(None, description="With `stone`, that stone of that origin")
    # Bounded like every amount (shared/money.py), so a price filter always fits the index's
    # 64-bit price field.
    min_price: int | None = Field(None, ge=0, le=MAX_ABS_AMOUNT, description="Minor units (pence), inclusive")
    max_price: int | None = Field(None, ge=0, le=MAX_ABS_AMOUNT, description="Minor units (pence), inclusive")
    production: ProductionKind | None = None
    sourcing: SourcingScheme | None = Field(
        None, description="A sourcing scheme the listing cites and its maker holds"
    )
    maker_id: uuid.UUID | None = None
    occasion: Tag | None = None
    min_rating: float | None = Field(None, ge=0, le=5, description="Average rating at least this")
    sort: Literal["relevance", "newest", "price_asc", "price_desc", "rating"] | None = Field(
        None,
        description="Default: relevance with `q`, else newest. Relevance ranks every match by "
        "BM25 over the title, then the attributes, then the description",
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_means_absent(cls, data: Any) -> Any:
        # A search form sends every field, blank ones too (?q=&category=ring).
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data

    @model_validator(mode="after")
    def _price_range(self) -> SearchQuery:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise PydanticCustomError("range_inverted", "min_price must not exceed max_price")
        return self


class FacetCount(BaseModel):
    value: str
    count: int


class Total(BaseModel):
    count: int


class Facets(BaseModel):
    category: list[FacetCount]
    metal: list[FacetCount]
    stone_origin: list[FacetCount]
    production: list[FacetCount]
    sourcing: list[FacetCount]


class SearchResults(Page[ListingView]):
    """One page of visible listings in the chosen order, the total and the facets.

    `facets` count the listings matching the current `q` and every filter (including the
    dimension's own filter), per value, largest first; values with no match are left out. A
    listing counts once per metal, stone origin and sourcing scheme it has, so those facets may
    add up to more than the total.

    Counts are exact over every match, and the category and production facets add up to the
    total.

    Sorts: `relevance` ranks every match (BM25, a title match over techniques, metals, stones,
    occasions, tags and the maker's name, over the description). `newest` is by first
    publication; `price_asc` / `price_desc` by price in minor units; `rating` by average
    rating, then number of ratings. Equal prices and ratings are ordered by the listing's id,
    equal relevance newest first.

    Paging: `next_cursor` continues from the last item in the same sort: within the snapshot
    of the catalogue the first page was read from (kept a few minutes), it never repeats an
    item nor skips one; after that, `newest` and the price and rating sorts continue from the
    last item's position in the current catalogue (a listing whose price changed meanwhile
    moves in the price orders).

    `did_you_mean`: when fewer than three listings match, a corrected query that finds more
    (e.g. "sapphire rnig" -> "sapphire ring"), else null."""

    total: Total
    facets: Facets
    did_you_mean: str | None = None


class SuggestQuery(BaseModel):
    q: Annotated[str, single_line(1, 100)] = Field(description="What has been typed so far")


class Suggestions(BaseModel):
    """At most 8 completions of the last word typed, among listings holding the words before
    it, the most common first."""

    suggestions: list[str]


def search_results_json(
    page: SearchPage,
    found: dict[uuid.UUID, ListingRead],
    today: date,
    favourites: set[uuid.UUID] | None = None,
) -> bytes:
    """A page of search results as JSON, its items in the page's order as the public sees them
    (with `favourited` from `favourites` for a signed-in customer, else null). The items are
    spliced in as they were rendered (`listing_json`, cached) into the rest of the results
    serialised with no items."""
    results = SearchResults(
        items=[],
        next_cursor=page.next_cursor,
        total=Total(count=page.total),
        facets=Facets(
            **{
                dimension: [FacetCount(value=c.value, count=c.count) for c in counts]
                for dimension, counts in page.facets.items()
            }
        ),
        did_you_mean=page.did_you_mean,
    )
    rest = pydantic_core.to_json(results)
    head = b'{"items":['
    assert rest.startswith(head + b"]")
    items = b",".join(
        listing_json(
            *found[listing_id],
            today,
            full=False,
            favourited=None if favourites is None else listing_id in favourites,
        )
        for listing_id in page.listing_ids
        if listing_id in found
    )
    return head + items + rest[len(head) :]
