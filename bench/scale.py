"""scale: the search benchmark's request (text + two filters + facets), direct to the
catalogue, as the catalogue grows: 100k and 1M listings (`--quick`: 50k) against 10k, loaded
with COPY (bench/listings.py). Target: p50 at the largest size <= 2x p50 at 10k (search cost
bounded by the facet cap, docs/architecture.md "Search"). Requests/s and p99 are
reported beside.

The 10k catalogue lives in a namespace of its own, with its own catalogue process, for the
whole run, while another namespace grows to each larger size (its catalogue process restarted
after each load). Each repeat measures the 10k catalogue and the larger one back to back, so
the ratio is the median of interleaved pairs, as in every other benchmark here: measured one
size after the other, minutes apart, the ratio moved with whatever else the shared machine
was doing (1.15x and 2.12x in two full runs of the same code).
"""

from __future__ import annotations

from bench.core import Context, compare, namespace
from bench.loadgen import Run
from bench.search import (
    CONCURRENCY,
    UNAVAILABLE,
    Stack,
    available,
    measure,
    prepare,
    search_path,
    start_catalogue,
)

BASE = 10_000


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


async def _load(ctx: Context, stack: Stack, size: int) -> float:
    bar = ctx.progress(
        total=2 * (size - stack.loader.loaded), desc=f"scale: loading to {size:,}", unit="row", leave=False
    )
    seconds = await stack.loader.grow_to(size, bar)
    bar.close()
    ctx.log(f"  {size:,} listings loaded (+{seconds:.0f} s)")
    return seconds


async def run(ctx: Context) -> None:
    if not available():
        ctx.skip("scale", UNAVAILABLE)
        return
    sizes = (50_000,) if ctx.quick else (100_000, 1_000_000)
    duration = 3.0 if ctx.quick else 5.0
    per_size: dict[int, tuple[list[Run], list[Run]]] = {}  # size: (its runs, the 10k runs)
    load_s: dict[int, float] = {}
    async with namespace("bench-scale-base") as base_env:
        base = await prepare(base_env)
        try:
            load_s[BASE] = await _load(ctx, base, BASE)
            base_url = start_catalogue(base).url + search_path()
            async with namespace("bench-scale") as env:
                stack = await prepare(env)
                try:
                    for size in sizes:
                        load_s[size] = await _load(ctx, stack, size)
                        if "catalogue" in stack.processes:
                            stack.processes.pop("catalogue").stop()
                        url = start_catalogue(stack).url + search_path()
                        measured = await measure(
                            ctx,
                            {"base": base_url, "larger": url},
                            duration,
                            f"scale: search at {label(size)} and {label(BASE)}",
                        )
                        per_size[size] = (measured["larger"], measured["base"])
                finally:
                    stack.stop()
                    await stack.admin.close()
        finally:
            base.stop()
            await base.admin.close()

    note = (
        f"{CONCURRENCY} concurrent clients, direct to the catalogue; baseline: the same "
        f"search at {label(BASE)} listings, measured back to back in each repeat"
    )
    all_base = [run for _, base_runs in per_size.values() for run in base_runs]
    for metric, unit, value in (
        ("p50_ms", "ms", lambda r: r.percentile_ms(50)),
        ("p99_ms", "ms", lambda r: r.percentile_ms(99)),
        ("rps", "req/s", lambda r: r.rps),
    ):
        ctx.add(
            compare(
                f"scale.search.{metric}@{label(BASE)}",
                unit,
                [value(r) for r in all_base],
                None,
                None,
                note=note + f"; all its runs; load took {load_s[BASE]:.0f} s",
            )
        )
    for size, (runs, base_runs) in per_size.items():
        target = "<= 2x" if size == sizes[-1] else None
        ctx.add(
            compare(
                f"scale.search.p50_ms@{label(size)}",
                "ms",
                [r.percentile_ms(50) for r in runs],
                [r.percentile_ms(50) for r in base_runs],
                target,
                note=note + f"; load took {load_s[size]:.0f} s",
            )
        )
        ctx.add(
            compare(
                f"scale.search.p99_ms@{label(size)}",
                "ms",
                [r.percentile_ms(99) for r in runs],
                [r.percentile_ms(99) for r in base_runs],
                None,
                note=note,
            )
        )
        ctx.add(
            compare(
                f"scale.search.rps@{label(size)}",
                "req/s",
                [r.rps for r in runs],
                [r.rps for r in base_runs],
                None,
                note=note,
            )
        )
