"""The media worker's event consumers: each translates a message into one use case.

makers.maker.*          keep the makers read model (the highest maker_version wins): who may upload
media.image.uploaded    make the image's renditions and placeholder (the CPU work in a thread, at
                        most MEDIA_PROCESSING_SLOTS at once), then ready or failed

The inbox drops a redelivered message; processing is idempotent by state as well (an image no
longer processing is left alone), and its content-addressed blobs make a repeated run harmless.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from services.media import processing, usecases
from services.media.settings import MEDIA_SETTINGS
from services.media.storage import STORAGE
from services.media.store import MakerRecord
from shared.consumer import Handler
from shared.contracts import Envelope, Event
from shared.contracts.makers import MAKER_EVENTS, MakerSnapshotEvent
from shared.contracts.media import ImageUploaded
from shared.db import UnitOfWork

PROCESSING_SLOTS = web.AppKey("media_processing_slots", asyncio.Semaphore)


def _now() -> datetime:
    return datetime.now(UTC)


async def on_maker_changed(uow: UnitOfWork, event: MakerSnapshotEvent, envelope: Envelope) -> None:
    maker = MakerRecord(
        id=event.maker_id,
        user_id=event.user_id,
        version=event.maker_version,
        status=event.status,
        updated_at=_now(),
    )
    await usecases.apply_maker_snapshot(uow, maker)


def for_app(app: web.Application) -> dict[type[Event], Handler]:
    """The handlers of a media process. Settings and storage are read when a message is handled:
    the topology is declared from an app that has neither."""

    async def uploaded(uow: UnitOfWork, event: Any, envelope: Envelope) -> None:
        await usecases.process_image(
            uow, app[STORAGE], event.image_id, app[MEDIA_SETTINGS].limits, app[PROCESSING_SLOTS], _now()
        )

    return {**dict.fromkeys(MAKER_EVENTS, on_maker_changed), ImageUploaded: uploaded}


async def processing_context(app: web.Application) -> AsyncIterator[None]:
    """Pillow's own pixel limit, and the slots that bound how many photos decode at once."""
    settings = app[MEDIA_SETTINGS]
    processing.limit_pixels(settings.max_pixels)
    app[PROCESSING_SLOTS] = asyncio.Semaphore(settings.processing_slots)
    yield
