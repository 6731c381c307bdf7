"""Photos in tests. A listing is published only with a ready photo of its maker's own, so:

- unit tests of the catalogue's rules name `PHOTO` on a listing and pass `ready_images(maker_id)`,
  what the catalogue knows once that photo's image is ready;
- full-stack and browser tests (gateway, media, catalogue) upload a real photo as the maker and
  wait for it to be ready (`ready_photo`), one per maker unless a test asks for another.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import aiohttp
import asyncpg
from PIL import Image

from services.catalogue.domain import ImageStatus, KnownImages, MediaImage
from tests.support.harness import ServiceProcess, eventually

PHOTO_ID = UUID("00000000-0000-4000-8000-0000000000f0")
ALT_TEXT = "The piece on a plain linen background"
PHOTO: dict[str, Any] = {"image_id": str(PHOTO_ID), "alt": ALT_TEXT}
"""A listing's photo in a unit test: its image is ready in `ready_images`."""


def ready_image(maker_id: UUID, image_id: UUID = PHOTO_ID, version: int = 2) -> MediaImage:
    return MediaImage(
        image_id=image_id,
        maker_id=maker_id,
        version=version,
        status=ImageStatus.READY,
        width=1600,
        height=1600,
        placeholder="data:image/webp;base64,AAAA",
        urls={str(width): f"/media/{image_id.hex}-{width}.webp" for width in (160, 480, 960, 1600)},
    )


def ready_images(maker_id: UUID, *images: MediaImage) -> KnownImages:
    """What the catalogue knows when the maker's `PHOTO` is ready (and these `images`)."""
    known = [ready_image(maker_id), *images]
    return KnownImages(maker_id, {image.image_id: image for image in known})


# --- through the gateway and the media service ----------------------------------------------------


def jpeg(width: int = 800, height: int = 800) -> bytes:
    """A JPEG photo of this size, distinct each time (noise over a random colour, so its content
    address is its own)."""
    colour = (random.randrange(256), random.randrange(256), random.randrange(256))
    noise = Image.effect_noise((width, height), 48).convert("RGB")
    image = Image.blend(Image.new("RGB", (width, height), colour), noise, 0.25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


_READY: dict[tuple[str, str], str] = {}


def start_media(
    service_processes: Callable[..., ServiceProcess], workdir: Path, **env: str
) -> ServiceProcess:
    """A real media service (API, worker and relay) keeping its photos under `workdir`; point the
    gateway at it with GATEWAY_MEDIA_URL."""
    return service_processes("media", MEDIA_STORAGE_DIR=str(workdir / "media-storage"), **env)


async def ready_photo(
    session: aiohttp.ClientSession,
    gateway_url: str,
    token: str,
    headers: dict[str, str] | None = None,
    *,
    db: asyncpg.Connection | asyncpg.Pool | None = None,
    new: bool = False,
) -> str:
    """The id of a ready photo of the maker whose token this is: uploaded through the gateway as
    them (an 800x800 JPEG) the first time, once media has learnt of their approval (403 until
    then), then the same one again, unless `new` asks for another. `headers` go with every
    request (a client address, say); a rate-limited request (429) is tried again. Given the
    run's database (`db`), also once the catalogue has heard that it is ready, so a listing
    naming it publishes at once."""
    key = (gateway_url, token)
    if key in _READY and not new:
        return _READY[key]
    headers = {**(headers or {}), "Authorization": f"Bearer {token}"}

    async def accepted() -> str | None:
        form = aiohttp.FormData()
        form.add_field("file", jpeg(), filename="piece.jpg", content_type="image/jpeg")
        async with session.post(f"{gateway_url}/api/v1/images", data=form, headers=headers) as response:
            body = await response.json(content_type=None)
            if response.status == 429 or (
                response.status == 403 and body.get("code") == "maker_not_approved"
            ):
                return None
            assert response.status == 202, (response.status, body)
            return str(body["id"])

    # Services hear of each other through the broker: usually within a second, but a broker that
    # is restarting (another suite's fault injection) delays delivery by its retries.
    image_id: str = await eventually(accepted, timeout_s=60, interval_s=0.25, message="media knows the maker")

    async def ready() -> bool:
        async with session.get(f"{gateway_url}/api/v1/images/{image_id}", headers=headers) as response:
            image = await response.json(content_type=None)
            if response.status == 429:
                return False
            assert response.status == 200, (response.status, image)
            assert image["status"] != "failed", image
            return image["status"] == "ready"

    await eventually(ready, timeout_s=60, interval_s=0.25, message=f"the photo {image_id} is ready")
    if db is not None:
        await eventually(
            lambda: db.fetchval(
                "SELECT status = 'ready' FROM catalogue.media_images WHERE image_id = $1", UUID(image_id)
            ),
            timeout_s=30,
            message=f"the catalogue knows the photo {image_id} is ready",
        )
    _READY.setdefault(key, image_id)
    return image_id


def photos_of(image_id: str, alt: str = ALT_TEXT) -> list[dict[str, Any]]:
    """A listing's `photos` naming one image."""
    return [{"image_id": image_id, "alt": alt}]
