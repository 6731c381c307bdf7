"""The search benchmark's inputs: each server reads on through the 3,000 queries from where its
last run stopped, so the totals and facets an engine keeps cannot answer a later run's page 1
(runs that each started again at the first query let that cache answer every run after the
first). Against a real HTTP server on loopback, recording what it was asked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bench.loadgen import closed_loop
from bench.search import Queries
from bench.search_queries import path, queries

PATHS = [f"/q/{k}" for k in range(100_000)]  # more than a short run sends


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[str]]]:
    asked: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(text="{}")

    app = web.Application()
    app.router.add_get("/q/{k}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", asked
    await runner.cleanup()


async def test_a_second_run_reads_on_where_the_first_stopped(server: tuple[str, list[str]]) -> None:
    base, asked = server
    queries_ = Queries(lambda name: base, PATHS)
    await closed_loop(queries_.urls("direct"), 1, 0.2, warmup_s=0.0)
    first = len(asked)
    assert 0 < first < len(PATHS)
    await closed_loop(queries_.urls("direct"), 1, 0.2, warmup_s=0.0)
    # One client: requests in order, the second run starting just after the first's last.
    assert asked == PATHS[: len(asked)]
    assert len(asked) > first


async def test_direct_and_gateway_share_one_sequence_and_other_servers_have_their_own(
    server: tuple[str, list[str]],
) -> None:
    base, asked = server
    queries_ = Queries(lambda name: base, PATHS)
    await closed_loop(queries_.urls("direct"), 1, 0.1, warmup_s=0.0)
    direct = len(asked)
    await closed_loop(queries_.urls("gateway"), 1, 0.1, warmup_s=0.0)
    # The gateway reaches the same engine: it goes on from the direct run's last query.
    assert asked == PATHS[: len(asked)] and len(asked) > direct
    shared = len(asked)
    await closed_loop(queries_.urls("bare_tantivy"), 1, 0.1, warmup_s=0.0)
    # Another server (its own engine and cache) starts at the first query.
    assert asked[shared] == PATHS[0]


async def test_a_list_of_urls_starts_again_at_its_first(server: tuple[str, list[str]]) -> None:
    # The other benchmarks pass lists: each of their runs sends the same requests.
    base, asked = server
    urls = [base + p for p in PATHS]
    await closed_loop(urls, 1, 0.1, warmup_s=0.0)
    first = len(asked)
    await closed_loop(urls, 1, 0.1, warmup_s=0.0)
    assert asked[first] == PATHS[0]


def test_the_queries_differ_and_any_stretch_mixes_words_browsing_and_sorts() -> None:
    chosen = queries()
    assert len({path(params) for params in chosen}) == len(chosen) == 3000
    # Shuffled: the browse pages (no words) are not all in the first stretch a run reads.
    browsing = [k for k, params in enumerate(chosen) if "q" not in params]
    assert len(browsing) == 10 and max(browsing) > 300
