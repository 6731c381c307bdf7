"""A customer's photos on their review, end to end: the customer uploads a real JPEG to the media
service (a customer's image: no maker, only its uploader), the media worker makes its renditions,
reviews learns the image from media's events on the broker, and the review shows the photo's
rendition URLs. Another customer's image is not the reviewer's (422 image_not_owned), and the
catalogue keeps no customer's image among listing photos."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from shared.contracts.media import ImageProcessed
from tests.support.catalogue import (
    apply_image,
    catalogue_pool,  # noqa: F401 — a fixture
)
from tests.support.harness import ServiceProcess, TestEnvironment, eventually
from tests.support.media import jpeg, processed, upload
from tests.support.orders import Api
from tests.support.reviews import delivered_purchase

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def media(
    services_db: dict,
    service_processes: Callable[..., ServiceProcess],
    tmp_path_factory: pytest.TempPathFactory,
) -> ServiceProcess:
    root: Path = tmp_path_factory.mktemp("review-photos")
    return service_processes("media", MEDIA_STORAGE_DIR=str(root / "storage"))


@pytest.fixture(scope="module")
def reviews(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("reviews")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _customer_photo(
    session: aiohttp.ClientSession, media: ServiceProcess, db: asyncpg.Connection, token: str
) -> dict:
    """A photo the customer uploads, once it is ready and reviews knows it is."""
    status, body = await upload(session, media.url, token, jpeg(1000, 900))
    assert status == 202, body
    ready = await processed(session, media.url, token, body["id"])
    assert ready["status"] == "ready", ready

    async def known() -> bool:
        return bool(
            await db.fetchval(
                "SELECT 1 FROM reviews.images WHERE image_id = $1 AND status = 'ready'", uuid.UUID(body["id"])
            )
        )

    await eventually(known, timeout_s=30, message="reviews knows the ready photo")
    return ready


async def test_a_customer_reviews_with_their_own_uploaded_photo(
    media: ServiceProcess,
    reviews: ServiceProcess,
    session: aiohttp.ClientSession,
    test_env: TestEnvironment,
    db: asyncpg.Connection,
    mint: Callable[..., str],
    catalogue_pool: asyncpg.Pool,
) -> None:
    purchase = await delivered_purchase(test_env.namespace, db)
    token = mint("customer", purchase.customer_id)
    mine = await _customer_photo(session, media, db, token)
    owner = await db.fetchval(
        "SELECT owner_user_id FROM reviews.images WHERE image_id = $1", uuid.UUID(mine["id"])
    )
    assert owner == purchase.customer_id

    api = Api(session, reviews.url, mint)
    review = await api.ok(
        "POST",
        "/api/v1/reviews",
        token,
        status=201,
        json=purchase.review(photos=[{"image_id": mine["id"], "alt": "The ring on my hand"}]),
    )
    [photo] = review["photos"]
    assert photo["image_id"] == mine["id"] and photo["alt"] == "The ring on my hand"
    assert photo["urls"] == mine["urls"] and set(photo["urls"]) == {"160", "480", "960", "1600"}
    assert photo["placeholder"] == mine["placeholder"]
    shown = await api.ok("GET", f"/api/v1/reviews/{review['id']}")
    assert shown["photos"] == review["photos"]

    # Another customer's ready photo is not this reviewer's.
    other = await delivered_purchase(test_env.namespace, db)
    refused = await api.call(
        "POST",
        "/api/v1/reviews",
        mint("customer", other.customer_id),
        json=other.review(photos=[{"image_id": mine["id"], "alt": ""}]),
    )
    assert refused.status == 422 and refused.body["code"] == "image_not_owned"
    assert [e["loc"] for e in refused.body["errors"]] == [["body", "photos", 0, "image_id"]]

    # The catalogue ignores a customer's image: it never becomes a listing photo.
    await apply_image(
        catalogue_pool,
        ImageProcessed(
            image_id=uuid.UUID(mine["id"]),
            maker_id=None,
            owner_user_id=purchase.customer_id,
            image_version=2,
            width=mine["width"],
            height=mine["height"],
            placeholder=mine["placeholder"],
            urls=mine["urls"],
        ),
    )
    assert not await db.fetchval(
        "SELECT 1 FROM catalogue.media_images WHERE image_id = $1", uuid.UUID(mine["id"])
    )
