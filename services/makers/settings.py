"""The makers service's settings, read by its code as `app[MAKERS_SETTINGS]`."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from shared.config import ServiceSettings


class MakersSettings(ServiceSettings):
    service = "makers"

    port: int = Field(8082, validation_alias="MAKERS_PORT", description="HTTP port of the makers service")
    reapply_after_days: int = Field(
        30,
        ge=0,
        le=3650,
        validation_alias="MAKERS_REAPPLY_AFTER_DAYS",
        description="Days after a rejection before the maker may reopen their application",
    )


MAKERS_SETTINGS = web.AppKey("makers_settings", MakersSettings)
