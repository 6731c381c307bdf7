"""Media SQL: the makers read model, images and their renditions.

An image is written only over the version its unit of work loaded (`save_image`), and a worker
records its renditions over the image loaded locked (`image_for_update`), so of two runs for one
upload only the first records anything: the second waits for the first's commit, then finds the
image no longer processing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from services.media.domain import Image, ImageStatus
from shared.db import Executor, UnitOfWork, keep_newest
from shared.errors import concurrent_update

# --- the makers read model ------------------------------------------------------------------------


@dataclass(frozen=True)
class MakerRecord:
    """A maker as media knows them (the latest makers.maker.* snapshot)."""

    id: UUID
    user_id: UUID
    version: int
    status: str
    updated_at: datetime

    @property
    def approved(self) -> bool:
        return self.status == "approved"


_MAKER_COLUMNS = ("id", "user_id", "version", "status", "updated_at")
_SELECT_MAKER = f"SELECT {', '.join(_MAKER_COLUMNS)} FROM makers"


async def maker_for_user(db: Executor, user_id: UUID, *, lock: bool = False) -> MakerRecord | None:
    """The maker whose user this is; `lock` holds their row against a concurrent suspension."""
    suffix = " FOR SHARE" if lock else ""
    row = await db.fetchrow(f"{_SELECT_MAKER} WHERE user_id = $1{suffix}", user_id)
    return None if row is None else MakerRecord(**dict(row))


async def save_maker(conn: asyncpg.Connection, maker: MakerRecord) -> None:
    """Keep the snapshot unless a newer one is kept already (the guard is in the statement, so two
    snapshots of a maker not seen yet cannot overwrite each other out of order)."""
    await keep_newest(conn, "makers", {c: getattr(maker, c) for c in _MAKER_COLUMNS}, key=("id",))


# --- images ---------------------------------------------------------------------------------------

_IMAGE_COLUMNS = (
    "id",
    "maker_id",
    "status",
    "format",
    "sha256",
    "original_key",
    "byte_size",
    "width",
    "height",
    "placeholder",
    "failure_code",
    "version",
    "created_at",
    "updated_at",
    "owner_user_id",
)
_SELECT_IMAGE = f"SELECT {', '.join(_IMAGE_COLUMNS)} FROM images"


def _image(row: asyncpg.Record) -> Image:
    values = dict(row)
    values["status"] = ImageStatus(values["status"])
    return Image(**values)


async def insert_image(uow: UnitOfWork, image: Image) -> Image | None:
    """Insert a new image; None when its maker (a customer's: its user) already has an image of
    these bytes."""
    target = (
        "(maker_id, sha256)"
        if image.maker_id is not None
        else "(owner_user_id, sha256) WHERE maker_id IS NULL"
    )
    row = await uow.conn.fetchrow(
        f"INSERT INTO images ({', '.join(_IMAGE_COLUMNS)}) "
        f"VALUES ({', '.join(f'${i}' for i in range(1, len(_IMAGE_COLUMNS) + 1))}) "
        f"ON CONFLICT {target} DO NOTHING RETURNING {', '.join(_IMAGE_COLUMNS)}",
        *(getattr(image, column) for column in _IMAGE_COLUMNS),
    )
    return None if row is None else uow.track(_image(row))


async def maker_image_by_sha256(db: Executor, maker_id: UUID, sha256: str) -> Image | None:
    row = await db.fetchrow(f"{_SELECT_IMAGE} WHERE maker_id = $1 AND sha256 = $2", maker_id, sha256)
    return None if row is None else _image(row)


async def customer_image_by_sha256(db: Executor, user_id: UUID, sha256: str) -> Image | None:
    row = await db.fetchrow(
        f"{_SELECT_IMAGE} WHERE owner_user_id = $1 AND maker_id IS NULL AND sha256 = $2", user_id, sha256
    )
    return None if row is None else _image(row)


async def image(db: Executor, image_id: UUID) -> Image | None:
    row = await db.fetchrow(f"{_SELECT_IMAGE} WHERE id = $1", image_id)
    return None if row is None else _image(row)


async def image_for_update(uow: UnitOfWork, image_id: UUID) -> Image | None:
    row = await uow.conn.fetchrow(f"{_SELECT_IMAGE} WHERE id = $1 FOR UPDATE", image_id)
    return None if row is None else uow.track(_image(row))


async def save_image(uow: UnitOfWork, image: Image) -> None:
    """Write the image's state over exactly the version this unit of work loaded."""
    updated = await uow.conn.execute(
        "UPDATE images SET status = $2, placeholder = $3, failure_code = $4, version = $5, "
        "updated_at = $6 WHERE id = $1 AND version = $7",
        image.id,
        image.status.value,
        image.placeholder,
        image.failure_code,
        image.version,
        image.updated_at,
        uow.loaded_version(image),
    )
    if updated != "UPDATE 1":
        raise concurrent_update("image")
    uow.mark_saved(image)


# --- renditions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenditionRow:
    width: int
    pixel_width: int
    pixel_height: int
    key: str
    byte_size: int


async def insert_renditions(conn: asyncpg.Connection, image_id: UUID, renditions: list[RenditionRow]) -> None:
    await conn.executemany(
        "INSERT INTO renditions (image_id, width, pixel_width, pixel_height, key, byte_size) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        [(image_id, r.width, r.pixel_width, r.pixel_height, r.key, r.byte_size) for r in renditions],
    )


async def renditions(db: Executor, image_id: UUID) -> list[RenditionRow]:
    rows = await db.fetch(
        "SELECT width, pixel_width, pixel_height, key, byte_size FROM renditions "
        "WHERE image_id = $1 ORDER BY width",
        image_id,
    )
    return [RenditionRow(**dict(row)) for row in rows]
