"""The reviews service's settings, read by its code as `app[REVIEWS_SETTINGS]`."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from shared.config import ServiceSettings


class ReviewsSettings(ServiceSettings):
    service = "reviews"

    port: int = Field(8086, validation_alias="REVIEWS_PORT", description="HTTP port of the reviews service")


REVIEWS_SETTINGS = web.AppKey("reviews_settings", ReviewsSettings)
