"""The media worker's event consumers: each translates a message into one use case.

makers.maker.*          keep the makers read model (the highest maker_version wins): who may upload
media.image.uploaded    make the image's renditions and placeholder outside any transaction (the
                        CPU work in a thread, at most MEDIA_PROCESSING_SLOTS at once), then record
                        it ready or failed in a short one

The inbox drops a redelivered message; processing is idempotent by state as well (an image no
longer processing is left alone, and one recorded by another run while this one made its
renditions is not recorded again), and its content-addressed blobs make a repeated run harmless.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiohttp import web

from services.media import processing, usecases
from services.media.settings import MEDIA_SETTINGS
from services.media.storage import STORAGE
from services.media.store import MakerRecord
from shared.consumer import Handler, PreparedHandler
from shared.contracts import Envelope, Event
from shared.contracts.makers import MAKER_EVENTS, MakerSnapshotEvent
from shared.contracts.media import ImageUploaded
from shared.db import UnitOfWork

RENDERER = web.AppKey("media_renderer", usecases.Renderer)


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

    async def make(pool: asyncpg.Pool, event: Any, envelope: Envelope) -> usecases.Made | None:
        return await usecases.make_renditions(
            pool, app[STORAGE], event.image_id, app[MEDIA_SETTINGS].limits, app[RENDERER]
        )

    async def record(uow: UnitOfWork, event: Any, envelope: Envelope, made: usecases.Made | None) -> None:
        if made is not None:
            await usecases.record_renditions(uow, made, _now())

    return {
        **dict.fromkeys(MAKER_EVENTS, on_maker_changed),
        ImageUploaded: PreparedHandler(make, record),
    }


async def processing_context(app: web.Application) -> AsyncIterator[None]:
    """Pillow's own pixel limit, and the renderer whose slots bound how many photos decode at
    once."""
    settings = app[MEDIA_SETTINGS]
    processing.limit_pixels(settings.max_pixels)
    app[RENDERER] = usecases.Renderer(settings.processing_slots)
    yield
