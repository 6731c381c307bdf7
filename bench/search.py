"""search: listing search (text + two filters + facets) and listing GET, through the gateway
and direct to the catalogue, against a bare aiohttp + asyncpg server running the same SQL.

Setup (own namespace): catalogue and gateway migrated; listings loaded (bench/listings.py: 100k,
`--quick` 20k); `python -m services.catalogue --role api`, `python -m services.gateway --role
api` (rate limits raised: one client address sends everything) and `python -m
bench.bare_search` each in their own process. The baseline's SQL is recorded from the
catalogue's own search and store functions for the very request measured (bench/bare_search.py).

Load: a closed loop of 32 concurrent clients (the figure every search measurement here uses),
every latency recorded (bench/loadgen.py). Per repeat each endpoint is measured on bare, direct
and gateway back to back. Targets: direct >= 0.8x bare, gateway >= 0.5x bare (req/s); p50 and
p99 are reported beside with the bare figures as their baseline.

The load generator runs on the same 2 cores as the servers, PostgreSQL and RabbitMQ: absolute
figures are lower than on a separate client machine; the ratios compare like with like.
"""

from __future__ import annotations

import pickle
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench.core import Context, admin_dsn, migrate_services, namespace, report_serving
from bench.loadgen import Run, closed_loop
from tests.support.harness import ROOT, ServiceProcess, TestEnvironment

CONCURRENCY = 32
# Text + two filters; facets come with every search.
SEARCH_PARAMS = {"q": "sapphire", "category": "ring", "metal": "gold"}
UNAVAILABLE = "services/catalogue/search.py (and its API) does not exist yet"


def available() -> bool:
    return (ROOT / "services" / "catalogue" / "search.py").exists() and (
        ROOT / "services" / "catalogue" / "api.py"
    ).exists()


@dataclass
class Stack:
    """What a search benchmark runs against in one namespace."""

    env: TestEnvironment
    admin: asyncpg.Connection
    catalogue_settings: Any
    loader: Any
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def stop(self) -> None:
        for proc in self.processes.values():
            proc.stop()


async def prepare(env: TestEnvironment) -> Stack:
    from bench.listings import Loader, make_templates

    settings = await migrate_services(env, ["catalogue", "gateway"])
    admin = await asyncpg.connect(admin_dsn(env.database))
    templates, maker_row, columns = await make_templates(settings["catalogue"], admin)
    return Stack(env, admin, settings["catalogue"], Loader(admin, templates, maker_row, columns))


def start_catalogue(stack: Stack) -> ServiceProcess:
    proc = ServiceProcess(
        ["services.catalogue", "--role", "api"],
        "CATALOGUE_PORT",
        {**stack.env.env, "MARKET_LOG_LEVEL": "warning"},
        stack.env.workdir,
        "catalogue-api",
    )
    stack.processes["catalogue"] = proc.start()
    return proc


def start_gateway(stack: Stack, catalogue_url: str) -> ServiceProcess:
    proc = ServiceProcess(
        ["services.gateway", "--role", "api"],
        "GATEWAY_PORT",
        {**stack.env.env, "MARKET_LOG_LEVEL": "warning"},
        stack.env.workdir,
        "gateway-api",
        {
            "GATEWAY_CATALOGUE_URL": catalogue_url,
            "GATEWAY_RATE_LIMIT_PER_S": "1000000",
            "GATEWAY_RATE_LIMIT_BURST": "1000000",
        },
    )
    stack.processes["gateway"] = proc.start()
    return proc


async def record(stack: Stack, listing_id: str) -> dict[str, list]:
    """The SQL the catalogue runs for the measured search and GET (as its API handlers do)."""
    from bench.bare_search import record_plan
    from services.catalogue import search, store
    from services.catalogue.schemas import SearchQuery

    query = SearchQuery.model_validate(SEARCH_PARAMS)
    filters = search.Filters(**query.model_dump(exclude={"limit", "cursor", "sort"}))
    cap = stack.catalogue_settings.facet_cap

    async def search_call(pool_like: Any, conn: asyncpg.Connection) -> None:
        page = await search.search(
            pool_like,
            filters,
            search.Sort(query.sort) if query.sort else None,
            query.cursor,
            query.limit,
            cap,
        )
        await store.listings_with_makers(conn, page.listing_ids)

    async def get_call(conn: asyncpg.Connection) -> None:
        import uuid

        await store.get_listing(conn, uuid.UUID(listing_id))

    return await record_plan(stack.catalogue_settings.dsn(), search_call, get_call)


def start_bare(stack: Stack, plan: dict[str, list]) -> ServiceProcess:
    path = Path(stack.env.workdir) / "bare-plan.pickle"
    path.write_bytes(pickle.dumps(plan))
    proc = ServiceProcess(
        ["bench.bare_search", str(path), stack.catalogue_settings.dsn()],
        "BARE_PORT",
        stack.env.env,
        stack.env.workdir,
        "bare",
    )
    stack.processes["bare"] = proc.start()
    return proc


def search_path() -> str:
    return "/api/v1/listings?" + urllib.parse.urlencode(SEARCH_PARAMS)


async def sanity(stack: Stack, listing_id: str) -> int:
    """The measured search finds listings, the same on every path; returns how many."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(stack.processes["catalogue"].url + search_path()) as r:
            assert r.status == 200, await r.text()
            body = await r.json()
        async with session.get(stack.processes["bare"].url + "/search") as r:
            bare = await r.json()
        async with session.get(stack.processes["catalogue"].url + f"/api/v1/listings/{listing_id}") as r:
            assert r.status == 200, await r.text()
            listing = await r.json()
    assert body["items"], f"the benchmark's search finds nothing: {body}"
    # Renders as heavy as real ones: every listing shows its maker's photos.
    assert all(item["main_photo"] for item in body["items"]), "a listing found shows no photo"
    assert listing["photos"] and all(photo.get("urls") for photo in listing["photos"]), listing["photos"]
    assert len(bare) == len(body["items"]), (len(bare), len(body["items"]))
    return body["total"]["count"]


async def measure(
    ctx: Context, targets: dict[str, str], duration_s: float, desc: str
) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {name: [] for name in targets}
    bar = ctx.progress(total=ctx.repeats * len(targets), desc=desc, unit="run", leave=False)
    for _ in range(ctx.repeats):
        for name, url in targets.items():
            run = await closed_loop([url], CONCURRENCY, duration_s, warmup_s=1.0)
            if run.errors:
                raise RuntimeError(f"{desc} {name}: errors {run.errors}")
            runs[name].append(run)
            bar.update()
    bar.close()
    return runs


async def run(ctx: Context) -> None:
    if not available():
        ctx.skip("search", UNAVAILABLE)
        return
    size = 20_000 if ctx.quick else 100_000
    duration = 3.0 if ctx.quick else 6.0
    async with namespace("bench-search") as env:
        stack = await prepare(env)
        try:
            bar = ctx.progress(
                total=2 * size, desc=f"search: loading {size:,} listings", unit="row", leave=False
            )
            seconds = await stack.loader.grow_to(size, bar)
            bar.close()
            ctx.log(f"  loaded {size:,} listings in {seconds:.0f} s")
            listing_id = await stack.admin.fetchval(
                "SELECT listing_id::text FROM catalogue.listing_search "
                "ORDER BY published_at DESC LIMIT 1 OFFSET 1000"
            )
            catalogue = start_catalogue(stack)
            gateway = start_gateway(stack, catalogue.url)
            bare = start_bare(stack, await record(stack, listing_id))
            total = await sanity(stack, listing_id)
            ctx.log(f"  search {SEARCH_PARAMS} matches {total}+ listings")
            for endpoint, path, bare_path in (
                ("search", search_path(), "/search"),
                ("get", f"/api/v1/listings/{listing_id}", "/get"),
            ):
                runs = await measure(
                    ctx,
                    {
                        "bare": bare.url + bare_path,
                        "direct": catalogue.url + path,
                        "gateway": gateway.url + path,
                    },
                    duration,
                    f"search: {endpoint}",
                )
                report_serving(
                    ctx,
                    f"search.{endpoint}",
                    runs,
                    f"{size:,} listings, {CONCURRENCY} concurrent clients, {duration:.0f} s per "
                    f"run; baseline: bare aiohttp+asyncpg running the same SQL",
                )
        finally:
            stack.stop()
            await stack.admin.close()
