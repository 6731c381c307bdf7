"""Wiring of the gateway: the storefront's single entry, and the identity schema."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.config import ServiceSettings
from shared.service import ServiceDefinition


class GatewaySettings(ServiceSettings):
    service = "gateway"
    schema_name = "identity"

    port: int = Field(8080, validation_alias="GATEWAY_PORT", description="HTTP port of the gateway")


SERVICE = ServiceDefinition(
    name="gateway",
    title="Gateway",
    settings_cls=GatewaySettings,
    migrations=Path(__file__).parent / "migrations",
    uses_bus=False,
)
