"""The media service's settings, read by its code as `app[MEDIA_SETTINGS]`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from aiohttp import web
from pydantic import Field, SecretStr

from services.media.domain import ImageLimits
from shared.config import ServiceSettings


class MediaSettings(ServiceSettings):
    service = "media"

    port: int = Field(8084, validation_alias="MEDIA_PORT", description="HTTP port of the media service")
    max_upload_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1,
        validation_alias="MEDIA_MAX_UPLOAD_BYTES",
        description="Largest photo upload in bytes (413 over it); the upload is streamed to a "
        "temporary file and refused as soon as it passes this",
    )
    max_pixels: int = Field(
        50_000_000,
        ge=1,
        validation_alias="MEDIA_MAX_PIXELS",
        description="Most pixels (width × height) a photo may have: `image_too_large` over it, "
        "checked from the header before anything is decoded",
    )
    min_short_side: int = Field(
        800,
        ge=1,
        validation_alias="MEDIA_MIN_SHORT_SIDE",
        description="Fewest pixels on a photo's short side, after its orientation: "
        "`image_too_small` under it",
    )
    processing_slots: int = Field(
        2,
        ge=1,
        le=64,
        validation_alias="MEDIA_PROCESSING_SLOTS",
        description="Photos one media worker decodes at once (each in a thread, off the event loop); "
        "bounds its CPU and memory",
    )
    storage: Literal["directory", "s3"] = Field(
        "directory",
        validation_alias="MEDIA_STORAGE",
        description="Where originals and renditions are kept: `directory` (MEDIA_STORAGE_DIR) or "
        "`s3` (an S3-compatible bucket)",
    )
    storage_dir: Path = Field(
        Path("var/media"),
        validation_alias="MEDIA_STORAGE_DIR",
        description="The content-addressed directory of the `directory` storage (relative to the "
        "working directory unless absolute)",
    )
    s3_endpoint_url: str | None = Field(
        None,
        validation_alias="MEDIA_S3_ENDPOINT_URL",
        description="Endpoint of the S3-compatible service (empty: AWS itself)",
    )
    s3_bucket: str = Field("marketplace-media", validation_alias="MEDIA_S3_BUCKET", description="S3 bucket")
    s3_region: str = Field("us-east-1", validation_alias="MEDIA_S3_REGION", description="S3 region")
    s3_access_key_id: str | None = Field(
        None, validation_alias="MEDIA_S3_ACCESS_KEY_ID", description="S3 access key id"
    )
    s3_secret_access_key: SecretStr | None = Field(
        None, validation_alias="MEDIA_S3_SECRET_ACCESS_KEY", description="S3 secret access key"
    )

    @property
    def limits(self) -> ImageLimits:
        return ImageLimits(max_pixels=self.max_pixels, min_short_side=self.min_short_side)


MEDIA_SETTINGS = web.AppKey("media_settings", MediaSettings)
