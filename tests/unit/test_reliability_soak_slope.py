"""The soak's verdict fails a process whose memory keeps growing at a steady rate, even one small
beside the process's size that the thirds' medians let through (the catalogue worker's 81 -> 109
MiB over the 30-minute soak at 90ececf), and passes one that grows while it warms up and then
stays flat."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.reliability_report import render
from tests.reliability.soak import KINDS, verdict

TOTALS = {kind: {"requests": 100, "errors": 0} for kind in KINDS}


def soak(minutes: float, rss: Callable[[float], float]) -> list[dict[str, Any]]:
    """A soak of `minutes` sampled every 10 s, the catalogue worker's RSS (MiB) `rss(t_s)`,
    everything else flat; a last sample after the drain."""
    n = int(minutes * 6) + 1
    out = []
    for i in range(n + 1):
        t = 10.0 * min(i, n - 1)
        out.append(
            {
                "t_s": 10.0 * i,
                "phase": "load" if i < n else "drain",
                "rss_mib": {"catalogue.worker": rss(t), "gateway": 77.0},
                "latency": {
                    kind: {"count": 20, "errors": 0, "p50_ms": 20.0, "p95_ms": 60.0, "p99_ms": 90.0}
                    for kind in KINDS
                },
                "queues": {"catalogue": 0, "catalogue.parking": 0},
                "outbox": {"catalogue": {"unsent": 0, "lag_s": 0.0}},
                "pg_connections": {"catalogue": 6},
            }
        )
    return out


def worker_slope(judged: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in judged["rss_slopes"] if s["series"] == "catalogue.worker")


def test_a_steady_leak_fails_though_the_thirds_medians_pass() -> None:
    # 81 -> 109 MiB in a straight line over 30 minutes: 56 MiB an hour.
    judged = verdict(soak(30, lambda t: 81 + 28 * t / 1800), TOTALS)
    assert judged["result"] == "FAIL"
    thirds = next(c for c in judged["checks"] if c["series"] == "catalogue.worker")
    assert thirds["ok"], thirds  # last third 104.3 MiB, bound 1.1 * 94.9 + 16 = 120.4 MiB
    assert worker_slope(judged) == {
        "series": "catalogue.worker",
        "mib_per_hour": 56.0,
        "window_s": 1200.0,
        "bound": 12.0,
        "ok": False,
    }
    assert judged["failures"] == [
        "rss_mib catalogue.worker: grew 56 MiB/h over the last two thirds (20 min; bound 12 MiB/h)"
    ]


def test_memory_that_grows_while_warming_up_then_stays_flat_passes() -> None:
    # 81 MiB up towards 109 as caches fill (most of it in the first five minutes), with a
    # sawtooth of +-1 MiB as the allocator takes and gives back.
    def warming(t: float) -> float:
        return 81 + 28 * (1 - math.exp(-t / 120)) + (1 if int(t / 10) % 2 else -1)

    judged = verdict(soak(30, warming), TOTALS)
    assert judged["result"] == "pass", judged["failures"]
    assert abs(worker_slope(judged)["mib_per_hour"]) < 2
    assert worker_slope(judged)["ok"] is True


def test_a_short_soak_records_the_slope_without_judging_it() -> None:
    # Three minutes: the last two are all warm-up, which a slope cannot tell from a leak.
    judged = verdict(soak(3, lambda t: 81 + 28 * t / 180), TOTALS)
    assert worker_slope(judged)["ok"] is None
    assert worker_slope(judged)["mib_per_hour"] == 560.0
    assert not any("MiB/h" in f for f in judged["failures"])


def test_the_report_names_the_steepest_slope(tmp_path: Path) -> None:
    soaks = tmp_path / "docs" / "reliability"
    soaks.mkdir(parents=True)
    judged = verdict(soak(30, lambda t: 81 + 28 * t / 1800), TOTALS)
    (soaks / "soak-30min.json").write_text(json.dumps({"minutes": 30, "verdict": judged}))
    page = render(tmp_path / "results", soaks, tmp_path / "docs")
    assert (
        "- Memory's steepest slope over the last two thirds (least squares): "
        "catalogue.worker 56.0 MiB/h over 20 min (bound 12.0 MiB/h)"
    ) in page
