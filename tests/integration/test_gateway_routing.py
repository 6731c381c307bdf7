"""The gateway as the one entry point, with real service processes behind it: routing to each
service, faithful forwarding, request ids in the services' logs, 503 for a service that is down
or silent, the rate limit, the body size limit, CORS, the merged OpenAPI document and the
storefront's files."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

from tests.support.harness import ServiceProcess, free_port

pytestmark = pytest.mark.timeout(120)

ORIGIN = "https://shop.example"
RATE_BURST = 15


@dataclass
class Stack:
    gateway: ServiceProcess
    services: dict[str, ServiceProcess]


@pytest.fixture(scope="module")
def stack(services_db: dict, service_processes: Callable[..., ServiceProcess], workdir: Path) -> Stack:
    # Unbuffered output, so a service's log lines are in its file as soon as they are written.
    services = {
        name: service_processes(
            name, wait=False, PYTHONUNBUFFERED="1", MEDIA_STORAGE_DIR=str(workdir / "routing-media")
        )
        for name in ("makers", "catalogue", "orders", "media", "notifications", "reviews")
    }
    for process in services.values():
        process.wait_ready()
    gateway = service_processes(
        "gateway",
        GATEWAY_MAKERS_URL=services["makers"].url,
        GATEWAY_CATALOGUE_URL=services["catalogue"].url,
        GATEWAY_ORDERS_URL=services["orders"].url,
        GATEWAY_MEDIA_URL=services["media"].url,
        GATEWAY_NOTIFICATIONS_URL=services["notifications"].url,
        GATEWAY_REVIEWS_URL=services["reviews"].url,
        GATEWAY_CORS_ORIGINS=f"{ORIGIN}, https://admin.example",
        GATEWAY_RATE_LIMIT_BURST=str(RATE_BURST),
        GATEWAY_RATE_LIMIT_PER_S="2",
        # Each test claims a client address of its own, so one's rate limit is not another's.
        GATEWAY_TRUSTED_PROXY_HOPS="1",
    )
    return Stack(gateway, services)


BIG_ANSWER = [bytes([65 + n]) * 200_000 for n in range(3)]


class RawUpstream:
    """A bare HTTP/1.1 server standing in for a service: it answers with what it received
    (request line, headers, body) and with hop-by-hop headers of its own; under /hang it
    never answers, under /big it sends 600 kB in chunks, under /cut it breaks off its answer."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
                headers = [line.split(": ", 1) for line in lines]
                length = int(next((v for k, v in headers if k.lower() == "content-length"), 0))
                body = await reader.readexactly(length)
                if " /api/v1/makers/hang" in request_line:
                    await reader.read()  # silent until the gateway gives up and hangs up
                    return
                if " /api/v1/makers/big" in request_line:
                    # No length given: sent in chunks, which the gateway streams on.
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                    )
                    for chunk in BIG_ANSWER:
                        writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        await writer.drain()
                    writer.write(b"0\r\n\r\n")
                    await writer.drain()
                    continue
                if " /api/v1/makers/cut" in request_line:
                    # A length promised, then the connection closed 10 bytes in.
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 1000\r\n\r\n" + b'{"items": '
                    )
                    await writer.drain()
                    return
                echo = json.dumps(
                    {"request_line": request_line, "headers": headers, "body": body.decode("latin-1")}
                ).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Connection: keep-alive, X-Secret-Hop\r\nX-Secret-Hop: 1\r\n"
                    b"Keep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\n"
                    b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Upstream: raw\r\n"
                    + f"Content-Length: {len(echo)}\r\n\r\n".encode()
                    + echo
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        assert self.server is not None
        self.server.close()


@pytest.fixture(scope="module")
async def raw_upstream() -> AsyncIterator[RawUpstream]:
    upstream = RawUpstream()
    await upstream.start()
    yield upstream
    upstream.close()


@pytest.fixture(scope="module")
def lonely_gateway(
    services_db: dict, service_processes: Callable[..., ServiceProcess], raw_upstream: RawUpstream
) -> ServiceProcess:
    """A gateway whose makers is the raw upstream and whose other services are not running."""
    return service_processes(
        "gateway",
        GATEWAY_MAKERS_URL=f"http://127.0.0.1:{raw_upstream.port}",
        GATEWAY_CATALOGUE_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_ORDERS_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_MEDIA_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_NOTIFICATIONS_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_REVIEWS_URL=f"http://127.0.0.1:{free_port()}",
        GATEWAY_UPSTREAM_TIMEOUT_S="1",
    )


@dataclass
class Response:
    status: int
    body: Any
    headers: Any
    content_type: str


class Client:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    async def call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Response:
        headers = {"X-Forwarded-For": self.address, **(headers or {})}
        url = URL(self.url + path, encoded=True)  # the path as written, nothing normalised
        async with self.session.request(method, url, headers=headers, **kwargs) as r:
            raw = await r.read()
            body = json.loads(raw) if raw and "json" in r.content_type else raw.decode()
            return Response(r.status, body, r.headers, r.content_type)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(stack: Stack, session: aiohttp.ClientSession) -> Client:
    return Client(session, stack.gateway.url)


@pytest.fixture
def lonely(lonely_gateway: ServiceProcess, session: aiohttp.ClientSession) -> Client:
    return Client(session, lonely_gateway.url)


def request_id() -> str:
    return f"gw-test-{uuid.uuid4().hex}"


def reached(process: ServiceProcess, rid: str) -> bool:
    """Whether a request with this id reached the service. A service logs every request before
    it answers, and its output is unbuffered: once the answer is back, the line is there."""
    return f'"request_id": "{rid}"' in process.logs()


# --- routing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/v1/makers", "makers"),
        ("/api/v1/makers/by-handle/nobody", "makers"),
        ("/api/v1/listings?q=silver+ring&category=ring", "catalogue"),
        ("/api/v1/listings/00000000-0000-0000-0000-000000000000", "catalogue"),
        ("/api/v1/orders/00000000-0000-0000-0000-000000000000", "orders"),
        ("/api/v1/maker-orders", "orders"),
        ("/api/v1/payouts", "orders"),
        ("/api/v1/commissions/00000000-0000-0000-0000-000000000000", "orders"),
        ("/api/v1/conversations/00000000-0000-0000-0000-000000000000", "orders"),
        ("/api/v1/images/00000000-0000-0000-0000-000000000000", "media"),
        ("/api/v1/reviews/00000000-0000-0000-0000-000000000000", "reviews"),
    ],
)
async def test_each_api_path_reaches_its_service(
    stack: Stack, client: Client, path: str, service: str
) -> None:
    rid = request_id()
    response = await client.call("GET", path, headers={"X-Request-ID": rid})
    assert response.headers["X-Request-ID"] == rid
    if response.status >= 400:  # e.g. 401 or 404 from the service, as the service words it
        assert response.content_type == "application/problem+json"
        assert response.body["request_id"] == rid
    assert reached(stack.services[service], rid), f"{path} did not reach {service}"
    for other, process in stack.services.items():
        if other != service:
            assert not reached(process, rid), f"{path} reached {other}"


async def test_a_request_id_is_made_when_none_is_sent_and_reaches_the_service(
    stack: Stack, client: Client
) -> None:
    response = await client.call("GET", "/api/v1/makers")
    assert response.status == 200
    rid = response.headers["X-Request-ID"]
    assert rid and reached(stack.services["makers"], rid)
    line = next(json.loads(line) for line in stack.services["makers"].logs().splitlines() if rid in line)
    assert line["correlation_id"] == rid


async def test_a_path_no_service_owns_is_a_404_problem(stack: Stack, client: Client) -> None:
    for path in (
        "/api/v1/nothing",
        "/api/v1/makersx",
        "/api/v2/makers",
        "/api/v1/makers/../../metrics",
        "/api/v1/listings/%2e%2e/%2e%2e/metrics",
    ):
        response = await client.call("GET", path)
        assert (response.status, response.content_type) == (404, "application/problem+json"), path


async def test_a_maker_signs_up_and_applies_through_the_gateway(client: Client) -> None:
    email = f"maker-{uuid.uuid4().hex[:10]}@example.com"
    registered = await client.call(
        "POST",
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": "a long enough password",
            "display_name": "Silver & Stone",
            "role": "maker",
        },
    )
    assert registered.status == 201
    issued = await client.call(
        "POST", "/api/v1/auth/token", json={"email": email, "password": "a long enough password"}
    )
    auth = {"Authorization": f"Bearer {issued.body['access_token']}"}

    assert (await client.call("GET", "/api/v1/makers/me")).status == 401  # no token, no record
    handle = f"maker-{uuid.uuid4().hex[:10]}"
    created = await client.call(
        "POST", "/api/v1/makers", headers=auth, json={"handle": handle, "display_name": "Silver & Stone"}
    )
    assert created.status == 201, created.body
    assert (created.body["user_id"], created.body["status"]) == (registered.body["user_id"], "draft")
    mine = await client.call("GET", "/api/v1/makers/me", headers=auth)
    assert mine.body == created.body
    # The service's own answers pass through unchanged: its validation, its bad-JSON 400.
    bad_query = await client.call("GET", "/api/v1/makers?limit=0")
    assert bad_query.status == 422 and bad_query.body["errors"][0]["loc"] == ["query", "limit"]
    bad_json = await client.call(
        "POST", "/api/v1/makers", headers={**auth, "Content-Type": "application/json"}, data=b"{not json"
    )
    assert (bad_json.status, bad_json.body["code"]) == (400, "malformed_json")


async def test_forwarding_is_faithful_and_hop_by_hop_headers_stay_on_their_hop(lonely: Client) -> None:
    body = b'{"raw": "bytes \\u00e9", "n": 1}'
    rid = request_id()
    response = await lonely.call(
        "PATCH",
        "/api/v1/makers/abc/%7Bx%7D?b=2&a=%20one+two&a=3",
        data=body,
        headers={
            "X-Request-ID": rid,
            "Authorization": "Bearer some.token.here",
            "Content-Type": "application/json",
            "Idempotency-Key": "k-1",
            "Connection": "keep-alive, X-Private",
            "X-Private": "hop",
            "Proxy-Authorization": "Basic eDp5",
            "TE": "trailers",
        },
    )
    assert response.status == 200
    seen = response.body
    assert seen["request_line"] == "PATCH /api/v1/makers/abc/%7Bx%7D?b=2&a=%20one+two&a=3 HTTP/1.1"
    assert seen["body"] == body.decode("latin-1")
    headers = {k.lower(): v for k, v in seen["headers"]}
    assert headers["authorization"] == "Bearer some.token.here"
    assert headers["content-type"] == "application/json"
    assert headers["idempotency-key"] == "k-1"
    assert headers["x-request-id"] == rid
    assert headers["x-forwarded-for"].endswith("127.0.0.1")
    assert not {"x-private", "proxy-authorization", "te"} & headers.keys()
    # On the way back: the service's headers, without its hop-by-hop ones.
    assert response.headers["X-Upstream"] == "raw"
    assert response.headers.getall("Set-Cookie") == ["a=1", "b=2"]
    assert "X-Secret-Hop" not in response.headers and "Proxy-Authenticate" not in response.headers
    assert "timeout=5" not in response.headers.get("Keep-Alive", "")
    assert response.headers["X-Request-ID"] == rid


async def test_a_large_answer_is_streamed_through_whole(lonely: Client) -> None:
    response = await lonely.call("GET", "/api/v1/makers/big")
    assert response.status == 200
    assert response.body == b"".join(BIG_ANSWER).decode()


async def test_an_answer_broken_off_before_the_gateway_sent_anything_is_a_503_problem(lonely: Client) -> None:
    response = await lonely.call("GET", "/api/v1/makers/cut")
    assert (response.status, response.body["code"]) == (503, "service_unavailable")


# --- services that are down or silent ------------------------------------------------------------


async def test_a_service_that_is_down_is_a_503_problem(lonely: Client) -> None:
    for path in ("/api/v1/listings", "/api/v1/orders"):
        response = await lonely.call("GET", path)
        assert response.status == 503
        assert response.content_type == "application/problem+json"
        assert response.body["code"] == "service_unavailable"
        assert response.headers["Retry-After"]


async def test_a_service_that_does_not_answer_in_time_is_a_503_problem(lonely: Client) -> None:
    started = asyncio.get_running_loop().time()
    response = await lonely.call("GET", "/api/v1/makers/hang")
    assert (response.status, response.body["code"]) == (503, "service_unavailable")
    assert asyncio.get_running_loop().time() - started < 5


async def test_health_reports_the_gateway_and_its_services_apart(client: Client, lonely: Client) -> None:
    assert (await lonely.call("GET", "/health/ready")).status == 200  # its own database
    upstreams = await lonely.call("GET", "/health/upstreams")
    assert upstreams.status == 503
    assert {name: u["status"] for name, u in upstreams.body["upstreams"].items()} == {
        "makers": "ready",
        "catalogue": "unavailable",
        "orders": "unavailable",
        "media": "unavailable",
        "notifications": "unavailable",
        "reviews": "unavailable",
    }
    healthy = await client.call("GET", "/health/upstreams")
    assert healthy.status == 200
    assert all(u["status"] == "ready" for u in healthy.body["upstreams"].values())


# --- limits --------------------------------------------------------------------------------------


async def test_each_client_address_is_rate_limited(client: Client) -> None:
    statuses = [(await client.call("GET", "/api/v1/auth/me")).status for _ in range(RATE_BURST + 5)]
    assert statuses[0] == 401 and 429 in statuses
    limited = await client.call("GET", "/api/v1/auth/me")
    assert limited.status == 429
    assert limited.body["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
    # Probes are not limited; other clients are not affected.
    assert (await client.call("GET", "/health/live")).status == 200
    client.address = "10.255.255.1"
    assert (await client.call("GET", "/api/v1/auth/me")).status == 401


async def test_a_body_over_the_limit_is_refused_before_any_service_sees_it(
    stack: Stack, client: Client
) -> None:
    too_big = b"{" + b" " * (256 * 1024) + b"}"
    for extra in ({}, {"chunked": True}):
        rid = request_id()
        response = await client.call(
            "POST",
            "/api/v1/makers",
            data=too_big,
            **extra,
            headers={"X-Request-ID": rid, "Content-Type": "application/json"},
        )
        assert response.status == 413
        assert response.body["code"] == "payload_too_large"
        assert not reached(stack.services["makers"], rid)


# --- CORS ----------------------------------------------------------------------------------------


async def test_cors_preflight_is_answered_by_the_gateway(stack: Stack, client: Client) -> None:
    rid = request_id()
    preflight = await client.call(
        "OPTIONS",
        "/api/v1/orders",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
            "X-Request-ID": rid,
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == (
        "authorization, content-type, idempotency-key"
    )
    assert int(preflight.headers["Access-Control-Max-Age"]) > 0
    assert not reached(stack.services["orders"], rid)

    denied = await client.call(
        "OPTIONS",
        "/api/v1/orders",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert denied.status == 403 and "Access-Control-Allow-Origin" not in denied.headers

    listed = await client.call("GET", "/api/v1/makers", headers={"Origin": ORIGIN})
    assert listed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Request-ID" in listed.headers["Access-Control-Expose-Headers"]
    assert "Origin" in listed.headers["Vary"]
    refused = await client.call("GET", "/api/v1/auth/me", headers={"Origin": ORIGIN})
    assert refused.status == 401 and refused.headers["Access-Control-Allow-Origin"] == ORIGIN
    foreign = await client.call("GET", "/api/v1/makers", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers


# --- the API document and the storefront ---------------------------------------------------------


async def test_one_openapi_document_describes_the_whole_api(client: Client, lonely: Client) -> None:
    document = (await client.call("GET", "/openapi.json")).body
    paths = document["paths"]
    assert {
        "/api/v1/auth/register",
        "/api/v1/auth/token",
        "/api/v1/auth/me",
        "/api/v1/makers",
        "/api/v1/makers/{id}/review",
        "/api/v1/images",
        "/media/{key}",
    } <= paths.keys()
    assert all(path.startswith(("/api/v1/", "/media/")) for path in paths)
    assert "x-unavailable-services" not in document["info"]
    schemas = document["components"]["schemas"]
    assert {"Problem", "RegisterIn", "TokenOut"} <= schemas.keys()
    refs = {ref.rsplit("/", 1)[-1] for ref in _refs(document)}
    assert refs <= schemas.keys(), refs - schemas.keys()

    partial = (await lonely.call("GET", "/openapi.json")).body
    assert set(partial["info"]["x-unavailable-services"]) >= {"catalogue", "orders", "media"}
    assert "/api/v1/auth/token" in partial["paths"]


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [r for k, v in value.items() for r in ([v] if k == "$ref" else _refs(v))]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


async def test_the_storefront_is_served_at_the_root_with_deep_links(client: Client) -> None:
    home = await client.call("GET", "/")
    assert home.status == 200 and home.content_type == "text/html"
    for page in ("/listings/123", "/orders/abc", "/maker", "/ops", "/search?q=ring"):
        deep = await client.call("GET", page)
        assert (deep.status, deep.body) == (200, home.body), page
    for missing in ("/missing.js", "/../app.py", "/%2e%2e/app.py", "/api/v1/nothing"):
        assert (await client.call("GET", missing)).status == 404, missing
