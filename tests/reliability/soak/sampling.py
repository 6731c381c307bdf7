"""The soak's samples: every SAMPLE_S seconds, each process's resident memory, the latency
percentiles of each kind of request in the interval, every queue of the run's namespace, each
service's outbox and the PostgreSQL connections each service holds."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from tests.reliability.marketplace import Stack
from tests.reliability.soak.load import KINDS, Recorder, percentile

SAMPLE_S = float(os.environ.get("SOAK_SAMPLE_S", "10"))


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def queue_depths(namespace: str) -> dict[str, int]:
    """Messages (ready + unacknowledged) in each queue of the namespace (rabbitmqctl)."""
    proc = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "list_queues",
        "-q",
        "--no-table-headers",
        "name",
        "messages",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    depths = {}
    for line in out.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith(namespace + ".") and parts[1].isdigit():
            depths[parts[0][len(namespace) + 1 :]] = int(parts[1])
    return depths


async def outboxes(db: asyncpg.Pool, schemas: list[str]) -> dict[str, dict[str, float]]:
    answer = {}
    for schema in schemas:
        row = await db.fetchrow(
            f"SELECT count(*) AS unsent, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS lag "
            f"FROM {schema}.outbox WHERE sent_at IS NULL"
        )
        assert row is not None
        answer[schema] = {"unsent": row["unsent"], "lag_s": round(float(row["lag"]), 2)}
    return answer


async def pg_connections(db: asyncpg.Pool, namespace: str) -> dict[str, int]:
    """Connections each service holds (application_name is namespace.service.role)."""
    rows = await db.fetch(
        "SELECT split_part(application_name, '.', 2) AS service, count(*) AS n FROM pg_stat_activity "
        "WHERE application_name LIKE $1 GROUP BY 1",
        namespace + ".%",
    )
    return {r["service"]: r["n"] for r in rows}


class Sampler:
    def __init__(self, stack: Stack, db: asyncpg.Pool, namespace: str, recorder: Recorder) -> None:
        self.stack = stack
        self.db = db
        self.namespace = namespace
        self.recorder = recorder
        self.samples: list[dict[str, Any]] = []
        self.started = time.monotonic()
        self.schemas: list[str] = []

    async def open(self) -> None:
        self.schemas = [
            r["table_schema"]
            for r in await self.db.fetch(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox' ORDER BY 1"
            )
        ]
        self.started = time.monotonic()

    async def sample(self, phase: str) -> dict[str, Any]:
        interval = self.recorder.take()
        rss = {}
        for key, proc in self.stack.procs.items():
            if proc.proc is not None and proc.proc.poll() is None:
                rss[key] = rss_mib(proc.proc.pid)
        rss["load (the soak itself)"] = rss_mib(os.getpid())
        latency = {
            kind: {
                "count": len(interval.latencies_ms.get(kind, [])),
                "errors": interval.errors.get(kind, 0),
                "p50_ms": percentile(interval.latencies_ms.get(kind, []), 0.50),
                "p95_ms": percentile(interval.latencies_ms.get(kind, []), 0.95),
                "p99_ms": percentile(interval.latencies_ms.get(kind, []), 0.99),
            }
            for kind in KINDS
        }
        queues, outbox, conns = await asyncio.gather(
            queue_depths(self.namespace),
            outboxes(self.db, self.schemas),
            pg_connections(self.db, self.namespace),
        )
        sample = {
            "t_s": round(time.monotonic() - self.started, 1),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "phase": phase,
            # The machine's load average (1 min): latency on a shared machine is read beside it.
            "loadavg_1m": round(os.getloadavg()[0], 2),
            "rss_mib": rss,
            "latency": latency,
            "queues": queues,
            "outbox": outbox,
            "pg_connections": conns,
        }
        self.samples.append(sample)
        return sample
