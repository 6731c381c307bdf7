"""What a maker's views show (services/makers/domain/views.py): the public view only public
fields, the owner view the whole record, the snapshot the catalogue keeps, and the rating."""

from __future__ import annotations

import pytest

from services.makers.domain import MakerStatus, ShippingProfile
from shared.contracts.reviews import Rating
from tests.unit.makers_domain_support import (
    LATER,
    OPERATOR,
    OWNER,
    TODAY,
    draft,
    maker_in,
    profile_data,
    submit,
)


def test_public_view_shows_only_public_fields() -> None:
    maker = draft(
        sourcing_claims=[
            {
                "scheme": "fairtrade",
                "scope": "metal",
                "supplier": "Secret Refinery Ltd",
                "certificate_id": "FT-99",
                "evidence_url": "https://evidence.example.com/ft-99.pdf",
            }
        ]
    )
    submit(maker)
    maker.review("approve", None, OPERATOR, LATER)
    maker.review_claim("fairtrade", "verified", "Certificate checked", OPERATOR, LATER)

    view = maker.public_view(TODAY).model_dump(mode="json")

    assert view == {
        "id": str(maker.id),
        "handle": "silver-and-stone",
        "display_name": "Silver & Stone",
        "bio": "Rings forged in Sheffield.",
        "location": {"country": "GB", "region": "South Yorkshire"},
        "techniques": ["lost-wax casting", "stone setting"],
        "sourcing_claims": [
            {
                "scheme": "fairtrade",
                "scope": "metal",
                "expires_on": None,
                "evidenced": True,
                "status": "evidenced",
            }
        ],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "joined_at": "2025-06-02T09:00:00Z",
        "accepts_commissions": True,
        "shipping": ["uk"],  # the default profile's zones
        "rating": {"average": None, "count": 0},  # nothing rated yet
    }
    for private in ("FT-99", "evidence.example.com", "Secret Refinery", "Ada Smith"):
        assert private not in str(view)


def test_owner_view_is_the_whole_record() -> None:
    maker = maker_in(MakerStatus.CHANGES_REQUESTED)

    view = maker.owner_view(TODAY).model_dump(mode="json")

    assert set(profile_data()) < set(view)
    assert view["status"] == "changes_requested"
    assert view["id"] == str(maker.id)
    assert view["user_id"] == str(OWNER)
    assert view["legal_name"] == "Ada Smith"
    assert view["version"] == maker.version
    assert view["created_at"] == "2025-06-01T09:00:00Z"
    assert view["joined_at"] is None
    assert {"item": "terms_accepted", "status": "met", "blocking": True} in view["checklist"]
    assert view["history"][0] == {
        "from": None,
        "to": "draft",
        "at": "2025-06-01T09:00:00Z",
        "by": str(OWNER),
        "note": None,
    }
    assert view["history"][-1] == {
        "from": "submitted",
        "to": "changes_requested",
        "at": "2025-06-01T09:00:00Z",
        "by": str(OPERATOR),
        "note": "Add a portfolio with close-ups",
    }


def test_catalogue_snapshot() -> None:
    maker = draft(
        sourcing_claims=[
            {"scheme": "fairmined", "scope": "metal", "certificate_id": "FM-1", "expires_on": "2026-01-01"},
            {"scheme": "recycled", "scope": "metal", "evidence_url": "https://example.com/r"},
            {"scheme": "other", "scope": "stone"},
        ],
        natural_diamonds=True,
        system_of_warranties_attested=True,
        vat_number="GB 999 9999 73",
    )
    assert [c.evidenced for c in maker.catalogue_snapshot(TODAY).sourcing_claims] == [False, False, False]
    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    maker.review_claim("recycled", "verified", None, OPERATOR, LATER)

    assert maker.catalogue_snapshot(TODAY).model_dump(mode="json") == {
        "maker_id": str(maker.id),
        "user_id": str(OWNER),
        "version": 3,
        "status": "draft",
        "handle": "silver-and-stone",
        "display_name": "Silver & Stone",
        "sourcing_claims": [
            {"scheme": "fairmined", "scope": "metal", "evidenced": True, "expires_on": "2026-01-01"},
            {"scheme": "recycled", "scope": "metal", "evidenced": True, "expires_on": None},
            {"scheme": "other", "scope": "stone", "evidenced": False, "expires_on": None},
        ],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "accepts_commissions": True,
        "works_precious_metals": True,
        "natural_diamonds": True,
        "system_of_warranties_attested": True,
        # For orders' invoices only (shared/contracts/makers.py).
        "invoicing": {"legal_name": "Ada Smith", "vat_number": "GB999999973"},
        # Never set: the default profile (shipping.py).
        "shipping": ShippingProfile.default().model_dump(mode="json"),
    }


def test_views_have_json_schemas_for_the_openapi_document() -> None:
    maker = draft()
    for view in (maker.public_view(TODAY), maker.owner_view(TODAY), maker.catalogue_snapshot(TODAY)):
        assert type(view).model_json_schema(mode="serialization")["type"] == "object"


@pytest.mark.parametrize(
    ("count", "total", "average"),
    [(0, 0, None), (3, 13, 4.33), (6, 25, 4.17), (8, 37, 4.63), (1, 5, 5.0)],
)
def test_views_show_the_rating_rounded_half_up_to_two_decimals(
    count: int, total: int, average: float | None
) -> None:
    maker = maker_in(MakerStatus.APPROVED)
    maker.rating = Rating(count, total)
    expected = {"average": average, "count": count}
    assert maker.public_view(TODAY).model_dump(mode="json")["rating"] == expected
    assert maker.owner_view(TODAY).model_dump(mode="json")["rating"] == expected
