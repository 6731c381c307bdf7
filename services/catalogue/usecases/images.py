"""The catalogue's read model of images: media.image.* events keep, per image, the state with the
highest version.

Nothing else the catalogue stores is made from an image's state: a listing's views read the
images its photos name with the listing (store.ListingRead), search rows hold no photos, and the
catalogue.listing snapshots carry none. So an image that becomes ready (or fails) shows at once
on every listing that names it, with no listing to rewrite.
"""

from __future__ import annotations

from datetime import datetime

from services.catalogue import store
from services.catalogue.domain import MediaImage
from shared.db import UnitOfWork


async def apply_image_state(uow: UnitOfWork, image: MediaImage, now: datetime) -> bool:
    """Keep this state of the image unless a newer one is kept; whether it was kept."""
    return await store.save_image(uow.conn, image, now)
