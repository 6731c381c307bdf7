"""Response models of the media HTTP API (uploads are multipart, so there is no request model)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from services.media.domain import Image
from services.media.store import RenditionRow
from services.media.usecases import media_url
from shared.contracts.media import ImageFailureCode


class ImageAccepted(BaseModel):
    id: UUID
    status: Literal["processing", "ready", "failed"] = Field(
        description="`processing` for a new upload; the same bytes uploaded again answer with the "
        "image already recorded, in its current state"
    )


class ImageView(BaseModel):
    id: UUID
    status: Literal["processing", "ready", "failed"]
    width: int = Field(description="The original's width in pixels, after its orientation")
    height: int = Field(description="The original's height in pixels, after its orientation")
    placeholder: str | None = Field(
        description="Once ready: a tiny blurred copy as a `data:image/webp;base64,` URL"
    )
    urls: dict[str, str] = Field(
        description="Once ready: each rendition's URL (`/media/{key}`) by width, keys '160', '480', "
        "'960', '1600'; empty before"
    )
    failure_code: ImageFailureCode | None = Field(description="Why processing failed, when it did")


def image_view(image: Image, renditions: list[RenditionRow]) -> ImageView:
    return ImageView(
        id=image.id,
        status=image.status.value,
        width=image.width,
        height=image.height,
        placeholder=image.placeholder,
        urls={str(r.width): media_url(r.key) for r in renditions},
        failure_code=image.failure_code,
    )
