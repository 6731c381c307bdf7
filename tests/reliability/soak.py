"""The soak: the whole marketplace under steady mixed load for a long while, sampled every 10 s,
and a verdict on whether anything grew without bound.

    make soak                       30 minutes (SOAK_MINUTES=N for another length)
    make reliability                a 3-minute soak among the reliability checks

The load, all through the gateway, at a steady rate (each actor waits a think time between
requests, so the rate does not depend on how fast the marketplace answers):

    browse      visitors open listings and the newest and cheapest pages
    search      visitors search in words and ask for completions
    checkout    customers order 1-2 pieces (stock that never runs out, made to order), one in ten
                paying with a card the provider declines
    fulfil      makers accept, check, dispatch; operators mark delivered (most confirmed orders)
    return      customers return a delivered piece as faulty, makers receive it (refunded)

Every SAMPLE_S seconds a sample records: each process's resident memory (RSS, MiB), the
latency percentiles of each kind of request in the interval (and its errors), every queue of
the run's namespace (messages ready and unacknowledged), each service's outbox (unsent rows,
the age of the oldest), and the PostgreSQL connections each service holds. When the load ends,
the marketplace gets DRAIN_S seconds to finish its work; a last sample is taken then.

The verdict compares the last third of the run with the middle third (the first third is the
warm-up: pools fill, caches load, the allocator finds its size), series by series, against
the thresholds in THRESHOLDS, and checks that nothing is left behind at the end: every queue
empty but the parking queues, and these no fuller than before the load; every outbox sent.

The samples go to docs/reliability/soak-<N>min.json and .csv, the charts to
docs/reliability/soak-<N>min-<what>.png (matplotlib, a dev dependency).
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import platform
import random
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from ops.provenance import git_commit
from tests.reliability.marketplace import ADDRESS, PASSING_CHECKS, Client, Maker, Shop, Stack, Traffic, piece
from tests.support.harness import ROOT

SOAK_MINUTES = float(os.environ.get("SOAK_MINUTES", "3"))
SAMPLE_S = float(os.environ.get("SOAK_SAMPLE_S", "10"))
DRAIN_S = 120.0
OUT_DIR = Path(os.environ.get("SOAK_OUT", ROOT / "docs" / "reliability"))
KINDS = ("browse", "search", "checkout", "fulfil", "return")
RING_MM = 52
TOKEN_RENEW_S = 300.0
SEARCHES = ("silver", "sterling band", "forged ring", "recycled silver", "hand finished", "gold")
SUGGEST = ("sil", "ster", "for", "ban")

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
# Requests answered 5xx or not at all, of all requests: at most this share.
MAX_ERROR_SHARE = 0.01


@dataclass(frozen=True)
class Rates:
    """How many actors of each kind, and the think time each waits between requests (s)."""

    browsers: int = 3
    searchers: int = 2
    customers: int = 3
    fulfillers: int = 2
    think_s: tuple[float, float] = (0.5, 1.5)
    order_think_s: tuple[float, float] = (3.0, 5.0)
    fulfil_share: float = 0.8  # of the confirmed orders, fulfilled to delivery
    return_share: float = 0.3  # of the delivered ones, one piece returned


# --- recording ------------------------------------------------------------------------------------


@dataclass
class Interval:
    """What the load saw since the last sample."""

    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)


class Recorder:
    def __init__(self) -> None:
        self.interval = Interval()
        self.totals: dict[str, dict[str, int]] = {k: {"requests": 0, "errors": 0} for k in KINDS}
        self.statuses: dict[str, int] = defaultdict(int)

    def record(self, kind: str, ms: float, status: int) -> None:
        self.totals[kind]["requests"] += 1
        self.statuses[str(status)] += 1
        # A 401 or 403 is the load itself broken (a token expired, an actor not allowed): as
        # much a failure as a 5xx, never a latency.
        if status == 0 or status >= 500 or status in (401, 403):
            self.totals[kind]["errors"] += 1
            self.interval.errors[kind] += 1
        else:
            self.interval.latencies_ms[kind].append(ms)

    def take(self) -> Interval:
        interval, self.interval = self.interval, Interval()
        return interval


class Soaker:
    """The load's actors, on one shop."""

    def __init__(self, shop: Shop, makers: list[Maker], rates: Rates, seed: int = 23) -> None:
        self.shop = shop
        self.makers = makers
        self.rates = rates
        self.rng = random.Random(seed)
        self.recorder = Recorder()
        self.traffic = Traffic()
        self.stop = asyncio.Event()
        self.placed: asyncio.Queue[tuple[str, uuid.UUID, float]] = asyncio.Queue()
        self.delivered: asyncio.Queue[tuple[str, uuid.UUID, dict[str, Any]]] = asyncio.Queue()
        self.listings = [listing for maker in makers for listing in maker.listings]
        self.maker_users = {m.id: m.user_id for m in makers}
        self.operator = uuid.uuid4()
        self.tokens: dict[tuple[str, uuid.UUID], tuple[str, float]] = {}
        self.outcomes: dict[str, int] = defaultdict(int)

    def token(self, role: str, user_id: uuid.UUID) -> str:
        """A token for the actor, renewed every TOKEN_RENEW_S as the storefront renews its
        own (an access token lives 15 minutes)."""
        key = (role, user_id)
        minted = self.tokens.get(key)
        if minted is None or time.monotonic() - minted[1] > TOKEN_RENEW_S:
            minted = (self.shop.mint(role, user_id), time.monotonic())
            self.tokens[key] = minted
        return minted[0]

    def client(self) -> Client:
        return Client(self.shop.session, self.shop.gateway_url, self.traffic)

    async def timed(
        self,
        kind: str,
        client: Client,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One request as a client sees it: retried through 5xx, 429 and resets with the same
        body and headers, its latency the whole of it."""
        started = time.perf_counter()
        status, answer = await client.retrying(
            method, path, token, json_body=body, headers=headers, deadline_s=30
        )
        self.recorder.record(kind, (time.perf_counter() - started) * 1000, status)
        return status, answer

    async def pause(self, bounds: tuple[float, float]) -> bool:
        """Think for a while; False once the load is over."""
        try:
            await asyncio.wait_for(self.stop.wait(), self.rng.uniform(*bounds))
        except TimeoutError:
            return True
        return False

    async def browser(self) -> None:
        client = self.client()
        while await self.pause(self.rates.think_s):
            choice = self.rng.random()
            if choice < 0.6:
                listing = self.rng.choice(self.listings)
                await self.timed("browse", client, "GET", f"/api/v1/listings/{listing['id']}")
            elif choice < 0.8:
                await self.timed("browse", client, "GET", "/api/v1/listings?sort=newest&limit=20")
            else:
                await self.timed(
                    "browse", client, "GET", "/api/v1/listings?category=ring&sort=price_asc&limit=20"
                )

    async def searcher(self) -> None:
        client = self.client()
        while await self.pause(self.rates.think_s):
            if self.rng.random() < 0.75:
                q = self.rng.choice(SEARCHES)
                await self.timed("search", client, "GET", f"/api/v1/listings?q={q}&limit=20")
            else:
                q = self.rng.choice(SUGGEST)
                await self.timed("search", client, "GET", f"/api/v1/listings/suggest?q={q}")

    async def customer(self) -> None:
        client = self.client()
        user_id = uuid.uuid4()
        while await self.pause(self.rates.order_think_s):
            token = self.token("customer", user_id)
            chosen = self.rng.sample(self.listings, k=self.rng.choice((1, 1, 2)))
            body = {
                "lines": [
                    {"listing_id": listing["id"], "quantity": 1, "options": {"ring_size_mm": RING_MM}}
                    for listing in chosen
                ],
                "shipping_address": ADDRESS,
                "payment": {"token": "tok_declined" if self.rng.random() < 0.1 else "tok_visa"},
            }
            status, answer = await self.timed(
                "checkout",
                client,
                "POST",
                "/api/v1/orders",
                token,
                body,
                {"Idempotency-Key": f"soak-{uuid.uuid4()}"},
            )
            self.outcomes[f"checkout {status}"] += 1
            if status == 201:
                self.placed.put_nowait((answer["id"], user_id, time.monotonic()))

    async def fulfiller(self) -> None:
        """Takes placed orders a few seconds old; fulfils most confirmed ones to delivery."""
        client = self.client()
        while not self.stop.is_set():
            try:
                order_id, customer, placed_at = await asyncio.wait_for(self.placed.get(), 1.0)
            except TimeoutError:
                continue
            wait = placed_at + 2.0 - time.monotonic()
            if wait > 0 and not await self.pause((wait, wait)):
                return
            token = self.token("customer", customer)
            status, order = await self.timed("fulfil", client, "GET", f"/api/v1/orders/{order_id}", token)
            if status != 200:
                self.outcomes[f"order read {status}"] += 1
                continue
            if order["status"] == "pending":
                if time.monotonic() - placed_at < 120:
                    self.placed.put_nowait((order_id, customer, placed_at))
                else:
                    self.outcomes["pending after 120 s"] += 1
                continue
            self.outcomes[f"order {order['status']}"] += 1
            if order["status"] != "confirmed" or self.rng.random() >= self.rates.fulfil_share:
                continue
            for part in order["maker_orders"]:
                maker = self.token("maker", self.maker_users[part["maker_id"]])
                operator = self.token("operator", self.operator)
                path = f"/api/v1/maker-orders/{part['id']}"
                steps = [
                    ("accept", maker, None),
                    (
                        "quality-check",
                        maker,
                        {"passed": True, "checks": {**PASSING_CHECKS, "measured_ring_size_mm": RING_MM}},
                    ),
                    ("dispatch", maker, {"carrier": "Royal Mail", "tracking_number": "RM1"}),
                    ("deliver", operator, None),
                ]
                for step, who, body in steps:
                    status, _ = await self.timed("fulfil", client, "POST", f"{path}/{step}", who, body)
                    if status != 200:
                        self.outcomes[f"{step} {status}"] += 1
                        break
                else:
                    self.outcomes["maker orders delivered"] += 1
                    if self.rng.random() < self.rates.return_share:
                        self.delivered.put_nowait((order_id, customer, part))

    async def returner(self) -> None:
        """Returns one piece of a delivered parcel as faulty; its maker receives it (refund)."""
        client = self.client()
        while not self.stop.is_set():
            try:
                order_id, customer, part = await asyncio.wait_for(self.delivered.get(), 1.0)
            except TimeoutError:
                continue
            body = {"lines": [{"line_id": part["lines"][0]["id"], "quantity": 1}], "reason": "faulty"}
            token = self.token("customer", customer)
            status, answer = await self.timed(
                "return", client, "POST", f"/api/v1/orders/{order_id}/returns", token, body
            )
            if status != 201:
                self.outcomes[f"return {status}"] += 1
                continue
            maker = self.token("maker", self.maker_users[part["maker_id"]])
            status, _ = await self.timed(
                "return", client, "POST", f"/api/v1/returns/{answer['id']}/receive", maker
            )
            self.outcomes["returns refunded" if status == 200 else f"receive {status}"] += 1

    async def run(self) -> list[asyncio.Task[None]]:
        r = self.rates
        actors = (
            [self.browser() for _ in range(r.browsers)]
            + [self.searcher() for _ in range(r.searchers)]
            + [self.customer() for _ in range(r.customers)]
            + [self.fulfiller() for _ in range(r.fulfillers)]
            + [self.returner()]
        )
        return [asyncio.ensure_future(actor) for actor in actors]


async def soak_catalogue(shop: Shop, makers: int = 3) -> list[Maker]:
    """Makers with pieces that never run out in a soak: deep stock and made to order."""
    onboarded = await asyncio.gather(*(shop.maker() for _ in range(makers)))
    jobs = []
    for maker in onboarded:
        jobs += [
            shop.listing(maker, piece({"kind": "ready_to_ship", "stock": 100_000}, 12500)),
            shop.listing(maker, piece({"kind": "ready_to_ship", "stock": 100_000}, 8900)),
            shop.listing(
                maker, piece({"kind": "made_to_order", "lead_time_days": {"min": 10, "max": 20}}, 30000)
            ),
        ]
    await asyncio.gather(*jobs)
    return list(onboarded)


# --- sampling -------------------------------------------------------------------------------------


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


# --- the verdict ----------------------------------------------------------------------------------


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


def verdict(samples: list[dict[str, Any]], totals: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Last third against middle third per series; the end drained; errors rare."""
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
        "requests": requests,
        "errors": errors,
        "leftover_queues": leftover,
        "newly_parked": newly_parked,
        "unsent_at_end": unsent,
    }


# --- output ---------------------------------------------------------------------------------------


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


# --- the whole soak -------------------------------------------------------------------------------


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
        "max_error_share": MAX_ERROR_SHARE,
        "verdict": judged,
        "samples": sampler.samples,
    }
    summary["charts"] = charts(prefix, sampler.samples, f"{minutes:g}-minute soak at {commit}")
    prefix.with_name(prefix.name + ".json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    write_csv(prefix.with_name(prefix.name + ".csv"), sampler.samples)
    return summary
