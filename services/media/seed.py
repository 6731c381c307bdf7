"""The media service's demo data: the demo pieces' product photos, drawn (demo_photos.py) and
uploaded through media's own upload use case, as a maker's camera files would be.

`ops/seed.py` runs this as part of `marketplace seed`, after the makers' seed: it hands over the
makers' events, which media applies to its read model of makers through its own handler, as it
would from the bus (only an approved maker uploads), and the photos to make (`DemoPhotoFacts`,
which the catalogue's seed describes for its listings). Each upload stores the original, records
the image `processing` and leaves `media.image.uploaded` in the media outbox; the media worker
makes the renditions once the services run, exactly as for a maker's upload, and its
`media.image.processed` events tell the catalogue the photos are ready.

Everything is deterministic: the caller names each image id, and a photo is drawn from its
description and its own seed. Seeding again finds the images already there and adds nothing.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from services.media import handlers, store, usecases
from services.media.demo_photos import Piece, Stone, View, render_product_photo
from services.media.settings import MediaSettings
from services.media.storage import open_storage
from shared.consumer import handle_directly
from shared.contracts.makers import MakerSnapshotEvent
from shared.contracts.media import ImageUploaded
from shared.db import create_pool

# Photos drawn and uploaded at once: drawing is CPU work in a thread, uploading waits on disk
# and the database, so two keep a core busy while the other waits.
_AT_ONCE = 2


class DemoPhotoFacts(Protocol):
    """What media needs to know of a demo photo (the catalogue's seed describes them): whose it
    is, what it shows, and the seed that varies its backdrop and angle."""

    @property
    def image_id(self) -> uuid.UUID: ...
    @property
    def user_id(self) -> uuid.UUID: ...
    @property
    def category(self) -> str: ...
    @property
    def metal(self) -> str: ...
    @property
    def metal_colour(self) -> str | None: ...
    @property
    def stones(self) -> tuple[tuple[str, int], ...]: ...  # (type, count)
    @property
    def view(self) -> View: ...
    @property
    def seed(self) -> str: ...


@dataclass
class SeededPhotos:
    created: int = 0
    already_there: int = 0
    # The `media.image.uploaded` event of every demo photo, for the catalogue to learn the
    # images from (as it would from the bus).
    events: list[ImageUploaded] = field(default_factory=list)


def piece_of(photo: DemoPhotoFacts) -> Piece:
    return Piece(
        category=photo.category,
        metal=photo.metal,
        metal_colour=photo.metal_colour,
        stones=tuple(Stone(kind, count) for kind, count in photo.stones),
    )


async def seed_photos(
    settings: MediaSettings,
    maker_events: Sequence[MakerSnapshotEvent],
    photos: Sequence[DemoPhotoFacts],
    now: datetime,
) -> SeededPhotos:
    """Learn the makers from their events, then draw and upload each photo not uploaded yet, as
    its maker."""
    seeded = SeededPhotos()
    pool = await create_pool(settings, role="seed")
    try:
        for event in maker_events:
            await handle_directly(
                pool,
                usecases.PRODUCER,
                handlers.on_maker_changed,
                event,
                producer="makers",
                aggregate_id=event.maker_id,
                aggregate_version=event.maker_version,
            )
        async with open_storage(settings) as storage:
            with tempfile.TemporaryDirectory(prefix="demo-photos-") as scratch:
                slots = asyncio.Semaphore(_AT_ONCE)

                async def upload(photo: DemoPhotoFacts) -> None:
                    async with slots:
                        image = await store.image(pool, photo.image_id)
                        if image is not None:
                            seeded.already_there += 1
                        else:
                            path = Path(scratch) / f"{photo.image_id}.jpg"
                            data = await asyncio.to_thread(
                                render_product_photo, piece_of(photo), photo.seed, photo.view
                            )
                            await asyncio.to_thread(path.write_bytes, data)
                            image = await usecases.upload_file(
                                pool,
                                storage,
                                photo.user_id,
                                path,
                                settings.limits,
                                now,
                                image_id=photo.image_id,
                            )
                            path.unlink()
                            # Another image of this maker's with the very same bytes would be
                            # returned instead: every demo photo is drawn differently.
                            assert image.id == photo.image_id, f"photo {photo.seed} drawn twice"
                            seeded.created += 1
                    seeded.events.append(
                        ImageUploaded(
                            image_id=image.id,
                            maker_id=image.maker_id,
                            owner_user_id=image.owner_user_id,
                            image_version=1,
                        )
                    )

                distinct = {photo.image_id: photo for photo in photos}
                async with asyncio.TaskGroup() as uploads:
                    for photo in distinct.values():
                        uploads.create_task(upload(photo))
    finally:
        await pool.close()
    return seeded
