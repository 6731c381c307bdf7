"""Wiring of the catalogue service: settings, routes, event handlers, jobs."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.catalogue import handlers
from services.catalogue.api import routes
from shared.config import ServiceSettings
from shared.service import PeriodicJob, ServiceDefinition


class CatalogueSettings(ServiceSettings):
    service = "catalogue"

    port: int = Field(8081, validation_alias="CATALOGUE_PORT", description="HTTP port of the catalogue service")
    reservation_ttl_s: int = Field(
        1200, ge=1, validation_alias="CATALOGUE_RESERVATION_TTL_S",
        description="How long stock stays reserved for an order that is neither confirmed nor "
        "cancelled; longer than orders' 15-minute payment window, so orders settles first",
    )
    facet_cap: int = Field(
        1000, ge=1, le=100_000, validation_alias="CATALOGUE_FACET_CAP",
        description="Search reads at most this many matching listings (the newest) for its "
        "total, facets and relevance ranking: counts are exact up to it, then reported as the "
        "cap with `capped: true` (\"1000+\"); it bounds what one search costs",
    )


SERVICE = ServiceDefinition(
    name="catalogue",
    title="Catalogue service",
    settings_cls=CatalogueSettings,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes],
    handlers=handlers.for_app,
    # Cheap when nothing is due (an index lookup), so it runs often and expiry is punctual.
    jobs=[PeriodicJob("release-expired-reservations", 5.0, handlers.sweep_expired_reservations)],
)
