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
              and checks the invariants; its figures go to the scenario's report

The oracle's invariants:
    orders      every order the client was told about exists; there is exactly one order per
                Idempotency-Key that succeeded (none duplicated); none is still pending after
                the settle bound; every state is a legal one
    stock       per listing: available + reserved + sold == stocked (none lost or created),
                nothing left reserved, sold == the units of the confirmed orders' lines that
                were not declined (none oversold), and the inventory ledger's deltas add up
                to the counters; no order moved a listing's stock twice for one reason
    payments    one authorisation and at most one capture per order (sandbox tables); per order,
                captured − refunded equals what the customer paid for what they kept (lines
                not cancelled, declined, refunded or returned; nothing for a cancelled order);
                an authorisation never captured is voided; refunds never exceed the capture,
                nor outnumber the order's own refunds; the order's payment says the same
    payouts     one earning per delivered maker order, equal to its gross, commission and net;
                none for any other; every line nets gross - commission; per maker, Σ paid
                payouts + available + pending = Σ ledger, and every payout is the sum of the
                entries it carried
    events      every event one service published that another consumes (for these orders)
                is in the consumer's inbox, every outbox row is sent, none is parked
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import asyncpg

from ops.services import definition
from shared.dlq import parked_messages
from tests.support.harness import ROOT, ServiceProcess, eventually
from tests.support.payouts import makers_not_adding_up
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

    def start_all(self) -> None:
        keys = ["makers"] + [
            f"{s}.{role}" if s in self.split else s
            for s in ("catalogue", "orders", "media", "notifications")
            for role in (("api", "worker", "relay") if s in self.split else ("all",))
        ]
        media_env = {"MEDIA_STORAGE_DIR": str(self.workdir / "media-storage")}
        started = [
            self.start(key, wait=False, **(media_env if key.startswith("media") else {})) for key in keys
        ]
        for proc in started:
            proc.wait_ready(60)
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


# --- settling and the oracle -----------------------------------------------------------------------


async def settled(db: asyncpg.Connection, order_ids: list[uuid.UUID], timeout_s: float) -> float:
    """Wait until the marketplace has settled for these orders; the seconds it took
    (AssertionError past the bound, naming what was still in flight).

    Settled: no order pending or owing compensation, no reservation of theirs held, every outbox
    drained, and every event about the orders, their makers and those makers' listings taken in
    by each service that consumes it (its inbox row commits with the handler's effects, and the
    outbox rows those effects wrote). One statement reads all of it from one snapshot, so nothing
    a consumer commits can fall between two reads: once it holds, no event is still on its way
    or waiting in a retry queue, and no handler has work left to do. An event parked for good is
    never taken in: the marketplace then does not settle, and the oracle names the event."""
    started = time.monotonic()
    query, bindings = _settled_query(_consumed_keys())
    left: dict[str, int] = {}

    async def quiet() -> bool:
        left.update(await db.fetchrow(query, order_ids, *bindings))
        return not any(left.values())

    try:
        await eventually(quiet, timeout_s=timeout_s, interval_s=0.25, message="the marketplace settles")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; still in flight: {left}") from None
    return time.monotonic() - started


def _settled_query(consumed: dict[str, set[str]]) -> tuple[str, list[list[str]]]:
    """The statement `settled` polls ($1: the order ids; then each consumer's routing keys) and
    its routing-key arguments: every count it answers is 0 once the marketplace has settled."""
    schemas = list(consumed)
    untaken = [
        f"(SELECT count(*) FROM {producer}.outbox o WHERE o.routing_key = ANY(${n}::text[]) "
        "AND (o.aggregate_id IN (SELECT id FROM scope) "
        "OR o.envelope->'data'->>'order_id' IN (SELECT id FROM scope)) "
        f"AND NOT EXISTS (SELECT 1 FROM {consumer}.inbox i WHERE i.event_id = o.event_id))"
        for n, consumer in enumerate(schemas, start=2)
        for producer in schemas
    ]
    unsent = [f"(SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL)" for schema in schemas]
    query = f"""
        WITH order_makers AS (SELECT maker_id FROM orders.maker_orders WHERE order_id = ANY($1::uuid[])),
        scope AS (
            SELECT unnest($1::uuid[])::text AS id
            UNION SELECT maker_id::text FROM order_makers
            UNION SELECT id::text FROM catalogue.listings
                WHERE maker_id IN (SELECT maker_id FROM order_makers)
        )
        SELECT
            (SELECT count(*) FROM orders.orders
             WHERE id = ANY($1::uuid[]) AND (status = 'pending' OR compensation_due)) AS orders_unsettled,
            (SELECT count(*) FROM catalogue.reservations
             WHERE order_id = ANY($1::uuid[]) AND status = 'held') AS reservations_held,
            {" + ".join(unsent)} AS events_unsent,
            {" + ".join(untaken)} AS events_not_taken_in
    """
    return query, [sorted(consumed[consumer]) for consumer in schemas]


@dataclass
class Verdict:
    figures: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.violations.append(what)

    def none_allowed(self, figure: str, count: int, what: str) -> None:
        """Record `count` as a figure; any at all is a violation, described by `what`."""
        self.figures[figure] = count
        if count:
            self.fail(what)


def _consumed_keys() -> dict[str, set[str]]:
    from aiohttp import web

    keys = {}
    for name in ("makers", "catalogue", "orders"):
        service = definition(name)
        keys[name] = {cls.routing_key() for cls in service.handlers(web.Application())}
    return keys


def _kept(order: asyncpg.Record, parts: list[dict[str, Any]], returned: Counter) -> int:
    """What the customer paid for what they kept: every line of a maker order neither
    cancelled, declined nor refunded whole after delivery, less the units returned (and
    refunded); nothing of a cancelled order."""
    if order["status"] == "cancelled":
        return 0
    paid = 0
    for mo in parts:
        if mo["status"] in ("cancelled", "declined") or mo.get("refunded_at"):
            continue
        for line in mo["lines"]:
            unit = line["line_total"]["amount"] // line["quantity"]
            paid += unit * (line["quantity"] - returned[line["id"]])
    return paid


async def oracle(
    db: asyncpg.Connection, load: Load, makers: list[Maker], service_settings: dict[str, Any] | None = None
) -> Verdict:
    verdict = Verdict()
    f = verdict.figures
    order_ids = load.order_ids()
    customers = list(load.customers)

    # --- orders: none lost, none duplicated, none left pending --------------------------------
    rows = await db.fetch(
        "SELECT id, customer_id, status, cancellation_reason, data "
        "FROM orders.orders WHERE customer_id = ANY($1)",
        customers,
    )
    orders = {row["id"]: row for row in rows}
    maker_orders = await db.fetch(
        "SELECT id, order_id, maker_id, status, data FROM orders.maker_orders WHERE order_id = ANY($1)",
        list(orders),
    )
    parts: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for mo in maker_orders:
        parts[mo["order_id"]].append({**mo["data"], "id": mo["id"], "status": mo["status"]})
    keys = await db.fetch(
        "SELECT user_id, key, body FROM orders.idempotency_keys WHERE user_id = ANY($1)", customers
    )
    key_orders = Counter(uuid.UUID(json.loads(bytes(k["body"]))["id"]) for k in keys)
    lost = [oid for oid in order_ids if oid not in orders]
    told = set(order_ids)
    duplicated = sum(n - 1 for n in key_orders.values() if n > 1) + sum(
        1 for oid in orders if oid not in key_orders
    )
    unacknowledged = [oid for oid in orders if oid not in told]
    f["orders_attempted"] = len(load.attempts)
    f["orders_placed"] = len(load.placed)
    f["refused_at_checkout"] = dict(Counter(a.code for a in load.attempts if a.status == 422))
    f["unanswered"] = sum(1 for a in load.attempts if a.status not in (201, 422))
    f["orders_lost"] = len(lost)
    f["orders_created_but_unacknowledged"] = len(unacknowledged)
    f["order_states"] = dict(
        Counter(
            f"{r['status']}" + (f":{r['cancellation_reason']}" if r["cancellation_reason"] else "")
            for r in orders.values()
        )
    )
    if lost:
        verdict.fail(f"{len(lost)} orders lost: {lost[:3]}")
    verdict.none_allowed("orders_duplicated", duplicated, f"{duplicated} orders duplicated")
    if f["unanswered"]:
        verdict.fail(f"{f['unanswered']} checkouts never answered (201 or 422) within the client's deadline")
    pending = [oid for oid, r in orders.items() if r["status"] == "pending"]
    if pending:
        verdict.fail(f"{len(pending)} orders still pending after the bound")
    for oid, r in orders.items():
        statuses = {mo["status"] for mo in parts[oid]}
        legal = {
            "confirmed": bool(statuses) and "cancelled" not in statuses,
            "completed": bool(statuses) and statuses <= {"delivered", "declined"},
            "cancelled": statuses <= {"cancelled", "declined"},
            "pending": not statuses,
        }[r["status"]]
        if not legal:
            verdict.fail(f"order {oid} is {r['status']} with maker orders {sorted(statuses)}")

    # --- stock: none oversold, none lost, the ledger adds up ------------------------------------
    listing_ids = [uuid.UUID(listing["id"]) for maker in makers for listing in maker.listings]
    listings = await db.fetch(
        "SELECT id, stock_available AS a, stock_reserved AS r, stock_sold AS s, status "
        "FROM catalogue.listings WHERE id = ANY($1)",
        listing_ids,
    )
    ledger = await db.fetch(
        "SELECT listing_id, order_id, reason, available_delta AS da, reserved_delta AS dr, "
        "sold_delta AS ds, available, reserved, sold FROM catalogue.inventory_ledger "
        "WHERE listing_id = ANY($1) ORDER BY id",
        listing_ids,
    )
    by_listing: dict[uuid.UUID, list[asyncpg.Record]] = defaultdict(list)
    for entry in ledger:
        by_listing[entry["listing_id"]].append(entry)
    expected_sold: Counter = Counter()
    for r in orders.values():
        if r["status"] not in ("confirmed", "completed"):
            continue
        declined_lines = {
            line["id"] for mo in parts[r["id"]] if mo["status"] == "declined" for line in mo["lines"]
        }
        for line in r["data"]["lines"]:
            if line["listing_id"] and line["id"] not in declined_lines:
                expected_sold[uuid.UUID(line["listing_id"])] += line["quantity"]
    oversold = lost_units = sold_units = stocked_units = 0
    for listing in listings:
        if listing["a"] is None:
            continue  # made to order: no stock to count
        entries = by_listing[listing["id"]]
        stocked = sum(e["da"] + e["dr"] + e["ds"] for e in entries if e["reason"] in ("stocked", "adjusted"))
        total = listing["a"] + listing["r"] + listing["s"]
        stocked_units += stocked
        sold_units += listing["s"]
        oversold += max(0, listing["s"] - stocked) + max(0, listing["s"] - expected_sold[listing["id"]])
        lost_units += abs(stocked - total) + max(0, expected_sold[listing["id"]] - listing["s"])
        if listing["r"]:
            verdict.fail(f"listing {listing['id']} still has {listing['r']} reserved")
        sums = [sum(e[k] for e in entries) for k in ("da", "dr", "ds")]
        if sums != [listing["a"], listing["r"], listing["s"]] or (
            entries
            and [entries[-1]["available"], entries[-1]["reserved"], entries[-1]["sold"]]
            != [listing["a"], listing["r"], listing["s"]]
        ):
            verdict.fail(
                f"listing {listing['id']}: ledger {sums} != counters "
                f"{[listing['a'], listing['r'], listing['s']]}"
            )
        if any(min(e["available"], e["reserved"], e["sold"]) < 0 for e in entries):
            verdict.fail(f"listing {listing['id']}: a counter went negative")
    twice = await db.fetch(
        "SELECT order_id, listing_id, reason, count(*) AS n FROM catalogue.inventory_ledger "
        "WHERE order_id = ANY($1) GROUP BY 1, 2, 3 HAVING count(*) > 1",
        list(orders),
    )
    f["units_stocked"] = stocked_units
    f["units_sold"] = sold_units
    verdict.none_allowed("units_oversold", oversold, f"{oversold} units oversold")
    verdict.none_allowed("units_lost", lost_units, f"{lost_units} units lost or created")
    verdict.none_allowed(
        "stock_moves_applied_twice", len(twice), f"stock moved twice: {[dict(t) for t in twice[:3]]}"
    )
    # Per order: catalogue's reservation agrees with the order's outcome, unit for unit.
    units = {
        r["order_id"]: r
        for r in await db.fetch(
            "SELECT r.order_id, r.status, coalesce(sum(l.held), 0) AS held, "
            "coalesce(sum(l.sold), 0) AS sold FROM catalogue.reservations r "
            "LEFT JOIN catalogue.reservation_lines l USING (order_id) "
            "WHERE r.order_id = ANY($1) GROUP BY 1, 2",
            list(orders),
        )
    }
    for oid, r in orders.items():
        declined_lines = {
            line["id"] for mo in parts[oid] if mo["status"] == "declined" for line in mo["lines"]
        }
        # Made-to-order lines are reserved too (without counters): every stock line counts.
        owed = sum(
            line["quantity"]
            for line in r["data"]["lines"]
            if line["listing_id"] and line["id"] not in declined_lines
        )
        reservation = units.get(oid)
        held, sold = (reservation["held"], reservation["sold"]) if reservation else (0, 0)
        if held:
            verdict.fail(f"order {oid} ({r['status']}) still holds {held} units")
        if r["status"] in ("confirmed", "completed") and sold != owed:
            verdict.fail(f"order {oid} is {r['status']} with {sold} of {owed} units sold")
        if r["status"] == "cancelled" and sold:
            verdict.fail(f"order {oid} is cancelled but {sold} units stay sold")

    # --- payments: captured once, captured − refunded = what the customer kept ------------------
    auths = {
        a["idempotency_key"]: a
        for a in await db.fetch(
            "SELECT * FROM orders.sandbox_authorisations WHERE idempotency_key = ANY($1)",
            [f"order-{oid}-authorise" for oid in orders],
        )
    }
    captures: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for capture in await db.fetch(
        "SELECT authorisation_reference, reference, amount FROM orders.sandbox_captures "
        "WHERE authorisation_reference = ANY($1) AND outcome = 'captured'",
        [a["reference"] for a in auths.values() if a["reference"]],
    ):
        captures[capture["authorisation_reference"]].append(capture)
    refunds: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for refund in await db.fetch(
        "SELECT capture_reference, amount FROM orders.sandbox_refunds WHERE capture_reference = ANY($1)",
        [c["reference"] for cs in captures.values() for c in cs],
    ):
        refunds[refund["capture_reference"]].append(refund)
    returned: Counter = Counter()  # units of each line that came back and were refunded
    for row in await db.fetch(
        "SELECT data FROM orders.returns WHERE order_id = ANY($1) AND status = 'refunded'", list(orders)
    ):
        for line in row["data"]["lines"]:
            returned[line["line_id"]] += line["quantity"]
    double_charged = double_captured = double_refunded = kept = authorised = 0
    charged_total = 0
    for oid, r in orders.items():
        auth = auths.get(f"order-{oid}-authorise")
        data, payment = r["data"], r["data"]["payment"]
        if auth is None or auth["outcome"] != "authorised":
            if payment["status"] != "none":
                verdict.fail(f"order {oid} payment {payment['status']} without an authorisation")
            continue
        authorised += 1
        if auth["amount"] != data["total"]["amount"]:
            verdict.fail(f"order {oid} authorised {auth['amount']} for a total of {data['total']['amount']}")
        if payment["reference"] not in (None, auth["reference"]):
            verdict.fail(f"order {oid} records {payment['reference']}, not {auth['reference']}")
        taken = captures[auth["reference"]]
        if len(taken) > 1:
            double_captured += 1
        captured = sum(c["amount"] for c in taken)
        refunded = sum(x["amount"] for c in taken for x in refunds[c["reference"]])
        if not taken and not auth["voided_at"]:
            # Authorised and never captured (cancelled before capture, or a crash before the
            # order recorded it): the authorisation must have been released.
            verdict.fail(f"order {oid} left authorisation {auth['reference']} held, never captured")
        if taken and auth["voided_at"]:
            verdict.fail(f"order {oid} voided authorisation {auth['reference']} after capturing it")
        # The order's own refunds, or one giving back a capture the order never recorded.
        refunds_expected = len(data["refunds"]) if payment.get("capture_reference") else len(taken)
        if refunded > captured or sum(len(refunds[c["reference"]]) for c in taken) > refunds_expected:
            double_refunded += 1
        held = captured - refunded
        charged_total += held
        owed = _kept(r, parts[oid], returned)
        if held > owed:
            if r["status"] == "cancelled":
                kept += 1
            else:
                double_charged += 1
        elif held < owed:
            verdict.fail(f"order {oid} holds {held} of the {owed} the customer kept")
        issued = sum(x["amount"]["amount"] for x in data["refunds"] if x["status"] == "issued")
        recorded = (payment.get("captured_amount") or {"amount": 0})["amount"]
        if (recorded, issued) != (captured, refunded) and payment.get("capture_reference"):
            verdict.fail(
                f"order {oid} says {recorded} captured and {issued} refunded; "
                f"the provider {captured} and {refunded}"
            )
    f["payments_authorised"] = authorised
    f["net_charged_minor_units"] = charged_total
    verdict.none_allowed(
        "double_charges", double_charged, f"{double_charged} orders charged more than they owe"
    )
    verdict.none_allowed("double_captures", double_captured, f"{double_captured} orders captured twice")
    verdict.none_allowed("double_refunds", double_refunded, f"{double_refunded} orders refunded twice")
    verdict.none_allowed(
        "cancelled_but_still_charged", kept, f"{kept} cancelled orders still hold the customer's money"
    )

    # --- payouts: one earning per delivered maker order, each adding up -------------------------
    entries = await db.fetch(
        "SELECT maker_order_id, kind, gross_amount AS g, commission_amount AS c, net_amount AS n "
        "FROM orders.payout_ledger WHERE maker_order_id = ANY($1)",
        [mo["id"] for mo in maker_orders],
    )
    by_mo = defaultdict(list)
    for entry in entries:
        by_mo[entry["maker_order_id"]].append(entry)
    payout_errors = 0
    for mo in maker_orders:
        earnings = [e for e in by_mo[mo["id"]] if e["kind"] == "earning"]
        if mo["status"] == "delivered":
            d = mo["data"]
            if len(earnings) != 1 or (earnings[0]["g"], earnings[0]["c"], earnings[0]["n"]) != (
                d["gross"]["amount"],
                d["commission"]["amount"],
                d["net"]["amount"],
            ):
                payout_errors += 1
        elif earnings:
            payout_errors += 1
    payout_errors += sum(1 for e in entries if e["n"] != e["g"] - e["c"])
    f["maker_orders"] = dict(Counter(mo["status"] for mo in maker_orders))
    f["payout_entries"] = len(entries)
    verdict.none_allowed("payout_errors", payout_errors, f"{payout_errors} payout ledger errors")
    hold_days = service_settings["orders"].payout_hold_days if service_settings else 14
    unbalanced = await makers_not_adding_up(
        db, sorted({mo["maker_id"] for mo in maker_orders}), timedelta(days=hold_days)
    )
    for sentence in unbalanced:
        verdict.fail(sentence)
    f["makers_not_adding_up"] = len(unbalanced)

    # --- events: none lost, none parked, every outbox drained -----------------------------------
    consumed = _consumed_keys()
    scope = [str(oid) for oid in orders] + [str(lid) for lid in listing_ids] + [m.id for m in makers]
    lost_events = 0
    published = 0
    for producer in ("makers", "catalogue", "orders"):
        events = await db.fetch(
            f"SELECT event_id, routing_key, sent_at FROM {producer}.outbox "
            "WHERE aggregate_id = ANY($1) OR envelope->'data'->>'order_id' = ANY($1)",
            scope,
        )
        published += len(events)
        unsent = [e for e in events if e["sent_at"] is None]
        if unsent:
            verdict.fail(f"{len(unsent)} {producer} events never sent")
        for consumer, bindings in consumed.items():
            wanted = [e["event_id"] for e in events if e["routing_key"] in bindings]
            if not wanted:
                continue
            have = await db.fetchval(
                f"SELECT count(*) FROM {consumer}.inbox WHERE event_id = ANY($1)", wanted
            )
            if have != len(wanted):
                lost_events += len(wanted) - have
                verdict.fail(f"{len(wanted) - have} {producer} events never reached {consumer}")
    parked = 0
    if service_settings:
        scoped = set(scope)
        for name in ("catalogue", "orders", "makers"):
            for message in await parked_messages(service_settings[name]):
                body = message["body"] if isinstance(message["body"], dict) else {}
                if body.get("aggregate_id") in scoped or (body.get("data") or {}).get("order_id") in scoped:
                    parked += 1
        if parked:
            verdict.fail(f"{parked} events parked")
    f["events_published"] = published
    f["events_lost"] = lost_events
    f["events_parked"] = parked
    return verdict


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
        **verdict.figures,
        **extra,
        "violations": verdict.violations,
        "result": "pass" if not verdict.violations else "FAIL",
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
    return result
