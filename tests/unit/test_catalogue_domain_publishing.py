"""The rules a listing must meet to be published (services/catalogue/domain/publishing.py): the
required fields for each production kind, stone descriptions that would mislead, sourcing claims
the maker must hold, the options a category takes, and every violation reported together."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.catalogue.domain import ListingDraft, MakerClaim, publish_violations
from tests.unit.catalogue_domain_support import (
    CZ,
    LAB_DIAMOND,
    NATURAL_SAPPHIRE,
    TODAY,
    codes,
    draft,
    violations_of,
)

# --- required fields ------------------------------------------------------------------------------


def test_an_empty_draft_reports_every_missing_basic_together() -> None:
    assert set(codes(violations_of(ListingDraft()))) == {
        "title_required",
        "description_required",
        "category_required",
        "price_required",
        "production_required",
        "photos_required",
    }


def test_each_missing_basic_names_its_field() -> None:
    found = {v.code: v.loc for v in violations_of(ListingDraft())}
    assert found["title_required"] == ("title",)
    assert found["photos_required"] == ("photos",)


@pytest.mark.parametrize(
    ("production", "expected"),
    [
        ({"kind": "ready_to_ship", "stock": 1}, []),
        ({"kind": "ready_to_ship", "stock": 0}, ["stock_required"]),
        ({"kind": "ready_to_ship"}, ["stock_required"]),
        (
            {"kind": "ready_to_ship", "stock": 2, "lead_time_days": {"min": 1, "max": 2}},
            ["production_field_not_allowed"],
        ),
        ({"kind": "made_to_order", "lead_time_days": {"min": 1, "max": 1}}, []),
        ({"kind": "made_to_order", "lead_time_days": {"min": 7, "max": 21}}, []),
        ({"kind": "made_to_order"}, ["lead_time_required"]),
        (
            {"kind": "made_to_order", "stock": 4, "lead_time_days": {"min": 7, "max": 21}},
            ["production_field_not_allowed"],
        ),
        ({"kind": "one_of_a_kind"}, []),
        ({"kind": "one_of_a_kind", "stock": 1}, []),
        ({"kind": "one_of_a_kind", "stock": 2}, ["production_field_not_allowed"]),
        ({"kind": "one_of_a_kind", "stock": 0}, ["production_field_not_allowed"]),
        (
            {"kind": "one_of_a_kind", "lead_time_days": {"min": 1, "max": 2}},
            ["production_field_not_allowed"],
        ),
    ],
)
def test_required_fields_per_production_kind(production: dict[str, Any], expected: list[str]) -> None:
    assert codes(violations_of(draft(production=production))) == expected


def test_production_violations_name_the_field() -> None:
    [violation] = violations_of(draft(production={"kind": "made_to_order"}))
    assert violation.loc == ("production", "lead_time_days")


# --- stone descriptions ---------------------------------------------------------------------------

LAB_SAPPHIRE = {"type": "sapphire", "origin": "lab_grown"}


@pytest.mark.parametrize(
    ("stones", "title", "description", "misleading_in"),
    [
        ([LAB_DIAMOND], "Real diamond solitaire", "Lab-grown.", [("title",)]),
        ([LAB_DIAMOND], "Lab-grown diamond ring", "A REAL DIAMOND for life.", [("description",)]),
        ([LAB_DIAMOND], "Natural diamond ring", "Natural diamond.", [("title",), ("description",)]),
        ([LAB_DIAMOND], "Solitaire", "This diamond is 100% real.", [("description",)]),
        ([LAB_DIAMOND], "Solitaire", "Our diamonds are genuine.", [("description",)]),
        ([LAB_DIAMOND], "Genuine lab-grown diamond", "Lab-grown.", [("title",)]),
        ([LAB_DIAMOND], "Solitaire", "Set with a real 0.5ct diamond.", [("description",)]),
        ([LAB_SAPPHIRE], "Genuine sapphire ring", "Lab-grown sapphire.", [("title",)]),
        ([LAB_SAPPHIRE], "Natural blue sapphires", "Lab-grown.", [("title",)]),
        ([CZ], "Genuine cubic zirconia studs", "Imitation stones.", [("title",)]),
        ([CZ], "Halo ring", "Sparkles like a genuine diamond would.", [("description",)]),
        ([CZ], "Halo ring", "Set with real stones.", [("description",)]),
        ([LAB_DIAMOND], "Laboratory-grown diamond ring", "A lab-grown diamond.", []),
        ([LAB_DIAMOND], "Real gold ring with a lab-grown diamond", "Lab-grown.", []),
        ([LAB_DIAMOND], "Solitaire", "Genuine silver, lab-grown diamond.", []),
        ([LAB_DIAMOND], "Solitaire", "A realistic diamond look. Lab-grown.", []),
        ([LAB_DIAMOND], "Solitaire", "Really lovely lab-grown diamond.", []),
        ([CZ], "Cubic zirconia halo ring", "Imitation stones in a natural setting.", []),
        ([NATURAL_SAPPHIRE], "Natural sapphire ring", "A genuine, real sapphire.", []),
        (
            [NATURAL_SAPPHIRE, LAB_DIAMOND],
            "Natural sapphire and lab-grown diamond ring",
            "A natural sapphire, with lab-grown diamonds.",
            [],
        ),
        ([{"type": "diamond", "origin": "natural"}], "Natural diamond ring", "Real diamond.", []),
    ],
)
def test_misleading_stone_descriptions(
    stones: list[dict[str, Any]], title: str, description: str, misleading_in: list[tuple[str]]
) -> None:
    found = violations_of(draft(stones=stones, title=title, description=description))
    assert all(v.code == "misleading_stone_description" for v in found)
    assert [v.loc for v in found] == misleading_in


def test_a_misleading_description_names_the_stone_and_the_word() -> None:
    listing = draft(stones=[NATURAL_SAPPHIRE, LAB_DIAMOND], title="A real diamond")
    [violation] = violations_of(listing)
    assert "stones[1]" in violation.msg
    assert "'real'" in violation.msg


# --- sourcing claims ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maker_claims", "expected"),
    [
        ([], ["claim_not_held"]),
        ([MakerClaim(scheme="fairtrade", evidenced=True)], ["claim_not_held"]),
        ([MakerClaim(scheme="fairmined", evidenced=True)], []),
        ([MakerClaim(scheme="fairmined", evidenced=False)], []),
        ([MakerClaim(scheme="fairmined", evidenced=True, expires_on=TODAY)], []),
        (
            [MakerClaim(scheme="fairmined", evidenced=True, expires_on=TODAY - timedelta(days=1))],
            ["claim_not_held"],
        ),
        (
            [
                MakerClaim(scheme="fairmined", evidenced=True, expires_on=TODAY - timedelta(days=30)),
                MakerClaim(scheme="fairmined", evidenced=False, expires_on=TODAY + timedelta(days=30)),
            ],
            [],
        ),
    ],
)
def test_claims_must_be_held_and_current(maker_claims: list[MakerClaim], expected: list[str]) -> None:
    listing = draft(sourcing_claims=["fairmined"])
    assert codes(publish_violations(listing, maker_claims, TODAY)) == expected


def test_claim_violations_name_the_claim_and_say_when_it_expired() -> None:
    expired = MakerClaim(scheme="recycled", evidenced=True, expires_on=date(2025, 1, 31))
    found = publish_violations(draft(sourcing_claims=["fairmined", "recycled"]), [expired], TODAY)
    assert [v.loc for v in found] == [("sourcing_claims", 0), ("sourcing_claims", 1)]
    assert "holds no fairmined" in found[0].msg
    assert "expired on 2025-01-31" in found[1].msg


def test_maker_claims_accept_the_makers_read_model_shape() -> None:
    claim = MakerClaim.model_validate(
        {"scheme": "rjc_coc", "scope": "metal", "evidenced": True, "expires_on": "2026-01-01"}
    )
    assert claim.is_current(TODAY)


# --- options --------------------------------------------------------------------------------------


def test_a_ring_needs_its_size() -> None:
    [violation] = violations_of(draft(options=None))
    assert (violation.code, violation.loc) == ("ring_size_required", ("options", "ring_size_mm"))


def test_ring_sizes_apply_only_to_rings() -> None:
    found = violations_of(draft(category="pendant"))
    assert codes(found) == ["option_not_applicable"]


def test_the_engraving_price_is_in_the_listing_currency() -> None:
    listing = draft(
        options={
            "ring_size_mm": {"min": "50", "max": "50"},
            "engraving": {"max_chars": 12, "price_delta": {"amount": 500, "currency": "EUR"}},
        }
    )
    [violation] = violations_of(listing)
    assert violation.code == "currency_mismatch"
    assert violation.loc == ("options", "engraving", "price_delta", "currency")


# --- all together ---------------------------------------------------------------------------------


def test_all_violations_are_reported_together() -> None:
    listing = draft(
        title="Real diamond ring",
        price=None,
        photos=[],
        production={"kind": "made_to_order"},
        metals=[
            {"metal": "gold", "fineness": 800, "weight_g": "3"},
            {"metal": "silver", "fineness": 925, "weight_g": "2"},
        ],
        hallmark={"status": "exempt_under_weight"},
        stones=[LAB_DIAMOND],
        sourcing_claims=["fairtrade"],
        options=None,
    )
    assert sorted(codes(violations_of(listing))) == sorted(
        [
            "price_required",
            "photos_required",
            "lead_time_required",
            "fineness_not_legal",
            "hallmark_required",
            "misleading_stone_description",
            "claim_not_held",
            "ring_size_required",
        ]
    )
