"""saga: orders per second from POST /api/v1/orders to `confirmed`, and p50/p99 of that time,
at 16 and 64 concurrent customers, against a floor: one process doing the same database
transactions and confirmed publishes (place, reserve, authorise, capture and confirm, commit
the reservation) with no HTTP and no consumers. Target >= 0.5x the floor, zero orders lost.

Setup (one namespace for the services, one for the floor; makers, catalogue and orders
migrated in each): an approved maker (a `makers.maker.approved` event published to the
exchange for the services; fed to both services' own handlers in process for the floor) and
LISTINGS ready-to-ship listings with MAX_STOCK each, made by the catalogue's own code
(tests.support.catalogue.add_listing), so every order confirms. Orders learn the listings from
`catalogue.listing.published` (consumed by the orders process; applied through orders' own
store in process for the floor).

Subject: `python -m services.catalogue --role all` and `python -m services.orders --role all`
(ServiceProcess). N customers (16, then 64), each placing orders one after another: POST
/api/v1/orders (a fresh Idempotency-Key, `tok_visa`), and the next POST as soon as that one is
answered, without waiting for the order to be confirmed; each order placed is watched apart
with GET /api/v1/orders/{id}?wait=10 (a long poll, as checkout does: answered when the order
leaves `pending`) until `confirmed`, and a customer keeps at most IN_FLIGHT orders unconfirmed
at once (a watcher gives up after 60 s and frees its place). The latency is POST sent to
`confirmed` seen; orders/s counts the orders confirmed, over the time from the start of the
measurement to the last confirmation. Customer i orders listing i % LISTINGS, so customers do
not all queue on one stock row. After each run every order placed must reach `confirmed` with
its payment `captured` (counted in orders' table, waiting while that count still grows):
`saga.lost` is the number that never did.

Floor: in this process, N workers each run, per order, the four units of work the saga is
made of, through the services' own functions: orders' place (store.listings, price_lines,
Order.place, store.save_order), catalogue's `on_order_placed` (reserve), orders'
`usecases.stock_reserved` (authorise and capture with the sandbox provider, confirm: the same
two provider calls as the subject), catalogue's
`on_order_confirmed` (commit the reservation), each with its outbox rows; two OutboxRelays
(one per service) run beside them in the same process and publish every event with confirms.
The floor's orders/s counts orders whose last unit of work committed; the run ends once the
relays have published everything.

Per repeat the floor and the subject are measured back to back (interleaved pairs).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import asyncpg

from bench.core import Context, compare, migrate_services, namespace
from bench.loadgen import Run
from tests.support.harness import ROOT, ServiceProcess, TestEnvironment, admin_dsn
from tests.support.orders import ADDRESS, line, order_body

if TYPE_CHECKING:
    from shared.contracts import Envelope, Event

EventT = TypeVar("EventT", bound="Event")

SERVICES = ("makers", "catalogue", "orders")
CONCURRENCY = (16, 64)
LISTINGS = 32
MAX_STOCK = 100_000
WAIT_S = 10  # GET /orders/{id}?wait=: the answer comes when the order is no longer pending
IN_FLIGHT = 4  # orders a customer has placed and not yet seen confirmed, at most


def available() -> bool:
    """Whether the orders service the saga needs exists (its API)."""
    return (ROOT / "services" / "orders" / "api").is_dir()


def unavailable_reason() -> str:
    return "the orders API (services/orders/api/) does not exist"


def listing_body(n: int) -> dict[str, Any]:
    from tests.support.catalogue import ring

    # A necklace: no options an order line would have to choose.
    return ring(
        title=f"Silver chain {n}",
        category="necklace",
        options=None,
        production={"kind": "ready_to_ship", "stock": MAX_STOCK},
        price={"amount": 5000 + n * 100, "currency": "GBP"},
    )


def _settings(name: str) -> Any:
    from ops.services import definition

    return definition(name).settings_cls()


@dataclass
class SagaRun(Run):
    """A load generator run whose requests are orders: each latency is POST to confirmed."""

    placed: int = 0
    lost: int = 0


# ------------------------------------------------------------------ setup


async def seed_services(env: TestEnvironment, count: int = LISTINGS) -> list[str]:
    """An approved maker (published as makers would) and `count` listings made by the
    catalogue's code; returns the listing ids once orders knows every one."""
    from shared.contracts.makers import MakerApproved  # noqa: F401 (the event type)
    from shared.db import create_pool
    from tests.support.catalogue import TestMaker, add_listing, publish_ready_photo
    from tests.support.catalogue import publish as publish_event
    from tests.support.harness import eventually

    admin = await asyncpg.connect(admin_dsn(env.database))
    pool = await create_pool(_settings("catalogue").model_copy(update={"pg_pool_min": 1, "pg_pool_max": 2}))
    try:
        maker = TestMaker()
        await publish_event(env.namespace, maker.event(), "makers", maker.maker_id, maker.version)
        await eventually(
            lambda: admin.fetchval("SELECT 1 FROM catalogue.makers WHERE user_id = $1", maker.user_id),
            timeout_s=30,
            message="catalogue knows the maker",
        )
        # Publishing needs the maker's photo ready, as the media service would say it is.
        await publish_ready_photo(env.namespace, maker)
        await eventually(
            lambda: admin.fetchval(
                "SELECT 1 FROM catalogue.media_images WHERE image_id = $1", maker.photo_id
            ),
            timeout_s=30,
            message="catalogue knows the maker's photo",
        )
        ids = [str((await add_listing(pool, maker, listing_body(n))).id) for n in range(count)]
        await eventually(lambda: _visible(admin, ids), timeout_s=60, message="orders knows every listing")
        return ids
    finally:
        await pool.close()
        await admin.close()


async def _visible(admin: asyncpg.Connection, ids: list[str]) -> bool:
    n = await admin.fetchval(
        "SELECT count(*) FROM orders.listings WHERE listing_id = ANY($1::uuid[]) "
        "AND (snapshot->>'visible')::boolean",
        ids,
    )
    return n == len(ids)


# ------------------------------------------------------------------ subject


async def customers_loop(
    orders_url: str,
    token_for: Callable[[int], str],
    listing_ids: list[str],
    customers: int,
    duration_s: float,
    warmup_s: float = 1.0,
    timeout_s: float = 60.0,
) -> tuple[SagaRun, list[str]]:
    """`customers` placing orders one after another, each order watched until confirmed
    without holding up the next (at most IN_FLIGHT unconfirmed per customer); every order id
    placed. An order not confirmed within `timeout_s` is left to `count_lost`."""
    run = SagaRun()
    placed: list[str] = []
    connector = aiohttp.TCPConnector(limit=customers * (IN_FLIGHT + 1))
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=timeout_s)
    ) as session:
        loop = asyncio.get_running_loop()
        record_from = loop.time() + warmup_s
        stop_at = record_from + duration_s
        last_confirmed = 0.0

        async def watch(order: dict[str, Any], headers: dict[str, str], t0: float, sent_at: float) -> None:
            nonlocal last_confirmed
            status = order["status"]
            deadline = loop.time() + timeout_s
            while status == "pending" and loop.time() < deadline:
                try:
                    async with session.get(
                        f"{orders_url}/api/v1/orders/{order['id']}", params={"wait": WAIT_S}, headers=headers
                    ) as r:
                        if r.status == 200:
                            status = (await r.json(content_type=None))["status"]
                            continue
                except (TimeoutError, aiohttp.ClientError):
                    pass  # asked again until the deadline; what never confirms is lost
                await asyncio.sleep(0.2)
            if status == "confirmed":
                if sent_at >= record_from:
                    run.latencies_s.append(time.perf_counter() - t0)
                last_confirmed = max(last_confirmed, loop.time())

        async def customer(i: int) -> None:
            headers = {"Authorization": f"Bearer {token_for(i)}"}
            body = order_body(line(listing_ids[i % len(listing_ids)]))
            places = asyncio.Semaphore(IN_FLIGHT)
            watchers: list[asyncio.Task[None]] = []

            async def watched(order: dict[str, Any], t0: float, sent_at: float) -> None:
                try:
                    await watch(order, headers, t0, sent_at)
                finally:
                    places.release()

            while True:
                await places.acquire()
                if loop.time() >= stop_at:
                    places.release()
                    break
                t0, sent_at = time.perf_counter(), loop.time()
                async with session.post(
                    f"{orders_url}/api/v1/orders",
                    json=body,
                    headers={**headers, "Idempotency-Key": f"bench-{uuid.uuid4()}"},
                ) as r:
                    order = await r.json(content_type=None)
                    if r.status != 201:
                        places.release()
                        raise RuntimeError(f"POST /api/v1/orders: {r.status} {order}")
                placed.append(order["id"])
                watchers.append(asyncio.create_task(watched(order, t0, sent_at)))
            await asyncio.gather(*watchers)

        started = loop.time()
        await asyncio.gather(*(customer(i) for i in range(customers)))
        run.elapsed_s = max(last_confirmed, stop_at) - max(record_from, started)
    run.placed = len(placed)
    return run, placed


async def count_lost(
    admin: asyncpg.Connection, order_ids: list[str], idle_s: float = 10.0, bound_s: float = 180.0
) -> int:
    """Orders placed that are not confirmed with their payment captured: waiting while that
    count still grows (no order confirmed for `idle_s`, or `bound_s` in all, and the rest
    never will)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound_s
    confirmed, progressed = -1, loop.time()
    while True:
        now = await admin.fetchval(
            "SELECT count(*) FROM orders.orders WHERE id = ANY($1::uuid[]) AND status = 'confirmed' "
            "AND data -> 'payment' ->> 'status' = 'captured'",
            order_ids,
        )
        if now > confirmed:
            confirmed, progressed = now, loop.time()
        lost = len(order_ids) - confirmed
        if lost == 0 or loop.time() - progressed > idle_s or loop.time() > deadline:
            return lost
        await asyncio.sleep(0.5)


# ------------------------------------------------------------------ floor


@dataclass
class Floor:
    """The in-process floor of one namespace: pools, relays and the saga's own functions."""

    settings: dict[str, Any]
    pools: dict[str, asyncpg.Pool]
    payments_pool: asyncpg.Pool
    app: dict[Any, Any]
    relays: list[Any]
    buses: list[Any]
    listing_ids: list[str]
    tasks: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    async def open(cls, env: TestEnvironment) -> Floor:
        from services.orders import store as orders_store
        from services.orders.payments import PROVIDER, SandboxPaymentProvider
        from services.orders.settings import ORDERS_SETTINGS
        from shared.bus import Bus
        from shared.contracts import event_class
        from shared.contracts.catalogue import ListingSnapshotEvent
        from shared.db import UnitOfWork, create_pool
        from shared.outbox import OutboxRelay
        from tests.support.catalogue import TestMaker, add_listing, apply_image, apply_maker, image_processed

        settings = await migrate_services(env, SERVICES)
        pools = {name: await create_pool(settings[name]) for name in ("catalogue", "orders")}
        payments_pool = await create_pool(settings["orders"], role="payments")
        app = {ORDERS_SETTINGS: settings["orders"], PROVIDER: SandboxPaymentProvider(payments_pool)}
        maker = TestMaker()
        event = maker.event()
        await apply_maker(pools["catalogue"], event)
        await apply_image(pools["catalogue"], image_processed(maker.maker_id, maker.photo_id))
        async with UnitOfWork(pools["orders"], "orders") as uow:
            await orders_store.upsert_maker(uow.conn, event)
        ids = [
            str((await add_listing(pools["catalogue"], maker, listing_body(n))).id) for n in range(LISTINGS)
        ]
        # Orders' read model, through orders' own store, from catalogue's outbox envelopes.
        rows = await pools["catalogue"].fetch(
            "SELECT envelope FROM outbox WHERE routing_key LIKE 'catalogue.listing.%' ORDER BY id"
        )
        async with UnitOfWork(pools["orders"], "orders") as uow:
            for row in rows:
                envelope = (
                    row["envelope"] if isinstance(row["envelope"], dict) else json.loads(row["envelope"])
                )
                cls_ = event_class(envelope["type"], envelope["version"])
                # Every catalogue.listing.* event is a listing snapshot.
                assert cls_ is not None and issubclass(cls_, ListingSnapshotEvent)
                await orders_store.upsert_listing(uow.conn, cls_.model_validate(envelope["data"]))
        buses, relays = [], []
        for name in ("catalogue", "orders"):
            bus = Bus(settings[name], connection_name=f"{env.namespace}.floor.{name}")
            await bus.connect()
            buses.append(bus)
            relays.append(OutboxRelay(settings[name], pools[name], bus))
        floor = cls(settings, pools, payments_pool, app, relays, buses, ids)
        floor.tasks = [asyncio.create_task(relay.run()) for relay in relays]
        return floor

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for bus in self.buses:
            await bus.close()
        for pool in (*self.pools.values(), self.payments_pool):
            await pool.close()

    async def one_order(self, customer_id: uuid.UUID, listing_id: str) -> None:
        from services.catalogue import handlers as catalogue_handlers
        from services.orders import store as orders_store
        from services.orders import usecases
        from services.orders.domain import (
            LineOptions,
            Order,
            RequestedLine,
            ShippingAddress,
            price_lines,
        )
        from services.orders.payments import PROVIDER
        from services.orders.settings import ORDERS_SETTINGS
        from shared.contracts.catalogue import StockReserved
        from shared.contracts.orders import OrderConfirmed, OrderPlaced
        from shared.db import UnitOfWork

        async def step(
            pool: asyncpg.Pool, producer: str, work: Callable[[UnitOfWork], Awaitable[None]]
        ) -> list[Envelope]:
            async with UnitOfWork(pool, producer) as uow:
                await work(uow)
                emitted = list(uow._events)
            return emitted

        async def place(uow: UnitOfWork) -> None:
            lid = uuid.UUID(listing_id)
            listings = await orders_store.listings(uow.conn, {lid})
            lines = price_lines([RequestedLine(lid, 1, LineOptions())], listings)
            order = Order.place(
                customer_id=customer_id,
                lines=lines,
                shipping_address=ShippingAddress(**ADDRESS),
                payment_token="tok_visa",
                gift_message=None,
                payment_window=timedelta(seconds=self.settings["orders"].payment_window_s),
            )
            await orders_store.save_order(uow, order)

        def find(envelopes: list[Envelope], event_type: type[EventT]) -> tuple[EventT, Envelope]:
            for envelope in envelopes:
                if envelope.type == event_type.event_type:
                    return event_type.model_validate(envelope.data), envelope
            raise RuntimeError(f"no {event_type.__name__} in {[e.type for e in envelopes]}")

        placed = await step(self.pools["orders"], "orders", place)
        order_placed, placed_envelope = find(placed, OrderPlaced)
        ttl = timedelta(seconds=self.settings["catalogue"].reservation_ttl_s)
        reserved = await step(
            self.pools["catalogue"],
            "catalogue",
            lambda uow: catalogue_handlers.on_order_placed(uow, order_placed, placed_envelope, ttl=ttl),
        )
        stock_reserved, _ = find(reserved, StockReserved)
        confirmed = await step(
            self.pools["orders"],
            "orders",
            lambda uow: usecases.stock_reserved(
                uow, stock_reserved, provider=self.app[PROVIDER], settings=self.app[ORDERS_SETTINGS]
            ),
        )
        order_confirmed, confirmed_envelope = find(confirmed, OrderConfirmed)
        await step(
            self.pools["catalogue"],
            "catalogue",
            lambda uow: catalogue_handlers.on_order_confirmed(uow, order_confirmed, confirmed_envelope),
        )

    async def unsent(self) -> int:
        total = 0
        for pool in self.pools.values():
            total += await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        return total

    async def run(self, workers: int, duration_s: float, warmup_s: float = 1.0) -> SagaRun:
        run = SagaRun()
        loop = asyncio.get_running_loop()
        record_from = loop.time() + warmup_s
        stop_at = record_from + duration_s

        async def worker(i: int) -> None:
            customer_id = uuid.uuid4()
            listing_id = self.listing_ids[i % len(self.listing_ids)]
            while loop.time() < stop_at:
                t0 = time.perf_counter()
                await self.one_order(customer_id, listing_id)
                if loop.time() >= record_from:
                    run.latencies_s.append(time.perf_counter() - t0)

        await asyncio.gather(*(worker(i) for i in range(workers)))
        # The floor includes publishing: wait for the relays to send what the run wrote.
        while await self.unsent():
            await asyncio.sleep(0.05)
        run.elapsed_s = loop.time() - record_from
        return run


# ------------------------------------------------------------------ processes


def start_services(env: TestEnvironment) -> dict[str, ServiceProcess]:
    procs = {}
    for name in ("catalogue", "orders"):
        proc = ServiceProcess(
            [f"services.{name}", "--role", "all"],
            f"{name.upper()}_PORT",
            {**env.env, "MARKET_LOG_LEVEL": "warning"},
            env.workdir,
            f"{name}-all",
        )
        procs[name] = proc.start(wait=False)
    for proc in procs.values():
        proc.wait_ready(60)
    return procs


def _tokens(env: TestEnvironment, count: int) -> list[str]:
    issuer = env.token_issuer()
    return [issuer.issue(uuid.uuid4(), "customer") for _ in range(count)]


async def memory_load(env: TestEnvironment, processes: dict[str, ServiceProcess]) -> None:
    """bench/memory.py's saga load: 64 customers for a few seconds against the running
    catalogue and orders processes (`--role all`) of the memory benchmark's namespace."""
    listing_ids = await seed_services(env, 8)
    tokens = _tokens(env, 64)
    _run, placed = await customers_loop(processes["orders"].url, tokens.__getitem__, listing_ids, 64, 8.0)
    admin = await asyncpg.connect(admin_dsn(env.database))
    try:
        lost = await count_lost(admin, placed)
    finally:
        await admin.close()
    if lost:
        raise RuntimeError(f"memory saga load: {lost} of {len(placed)} orders not confirmed")


async def run(ctx: Context) -> None:
    if not available():
        ctx.skip("saga", unavailable_reason())
        return
    duration = 4.0 if ctx.quick else 8.0
    subject: dict[int, list[SagaRun]] = {n: [] for n in CONCURRENCY}
    floor_runs: dict[int, list[SagaRun]] = {n: [] for n in CONCURRENCY}
    async with namespace("bench-saga-floor") as floor_env:
        floor = await Floor.open(floor_env)
        try:
            async with namespace("bench-saga") as env:
                await migrate_services(env, SERVICES)
                procs = start_services(env)
                admin = await asyncpg.connect(admin_dsn(env.database))
                try:
                    listing_ids = await seed_services(env)
                    tokens = _tokens(env, max(CONCURRENCY))
                    bar = ctx.progress(
                        total=ctx.repeats * len(CONCURRENCY) * 2, desc="saga", unit="run", leave=False
                    )
                    for _ in range(ctx.repeats):
                        for n in CONCURRENCY:
                            floor_runs[n].append(await floor.run(n, duration))
                            bar.update()
                            result, placed_ids = await customers_loop(
                                procs["orders"].url, tokens.__getitem__, listing_ids, n, duration
                            )
                            result.lost = await count_lost(admin, placed_ids)
                            subject[n].append(result)
                            bar.update()
                    bar.close()
                finally:
                    await admin.close()
                    for proc in procs.values():
                        proc.stop()
        finally:
            await floor.close()
    for n in CONCURRENCY:
        runs, base = subject[n], floor_runs[n]
        placed = sum(r.placed for r in runs)
        lost = sum(r.lost for r in runs)
        note = (
            f"{n} customers each placing orders without waiting for confirmation (at most "
            f"{IN_FLIGHT} unconfirmed each), {duration:.0f} s per run, POST to confirmed seen by "
            f"GET ?wait={WAIT_S} (long poll); {placed} orders placed, {lost} not "
            f"confirmed; baseline: the same four units of work + confirmed publishes in one "
            f"process, {n} workers"
        )
        ctx.add(
            compare(
                f"saga.orders_per_s@{n}",
                "orders/s",
                [r.rps for r in runs],
                [r.rps for r in base],
                ">= 0.5x",
                note=note,
            )
        )
        for p in (50, 99):
            ctx.add(
                compare(
                    f"saga.p{p}_ms@{n}",
                    "ms",
                    [r.percentile_ms(p) for r in runs],
                    [r.percentile_ms(p) for r in base],
                    None,
                    note=f"{note}; baseline: the floor's p{p} (one order's four transactions)",
                )
            )
        ctx.add(
            compare(
                f"saga.lost@{n}",
                "orders",
                [float(r.lost) for r in runs],
                None,
                None,
                note=f"orders POSTed (201) that never reached confirmed with payment captured "
                f"(counted after the run while any still confirmed); {placed} placed",
            )
        )
        if lost:
            ctx.log(f"  saga: {lost} of {placed} orders were not confirmed at {n} customers")
