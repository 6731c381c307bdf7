"""The marketplace's services, by name: what ops commands, tests and scripts start or migrate."""

from __future__ import annotations

import importlib

from shared.service import ServiceDefinition

SERVICE_NAMES = ("makers", "catalogue", "orders", "media", "notifications", "reviews", "gateway")


def definition(name: str) -> ServiceDefinition:
    """The service's definition (its `app.SERVICE`), imported only when asked for."""
    if name not in SERVICE_NAMES:
        raise SystemExit(f"unknown service {name!r}; one of {', '.join(SERVICE_NAMES)}")
    service: ServiceDefinition = importlib.import_module(f"services.{name}.app").SERVICE
    return service
