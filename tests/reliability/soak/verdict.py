"""The soak's verdict: did anything grow without bound, was anything left behind."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from tests.reliability.soak.load import KINDS

DRAIN_S = 120.0
# The verdict's thresholds. "Grew" is the last third against the middle third: the median of
# each series' samples over the last third may exceed the middle third's by at most
# `ratio` times it plus `slack` (so a small, noisy series is not judged in percents alone).
THRESHOLDS: dict[str, dict[str, float]] = {
    # Resident memory per process (MiB): 10% + 16 MiB.
    "rss_mib": {"ratio": 0.10, "slack": 16.0},
    # p95 latency per kind of request (ms): double + 100 ms (the machine is shared; latency
    # that keeps growing with the data or a leak grows far more than that).
    "p95_ms": {"ratio": 1.0, "slack": 100.0},
    # PostgreSQL connections per service: at most 2 more (pools are bounded).
    "pg_connections": {"ratio": 0.0, "slack": 2.0},
    # Messages waiting in the namespace's queues, all together: double + 20.
    "queued_messages": {"ratio": 1.0, "slack": 20.0},
    # Age of the oldest unsent outbox row per service (s): double + 5 s.
    "outbox_lag_s": {"ratio": 1.0, "slack": 5.0},
}
# Resident memory must also have stopped growing: the least-squares slope of each process's RSS
# over the last two thirds of the load (MiB per hour) may not exceed this. The thirds' medians
# alone let a steady leak that is small beside a process's size through: the catalogue worker's
# 81 -> 109 MiB in the 30-minute soak at 90ececf (55 MiB/h) passed them (bound 10 % + 16 MiB).
# Every other process of that run stayed under 7 MiB/h.
RSS_SLOPE_MIB_PER_HOUR = 12.0
# Over a shorter window than this (a 3-minute soak's last two minutes) a warm-up (caches and
# pools filling) cannot be told from a leak: the slope is recorded, not judged.
SLOPE_MIN_WINDOW_S = 600.0
# Requests answered 5xx or not at all, of all requests: at most this share.
MAX_ERROR_SHARE = 0.01


def backlog(queue: str) -> bool:
    """A queue whose messages are work still to do: not a parking queue (judged on its own:
    nothing may be parked during the soak) nor the archive (every event, kept on purpose up to
    its x-max-length, the oldest dropped: bounded by construction, and consumed by no one)."""
    return not queue.endswith(".parking") and queue != "archive"


def series(samples: list[dict[str, Any]]) -> dict[str, dict[str, list[float | None]]]:
    """Every judged series by family: {family: {name: [value per sample]}}."""
    out: dict[str, dict[str, list[float | None]]] = defaultdict(dict)

    def names(path: str) -> list[str]:
        return sorted({k for s in samples for k in s[path]})

    for name in names("rss_mib"):
        out["rss_mib"][name] = [s["rss_mib"].get(name) for s in samples]
    for kind in KINDS:
        out["p95_ms"][kind] = [s["latency"][kind]["p95_ms"] for s in samples]
    for name in names("pg_connections"):
        out["pg_connections"][name] = [s["pg_connections"].get(name, 0) for s in samples]
    out["queued_messages"]["every queue but parking and archive"] = [
        sum(v for q, v in s["queues"].items() if backlog(q)) for s in samples
    ]
    for name in names("outbox"):
        out["outbox_lag_s"][name] = [s["outbox"].get(name, {}).get("lag_s") for s in samples]
    return out


def rss_slopes(load: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each process's RSS slope (MiB per hour, least squares) over the last two thirds of the
    samples under load, and whether it is within RSS_SLOPE_MIB_PER_HOUR (None: not judged, the
    window being shorter than SLOPE_MIN_WINDOW_S)."""
    window = load[len(load) // 3 :]
    slopes = []
    for name, values in series(window)["rss_mib"].items():
        points = [(s["t_s"], v) for s, v in zip(window, values, strict=True) if v is not None]
        if len(points) < 2:
            continue
        seconds = [t for t, _ in points]
        span = seconds[-1] - seconds[0]
        if span <= 0:
            continue
        fitted = statistics.linear_regression(seconds, [v for _, v in points])
        per_hour = fitted.slope * 3600
        slopes.append(
            {
                "series": name,
                "mib_per_hour": round(per_hour, 1),
                "window_s": round(span, 1),
                "bound": RSS_SLOPE_MIB_PER_HOUR,
                "ok": per_hour <= RSS_SLOPE_MIB_PER_HOUR if span >= SLOPE_MIN_WINDOW_S else None,
            }
        )
    return slopes


def verdict(samples: list[dict[str, Any]], totals: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Last third against middle third per series; memory's slope over the last two thirds; the
    end drained; errors rare."""
    load = [s for s in samples if s["phase"] == "load"]
    third = len(load) // 3
    checks: list[dict[str, Any]] = []
    failures: list[str] = []
    if third < 2:
        failures.append(f"too few samples under load to judge ({len(load)}; 6 at least)")
    else:
        middle, last = load[third : 2 * third], load[2 * third :]
        mid_series, last_series = series(middle), series(last)
        for family, limits in THRESHOLDS.items():
            for name, values in mid_series.get(family, {}).items():
                before = [v for v in values if v is not None]
                after = [v for v in last_series[family].get(name, []) if v is not None]
                if not before or not after:
                    continue
                m, n = statistics.median(before), statistics.median(after)
                bound = m * (1 + limits["ratio"]) + limits["slack"]
                ok = n <= bound
                checks.append(
                    {
                        "family": family,
                        "series": name,
                        "middle_median": round(m, 2),
                        "last_median": round(n, 2),
                        "bound": round(bound, 2),
                        "ok": ok,
                    }
                )
                if not ok:
                    failures.append(
                        f"{family} {name}: last third {n:.1f} > {bound:.1f} "
                        f"(middle third {m:.1f} × {1 + limits['ratio']:g} + {limits['slack']:g})"
                    )
    slopes = rss_slopes(load)
    for slope in slopes:
        if slope["ok"] is False:
            failures.append(
                f"rss_mib {slope['series']}: grew {slope['mib_per_hour']:g} MiB/h over the last two "
                f"thirds ({slope['window_s'] / 60:.0f} min; bound {slope['bound']:g} MiB/h)"
            )
    first, end = samples[0], samples[-1]
    leftover = {q: v for q, v in end["queues"].items() if v and backlog(q)}
    if leftover:
        failures.append(f"queues not drained {DRAIN_S:g} s after the load: {leftover}")
    newly_parked = {
        q: v - first["queues"].get(q, 0)
        for q, v in end["queues"].items()
        if q.endswith(".parking") and v > first["queues"].get(q, 0)
    }
    if newly_parked:
        failures.append(f"messages parked during the soak: {newly_parked}")
    unsent = {s: o["unsent"] for s, o in end["outbox"].items() if o["unsent"]}
    if unsent:
        failures.append(f"outbox rows unsent {DRAIN_S:g} s after the load: {unsent}")
    requests = sum(t["requests"] for t in totals.values())
    errors = sum(t["errors"] for t in totals.values())
    if not requests:
        failures.append("no request was made")
    elif errors / requests > MAX_ERROR_SHARE:
        failures.append(
            f"{errors} of {requests} requests failed (5xx or no answer), over {MAX_ERROR_SHARE:.0%}"
        )
    for kind, t in totals.items():
        if not t["requests"]:
            failures.append(f"no {kind} request was made")
    # The load kept its pace: each kind answered in the last third at least half as often as
    # in the middle third (a marketplace that slows down, or a load that broke, shows here).
    if third >= 2:
        for kind in KINDS:
            before = statistics.median(s["latency"][kind]["count"] for s in load[third : 2 * third])
            after = statistics.median(s["latency"][kind]["count"] for s in load[2 * third :])
            if after < before / 2:
                failures.append(
                    f"{kind}: {after:g} answered per sample in the last third, "
                    f"under half the middle third's {before:g}"
                )
    return {
        "result": "pass" if not failures else "FAIL",
        "failures": failures,
        "checks": checks,
        "rss_slopes": slopes,
        "requests": requests,
        "errors": errors,
        "leftover_queues": leftover,
        "newly_parked": newly_parked,
        "unsent_at_end": unsent,
    }
