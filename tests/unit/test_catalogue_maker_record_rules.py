"""The rules a listing keeps with its maker's own record (sponsor mark, precious metals, the
System of Warranties), at publishing, at editing and when the record changes; and the one
vocabulary of stone types they read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from services.catalogue.domain import (
    Listing,
    ListingDraft,
    ListingEventName,
    ListingPatch,
    MakerStanding,
    ReserveRefusal,
    maker_record_violations,
    publish_violations,
)
from services.catalogue.domain.vocabulary import stone_kind
from shared.errors import RulesViolated
from tests.support.photos import PHOTO, ready_images

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
AUD = MakerStanding(sponsor_mark="AUD", works_precious_metals=True, warranty_attested=True)
IMAGES = ready_images(UUID(int=2))  # the maker's (UUID(int=2)) photo is ready
NATURAL_DIAMOND = {"type": "diamond", "origin": "natural", "carat": "0.5", "count": 2}


def body(**overrides: Any) -> dict[str, Any]:
    """18ct gold studs, hallmarked with the sponsor mark AUD: every rule kept."""
    return {
        "title": "Gold stud earrings",
        "description": "Hand-made studs in 18ct gold.",
        "category": "earrings",
        "price": {"amount": 45000, "currency": "GBP"},
        "production": {"kind": "ready_to_ship", "stock": 2},
        "metals": [{"metal": "gold", "fineness": 750, "weight_g": "3.2"}],
        "hallmark": {"status": "hallmarked", "sponsor_mark": "AUD", "assay_office": "london"},
        "photos": [PHOTO],
        **overrides,
    }


def draft(**overrides: Any) -> ListingDraft:
    return ListingDraft.model_validate(body(**overrides))


def codes(listing: ListingDraft, maker: MakerStanding) -> list[str]:
    return [violation.code for violation in maker_record_violations(listing, maker)]


def standing(**changes: Any) -> MakerStanding:
    return MakerStanding(**{**AUD.__dict__, **changes})


def published(maker: MakerStanding = AUD, **overrides: Any) -> Listing:
    listing = Listing.create(listing_id=UUID(int=1), maker_id=UUID(int=2), fields=draft(**overrides), now=NOW)
    listing.publish(now=NOW, maker_claims=[], images=IMAGES, maker=maker)
    listing.pull_events()
    return listing


# --- sponsor_mark_not_registered -----------------------------------------------------------------


def test_the_registered_sponsor_mark_is_accepted() -> None:
    assert codes(draft(), AUD) == []


def test_a_sponsor_mark_other_than_the_registered_one_is_refused() -> None:
    """Live finding: sponsor mark AUD registered, listing stamped XYZ published."""
    stamped = draft(hallmark={"status": "hallmarked", "sponsor_mark": "XYZ", "assay_office": "london"})
    [violation] = maker_record_violations(stamped, AUD)
    assert violation.code == "sponsor_mark_not_registered"
    assert violation.loc == ("hallmark", "sponsor_mark")


def test_a_hallmark_needs_a_registered_mark_at_all() -> None:
    assert codes(draft(), standing(sponsor_mark=None)) == ["sponsor_mark_not_registered"]


def test_the_mark_is_compared_as_the_hallmark_stores_it() -> None:
    lower = draft(hallmark={"status": "hallmarked", "sponsor_mark": " aud ", "assay_office": "london"})
    assert codes(lower, AUD) == []


@pytest.mark.parametrize("status", ["exempt_under_weight", "not_applicable"])
def test_no_mark_struck_needs_no_registered_mark(status: str) -> None:
    light = draft(
        metals=[{"metal": "gold", "fineness": 750, "weight_g": "0.9"}],
        hallmark={"status": status},
    )
    assert codes(light, standing(sponsor_mark=None)) == []


# --- precious_metals_not_declared ----------------------------------------------------------------


def test_a_maker_who_declared_precious_metals_may_list_them() -> None:
    assert codes(draft(), AUD) == []


def test_a_maker_who_did_not_declare_precious_metals_may_not_list_gold() -> None:
    """Live finding: works_precious_metals false, no sponsor mark, a 25 g 18ct gold cuff
    "hallmarked, AUD, London" published."""
    cuff = draft(
        title="18ct gold cuff",
        category="bracelet",
        metals=[{"metal": "gold", "fineness": 750, "weight_g": "25"}],
    )
    maker = MakerStanding(sponsor_mark=None, works_precious_metals=False, warranty_attested=False)
    assert codes(cuff, maker) == ["sponsor_mark_not_registered", "precious_metals_not_declared"]


@pytest.mark.parametrize("metal", ["gold", "silver", "platinum", "palladium"])
def test_every_precious_metal_needs_the_declaration_even_under_the_exemption_weight(metal: str) -> None:
    fineness = {"gold": 375, "silver": 925, "platinum": 950, "palladium": 950}[metal]
    tiny = draft(
        metals=[{"metal": metal, "fineness": fineness, "weight_g": "0.1"}],
        hallmark={"status": "exempt_under_weight"},
    )
    assert codes(tiny, standing(works_precious_metals=False)) == ["precious_metals_not_declared"]


def test_other_metals_need_no_declaration() -> None:
    brass = draft(
        title="Brass cuff",
        description="Hammered brass.",
        metals=[{"metal": "other", "weight_g": "25"}],
        hallmark={"status": "not_applicable"},
    )
    assert (
        codes(brass, MakerStanding(sponsor_mark=None, works_precious_metals=False, warranty_attested=False))
        == []
    )


# --- warranty_not_attested -----------------------------------------------------------------------


def test_a_maker_who_attested_may_list_natural_diamonds() -> None:
    assert codes(draft(stones=[NATURAL_DIAMOND]), AUD) == []


def test_a_maker_who_never_attested_may_not_list_natural_diamonds() -> None:
    """Live finding: a maker who never attested published "Natural diamond studs"."""
    studs = draft(title="Natural diamond studs", stones=[NATURAL_DIAMOND])
    [violation] = maker_record_violations(studs, standing(warranty_attested=False))
    assert (violation.code, violation.loc) == ("warranty_not_attested", ("stones", 0))


@pytest.mark.parametrize(
    "stone_type", ["diamond", "Diamonds", "black diamond", "diamant", "champagne diamonds"]
)
def test_a_natural_diamond_is_recognised_by_its_normalised_type(stone_type: str) -> None:
    stones = [{"type": stone_type, "origin": "natural"}]
    assert codes(draft(stones=stones), standing(warranty_attested=False)) == ["warranty_not_attested"]
    assert draft(stones=stones).contains_natural_diamond


@pytest.mark.parametrize(
    "stone",
    [
        {"type": "diamond", "origin": "lab_grown"},
        {"type": "diamond", "origin": "imitation"},
        {"type": "herkimer diamond", "origin": "natural"},
        {"type": "sapphire", "origin": "natural"},
    ],
)
def test_other_stones_need_no_attestation(stone: dict[str, Any]) -> None:
    assert codes(draft(stones=[stone]), standing(warranty_attested=False)) == []
    assert not draft(stones=[stone]).contains_natural_diamond


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("diamond", "diamond"),
        ("DIAMONDS", "diamond"),
        ("diamant", "diamond"),
        ("blue  sapphires", "sapphire"),
        ("rubies", "ruby"),
        ("herkimer diamonds", "quartz"),
        ("CZ", "cubic zirconia"),
        ("glass", "glass"),
    ],
)
def test_stone_types_have_one_vocabulary(typed: str, kind: str) -> None:
    assert stone_kind(typed) == kind


# --- publishing ----------------------------------------------------------------------------------


def test_publishing_refuses_every_rule_of_the_record_with_the_others() -> None:
    stamped = draft(
        hallmark={"status": "hallmarked", "sponsor_mark": "XYZ", "assay_office": "london"},
        stones=[NATURAL_DIAMOND],
    )
    maker = MakerStanding(sponsor_mark="AUD", works_precious_metals=False, warranty_attested=False)
    found = [v.code for v in publish_violations(stamped, [], NOW.date(), maker)]
    assert found == ["sponsor_mark_not_registered", "precious_metals_not_declared", "warranty_not_attested"]
    listing = Listing.create(listing_id=UUID(int=1), maker_id=UUID(int=2), fields=stamped, now=NOW)
    with pytest.raises(RulesViolated):
        listing.publish(now=NOW, maker_claims=[], images=IMAGES, maker=maker)
    assert listing.status == "draft"


# --- the record changes --------------------------------------------------------------------------


def test_a_record_change_that_breaks_a_rule_hides_the_listing_and_fixing_it_shows_it() -> None:
    listing = published()
    listing.maker_status_changed(
        was_approved=True, approved=True, now=LATER, maker=standing(works_precious_metals=False)
    )
    assert listing.hidden_by == ("precious_metals_not_declared",)
    assert not listing.is_visible(True)
    [hidden] = listing.pull_events()
    assert (hidden.name, hidden.data) == (
        ListingEventName.HIDDEN,
        {"hidden_by": ["precious_metals_not_declared"]},
    )
    assert listing.reserve(1, now=LATER).refusal is ReserveRefusal.NOT_AVAILABLE

    listing.maker_status_changed(was_approved=True, approved=True, now=LATER, maker=AUD)
    assert listing.hidden_by == () and listing.is_visible(True)
    assert [event.name for event in listing.pull_events()] == [ListingEventName.SHOWN]


def test_a_record_change_that_breaks_nothing_changes_nothing() -> None:
    listing = published()
    version = listing.version
    listing.maker_status_changed(
        was_approved=True, approved=True, now=LATER, maker=standing(warranty_attested=False)
    )
    assert listing.version == version and listing.pull_events() == []


def test_a_hidden_listing_stays_hidden_while_its_maker_is_reinstated() -> None:
    listing = published()
    listing.maker_status_changed(
        was_approved=True, approved=False, now=LATER, maker=standing(sponsor_mark="ZZ")
    )
    assert [e.name for e in listing.pull_events()] == [ListingEventName.HIDDEN]
    listing.maker_status_changed(
        was_approved=False, approved=True, now=LATER, maker=standing(sponsor_mark="ZZ")
    )
    assert not listing.is_visible(True)
    assert [e.name for e in listing.pull_events()] == [ListingEventName.UPDATED]


def test_a_draft_is_not_hidden_by_the_record() -> None:
    listing = Listing.create(listing_id=UUID(int=1), maker_id=UUID(int=2), fields=draft(), now=NOW)
    listing.maker_status_changed(
        was_approved=True, approved=True, now=LATER, maker=standing(sponsor_mark=None)
    )
    assert listing.hidden_by == () and listing.version == 1


def test_editing_a_hidden_listing_into_keeping_the_rules_shows_it() -> None:
    listing = published()
    listing.maker_status_changed(
        was_approved=True, approved=True, now=LATER, maker=standing(sponsor_mark="NEW")
    )
    listing.pull_events()
    fixed = ListingPatch(hallmark={"status": "hallmarked", "sponsor_mark": "NEW", "assay_office": "london"})
    listing.edit(fixed, now=LATER, maker_claims=[], images=IMAGES, maker=standing(sponsor_mark="NEW"))
    assert listing.hidden_by == () and listing.is_visible(True)
    assert [e.name for e in listing.pull_events()] == [ListingEventName.UPDATED, ListingEventName.SHOWN]


def test_an_edit_may_not_break_a_rule_of_the_record() -> None:
    listing = published()
    stamped = ListingPatch(hallmark={"status": "hallmarked", "sponsor_mark": "XYZ", "assay_office": "london"})
    with pytest.raises(RulesViolated) as refused:
        listing.edit(stamped, now=LATER, maker_claims=[], images=IMAGES, maker=AUD)
    assert [v.code for v in refused.value.errors] == ["sponsor_mark_not_registered"]


def test_a_hidden_listing_may_be_edited_while_still_hidden() -> None:
    maker = standing(works_precious_metals=False)
    listing = published()
    listing.maker_status_changed(was_approved=True, approved=True, now=LATER, maker=maker)
    listing.edit(
        ListingPatch(title="Gold studs, pair"), now=LATER, maker_claims=[], images=IMAGES, maker=maker
    )
    assert listing.hidden_by == ("precious_metals_not_declared",) and not listing.is_visible(True)
