"""Wiring of the reviews service: settings, routes, event handlers."""

from __future__ import annotations

from pathlib import Path

from services.reviews.api import routes
from services.reviews.handlers import handlers
from services.reviews.settings import REVIEWS_SETTINGS, ReviewsSettings
from shared.service import ServiceDefinition

SERVICE = ServiceDefinition(
    name="reviews",
    title="Reviews service",
    settings_cls=ReviewsSettings,
    settings_key=REVIEWS_SETTINGS,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes],
    handlers=handlers,
)
