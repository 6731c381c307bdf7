"""The media worker, run apart from the API (api, relay and worker as separate real processes):
it stays responsive while it decodes a photo; a worker killed mid-way through a photo loses
nothing and, with another worker taking the redelivered message, the photo gets exactly one set
of renditions and stored objects; the same message delivered twice, or a second message for a
photo already ready, makes no second set; two workers given one photo at once both make it (no
row lock held while they do) and only the first to finish records it."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from PIL import Image

from shared.contracts import Envelope
from shared.contracts.media import ImageUploaded
from tests.support.broker import publish_raw
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.media import approve, encode, jpeg, new_maker, processed, stored_files, upload
from tests.support.waits import consumed, unsent

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def storage_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media-worker") / "storage"


@pytest.fixture(scope="module")
def start_media(
    services_db: dict, service_processes: Callable[..., ServiceProcess], storage_dir: Path
) -> Callable[..., ServiceProcess]:
    def start(role: str, **env: str) -> ServiceProcess:
        return service_processes("media", role=role, MEDIA_STORAGE_DIR=str(storage_dir), **env)

    return start


@pytest.fixture(scope="module")
def api(start_media: Callable[..., ServiceProcess]) -> ServiceProcess:
    start_media("relay")
    return start_media("api")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def workers(start_media: Callable[..., ServiceProcess]) -> Iterator[Callable[..., ServiceProcess]]:
    """start(**env) -> a new media worker; every worker a test starts is stopped when it ends,
    passed or not, so none takes the next test's messages."""
    started: list[ServiceProcess] = []

    def start(**env: str) -> ServiceProcess:
        started.append(start_media("worker", **env))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def makers_here() -> list[uuid.UUID]:
    """The makers this module's tests made: their images are the ones in its storage directory."""
    return []


@pytest.fixture
async def maker(
    makers_here: list[uuid.UUID],
    api: ServiceProcess,
    workers: Callable[..., ServiceProcess],
    test_env: Environment,
    db: asyncpg.Connection,
    mint: Callable[..., str],
) -> AsyncIterator[dict[str, Any]]:
    """An approved maker media knows of (told through a worker, stopped again: each test runs
    its own workers)."""
    worker = workers()
    maker = new_maker()
    makers_here.append(maker.maker_id)
    await approve(test_env.namespace, db, maker)
    worker.stop()
    yield {"maker": maker, "token": mint("maker", maker.user_id)}


def large_png() -> bytes:
    """49 megapixels (just under the limit) in under a megabyte: seconds of decoding and scaling."""
    gradient = Image.linear_gradient("L").resize((7000, 7000))
    channels = (
        gradient,
        gradient.transpose(Image.Transpose.ROTATE_90),
        gradient.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    )
    return encode(Image.merge("RGB", channels), "PNG", compress_level=1)


def log_events(process: ServiceProcess, event: str) -> list[dict[str, Any]]:
    lines = []
    for line in process.logs().splitlines():
        if f'"{event}"' in line:
            lines.append(json.loads(line))
    return lines


async def expected_objects(db: asyncpg.Connection, maker_ids: list[uuid.UUID]) -> set[str]:
    """What storage should hold: every original and every rendition of these makers' images."""
    originals = await db.fetch("SELECT original_key FROM media.images WHERE maker_id = ANY($1)", maker_ids)
    renditions = await db.fetch(
        "SELECT DISTINCT r.key FROM media.renditions r JOIN media.images i ON i.id = r.image_id "
        "WHERE i.maker_id = ANY($1)",
        maker_ids,
    )
    return {row["original_key"] for row in originals} | {row["key"] for row in renditions}


async def upload_announced_again(exchange: str, image_id: uuid.UUID, maker_id: uuid.UUID) -> Envelope:
    """A second `media.image.uploaded` message for the image (a new event id), published."""
    again = Envelope.wrap(
        ImageUploaded(image_id=image_id, maker_id=maker_id, image_version=1),
        producer="media",
        aggregate_id=str(image_id),
        aggregate_version=1,
    )
    await publish_raw(exchange, again.routing_key, again.model_dump_json().encode(), str(again.event_id))
    return again


async def one_set(db: asyncpg.Connection, image_id: uuid.UUID) -> None:
    assert await db.fetchval("SELECT count(*) FROM media.renditions WHERE image_id = $1", image_id) == 4
    assert await db.fetchval("SELECT version FROM media.images WHERE id = $1", image_id) == 2
    assert (
        await db.fetchval(
            "SELECT count(*) FROM media.outbox WHERE aggregate_id = $1 AND routing_key = $2",
            str(image_id),
            "media.image.processed.v1",
        )
        == 1
    )


async def test_a_worker_killed_mid_processing_loses_nothing_and_makes_one_set(
    api: ServiceProcess,
    workers: Callable[..., ServiceProcess],
    session: aiohttp.ClientSession,
    maker: dict[str, Any],
    db: asyncpg.Connection,
    storage_dir: Path,
    makers_here: list[uuid.UUID],
) -> None:
    worker = workers()
    status, body = await upload(session, api.url, maker["token"], large_png(), "large.png", "image/png")
    assert status == 202, body
    image_id = uuid.UUID(body["id"])

    async def processing_started() -> bool:
        return any(e.get("image_id") == body["id"] for e in log_events(worker, "image_processing_started"))

    await eventually(processing_started, timeout_s=30, interval_s=0.02, message="the worker started on it")
    # The decoding runs in a thread: the worker's event loop still answers while it goes on.
    async with session.get(worker.url + "/health/live") as response:
        assert response.status == 200
    assert await db.fetchval("SELECT status FROM media.images WHERE id = $1", image_id) == "processing"
    worker.kill()
    assert await db.fetchval("SELECT status FROM media.images WHERE id = $1", image_id) == "processing", (
        "killed before it finished"
    )

    successor = workers()
    ready = await processed(session, api.url, maker["token"], body["id"])
    assert ready["status"] == "ready"
    assert (ready["width"], ready["height"]) == (7000, 7000)
    assert any(e.get("image_id") == body["id"] for e in log_events(successor, "image_processing_started"))
    await one_set(db, image_id)
    assert stored_files(storage_dir) == await expected_objects(db, makers_here), (
        "exactly one set of objects, nothing half-written"
    )


async def test_the_same_message_twice_and_a_second_message_make_no_second_set(
    api: ServiceProcess,
    workers: Callable[..., ServiceProcess],
    session: aiohttp.ClientSession,
    maker: dict[str, Any],
    test_env: Environment,
    db: asyncpg.Connection,
    storage_dir: Path,
    makers_here: list[uuid.UUID],
) -> None:
    # No worker runs: the upload's event waits in media's queue, and a copy of it is put next to it.
    status, body = await upload(session, api.url, maker["token"], jpeg(1600, 1200))
    assert status == 202, body
    image_id = uuid.UUID(body["id"])
    await eventually(lambda: _all_sent(db, image_id), message="the upload's event published")
    row = await db.fetchrow(
        "SELECT event_id, routing_key, envelope::text AS body FROM media.outbox WHERE aggregate_id = $1",
        str(image_id),
    )
    assert row is not None
    exchange = f"{test_env.namespace}.events"
    await publish_raw(exchange, row["routing_key"], row["body"].encode(), message_id=str(row["event_id"]))

    worker = workers()
    ready = await processed(session, api.url, maker["token"], body["id"])
    assert ready["status"] == "ready"

    async def duplicate_skipped() -> bool:
        return any(
            e.get("event_id") == str(row["event_id"]) and e.get("outcome") == "duplicate"
            for e in log_events(worker, "event_consumed")
        )

    await eventually(duplicate_skipped, message="the copy was received and skipped")

    # A second, different message for the image, now ready: handled (its inbox row), and nothing made.
    again = await upload_announced_again(exchange, image_id, maker["maker"].maker_id)
    await eventually(lambda: consumed(db, "media", again.event_id), message="the second message handled")

    await one_set(db, image_id)
    assert (
        len([e for e in log_events(worker, "image_processing_started") if e.get("image_id") == body["id"]])
        == 1
    )
    assert stored_files(storage_dir) == await expected_objects(db, makers_here)


async def test_two_workers_given_one_image_at_once_both_make_it_and_the_first_alone_records_it(
    api: ServiceProcess,
    workers: Callable[..., ServiceProcess],
    session: aiohttp.ClientSession,
    maker: dict[str, Any],
    test_env: Environment,
    db: asyncpg.Connection,
    storage_dir: Path,
    makers_here: list[uuid.UUID],
) -> None:
    # A pool of one connection bounds each worker's prefetch to one message: the worker busy with
    # the upload's message holds it unacknowledged, so the broker gives the second to the other.
    pair = [workers(MARKET_PG_POOL_MAX="1"), workers(MARKET_PG_POOL_MAX="1")]
    status, body = await upload(session, api.url, maker["token"], large_png(), "large.png", "image/png")
    assert status == 202, body
    image_id = uuid.UUID(body["id"])

    async def started() -> int:
        return sum(
            any(e.get("image_id") == body["id"] for e in log_events(worker, "image_processing_started"))
            for worker in pair
        )

    await eventually(started, interval_s=0.02, message="a worker started on it")
    again = await upload_announced_again(f"{test_env.namespace}.events", image_id, maker["maker"].maker_id)

    # The second worker starts only if it read the image still processing: the first had not
    # recorded it, so both make it at once, neither holding the image's row.
    async def both_started() -> bool:
        return await started() == 2

    await eventually(both_started, interval_s=0.02, message="the other worker started on it too")

    ready = await processed(session, api.url, maker["token"], body["id"])
    assert ready["status"] == "ready"
    await eventually(lambda: consumed(db, "media", again.event_id), message="the second message handled")

    # Every run that started ends with its message consumed (recorded, found recorded already, or
    # a duplicate copy the inbox turns away): only then is the count of what was recorded final.
    async def every_run_ended() -> bool:
        return all(
            {
                e["event_id"]
                for e in log_events(w, "image_processing_started")
                if e.get("image_id") == body["id"]
            }
            <= {e["event_id"] for e in log_events(w, "event_consumed")}
            for w in pair
        )

    await eventually(every_run_ended, message="both runs ended")
    await one_set(db, image_id)
    recorded = [e for w in pair for e in log_events(w, "image_processed") if e.get("image_id") == body["id"]]
    assert len(recorded) == 1, "one run recorded it, the other nothing"
    assert not [e for w in pair for e in log_events(w, "event_retry")], "the second commit failed nothing"
    assert stored_files(storage_dir) == await expected_objects(db, makers_here)


async def _all_sent(db: asyncpg.Connection, image_id: uuid.UUID) -> bool:
    return await unsent(db, "media.outbox", aggregate_ids=[str(image_id)]) == 0
