"""The soak's load: actors on one shop, each waiting a think time between requests, and what
they saw (latencies and errors per kind of request, per sample interval)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.reliability.marketplace import ADDRESS, PASSING_CHECKS, Client, Maker, Shop, Traffic, piece

KINDS = ("browse", "search", "checkout", "fulfil", "return")
RING_MM = 52
TOKEN_RENEW_S = 300.0
SEARCHES = ("silver", "sterling band", "forged ring", "recycled silver", "hand finished", "gold")
SUGGEST = ("sil", "ster", "for", "ban")


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
