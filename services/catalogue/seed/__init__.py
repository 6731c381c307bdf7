"""The catalogue's demo data: twenty-five published listings for each demo maker, made through
the catalogue's own domain, store and event handler.

`ops/seed.py` runs this as part of `marketplace seed`, after the makers' and media's seeds: it
hands over the makers' events and the `media.image.uploaded` events of the pieces' photos, which
the catalogue applies to its read models through its own handlers, as it would from the bus,
and the facts about each maker the pieces need (`DemoMakerFacts`). Which photos the pieces have,
and their alt text, is said here (`demo_photos`: the media seed draws and uploads them). Each
listing is created and published through the catalogue domain (as the catalogue's seed role),
so every piece obeys the publishing rules, its photos still processing aside (`_as_ready`), and
its events go to the catalogue outbox for orders to learn them.

Everything is deterministic: listing ids are uuid5 names and the pieces come from a seeded
random generator. Seeding again skips what exists, so it is safe to repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.catalogue import handlers, store, usecases
from services.catalogue.domain import ImageStatus, KnownImages, Listing, ListingDraft
from services.catalogue.seed.photos import MOST_PHOTOS, DemoPhoto
from services.catalogue.seed.pieces import LISTINGS_PER_MAKER, SEED, _pieces, demo_photos
from services.catalogue.seed.ranges import DEMO_RANGES, DemoMakerFacts, DemoRange
from shared.config import ServiceSettings
from shared.consumer import handle_directly
from shared.contracts.makers import MakerSnapshotEvent
from shared.contracts.media import ImageUploaded
from shared.db import UnitOfWork, create_pool

__all__ = [
    "DEMO_RANGES",
    "LISTINGS_PER_MAKER",
    "MOST_PHOTOS",
    "SEED",
    "DemoMakerFacts",
    "DemoPhoto",
    "DemoRange",
    "SeededListings",
    "_pieces",
    "catalogue_is_empty",
    "demo_photos",
    "seed_catalogue",
]


@dataclass
class SeededListings:
    created: int = 0
    already_there: int = 0


async def seed_catalogue(
    settings: ServiceSettings,
    makers: Sequence[DemoMakerFacts],
    maker_events: Sequence[MakerSnapshotEvent],
    image_events: Sequence[ImageUploaded],
    now: datetime,
) -> SeededListings:
    """Learn the makers and the uploaded photos (`demo_photos`, uploaded by the media seed) from
    their events, then list and publish each maker's pieces that do not exist yet, as the
    catalogue's seed role. `makers` come in the order of their random seeds, so keep it."""
    seeded = SeededListings()
    pool = await create_pool(settings, role="seed")
    try:
        # The catalogue learns the makers and images as it would from the bus (a repeat is
        # ignored by version).
        for event in maker_events:
            await handle_directly(
                pool,
                "catalogue",
                handlers.on_maker_changed,
                event,
                producer="makers",
                aggregate_id=event.maker_id,
                aggregate_version=event.maker_version,
            )
        for image in image_events:
            await handle_directly(
                pool,
                "catalogue",
                handlers.on_image_changed,
                image,
                producer="media",
                aggregate_id=image.image_id,
                aggregate_version=image.image_version,
            )
        for index, maker in enumerate(makers):
            for listing_id, fields, hours_ago in _pieces(maker, index):
                await _seed_listing(pool, maker, listing_id, fields, now - timedelta(hours=hours_ago), seeded)
    finally:
        await pool.close()
    return seeded


async def _seed_listing(
    pool: asyncpg.Pool,
    maker: DemoMakerFacts,
    listing_id: uuid.UUID,
    fields: dict[str, Any],
    published_at: datetime,
    seeded: SeededListings,
) -> None:
    async with UnitOfWork(pool, "catalogue") as uow:
        if await store.get_listing(uow.conn, listing_id) is not None:
            seeded.already_there += 1
            return
        record = await store.maker_for_user(uow.conn, maker.user_id)
        assert record is not None, f"the catalogue has not learnt the maker {maker.handle}"
        listing = Listing.create(
            listing_id=listing_id,
            maker_id=record.id,
            fields=ListingDraft.model_validate(fields),
            now=published_at - timedelta(hours=2),
        )
        await usecases.insert_listing(uow, listing, record)
        images = await store.known_images(
            uow.conn, record.id, [photo.image_id for photo in listing.fields.photos]
        )
        listing.publish(now=published_at, maker_claims=record.claims, images=_as_ready(images))
        await usecases.save_listing(uow, listing, record, reason="adjusted", now=published_at)
        seeded.created += 1


def _as_ready(images: KnownImages) -> KnownImages:
    """The seed's photos as they will be: each was uploaded by the media seed a moment ago (the
    maker's own, `processing` in the read model) and the media worker makes it ready once the
    services run. The demo listings are published on that promise, so the marketplace is full
    from its first minute; the public sees each photo as soon as its `media.image.processed`
    event arrives (the owner sees it processing until then). Every other rule is checked as a
    maker's publish checks it, and a photo the catalogue does not know as the maker's is still
    refused."""
    return KnownImages(
        images.maker_id,
        {image_id: replace(image, status=ImageStatus.READY) for image_id, image in images.by_id.items()},
    )


async def catalogue_is_empty(settings: ServiceSettings) -> bool:
    conn = await asyncpg.connect(settings.dsn())
    try:
        return not await store.any_listing(conn)
    finally:
        await conn.close()
