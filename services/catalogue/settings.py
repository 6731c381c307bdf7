"""The catalogue service's settings, read by its code as `app[CATALOGUE_SETTINGS]`."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from shared.config import ServiceSettings


class CatalogueSettings(ServiceSettings):
    service = "catalogue"

    port: int = Field(
        8081, validation_alias="CATALOGUE_PORT", description="HTTP port of the catalogue service"
    )
    reservation_ttl_s: int = Field(
        1200,
        ge=1,
        validation_alias="CATALOGUE_RESERVATION_TTL_S",
        description="How long stock stays reserved for an order that is neither confirmed nor "
        "cancelled; longer than orders' 15-minute payment window, so orders settles first",
    )
    facet_cap: int = Field(
        1000,
        ge=1,
        le=100_000,
        validation_alias="CATALOGUE_FACET_CAP",
        description="Search reads at most this many matching listings (the newest) for its "
        "total, facets and relevance ranking: counts are exact up to it, then reported as the "
        'cap with `capped: true` ("1000+"); it bounds what one search costs',
    )


CATALOGUE_SETTINGS = web.AppKey("catalogue_settings", CatalogueSettings)
