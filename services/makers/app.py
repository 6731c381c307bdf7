"""Wiring of the makers service: settings, routes, event handlers, jobs."""

from __future__ import annotations

from pathlib import Path

from services.makers.api import routes
from services.makers.settings import MAKERS_SETTINGS, MakersSettings
from shared.service import ServiceDefinition

SERVICE = ServiceDefinition(
    name="makers",
    title="Makers service",
    settings_cls=MakersSettings,
    settings_key=MAKERS_SETTINGS,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes],
)
