"""scale: the search benchmark's request (text + two filters + facets), direct to the
catalogue, as the catalogue grows: 10k, 100k and 1M listings (`--quick`: 10k and 50k), loaded
with COPY into one namespace (bench/listings.py). The catalogue process is restarted after each
load. Target: p50 at the largest size <= 2x p50 at 10k (search cost bounded by what the page
shows, ARCHITECTURE.md "Search at scale"). Requests/s and p99 are reported beside.
"""

from __future__ import annotations

from bench.core import Context, compare, namespace
from bench.loadgen import Run
from bench.search import (
    CONCURRENCY,
    UNAVAILABLE,
    available,
    measure,
    prepare,
    search_path,
    start_catalogue,
)


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


async def run(ctx: Context) -> None:
    if not available():
        ctx.skip("scale", UNAVAILABLE)
        return
    sizes = (10_000, 50_000) if ctx.quick else (10_000, 100_000, 1_000_000)
    duration = 3.0 if ctx.quick else 5.0
    per_size: dict[int, list[Run]] = {}
    load_s: dict[int, float] = {}
    async with namespace("bench-scale") as env:
        stack = await prepare(env)
        try:
            for size in sizes:
                bar = ctx.progress(total=2 * (size - stack.loader.loaded),
                                   desc=f"scale: loading to {size:,}", unit="row", leave=False)
                load_s[size] = await stack.loader.grow_to(size, bar)
                bar.close()
                ctx.log(f"  {size:,} listings loaded (+{load_s[size]:.0f} s)")
                if "catalogue" in stack.processes:
                    stack.processes.pop("catalogue").stop()
                catalogue = start_catalogue(stack)
                runs = await measure(ctx, {"direct": catalogue.url + search_path()}, duration,
                                     f"scale: search at {label(size)}")
                per_size[size] = runs["direct"]
        finally:
            stack.stop()
            await stack.admin.close()
    smallest = per_size[sizes[0]]
    note = (f"{CONCURRENCY} concurrent clients, direct to the catalogue; baseline: the same at "
            f"{label(sizes[0])}")
    for size in sizes:
        runs = per_size[size]
        target = "<= 2x" if size == sizes[-1] else None
        ctx.add(compare(f"scale.search.p50_ms@{label(size)}", "ms",
                        [r.percentile_ms(50) for r in runs],
                        [r.percentile_ms(50) for r in smallest], target, paired=False,
                        note=note + f"; load took {load_s[size]:.0f} s"))
        ctx.add(compare(f"scale.search.p99_ms@{label(size)}", "ms",
                        [r.percentile_ms(99) for r in runs],
                        [r.percentile_ms(99) for r in smallest], None, paired=False, note=note))
        ctx.add(compare(f"scale.search.rps@{label(size)}", "req/s", [r.rps for r in runs],
                        [r.rps for r in smallest], None, paired=False, note=note))
