"""Photos through the gateway: uploads streamed on to media within their own 20 MiB limit (every
other route keeping its small one), and renditions at /media/ passed through with their cache
headers and never counted against the API rate limit. Against a real gateway and a real media
service, and against a bare upstream that shows what arrives, and when."""

from __future__ import annotations

import asyncio
import io
import json
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from PIL import Image

from tests.support.catalogue import TestMaker, publish
from tests.support.harness import ServiceProcess, TestEnvironment, eventually, free_port
from tests.support.waits import consumed

pytestmark = pytest.mark.timeout(180)

UPLOAD_LIMIT = 20 * 1024 * 1024  # the gateway's default GATEWAY_UPLOAD_MAX_BYTES
API_BODY_LIMIT = 256 * 1024  # MARKET_MAX_BODY_BYTES's default, every other route's
RATE_BURST = 20


# --- a bare upstream that records what reaches it ------------------------------------------------


@dataclass
class Received:
    request_line: str
    headers: dict[str, str]
    body: bytearray = field(default_factory=bytearray)
    complete: bool = False
    closed: bool = False


class RecordingUpstream:
    """A bare HTTP/1.1 server standing in for media: it records each request's head and its
    body as the bytes arrive (a chunked body decoded), and answers 202 once a body is whole."""

    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[Received] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    def close(self) -> None:
        assert self.server is not None
        self.server.close()

    def received_with(self, marker: str) -> Received | None:
        return next((r for r in self.requests if r.headers.get("x-test") == marker), None)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
                headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines)}
                received = Received(request_line, headers)
                self.requests.append(received)
                if headers.get("transfer-encoding") == "chunked":
                    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                        received.body += await reader.readexactly(size)
                        await reader.readexactly(2)
                    await reader.readuntil(b"\r\n")  # the last chunk's blank line
                else:
                    left = int(headers.get("content-length", "0"))
                    while left:
                        chunk = await reader.read(min(left, 65536))
                        if not chunk:
                            raise asyncio.IncompleteReadError(b"", left)
                        received.body += chunk
                        left -= len(chunk)
                received.complete = True
                answer = json.dumps({"id": str(uuid.uuid4()), "status": "processing"}).encode()
                writer.write(
                    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            if self.requests and not self.requests[-1].complete:
                self.requests[-1].closed = True
        finally:
            writer.close()


@pytest.fixture(scope="module")
async def recording() -> AsyncIterator[RecordingUpstream]:
    upstream = RecordingUpstream()
    await upstream.start()
    yield upstream
    upstream.close()


SMALL_UPLOAD_LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def recording_gateway(
    services_db: dict, service_processes: Callable[..., ServiceProcess], recording: RecordingUpstream
) -> ServiceProcess:
    """A gateway whose media is the recording upstream, with a 1 MiB upload limit."""
    return service_processes(
        "gateway",
        GATEWAY_MEDIA_URL=f"http://127.0.0.1:{recording.port}",
        GATEWAY_MAKERS_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_CATALOGUE_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_ORDERS_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_UPLOAD_MAX_BYTES=str(SMALL_UPLOAD_LIMIT),
    )


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_an_upload_is_streamed_on_to_media_as_it_arrives(
    recording_gateway: ServiceProcess, recording: RecordingUpstream, session: aiohttp.ClientSession
) -> None:
    """The client holds back the second half of its body until media has received the first:
    a gateway that read the body whole before passing it on would never send that first half,
    and the upload would fail."""
    marker = uuid.uuid4().hex
    first, second = b"a" * 300_000, b"b" * 300_000

    async def in_two_halves() -> AsyncIterator[bytes]:
        yield first

        async def first_half_arrived() -> bool:
            received = recording.received_with(marker)
            return received is not None and len(received.body) >= len(first)

        await eventually(first_half_arrived, timeout_s=10, message="the first half reached media")
        yield second

    async with session.post(
        recording_gateway.url + "/api/v1/images",
        data=in_two_halves(),  # no length: sent in chunks
        headers={"X-Test": marker, "Content-Type": "application/octet-stream"},
    ) as response:
        assert response.status == 202, await response.text()
    received = recording.received_with(marker)
    assert received is not None and received.complete
    assert bytes(received.body) == first + second
    assert received.request_line == "POST /api/v1/images HTTP/1.1"
    assert received.headers["content-type"] == "application/octet-stream"


async def test_a_declared_length_is_passed_on_with_the_body(
    recording_gateway: ServiceProcess, recording: RecordingUpstream, session: aiohttp.ClientSession
) -> None:
    marker = uuid.uuid4().hex
    body = random.randbytes(SMALL_UPLOAD_LIMIT)  # exactly the limit: still accepted
    async with session.post(
        recording_gateway.url + "/api/v1/images", data=body, headers={"X-Test": marker}
    ) as response:
        assert response.status == 202
    received = recording.received_with(marker)
    assert received is not None and received.complete and bytes(received.body) == body
    assert received.headers["content-length"] == str(len(body))
    assert "transfer-encoding" not in received.headers


async def test_an_undeclared_length_is_broken_off_as_soon_as_it_passes_the_limit(
    recording_gateway: ServiceProcess, recording: RecordingUpstream, session: aiohttp.ClientSession
) -> None:
    marker = uuid.uuid4().hex

    async def endless() -> AsyncIterator[bytes]:
        while True:  # the client would go on forever; the gateway stops it
            yield b"x" * 65536

    async with session.post(
        recording_gateway.url + "/api/v1/images", data=endless(), headers={"X-Test": marker}
    ) as response:
        assert response.status == 413
        problem = await response.json(content_type=None)
    assert response.content_type == "application/problem+json"
    assert problem["code"] == "payload_too_large"
    received = recording.received_with(marker)
    assert received is not None
    # Media saw a body broken off at the limit, never a whole one it could keep.
    await eventually(lambda: _true(received.closed), timeout_s=10, message="media's connection closed")
    assert not received.complete and len(received.body) <= SMALL_UPLOAD_LIMIT


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    recording_gateway: ServiceProcess, recording: RecordingUpstream
) -> None:
    marker = uuid.uuid4().hex
    reader, writer = await asyncio.open_connection("127.0.0.1", recording_gateway.port)
    try:
        writer.write(
            (
                "POST /api/v1/images HTTP/1.1\r\nHost: gateway\r\n"
                f"X-Test: {marker}\r\nContent-Length: {SMALL_UPLOAD_LIMIT + 1}\r\n\r\n"
            ).encode()
        )
        await writer.drain()  # and not a byte of the body
        status_line = await asyncio.wait_for(reader.readuntil(b"\r\n"), 10)
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 413 ")
    assert recording.received_with(marker) is None


async def test_other_requests_keep_the_small_body_limit(
    recording_gateway: ServiceProcess, recording: RecordingUpstream, session: aiohttp.ClientSession
) -> None:
    too_big = b"x" * (API_BODY_LIMIT + 1)
    for path in ("/api/v1/images/00000000-0000-0000-0000-000000000000", "/api/v1/makers"):
        marker = uuid.uuid4().hex
        async with session.post(recording_gateway.url + path, data=too_big, headers={"X-Test": marker}) as r:
            assert r.status == 413, path
            assert (await r.json(content_type=None))["code"] == "payload_too_large"
        assert recording.received_with(marker) is None


async def _true(value: bool) -> bool:
    return value


# --- a real gateway in front of a real media service ---------------------------------------------


@dataclass
class Photos:
    gateway: ServiceProcess
    media: ServiceProcess
    storage: Path  # media's MEDIA_STORAGE_DIR
    spool: Path  # media's temporary directory, where uploads are spooled


@pytest.fixture(scope="module")
def photos(services_db: dict, service_processes: Callable[..., ServiceProcess], workdir: Path) -> Photos:
    storage, spool = workdir / "media-storage", workdir / "media-spool"
    spool.mkdir(exist_ok=True)
    media = service_processes("media", MEDIA_STORAGE_DIR=str(storage), TMPDIR=str(spool))
    gateway = service_processes(
        "gateway",
        GATEWAY_MEDIA_URL=media.url,
        GATEWAY_MAKERS_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_CATALOGUE_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_ORDERS_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_RATE_LIMIT_BURST=str(RATE_BURST),
        GATEWAY_RATE_LIMIT_PER_S="1",
        # Each test is a client address of its own (X-Forwarded-For), so one's rate limit is
        # not another's.
        GATEWAY_TRUSTED_PROXY_HOPS="1",
    )
    return Photos(gateway, media, storage, spool)


@pytest.fixture
async def maker_token(test_env: TestEnvironment, photos: Photos, db: asyncpg.Connection, mint) -> str:
    """An approved maker's token, once media has learnt (from makers' event) of the approval."""
    maker = TestMaker()
    sent = await publish(test_env.namespace, maker.event(), "makers", maker.maker_id, maker.version)
    await eventually(lambda: consumed(db, "media", sent.event_id), message="media learnt of the maker")
    return mint("maker", maker.user_id)


@dataclass
class Response:
    status: int
    body: Any  # JSON, else bytes
    headers: Any
    content_type: str


class Client:
    """Calls through the gateway as one client address."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url
        self.address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    async def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Response:
        headers = {"X-Forwarded-For": self.address, **(headers or {})}
        async with self.session.request(method, self.url + path, headers=headers, **kwargs) as r:
            raw = await r.read()
            body = json.loads(raw) if raw and "json" in r.content_type else raw
            return Response(r.status, body, r.headers, r.content_type)


@pytest.fixture
def client(photos: Photos, session: aiohttp.ClientSession) -> Client:
    return Client(session, photos.gateway.url)


def jpeg(width: int = 1200, height: int = 900) -> bytes:
    """A photo of random pixels (so each is new to media), within every limit."""
    picture = Image.frombytes("RGB", (width // 8, height // 8), random.randbytes(width * height * 3 // 64))
    out = io.BytesIO()
    picture.resize((width, height)).save(out, "JPEG", quality=80)
    return out.getvalue()


def photo_form(data: bytes) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="ring.jpg", content_type="image/jpeg")
    return form


async def uploaded_and_ready(client: Client, token: str) -> dict[str, Any]:
    """A photo uploaded through the gateway, once media has made its renditions."""
    auth = {"Authorization": f"Bearer {token}"}
    accepted = await client.call("POST", "/api/v1/images", headers=auth, data=photo_form(jpeg()))
    assert accepted.status == 202, accepted.body
    assert accepted.body["status"] == "processing"

    async def ready() -> dict[str, Any] | None:
        image = await client.call("GET", f"/api/v1/images/{accepted.body['id']}", headers=auth)
        assert image.status == 200, image.body
        return image.body if image.body["status"] == "ready" else None

    # One look a second: what the rate limit gives back, so waiting never exhausts it.
    return await eventually(ready, timeout_s=60, interval_s=1.0, message="the photo is ready")


def stored_files(photos: Photos) -> set[Path]:
    return {path for path in photos.storage.rglob("*") if path.is_file()}


async def test_a_photo_uploaded_through_the_gateway_is_made_ready_and_served_through_it(
    client: Client, maker_token: str
) -> None:
    image = await uploaded_and_ready(client, maker_token)
    assert set(image["urls"]) == {"160", "480", "960", "1600"}
    rendition = await client.call("GET", image["urls"]["480"])
    assert rendition.status == 200
    assert rendition.headers["Content-Type"] == "image/webp"
    assert rendition.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert rendition.headers["X-Content-Type-Options"] == "nosniff"
    assert rendition.headers["X-Request-ID"]
    assert rendition.body[:4] == b"RIFF" and rendition.body[8:12] == b"WEBP"
    assert Image.open(io.BytesIO(rendition.body)).width == 480
    etag = rendition.headers["ETag"]
    again = await client.call("GET", image["urls"]["480"], headers={"If-None-Match": etag})
    assert (again.status, again.body) == (304, b"")
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    missing = await client.call("GET", "/media/" + "0" * 64 + ".webp")
    assert (missing.status, missing.content_type) == (404, "application/problem+json")


async def test_an_upload_over_20_mib_is_refused_and_nothing_is_kept(
    photos: Photos, client: Client, maker_token: str, db: asyncpg.Connection
) -> None:
    images_before = await db.fetchval("SELECT count(*) FROM media.images")
    files_before = stored_files(photos)
    # A multipart body of 20 MiB + 1 byte: a real photo, padded. Its length declared up front,
    # and undeclared (chunked), which the gateway breaks off once it has passed on the limit.
    head = (
        b"--photo\r\n"
        b'Content-Disposition: form-data; name="file"; filename="ring.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n"
    )
    tail = b"\r\n--photo--\r\n"
    padded = (jpeg() + b"\0" * UPLOAD_LIMIT)[: UPLOAD_LIMIT + 1 - len(head) - len(tail)]
    too_big = head + padded + tail
    assert len(too_big) == UPLOAD_LIMIT + 1
    headers = {
        "Authorization": f"Bearer {maker_token}",
        "Content-Type": "multipart/form-data; boundary=photo",
    }

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(too_big), 1 << 20):
            yield too_big[start : start + (1 << 20)]

    declared = await client.call("POST", "/api/v1/images", headers=headers, data=too_big)
    undeclared = await client.call("POST", "/api/v1/images", headers=headers, data=chunked())
    for refused in (declared, undeclared):
        assert refused.status == 413
        assert refused.content_type == "application/problem+json"
        assert refused.body["code"] == "payload_too_large"
    assert await db.fetchval("SELECT count(*) FROM media.images") == images_before
    assert stored_files(photos) == files_before
    # Media dropped what it had spooled of the broken-off body.
    await eventually(lambda: _true(not any(photos.spool.iterdir())), message="media's spool is empty")


async def test_media_may_refuse_an_upload_before_reading_it(client: Client, mint) -> None:
    """An unknown maker is refused (403) before media reads the body: the answer comes back
    through the gateway while the client is still sending."""
    headers = {"Authorization": f"Bearer {mint('maker')}", "Content-Type": "multipart/form-data; boundary=x"}

    async def large() -> AsyncIterator[bytes]:
        for _ in range(16):
            yield b"\0" * (1 << 20)

    for body in (b"\0" * (16 << 20), large()):
        refused = await client.call("POST", "/api/v1/images", headers=headers, data=body)
        assert (refused.status, refused.body["code"]) == (403, "maker_not_approved")


async def test_renditions_are_never_rate_limited_while_the_api_still_is(
    client: Client, maker_token: str
) -> None:
    auth = {"Authorization": f"Bearer {maker_token}"}
    image = await uploaded_and_ready(client, maker_token)
    client.address = "10.254.0.1"  # a fresh client, with a full bucket
    url = image["urls"]["160"]
    statuses = await asyncio.gather(*(client.call("GET", url) for _ in range(3 * RATE_BURST)))
    assert {r.status for r in statuses} == {200}
    # Not one token was taken: the whole burst of API calls is still there.
    api = [await client.call("GET", f"/api/v1/images/{image['id']}", headers=auth) for _ in range(RATE_BURST)]
    assert {r.status for r in api} == {200}
    limited = await client.call("GET", f"/api/v1/images/{image['id']}", headers=auth)
    assert (limited.status, limited.body["code"]) == (429, "rate_limited")
    # And the renditions are still served to the client the API now refuses.
    still = await client.call("GET", url, headers={"If-None-Match": statuses[0].headers["ETag"]})
    assert still.status == 304


async def test_the_merged_api_document_describes_the_photo_paths(client: Client) -> None:
    document = (await client.call("GET", "/openapi.json")).body
    assert {"/api/v1/images", "/api/v1/images/{id}", "/media/{key}"} <= document["paths"].keys()
    assert "media" not in document["info"].get("x-unavailable-services", [])
    health = (await client.call("GET", "/health/upstreams")).body
    assert health["upstreams"]["media"]["status"] == "ready"
