"""search: the catalogue's search engine under varied load, at 10k, 100k and 1M listings
(`--quick`: 10k and 30k), direct and through the gateway, against two bare servers; its
freshness, its index build and memory, and its answers against SQL truth.

`search.varied`: 32 concurrent clients (closed loop, every latency recorded, bench/loadgen.py)
cycle through 3,000 different queries and page 2 of some of them (bench/search_queries.py:
words, typos, synonyms, filters, price bands, sorts), each server reading on from where its last
run stopped (`Queries`), so no cache answers them: only a page 2 finds its query counted. Measured per
size, each repeat back to back: the 10k catalogue (a stack of its own, bench/scale.py), the
PostgreSQL baseline (bench/bare_search.py: full-text search with exact counts and facets, what a
team without a search engine writes), the tantivy ceiling (bench/bare_tantivy.py: a bare aiohttp handler
answering the same queries from the same index with the same JSON), the catalogue direct and
through the gateway. Targets: req/s direct >= 5x the PostgreSQL baseline and >= 0.8x the
tantivy ceiling; p50 at the largest size <= 1.5x p50 at 10k. Beside them: p50/p95/p99, one
client alone (`single_ms`), and the tantivy ceiling's own p50 against itself at 10k (its 10k
server kept running beside the 10k catalogue), which shows how much of that growth is the
engine's matching and scoring that no serving code can remove.

`search.get`: `GET /api/v1/listings/{id}` of one visible listing at the largest size, 32 clients
and one alone, direct and through the gateway, against the bare tantivy server's handler doing
the same read with the catalogue's store function and rendering (its ceiling). Targets: direct
>= 0.8x, gateway >= 0.5x the bare handler (req/s).

`search.index_build`: seconds from starting a catalogue instance with an empty index directory
to its readiness (index built from PostgreSQL), and its memory (RSS) after the load.
`search.quality`: 20 broad queries' totals and facets equal SQL truth; the old title match is on
page one. `search.freshness`: seconds from a publish's HTTP 200 to its appearance in search,
p50/p99 over 50 publishes (bench/search_checks.py).

The load generator runs on the same 2 cores as the servers, PostgreSQL and RabbitMQ: absolute
figures are lower than on a separate client machine; the ratios compare like with like.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bench import search_checks
from bench.core import Context, compare, namespace, report_serving
from bench.loadgen import Run, closed_loop
from bench.memory import rss_mib
from bench.scale import Stack, grow, label, prepare, start_bare, start_catalogue, start_gateway
from bench.search_queries import path, queries, with_cursors
from tests.support.harness import ROOT

CONCURRENCY = 32
BASE = 10_000
TARGETS = ("bare_pg", "bare_tantivy", "direct", "gateway")
SINGLES = ("bare_tantivy", "direct")
UNAVAILABLE = "the search engine (services/catalogue/search/engine.py) does not exist yet"
TIMEOUT_S = 120.0  # the PostgreSQL baseline at 1M answers in seconds under 32 clients
GET_DURATION_S = 4.0  # a GET answers in milliseconds: thousands of requests a run


def available() -> bool:
    return (ROOT / "services" / "catalogue" / "search" / "engine.py").exists()


@dataclass
class Queries:
    """One stack's queries, each process reading on from where its last run left them (the
    catalogue's direct and gateway runs one sequence: both reach the same engine). A process is
    asked a query again only after the 3,000 others, so the totals and facets an engine keeps
    (the last 2,048 per snapshot) never answer a run's page 1; each run starting again at the
    first query let them answer every run after the first."""

    url: Callable[[str], str]  # a process's base URL by name (`Stack.url`)
    paths: list[str]
    _sequences: dict[str, Iterator[str]] = field(default_factory=dict)

    def urls(self, target: str) -> Iterator[str]:
        process = "catalogue" if target in ("direct", "gateway") else target
        sequence = self._sequences.setdefault(process, itertools.cycle(self.paths))
        base = self.url("catalogue" if target == "direct" else target)
        return (base + p for p in sequence)


async def _queries(stack: Stack) -> Queries:
    """The queries, with page 2 cursors asked of the catalogue now."""
    chosen = await with_cursors(stack.url("catalogue"), queries())
    return Queries(stack.url, [path(params) for params in chosen])


async def _run(
    stack: Stack, name: str, urls: list[str] | Iterator[str], clients: int, duration_s: float
) -> Run:
    run = await closed_loop(urls, clients, duration_s, warmup_s=1.0, timeout_s=TIMEOUT_S)
    if run.errors:
        process = stack.processes.get("catalogue" if name in ("direct", "base") else name)
        logs = process.logs()[-3000:] if process else ""
        raise RuntimeError(f"{name}, {clients} clients: errors {run.errors}\n{logs}")
    return run


async def measure(
    ctx: Context,
    stack: Stack,
    size: int,
    asked: Queries,
    base: tuple[Stack, Queries] | None,
    duration_s: float,
) -> dict[str, list[Run]]:
    """Each repeat: the 10k catalogue (when `base`), then every target, back to back, in an order
    turned by one each repeat; then one client alone on the singles."""
    runs: dict[str, list[Run]] = {}
    bar = ctx.progress(total=ctx.repeats, desc=f"search.varied at {label(size)}", unit="round", leave=False)
    for repeat in range(ctx.repeats):
        if base:
            runs.setdefault("base", []).append(
                await _run(base[0], "base", base[1].urls("direct"), CONCURRENCY, duration_s)
            )
            runs.setdefault("base_tantivy", []).append(
                await _run(base[0], "bare_tantivy", base[1].urls("bare_tantivy"), CONCURRENCY, duration_s)
            )
        # The order turns each repeat: whatever runs just after the PostgreSQL baseline at 1M
        # (seconds a request, the database busy to the end) is not always the same target.
        for name in TARGETS[repeat % len(TARGETS) :] + TARGETS[: repeat % len(TARGETS)]:
            runs.setdefault(name, []).append(
                await _run(stack, name, asked.urls(name), CONCURRENCY, duration_s)
            )
        bar.update()
    bar.close()
    for name in SINGLES:
        runs[f"{name}.single"] = [await _run(stack, name, asked.urls(name), 1, duration_s)]
    return runs


def report(ctx: Context, size: int, runs: dict[str, list[Run]], largest: bool) -> None:
    at = f"@{label(size)}"
    note = f"{size:,} listings, {CONCURRENCY} clients, 3,000 queries + page 2 of some"
    rps = {name: [r.rps for r in runs[name]] for name in TARGETS}
    for name in ("direct", "gateway"):
        ctx.add(
            compare(
                f"search.varied.{name}.rps{at}",
                "req/s",
                rps[name],
                rps["bare_pg"],
                ">= 5x" if name == "direct" and largest else None,
                note + "; baseline: bare aiohttp+asyncpg, PostgreSQL full-text, exact count and facets",
            )
        )
        ctx.add(
            compare(
                f"search.varied.{name}.rps_vs_tantivy{at}",
                "req/s",
                rps[name],
                rps["bare_tantivy"],
                ">= 0.8x" if name == "direct" and largest else None,
                note + "; baseline: bare aiohttp handler over the same tantivy index, same JSON",
            )
        )
        for p in (50, 95, 99):
            ctx.add(
                compare(
                    f"search.varied.{name}.p{p}_ms{at}",
                    "ms",
                    [r.percentile_ms(p) for r in runs[name]],
                    [r.percentile_ms(p) for r in runs["bare_pg"]],
                    None,
                    note + f"; baseline: PostgreSQL full-text p{p}",
                    lower_is_better=True,
                )
            )
    if "base" in runs:
        # The catalogue against itself at 10k (the target), and the tantivy ceiling against
        # itself: how much of the growth from 10k is the engine's own (its matches to count and
        # score), which no serving code can remove.
        for name, at_10k, target in (
            ("direct", "base", "<= 1.5x" if largest else None),
            ("bare_tantivy", "base_tantivy", None),
        ):
            ctx.add(
                compare(
                    f"search.varied.{name}.p50_vs_10k{at}",
                    "ms",
                    [r.percentile_ms(50) for r in runs[name]],
                    [r.percentile_ms(50) for r in runs[at_10k]],
                    target,
                    note + "; baseline: the same queries at 10k, measured back to back in each repeat",
                    lower_is_better=True,
                )
            )
    for name in SINGLES:
        ctx.add(
            compare(
                f"search.varied.{name}.single_ms{at}",
                "ms",
                [r.percentile_ms(50) for r in runs[f"{name}.single"]],
                None,
                None,
                "one client alone, p50",
                lower_is_better=True,
            )
        )


async def run(ctx: Context) -> None:
    if not available():
        ctx.skip("search", UNAVAILABLE)
        return
    sizes = (30_000,) if ctx.quick else (100_000, 1_000_000)
    # Long enough for the PostgreSQL baseline at 1M (seconds a request) to answer many.
    duration = 3.0 if ctx.quick else 8.0
    async with namespace("bench-search-base") as base_env:
        base = await prepare(base_env)
        try:
            await grow(ctx, base, BASE)
            await start_catalogue(base)
            await start_gateway(base)
            await start_bare(base)
            base_queries = await _queries(base)
            report(ctx, BASE, await measure(ctx, base, BASE, base_queries, None, duration), largest=False)
            # Only its catalogue and tantivy ceiling are measured again: PostgreSQL's connections
            # are shared (100 here).
            base.stop("gateway", "bare_pg")
            async with namespace("bench-search") as env:
                stack = await prepare(env)
                try:
                    build_s = 0.0
                    for size in sizes:
                        stack.stop()
                        await grow(ctx, stack, size)
                        build_s = await start_catalogue(stack)
                        await start_gateway(stack)
                        await start_bare(stack)
                        asked = await _queries(stack)
                        runs = await measure(ctx, stack, size, asked, (base, base_queries), duration)
                        report(ctx, size, runs, largest=size == sizes[-1])
                        if size == sizes[-1]:
                            await measure_get(ctx, stack, size, GET_DURATION_S)
                    stack.stop("gateway", "bare_pg", "bare_tantivy")
                    await _checks(ctx, stack, sizes[-1], build_s)
                finally:
                    stack.stop()
                    await stack.admin.close()
        finally:
            base.stop()
            await base.admin.close()


async def measure_get(ctx: Context, stack: Stack, size: int, duration_s: float) -> None:
    """`search.get`: one visible listing's GET on the bare handler, direct and through the
    gateway, in an order turned by one each repeat; then one client alone on each."""
    listing_id = await stack.admin.fetchval(
        "SELECT listing_id::text FROM catalogue.listing_search WHERE visible "
        "ORDER BY published_at DESC LIMIT 1 OFFSET 1000"
    )
    get_path = f"/api/v1/listings/{listing_id}"
    targets = [
        ("bare", stack.url("bare_tantivy") + get_path),
        ("direct", stack.url("catalogue") + get_path),
        ("gateway", stack.url("gateway") + get_path),
    ]
    runs: dict[str, list[Run]] = {}
    bar = ctx.progress(total=ctx.repeats, desc=f"search.get at {label(size)}", unit="round", leave=False)
    for repeat in range(ctx.repeats):
        for name, url in targets[repeat % len(targets) :] + targets[: repeat % len(targets)]:
            process = "bare_tantivy" if name == "bare" else name
            runs.setdefault(name, []).append(await _run(stack, process, [url], CONCURRENCY, duration_s))
        bar.update()
    bar.close()
    for name, url in targets:
        process = "bare_tantivy" if name == "bare" else name
        runs[f"{name}.single"] = [await _run(stack, process, [url], 1, duration_s)]
    report_serving(
        ctx,
        "search.get",
        runs,
        f"one visible listing of {size:,}, {CONCURRENCY} clients, {duration_s:.0f} s per run; baseline: "
        "bare aiohttp handler, the catalogue's store read and rendering",
    )


async def _checks(ctx: Context, stack: Stack, size: int, build_s: float) -> None:
    at = f"@{label(size)}"
    proc = stack.processes["catalogue"].proc
    assert proc is not None
    ctx.add(
        compare(
            f"search.index_build.seconds{at}",
            "s",
            [build_s],
            None,
            None,
            "a catalogue instance started with an empty index directory, to ready (built from PostgreSQL)",
        )
    )
    ctx.add(
        compare(f"search.index_build.rss_mib{at}", "MiB", [rss_mib(proc.pid)], None, None, "after the load")
    )
    url = stack.url("catalogue")
    exact, differences, on_page_one, newer = await search_checks.quality(url, stack)
    ctx.add(
        compare(
            f"search.quality.exact_queries{at}",
            "queries",
            [exact],
            [20],
            ">= 1x",
            "broad queries whose total and facets equal SQL truth"
            + (f"; {'; '.join(differences)}" if differences else ""),
        )
    )
    ctx.add(
        compare(
            f"search.quality.old_title_on_page_one{at}",
            "yes",
            [1.0 if on_page_one else 0.0],
            [1.0],
            ">= 1x",
            f"the oldest listing, alone with the word in its title, among {newer:,} newer matches",
        )
    )
    count = 20 if ctx.quick else 50
    seconds = await search_checks.freshness(url, stack, count)
    for p, value in (("p50", statistics.median(seconds)), ("p99", _percentile(seconds, 99))):
        ctx.add(
            compare(
                f"search.freshness.{p}_s{at}",
                "s",
                [value],
                [1.0],
                "<= 1x",
                f"publish (HTTP 200) to first search answer showing it, {count} publishes; target 1 s",
                lower_is_better=True,
            )
        )


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
