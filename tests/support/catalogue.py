"""Helpers of the catalogue tests: makers and media events, valid listing bodies, and in-process
access to the catalogue's schema through its own handlers and stores (as the catalogue's runtime
role).

Publishing needs a ready photo of the maker's own: each TestMaker has one (`photo_id`), which
`approved_maker` makes ready through the catalogue's own image handler, and which `with_photo`
and `add_listing` put on a listing body that names no photos. Over the broker,
`publish_ready_photo` sends the media.image.processed event the media service would."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
import asyncpg
import pytest

from services.catalogue import handlers, store, usecases
from services.catalogue.domain import Listing, ListingDraft
from shared.contracts import Envelope
from shared.contracts.makers import MakerApproved, MakerSnapshotEvent
from shared.contracts.media import RENDITION_WIDTHS, ImageEvent, ImageProcessed
from shared.db import UnitOfWork, create_pool
from tests.support.broker import publish_raw
from tests.support.harness import ServiceProcess, eventually

_versions = itertools.count(1)


@dataclass
class TestMaker:
    __test__ = False  # not a test class, whatever its name

    maker_id: uuid.UUID = field(default_factory=uuid.uuid4)
    user_id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0
    claims: list[dict[str, Any]] = field(default_factory=list)
    # The maker's record as the catalogue's rules read it (sponsor mark, declarations).
    sponsor_mark: str | None = "ADS"
    works_precious_metals: bool = True
    system_of_warranties_attested: bool = True
    # The maker's own photo, made ready by `approved_maker` (or `publish_ready_photo`).
    photo_id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def photos(self) -> list[dict[str, Any]]:
        """A listing's `photos` naming the maker's ready photo."""
        return [{"image_id": str(self.photo_id), "alt": "The piece on a plain linen background"}]

    def event(
        self, event_type: type[MakerSnapshotEvent] = MakerApproved, status: str = "approved"
    ) -> MakerSnapshotEvent:
        """The next snapshot of this maker (a higher maker_version each time)."""
        self.version += 1
        return event_type(
            maker_id=self.maker_id,
            user_id=self.user_id,
            maker_version=self.version,
            status=status,
            handle=f"maker-{self.maker_id.hex[:10]}",
            display_name=f"Maker {self.maker_id.hex[:4]}",
            sourcing_claims=self.claims,
            hallmarking={"sponsor_mark": self.sponsor_mark, "assay_office": "sheffield"}
            if self.sponsor_mark
            else None,
            accepts_commissions=False,
            works_precious_metals=self.works_precious_metals,
            natural_diamonds=True,
            system_of_warranties_attested=self.system_of_warranties_attested,
        )


def envelope(event: Any, producer: str, aggregate_id: Any, version: int = 0) -> Envelope:
    return Envelope.wrap(event, producer=producer, aggregate_id=str(aggregate_id), aggregate_version=version)


async def publish(namespace: str, event: Any, producer: str, aggregate_id: Any, version: int = 0) -> Envelope:
    """Publish an event to the run's exchange as its producer would."""
    wrapped = envelope(event, producer, aggregate_id, version)
    await publish_raw(
        f"{namespace}.events",
        wrapped.routing_key,
        wrapped.model_dump_json().encode(),
        message_id=str(wrapped.event_id),
    )
    return wrapped


def image_processed(maker_id: uuid.UUID, image_id: uuid.UUID, version: int = 2) -> ImageProcessed:
    """The media service's word that the image is ready, with renditions at every width."""
    return ImageProcessed(
        image_id=image_id,
        maker_id=maker_id,
        image_version=version,
        width=1600,
        height=1600,
        placeholder="data:image/webp;base64,UklGRhIAAABXRUJQVlA4IAYAAAAwAQCdASoBAAEAAQAcJaQAA3AA/v3AgAA=",
        urls={str(width): f"/media/{image_id.hex}-{width}.webp" for width in RENDITION_WIDTHS},
    )


async def publish_image(namespace: str, event: ImageEvent) -> Envelope:
    """Publish a media.image.* event as the media service would."""
    return await publish(namespace, event, "media", event.image_id, event.image_version)


async def publish_ready_photo(namespace: str, maker: TestMaker) -> Envelope:
    """The maker's photo (`photo_id`) is ready, said on the broker as the media service would."""
    return await publish_image(namespace, image_processed(maker.maker_id, maker.photo_id))


def with_photo(maker: TestMaker, body: dict[str, Any]) -> dict[str, Any]:
    """The body with the maker's ready photo, unless it names its own photos."""
    return {"photos": maker.photos, **body}


def ring(**overrides: Any) -> dict[str, Any]:
    """A sterling silver ring that meets every publishing rule but photos (whose images belong to
    a maker: `with_photo`)."""
    return {
        "title": "Sterling silver signet ring",
        "description": "Hand-carved and cast in recycled sterling silver.",
        "category": "ring",
        "occasions": ["everyday"],
        "style_tags": ["minimal"],
        "techniques": ["lost-wax casting"],
        "price": {"amount": 12500, "currency": "GBP"},
        "production": {"kind": "ready_to_ship", "stock": 3},
        "metals": [{"metal": "silver", "fineness": 925, "weight_g": 9.5, "recycled": True}],
        "hallmark": {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "sheffield"},
        "options": {"ring_size_mm": {"min": 48.75, "max": 60}},
        **overrides,
    }


# --- in process -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def catalogue_pool(services_db: dict) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the catalogue's schema as its runtime role."""
    pool = await create_pool(services_db["catalogue"])
    yield pool
    await pool.close()


async def apply_maker(pool: asyncpg.Pool, event: MakerSnapshotEvent) -> None:
    """Feed a maker snapshot through the catalogue's own handler."""
    async with UnitOfWork(pool, "catalogue") as uow:
        await handlers.on_maker_changed(uow, event, envelope(event, "makers", event.maker_id))


async def apply_image(pool: asyncpg.Pool, event: ImageEvent) -> None:
    """Feed a media.image.* event through the catalogue's own handler."""
    async with UnitOfWork(pool, "catalogue") as uow:
        wrapped = envelope(event, "media", event.image_id, event.image_version)
        await handlers.on_image_changed(uow, event, wrapped)


async def approved_maker(pool: asyncpg.Pool, claims: list[dict[str, Any]] | None = None) -> TestMaker:
    """A maker approved in the catalogue, with their photo ready."""
    maker = TestMaker(claims=claims or [])
    await apply_maker(pool, maker.event())
    await apply_image(pool, image_processed(maker.maker_id, maker.photo_id))
    return maker


async def add_listing(
    pool: asyncpg.Pool,
    maker: TestMaker,
    body: dict[str, Any],
    *,
    publish: bool = True,
    now: datetime | None = None,
) -> Listing:
    """Create (and publish) a listing through the catalogue's domain and stores, with the maker's
    photo unless the body names its own."""
    now = now or datetime.now(UTC)
    async with UnitOfWork(pool, "catalogue") as uow:
        record = await store.maker_for_user(uow.conn, maker.user_id)
        assert record is not None
        fields = ListingDraft.model_validate(with_photo(maker, body))
        listing = Listing.create(listing_id=uuid.uuid4(), maker_id=record.id, fields=fields, now=now)
        await usecases.insert_listing(uow, listing, record)
        if publish:
            images = await store.known_images(uow.conn, record.id, [p.image_id for p in fields.photos])
            listing.publish(now=now, maker_claims=record.claims, images=images)
            await usecases.save_listing(uow, listing, record, reason="adjusted", now=now)
    return listing


def claim(scheme: str, evidenced: bool = True, expires_on: date | None = None) -> dict[str, Any]:
    return {
        "scheme": scheme,
        "scope": "metal",
        "evidenced": evidenced,
        "expires_on": expires_on.isoformat() if expires_on else None,
    }


async def searchable(url: str) -> None:
    """Wait until the catalogue instance at `url` has applied to its search index every change
    committed before this call: until it has completed a round begun after the call (two more
    rounds than it had completed when asked; rounds are counted on /metrics)."""

    async def rounds() -> float:
        async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
            text = await response.text()
        found = re.search(r"^catalogue_search_rounds (\S+)$", text, re.MULTILINE)
        assert found is not None, "the instance serves no search"
        return float(found.group(1))

    upto = await rounds() + 2

    async def caught_up() -> bool:
        return await rounds() >= upto

    await eventually(caught_up, timeout_s=10, message=f"{url} search index caught up")


def unique_word(prefix: str) -> str:
    """A word no other listing holds (letters only, so it is one token)."""
    return prefix + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))


@asynccontextmanager
async def search_client(url: str) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """get(status=200, path="", **params) -> the JSON of GET /api/v1/listings{path}?params,
    asserting the status; None-valued parameters are left out."""
    async with aiohttp.ClientSession() as session:

        async def get(status: int = 200, path: str = "", **params: Any) -> Any:
            query = urlencode({k: v for k, v in params.items() if v is not None})
            async with session.get(f"{url}/api/v1/listings{path}?{query}") as response:
                body = await response.json(content_type=None)
                assert response.status == status, (params, body)
                return body

        yield get


# The search tests' fixtures (import them by name): the catalogue service for the module, and a
# search_client on it per test.
@pytest.fixture(scope="module")
def service(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("catalogue")


@pytest.fixture
async def client(service: ServiceProcess) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    async with search_client(service.url) as get:
        yield get


async def every_page(get: Callable[..., Awaitable[Any]], **params: Any) -> list[dict[str, Any]]:
    """Every item of a search, page after page through the cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await get(cursor=cursor, **params)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
