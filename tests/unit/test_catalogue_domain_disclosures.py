"""What a listing discloses to its buyer (services/catalogue/domain/disclosures.py): the dealer's
notice, its hallmark or why it has none, lab-grown, imitation and treated stones, and the sourcing
claims shown by their evidence."""

from __future__ import annotations

from datetime import timedelta

from services.catalogue.domain import (
    DEALERS_NOTICE_TEXT,
    ListingDraft,
    MakerClaim,
    disclosures,
    shown_sourcing_claims,
)
from tests.unit.catalogue_domain_support import (
    BRASS,
    CZ,
    FAIRMINED_EVIDENCED,
    LAB_DIAMOND,
    NATURAL_SAPPHIRE,
    SILVER_UNDER,
    TODAY,
    draft,
)


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
