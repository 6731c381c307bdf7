"""Photos through the gateway: uploads streamed on to media within their own 20 MiB limit (every
other route keeping its small one), and renditions at /media/ passed through with their cache
headers and never counted against the API rate limit. Against a real gateway and a real media
service, and against a bare upstream that shows what arrives, and when."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest

from tests.support.harness import ServiceProcess, eventually, free_port

pytestmark = pytest.mark.timeout(180)

UPLOAD_LIMIT = 20 * 1024 * 1024  # the gateway's default GATEWAY_UPLOAD_MAX_BYTES
API_BODY_LIMIT = 256 * 1024  # MARKET_MAX_BODY_BYTES's default, every other route's
RATE_BURST = 10


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
