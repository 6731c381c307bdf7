"""The gateway's edge with real processes: the per-address API limit holds across two gateway
instances sharing the database, and the storefront's fingerprinted files are cached for good and
never count against that limit."""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator, Callable

import aiohttp
import asyncpg
import pytest

from tests.support.harness import ServiceProcess

pytestmark = pytest.mark.timeout(120)

BURST = 30
PER_S = 8  # each instance leases ceil(8 / 4) = 2 tokens per round trip
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def gateways(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> list[ServiceProcess]:
    """Two gateway instances over one database (their own API routes need no service)."""
    started = [
        service_processes(
            "gateway",
            wait=False,
            GATEWAY_RATE_LIMIT_BURST=str(BURST),
            GATEWAY_RATE_LIMIT_PER_S=str(PER_S),
            GATEWAY_TRUSTED_PROXY_HOPS="1",
        )
        for _ in range(2)
    ]
    for gateway in started:
        gateway.wait_ready()
    return started


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def an_address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


async def fetch(session: aiohttp.ClientSession, url: str, address: str) -> tuple[int, str, bytes]:
    async with session.get(url, headers={"X-Forwarded-For": address}) as r:
        return r.status, r.headers.get("Cache-Control", ""), await r.read()


async def test_two_gateways_together_allow_the_configured_rate_not_twice_it(
    gateways: list[ServiceProcess], session: aiohttp.ClientSession
) -> None:
    address = an_address()
    started = time.monotonic()
    answers = await asyncio.gather(
        *(fetch(session, gateways[i % 2].url + "/api/v1/auth/me", address) for i in range(4 * BURST))
    )
    elapsed = time.monotonic() - started
    allowed = [i for i, (status, _, _) in enumerate(answers) if status == 401]
    refused = [status for status, _, _ in answers if status == 429]
    assert len(allowed) + len(refused) == len(answers)
    # The burst plus what refilled meanwhile, less at most one unspent lease per instance; one
    # bucket per instance would have allowed twice the burst.
    assert BURST - 2 <= len(allowed) <= BURST + PER_S * elapsed + 1, (len(allowed), elapsed)
    assert {i % 2 for i in allowed} == {0, 1}  # both instances drew from the one bucket
    # Another address has its own bucket, on either instance.
    assert (await fetch(session, gateways[1].url + "/api/v1/auth/me", an_address()))[0] == 401


async def test_static_files_are_fingerprinted_immutable_and_never_rate_limited(
    gateways: list[ServiceProcess], session: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    address = an_address()
    url = gateways[0].url
    while (await fetch(session, url + "/api/v1/auth/me", address))[0] != 429:
        pass  # the address's API bucket is now empty

    async def bucket() -> asyncpg.Record | None:
        return await db.fetchrow(
            "SELECT tokens, updated_at FROM identity.login_throttle WHERE key = $1", f"api:{address}"
        )

    emptied = await bucket()
    async with session.get(url + "/", headers={"X-Forwarded-For": address}) as r:
        status, cache, etag, page = r.status, r.headers["Cache-Control"], r.headers["ETag"], await r.read()
    assert (status, cache) == (200, "no-cache")
    linked = re.findall(r'(?:src|href)="(/[^"]+\.[0-9a-f]{12}\.\w+)"', page.decode())
    mapped = re.findall(r'"(/js/[^"]+\.[0-9a-f]{12}\.js)"', page.decode())
    assert any(p.startswith("/js/app.") for p in linked) and any(p.startswith("/css/") for p in linked)
    assert len(mapped) > 20  # every module, through the import map
    answers = await asyncio.gather(*(fetch(session, url + path, address) for path in [*linked, *mapped] * 3))
    assert {(status, cache) for status, cache, _ in answers} == {(200, IMMUTABLE)}
    # The page is revalidated (304 while unchanged); the plain names still answer, revalidated
    # each time; an unknown fingerprint is a 404.
    async with session.get(url + "/orders/1", headers={"If-None-Match": etag}) as unchanged:
        assert unchanged.status == 304

    assert (await fetch(session, url + "/js/app.js", address))[:2] == (200, "no-cache")
    assert (await fetch(session, url + "/js/app.000000000000.js", address))[0] == 404
    # Not one of those requests touched the address's bucket.
    assert emptied is not None and await bucket() == emptied
