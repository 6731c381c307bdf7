"""The catalogue service's settings, read by its code as `app[CATALOGUE_SETTINGS]`."""

from __future__ import annotations

from pathlib import Path

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
    search_index_dir: Path = Field(
        Path(".dev/search"),
        validation_alias="MARKET_SEARCH_INDEX_DIR",
        description="Where each catalogue API instance keeps its search index, in a folder of its "
        "own named by its port (catalogue-<port>); rebuilt from PostgreSQL when missing",
    )
    search_poll_s: float = Field(
        0.5,
        gt=0,
        validation_alias="CATALOGUE_SEARCH_POLL_S",
        description="How often the search index looks for changes when no notification came",
    )
    search_reconcile_s: float = Field(
        60.0,
        gt=0,
        validation_alias="CATALOGUE_SEARCH_RECONCILE_S",
        description="How often the search index's document count is checked against the visible "
        "listings (rebuilt when they differ by more than the changes in flight)",
    )
    search_keep_snapshots_s: float = Field(
        300.0,
        ge=0,
        validation_alias="CATALOGUE_SEARCH_KEEP_SNAPSHOTS_S",
        description="How long a replaced search snapshot stays readable, so paging through "
        "results with a cursor keeps the order it started in",
    )


CATALOGUE_SETTINGS = web.AppKey("catalogue_settings", CatalogueSettings)
