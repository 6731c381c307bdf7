"""The reliability scenarios' machinery: the whole marketplace as real processes, customers
ordering through the gateway, and the oracle that says whether anything was lost, sold twice,
charged twice or applied twice.

    Stack     makers, media, notifications and the gateway as one process each; catalogue and
              orders split into their api, worker and relay roles, so one role can be killed, replaced by a
              process that kills itself at a fault point, or restarted on its own
    Shop      makers onboarded and listings published through the gateway (as the storefront
              does), customers with tokens
    Load      tens of customers at once, each with its own client address, placing orders of
              1-3 lines from several makers; every POST carries an Idempotency-Key and is
              retried with the same key and body through faults (5xx, resets, timeouts, 409
              in flight, 429), as a well-behaved client would
    Oracle    reads the truth from every schema (superuser) once the marketplace has settled
              and checks the invariants (oracle.py); its figures go to the scenario's report

The oracle (`settled`, `Verdict`, `oracle`) lives in tests/reliability/oracle.py, with its
invariants; it is imported from here too.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import asyncpg

# The oracle's names the scenarios import from here (re-exported).
from tests.reliability.oracle import SETTLE_POLL_S
from tests.reliability.oracle import Verdict as Verdict
from tests.reliability.oracle import oracle as oracle
from tests.reliability.oracle import settled as settled
from tests.support.harness import ROOT, ServiceProcess, eventually
from tests.support.photos import photos_of, ready_photo

FULL = os.environ.get("RELIABILITY_FULL", "").lower() in ("1", "true", "yes")
RESULTS_DIR = Path(os.environ.get("RELIABILITY_RESULTS", ROOT / "test-artifacts" / "reliability"))

SPLIT = ("catalogue", "orders")
PASSING_CHECKS = {"finish_inspected": True, "hallmark_verified": True, "stones_secure": True}
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "1 Hatton Garden",
    "city": "London",
    "postcode": "EC1N 8AA",
    "country": "GB",
}


@dataclass(frozen=True)
class Profile:
    """How hard a scenario pushes: QUICK in `make test`, FULL in `make reliability`."""

    customers: int
    orders_per_customer: int
    makers: int
    listings_per_maker: int
    settle_s: float
    think_s: tuple[float, float]

    @property
    def orders(self) -> int:
        return self.customers * self.orders_per_customer


# Each customer keeps ordering (a think time apart) until the scenario's faults are over, and
# places at least `orders_per_customer`.
QUICK_PROFILE = Profile(
    customers=20, orders_per_customer=2, makers=3, listings_per_maker=4, settle_s=90, think_s=(1.0, 2.0)
)
FULL_PROFILE = Profile(
    customers=40, orders_per_customer=6, makers=5, listings_per_maker=4, settle_s=240, think_s=(1.0, 2.0)
)
PROFILE = FULL_PROFILE if FULL else QUICK_PROFILE


# --- the processes -------------------------------------------------------------------------------


class Stack:
    """The marketplace's processes; each addressed as "makers", "gateway" or "<service>.<role>".
    `split` names the services (of catalogue, orders, media, notifications) run as one process
    per role; the others run every role in one. `live`: the stacks started and not yet closed
    (they share the run's database and queues, so a module with a stack of its own pauses them)."""

    live: ClassVar[set[Stack]] = set()

    def __init__(
        self, env: dict[str, str], workdir: Path, split: tuple[str, ...] = SPLIT, **extra_env: str
    ) -> None:
        self.env = env
        self.split = split
        self.workdir = workdir
        self.extra_env = extra_env
        self.procs: dict[str, ServiceProcess] = {}
        self.retired: list[ServiceProcess] = []

    def _process(self, key: str, **env: str) -> ServiceProcess:
        service, _, role = key.partition(".")
        name = f"{service}-{role or 'all'}"
        return ServiceProcess(
            [f"services.{service}", "--role", role or "all"],
            f"{service.upper()}_PORT",
            self.env,
            self.workdir,
            name,
            {**self.extra_env, **env},
        )

    def start_all(self, ready_s: float = 60) -> None:
        keys = ["makers"] + [
            f"{s}.{role}" if s in self.split else s
            for s in ("catalogue", "orders", "media", "notifications", "reviews")
            for role in (("api", "worker", "relay") if s in self.split else ("all",))
        ]
        media_env = {"MEDIA_STORAGE_DIR": str(self.workdir / "media-storage")}
        started = [
            self.start(key, wait=False, **(media_env if key.startswith("media") else {})) for key in keys
        ]
        for proc in started:
            proc.wait_ready(ready_s)
        self.procs["gateway"] = self.gateway()
        Stack.live.add(self)

    def gateway(self, **urls: str) -> ServiceProcess:
        """A gateway in front of the stack's APIs (or the given URLs), trusting one proxy hop
        so each simulated client is an address of its own."""
        env = {
            "GATEWAY_MAKERS_URL": urls.get("makers", self.procs["makers"].url),
            "GATEWAY_CATALOGUE_URL": urls.get("catalogue", self.api("catalogue").url),
            "GATEWAY_ORDERS_URL": urls.get("orders", self.api("orders").url),
            "GATEWAY_MEDIA_URL": urls.get("media", self.api("media").url),
            "GATEWAY_NOTIFICATIONS_URL": urls.get("notifications", self.api("notifications").url),
            "GATEWAY_REVIEWS_URL": urls.get("reviews", self.api("reviews").url),
            "GATEWAY_TRUSTED_PROXY_HOPS": "1",
            **{k: v for k, v in urls.items() if k.startswith("GATEWAY_")},
        }
        proc = self._process("gateway", **env)
        proc.start(wait=False)
        proc.wait_ready(60)
        if "gateway" in self.procs:
            self.retired.append(proc)  # an extra gateway: stopped with the rest at the end
        return proc

    def api(self, service: str) -> ServiceProcess:
        return self.procs[f"{service}.api" if service in self.split else service]

    def start(self, key: str, wait: bool = True, **env: str) -> ServiceProcess:
        proc = self._process(key, **env)
        proc.start(wait=False)
        if key in self.procs:
            self.retired.append(self.procs[key])
        self.procs[key] = proc
        if wait:
            proc.wait_ready(60)
        return proc

    def stop(self, key: str) -> None:
        self.procs[key].stop()

    def url(self, key: str = "gateway") -> str:
        return self.procs[key].url

    def dead(self) -> list[str]:
        return [
            key for key, proc in self.procs.items() if proc.proc is not None and proc.proc.poll() is not None
        ]

    def close(self) -> None:
        Stack.live.discard(self)
        for proc in [*self.procs.values(), *self.retired]:
            proc.stop()


@contextmanager
def running(stack: Stack) -> Iterator[Stack]:
    """`stack` with every process started, all stopped on leaving (also when one fails to start)."""
    try:
        stack.start_all()
        yield stack
    finally:
        stack.close()


# --- a client that behaves well under faults -------------------------------------------------------


@dataclass
class Traffic:
    requests: int = 0
    retries: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None

        return {
            "requests": self.requests,
            "retries": self.retries,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors),
            "http_5xx": sum(v for k, v in self.statuses.items() if k >= 500),
            "p50_ms": pct(0.5),
            "p95_ms": pct(0.95),
            "max_ms": round(lat[-1], 1) if lat else None,
        }


class Client:
    """One simulated client address. `call` never raises for HTTP statuses; `retrying` repeats
    a request (same body, same headers, so the same Idempotency-Key) through faults."""

    _addresses = itertools.count(1)

    def __init__(self, session: aiohttp.ClientSession, base: str, traffic: Traffic) -> None:
        self.session = session
        self.base = base
        self.traffic = traffic
        n = next(self._addresses)
        self.address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        timeout_s: float = 30,
    ) -> tuple[int, Any]:
        headers = {"X-Forwarded-For": self.address, **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        self.traffic.requests += 1
        try:
            async with self.session.request(
                method,
                self.base + path,
                json=json_body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as r:
                raw = await r.read()
                body = json.loads(raw) if raw else None
                status = r.status
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            self.traffic.errors[type(exc).__name__] += 1
            return 0, None
        self.traffic.statuses[status] += 1
        self.traffic.latencies_ms.append((time.perf_counter() - started) * 1000)
        return status, body

    async def retrying(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        deadline_s: float = 60,
        retry_on: Callable[[int, Any], bool] | None = None,
    ) -> tuple[int, Any]:
        deadline = time.monotonic() + deadline_s
        delay = 0.2
        while True:
            status, body = await self.call(method, path, token, json_body=json_body, headers=headers)
            transient = (
                status == 0
                or status >= 500
                or status == 429
                or (
                    status == 409
                    and isinstance(body, dict)
                    and body.get("code") == "idempotency_request_in_flight"
                )
                or (retry_on is not None and retry_on(status, body))
            )
            if not transient or time.monotonic() > deadline:
                return status, body
            self.traffic.retries += 1
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 2.0)


# --- makers, listings, customers -----------------------------------------------------------------


def maker_profile() -> dict[str, Any]:
    handle = f"rel-{uuid.uuid4().hex[:12]}"
    return {
        "handle": handle,
        "display_name": f"Workshop {handle[-4:]}",
        "legal_name": "A Maker",
        "business_type": "individual",
        "bio": "Rings forged in Sheffield.",
        "location": {"country": "GB", "region": "South Yorkshire"},
        "techniques": ["forging"],
        "portfolio_urls": ["https://example.com/portfolio"],
        "sourcing_claims": [{"scheme": "recycled", "scope": "metal"}],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "works_precious_metals": True,
        "natural_diamonds": False,
        "system_of_warranties_attested": False,
        "accepts_commissions": True,
        "terms_accepted": True,
    }


def piece(production: dict[str, Any], price: int = 12500, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "Sterling silver band",
        "description": "Forged and hand finished in recycled sterling silver.",
        "category": "ring",
        "price": {"amount": price, "currency": "GBP"},
        "production": production,
        "metals": [{"metal": "silver", "fineness": 925, "weight_g": 9.5, "recycled": True}],
        "hallmark": {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "sheffield"},
        "options": {"ring_size_mm": {"min": 48, "max": 60}},
        **overrides,
    }


@dataclass
class Maker:
    id: str
    user_id: uuid.UUID
    token: str
    photo_id: str  # a ready photo of theirs, uploaded through the gateway
    listings: list[dict[str, Any]] = field(default_factory=list)


class Shop:
    """Actors on a running stack, everything through the gateway."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        gateway_url: str,
        db: asyncpg.Connection,
        mint: Callable[..., str],
        traffic: Traffic | None = None,
    ) -> None:
        self.session = session
        self.gateway_url = gateway_url
        self.db = db
        self.mint = mint
        self.traffic = traffic or Traffic()
        self.admin = Client(session, gateway_url, self.traffic)
        self.operator_token = mint("operator", uuid.uuid4())
        # Told of every new maker's and customer's user (id, role) before they act: a scenario
        # whose emails it checks gives each an address this way.
        self.enrol: Callable[[uuid.UUID, str], Awaitable[None]] | None = None

    async def ok(
        self, method: str, path: str, token: str | None, body: Any = None, status: int = 200, **kw: Any
    ) -> Any:
        got, answer = await self.admin.retrying(method, path, token, json_body=body, **kw)
        assert got == status, (method, path, got, answer)
        return answer

    async def maker(self) -> Maker:
        """A maker approved by an operator, known to catalogue and orders, with a photo uploaded
        through the gateway and made ready by media."""
        user_id = uuid.uuid4()
        token = self.mint("maker", user_id)
        if self.enrol is not None:
            await self.enrol(user_id, "maker")
        record = await self.ok("POST", "/api/v1/makers", token, maker_profile(), status=201)
        await self.ok("POST", f"/api/v1/makers/{record['id']}/submit", token)
        await self.ok(
            "POST",
            f"/api/v1/makers/{record['id']}/review",
            self.operator_token,
            {"decision": "approve", "note": None},
        )
        address = {"X-Forwarded-For": Client(self.session, self.gateway_url, self.traffic).address}
        photo_id = await ready_photo(self.session, self.gateway_url, token, address, db=self.db)
        return Maker(record["id"], user_id, token, photo_id)

    async def listing(self, maker: Maker, body: dict[str, Any]) -> dict[str, Any]:
        """Created with the maker's photo (once catalogue knows the maker is approved) and
        published; visible to orders."""
        draft = await self.ok(
            "POST",
            "/api/v1/listings",
            maker.token,
            {"photos": photos_of(maker.photo_id), **body},
            status=201,
            retry_on=lambda status, _: status == 403,
            deadline_s=60,
        )
        listing = await self.ok("POST", f"/api/v1/listings/{draft['id']}/publish", maker.token)
        await eventually(
            lambda: self.db.fetchval(
                "SELECT (snapshot->>'visible')::boolean FROM orders.listings WHERE listing_id = $1",
                uuid.UUID(listing["id"]),
            ),
            timeout_s=60,
            message="orders knows the listing",
        )
        maker.listings.append(listing)
        return listing

    async def catalogue(self, profile: Profile) -> list[Maker]:
        """Makers with a mix of pieces: short runs (contention), one-offs, made to order."""
        makers = await asyncio.gather(*(self.maker() for _ in range(profile.makers)))
        kinds = itertools.cycle(
            [
                ({"kind": "ready_to_ship", "stock": 15}, 12500),
                ({"kind": "one_of_a_kind"}, 45000),
                ({"kind": "ready_to_ship", "stock": 30}, 8900),
                ({"kind": "made_to_order", "lead_time_days": {"min": 10, "max": 20}}, 30000),
            ]
        )
        jobs = []
        for maker in makers:
            for _ in range(profile.listings_per_maker):
                production, price = next(kinds)
                jobs.append(self.listing(maker, piece(production, price)))
        await asyncio.gather(*jobs)
        return list(makers)


# --- the load ------------------------------------------------------------------------------------


@dataclass
class Attempt:
    customer_id: uuid.UUID
    key: str
    status: int
    order_id: str | None
    code: str | None
    seconds: float


@dataclass
class Load:
    """Customers placing orders concurrently; what each was answered."""

    shop: Shop
    makers: list[Maker]
    profile: Profile
    gateway_url: str | None = None
    seed: int = 7
    attempts: list[Attempt] = field(default_factory=list)
    customers: dict[uuid.UUID, str] = field(default_factory=dict)
    traffic: Traffic = field(default_factory=Traffic)
    started: float = 0.0
    finished: float = 0.0

    @property
    def placed(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == 201]

    def order_ids(self) -> list[uuid.UUID]:
        return [uuid.UUID(a.order_id) for a in self.placed if a.order_id]

    async def run(self, until: asyncio.Event | None = None) -> None:
        """Every customer at once; each stops once `until` is set (at once when None) and it
        has placed its share."""
        rng = random.Random(self.seed)
        listings = [listing for maker in self.makers for listing in maker.listings]
        self.started = time.monotonic()
        done = until or asyncio.Event()
        if until is None:
            done.set()
        await asyncio.gather(
            *(self._customer(rng.random(), listings, done) for _ in range(self.profile.customers))
        )
        self.finished = time.monotonic()

    async def _customer(self, seed: float, listings: list[dict[str, Any]], until: asyncio.Event) -> None:
        rng = random.Random(seed)
        user_id = uuid.uuid4()
        token = self.shop.mint("customer", user_id)
        self.customers[user_id] = token
        if self.shop.enrol is not None:
            await self.shop.enrol(user_id, "customer")
        client = Client(self.shop.session, self.gateway_url or self.shop.gateway_url, self.traffic)
        placed = 0
        while placed < self.profile.orders_per_customer or not until.is_set():
            placed += 1
            await asyncio.sleep(rng.uniform(*self.profile.think_s))
            chosen = rng.sample(listings, k=rng.choice((1, 1, 2, 3)))
            payment = rng.choices(("tok_visa", "tok_declined", "tok_error"), (8, 1, 1))[0]
            body = {
                "lines": [
                    {
                        "listing_id": listing["id"],
                        "quantity": 1
                        if listing["production"]["kind"] == "one_of_a_kind"
                        else rng.choice((1, 1, 2)),
                        "options": {"ring_size_mm": rng.choice((50, 52, 54.5))},
                    }
                    for listing in chosen
                ],
                "shipping_address": ADDRESS,
                "payment": {"token": payment},
            }
            key = f"rel-{uuid.uuid4()}"
            started = time.monotonic()
            status, answer = await client.retrying(
                "POST",
                "/api/v1/orders",
                token,
                json_body=body,
                headers={"Idempotency-Key": key},
                deadline_s=90,
            )
            code = None
            if status >= 400 and isinstance(answer, dict):
                errors = answer.get("errors") or [{}]
                code = errors[0].get("code") or answer.get("code")
            self.attempts.append(
                Attempt(
                    user_id,
                    key,
                    status,
                    answer.get("id") if status == 201 else None,
                    code,
                    time.monotonic() - started,
                )
            )


# --- after the load: cancel some, fulfil some ----------------------------------------------------


@dataclass
class Aftercare:
    cancelled: int = 0
    delivered: int = 0
    declined: int = 0
    refused: Counter = field(default_factory=Counter)


async def aftercare(
    shop: Shop, load: Load, makers: list[Maker], share: float = 0.5, seed: int = 11
) -> Aftercare:
    """On a share of the confirmed orders: the customer cancels one in five; makers decline
    one in five of the rest, and fulfil the others to delivery (payouts)."""
    rng = random.Random(seed)
    done = Aftercare()
    clients: dict[str, Client] = {}

    def client_of(token: str) -> Client:
        """Each actor calls from an address of their own (the gateway limits per address)."""
        if token not in clients:
            clients[token] = Client(shop.session, load.gateway_url or shop.gateway_url, load.traffic)
        return clients[token]

    tokens = {uuid.UUID(m.id): m.token for m in makers}
    confirmed = await shop.db.fetch(
        "SELECT id, customer_id FROM orders.orders WHERE id = ANY($1) AND status = 'confirmed'",
        load.order_ids(),
    )
    chosen = rng.sample(list(confirmed), k=int(len(confirmed) * share))

    async def one(row: asyncpg.Record, what: str) -> None:
        token = load.customers[row["customer_id"]]
        if what == "cancel":
            status, body = await client_of(token).retrying(
                "POST", f"/api/v1/orders/{row['id']}/cancel", token
            )
            done.cancelled += status == 200
            if status != 200:
                done.refused[f"cancel {status}"] += 1
            return
        status, order = await client_of(token).retrying("GET", f"/api/v1/orders/{row['id']}", token)
        assert status == 200, (status, order)
        for part in order["maker_orders"]:
            maker = tokens[uuid.UUID(part["maker_id"])]
            path = f"/api/v1/maker-orders/{part['id']}"
            if what == "decline":
                status, _ = await client_of(maker).retrying(
                    "POST", f"{path}/decline", maker, json_body={"reason": "Out of silver"}
                )
                done.declined += status == 200
                continue
            steps = [
                ("accept", maker, None),
                (
                    "quality-check",
                    maker,
                    # The ring measured as ordered: 0.5 mm away is a ring_size_mismatch.
                    {
                        "passed": True,
                        "checks": {
                            **PASSING_CHECKS,
                            "measured_ring_size_mm": part["lines"][0]["options"]["ring_size_mm"],
                        },
                    },
                ),
                ("dispatch", maker, {"carrier": "Royal Mail", "tracking_number": "RM1"}),
                ("deliver", shop.operator_token, None),
            ]
            for step, token_, body in steps:
                status, _answer = await client_of(token_).retrying(
                    "POST", f"{path}/{step}", token_, json_body=body
                )
                if status != 200:
                    done.refused[f"{step} {status}"] += 1
                    break
            else:
                done.delivered += 1

    jobs = []
    for i, row in enumerate(chosen):
        jobs.append(one(row, "cancel" if i % 5 == 0 else "decline" if i % 5 == 1 else "fulfil"))
    # A few at a time: makers work through their queue, not all at once.
    semaphore = asyncio.Semaphore(8)

    async def bounded(job: Any) -> None:
        async with semaphore:
            await job

    await asyncio.gather(*(bounded(job) for job in jobs))
    return done


# --- the report ----------------------------------------------------------------------------------


def _percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/max of a checkout's whole time (its retries included), in seconds."""
    ordered = sorted(values)
    if not ordered:
        return {"p50": None, "p95": None, "max": None}

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3)

    return {"p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 3)}


def write_result(
    name: str,
    title: str,
    profile: Profile,
    faults: list[str],
    load: Load,
    verdict: Verdict,
    extra: dict[str, Any],
) -> dict[str, Any]:
    result = {
        "scenario": name,
        "title": title,
        "mode": "full" if FULL else "quick",
        "profile": asdict(profile),
        "faults": faults,
        "load_seconds": round(load.finished - load.started, 1),
        "traffic": load.traffic.summary(),
        "checkout_seconds": _percentiles([a.seconds for a in load.attempts]),
        # `settle_seconds` is seen by polling: at most this much after the settlement itself.
        "settle_poll_floor_seconds": SETTLE_POLL_S,
        **verdict.figures,
        **extra,
        "violations": verdict.violations,
        "result": "pass" if not verdict.violations else "FAIL",
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
    return result
