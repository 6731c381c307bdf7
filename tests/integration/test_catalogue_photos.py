"""A listing's photos over HTTP, against the real catalogue process, PostgreSQL and RabbitMQ: the
catalogue learns each image's state from media.image.* events on the broker (as the media service
publishes them), a listing names images by id, and it is published only with ready, described
photos of its own maker. Search results carry each listing's main photo."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from shared.contracts import Envelope
from shared.contracts.media import ImageFailed, ImageUploaded
from tests.support.catalogue import (
    TestMaker,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    image_processed,
    publish_image,
    ring,
    searchable,
)
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.waits import consumed

pytestmark = pytest.mark.timeout(120)

LISTINGS = "/api/v1/listings"
ALT = "A sterling silver signet ring on grey slate"


class Catalogue:
    def __init__(self, session: aiohttp.ClientSession, url: str, mint: Callable[..., str]) -> None:
        self.session, self.url, self.mint = session, url, mint

    async def call(
        self, method: str, path: str, maker: TestMaker | None = None, json: Any = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.mint('maker', maker.user_id)}"} if maker else {}
        async with self.session.request(method, self.url + path, json=json, headers=headers) as r:
            return r.status, await r.json(content_type=None) if await r.read() else None

    async def ok(self, method: str, path: str, maker: TestMaker | None = None, json: Any = None) -> Any:
        status, body = await self.call(method, path, maker, json)
        assert status in (200, 201), (method, path, status, body)
        return body


@pytest.fixture(scope="module")
def catalogue(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("catalogue")


@pytest.fixture
async def api(catalogue: ServiceProcess, mint: Callable[..., str]) -> AsyncIterator[Catalogue]:
    async with aiohttp.ClientSession() as session:
        yield Catalogue(session, catalogue.url, mint)


@pytest.fixture
async def maker(catalogue_pool: asyncpg.Pool) -> TestMaker:
    return await approved_maker(catalogue_pool)


def photo(image_id: uuid.UUID, alt: str = ALT) -> dict[str, Any]:
    return {"image_id": str(image_id), "alt": alt}


def maker_photo(maker: TestMaker) -> list[dict[str, Any]]:
    return [photo(maker.photo_id)]


def codes(problem: dict[str, Any]) -> list[str]:
    return [error["code"] for error in problem.get("errors", [])]


async def handled(pool: asyncpg.Pool, sent: Envelope) -> None:
    await eventually(
        lambda: consumed(pool, "catalogue", sent.event_id), timeout_s=15, message=f"{sent.type} handled"
    )


async def test_a_listing_is_published_once_its_photo_is_ready_on_the_bus(
    api: Catalogue, maker: TestMaker, test_env: Environment, catalogue_pool: asyncpg.Pool
) -> None:
    image_id = uuid.uuid4()
    # Named before the catalogue has heard of the image: accepted, not ready.
    draft = await api.ok("POST", LISTINGS, maker, ring(photos=[photo(image_id)]))
    path = f"{LISTINGS}/{draft['id']}"
    assert draft["photos"] == [
        {
            "image_id": str(image_id),
            "alt": ALT,
            "status": "processing",
            "width": None,
            "height": None,
            "placeholder": None,
            "urls": None,
            "failure_code": None,
        }
    ]
    assert (draft["images"], draft["main_photo"]["status"]) == ([], "processing")
    status, refused = await api.call("POST", f"{path}/publish", maker)
    assert (status, codes(refused)) == (422, ["photo_not_ready"])
    assert refused["errors"][0]["loc"] == ["photos", 0, "image_id"]

    uploaded = ImageUploaded(image_id=image_id, maker_id=maker.maker_id, image_version=1)
    await handled(catalogue_pool, await publish_image(test_env.namespace, uploaded))
    status, refused = await api.call("POST", f"{path}/publish", maker)
    assert (status, codes(refused)) == (422, ["photo_not_ready"])

    processed = image_processed(maker.maker_id, image_id)
    await handled(catalogue_pool, await publish_image(test_env.namespace, processed))
    mine = await api.ok("GET", path, maker)
    assert mine["photos"][0]["status"] == "ready"  # the view follows the image, the listing unchanged
    assert mine["version"] == draft["version"]

    published = await api.ok("POST", f"{path}/publish", maker)
    assert published["status"] == "published"
    public = await api.ok("GET", path)
    [shown] = public["photos"]
    assert shown == {
        "image_id": str(image_id),
        "alt": ALT,
        "status": "ready",
        "width": processed.width,
        "height": processed.height,
        "placeholder": processed.placeholder,
        "urls": processed.urls,
        "failure_code": None,
    }
    assert public["main_photo"] == shown
    assert public["images"] == [processed.urls["960"]]

    # An older event arriving late changes nothing.
    await handled(catalogue_pool, await publish_image(test_env.namespace, uploaded))
    assert (await api.ok("GET", path))["photos"] == [shown]


async def test_search_results_carry_each_listings_main_photo(
    api: Catalogue, maker: TestMaker, catalogue_pool: asyncpg.Pool, test_env: Environment
) -> None:
    second = uuid.uuid4()
    processed = image_processed(maker.maker_id, second)
    await handled(catalogue_pool, await publish_image(test_env.namespace, processed))
    main = {"image_id": str(maker.photo_id), "alt": ALT}
    draft = await api.ok(
        "POST", LISTINGS, maker, ring(photos=[main, photo(second, "The ring from the side")])
    )
    await api.ok("POST", f"{LISTINGS}/{draft['id']}/publish", maker)
    await searchable(api.url)

    results = await api.ok("GET", f"{LISTINGS}?maker_id={maker.maker_id}")
    [item] = results["items"]
    assert item["main_photo"]["image_id"] == str(maker.photo_id)
    assert set(item["main_photo"]["urls"]) == {"160", "480", "960", "1600"}
    assert item["main_photo"]["placeholder"].startswith("data:image/webp")
    assert [p["image_id"] for p in item["photos"]] == [str(maker.photo_id), str(second)]
    assert item["images"] == [p["urls"]["960"] for p in item["photos"]]


@pytest.mark.parametrize(
    ("photos", "code", "loc"),
    [
        ([], "photos_required", ["photos"]),
        ([{"alt": "ab"}], "alt_text_required", ["photos", 0, "alt"]),
        ([{"alt": "x" * 201}], "alt_text_required", ["photos", 0, "alt"]),
    ],
    ids=["no photo", "alt of 2", "alt of 201"],
)
async def test_publishing_refuses_photos_with_their_codes(
    api: Catalogue, maker: TestMaker, photos: list[dict[str, Any]], code: str, loc: list[Any]
) -> None:
    body = ring(photos=[{"image_id": str(maker.photo_id), **p} for p in photos])
    draft = await api.ok("POST", LISTINGS, maker, body)
    status, refused = await api.call("POST", f"{LISTINGS}/{draft['id']}/publish", maker)
    assert (status, codes(refused), refused["errors"][0]["loc"]) == (422, [code], loc)
    assert (await api.ok("GET", f"{LISTINGS}/{draft['id']}", maker))["status"] == "draft"


async def test_a_failed_photo_is_not_ready_and_says_why_to_its_maker(
    api: Catalogue, maker: TestMaker, catalogue_pool: asyncpg.Pool, test_env: Environment
) -> None:
    image_id = uuid.uuid4()
    failed = ImageFailed(
        image_id=image_id, maker_id=maker.maker_id, image_version=2, failure_code="image_too_small"
    )
    await handled(catalogue_pool, await publish_image(test_env.namespace, failed))
    draft = await api.ok("POST", LISTINGS, maker, ring(photos=[photo(image_id)]))
    assert (draft["photos"][0]["status"], draft["photos"][0]["failure_code"]) == ("failed", "image_too_small")
    status, refused = await api.call("POST", f"{LISTINGS}/{draft['id']}/publish", maker)
    assert (status, codes(refused)) == (422, ["photo_not_ready"])


async def test_another_makers_image_is_not_found_and_nothing_changes(
    api: Catalogue, maker: TestMaker, catalogue_pool: asyncpg.Pool
) -> None:
    other = await approved_maker(catalogue_pool)
    theirs = photo(other.photo_id)
    status, refused = await api.call("POST", LISTINGS, maker, ring(photos=[theirs]))
    assert (status, codes(refused)) == (422, ["photo_not_found"])
    assert str(other.maker_id) not in str(refused)
    assert (
        await catalogue_pool.fetchval("SELECT count(*) FROM listings WHERE maker_id = $1", maker.maker_id)
        == 0
    )

    draft = await api.ok("POST", LISTINGS, maker, ring(photos=maker_photo(maker)))
    status, refused = await api.call("PATCH", f"{LISTINGS}/{draft['id']}", maker, {"photos": [theirs]})
    assert (status, codes(refused), refused["errors"][0]["loc"]) == (
        422,
        ["photo_not_found"],
        ["photos", 0, "image_id"],
    )
    mine = await api.ok("GET", f"{LISTINGS}/{draft['id']}", maker)
    assert ([p["image_id"] for p in mine["photos"]], mine["version"]) == ([str(maker.photo_id)], 1)


async def test_images_are_read_only_and_photos_at_most_ten(api: Catalogue, maker: TestMaker) -> None:
    url = ["https://images.example.com/ring.jpg"]
    status, refused = await api.call("POST", LISTINGS, maker, ring(photos=maker_photo(maker), images=url))
    assert (status, refused["errors"][0]["loc"][-1]) == (422, "images")
    draft = await api.ok("POST", LISTINGS, maker, ring(photos=maker_photo(maker)))
    path = f"{LISTINGS}/{draft['id']}"
    status, refused = await api.call("PATCH", path, maker, {"images": url})
    assert (status, refused["errors"][0]["loc"][-1]) == (422, "images")
    eleven = [photo(uuid.uuid4()) for _ in range(11)]
    status, refused = await api.call("PATCH", path, maker, {"photos": eleven})
    assert status == 422
    assert (await api.ok("GET", path, maker))["version"] == 1


async def test_a_public_listing_keeps_ready_photos_through_its_edits(
    api: Catalogue, maker: TestMaker
) -> None:
    draft = await api.ok("POST", LISTINGS, maker, ring(photos=maker_photo(maker)))
    path = f"{LISTINGS}/{draft['id']}"
    await api.ok("POST", f"{path}/publish", maker)
    for photos, code in [
        ([], "photos_required"),
        ([photo(uuid.uuid4())], "photo_not_ready"),
        ([photo(maker.photo_id, "ab")], "alt_text_required"),
    ]:
        status, refused = await api.call("PATCH", path, maker, {"photos": photos})
        assert (status, codes(refused)) == (422, [code])
    edited = await api.ok("PATCH", path, maker, {"photos": [photo(maker.photo_id, "A ring in the hand")]})
    assert (edited["photos"][0]["alt"], edited["status"]) == ("A ring in the hand", "published")
