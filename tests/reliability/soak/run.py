"""The whole soak on a running stack: load, samples, drain, verdict, output."""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from ops.provenance import git_commit
from tests.reliability.marketplace import Shop, Stack
from tests.reliability.soak.load import Rates, Soaker, soak_catalogue
from tests.reliability.soak.output import charts, label, machine, server, write_csv
from tests.reliability.soak.sampling import SAMPLE_S, Sampler
from tests.reliability.soak.verdict import (
    DRAIN_S,
    MAX_ERROR_SHARE,
    RSS_SLOPE_MIB_PER_HOUR,
    SLOPE_MIN_WINDOW_S,
    THRESHOLDS,
    backlog,
    verdict,
)
from tests.support.harness import ROOT

SOAK_MINUTES = float(os.environ.get("SOAK_MINUTES", "3"))
OUT_DIR = Path(os.environ.get("SOAK_OUT", ROOT / "docs" / "reliability"))


async def soak(
    stack: Stack,
    shop: Shop,
    db: asyncpg.Pool,
    namespace: str,
    minutes: float = SOAK_MINUTES,
    rates: Rates | None = None,
    out_dir: Path = OUT_DIR,
) -> dict[str, Any]:
    """Run the soak on a running stack; write its samples, charts and verdict; return the
    summary (its "verdict" says pass or FAIL)."""
    rates = rates or Rates()
    commit = git_commit() or "unknown"
    started_at = datetime.now(UTC)
    makers = await soak_catalogue(shop)
    soaker = Soaker(shop, makers, rates)
    sampler = Sampler(stack, db, namespace, soaker.recorder)
    await sampler.open()
    await sampler.sample("before")
    deadline = time.monotonic() + minutes * 60
    tasks = await soaker.run()
    try:
        tick = time.monotonic()
        while time.monotonic() < deadline:
            # On a fixed beat: the time a sample takes (rabbitmqctl on a busy machine: seconds)
            # does not stretch the interval.
            tick += SAMPLE_S
            await asyncio.sleep(max(0.0, min(tick, deadline) - time.monotonic()))
            dead = stack.dead()
            await sampler.sample("load")
            if dead:
                raise AssertionError(f"processes died during the soak: {dead}")
            print(f"soak {sampler.samples[-1]['t_s']:.0f}s: {soaker.recorder.totals}", flush=True)
    finally:
        soaker.stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    # Drain: the marketplace finishes what the load left it (events in flight, outboxes).
    drain_started = time.monotonic()
    drained_after = None
    while time.monotonic() - drain_started < DRAIN_S:
        last = await sampler.sample("drain")
        busy = any(v for q, v in last["queues"].items() if backlog(q)) or any(
            o["unsent"] for o in last["outbox"].values()
        )
        if not busy:
            drained_after = round(time.monotonic() - drain_started, 1)
            break
        await asyncio.sleep(2)
    judged = verdict(sampler.samples, soaker.recorder.totals)
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / label(minutes)
    summary = {
        "commit": commit,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "minutes": minutes,
        "sample_s": SAMPLE_S,
        "machine": machine(),
        "postgresql": await server(db),
        "rates": asdict(rates),
        "makers": len(makers),
        "listings": len(soaker.listings),
        "totals": soaker.recorder.totals,
        "statuses": dict(soaker.recorder.statuses),
        "outcomes": dict(sorted(soaker.outcomes.items())),
        "drained_after_s": drained_after,
        "thresholds": THRESHOLDS,
        "rss_slope_mib_per_hour": RSS_SLOPE_MIB_PER_HOUR,
        "slope_min_window_s": SLOPE_MIN_WINDOW_S,
        "max_error_share": MAX_ERROR_SHARE,
        "verdict": judged,
        "samples": sampler.samples,
    }
    summary["charts"] = charts(prefix, sampler.samples, f"{minutes:g}-minute soak at {commit}")
    prefix.with_name(prefix.name + ".json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    write_csv(prefix.with_name(prefix.name + ".csv"), sampler.samples)
    return summary
