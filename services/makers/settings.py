"""The makers service's settings, read by its code as `app[MAKERS_SETTINGS]`."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from shared.config import ServiceSettings


class MakersSettings(ServiceSettings):
    service = "makers"

    port: int = Field(8082, validation_alias="MAKERS_PORT", description="HTTP port of the makers service")


MAKERS_SETTINGS = web.AppKey("makers_settings", MakersSettings)
