"""A listing's photos: at most ten, each image once; to publish (and while public), at least one,
every image the maker's own and ready, each described in 3-200 characters; an image known to be
another maker's is never named at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from services.catalogue.domain import (
    ImageStatus,
    KnownImages,
    Listing,
    ListingDraft,
    ListingPatch,
    ListingStatus,
    MediaImage,
    foreign_photo_violations,
    photo_violations,
)
from services.catalogue.schemas import photo_views
from shared.errors import RulesViolated
from tests.support.photos import ALT_TEXT, PHOTO, PHOTO_ID, ready_image, ready_images

MAKER = UUID(int=2)
OTHER_MAKER = UUID(int=3)
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def body(**overrides: Any) -> dict[str, Any]:
    """A sterling silver pendant that keeps every rule, its photo (PHOTO) ready."""
    return {
        "title": "Sterling silver leaf pendant",
        "description": "Pierced and chased by hand.",
        "category": "pendant",
        "price": {"amount": 8500, "currency": "GBP"},
        "production": {"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 10}},
        "metals": [{"metal": "silver", "fineness": 925, "weight_g": "4.1"}],
        "hallmark": {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "sheffield"},
        "photos": [PHOTO],
        **overrides,
    }


def draft(**overrides: Any) -> ListingDraft:
    return ListingDraft.model_validate(body(**overrides))


def photo(image_id: UUID | None = None, alt: str = ALT_TEXT) -> dict[str, Any]:
    return {"image_id": str(image_id or uuid4()), "alt": alt}


def image(status: ImageStatus, maker_id: UUID = MAKER, image_id: UUID = PHOTO_ID) -> MediaImage:
    if status is ImageStatus.READY:
        return ready_image(maker_id, image_id)
    code = "image_corrupt" if status is ImageStatus.FAILED else None
    return MediaImage(image_id, maker_id, 1, status, failure_code=code)


def known(*images: MediaImage) -> KnownImages:
    return KnownImages(MAKER, {i.image_id: i for i in images})


def violations(listing: ListingDraft, images: KnownImages) -> list[tuple[tuple[str | int, ...], str]]:
    return [(v.loc, v.code) for v in photo_violations(listing.photos, images)]


def new_listing(**overrides: Any) -> Listing:
    return Listing.create(listing_id=UUID(int=1), maker_id=MAKER, fields=draft(**overrides), now=NOW)


# --- the field ------------------------------------------------------------------------------------


def test_a_listing_has_at_most_ten_photos() -> None:
    assert len(draft(photos=[photo() for _ in range(10)]).photos) == 10
    with pytest.raises(ValidationError) as refused:
        draft(photos=[photo() for _ in range(11)])
    assert refused.value.errors()[0]["type"] == "too_long"


def test_an_image_is_one_photo_of_a_listing_only_once() -> None:
    with pytest.raises(ValidationError) as refused:
        draft(photos=[PHOTO, {**PHOTO, "alt": "The same piece again"}])
    assert refused.value.errors()[0]["type"] == "duplicate_photo"


def test_a_drafts_alt_text_is_bounded_and_trimmed() -> None:
    assert draft(photos=[photo(alt="  A ring  ")]).photos[0].alt == "A ring"
    assert draft(photos=[photo(alt="x" * 1000)]).photos[0].alt == "x" * 1000
    with pytest.raises(ValidationError):
        draft(photos=[photo(alt="x" * 1001)])
    with pytest.raises(ValidationError):
        draft(photos=[photo(alt="A ring\nwith a line break")])


def test_the_first_photo_is_kept_first() -> None:
    ids = [uuid4() for _ in range(3)]
    assert [p.image_id for p in draft(photos=[photo(i) for i in ids]).photos] == ids


# --- publishing -----------------------------------------------------------------------------------


def test_a_listing_with_no_photo_cannot_be_published() -> None:
    assert violations(draft(photos=[]), ready_images(MAKER)) == [(("photos",), "photos_required")]


def test_ready_described_photos_of_the_maker_publish() -> None:
    second = ready_image(MAKER, uuid4())
    listing = draft(photos=[PHOTO, photo(second.image_id)])
    assert violations(listing, ready_images(MAKER, second)) == []


@pytest.mark.parametrize(
    ("alt", "codes"),
    [
        ("", ["alt_text_required"]),
        ("   ", ["alt_text_required"]),  # trimmed to nothing
        ("ab", ["alt_text_required"]),
        ("abc", []),
        ("x" * 200, []),
        ("x" * 201, ["alt_text_required"]),
    ],
)
def test_each_photo_is_described_in_3_to_200_characters(alt: str, codes: list[str]) -> None:
    found = violations(draft(photos=[photo(PHOTO_ID, alt)]), ready_images(MAKER))
    assert [code for _, code in found] == codes
    assert all(loc == ("photos", 0, "alt") for loc, _ in found)


@pytest.mark.parametrize(
    "images",
    [
        known(image(ImageStatus.PROCESSING)),
        known(image(ImageStatus.FAILED)),
        known(),  # not heard of yet
        known(image(ImageStatus.READY, maker_id=OTHER_MAKER)),
    ],
    ids=["processing", "failed", "unknown", "another makers"],
)
def test_every_photo_must_be_the_makers_own_and_ready(images: KnownImages) -> None:
    assert violations(draft(), images) == [(("photos", 0, "image_id"), "photo_not_ready")]


def test_each_photo_that_breaks_a_rule_is_named() -> None:
    waiting = uuid4()
    listing = draft(photos=[PHOTO, photo(waiting, alt="ab")])
    assert violations(listing, ready_images(MAKER, image(ImageStatus.PROCESSING, image_id=waiting))) == [
        (("photos", 1, "image_id"), "photo_not_ready"),
        (("photos", 1, "alt"), "alt_text_required"),
    ]


def test_publishing_checks_the_photos_with_every_other_rule() -> None:
    listing = new_listing(title=None)
    with pytest.raises(RulesViolated) as refused:
        listing.publish(now=LATER, maker_claims=[], images=known(image(ImageStatus.PROCESSING)))
    assert {v.code for v in refused.value.errors} == {"title_required", "photo_not_ready"}
    assert listing.status is ListingStatus.DRAFT

    listing = new_listing()
    listing.publish(now=LATER, maker_claims=[], images=ready_images(MAKER))
    assert listing.status is ListingStatus.PUBLISHED


# --- editing --------------------------------------------------------------------------------------


def test_a_draft_may_name_photos_that_are_not_ready() -> None:
    listing = new_listing(photos=[])
    waiting = uuid4()
    listing.edit(
        ListingPatch.model_validate({"photos": [photo(waiting, "ab")]}),
        now=LATER,
        maker_claims=[],
        images=known(),
    )
    assert [p.image_id for p in listing.fields.photos] == [waiting]


def test_a_public_listing_keeps_ready_described_photos() -> None:
    listing = new_listing()
    listing.publish(now=NOW, maker_claims=[], images=ready_images(MAKER))
    waiting = uuid4()
    images = ready_images(MAKER, image(ImageStatus.PROCESSING, image_id=waiting))
    for patch, code in [
        ({"photos": []}, "photos_required"),
        ({"photos": [photo(waiting)]}, "photo_not_ready"),
        ({"photos": [photo(PHOTO_ID, "ab")]}, "alt_text_required"),
    ]:
        with pytest.raises(RulesViolated) as refused:
            listing.edit(ListingPatch.model_validate(patch), now=LATER, maker_claims=[], images=images)
        assert [v.code for v in refused.value.errors] == [code]
    assert (listing.version, listing.fields.photos[0].image_id) == (2, PHOTO_ID)

    listing.edit(
        ListingPatch.model_validate({"photos": [photo(PHOTO_ID, "A new description")]}),
        now=LATER,
        maker_claims=[],
        images=images,
    )
    assert listing.fields.photos[0].alt == "A new description"


# --- another maker's images -----------------------------------------------------------------------


def test_only_an_image_known_to_be_another_makers_is_not_found() -> None:
    theirs, unknown = uuid4(), uuid4()
    photos = draft(photos=[PHOTO, photo(theirs), photo(unknown)]).photos
    images = ready_images(MAKER, image(ImageStatus.READY, maker_id=OTHER_MAKER, image_id=theirs))
    found = foreign_photo_violations(photos, images)
    assert [(v.loc, v.code) for v in found] == [(("photos", 1, "image_id"), "photo_not_found")]
    assert str(OTHER_MAKER) not in found[0].msg


def test_a_view_of_the_images_changes_with_any_image() -> None:
    processing = known(image(ImageStatus.PROCESSING))
    ready = known(replace(ready_image(MAKER), version=2))
    assert processing.versions != ready.versions
    assert ready.own(PHOTO_ID) is not None
    assert KnownImages(OTHER_MAKER, ready.by_id).own(PHOTO_ID) is None


# --- what a view shows ----------------------------------------------------------------------------


def test_the_public_sees_ready_photos_only_and_the_owner_sees_every_photo() -> None:
    waiting, theirs = uuid4(), uuid4()
    listing = new_listing(photos=[photo(waiting), PHOTO, photo(theirs)])
    images = ready_images(
        MAKER,
        image(ImageStatus.PROCESSING, image_id=waiting),
        image(ImageStatus.READY, maker_id=OTHER_MAKER, image_id=theirs),
    )
    owner = photo_views(listing, images, full=True)
    assert [(p.image_id, p.status, p.urls is None) for p in owner] == [
        (waiting, ImageStatus.PROCESSING, True),
        (PHOTO_ID, ImageStatus.READY, False),
        (theirs, ImageStatus.PROCESSING, True),  # another maker's renditions are never shown
    ]
    [public] = photo_views(listing, images, full=False)
    assert (public.image_id, public.urls) == (PHOTO_ID, dict(ready_image(MAKER).urls or {}))
