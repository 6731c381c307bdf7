"""The soak's verdict can fail (a series that keeps growing, a backlog left behind, a message
parked, failing requests), and the reliability report says what each row ran: the stateful
test's sequences without faults, "settled in" with the polling floor, the soaks with charts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scripts.reliability_report import render
from tests.reliability.soak import KINDS, Recorder, verdict

TOTALS = {kind: {"requests": 100, "errors": 0} for kind in KINDS}


def samples(n: int = 30, **grow: float) -> list[dict[str, Any]]:
    """n samples under load (flat), a last one after the drain; `grow` adds per sample:
    rss (MiB, the orders worker), p95 (ms, checkout), backlog (messages in the orders queue),
    lag (s, the orders outbox), conns (catalogue's connections)."""
    out = []
    for i in range(n + 1):
        phase = "load" if i < n else "drain"
        k = min(i, n - 1)
        out.append(
            {
                "t_s": 10.0 * i,
                "phase": phase,
                "rss_mib": {"orders.worker": 80 + grow.get("rss", 0) * k, "gateway": 70.0},
                "latency": {
                    kind: {
                        "count": 20,
                        "errors": 0,
                        "p50_ms": 20.0,
                        "p95_ms": 60 + (grow.get("p95", 0) * k if kind == "checkout" else 0),
                        "p99_ms": 90.0,
                    }
                    for kind in KINDS
                },
                "queues": {
                    "orders": int(grow.get("backlog", 0) * k) if phase == "load" else 0,
                    "orders.parking": 0,
                    "archive": 50 * i,  # bounded by its x-max-length, consumed by no one
                },
                "outbox": {
                    "orders": {"unsent": 0, "lag_s": grow.get("lag", 0) * k if phase == "load" else 0}
                },
                "pg_connections": {"catalogue": 10 + int(grow.get("conns", 0) * k)},
            }
        )
    return out


def test_a_flat_soak_passes_though_the_archive_fills() -> None:
    judged = verdict(samples(), TOTALS)
    assert judged["result"] == "pass", judged["failures"]
    assert {c["family"] for c in judged["checks"]} == {
        "rss_mib",
        "p95_ms",
        "pg_connections",
        "queued_messages",
        "outbox_lag_s",
    }


def test_each_series_that_keeps_growing_fails_the_verdict() -> None:
    # 30 samples under load: the middle third's median lies between samples 14 and 15, the
    # last third's between 24 and 25.
    # Memory and connections grow a little every sample; latency, queues and lag (judged
    # loosely: x2 plus a slack) jump for the last third.
    cases = {
        "rss": "rss_mib orders.worker",  # 4 MiB a sample: 138 -> 178 MiB, bound 167.8 MiB
        "conns": "pg_connections catalogue",  # one more every other sample: 17 -> 22, bound 19
        "p95": "p95_ms checkout",  # 60 -> 500 ms, bound 220 ms
        "backlog": "queued_messages",  # 0 -> 400 messages, bound 20
        "lag": "outbox_lag_s orders",  # 0 -> 30 s, bound 5 s
    }
    growth = {"rss": 4.0, "conns": 0.5}
    jumps = {"p95": ("latency", "checkout", "p95_ms", 500.0), "lag": ("outbox", "orders", "lag_s", 30.0)}
    for what, named in cases.items():
        grown = samples(**({what: growth[what]} if what in growth else {}))
        for s in grown[20:30]:
            if what == "backlog":
                s["queues"]["orders"] = 400
            elif what in jumps:
                family, name, field, value = jumps[what]
                s[family][name][field] = value
        judged = verdict(grown, TOTALS)
        assert judged["result"] == "FAIL", what
        assert any(f.startswith(named) for f in judged["failures"]), (what, judged["failures"])


def test_what_is_left_behind_fails_the_verdict() -> None:
    backlog = samples()
    backlog[-1]["queues"]["orders"] = 3
    backlog[-1]["outbox"]["orders"]["unsent"] = 2
    parked = samples()
    parked[-1]["queues"]["orders.parking"] = 1
    failing = {kind: {"requests": 100, "errors": 2} for kind in KINDS}
    assert [f.split(":")[0] for f in verdict(backlog, TOTALS)["failures"]] == [
        "queues not drained 120 s after the load",
        "outbox rows unsent 120 s after the load",
    ]
    assert verdict(parked, TOTALS)["failures"] == ["messages parked during the soak: {'orders.parking': 1}"]
    assert verdict(samples(), failing)["failures"] == [
        "10 of 500 requests failed (5xx or no answer), over 1%"
    ]
    assert "too few samples" in verdict(samples(4), TOTALS)["failures"][0]


def test_a_load_that_loses_its_pace_fails_the_verdict() -> None:
    slowed = samples()
    for s in slowed[20:30]:
        s["latency"]["fulfil"]["count"] = 9  # 20 answered a sample in the middle third
    assert verdict(slowed, TOTALS)["failures"] == [
        "fulfil: 9 answered per sample in the last third, under half the middle third's 20"
    ]


def test_a_refused_token_counts_as_a_failed_request() -> None:
    recorder = Recorder()
    recorder.record("checkout", 12.0, 201)
    recorder.record("checkout", 9.0, 401)
    recorder.record("browse", 5.0, 404)
    assert recorder.totals["checkout"] == {"requests": 2, "errors": 1}
    assert recorder.totals["browse"] == {"requests": 1, "errors": 0}
    assert recorder.take().latencies_ms == {"checkout": [12.0], "browse": [5.0]}


def scenario(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "scenario": name,
        "title": name.replace("_", " "),
        "mode": "full",
        "profile": {"customers": 40, "settle_s": 240},
        "faults": [],
        "load_seconds": 30.0,
        "orders_attempted": 43,
        "orders_placed": 19,
        "settle_poll_floor_seconds": 0.25,
        "result": "pass",
        **extra,
    }


def test_the_report_says_what_each_row_ran(tmp_path: Path) -> None:
    results, soaks = tmp_path / "results", tmp_path / "docs" / "reliability"
    results.mkdir()
    soaks.mkdir(parents=True)
    stateful = scenario(
        "stateful_api",
        sequences="12 generated sequences of 300 actions",
        actions={"place_order": 40},
        settle_seconds=0.1,
    )
    killed = scenario("orders_worker_killed", faults=["orders.worker SIGKILLed"], settle_seconds=1.4)
    for r in (stateful, killed):
        (results / f"{r['scenario']}.json").write_text(json.dumps(r))
    soak = {
        "minutes": 30,
        "commit": "abc1234",
        "started_at": "2026-12-06T10:40:00+00:00",
        "machine": {"cores": 2, "memory_gib": 23.5},
        "verdict": verdict(samples(), TOTALS),
        "outcomes": {"checkout 201": 500},
        "drained_after_s": 2.0,
        "charts": ["soak-30min-memory.png"],
    }
    (soaks / "soak-30min.json").write_text(json.dumps(soak))
    page = render(results, soaks, tmp_path / "docs")
    row = next(line for line in page.splitlines() if line.startswith("| stateful api"))
    assert "12 generated sequences of 300 actions; 43 checkouts, each by a new customer" in row
    assert "no fault injected" in row and "40 customers" not in row
    assert "≤ 0.25 s (within one poll)" in row
    assert "1.4 s (± 0.25 s)" in page
    assert "Mode: **full**" in page and "cores" in page and "GiB memory" in page
    assert "| 30 min | abc1234 | 2026-12-06 10:40 UTC | 2 cores, 23.5 GiB |" in page
    assert "![30-minute soak: memory](reliability/soak-30min-memory.png)" in page
