"""The catalogue domain: value objects, publishing rules, the listing state machine, stock,
disclosures and ring sizes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.catalogue.domain import (
    DEALERS_NOTICE_TEXT,
    PRECIOUS_METAL_RULES,
    RING_SIZE_MAX_MM,
    RING_SIZE_MIN_MM,
    RING_SIZES,
    Availability,
    Listing,
    ListingDraft,
    ListingEventName,
    ListingPatch,
    ListingStatus,
    MakerClaim,
    MetalType,
    Production,
    ReserveRefusal,
    StockCounters,
    StockInvariantError,
    carats_to_grams,
    commit_stock,
    disclosures,
    grams_to_carats,
    mm_for_uk,
    mm_for_us,
    precious_metal_weights,
    publish_violations,
    release_stock,
    reserve_stock,
    shown_sourcing_claims,
    uk_size,
    us_size,
)
from services.catalogue.domain.stock import restock_refusal
from shared.errors import RulesViolated, StateConflict
from tests.support.photos import PHOTO, ready_images

LISTING_ID = UUID("00000000-0000-4000-8000-00000000000a")
MAKER_ID = UUID("00000000-0000-4000-8000-00000000000b")
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
TODAY = NOW.date()
FAIRMINED_EVIDENCED = MakerClaim(scheme="fairmined", evidenced=True)
IMAGES = ready_images(MAKER_ID)  # the listing's photo is ready


def listing_data(**overrides: Any) -> dict[str, Any]:
    """A sterling silver ring that meets every publishing rule."""
    return {
        "title": "Sterling silver signet ring",
        "description": "Hand-carved and cast in recycled sterling silver.",
        "category": "ring",
        "occasions": ["everyday"],
        "style_tags": ["minimal"],
        "techniques": ["lost-wax casting"],
        "price": {"amount": 12500, "currency": "GBP"},
        "production": {"kind": "ready_to_ship", "stock": 3},
        "metals": [{"metal": "silver", "fineness": 925, "weight_g": "9.5", "recycled": True}],
        "hallmark": {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "sheffield"},
        "stones": [],
        "sourcing_claims": [],
        "options": {"ring_size_mm": {"min": "48.75", "max": "60"}},
        "photos": [PHOTO],
        **overrides,
    }


def draft(**overrides: Any) -> ListingDraft:
    return ListingDraft.model_validate(listing_data(**overrides))


def codes(violations: list[Any]) -> list[str]:
    return [violation.code for violation in violations]


def violations_of(listing: ListingDraft, claims: list[MakerClaim] | None = None) -> list[Any]:
    return publish_violations(listing, claims or [], TODAY, images=IMAGES)


def new_listing(**overrides: Any) -> Listing:
    return Listing.create(listing_id=LISTING_ID, maker_id=MAKER_ID, fields=draft(**overrides), now=NOW)


def published(**overrides: Any) -> Listing:
    listing = new_listing(**overrides)
    listing.publish(now=NOW, maker_claims=[], images=IMAGES)
    listing.pull_events()
    return listing


def event_names(listing: Listing) -> list[str]:
    return [event.name for event in listing.pull_events()]


# --- value objects --------------------------------------------------------------------------------


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


# --- fineness -------------------------------------------------------------------------------------

LEGAL_FINENESSES = [
    (metal, fineness)
    for metal, rule in PRECIOUS_METAL_RULES.items()
    for fineness in sorted(rule.legal_finenesses)
]


def test_legal_finenesses_are_exactly_the_hallmarking_act_table() -> None:
    assert {metal: rule.legal_finenesses for metal, rule in PRECIOUS_METAL_RULES.items()} == {
        MetalType.GOLD: {375, 585, 750, 916, 990, 999},
        MetalType.SILVER: {800, 925, 958, 999},
        MetalType.PLATINUM: {850, 900, 950, 999},
        MetalType.PALLADIUM: {500, 950, 999},
    }


def small_piece(metal: str, fineness: int | None, weight: str = "0.1") -> ListingDraft:
    return draft(
        metals=[{"metal": metal, "fineness": fineness, "weight_g": weight}],
        hallmark={"status": "exempt_under_weight"},
    )


@pytest.mark.parametrize(("metal", "fineness"), LEGAL_FINENESSES)
def test_every_legal_fineness_is_accepted(metal: MetalType, fineness: int) -> None:
    assert violations_of(small_piece(metal, fineness)) == []


@pytest.mark.parametrize(
    ("metal", "fineness"),
    [
        ("gold", 500),
        ("gold", 916 + 1),
        ("gold", 1000),
        ("gold", 925),
        ("gold", None),
        ("silver", 900),
        ("silver", 950),
        ("silver", 1000),
        ("silver", 375),
        ("platinum", 800),
        ("platinum", 925),
        ("platinum", 1000),
        ("platinum", 500),
        ("palladium", 925),
        ("palladium", 750),
        ("palladium", 1000),
        ("palladium", 850),
    ],
)
def test_illegal_finenesses_are_refused(metal: str, fineness: int | None) -> None:
    [violation] = violations_of(small_piece(metal, fineness))
    assert violation.code == "fineness_not_legal"
    assert violation.loc == ("metals", 0, "fineness")


# A piece with no precious metal may not be worded as one (misleading_metal_description).
BRASS_WORDING = {"title": "Brass signet ring", "description": "Hand-carved and cast in brass."}


@pytest.mark.parametrize("fineness", [None, 0, 123, 1000])
def test_other_metals_have_no_fineness_rule(fineness: int | None) -> None:
    listing = draft(
        metals=[{"metal": "other", "fineness": fineness, "weight_g": "30", "colour": "brass"}],
        hallmark=None,
        **BRASS_WORDING,
    )
    assert violations_of(listing) == []


def test_an_illegal_fineness_is_refused_even_under_the_exemption_weight() -> None:
    assert codes(violations_of(small_piece("silver", 900, "1"))) == ["fineness_not_legal"]


def test_the_loc_points_at_the_offending_metal_entry() -> None:
    listing = draft(
        metals=[
            {"metal": "silver", "fineness": 925, "weight_g": "9"},
            {"metal": "gold", "fineness": 800, "weight_g": "0.2"},
        ]
    )
    assert [v.loc for v in violations_of(listing)] == [("metals", 1, "fineness")]


# --- exemption weights ----------------------------------------------------------------------------

EXEMPTION_BOUNDARIES = [
    ("gold", 750, "0.999", "1.0", "1.001"),
    ("silver", 925, "7.779", "7.78", "7.781"),
    ("platinum", 950, "0.499", "0.5", "0.501"),
    ("palladium", 950, "0.999", "1.0", "1.001"),
]


@pytest.mark.parametrize(
    ("metal", "fineness", "weight", "needs_hallmark"),
    [
        case
        for metal, fineness, under, at, over in EXEMPTION_BOUNDARIES
        for case in [
            (metal, fineness, under, False),
            (metal, fineness, at, True),
            (metal, fineness, over, True),
        ]
    ],
)
def test_exemption_weight_boundaries(metal: str, fineness: int, weight: str, needs_hallmark: bool) -> None:
    exempt = draft(
        metals=[{"metal": metal, "fineness": fineness, "weight_g": weight}],
        hallmark={"status": "exempt_under_weight"},
    )
    hallmarked = draft(
        metals=[{"metal": metal, "fineness": fineness, "weight_g": weight}],
        hallmark={"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "london"},
    )
    assert codes(violations_of(exempt)) == (["hallmark_required"] if needs_hallmark else [])
    assert violations_of(hallmarked) == []


def test_exemption_weights_match_the_act() -> None:
    assert {m: r.exemption_weight_g for m, r in PRECIOUS_METAL_RULES.items()} == {
        MetalType.GOLD: Decimal("1.0"),
        MetalType.SILVER: Decimal("7.78"),
        MetalType.PLATINUM: Decimal("0.5"),
        MetalType.PALLADIUM: Decimal("1.0"),
    }


def test_weights_of_the_same_metal_are_summed() -> None:
    listing = draft(
        metals=[
            {"metal": "gold", "fineness": 750, "weight_g": "0.6"},
            {"metal": "gold", "fineness": 375, "weight_g": "0.4"},
        ],
        hallmark={"status": "exempt_under_weight"},
    )
    assert precious_metal_weights(listing.metals) == {MetalType.GOLD: Decimal("1.0")}
    [violation] = violations_of(listing)
    assert violation.code == "hallmark_required"
    assert "1.0 g of gold" in violation.msg


def test_weights_of_different_metals_are_not_summed() -> None:
    listing = draft(
        metals=[
            {"metal": "silver", "fineness": 925, "weight_g": "7.0"},
            {"metal": "gold", "fineness": 750, "weight_g": "0.9"},
            {"metal": "other", "fineness": None, "weight_g": "50"},
        ],
        hallmark={"status": "exempt_under_weight"},
    )
    assert violations_of(listing) == []


def test_each_metal_over_its_exemption_is_reported() -> None:
    listing = draft(
        metals=[
            {"metal": "silver", "fineness": 925, "weight_g": "8"},
            {"metal": "gold", "fineness": 750, "weight_g": "1"},
        ],
        hallmark={"status": "exempt_under_weight"},
    )
    found = violations_of(listing)
    assert codes(found) == ["hallmark_required", "hallmark_required"]
    assert all(v.loc == ("hallmark", "status") for v in found)


# --- hallmark status ------------------------------------------------------------------------------

SILVER_UNDER = [{"metal": "silver", "fineness": 925, "weight_g": "5"}]
SILVER_OVER = [{"metal": "silver", "fineness": 925, "weight_g": "9"}]
BRASS = [{"metal": "other", "weight_g": "20"}]
HALLMARKED = {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "london"}


@pytest.mark.parametrize(
    ("metals", "hallmark", "expected"),
    [
        (BRASS, None, []),
        (BRASS, {"status": "not_applicable"}, []),
        ([], {"status": "not_applicable"}, []),
        (BRASS, HALLMARKED, ["hallmark_status_mismatch"]),
        (BRASS, {"status": "exempt_under_weight"}, ["hallmark_status_mismatch"]),
        ([], HALLMARKED, ["hallmark_status_mismatch"]),
        (SILVER_UNDER, {"status": "exempt_under_weight"}, []),
        (SILVER_UNDER, HALLMARKED, []),
        (SILVER_UNDER, {"status": "not_applicable"}, ["hallmark_status_mismatch"]),
        (SILVER_UNDER, None, ["hallmark_status_mismatch"]),
        (SILVER_OVER, HALLMARKED, []),
        (SILVER_OVER, {"status": "exempt_under_weight"}, ["hallmark_required"]),
        (
            SILVER_OVER,
            {"status": "not_applicable"},
            ["hallmark_required", "hallmark_status_mismatch"],
        ),
        (SILVER_OVER, None, ["hallmark_required"]),
        (
            SILVER_OVER,
            {"status": "hallmarked"},
            ["hallmark_required", "hallmark_required"],
        ),
        (SILVER_UNDER, {"status": "hallmarked", "sponsor_mark": "ADS"}, ["hallmark_required"]),
    ],
)
def test_hallmark_status_consistency(
    metals: list[dict[str, Any]], hallmark: dict[str, Any] | None, expected: list[str]
) -> None:
    wording = {} if any(m["metal"] != "other" for m in metals) else BRASS_WORDING
    assert codes(violations_of(draft(metals=metals, hallmark=hallmark, **wording))) == expected


def test_a_hallmark_missing_its_details_names_each_missing_field() -> None:
    found = violations_of(draft(metals=SILVER_OVER, hallmark={"status": "hallmarked"}))
    assert [v.loc for v in found] == [("hallmark", "sponsor_mark"), ("hallmark", "assay_office")]


# --- stone descriptions ---------------------------------------------------------------------------

LAB_DIAMOND = {"type": "diamond", "origin": "lab_grown", "carat": "0.50"}
CZ = {"type": "cubic zirconia", "origin": "imitation", "count": 12}
NATURAL_SAPPHIRE = {"type": "sapphire", "origin": "natural", "treatments": ["heating"]}
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


# --- state machine --------------------------------------------------------------------------------


def assert_conflict(error: pytest.ExceptionInfo[StateConflict], state: str) -> None:
    assert isinstance(error.value, StateConflict)
    assert error.value.extra["current_state"] == state
    assert state in error.value.detail


def test_a_new_listing_is_a_draft() -> None:
    listing = new_listing()
    assert (listing.status, listing.version, listing.published_at) == (ListingStatus.DRAFT, 1, None)
    assert listing.pending_events == []
    assert not listing.is_public


def test_publishing_a_valid_draft() -> None:
    listing = new_listing()
    listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert listing.status is ListingStatus.PUBLISHED
    assert (listing.published_at, listing.updated_at, listing.version) == (LATER, LATER, 2)
    [event] = listing.pull_events()
    assert (event.name, event.aggregate_version, event.listing_id) == (
        ListingEventName.PUBLISHED,
        2,
        LISTING_ID,
    )
    assert event.data == {"previous_status": "draft"}
    assert listing.is_public


def test_publishing_an_invalid_draft_reports_every_rule_and_changes_nothing() -> None:
    listing = new_listing(title=None, photos=[], sourcing_claims=["fairmined"])
    with pytest.raises(RulesViolated) as error:
        listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert {v.code for v in error.value.errors} == {"title_required", "photos_required", "claim_not_held"}
    assert (listing.status, listing.version, listing.pending_events) == (ListingStatus.DRAFT, 1, [])


def test_publishing_checks_the_makers_claims() -> None:
    listing = new_listing(sourcing_claims=["fairmined"])
    listing.publish(now=LATER, maker_claims=[FAIRMINED_EVIDENCED], images=IMAGES)
    assert listing.status is ListingStatus.PUBLISHED


def test_pause_and_unpause() -> None:
    listing = published()
    listing.pause(now=LATER)
    assert listing.status is ListingStatus.PAUSED
    assert not listing.is_public
    assert event_names(listing) == ["paused"]
    listing.publish(now=LATER + timedelta(hours=1), maker_claims=[], images=IMAGES)
    assert listing.status is ListingStatus.PUBLISHED
    assert listing.published_at == NOW
    [event] = listing.pull_events()
    assert event.data == {"previous_status": "paused"}


def test_unpausing_runs_the_rules_again() -> None:
    listing = new_listing(sourcing_claims=["fairmined"])
    listing.publish(now=NOW, maker_claims=[FAIRMINED_EVIDENCED], images=IMAGES)
    listing.pause(now=NOW)
    with pytest.raises(RulesViolated) as error:
        listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert [v.code for v in error.value.errors] == ["claim_not_held"]
    assert listing.status is ListingStatus.PAUSED


@pytest.mark.parametrize("state", ["published", "sold_out", "archived"])
def test_publish_is_refused_outside_draft_and_paused(state: str) -> None:
    listing = listing_in(state)
    with pytest.raises(StateConflict) as error:
        listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert_conflict(error, state)


@pytest.mark.parametrize("state", ["draft", "paused", "sold_out", "archived"])
def test_pause_is_refused_unless_published(state: str) -> None:
    listing = listing_in(state)
    with pytest.raises(StateConflict) as error:
        listing.pause(now=LATER)
    assert_conflict(error, state)


@pytest.mark.parametrize("state", ["draft", "published", "paused", "sold_out"])
def test_any_state_can_be_archived(state: str) -> None:
    listing = listing_in(state)
    listing.archive(now=LATER)
    assert listing.status is ListingStatus.ARCHIVED
    [event] = listing.pull_events()
    assert event.name == ListingEventName.ARCHIVED
    assert event.data == {"previous_status": state}


def test_archived_is_terminal() -> None:
    listing = listing_in("archived")
    for command in (
        lambda: listing.archive(now=LATER),
        lambda: listing.publish(now=LATER, maker_claims=[], images=IMAGES),
        lambda: listing.pause(now=LATER),
        lambda: listing.edit(ListingPatch(title="New title"), now=LATER, maker_claims=[], images=IMAGES),
    ):
        with pytest.raises(StateConflict) as error:
            command()
        assert_conflict(error, "archived")
    assert listing.reserve(1, now=LATER).refusal is ReserveRefusal.NOT_AVAILABLE


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        new_listing().publish(now=datetime(2025, 6, 2, 9, 0), maker_claims=[], images=IMAGES)


def listing_in(state: str) -> Listing:
    listing = new_listing(production={"kind": "ready_to_ship", "stock": 1})
    if state == "draft":
        return listing
    listing.publish(now=NOW, maker_claims=[], images=IMAGES)
    if state == "paused":
        listing.pause(now=NOW)
    elif state == "sold_out":
        assert listing.reserve(1, now=NOW).ok
        listing.commit_reservation(1, now=NOW)
    elif state == "archived":
        listing.archive(now=NOW)
    assert listing.status == state
    listing.pull_events()
    return listing


# --- edits ----------------------------------------------------------------------------------------


def test_edits_record_what_changed() -> None:
    listing = published()
    listing.edit(ListingPatch(title="Carved signet ring"), now=LATER, maker_claims=[], images=IMAGES)
    assert listing.fields.title == "Carved signet ring"
    assert (listing.version, listing.updated_at) == (3, LATER)
    [event] = listing.pull_events()
    assert event.name == ListingEventName.UPDATED
    assert event.data == {"changed": ["title"]}


def test_a_price_change_also_records_price_changed() -> None:
    listing = published()
    listing.edit(
        ListingPatch.model_validate({"price": {"amount": 15000}}), now=LATER, maker_claims=[], images=IMAGES
    )
    updated, price_changed = listing.pull_events()
    assert (updated.name, price_changed.name) == ("updated", "price_changed")
    assert price_changed.data == {
        "old": {"amount": 12500, "currency": "GBP"},
        "new": {"amount": 15000, "currency": "GBP"},
    }
    assert updated.aggregate_version == price_changed.aggregate_version == listing.version


def test_an_edit_that_changes_nothing_records_nothing() -> None:
    listing = published()
    listing.edit(ListingPatch(title=listing.fields.title), now=LATER, maker_claims=[], images=IMAGES)
    listing.edit(ListingPatch(), now=LATER, maker_claims=[], images=IMAGES)
    assert (listing.version, listing.pending_events) == (2, [])


def test_patches_replace_only_the_fields_sent_and_null_clears() -> None:
    listing = new_listing()
    listing.edit(
        ListingPatch.model_validate({"description": None, "style_tags": []}),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert listing.fields.description is None
    assert listing.fields.style_tags == []
    assert listing.fields.title == "Sterling silver signet ring"


def test_a_draft_may_be_edited_into_any_shape() -> None:
    listing = new_listing()
    listing.edit(ListingPatch(title=None, photos=[]), now=LATER, maker_claims=[], images=IMAGES)
    assert listing.fields.title is None


def test_a_public_listing_must_stay_publishable() -> None:
    listing = published()
    before = listing.fields
    with pytest.raises(RulesViolated) as error:
        listing.edit(
            ListingPatch.model_validate(
                {"hallmark": {"status": "not_applicable"}, "title": "A real diamond"}
            ),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert {v.code for v in error.value.errors} == {"hallmark_required", "hallmark_status_mismatch"}
    assert (listing.fields, listing.version, listing.pending_events) == (before, 2, [])


def test_a_paused_listing_may_be_edited_freely() -> None:
    listing = listing_in("paused")
    listing.edit(ListingPatch(photos=[]), now=LATER, maker_claims=[], images=IMAGES)
    assert listing.fields.photos == []


def test_production_kind_may_change_in_a_draft() -> None:
    listing = new_listing()
    listing.edit(
        ListingPatch.model_validate(
            {"production": {"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 10}}}
        ),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert listing.stock is None
    assert listing.availability is Availability.MADE_TO_ORDER


@pytest.mark.parametrize("state", ["published", "sold_out"])
def test_production_kind_is_locked_while_public(state: str) -> None:
    listing = listing_in(state)
    with pytest.raises(StateConflict) as error:
        listing.edit(
            ListingPatch.model_validate({"production": {"kind": "one_of_a_kind"}}),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert error.value.code == "production_kind_locked"
    assert_conflict(error, state)


def test_production_kind_is_locked_once_stock_is_reserved() -> None:
    listing = published()
    assert listing.reserve(1, now=NOW).ok
    listing.pause(now=NOW)
    with pytest.raises(StateConflict) as error:
        listing.edit(
            ListingPatch.model_validate({"production": {"kind": "one_of_a_kind"}}),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert error.value.code == "production_kind_locked"


# --- stock ----------------------------------------------------------------------------------------


def test_reserve_commit_and_release_move_units_between_counters() -> None:
    counters = StockCounters(available=3)
    reserved = reserve_stock(counters, 2)
    assert reserved.ok and reserved.counters == StockCounters(1, 2, 0)
    assert commit_stock(StockCounters(1, 2, 0), 1) == StockCounters(1, 1, 1)
    assert release_stock(StockCounters(1, 1, 1), 1) == StockCounters(2, 0, 1)


def test_reserve_never_oversells() -> None:
    result = reserve_stock(StockCounters(available=2), 3)
    assert (result.ok, result.refusal, result.counters) == (
        False,
        ReserveRefusal.OUT_OF_STOCK,
        StockCounters(available=2),
    )


@pytest.mark.parametrize(
    "operation",
    [
        lambda: commit_stock(StockCounters(5, 1, 0), 2),
        lambda: release_stock(StockCounters(5, 0, 0), 1),
        lambda: reserve_stock(StockCounters(5), 0),
        lambda: StockCounters(-1),
    ],
)
def test_stock_invariants_are_guarded(operation: Any) -> None:
    with pytest.raises(StockInvariantError):
        operation()


def test_a_listing_reserves_only_while_published() -> None:
    assert listing_in("draft").reserve(1, now=LATER).refusal is ReserveRefusal.NOT_AVAILABLE
    assert listing_in("paused").reserve(1, now=LATER).refusal is ReserveRefusal.NOT_AVAILABLE
    assert listing_in("sold_out").reserve(1, now=LATER).refusal is ReserveRefusal.OUT_OF_STOCK


def test_a_reservation_changes_the_listings_stock() -> None:
    listing = published()
    result = listing.reserve(2, now=LATER)
    assert result.ok
    assert listing.stock == StockCounters(1, 2, 0)
    assert listing.fields.production is not None and listing.fields.production.stock == 1
    assert (listing.version, listing.pending_events) == (3, [])
    assert listing.reserve(2, now=LATER).refusal is ReserveRefusal.OUT_OF_STOCK
    assert listing.version == 3


def test_selling_the_last_unit_sells_out_and_a_release_brings_it_back() -> None:
    listing = published(production={"kind": "ready_to_ship", "stock": 2})
    assert listing.reserve(1, now=NOW).ok
    assert listing.reserve(1, now=NOW).ok
    assert listing.status is ListingStatus.PUBLISHED
    assert listing.availability is Availability.SOLD_OUT
    listing.commit_reservation(1, now=LATER)
    assert listing.status is ListingStatus.SOLD_OUT
    assert event_names(listing) == ["sold_out"]
    listing.release_reservation(1, now=LATER)
    assert listing.status is ListingStatus.PUBLISHED
    assert listing.availability is Availability.IN_STOCK
    [event] = listing.pull_events()
    assert (event.name, event.data) == (ListingEventName.BACK_IN_STOCK, {"available": 1})
    assert listing.stock == StockCounters(1, 0, 1)


def test_restocking_a_sold_out_listing_publishes_it_again() -> None:
    listing = listing_in("sold_out")
    listing.edit(
        ListingPatch.model_validate({"production": {"kind": "ready_to_ship", "stock": 4}}),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert listing.status is ListingStatus.PUBLISHED
    assert listing.stock == StockCounters(4, 0, 1)
    assert event_names(listing) == ["updated", "back_in_stock"]


def test_setting_stock_to_zero_sells_out_a_published_listing() -> None:
    listing = published()
    listing.edit(
        ListingPatch.model_validate({"production": {"kind": "ready_to_ship", "stock": 0}}),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert listing.status is ListingStatus.SOLD_OUT
    assert event_names(listing) == ["updated", "sold_out"]


def test_a_committed_reservation_on_a_paused_listing_keeps_it_paused() -> None:
    listing = published(production={"kind": "ready_to_ship", "stock": 1})
    assert listing.reserve(1, now=NOW).ok
    listing.pause(now=NOW)
    listing.commit_reservation(1, now=LATER)
    assert listing.status is ListingStatus.PAUSED
    with pytest.raises(RulesViolated) as error:
        listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert [v.code for v in error.value.errors] == ["stock_required"]


def test_reservations_settle_whatever_the_state() -> None:
    listing = published()
    assert listing.reserve(2, now=NOW).ok
    listing.archive(now=NOW)
    listing.commit_reservation(1, now=LATER)
    listing.release_reservation(1, now=LATER)
    assert listing.status is ListingStatus.ARCHIVED
    assert listing.stock == StockCounters(2, 0, 1)


def test_one_of_a_kind_sells_once_and_cannot_be_restocked() -> None:
    listing = published(production={"kind": "one_of_a_kind"})
    assert listing.stock == StockCounters(1)
    assert listing.availability is Availability.IN_STOCK
    assert listing.reserve(2, now=NOW).refusal is ReserveRefusal.OUT_OF_STOCK
    assert listing.reserve(1, now=NOW).ok
    listing.commit_reservation(1, now=NOW)
    assert listing.status is ListingStatus.SOLD_OUT
    version = listing.version
    listing.pull_events()
    # Issue 13: restocking a sold one-of-a-kind returned 200 and changed nothing.
    with pytest.raises(StateConflict) as error:
        listing.edit(
            ListingPatch.model_validate({"production": {"kind": "one_of_a_kind", "stock": 1}}),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert error.value.code == "stock_not_applicable"
    assert error.value.extra == {"current_state": "sold_out"}
    assert (listing.status, listing.version, event_names(listing)) == (ListingStatus.SOLD_OUT, version, [])
    assert listing.stock == StockCounters(0, 0, 1)
    assert listing.availability is Availability.SOLD_OUT


def one_of_a_kind(stock: int | None = None) -> dict[str, Any]:
    return {"kind": "one_of_a_kind", "stock": stock}


@pytest.mark.parametrize(
    ("counters", "current", "sent", "refused"),
    [
        # Its one unit still for sale: a count of one is no restock.
        (StockCounters(1), one_of_a_kind(), one_of_a_kind(1), False),
        # Sold or reserved: no count brings it back, not even the one it was listed with.
        (StockCounters(0, 0, 1), one_of_a_kind(), one_of_a_kind(1), True),
        (StockCounters(0, 0, 1), one_of_a_kind(1), one_of_a_kind(1), True),
        (StockCounters(0, 0, 1), one_of_a_kind(), one_of_a_kind(0), True),
        (StockCounters(0, 0, 1), one_of_a_kind(), one_of_a_kind(5), True),
        (StockCounters(0, 1, 0), one_of_a_kind(), one_of_a_kind(1), True),
        # No count sent, or production left alone: no stock change.
        (StockCounters(0, 0, 1), one_of_a_kind(1), one_of_a_kind(), False),
        (StockCounters(0, 0, 1), one_of_a_kind(1), None, False),
        # A sale undone before dispatch brought the piece back: it is for sale again.
        (StockCounters(1, 0, 0), one_of_a_kind(), one_of_a_kind(1), False),
        # A change of kind is locked elsewhere (production_kind_locked).
        (StockCounters(0, 0, 1), one_of_a_kind(), {"kind": "ready_to_ship", "stock": 4}, False),
        # Counted and made-to-order stock are the fields' rules, not this one.
        (
            StockCounters(0, 0, 3),
            {"kind": "ready_to_ship", "stock": 0},
            {"kind": "ready_to_ship", "stock": 4},
            False,
        ),
        (
            None,
            {"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 9}},
            {"kind": "made_to_order", "stock": 2, "lead_time_days": {"min": 5, "max": 9}},
            False,
        ),
    ],
)
def test_stock_that_cannot_apply(
    counters: StockCounters | None,
    current: dict[str, Any],
    sent: dict[str, Any] | None,
    refused: bool,
) -> None:
    refusal = restock_refusal(
        counters,
        Production.model_validate(current),
        Production.model_validate(sent) if sent is not None else None,
    )
    assert (refusal is not None) == refused, refusal


def test_resending_the_listed_count_of_a_sold_one_of_a_kind_is_409_not_a_silent_200() -> None:
    """Issue 13's live finding: the count it was listed with, sent again, changed nothing and
    answered 200. Editing anything else of the sold piece is fine."""
    listing = published(production=one_of_a_kind(1))
    assert listing.reserve(1, now=NOW).ok
    listing.commit_reservation(1, now=NOW)
    version = listing.version
    with pytest.raises(StateConflict) as error:
        listing.edit(
            ListingPatch.model_validate({"production": one_of_a_kind(1)}),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert error.value.code == "stock_not_applicable"
    assert listing.version == version
    listing.edit(
        ListingPatch.model_validate({"description": "Sold, with thanks."}),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert (listing.status, listing.stock) == (ListingStatus.SOLD_OUT, StockCounters(0, 0, 1))


def test_a_reserved_one_of_a_kind_piece_cannot_be_restocked_while_paused() -> None:
    listing = published(production={"kind": "one_of_a_kind"})
    assert listing.reserve(1, now=NOW).ok
    listing.pause(now=NOW)
    with pytest.raises(StateConflict) as error:
        listing.edit(
            ListingPatch.model_validate({"production": one_of_a_kind(1)}),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert (error.value.code, error.value.extra) == ("stock_not_applicable", {"current_state": "paused"})
    assert listing.stock == StockCounters(0, 1, 0)


def test_a_one_of_a_kind_piece_whose_sale_was_undone_may_be_edited() -> None:
    listing = published(production={"kind": "one_of_a_kind"})
    assert listing.reserve(1, now=NOW).ok
    listing.commit_reservation(1, now=NOW)
    listing.return_sold(1, now=LATER)
    assert listing.status is ListingStatus.PUBLISHED
    listing.edit(
        ListingPatch.model_validate({"production": one_of_a_kind(1)}),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert listing.stock == StockCounters(1)


def test_a_reserved_one_of_a_kind_piece_cannot_be_republished() -> None:
    listing = published(production={"kind": "one_of_a_kind"})
    assert listing.reserve(1, now=NOW).ok
    listing.pause(now=NOW)
    with pytest.raises(RulesViolated) as error:
        listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert [(v.code, v.loc) for v in error.value.errors] == [("stock_required", ("production", "stock"))]


def test_made_to_order_is_unlimited() -> None:
    listing = published(production={"kind": "made_to_order", "lead_time_days": {"min": 7, "max": 14}})
    for _ in range(50):
        assert listing.reserve(10, now=NOW).ok
    listing.commit_reservation(10, now=NOW)
    listing.release_reservation(10, now=NOW)
    assert (listing.stock, listing.status, listing.version) == (None, ListingStatus.PUBLISHED, 2)
    assert listing.availability is Availability.MADE_TO_ORDER


def test_availability_is_unknown_until_production_is_described() -> None:
    assert new_listing(production=None).availability is None


stock_operations = st.lists(
    st.tuples(st.sampled_from(["reserve", "commit", "release"]), st.integers(1, 4)),
    max_size=60,
)


@settings(max_examples=300)
@given(initial=st.integers(0, 10), operations=stock_operations)
def test_stock_counters_never_go_negative_and_conserve_the_total(
    initial: int, operations: list[tuple[str, int]]
) -> None:
    counters = StockCounters(available=initial)
    for operation, quantity in operations:
        if operation == "reserve":
            counters = reserve_stock(counters, quantity).counters or counters
        elif quantity <= counters.reserved:
            move = commit_stock if operation == "commit" else release_stock
            counters = move(counters, quantity)
        assert min(counters.available, counters.reserved, counters.sold) >= 0
        assert counters.stocked == initial


@settings(max_examples=200)
@given(initial=st.integers(1, 6), operations=stock_operations)
def test_a_listing_never_oversells_and_its_status_follows_its_stock(
    initial: int, operations: list[tuple[str, int]]
) -> None:
    listing = published(production={"kind": "ready_to_ship", "stock": initial})
    for operation, quantity in operations:
        assert listing.stock is not None
        if operation == "reserve":
            listing.reserve(quantity, now=NOW)
        elif quantity <= listing.stock.reserved:
            if operation == "commit":
                listing.commit_reservation(quantity, now=NOW)
            else:
                listing.release_reservation(quantity, now=NOW)
        assert listing.stock.stocked == initial
        assert listing.stock.sold <= initial
        assert listing.fields.production is not None
        assert listing.fields.production.stock == listing.stock.available
        if listing.status is ListingStatus.SOLD_OUT:
            assert listing.stock.available == 0
        if listing.stock.available > 0:
            assert listing.status is ListingStatus.PUBLISHED


# --- disclosures ----------------------------------------------------------------------------------


def disclosure_codes(listing: ListingDraft, claims: list[MakerClaim] | None = None) -> list[str]:
    return [d.code for d in disclosures(listing, claims or [], TODAY)]


def test_precious_metal_listings_carry_the_dealers_notice() -> None:
    found = disclosures(draft(), [], TODAY)
    assert found[0].code == "dealers_notice"
    assert found[0].text == DEALERS_NOTICE_TEXT
    for phrase in (
        "Hallmarking Act 1973",
        "sponsor's mark",
        "fineness",
        "Assay Office",
        "7.78 g",
        "leopard's head",
        "anchor",
        "rose",
        "castle",
    ):
        assert phrase in DEALERS_NOTICE_TEXT


def test_non_precious_listings_carry_no_hallmark_disclosures() -> None:
    assert disclosure_codes(draft(metals=BRASS, hallmark=None)) == []


def test_hallmark_details_are_disclosed() -> None:
    listing = draft(
        metals=[
            {"metal": "silver", "fineness": 925, "weight_g": "9"},
            {"metal": "gold", "fineness": 750, "weight_g": "0.3"},
        ]
    )
    hallmark = next(d for d in disclosures(listing, [], TODAY) if d.code == "hallmark")
    assert hallmark.text == (
        "Hallmarked at the Sheffield Assay Office; sponsor's mark ADS; "
        "fineness silver 925 (sterling), gold 750 (18ct)."
    )


def test_an_exempt_piece_says_why_it_is_not_hallmarked() -> None:
    listing = draft(metals=SILVER_UNDER, hallmark={"status": "exempt_under_weight"})
    assert disclosure_codes(listing) == ["dealers_notice", "hallmark_exempt"]
    assert "silver under 7.78 g" in disclosures(listing, [], TODAY)[1].text


def test_stone_disclosures() -> None:
    listing = draft(
        stones=[
            LAB_DIAMOND,
            CZ,
            NATURAL_SAPPHIRE,
            {"type": "emerald", "origin": "natural", "treatments": ["fracture_filling", "coating"]},
            {"type": "diamond", "origin": "natural"},
        ]
    )
    found = [(d.code, d.text) for d in disclosures(listing, [], TODAY) if "stone" in d.code]
    assert found == [
        ("lab_grown_stone", "Laboratory-grown diamond (1 stone, 0.50 ct total)."),
        ("imitation_stone", "Imitation stone: cubic zirconia (12 stones), not a natural gemstone."),
        ("stone_treatment", "The sapphire has been treated: heating."),
        ("stone_treatment", "The emerald has been treated: fracture filling, coating."),
    ]


def test_claims_are_shown_by_their_evidence_and_expired_ones_not_at_all() -> None:
    listing = draft(sourcing_claims=["fairmined", "recycled", "fairtrade"])
    maker_claims = [
        FAIRMINED_EVIDENCED,
        MakerClaim(scheme="recycled", evidenced=False),
        MakerClaim(scheme="fairtrade", evidenced=True, expires_on=TODAY - timedelta(days=1)),
    ]
    assert [(c.scheme, c.basis) for c in shown_sourcing_claims(listing, maker_claims, TODAY)] == [
        ("fairmined", "evidenced"),
        ("recycled", "self_declared"),
    ]
    [self_declared] = [
        d for d in disclosures(listing, maker_claims, TODAY) if d.code == "self_declared_claim"
    ]
    assert self_declared.text.startswith("Recycled: self-declared")


def test_natural_diamonds_are_recognised_for_the_system_of_warranties() -> None:
    assert draft(stones=[{"type": "diamond", "origin": "natural"}]).contains_natural_diamond
    assert draft(stones=[{"type": "black diamond", "origin": "natural"}]).contains_natural_diamond
    assert not draft(stones=[LAB_DIAMOND, NATURAL_SAPPHIRE]).contains_natural_diamond


# --- carats ---------------------------------------------------------------------------------------


def test_a_carat_is_a_fifth_of_a_gram() -> None:
    assert carats_to_grams(Decimal("1")) == Decimal("0.200")
    assert carats_to_grams(Decimal("0.25")) == Decimal("0.050")
    assert grams_to_carats(Decimal("0.2")) == Decimal("1.00")


def test_carats_from_grams_are_never_rounded_up() -> None:
    assert grams_to_carats(Decimal("0.1999")) == Decimal("0.99")


# --- ring sizes -----------------------------------------------------------------------------------


def test_us_7_is_uk_n_half_is_about_54_4_mm() -> None:
    assert abs(mm_for_uk("N½") - Decimal("54.4")) < Decimal("0.1")
    assert abs(mm_for_us(7) - Decimal("54.4")) < Decimal("0.1")
    assert uk_size(Decimal("54.4")) == "N½"
    assert us_size(Decimal("54.4")) == 7.0
    assert uk_size(mm_for_us(7)) == "N½"


def test_the_table_spans_about_38_to_76_mm_and_is_monotonic() -> None:
    assert RING_SIZES[0].uk == "A" and RING_SIZES[-1].uk == "Z+6"
    assert Decimal("37") < RING_SIZE_MIN_MM <= Decimal("38")
    assert Decimal("76") <= RING_SIZE_MAX_MM < Decimal("77")
    for smaller, larger in itertools.pairwise(RING_SIZES):
        assert smaller.mm < larger.mm
        assert smaller.us < larger.us


def test_uk_steps_are_about_1_25_mm_and_us_steps_about_2_55_mm() -> None:
    assert mm_for_uk("O") - mm_for_uk("N") == Decimal("1.25")
    assert mm_for_uk("N½") - mm_for_uk("N") == Decimal("0.625")
    assert mm_for_uk("Z+1") - mm_for_uk("Z") == Decimal("1.25")
    assert abs(mm_for_us(8) - mm_for_us(7) - Decimal("2.55")) < Decimal("0.05")


@pytest.mark.parametrize("size", RING_SIZES, ids=lambda size: size.uk)
def test_every_uk_size_round_trips(size: Any) -> None:
    assert uk_size(mm_for_uk(size.uk)) == size.uk


@pytest.mark.parametrize("us", [n / 4 for n in range(2, 63)])
def test_us_quarter_sizes_round_trip(us: float) -> None:
    assert us_size(mm_for_us(us)) == us


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("N½", "N½"),
        ("n 1/2", "N½"),
        ("N1/2", "N½"),
        ("N.5", "N½"),
        ("z+1", "Z+1"),
        ("Z+2 1/2", "Z+2½"),
        (" a ", "A"),
    ],
)
def test_uk_labels_are_read_leniently(label: str, expected: str) -> None:
    assert mm_for_uk(label) == mm_for_uk(expected)


@pytest.mark.parametrize("label", ["", "AA", "Z+7", "Z+6½", "N¼", "7"])
def test_unknown_uk_sizes_are_refused(label: str) -> None:
    with pytest.raises(ValueError):
        mm_for_uk(label)


@pytest.mark.parametrize("mm", [Decimal("37.4"), Decimal("76.3"), 0, 100])
def test_sizes_outside_the_table_are_refused(mm: Decimal | int) -> None:
    with pytest.raises(ValueError):
        uk_size(mm)
    with pytest.raises(ValueError):
        us_size(mm)


def test_between_two_uk_sizes_the_nearer_wins_and_a_tie_goes_up() -> None:
    assert uk_size(Decimal("53.9")) == "N"
    assert uk_size(Decimal("54.1")) == "N½"
    assert uk_size(Decimal("54.0625")) == "N½"
    assert uk_size(54.4) == uk_size(Decimal("54.4"))


@given(
    st.decimals(min_value=RING_SIZE_MIN_MM, max_value=RING_SIZE_MAX_MM, places=3),
    st.decimals(min_value=RING_SIZE_MIN_MM, max_value=RING_SIZE_MAX_MM, places=3),
)
def test_conversions_are_monotonic(a: Decimal, b: Decimal) -> None:
    smaller, larger = sorted((a, b))
    labels = [size.uk for size in RING_SIZES]
    assert labels.index(uk_size(smaller)) <= labels.index(uk_size(larger))
    assert us_size(smaller) <= us_size(larger)
    assert abs(mm_for_uk(uk_size(smaller)) - smaller) <= Decimal("0.3125")
