"""`marketplace seed`: the demo makers, their pieces' photos and listings, made through the
services' own code, in a namespace and database of their own (so they do not show up in other
tests' searches); then the real media and catalogue services make every photo ready."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from ops.seed import demo_maker_accounts, seed_demo_data
from services.catalogue.seed import LISTINGS_PER_MAKER, catalogue_is_empty, demo_photos
from services.catalogue.settings import CatalogueSettings
from services.gateway.seed import DEMO_MAKER_PASSWORD
from services.makers.app import MakersSettings
from services.makers.seed import DEMO_MAKERS
from services.media.settings import MediaSettings
from shared.config import ServiceSettings
from shared.contracts.media import RENDITION_WIDTHS
from shared.migrate import migrate
from shared.service import declare_topology
from tests.support.harness import ServiceProcess, admin_dsn, eventually, spawner
from tests.support.harness import TestEnvironment as Environment

# Seeding draws and uploads every photo; the media worker then makes about 300 photos' renditions.
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
async def seed_env(workdir: Path, test_env: Environment) -> AsyncIterator[Environment]:
    """A namespace of its own: database, roles, exchange and queues, all dropped afterwards (the
    run's settings otherwise, as `test_env` applies them to this process)."""
    env = Environment(workdir / "seed")
    yield env
    await env.teardown()


@pytest.fixture(scope="module")
def storage_dir(seed_env: Environment) -> Path:
    return seed_env.workdir / "media"


@pytest.fixture(scope="module")
async def seeded_env(seed_env: Environment, storage_dir: Path) -> dict[str, ServiceSettings]:
    """The demo data, seeded once into the empty namespace."""
    from services.catalogue.app import SERVICE as CATALOGUE
    from services.makers.app import SERVICE as MAKERS
    from services.media.app import SERVICE as MEDIA

    names = {"namespace": seed_env.namespace, "pg_database": seed_env.database}
    settings: dict[str, ServiceSettings] = {
        "makers": seed_env.track(MakersSettings(**names)),
        "media": seed_env.track(MediaSettings(**names, MEDIA_STORAGE_DIR=storage_dir)),
        "catalogue": seed_env.track(CatalogueSettings(**names)),
    }
    for service in (MAKERS, MEDIA, CATALOGUE):
        await migrate(settings[service.name], service.migrations)
        # Queues bound before any service runs, so media's first events reach the catalogue.
        await declare_topology(service, settings[service.name])
    assert await catalogue_is_empty(settings["catalogue"])
    await seed_demo_data(settings)
    assert not await catalogue_is_empty(settings["catalogue"])
    return settings


@pytest.fixture(scope="module")
def seed_services(seed_env: Environment, workdir: Path) -> Iterator[Callable[..., ServiceProcess]]:
    with spawner(seed_env, workdir / "seed") as start:
        yield start


@pytest.fixture
async def conn(seeded_env: dict[str, ServiceSettings]) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(admin_dsn(seeded_env["makers"].pg_database))
    yield conn
    await conn.close()


async def test_the_demo_marketplace(seeded_env: dict[str, ServiceSettings], conn: asyncpg.Connection) -> None:
    makers = await conn.fetch("SELECT id, user_id, status, version FROM makers.makers")
    assert len(makers) == len(DEMO_MAKERS) == 12
    assert {m["status"] for m in makers} == {"approved"}
    read_model = await conn.fetch("SELECT id, user_id, status, version FROM catalogue.makers")
    assert {tuple(m) for m in read_model} == {tuple(m) for m in makers}
    # The makers' events wait in the makers outbox, as a real approval's would.
    makers_events = Counter(
        r["routing_key"] for r in await conn.fetch("SELECT routing_key FROM makers.outbox")
    )
    # ...and the seed's operator verified the evidence of the 8 makers whose claims carry a
    # certificate: only those claims are badges.
    assert makers_events == {
        "makers.maker.submitted.v1": 12,
        "makers.maker.approved.v1": 12,
        "makers.maker.claim_reviewed.v1": 8,
    }

    listings = await conn.fetch("SELECT status, fields FROM catalogue.listings")
    assert len(listings) == 12 * LISTINGS_PER_MAKER
    assert {listing["status"] for listing in listings} == {"published"}
    fields = [json.loads(listing["fields"]) for listing in listings]
    assert len(Counter(f["category"] for f in fields)) >= 8
    assert {m["metal"] for f in fields for m in f["metals"]} == {
        "silver",
        "gold",
        "platinum",
        "palladium",
    }
    assert {s["origin"] for f in fields for s in f["stones"]} == {"natural", "lab_grown", "imitation"}
    assert {f["production"]["kind"] for f in fields} == {
        "ready_to_ship",
        "made_to_order",
        "one_of_a_kind",
    }
    assert {f["hallmark"]["status"] for f in fields} == {"hallmarked", "exempt_under_weight"}
    assert any(f["sourcing_claims"] for f in fields)
    # An engagement is marked with a ring: no cufflinks (or any other piece) for it.
    engagement = {f["category"] for f in fields if "engagement" in f["occasions"]}
    assert engagement == {"ring"}
    assert len({f["title"] for f in fields}) > 200
    visible = await conn.fetchval("SELECT count(*) FROM catalogue.listing_search WHERE visible")
    assert visible == 12 * LISTINGS_PER_MAKER
    published = await conn.fetchval(
        "SELECT count(*) FROM catalogue.outbox WHERE routing_key = 'catalogue.listing.published.v1'"
    )
    assert published == 12 * LISTINGS_PER_MAKER

    # Seeding again adds nothing: the same ids, skipped.
    await seed_demo_data(seeded_env)
    assert await conn.fetchval("SELECT count(*) FROM catalogue.listings") == len(listings)
    assert await conn.fetchval("SELECT count(*) FROM makers.outbox") == 24 + 8
    assert await conn.fetchval("SELECT count(*) FROM media.images") == len(demo_photos(DEMO_MAKERS))
    assert await conn.fetchval("SELECT count(*) FROM media.outbox") == len(demo_photos(DEMO_MAKERS))


async def test_every_demo_listing_has_photos_of_its_own_maker(
    seeded_env: dict[str, ServiceSettings], conn: asyncpg.Connection, storage_dir: Path
) -> None:
    listings = await conn.fetch("SELECT id, maker_id, fields FROM catalogue.listings")
    photos = {row["id"]: json.loads(row["fields"])["photos"] for row in listings}
    assert all(photos.values()), "a demo listing without a photo"
    # One or two photos: the piece from the front, then close up (stones) or from an angle.
    assert Counter(len(listing_photos) for listing_photos in photos.values()).keys() == {1, 2}
    assert all(p[0]["alt"].endswith(", seen from the front") for p in photos.values())
    assert all(
        p[1]["alt"].endswith((", close up", ", seen from an angle")) for p in photos.values() if len(p) > 1
    )
    # Written for people: what the piece is, in words, and how it is seen.
    alts = [photo["alt"] for listing_photos in photos.values() for photo in listing_photos]
    assert all(3 <= len(alt) <= 200 for alt in alts)
    assert "18ct yellow gold ring with a laboratory-grown sapphire, seen from the front" in alts
    assert "A pair of Britannia silver cufflinks with two onyxes, close up" in alts
    assert not any("http" in json.dumps(row["fields"]) for row in listings), "an external URL in demo data"

    # Every photo was uploaded through media's own upload, as its listing's maker: an original
    # in storage, an image row `processing` and its `media.image.uploaded` event in the outbox.
    images = {
        row["id"]: row
        for row in await conn.fetch(
            "SELECT i.id, m.id AS maker_id, i.status, i.original_key, i.width, i.height "
            "FROM media.images i JOIN media.makers m ON m.id = i.maker_id"
        )
    }
    named = {uuid.UUID(photo["image_id"]) for listing_photos in photos.values() for photo in listing_photos}
    assert named == set(images) == {photo.image_id for photo in demo_photos(DEMO_MAKERS)}
    assert {image_id.version for image_id in named} == {5}  # named ids: the same on every machine
    for row in listings:
        for photo in photos[row["id"]]:
            assert images[uuid.UUID(photo["image_id"])]["maker_id"] == row["maker_id"]
    assert {(row["status"], row["width"], row["height"]) for row in images.values()} == {
        ("processing", 1600, 1200)
    }
    originals = {path.name for path in (storage_dir / "originals").rglob("*") if path.is_file()}
    assert {row["original_key"].removeprefix("originals/") for row in images.values()} == originals
    uploaded = await conn.fetch(
        "SELECT aggregate_id FROM media.outbox WHERE routing_key = 'media.image.uploaded.v1'"
    )
    assert {uuid.UUID(row["aggregate_id"]) for row in uploaded} == named
    # ...and the catalogue learnt each image from that event: the maker's own, processing.
    known = await conn.fetch("SELECT image_id, maker_id, status FROM catalogue.media_images")
    assert {(row["image_id"], row["maker_id"]) for row in known} == {
        (image_id, row["maker_id"]) for image_id, row in images.items()
    }
    assert {row["status"] for row in known} == {"processing"}


async def test_the_demo_photos_become_ready(
    seeded_env: dict[str, ServiceSettings],
    conn: asyncpg.Connection,
    seed_services: Callable[..., ServiceProcess],
    storage_dir: Path,
) -> None:
    """Once the services run, the media worker makes every photo's renditions and the catalogue
    learns they are ready: every listing shows its photos to the public."""
    media = seed_services("media", role="all", MEDIA_STORAGE_DIR=str(storage_dir))
    catalogue = seed_services("catalogue", role="all")
    expected = len(demo_photos(DEMO_MAKERS))

    async def all_ready() -> bool:
        ready = await conn.fetchval("SELECT count(*) FROM catalogue.media_images WHERE status = 'ready'")
        return ready == expected

    await eventually(
        all_ready, timeout_s=480, interval_s=1, message="every demo photo ready in the catalogue"
    )
    assert await conn.fetchval("SELECT count(*) FROM media.images WHERE status = 'ready'") == expected
    assert await conn.fetchval("SELECT count(*) FROM media.renditions") == expected * len(RENDITION_WIDTHS)

    listing_ids = [row["id"] for row in await conn.fetch("SELECT id FROM catalogue.listings")]
    async with aiohttp.ClientSession() as session:
        for listing_id in listing_ids:
            async with session.get(f"{catalogue.url}/api/v1/listings/{listing_id}") as response:
                assert response.status == 200, await response.text()
                listing = await response.json()
            assert listing["photos"], listing["id"]
            main = listing["main_photo"]
            assert main["status"] == "ready" and main["placeholder"].startswith("data:image/webp;base64,")
            assert set(main["urls"]) == {str(width) for width in RENDITION_WIDTHS}
            assert listing["images"] == [photo["urls"]["960"] for photo in listing["photos"]]
        async with session.get(media.url + main["urls"]["480"]) as response:
            assert response.status == 200 and response.headers["Content-Type"] == "image/webp"


def test_demo_accounts_match_the_makers_user_ids() -> None:
    accounts = demo_maker_accounts()
    assert [a.user_id for a in accounts] == [m.user_id for m in DEMO_MAKERS]
    assert len({a.email for a in accounts}) == 12
    assert {(a.role, a.password) for a in accounts} == {("maker", DEMO_MAKER_PASSWORD)}
    # Named ids (uuid5): the same on every machine and every run.
    assert {a.user_id.version for a in accounts} == {5}
    assert len({m.maker_id for m in DEMO_MAKERS} | {a.user_id for a in accounts}) == 24
