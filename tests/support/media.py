"""Helpers of the media tests: photos made at test time in every accepted format (and things
that are not photos), uploads as a maker, and waits on an image's processing."""

from __future__ import annotations

import io
import random
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from PIL import Image, ImageCms

from shared.contracts.makers import MakerApproved, MakerSnapshotEvent
from tests.support.catalogue import TestMaker, publish
from tests.support.harness import eventually

GPS_IFD = 0x8825
ORIENTATION = 0x0112
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def picture(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A picture of its own each time (a random colour under noise, so its sha256 is new)."""
    colour = tuple(random.randrange(256) for _ in mode)
    noise = Image.effect_noise((width, height), 40).convert(mode)
    return Image.blend(Image.new(mode, (width, height), colour), noise, 0.3)


def encode(image: Image.Image, image_format: str, **params: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **params)
    return out.getvalue()


def jpeg(width: int = 1200, height: int = 900, **params: Any) -> bytes:
    return encode(picture(width, height), "JPEG", quality=85, **params)


def png(width: int = 1000, height: int = 800, mode: str = "RGBA") -> bytes:
    return encode(picture(width, height, mode), "PNG")


def webp(width: int = 1000, height: int = 800) -> bytes:
    return encode(picture(width, height), "WEBP", quality=80)


def heic(width: int = 1000, height: int = 800) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return encode(picture(width, height), "HEIF", quality=80)


def gps_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with a camera, an orientation and the GPS position of a workshop."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    return exif


def chunks(webp_bytes: bytes) -> list[bytes]:
    """The RIFF chunk names of a WebP file (VP8 / VP8L / VP8X, ALPH, and ICCP, EXIF, XMP when any)."""
    names, position = [], 12
    while position + 8 <= len(webp_bytes):
        names.append(webp_bytes[position : position + 4])
        size = int.from_bytes(webp_bytes[position + 4 : position + 8], "little")
        position += 8 + size + (size & 1)
    return names


async def approve(namespace: str, db: asyncpg.Connection, maker: TestMaker, status: str = "approved") -> None:
    """Tell media (over the broker, as the makers service would) that the maker has this status,
    and wait until media's read model has it."""
    event: MakerSnapshotEvent = maker.event(MakerApproved, status)
    await publish(namespace, event, "makers", maker.maker_id, maker.version)

    async def known() -> bool:
        return bool(
            await db.fetchval(
                "SELECT 1 FROM media.makers WHERE id = $1 AND version = $2", maker.maker_id, maker.version
            )
        )

    await eventually(known, message="media knows the maker")


async def upload(
    session: aiohttp.ClientSession,
    base_url: str,
    token: str,
    data: bytes,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type=content_type)
    async with session.post(
        f"{base_url}/api/v1/images", data=form, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return response.status, await response.json(content_type=None)


async def image_state(
    session: aiohttp.ClientSession, base_url: str, token: str, image_id: str
) -> tuple[int, dict[str, Any]]:
    async with session.get(
        f"{base_url}/api/v1/images/{image_id}", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return response.status, await response.json(content_type=None)


async def processed(
    session: aiohttp.ClientSession, base_url: str, token: str, image_id: str, timeout_s: float = 60
) -> dict[str, Any]:
    """The image once it is no longer processing (ready or failed)."""

    async def done() -> dict[str, Any] | None:
        status, body = await image_state(session, base_url, token, image_id)
        assert status == 200, body
        return body if body["status"] != "processing" else None

    result: dict[str, Any] = await eventually(
        done, timeout_s=timeout_s, message=f"image {image_id} processed"
    )
    return result


async def download(session: aiohttp.ClientSession, base_url: str, url: str) -> bytes:
    async with session.get(base_url + url) as response:
        assert response.status == 200, await response.text()
        return await response.read()


def stored_files(root: Path) -> set[str]:
    """Every object in a directory storage, by key (temporary files included, so a leftover
    shows)."""
    if not root.exists():
        return set()
    return {
        str(path.relative_to(root).parent.parent / path.name).removeprefix("./")
        for path in root.rglob("*")
        if path.is_file()
    }


def new_maker() -> TestMaker:
    return TestMaker(maker_id=uuid.uuid4(), user_id=uuid.uuid4())
