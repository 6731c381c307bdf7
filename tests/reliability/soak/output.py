"""What a soak writes: its samples (JSON, CSV), one chart per family of series, and what it ran on."""

from __future__ import annotations

import csv
import os
import platform
from pathlib import Path
from typing import Any

import asyncpg

from tests.reliability.soak.load import KINDS
from tests.reliability.soak.verdict import series


def label(minutes: float) -> str:
    return f"soak-{minutes:g}min"


def write_csv(path: Path, samples: list[dict[str, Any]]) -> None:
    """One row per sample, one column per series (flattened)."""
    rows = []
    for s in samples:
        row: dict[str, Any] = {
            "t_s": s["t_s"],
            "at": s["at"],
            "phase": s["phase"],
            "loadavg_1m": s.get("loadavg_1m"),
        }
        for name, v in s["rss_mib"].items():
            row[f"rss_mib:{name}"] = v
        for kind, lat in s["latency"].items():
            for k, v in lat.items():
                row[f"{kind}:{k}"] = v
        for q, v in s["queues"].items():
            row[f"queue:{q}"] = v
        for schema, o in s["outbox"].items():
            row[f"outbox_unsent:{schema}"] = o["unsent"]
            row[f"outbox_lag_s:{schema}"] = o["lag_s"]
        for service, n in s["pg_connections"].items():
            row[f"pg_connections:{service}"] = n
        rows.append(row)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def charts(prefix: Path, samples: list[dict[str, Any]], title: str) -> list[str]:
    """One PNG per family of series; the file names written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [s["t_s"] / 60 for s in samples]
    load_end = max((s["t_s"] / 60 for s in samples if s["phase"] == "load"), default=None)
    drawn = series(samples)
    queue_names = sorted({q for s in samples for q in s["queues"] if q != "archive"})
    panels: list[tuple[str, str, dict[str, list[Any]]]] = [
        ("memory", "resident memory (MiB)", drawn["rss_mib"]),
        (
            "latency",
            "latency p50 / p95 (ms), per interval",
            {
                **{f"{k} p95": [s["latency"][k]["p95_ms"] for s in samples] for k in KINDS},
                **{f"{k} p50": [s["latency"][k]["p50_ms"] for s in samples] for k in KINDS},
            },
        ),
        (
            "queues",
            "messages in queue (ready + unacknowledged; the archive left out)",
            {q: [s["queues"].get(q, 0) for s in samples] for q in queue_names},
        ),
        ("outbox", "oldest unsent outbox row (s)", drawn["outbox_lag_s"]),
        ("connections", "PostgreSQL connections", drawn["pg_connections"]),
        (
            "machine",
            f"load average, 1 min ({os.cpu_count()} cores; other work shares the machine)",
            {"load average": [s.get("loadavg_1m") for s in samples]},
        ),
    ]
    written = []
    for name, ylabel, lines in panels:
        fig, ax = plt.subplots(figsize=(10, 5), dpi=100)
        for i, (series_name, values) in enumerate(sorted(lines.items())):
            xs = [x for x, v in zip(minutes, values, strict=True) if v is not None]
            ys = [v for v in values if v is not None]
            if not ys:
                continue
            dashed = name == "latency" and series_name.endswith("p50")
            ax.plot(
                xs,
                ys,
                label=series_name,
                linestyle="--" if dashed else "-",
                color=plt.get_cmap("tab20")(i % 20)
                if name != "latency"
                else f"C{KINDS.index(series_name.split()[0])}",
                linewidth=1.2,
            )
        if load_end is not None:
            ax.axvline(load_end, color="grey", linestyle=":", linewidth=1)
            ax.text(load_end, ax.get_ylim()[1], " load ends", va="top", fontsize=8, color="grey")
        if name == "latency":
            ax.set_yscale("log")
        ax.set_xlabel("minutes")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{title}: {ylabel}", fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        path = prefix.with_name(f"{prefix.name}-{name}.png")
        fig.savefig(path)
        plt.close(fig)
        written.append(path.name)
    return written


def machine() -> dict[str, Any]:
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
    }


async def server(db: asyncpg.Pool) -> dict[str, Any]:
    """Which PostgreSQL the soak ran on (the shared one, or one of its own), and its size."""
    row = await db.fetchrow(
        "SELECT inet_server_port() AS port, current_setting('server_version') AS version, "
        "current_setting('max_connections')::int AS max_connections"
    )
    assert row is not None
    return dict(row)
