"""Wiring of the makers service: settings, routes, event handlers, jobs."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.makers.api import routes
from shared.config import ServiceSettings
from shared.service import ServiceDefinition


class MakersSettings(ServiceSettings):
    service = "makers"

    port: int = Field(8082, validation_alias="MAKERS_PORT", description="HTTP port of the makers service")


SERVICE = ServiceDefinition(
    name="makers",
    title="Makers service",
    settings_cls=MakersSettings,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes],
)
