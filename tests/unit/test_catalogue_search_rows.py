"""The search row a listing is found by, the filter terms a query looks for, and cursors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from services.catalogue.domain import (
    Category,
    Listing,
    ListingDraft,
    MakerClaim,
    MetalType,
    ProductionKind,
    SourcingScheme,
    StoneOrigin,
)
from services.catalogue.search import Filters, Sort, search_row
from services.catalogue.search.engine import FACETS
from services.catalogue.search.query import Position, decode_position
from services.catalogue.store import MakerRecord
from shared.errors import ProblemError
from shared.paging import encode_cursor
from tests.support.photos import PHOTO, ready_images

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
MAKER = UUID("00000000-0000-4000-8000-00000000000b")


def maker(status: str = "approved", claims: list[dict] | None = None) -> MakerRecord:
    return MakerRecord(
        MAKER, uuid4(), 3, status, "maker", "Maker", claims or [], None, True, False, False, NOW
    )


def listing(**fields: object) -> Listing:
    item = Listing.create(
        listing_id=uuid4(),
        maker_id=MAKER,
        now=NOW,
        fields=ListingDraft.model_validate(
            {
                "title": "Heated sapphire ring",
                "description": "Hammered by hand.",
                "category": "ring",
                "occasions": ["Wedding"],
                "style_tags": ["art deco"],
                "techniques": ["stone setting"],
                "price": {"amount": 45000},
                "production": {"kind": "one_of_a_kind"},
                "metals": [
                    {"metal": "gold", "fineness": 750, "colour": "rose", "weight_g": "4"},
                    {"metal": "silver", "fineness": 925, "weight_g": "1", "recycled": True},
                ],
                "hallmark": {"status": "hallmarked", "sponsor_mark": "AB", "assay_office": "london"},
                "stones": [
                    {"type": "Sapphire", "origin": "natural", "treatments": ["heating"]},
                    {"type": "cubic zirconia", "origin": "lab_grown"},
                ],
                "sourcing_claims": ["fairmined", "fairtrade"],
                "options": {"ring_size_mm": {"min": 50, "max": 56}},
                "photos": [PHOTO],
                **fields,
            }
        ),
    )
    item.publish(
        now=NOW,
        maker_claims=[
            MakerClaim(scheme="fairmined", evidenced=True),
            MakerClaim(scheme="fairtrade", evidenced=True),
        ],
        images=ready_images(MAKER),
    )
    return item


def test_the_search_row_holds_every_filter_value_and_the_weighted_text() -> None:
    item = listing()
    row = search_row(
        item,
        maker(claims=[{"scheme": "fairmined", "scope": "metal", "evidenced": True, "expires_on": None}]),
        date(2025, 6, 2),
    )
    assert row.terms == sorted(
        [
            f"maker:{MAKER}",
            "category:ring",
            "production:one_of_a_kind",
            "metal:gold",
            "fineness:750",
            "metal_fineness:gold:750",
            "metal:silver",
            "fineness:925",
            "metal_fineness:silver:925",
            "stone:sapphire",
            "stone_origin:natural",
            "stone_type_origin:sapphire:natural",
            "stone:cubic zirconia",
            "stone_origin:lab_grown",
            "stone_type_origin:cubic zirconia:lab_grown",
            "sourcing:fairmined",  # the maker no longer holds fairtrade: not found by it
            "occasion:wedding",
        ]
    )
    assert (row.visible, row.price_amount, row.published_at) == (True, 45000, NOW)
    assert row.category == "ring"
    assert row.title == "Heated sapphire ring"
    assert row.attributes.split() == [
        "stone",
        "setting",
        "art",
        "deco",
        "wedding",
        "ring",
        "gold",
        "rose",
        "18ct",
        "750",
        "silver",
        "sterling",
        "925",
        "recycled",
        "sapphire",
        "natural",
        "cubic",
        "zirconia",
        "lab-grown",
        "Maker",  # the maker's display name
    ]
    assert row.description == "Hammered by hand."


def test_every_facet_is_a_filter_dimension_of_the_row() -> None:
    values = {
        "category": Category,
        "metal": MetalType,
        "stone_origin": StoneOrigin,
        "production": ProductionKind,
        "sourcing": SourcingScheme,
    }
    assert set(values) == set(FACETS)


def test_a_suspended_makers_listing_is_not_visible() -> None:
    assert not search_row(listing(), maker("suspended"), date(2025, 6, 2)).visible


@pytest.mark.parametrize(
    ("filters", "terms"),
    [
        (Filters(), []),
        (Filters(metal="gold"), ["metal:gold"]),
        (Filters(fineness=750), ["fineness:750"]),
        (Filters(metal="gold", fineness=750), ["metal_fineness:gold:750"]),
        (Filters(stone=" Cubic  Zirconia "), ["stone:cubic zirconia"]),
        (Filters(stone_origin="natural"), ["stone_origin:natural"]),
        (Filters(stone="sapphire", stone_origin="natural"), ["stone_type_origin:sapphire:natural"]),
        (
            Filters(
                category="ring",
                production="made_to_order",
                sourcing="fairmined",
                occasion="Wedding",
                maker_id=MAKER,
            ),
            [
                "category:ring",
                "production:made_to_order",
                "sourcing:fairmined",
                f"maker:{MAKER}",
                "occasion:wedding",
            ],
        ),
    ],
)
def test_filters_become_the_terms_a_row_must_hold(filters: Filters, terms: list[str]) -> None:
    assert filters.terms() == terms


@pytest.mark.parametrize("sort", list(Sort))
def test_cursors_round_trip(sort: Sort) -> None:
    position = Position(sort, 1765000000000, 48, 0.25 if sort is Sort.RELEVANCE else 2**63 + 5)
    assert decode_position(position.encode(), sort) == position


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor(["price_asc", 1, 24, 100]),  # another sort's
        encode_cursor(["newest", 1, 24, 1.5]),  # a relevance key
        encode_cursor(["newest", 1, 24, -1]),
        encode_cursor(["newest", 1, 24, 2**64]),
        encode_cursor(["newest", 1, -24, 100]),
        encode_cursor(["newest", -1, 24, 100]),
        encode_cursor(["newest", True, 24, 100]),
        encode_cursor(["newest", 1, 24]),
        encode_cursor(["newest", "1", 24, 100]),
    ],
)
def test_bad_cursors_are_400(cursor: str) -> None:
    with pytest.raises(ProblemError) as error:
        decode_position(cursor, Sort.NEWEST)
    assert (error.value.status, error.value.code) == (400, "invalid_cursor")
