"""Wiring of the catalogue service: settings, routes, event handlers, jobs."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.config import ServiceSettings
from shared.service import ServiceDefinition


class CatalogueSettings(ServiceSettings):
    service = "catalogue"

    port: int = Field(8081, validation_alias="CATALOGUE_PORT", description="HTTP port of the catalogue service")


SERVICE = ServiceDefinition(
    name="catalogue",
    title="Catalogue service",
    settings_cls=CatalogueSettings,
    migrations=Path(__file__).parent / "migrations",
)
