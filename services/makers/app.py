"""Wiring of the makers service: settings, routes, event handlers, jobs."""

from __future__ import annotations

from pathlib import Path

from services.makers.api import routes
from services.makers.handlers import for_app, republish_stale_snapshots
from services.makers.settings import MAKERS_SETTINGS, MakersSettings
from shared.service import PeriodicJob, ServiceDefinition

SERVICE = ServiceDefinition(
    name="makers",
    title="Makers service",
    settings_cls=MakersSettings,
    settings_key=MAKERS_SETTINGS,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes],
    handlers=for_app,
    jobs=[PeriodicJob("makers-republish-stale-snapshots", 5.0, republish_stale_snapshots)],
)
