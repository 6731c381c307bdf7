"""Wiring of the orders service: settings, routes, event handlers, jobs."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.config import ServiceSettings
from shared.service import ServiceDefinition


class OrdersSettings(ServiceSettings):
    service = "orders"

    port: int = Field(8083, validation_alias="ORDERS_PORT", description="HTTP port of the orders service")


SERVICE = ServiceDefinition(
    name="orders",
    title="Orders service",
    settings_cls=OrdersSettings,
    migrations=Path(__file__).parent / "migrations",
)
