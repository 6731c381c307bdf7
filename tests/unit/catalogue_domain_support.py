"""What the catalogue domain's unit tests share (test_catalogue_domain_*.py): a listing that meets
every publishing rule and the drafts and listings built from it, metals and stones to describe, and
a listing brought to each state through the real transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from services.catalogue.domain import Listing, ListingDraft, MakerClaim, publish_violations
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


SILVER_UNDER = [{"metal": "silver", "fineness": 925, "weight_g": "5"}]
BRASS = [{"metal": "other", "weight_g": "20"}]


LAB_DIAMOND = {"type": "diamond", "origin": "lab_grown", "carat": "0.50"}
CZ = {"type": "cubic zirconia", "origin": "imitation", "count": 12}
NATURAL_SAPPHIRE = {"type": "sapphire", "origin": "natural", "treatments": ["heating"]}


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
