"""An HTTP load generator: a fixed number of concurrent clients, each sending its next request
as soon as the last one answered (closed loop), for a fixed time. Every latency is recorded,
so percentiles are exact (no sampling, no bucketing)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import aiohttp


@dataclass
class Run:
    latencies_s: list[float] = field(default_factory=list)
    errors: dict[int | str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_s)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s else 0.0

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies_s)
        if not ordered:
            return float("nan")
        k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[k] * 1000

    def histogram(self) -> dict[str, int]:
        """Counts per latency bucket (ms upper bounds, doubling from 1 ms)."""
        bounds = [2**i for i in range(0, 14)]
        counts = {f"<={b}ms": 0 for b in bounds}
        counts[">8192ms"] = 0
        for latency in self.latencies_s:
            ms = latency * 1000
            for b in bounds:
                if ms <= b:
                    counts[f"<={b}ms"] += 1
                    break
            else:
                counts[">8192ms"] += 1
        return {k: v for k, v in counts.items() if v}


async def closed_loop(
    urls: list[str] | Iterator[str],
    concurrency: int,
    duration_s: float,
    warmup_s: float = 1.0,
    headers: dict[str, str] | None = None,
    timeout_s: float = 30.0,
) -> Run:
    """GET the urls round-robin from `concurrency` clients: `warmup_s` unrecorded, then
    `duration_s` recorded. A non-200 answer is an error (counted, not a latency). An iterator
    is read on from where the last run left it (a list starts again at its first url)."""
    run = Run()
    cycle = urls if isinstance(urls, Iterator) else itertools.cycle(urls)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers or {}) as session:
        loop = asyncio.get_running_loop()
        start = loop.time()
        record_from = start + warmup_s
        stop_at = record_from + duration_s

        async def client() -> None:
            while True:
                now = loop.time()
                if now >= stop_at:
                    return
                url = next(cycle)
                t0 = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        await response.read()
                        status: int | str = response.status
                except (TimeoutError, aiohttp.ClientError) as exc:
                    status = type(exc).__name__
                elapsed = time.perf_counter() - t0
                if loop.time() < record_from:
                    continue
                if status == 200:
                    run.latencies_s.append(elapsed)
                else:
                    run.errors[status] = run.errors.get(status, 0) + 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
        run.elapsed_s = loop.time() - record_from
    return run
