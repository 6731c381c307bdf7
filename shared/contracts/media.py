"""Events of the media service: one image's life from upload to renditions.

`media.image.uploaded` tells the catalogue at once which maker owns an image, so a listing can
refer to it while it is still processing (a customer's image, for a review, has no `maker_id`,
only `owner_user_id`, the user who uploaded it: the catalogue ignores it); the media worker
consumes the same event to do the processing (never in the upload request). Exactly one of
`processed` or `failed` follows. A consumer keeps, per `image_id`, the state with the highest
`image_version` and ignores older ones (`aggregate_version` in the envelope is the same number).

Rendition URLs are paths on the gateway (`/media/{key}`); keys are content-addressed, so a URL
never changes meaning and is cached for a year.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.contracts import Event

RENDITION_WIDTHS: tuple[int, ...] = (160, 480, 960, 1600)
"""The widths, in pixels, of every image's WebP renditions (an image narrower than a width gets
its own width there: never enlarged)."""

ImageFailureCode = Literal["image_corrupt", "image_too_large", "image_too_small", "unsupported_media_type"]


class ImageEvent(Event):
    """The shape every media.image.* event shares (not itself an event type)."""

    image_id: UUID
    maker_id: UUID | None = Field(description="The maker whose image it is; none for a customer's")
    owner_user_id: UUID | None = Field(
        default=None, description="The user who uploaded it (absent from older events)"
    )
    image_version: int = Field(ge=1, description="The image record's version after the change")


class ImageUploaded(ImageEvent):
    """A maker (or a customer, for a review) uploaded an image; its original is stored, to be processed."""

    event_type = "media.image.uploaded"
    version = 1


class ImageProcessed(ImageEvent):
    """The worker made the image's renditions: it is `ready` to be shown."""

    event_type = "media.image.processed"
    version = 1

    width: int = Field(ge=1, description="Width of the largest rendition, in pixels")
    height: int = Field(ge=1, description="Height of the largest rendition, in pixels")
    placeholder: str = Field(description="A tiny blurred image as a `data:image/webp;base64,` URL")
    urls: dict[str, str] = Field(
        description="Rendition URL (a gateway path, `/media/{key}`) by width: "
        "keys '160', '480', '960', '1600'"
    )


class ImageFailed(ImageEvent):
    """The worker could not process the image; it is `failed` with this code."""

    event_type = "media.image.failed"
    version = 1

    failure_code: ImageFailureCode


MEDIA_EVENTS: tuple[type[ImageEvent], ...] = (ImageUploaded, ImageProcessed, ImageFailed)
