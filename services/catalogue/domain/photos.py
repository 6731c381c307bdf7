"""A listing's photos: images a maker uploaded to the media service, which the catalogue knows
from media.image.* events (its read model of images), and the rules they keep for a listing to
be published.

A listing names its photos by image id, each with its alt text; the first is the main photo.
An image may be named before the catalogue has heard of it (its `uploaded` event may still be on
its way), but never when the catalogue knows it is another maker's. To be published, a listing
needs at least one photo, every photo the maker's own and `ready`, each described in 3-200
characters for people who cannot see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from services.catalogue.domain.vocabulary import MAX_ALT_TEXT_DRAFT, MAX_PHOTOS, ValueObject
from shared.errors import Violation
from shared.text import single_line

ALT_TEXT_MIN, ALT_TEXT_MAX = 3, 200

PHOTOS_REQUIRED = "photos_required"
PHOTO_NOT_READY = "photo_not_ready"
ALT_TEXT_REQUIRED = "alt_text_required"
PHOTO_NOT_FOUND = "photo_not_found"


class ImageStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class MediaImage:
    """An image as the catalogue knows it: the latest media.image.* event about it (the highest
    `version` wins). Its renditions (`width`, `height`, `placeholder`, `urls` by width) exist
    once it is ready."""

    image_id: UUID
    maker_id: UUID
    version: int
    status: ImageStatus
    width: int | None = None
    height: int | None = None
    placeholder: str | None = None
    urls: Mapping[str, str] | None = None
    failure_code: str | None = None

    @property
    def is_ready(self) -> bool:
        return self.status is ImageStatus.READY


@dataclass(frozen=True)
class KnownImages:
    """What the catalogue knows of the images named by one maker's listing (`by_id`, from its
    read model), seen from that maker's side: each image is theirs, another maker's, or not
    known yet."""

    maker_id: UUID
    by_id: Mapping[UUID, MediaImage] = field(default_factory=dict)

    def own(self, image_id: UUID) -> MediaImage | None:
        """The image, when it is known to be this maker's."""
        image = self.by_id.get(image_id)
        return image if image is not None and image.maker_id == self.maker_id else None

    def is_foreign(self, image_id: UUID) -> bool:
        """Known to be another maker's."""
        image = self.by_id.get(image_id)
        return image is not None and image.maker_id != self.maker_id

    @property
    def versions(self) -> tuple[tuple[UUID, int], ...]:
        """Which state of each image this is: whatever is built from them changes with it."""
        return tuple(sorted((image.image_id, image.version) for image in self.by_id.values()))


# A draft's alt text may be anything up to a bound; publishing asks for 3-200 characters.
AltText = Annotated[str, single_line(0, MAX_ALT_TEXT_DRAFT)]


class Photo(ValueObject):
    """One photo of a listing: an uploaded image and the text that describes it."""

    image_id: UUID
    alt: AltText = Field(
        default="",
        description=f"What the photo shows, for people who cannot see it "
        f"({ALT_TEXT_MIN}-{ALT_TEXT_MAX} characters to publish)",
    )


def _each_image_once(photos: list[Photo]) -> list[Photo]:
    seen: set[UUID] = set()
    for photo in photos:
        if photo.image_id in seen:
            raise PydanticCustomError("duplicate_photo", "Each image may be one photo of a listing only once")
        seen.add(photo.image_id)
    return photos


# The first is the main photo (search results and cards show it).
Photos = Annotated[list[Photo], Field(max_length=MAX_PHOTOS), AfterValidator(_each_image_once)]


def foreign_photo_violations(photos: Sequence[Photo], images: KnownImages) -> list[Violation]:
    """`photo_not_found` for each photo whose image the catalogue knows to be another maker's
    (whose, it never says)."""
    return [
        Violation(("photos", index, "image_id"), "No such image among your uploads", PHOTO_NOT_FOUND)
        for index, photo in enumerate(photos)
        if images.is_foreign(photo.image_id)
    ]


def photo_violations(photos: Sequence[Photo], images: KnownImages) -> list[Violation]:
    """The rules a listing's photos keep to be published, and while it is public.

    Codes: photos_required (none), photo_not_ready (an image not known to be the maker's own
    and ready: still processing, failed, not heard of yet, or another maker's),
    alt_text_required (alt text outside 3-200 characters)."""
    if not photos:
        return [Violation(("photos",), "A published listing needs at least one photo", PHOTOS_REQUIRED)]
    return [*_not_ready(photos, images), *_alt_texts(photos)]


def _not_ready(photos: Sequence[Photo], images: KnownImages) -> Iterable[Violation]:
    for index, photo in enumerate(photos):
        image = images.own(photo.image_id)
        if image is None or not image.is_ready:
            failed = image is not None and image.status is ImageStatus.FAILED
            state = "could not be processed" if failed else "is not ready"
            yield Violation(("photos", index, "image_id"), f"This photo {state}", PHOTO_NOT_READY)


def _alt_texts(photos: Sequence[Photo]) -> Iterable[Violation]:
    for index, photo in enumerate(photos):
        if not ALT_TEXT_MIN <= len(photo.alt) <= ALT_TEXT_MAX:
            yield Violation(
                ("photos", index, "alt"),
                f"Describe what the photo shows in {ALT_TEXT_MIN} to {ALT_TEXT_MAX} characters",
                ALT_TEXT_REQUIRED,
            )
