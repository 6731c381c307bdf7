"""The S3 storage adapter against a real S3 API (moto's server on loopback, not a mock): objects
written, found, read, served and deleted; and the media service itself running on it, from
upload to a served rendition."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from moto.server import ThreadedMotoServer
from PIL import Image

from services.media.settings import MediaSettings
from services.media.storage import S3Storage, open_storage
from tests.support.harness import ServiceProcess, free_port
from tests.support.harness import TestEnvironment as Environment
from tests.support.media import approve, download, jpeg, new_maker, processed, upload

pytestmark = pytest.mark.timeout(180)

BUCKET = "media-test"
CREDENTIALS = {"MEDIA_S3_ACCESS_KEY_ID": "test-key", "MEDIA_S3_SECRET_ACCESS_KEY": "test-secret"}


@pytest.fixture(scope="module")
def s3_env() -> Iterator[dict[str, str]]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield {
        "MEDIA_STORAGE": "s3",
        "MEDIA_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "MEDIA_S3_BUCKET": BUCKET,
        "MEDIA_S3_REGION": "us-east-1",
        **CREDENTIALS,
    }
    server.stop()


@pytest.fixture
async def storage(s3_env: dict[str, str]) -> AsyncIterator[S3Storage]:
    async with open_storage(MediaSettings(**s3_env)) as opened:  # type: ignore[arg-type]
        assert isinstance(opened, S3Storage)
        client = opened._client
        buckets = await client.list_buckets()
        if BUCKET not in {bucket["Name"] for bucket in buckets["Buckets"]}:
            await client.create_bucket(Bucket=BUCKET)
        yield opened


async def test_the_s3_adapter_round_trip(storage: S3Storage, tmp_path: Path) -> None:
    data = b"RIFF-not-really-webp" * 1000
    key = hashlib.sha256(data).hexdigest() + ".webp"
    assert not await storage.exists(key)
    with pytest.raises(KeyError):
        await storage.read(key)
    await storage.put_bytes(key, data)
    await storage.put_bytes(key, data)  # again: harmless
    assert await storage.exists(key)
    assert await storage.read(key) == data

    original = tmp_path / "original"
    original.write_bytes(jpeg(900, 900))
    original_key = "originals/" + hashlib.sha256(original.read_bytes()).hexdigest()
    await storage.put_file(original_key, original)
    assert await storage.read(original_key) == original.read_bytes()

    # Served through a real HTTP server on loopback, streamed from the bucket.
    async def serve(request: web.Request) -> web.StreamResponse:
        response = await storage.serve(request, request.match_info["key"])
        return response if response is not None else web.Response(status=404)

    app = web.Application()
    app.router.add_get("/media/{key}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/media/{key}") as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == "image/webp"
                assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
                assert response.headers["ETag"] == f'"{key.removesuffix(".webp")}"'
                assert await response.read() == data
            async with session.get(f"http://127.0.0.1:{port}/media/{'0' * 64}.webp") as response:
                assert response.status == 404
    finally:
        await runner.cleanup()

    await storage.delete(key)
    assert not await storage.exists(key)


async def test_the_media_service_runs_on_s3(
    storage: S3Storage,
    s3_env: dict[str, str],
    services_db: dict,
    service_processes: Callable[..., ServiceProcess],
    test_env: Environment,
    db: asyncpg.Connection,
    mint: Callable[..., str],
) -> None:
    media = service_processes("media", **s3_env)
    maker = new_maker()
    await approve(test_env.namespace, db, maker)
    token = mint("maker", maker.user_id)
    async with aiohttp.ClientSession() as session:
        status, body = await upload(session, media.url, token, jpeg(1200, 1000))
        assert status == 202, body
        ready: dict[str, Any] = await processed(session, media.url, token, body["id"])
        assert ready["status"] == "ready"
        for width, url in ready["urls"].items():
            served = await download(session, media.url, url)
            key = url.rsplit("/", 1)[1]
            assert served == await storage.read(key)
            assert Image.open(io.BytesIO(served)).width == min(int(width), 1200)
        original_key = await db.fetchval(
            "SELECT original_key FROM media.images WHERE id = $1::uuid", body["id"]
        )
        assert await storage.exists(original_key)
