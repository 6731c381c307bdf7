"""The catalogue's read models of other services' data, each kept at its newest snapshot from
their events: makers (makers.maker.*), images (media.image.*) and the ratings of listings and
makers (reviews.rating.*)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.catalogue.domain import (
    NO_RATING,
    ImageStatus,
    KnownImages,
    MakerClaim,
    MakerStanding,
    MediaImage,
    Rating,
)
from services.catalogue.store.common import as_rating, rating_of
from shared.db import Executor, keep_newest

# --- the makers read model ------------------------------------------------------------------------


@dataclass(frozen=True)
class MakerRecord:
    """A maker as the catalogue knows them (the latest makers.maker.* snapshot)."""

    id: UUID
    user_id: UUID
    version: int
    status: str
    handle: str
    display_name: str
    sourcing_claims: list[dict[str, Any]]
    hallmarking: dict[str, Any] | None
    works_precious_metals: bool
    natural_diamonds: bool
    accepts_commissions: bool
    updated_at: datetime
    system_of_warranties_attested: bool = False
    # Read with the maker, never written with them: the summary of their visible reviews.
    rating: Rating = NO_RATING

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def standing(self) -> MakerStanding:
        """What the maker-record rules of a listing read (docs/domain.md)."""
        return MakerStanding(
            sponsor_mark=(self.hallmarking or {}).get("sponsor_mark"),
            works_precious_metals=self.works_precious_metals,
            warranty_attested=self.system_of_warranties_attested,
        )

    @property
    def claims(self) -> list[MakerClaim]:
        return [MakerClaim.model_validate(claim) for claim in self.sourcing_claims]


MAKER_COLUMNS = (
    "id",
    "user_id",
    "version",
    "status",
    "handle",
    "display_name",
    "sourcing_claims",
    "hallmarking",
    "works_precious_metals",
    "natural_diamonds",
    "accepts_commissions",
    "updated_at",
    "system_of_warranties_attested",
)


_SELECT_MAKER = f"SELECT {', '.join(MAKER_COLUMNS)}, {rating_of('maker', 'makers.id')} AS rating FROM makers"


_PREFIXED = {prefix: [(column, prefix + column) for column in MAKER_COLUMNS] for prefix in ("", "maker_")}


def maker_record(row: asyncpg.Record, prefix: str = "") -> MakerRecord:
    return MakerRecord(
        **{column: row[key] for column, key in _PREFIXED[prefix]}, rating=as_rating(row[prefix + "rating"])
    )


async def maker_for_user(db: Executor, user_id: UUID, *, lock: bool = False) -> MakerRecord | None:
    """The maker whose user this is. `lock` holds their row against a concurrent suspension
    until the caller's transaction ends, so a listing is never published by a maker who is
    being suspended at that moment."""
    suffix = " FOR SHARE" if lock else ""
    row = await db.fetchrow(f"{_SELECT_MAKER} WHERE user_id = $1{suffix}", user_id)
    return None if row is None else maker_record(row)


async def maker_for_update(conn: asyncpg.Connection, maker_id: UUID) -> MakerRecord | None:
    row = await conn.fetchrow(f"{_SELECT_MAKER} WHERE id = $1 FOR UPDATE", maker_id)
    return None if row is None else maker_record(row)


async def save_maker(conn: asyncpg.Connection, maker: MakerRecord) -> None:
    await keep_newest(conn, "makers", {c: getattr(maker, c) for c in MAKER_COLUMNS}, key=("id",))


async def makers_by_id(db: Executor, maker_ids: list[UUID]) -> dict[UUID, MakerRecord]:
    rows = await db.fetch(f"{_SELECT_MAKER} WHERE id = ANY($1::uuid[])", maker_ids)
    return {row["id"]: maker_record(row) for row in rows}


# --- the images read model ------------------------------------------------------------------------

_IMAGE_COLUMNS = (
    "image_id",
    "maker_id",
    "image_version",
    "status",
    "width",
    "height",
    "placeholder",
    "urls",
    "failure_code",
)


def _image(row: asyncpg.Record | dict[str, Any]) -> MediaImage:
    return MediaImage(
        image_id=UUID(str(row["image_id"])),
        maker_id=UUID(str(row["maker_id"])),
        version=row["image_version"],
        status=ImageStatus(row["status"]),
        width=row["width"],
        height=row["height"],
        placeholder=row["placeholder"],
        urls=row["urls"],
        failure_code=row["failure_code"],
    )


async def save_image(conn: asyncpg.Connection, image: MediaImage, now: datetime) -> bool:
    """Keep this state of the image unless one with a higher version is kept already (the guard
    is in the statement: two events of an image not seen yet may be handled at once). Whether
    it was kept."""
    values = (
        image.image_id,
        image.maker_id,
        image.version,
        image.status.value,
        image.width,
        image.height,
        image.placeholder,
        dict(image.urls) if image.urls is not None else None,
        image.failure_code,
    )
    row = {**dict(zip(_IMAGE_COLUMNS, values, strict=True)), "updated_at": now}
    return await keep_newest(conn, "media_images", row, key=("image_id",), version="image_version")


async def known_images(db: Executor, maker_id: UUID, image_ids: list[UUID]) -> KnownImages:
    """What the catalogue knows of these images, seen from the side of the maker whose listing
    names them."""
    rows = await db.fetch(
        f"SELECT {', '.join(_IMAGE_COLUMNS)} FROM media_images WHERE image_id = ANY($1::uuid[])",
        list(set(image_ids)),
    )
    return KnownImages(maker_id, {row["image_id"]: _image(row) for row in rows})


# The images a listing's photos name, as one jsonb array read with the listing (alias `l`), so a
# view shows each image's current state without a second round trip.
PHOTO_IMAGES = (
    "(SELECT coalesce(jsonb_agg(to_jsonb(i)), '[]') FROM media_images i WHERE i.image_id IN "
    "(SELECT (photo->>'image_id')::uuid FROM jsonb_array_elements(l.fields->'photos') photo)) "
    "AS photo_images"
)


def photo_images(row: asyncpg.Record) -> KnownImages:
    images = (_image(data) for data in row["photo_images"])
    return KnownImages(row["maker_id"], {image.image_id: image for image in images})


# --- the ratings read model ------------------------------------------------------------------------


async def save_rating(
    conn: asyncpg.Connection,
    subject: str,
    subject_id: UUID,
    rating: Rating,
    histogram: dict[str, int],
    version: int,
    now: datetime,
) -> bool:
    """Keep this summary of a listing's or maker's (`subject`) visible reviews unless one of the
    same or a higher version is kept already (the guard is in the statement: two summaries of
    one subject may be handled at once). Whether it was kept."""
    row = {
        "subject": subject,
        "subject_id": subject_id,
        "count": rating.count,
        "total": rating.total,
        "histogram": histogram,
        "version": version,
        "updated_at": now,
    }
    return await keep_newest(conn, "ratings", row, key=("subject", "subject_id"))
