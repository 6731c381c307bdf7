"""Wiring of the catalogue service: settings, routes, event handlers, jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from services.catalogue import handlers, usecases
from services.catalogue.api import routes
from services.catalogue.settings import CATALOGUE_SETTINGS, CatalogueSettings
from shared.http import POOL
from shared.logging import get_logger
from shared.service import PeriodicJob, ServiceDefinition

log = get_logger()


async def refresh_expired_claims(app: web.Application) -> None:
    """The daily claims refresh, run every ten minutes: nothing to do (one index lookup) until a claim's
    expiry day has passed, then acted on within ten minutes of midnight (UTC)."""
    refreshed = await usecases.refresh_expired_claims(app[POOL], datetime.now(UTC).date())
    if refreshed:
        log.info("claims_refreshed", search_rows=refreshed)


SERVICE = ServiceDefinition(
    name="catalogue",
    title="Catalogue service",
    settings_cls=CatalogueSettings,
    settings_key=CATALOGUE_SETTINGS,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes],
    handlers=handlers.for_app,
    # Cheap when nothing is due (an index lookup), so it runs often and expiry is punctual.
    jobs=[
        PeriodicJob("release-expired-reservations", 5.0, handlers.sweep_expired_reservations),
        PeriodicJob("refresh-expired-claims", 600.0, refresh_expired_claims),
    ],
)
