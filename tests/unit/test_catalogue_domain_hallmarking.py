"""Hallmarking (services/catalogue/domain/hallmarking.py, the Hallmarking Act 1973): the legal
finenesses of each precious metal, the exemption weights at their boundaries, and a hallmark
status consistent with the metals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from services.catalogue.domain import PRECIOUS_METAL_RULES, ListingDraft, MetalType, precious_metal_weights
from tests.unit.catalogue_domain_support import BRASS, SILVER_UNDER, codes, draft, violations_of

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

SILVER_OVER = [{"metal": "silver", "fineness": 925, "weight_g": "9"}]
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
