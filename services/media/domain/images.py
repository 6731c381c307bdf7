"""An uploaded image: the limits a photo must keep, the renditions it gets, and its life
(processing, then ready or failed, never back).

Limits are checked on the image's size as the header states it, after its orientation, before a
single pixel is decoded, so a decompression bomb (a small file that decodes to gigapixels) is
refused for the price of reading its header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from shared.aggregate import Aggregate
from shared.contracts.media import RENDITION_WIDTHS, ImageFailureCode
from shared.errors import RulesViolated, state_conflict

IMAGE_CORRUPT = "image_corrupt"
IMAGE_TOO_LARGE = "image_too_large"
IMAGE_TOO_SMALL = "image_too_small"

PLACEHOLDER_WIDTH = 20
"""Width in pixels of the tiny blurred placeholder shown while a rendition loads."""


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int
    min_short_side: int


def image_corrupt(detail: str = "The image cannot be read: the file is damaged") -> RulesViolated:
    return RulesViolated(detail, code=IMAGE_CORRUPT)


def check_dimensions(width: int, height: int, limits: ImageLimits) -> None:
    """422 `image_too_large` over the pixel limit, `image_too_small` under the short-side minimum
    (width and height after orientation)."""
    if width < 1 or height < 1:
        raise image_corrupt("The image has no pixels")
    if width * height > limits.max_pixels:
        raise RulesViolated(
            f"The photo has {width * height / 1e6:.1f} megapixels; the most accepted is "
            f"{limits.max_pixels / 1e6:g} megapixels",
            code=IMAGE_TOO_LARGE,
        )
    if min(width, height) < limits.min_short_side:
        raise RulesViolated(
            f"The photo is {width}×{height} pixels; its short side must be at least "
            f"{limits.min_short_side} pixels",
            code=IMAGE_TOO_SMALL,
        )


def scaled_height(width: int, height: int, to_width: int) -> int:
    return max(1, round(height * to_width / width))


def rendition_sizes(width: int, height: int) -> dict[int, tuple[int, int]]:
    """(width, height) of each rendition by its nominal width: scaled down to that width, never
    enlarged (an image narrower than a width gets its own size there)."""
    sizes = {}
    for nominal in RENDITION_WIDTHS:
        to_width = min(nominal, width)
        sizes[nominal] = (to_width, scaled_height(width, height, to_width))
    return sizes


class ImageStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


@dataclass
class Image(Aggregate[None]):
    """One uploaded image of one maker, or of one customer (for a review: no `maker_id`);
    `owner_user_id` is the user who uploaded it. `width` and `height` are the original's, after its
    orientation; the original is kept under `original_key`, named by its sha256. (Its events are
    the contract's, emitted by the use cases: nothing is recorded on the aggregate.)"""

    id: UUID
    maker_id: UUID | None
    status: ImageStatus
    format: str
    sha256: str
    original_key: str
    byte_size: int
    width: int
    height: int
    placeholder: str | None
    failure_code: ImageFailureCode | None
    version: int
    created_at: datetime
    updated_at: datetime
    owner_user_id: UUID | None = None

    def finish(self, placeholder: str, now: datetime) -> None:
        """The renditions are made: ready to be shown."""
        self._leave_processing("finish processing", now)
        self.status = ImageStatus.READY
        self.placeholder = placeholder

    def fail(self, code: ImageFailureCode, now: datetime) -> None:
        """The worker could not make the renditions."""
        self._leave_processing("fail processing", now)
        self.status = ImageStatus.FAILED
        self.failure_code = code

    def _leave_processing(self, action: str, now: datetime) -> None:
        if self.status is not ImageStatus.PROCESSING:
            raise state_conflict(self.status.value, action)
        self.version += 1
        self.updated_at = now
