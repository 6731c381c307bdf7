"""The media use cases: plain async functions that the HTTP API (api.py), the event handlers
(handlers.py), seeds, benchmarks and tests all call.

    accept_upload      an upload already streamed to a file: checked by its bytes, its original
                       stored, the image recorded with `media.image.uploaded` in one transaction
    upload_file        the same for a file on disk (seeds, benchmarks)
    make_renditions    the worker's slow part, outside any transaction: renditions and
                       placeholder made and stored (or the original refused)
    record_renditions  the worker's short transaction after it: the image ready with
                       `media.image.processed` (or failed with `media.image.failed`), unless
                       another run recorded it first
    image_for          an image as its owner (its maker, or the customer who uploaded it) or an
                       operator sees it; anyone else: not found
    apply_maker_snapshot  the makers read model follows makers.maker.* events

Nothing a refusal could leave is written before every check has passed: the original is stored
only once the upload is known to be an acceptable photo, and its row only after that.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

import asyncpg

from services.media import processing, store
from services.media.domain import Image, ImageLimits, ImageStatus, UploadScan, classify
from services.media.storage import MediaStorage, original_key
from services.media.store import MakerRecord, RenditionRow
from shared.auth import Principal
from shared.contracts.media import ImageFailed, ImageProcessed, ImageUploaded
from shared.db import Executor, UnitOfWork
from shared.errors import Forbidden, RulesViolated, not_found
from shared.logging import get_logger

log = get_logger()

PRODUCER = "media"
_READ_CHUNK_BYTES = 256 * 1024


def require_uploader(maker: MakerRecord | None) -> MakerRecord:
    """Only an approved maker (not suspended) uploads photos."""
    if maker is None or not maker.approved:
        raise Forbidden(
            "Only a maker whose application is approved (and not suspended) may upload photos",
            code="maker_not_approved",
        )
    return maker


async def uploader(db: Executor, user_id: UUID, role: str = "maker") -> MakerRecord | None:
    """Who uploads: a maker must be approved (403 `maker_not_approved` otherwise) and uploads as
    their maker; a customer uploads as themselves (photos for their reviews): None."""
    if role == "customer":
        return None
    return require_uploader(await store.maker_for_user(db, user_id))


async def _image_of_bytes(
    db: Executor, maker: MakerRecord | None, user_id: UUID, sha256: str
) -> Image | None:
    """The image these bytes already are: per maker for a maker, per user for a customer."""
    if maker is not None:
        return await store.maker_image_by_sha256(db, maker.id, sha256)
    return await store.customer_image_by_sha256(db, user_id, sha256)


async def accept_upload(
    pool: asyncpg.Pool,
    storage: MediaStorage,
    user_id: UUID,
    path: Path,
    scan: UploadScan,
    limits: ImageLimits,
    now: datetime,
    image_id: UUID | None = None,
    *,
    role: str = "maker",
) -> Image:
    """An upload streamed to `path` (and scanned on the way): refused (415/422) unless it is a
    whole JPEG, PNG, WebP or HEIC photo within the limits; else its original is stored under its
    sha256 and the image recorded, `processing`, with its `media.image.uploaded` event. A maker's
    image is their maker's; a customer's (`role` customer) has no maker, only its uploading user.
    The same bytes uploaded again by the same maker (or customer) are the image already recorded.
    A new image gets a random id unless the caller names one (the demo seed does, so its ids are
    the same everywhere)."""
    image_format = classify(scan)
    header = await asyncio.to_thread(processing.read_header, path, image_format, limits)
    maker = await uploader(pool, user_id, role)
    existing = await _image_of_bytes(pool, maker, user_id, scan.sha256)
    if existing is not None:
        return existing
    key = original_key(scan.sha256)
    await storage.put_file(key, path)
    async with UnitOfWork(pool, PRODUCER) as uow:
        if maker is not None:
            maker = require_uploader(await store.maker_for_user(uow.conn, user_id, lock=True))
        maker_id = None if maker is None else maker.id
        image = Image(
            id=image_id or uuid.uuid4(),
            maker_id=maker_id,
            status=ImageStatus.PROCESSING,
            format=image_format.value,
            sha256=scan.sha256,
            original_key=key,
            byte_size=scan.size,
            width=header.width,
            height=header.height,
            placeholder=None,
            failure_code=None,
            version=1,
            created_at=now,
            updated_at=now,
            owner_user_id=user_id,
        )
        inserted = await store.insert_image(uow, image)
        if inserted is not None:
            uow.emit(
                ImageUploaded(
                    image_id=image.id, maker_id=maker_id, owner_user_id=user_id, image_version=image.version
                ),
                aggregate_id=image.id,
                aggregate_version=image.version,
            )
            return inserted
    # The same bytes, uploaded at the same moment by the same uploader, won the insert.
    concurrent = await _image_of_bytes(pool, maker, user_id, scan.sha256)
    assert concurrent is not None  # rows are never deleted
    return concurrent


def scan_file(path: Path) -> UploadScan:
    scan = UploadScan()
    with path.open("rb") as source:
        while chunk := source.read(_READ_CHUNK_BYTES):
            scan.feed(chunk)
    return scan


async def upload_file(
    pool: asyncpg.Pool,
    storage: MediaStorage,
    user_id: UUID,
    path: Path,
    limits: ImageLimits,
    now: datetime,
    image_id: UUID | None = None,
) -> Image:
    """`accept_upload` for a file already on disk (seeds, benchmarks): read once to scan it."""
    scan = await asyncio.to_thread(scan_file, path)
    return await accept_upload(pool, storage, user_id, path, scan, limits, now, image_id)


@dataclass(frozen=True)
class Made:
    """What the worker made of one image's original, outside any transaction: its renditions
    and placeholder, already stored, or the refusal that fails the image."""

    image_id: UUID
    outcome: processing.Processed | RulesViolated


class Renderer:
    """How this process makes renditions: in threads, at most `slots` photos at once, and each
    image once at a time. A second delivery of an image already in hand (the broker handing the
    message out again while the first run goes on, say) awaits that run instead of decoding the
    photo again beside it."""

    def __init__(self, slots: int) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._in_hand: dict[UUID, asyncio.Task[Made]] = {}

    async def make(self, storage: MediaStorage, image: Image, limits: ImageLimits) -> Made:
        run = self._in_hand.get(image.id)
        if run is None:
            run = self._in_hand[image.id] = asyncio.create_task(self._make(storage, image, limits))
            run.add_done_callback(lambda _: self._in_hand.pop(image.id, None))
        # Shielded: one waiter cancelled (its worker stopping) does not cancel the others' run.
        return await asyncio.shield(run)

    async def _make(self, storage: MediaStorage, image: Image, limits: ImageLimits) -> Made:
        log.info("image_processing_started", image_id=str(image.id))
        original = await storage.read(image.original_key)
        try:
            async with self._slots:
                processed = await asyncio.to_thread(processing.make_renditions, original, limits)
        except RulesViolated as refusal:
            return Made(image.id, refusal)
        for rendition in {r.key: r for r in processed.renditions}.values():
            await storage.put_bytes(rendition.key, rendition.data)
        return Made(image.id, processed)


async def make_renditions(
    pool: asyncpg.Pool, storage: MediaStorage, image_id: UUID, limits: ImageLimits, renderer: Renderer
) -> Made | None:
    """The worker's slow part, run outside any transaction so no row stays locked for the
    seconds a photo takes: the image's renditions and placeholder made and stored (or the
    refusal of an original that cannot be decoded). An image no longer processing (done by an
    earlier delivery) is left as it is: None. Blobs are content-addressed and the encoding
    deterministic, so two runs for one image (a killed worker's and its successor's, or two
    workers given one image at once) store the very same objects."""
    image = await store.image(pool, image_id)
    if image is None or image.status is not ImageStatus.PROCESSING:
        return None
    return await renderer.make(storage, image, limits)


async def record_renditions(uow: UnitOfWork, made: Made, now: datetime) -> Image | None:
    """The worker's short transaction: the `renditions` rows, the image ready and
    `media.image.processed`, or the image failed and `media.image.failed`. The image is
    re-read locked: one another run recorded meanwhile is no longer processing, and this run
    records nothing (None), so an image gets one set of rows and one event."""
    image = await store.image_for_update(uow, made.image_id)
    if image is None or image.status is not ImageStatus.PROCESSING:
        log.info("image_recorded_already", image_id=str(made.image_id))
        return None
    if isinstance(made.outcome, RulesViolated):
        image.fail(made.outcome.code, now)  # type: ignore[arg-type]  # the codes processing raises
        await store.save_image(uow, image)
        uow.emit(
            ImageFailed(
                image_id=image.id,
                maker_id=image.maker_id,
                owner_user_id=image.owner_user_id,
                image_version=image.version,
                failure_code=image.failure_code,
            ),
            aggregate_id=image.id,
            aggregate_version=image.version,
        )
        log.warning("image_failed", image_id=str(image.id), code=made.outcome.code)
        return image
    processed = made.outcome
    await store.insert_renditions(
        uow.conn,
        image.id,
        [
            RenditionRow(r.width, r.pixel_width, r.pixel_height, r.key, len(r.data))
            for r in processed.renditions
        ],
    )
    image.finish(processed.placeholder, now)
    await store.save_image(uow, image)
    largest = processed.largest
    uow.emit(
        ImageProcessed(
            image_id=image.id,
            maker_id=image.maker_id,
            owner_user_id=image.owner_user_id,
            image_version=image.version,
            width=largest.pixel_width,
            height=largest.pixel_height,
            placeholder=processed.placeholder,
            urls={str(r.width): media_url(r.key) for r in processed.renditions},
        ),
        aggregate_id=image.id,
        aggregate_version=image.version,
    )
    log.info("image_processed", image_id=str(image.id))
    return image


def media_url(key: str) -> str:
    """Where a rendition is served (a path on the gateway and on the media service)."""
    return f"/media/{key}"


async def image_for(db: Executor, principal: Principal, image_id: UUID) -> tuple[Image, list[RenditionRow]]:
    """The image with its renditions, for its owner (its maker, or the customer who uploaded it)
    or an operator; anyone else: not found."""
    image = await store.image(db, image_id)
    if image is None:
        raise not_found("Image")
    if image.maker_id is None:
        if not principal.is_operator and principal.user_id != image.owner_user_id:
            raise not_found("Image")
    elif not principal.is_operator:
        maker = await store.maker_for_user(db, principal.user_id)
        if maker is None or maker.id != image.maker_id:
            raise not_found("Image")
    return image, await store.renditions(db, image_id)


async def apply_maker_snapshot(uow: UnitOfWork, maker: MakerRecord) -> None:
    """Keep the newest snapshot of a maker (the highest version wins)."""
    await store.save_maker(uow.conn, maker)
