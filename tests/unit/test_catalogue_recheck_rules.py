"""The rules a public listing is held to again after it went public (wording, the marketplace's
currencies): what a re-check hides and shows, and how its codes live beside those of the
maker's record in `hidden_by`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from services.catalogue.domain import Listing, ListingDraft, ListingEventName, ListingPatch, MakerStanding
from services.catalogue.domain.recheck import rechecked_after_edit, with_rechecked
from tests.support.photos import PHOTO, ready_images

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
AUD = MakerStanding(sponsor_mark="AUD", works_precious_metals=True, warranty_attested=True)
IMAGES = ready_images(UUID(int=2))
GBP = ["GBP"]


def body(**overrides: Any) -> dict[str, Any]:
    """A brass cuff, honestly worded."""
    return {
        "title": "Gold-tone brass cuff",
        "description": "Hammered brass, polished by hand.",
        "category": "bracelet",
        "price": {"amount": 4500, "currency": "GBP"},
        "production": {"kind": "ready_to_ship", "stock": 2},
        "metals": [{"metal": "other", "weight_g": "30"}],
        "hallmark": {"status": "not_applicable"},
        "photos": [PHOTO],
        **overrides,
    }


def published(**overrides: Any) -> Listing:
    listing = Listing.create(
        listing_id=UUID(int=1), maker_id=UUID(int=2), fields=ListingDraft.model_validate(body()), now=NOW
    )
    listing.publish(now=NOW, maker_claims=[], images=IMAGES, maker=AUD)
    # What it said before the rule that now refuses it existed.
    listing.fields = ListingDraft.model_validate(body(**overrides))
    listing.pull_events()
    return listing


def events(listing: Listing) -> list[ListingEventName]:
    return [event.name for event in listing.pull_events()]


@pytest.mark.parametrize(
    ("overrides", "currencies", "expected"),
    [
        ({}, GBP, ()),
        ({"title": "Gold cuff"}, GBP, ("misleading_metal_description",)),
        ({"title": "Gold-plated cuff"}, GBP, ()),
        ({}, ["EUR"], ("currency_not_accepted",)),
        ({}, ["EUR", "GBP"], ()),
        ({"title": "Sterling cuff"}, ["EUR"], ("currency_not_accepted", "misleading_metal_description")),
    ],
)
def test_a_recheck_hides_a_public_listing_for_each_rule_it_now_breaks(
    overrides: dict[str, Any], currencies: list[str], expected: tuple[str, ...]
) -> None:
    listing = published(**overrides)
    listing.recheck(currencies=currencies, maker_approved=True, now=LATER)
    assert listing.hidden_by == expected
    assert events(listing) == ([ListingEventName.HIDDEN] if expected else [])
    assert listing.is_visible(True) is not expected


def test_a_recheck_shows_it_again_once_it_breaks_none_and_leaves_the_record_codes() -> None:
    listing = published(title="Gold cuff")
    listing.recheck(currencies=["EUR"], maker_approved=True, now=LATER)
    listing.hidden_by = ("currency_not_accepted", "sponsor_mark_not_registered")  # and the record's
    listing.fields = ListingDraft.model_validate(body())
    listing.recheck(currencies=GBP, maker_approved=True, now=LATER)
    assert listing.hidden_by == ("sponsor_mark_not_registered",)
    assert events(listing) == [ListingEventName.HIDDEN, ListingEventName.UPDATED]
    listing.hidden_by = ("currency_not_accepted",)
    listing.recheck(currencies=GBP, maker_approved=True, now=LATER)
    assert (listing.hidden_by, events(listing)) == ((), [ListingEventName.SHOWN])


def test_a_recheck_of_a_listing_that_is_not_public_changes_nothing() -> None:
    listing = published(title="Gold cuff")
    listing.pause(now=LATER)
    listing.pull_events()
    version = listing.version
    listing.recheck(currencies=["EUR"], maker_approved=True, now=LATER)
    assert (listing.hidden_by, listing.version, events(listing)) == ((), version, [])


def test_a_listing_of_a_suspended_maker_is_hidden_without_a_hidden_event() -> None:
    listing = published(title="Gold cuff")
    listing.recheck(currencies=GBP, maker_approved=False, now=LATER)
    assert (listing.hidden_by, events(listing)) == (
        ("misleading_metal_description",),
        [ListingEventName.UPDATED],
    )


def test_the_makers_edit_that_rewords_it_shows_it_again() -> None:
    listing = published(title="Gold cuff")
    listing.recheck(currencies=GBP, maker_approved=True, now=LATER)
    listing.pull_events()
    listing.edit(ListingPatch(title="Gold-tone cuff"), now=LATER, maker_claims=[], images=IMAGES, maker=AUD)
    assert listing.hidden_by == ()
    assert ListingEventName.SHOWN in events(listing)


@pytest.mark.parametrize(
    ("price", "currencies", "still"),
    [
        ("GBP", ["EUR"], ("currency_not_accepted",)),  # the price the edit left is still not taken
        ("EUR", ["EUR"], ()),  # the maker re-priced it in a currency taken
        ("GBP", ["EUR", "GBP"], ()),  # the currency is taken again
        ("GBP", None, ("currency_not_accepted",)),  # not known: left to the next re-check
    ],
)
def test_an_edit_clears_a_currency_code_only_when_the_prices_are_taken(
    price: str, currencies: list[str] | None, still: tuple[str, ...]
) -> None:
    fields = ListingDraft.model_validate(body(price={"amount": 4500, "currency": price}))
    assert rechecked_after_edit(("currency_not_accepted",), fields, currencies) == still
    assert rechecked_after_edit((), fields, ["EUR"]) == ()


def test_the_two_families_of_codes_are_kept_apart() -> None:
    record = ("precious_metals_not_declared", "sponsor_mark_not_registered")
    assert with_rechecked((*record, "misleading_metal_description"), ["currency_not_accepted"]) == (
        "currency_not_accepted",
        "precious_metals_not_declared",
        "sponsor_mark_not_registered",
    )
    assert with_rechecked(("misleading_metal_description",), record) == ()
