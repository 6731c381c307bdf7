"""Wiring of the catalogue service: settings, routes, event handlers, jobs."""

from __future__ import annotations

from pathlib import Path

from services.catalogue import handlers
from services.catalogue.api import favourite_routes, routes
from services.catalogue.search.context import search_index
from services.catalogue.settings import CATALOGUE_SETTINGS, CatalogueSettings
from shared.service import PeriodicJob, ServiceDefinition

SERVICE = ServiceDefinition(
    name="catalogue",
    title="Catalogue service",
    settings_cls=CatalogueSettings,
    settings_key=CATALOGUE_SETTINGS,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes, favourite_routes],
    handlers=handlers.for_app,
    # The search index of an instance serving the API (built, then kept current).
    contexts=[search_index],
    # Cheap when nothing is due (an index lookup), so it runs often and expiry is punctual.
    jobs=[
        PeriodicJob("release-expired-reservations", 5.0, handlers.sweep_expired_reservations),
        PeriodicJob("refresh-expired-claims", 600.0, handlers.refresh_expired_claims),
        # Reads every public listing: at start (a release or a settings change restarts the
        # worker, and brings the rules it checks), then daily.
        PeriodicJob("recheck-public-listings", 86400.0, handlers.recheck_public_listings),
    ],
)
