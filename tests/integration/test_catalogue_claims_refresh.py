"""The daily claims refresh (issue 13, item 3), against the real database and through the
catalogue's HTTP API: a maker's claim that expired since their listing's search row was written
stops finding the listing by `sourcing=` (and in the `sourcing` facet) once the refresh has run;
its badge is gone from the first day after the expiry, whatever the refresh."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.catalogue import search, usecases
from tests.support.catalogue import (
    add_listing,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    claim,
    ring,
    searchable,
)
from tests.support.harness import ServiceProcess

pytestmark = pytest.mark.timeout(120)

TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture(scope="module")
def catalogue(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("catalogue")


@pytest.fixture
async def http(catalogue: ServiceProcess) -> AsyncIterator[Callable[[str], Any]]:
    async with aiohttp.ClientSession() as session:

        async def get(path: str) -> Any:
            async with session.get(catalogue.url + path) as response:
                assert response.status == 200, (path, response.status, await response.text())
                return await response.json()

        yield get


def sourcing_facet(page: dict[str, Any]) -> dict[str, int]:
    return {count["value"]: count["count"] for count in page["facets"]["sourcing"]}


async def test_an_expired_claim_stops_finding_the_listing_after_the_refresh(
    http: Callable[[str], Any], catalogue_pool: asyncpg.Pool, catalogue: ServiceProcess
) -> None:
    # The maker's fairmined claim expired yesterday; fairtrade holds. The listing was published
    # (and its search row written) two days ago, when both were current.
    maker = await approved_maker(
        catalogue_pool, [claim("fairmined", expires_on=YESTERDAY), claim("fairtrade")]
    )
    then = datetime.combine(TODAY - timedelta(days=2), time(12), tzinfo=UTC)
    listing = await add_listing(
        catalogue_pool, maker, ring(sourcing_claims=["fairmined", "fairtrade"]), now=then
    )
    mine = f"/api/v1/listings?maker_id={maker.maker_id}"
    await searchable(catalogue.url)

    before = await http(f"{mine}&sourcing=fairmined")
    assert [item["id"] for item in before["items"]] == [str(listing.id)]  # the live finding
    assert sourcing_facet(await http(mine)) == {"fairmined": 1, "fairtrade": 1}
    # The badge is computed for the day the listing is read: already gone.
    view = await http(f"/api/v1/listings/{listing.id}")
    assert view["maker"]["evidenced_claims"] == ["fairtrade"]
    assert view["claims"] == [{"scheme": "fairtrade", "basis": "evidenced"}]

    assert await usecases.refresh_expired_claims(catalogue_pool, TODAY) >= 1
    await searchable(catalogue.url)

    assert (await http(f"{mine}&sourcing=fairmined"))["items"] == []
    found = await http(f"{mine}&sourcing=fairtrade")
    assert [item["id"] for item in found["items"]] == [str(listing.id)]
    assert sourcing_facet(await http(mine)) == {"fairtrade": 1}
    # The listing itself did not change: no new version, no event.
    assert (await http(f"/api/v1/listings/{listing.id}"))["version"] == view["version"]
    # Nothing is due any more today: the next run is one index lookup that finds nothing.
    assert await search.stale_search_rows(catalogue_pool, TODAY, 10) == []
    assert await usecases.refresh_expired_claims(catalogue_pool, TODAY) == 0


async def test_a_claim_expiring_today_is_kept_until_tomorrow(
    http: Callable[[str], Any], catalogue_pool: asyncpg.Pool, catalogue: ServiceProcess
) -> None:
    maker = await approved_maker(catalogue_pool, [claim("fairmined", expires_on=TODAY)])
    listing = await add_listing(catalogue_pool, maker, ring(sourcing_claims=["fairmined"]))
    await usecases.refresh_expired_claims(catalogue_pool, TODAY)
    await searchable(catalogue.url)
    page = await http(f"/api/v1/listings?maker_id={maker.maker_id}&sourcing=fairmined")
    assert [item["id"] for item in page["items"]] == [str(listing.id)]
    # Due tomorrow (its row says so), not before.
    assert listing.id not in await search.stale_search_rows(catalogue_pool, TODAY, 1000)
    async with catalogue_pool.acquire() as conn:
        stale_on = await conn.fetchval(
            "SELECT stale_on FROM listing_search WHERE listing_id = $1", listing.id
        )
    assert stale_on == TODAY + timedelta(days=1)


async def test_a_self_declared_claim_is_no_search_filter(
    http: Callable[[str], Any], catalogue_pool: asyncpg.Pool, catalogue: ServiceProcess
) -> None:
    maker = await approved_maker(catalogue_pool, [claim("recycled", evidenced=False)])
    listing = await add_listing(catalogue_pool, maker, ring(sourcing_claims=["recycled"]))
    await searchable(catalogue.url)
    mine = f"/api/v1/listings?maker_id={maker.maker_id}"
    assert (await http(f"{mine}&sourcing=recycled"))["items"] == []
    page = await http(mine)
    assert [item["id"] for item in page["items"]] == [str(listing.id)]
    assert sourcing_facet(page) == {}


async def test_marketplace_refresh_claims_runs_the_refresh_with_the_catalogues_settings(
    services_db: dict, catalogue_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ops import operations

    monkeypatch.setattr(operations, "_all_settings", lambda: {"catalogue": services_db["catalogue"]})
    maker = await approved_maker(catalogue_pool, [claim("fairmined", expires_on=YESTERDAY)])
    then = datetime.combine(TODAY - timedelta(days=2), time(12), tzinfo=UTC)
    listing = await add_listing(catalogue_pool, maker, ring(sourcing_claims=["fairmined"]), now=then)
    assert listing.id in await search.stale_search_rows(catalogue_pool, TODAY, 1000)
    assert await operations.refresh_claims() >= 1
    assert await search.stale_search_rows(catalogue_pool, TODAY, 1000) == []


async def test_the_workers_job_runs_the_refresh(catalogue_pool: asyncpg.Pool) -> None:
    from aiohttp import web

    from services.catalogue.handlers import refresh_expired_claims
    from shared.http import POOL

    maker = await approved_maker(catalogue_pool, [claim("fairmined", expires_on=YESTERDAY)])
    then = datetime.combine(TODAY - timedelta(days=2), time(12), tzinfo=UTC)
    listing = await add_listing(catalogue_pool, maker, ring(sourcing_claims=["fairmined"]), now=then)
    app = web.Application()
    app[POOL] = catalogue_pool
    await refresh_expired_claims(app)
    assert listing.id not in await search.stale_search_rows(catalogue_pool, TODAY, 1000)
