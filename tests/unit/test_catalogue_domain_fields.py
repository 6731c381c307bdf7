"""A listing's fields as value objects (services/catalogue/domain/fields.py): what each field
accepts (money, weights, finenesses, carats, text and tag limits, production, options), how text is
normalised, and a draft's JSON round trip."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from services.catalogue.domain import ListingDraft, ListingPatch
from tests.support.photos import PHOTO
from tests.unit.catalogue_domain_support import MAKER_ID, draft, violations_of


def test_a_valid_listing_has_no_violations() -> None:
    assert violations_of(draft()) == []


def test_unknown_fields_are_rejected_at_every_level() -> None:
    with pytest.raises(ValidationError):
        draft(status="published")
    with pytest.raises(ValidationError):
        draft(price={"amount": 100, "currency": "GBP", "discount": 5})
    with pytest.raises(ValidationError):
        ListingPatch.model_validate({"maker_id": str(MAKER_ID)})


@pytest.mark.parametrize(
    "price",
    [
        {"amount": 0},
        {"amount": -1},
        {"amount": 12.5},
        {"amount": "12500"},
        {"amount": 100, "currency": "gbp"},
        {"amount": 100, "currency": "POUND"},
    ],
)
def test_money_is_positive_integer_minor_units_in_an_iso_currency(price: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        draft(price=price)


def test_money_defaults_to_gbp() -> None:
    assert draft(price={"amount": 100}).price.currency == "GBP"  # type: ignore[union-attr]


@pytest.mark.parametrize("weight", ["0", "-1", "7.7801", "100000"])
def test_metal_weight_is_positive_with_at_most_three_decimals(weight: str) -> None:
    with pytest.raises(ValidationError):
        draft(metals=[{"metal": "silver", "fineness": 925, "weight_g": weight}])


def test_a_metal_weight_sent_as_a_json_number_keeps_its_decimal_value() -> None:
    listing = ListingDraft.model_validate_json(
        '{"metals": [{"metal": "silver", "fineness": 925, "weight_g": 7.78}]}'
    )
    assert listing.metals[0].weight_g == Decimal("7.78")


@pytest.mark.parametrize("fineness", [-1, 1001])
def test_fineness_is_per_mille(fineness: int) -> None:
    with pytest.raises(ValidationError):
        draft(metals=[{"metal": "other", "fineness": fineness, "weight_g": "1"}])


@pytest.mark.parametrize("carat", ["0", "1.005"])
def test_carat_is_positive_with_two_decimals(carat: str) -> None:
    with pytest.raises(ValidationError):
        draft(stones=[{"type": "diamond", "origin": "natural", "carat": carat}])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "ab"),
        ("title", "x" * 141),
        ("title", "Ring\x00"),
        ("description", "x" * 5001),
        ("style_tags", [f"tag{i}" for i in range(14)]),
        ("images", ["https://images.example.com/ring.jpg"]),  # read-only: derived from photos
        ("photos", [{"image_id": "not-an-id", "alt": "A ring"}]),
        ("photos", [{**PHOTO, "url": "https://images.example.com/ring.jpg"}]),
        ("sourcing_claims", ["conflict_free"]),
        ("category", "tiara"),
    ],
)
def test_listing_field_limits(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        draft(**{field: value})


def test_text_and_tags_are_normalised() -> None:
    listing = draft(
        title="  Signet ring  ",
        style_tags=["Art  Deco", "art deco", "Minimal"],
        description="Line one.\nLine two.",
    )
    assert listing.title == "Signet ring"
    assert listing.style_tags == ["art deco", "minimal"]
    assert listing.description == "Line one.\nLine two."


@pytest.mark.parametrize("mark", ["A", "ABCDEF", "AB1", "A B"])
def test_sponsor_mark_is_two_to_five_letters(mark: str) -> None:
    with pytest.raises(ValidationError):
        draft(hallmark={"status": "hallmarked", "sponsor_mark": mark, "assay_office": "london"})


def test_sponsor_mark_is_stored_upper_case() -> None:
    listing = draft(hallmark={"status": "hallmarked", "sponsor_mark": "ads", "assay_office": "london"})
    assert listing.hallmark is not None and listing.hallmark.sponsor_mark == "ADS"


def test_stones_normalise_type_and_treatments() -> None:
    stone = draft(
        stones=[{"type": " Cubic  Zirconia ", "origin": "imitation", "treatments": ["coating", "coating"]}]
    ).stones[0]
    assert stone.type == "cubic zirconia"
    assert stone.treatments == ["coating"]
    assert stone.count == 1


@pytest.mark.parametrize(
    "production",
    [
        {"kind": "made_to_order", "lead_time_days": {"min": 10, "max": 5}},
        {"kind": "made_to_order", "lead_time_days": {"min": 0, "max": 5}},
        {"kind": "ready_to_ship", "stock": -1},
    ],
)
def test_production_values(production: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        draft(production=production)


@pytest.mark.parametrize(
    "ring_size",
    [{"min": "37.4", "max": "50"}, {"min": "50", "max": "76.3"}, {"min": "60", "max": "50"}],
)
def test_ring_size_range_lies_within_the_table(ring_size: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        draft(options={"ring_size_mm": ring_size})


def test_chain_lengths_are_sorted_and_unique() -> None:
    listing = draft(category="necklace", options={"chain_lengths_cm": [50, 40, 45, 40]})
    assert listing.options is not None and listing.options.chain_lengths_cm == [40, 45, 50]


def test_a_draft_survives_a_json_round_trip() -> None:
    listing = draft(
        stones=[{"type": "sapphire", "origin": "natural", "carat": "0.75", "count": 3}],
        options={
            "ring_size_mm": {"min": "54.375", "max": "54.375"},
            "engraving": {"max_chars": 20, "price_delta": {"amount": 1500}},
        },
    )
    assert ListingDraft.model_validate(listing.model_dump(mode="json")) == listing
