"""Wiring of the media service: settings, storage, routes, event handlers."""

from __future__ import annotations

from pathlib import Path

from services.media import handlers
from services.media.api import routes
from services.media.settings import MEDIA_SETTINGS, MediaSettings
from services.media.storage import storage_context
from shared.service import ServiceDefinition

SERVICE = ServiceDefinition(
    name="media",
    title="Media service",
    settings_cls=MediaSettings,
    settings_key=MEDIA_SETTINGS,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes],
    handlers=handlers.for_app,
    contexts=[storage_context, handlers.processing_context],
)
