"""The order saga end to end: real catalogue and orders processes over PostgreSQL and RabbitMQ.
Makers are onboarded by publishing makers.maker.approved (what the makers service would), and
listings are created and published through catalogue's API; everything after that is the two
services talking through events.

The orders process runs with its default payment retries (in the handler); the orders-alone
module covers the consumer's retry queues."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from shared.contracts.catalogue import ListingPriceChanged
from tests.support.catalogue import image_processed
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.orders import (
    ADDRESS,
    Api,
    envelope,
    json_connection,
    key,
    line,
    maker_snapshot,
    order_body,
    publish,
    publish_maker,
)

pytestmark = pytest.mark.timeout(180)

ORDERS = "/api/v1/orders"
MAKER_ORDERS = "/api/v1/maker-orders"
LISTINGS = "/api/v1/listings"
PASSING_CHECKS = {"finish_inspected": True, "hallmark_verified": True, "stones_secure": True}


def piece(production: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A sterling silver ring that meets every publishing rule (with its maker's photo: Shop.listing)."""
    return {
        "title": "Sterling silver band",
        "description": "Forged and hand finished in recycled sterling silver.",
        "category": "ring",
        "price": {"amount": 12500, "currency": "GBP"},
        "production": production,
        "metals": [{"metal": "silver", "fineness": 925, "weight_g": 9.5, "recycled": True}],
        "hallmark": {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "sheffield"},
        "options": {"ring_size_mm": {"min": 48, "max": 60}},
        **overrides,
    }


@pytest.fixture(scope="module")
def services(
    services_db: dict, service_processes: Callable[..., ServiceProcess]
) -> dict[str, ServiceProcess]:
    started = {name: service_processes(name, wait=False) for name in ("catalogue", "orders")}
    for process in started.values():
        process.wait_ready()
    return started


@pytest.fixture(scope="module")
async def pg(test_env: Environment, services_db: dict) -> AsyncIterator[asyncpg.Connection]:
    async with json_connection(test_env.database) as conn:
        yield conn


@dataclass
class Shop:
    orders: Api
    catalogue: Api
    db: asyncpg.Connection
    exchange: str
    # Each maker's ready photo (an image id), by the maker's token.
    photos: dict[str, str] = field(default_factory=dict)

    def customer(self) -> str:
        return self.orders.user("customer")[1]

    def operator(self) -> str:
        return self.orders.user("operator")[1]

    async def maker(self, **overrides: Any) -> tuple[str, str]:
        """(maker id, token) of a maker approved in both services' read models, with a photo the
        media service said is ready."""
        data = maker_snapshot(**overrides)
        await publish_maker(self.exchange, data)
        ready = image_processed(uuid.UUID(data["maker_id"]), uuid.uuid4())
        await publish(self.exchange, envelope(ready, "media", ready.image_id, ready.image_version))
        await eventually(
            lambda: self.db.fetchval(
                "SELECT 1 FROM orders.makers WHERE maker_id = $1", uuid.UUID(data["maker_id"])
            )
        )
        await eventually(
            lambda: self.db.fetchval(
                "SELECT 1 FROM catalogue.media_images WHERE image_id = $1", ready.image_id
            ),
            message="catalogue knows the photo is ready",
        )
        token = self.orders.mint("maker", uuid.UUID(data["user_id"]))
        self.photos[token] = str(ready.image_id)
        return data["maker_id"], token

    async def listing(self, maker_token: str, body: dict[str, Any]) -> dict[str, Any]:
        """A listing with the maker's photo, published in catalogue and known (visible) to orders."""
        body = {
            "photos": [{"image_id": self.photos[maker_token], "alt": "The band on a wooden ring stick"}],
            **body,
        }

        async def created() -> Any:
            # Until catalogue has the maker's approval, it refuses with 403.
            response = await self.catalogue.call("POST", LISTINGS, maker_token, json=body)
            return response.body if response.status == 201 else None

        draft = await eventually(created, message="catalogue knows the maker")
        listing = await self.catalogue.ok("POST", f"{LISTINGS}/{draft['id']}/publish", maker_token)
        await eventually(
            lambda: self.db.fetchval(
                "SELECT (snapshot->>'visible')::boolean FROM orders.listings WHERE listing_id = $1",
                uuid.UUID(listing["id"]),
            ),
            message="orders knows the listing",
        )
        return listing

    async def stock(self, maker_token: str, listing_id: str) -> dict[str, Any]:
        return await self.catalogue.ok("GET", f"{LISTINGS}/{listing_id}", maker_token)

    async def stock_becomes(self, maker_token: str, listing_id: str, **expected: int) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            listing = await self.stock(maker_token, listing_id)
            return listing if {k: listing["stock"][k] for k in expected} == expected else None

        return await eventually(reached, message=f"stock {expected}")

    async def place(self, token: str, *lines: dict[str, Any], payment: str = "tok_visa") -> dict[str, Any]:
        return await self.orders.ok(
            "POST", ORDERS, token, status=201, headers=key(), json=order_body(*lines, token=payment)
        )

    async def settled(self, order: dict[str, Any], status: str, timeout_s: float = 15) -> dict[str, Any]:
        operator = self.operator()

        async def reached() -> dict[str, Any] | None:
            current = await self.orders.ok("GET", f"{ORDERS}/{order['id']}", operator)
            return current if current["status"] == status else None

        return await eventually(reached, timeout_s=timeout_s, message=f"order {status}")


@pytest.fixture
async def shop(
    services: dict[str, ServiceProcess],
    pg: asyncpg.Connection,
    test_env: Environment,
    mint: Callable[..., str],
) -> AsyncIterator[Shop]:
    async with aiohttp.ClientSession() as session:
        yield Shop(
            Api(session, services["orders"].url, mint),
            Api(session, services["catalogue"].url, mint),
            pg,
            f"{test_env.namespace}.events",
        )


# --- every branch ---------------------------------------------------------------------------------


async def test_confirmed_then_made_delivered_and_completed_with_stock_sold(shop: Shop) -> None:
    maker_id, maker = await shop.maker()
    listing = await shop.listing(maker, piece({"kind": "ready_to_ship", "stock": 3}))
    customer = shop.customer()

    order = await shop.place(customer, line(listing["id"], 2, ring_size_mm=52))
    order = await shop.settled(order, "confirmed")
    assert [entry["note"] for entry in order["timeline"]] == [
        "Order placed",
        "Stock reserved",
        "Payment authorised; order confirmed",
        "Payment captured",
    ]
    await shop.stock_becomes(maker, listing["id"], available=1, reserved=0, sold=2)

    [part] = order["maker_orders"]
    assert part["maker_id"] == maker_id and part["gross"]["amount"] == 25000
    path = f"{MAKER_ORDERS}/{part['id']}"
    await shop.orders.ok("POST", f"{path}/accept", maker)
    await shop.orders.ok(
        "POST",
        f"{path}/quality-check",
        maker,
        json={"passed": True, "checks": {**PASSING_CHECKS, "measured_ring_size_mm": 52}},
    )
    await shop.orders.ok(
        "POST", f"{path}/dispatch", maker, json={"carrier": "Royal Mail", "tracking_number": "RM42"}
    )
    await shop.orders.ok("POST", f"{path}/deliver", shop.operator())
    order = await shop.settled(order, "completed")
    payouts = await shop.orders.ok("GET", "/api/v1/payouts", maker)
    assert payouts["balance"] == {"amount": 21250, "currency": "GBP"}

    # Refunded after delivery: the customer is paid back, the maker's earning reversed; the
    # pieces stay sold (a return is not restocked automatically).
    await shop.orders.ok("POST", f"{path}/refund", shop.operator(), json={"reason": "Returned"})
    order = await shop.orders.ok("GET", f"{ORDERS}/{order['id']}", customer)
    assert (order["status"], order["payment"]["status"]) == ("completed", "refunded")
    payouts = await shop.orders.ok("GET", "/api/v1/payouts", maker)
    assert [item["kind"] for item in payouts["items"]] == ["reversal", "earning"]
    assert payouts["balance"]["amount"] == 0
    assert (await shop.stock(maker, listing["id"]))["stock"]["sold"] == 2


async def test_fifty_customers_race_for_one_piece(shop: Shop) -> None:
    _, maker = await shop.maker()
    listing = await shop.listing(maker, piece({"kind": "one_of_a_kind"}, title="One-off signet"))
    customers = [shop.customer() for _ in range(50)]

    started = asyncio.get_running_loop().time()
    responses = await asyncio.gather(
        *(
            shop.orders.call(
                "POST", ORDERS, c, headers=key(), json=order_body(line(listing["id"], ring_size_mm=50))
            )
            for c in customers
        )
    )
    # A racer whose checkout reaches orders after it learnt the piece is reserved is refused
    # there and then (422 out_of_stock); every other racer's order is placed and settled.
    refused_up_front = [r for r in responses if r.status == 422]
    assert all(r.body["errors"][0]["code"] == "out_of_stock" for r in refused_up_front)
    placed = [r for r in responses if r.status == 201]
    assert len(placed) + len(refused_up_front) == 50
    ids = [uuid.UUID(r.body["id"]) for r in placed]

    async def all_settled() -> list[asyncpg.Record] | None:
        rows = await shop.db.fetch(
            "SELECT status, cancellation_reason, count(*) AS n FROM orders.orders WHERE id = ANY($1) "
            "GROUP BY 1, 2 ORDER BY 1",
            ids,
        )
        return None if any(row["status"] == "pending" for row in rows) else rows

    rows = await eventually(all_settled, timeout_s=60, message="every racer settled")
    elapsed = asyncio.get_running_loop().time() - started
    expected = [("confirmed", None, 1)]
    if len(placed) > 1:
        expected.insert(0, ("cancelled", "out_of_stock", len(placed) - 1))
    assert [tuple(row) for row in rows] == expected
    print(f"\n50 racers settled in {elapsed:.2f}s ({len(refused_up_front)} refused at checkout)")

    sold = await shop.stock_becomes(maker, listing["id"], available=0, reserved=0, sold=1)
    assert (sold["status"], sold["availability"]) == ("sold_out", "sold_out")
    # Orders learns it is gone and refuses the next customer up front.
    await eventually(
        lambda: shop.db.fetchval(
            "SELECT (snapshot->>'stock_available')::int = 0 FROM orders.listings WHERE listing_id = $1",
            uuid.UUID(listing["id"]),
        )
    )
    late = await shop.orders.call(
        "POST", ORDERS, shop.customer(), headers=key(), json=order_body(line(listing["id"], ring_size_mm=50))
    )
    assert late.status == 422 and late.body["errors"][0]["code"] == "out_of_stock"


async def test_a_price_changed_since_the_customer_saw_it(shop: Shop) -> None:
    _, maker = await shop.maker()
    listing = await shop.listing(maker, piece({"kind": "ready_to_ship", "stock": 2}))
    # Orders still shows an older price: stand in for its read model lagging behind catalogue.
    snapshot = await shop.db.fetchval(
        "SELECT snapshot FROM orders.listings WHERE listing_id = $1", uuid.UUID(listing["id"])
    )
    stale = {
        **snapshot,
        "listing_version": snapshot["listing_version"] + 100,
        "price": {"amount": 9900, "currency": "GBP"},
    }
    await publish(
        shop.exchange,
        envelope(
            ListingPriceChanged.model_validate(stale), "catalogue", listing["id"], stale["listing_version"]
        ),
    )
    await eventually(
        lambda: shop.db.fetchval(
            "SELECT listing_version = $2 FROM orders.listings WHERE listing_id = $1",
            uuid.UUID(listing["id"]),
            stale["listing_version"],
        )
    )

    order = await shop.place(shop.customer(), line(listing["id"], ring_size_mm=50))
    assert order["total"]["amount"] == 9900
    order = await shop.settled(order, "cancelled")
    assert order["cancellation_reason"] == "price_changed"
    assert order["payment"]["status"] == "none"
    await shop.stock_becomes(maker, listing["id"], available=2, reserved=0, sold=0)


async def test_a_declined_payment_releases_the_stock(shop: Shop) -> None:
    _, maker = await shop.maker()
    listing = await shop.listing(maker, piece({"kind": "ready_to_ship", "stock": 2}))
    order = await shop.place(shop.customer(), line(listing["id"], ring_size_mm=50), payment="tok_declined")
    order = await shop.settled(order, "cancelled")
    assert order["cancellation_reason"] == "payment_declined"
    await shop.stock_becomes(maker, listing["id"], available=2, reserved=0, sold=0)


async def test_transient_payment_errors_are_retried_in_the_handler(shop: Shop) -> None:
    _, maker = await shop.maker()
    listing = await shop.listing(maker, piece({"kind": "ready_to_ship", "stock": 2}))
    order = await shop.place(shop.customer(), line(listing["id"], ring_size_mm=50), payment="tok_error")
    order = await shop.settled(order, "confirmed")
    assert (
        await shop.db.fetchval(
            "SELECT attempts FROM orders.sandbox_authorisations WHERE idempotency_key = $1",
            f"order-{order['id']}-authorise",
        )
        == 3
    )
    await shop.stock_becomes(maker, listing["id"], available=1, reserved=0, sold=1)


async def test_an_order_never_settled_expires_and_its_reservation_is_released(shop: Shop) -> None:
    _, maker = await shop.maker()
    listing = await shop.listing(maker, piece({"kind": "ready_to_ship", "stock": 2}))
    # The provider is down: stock is held while orders keeps retrying payment.
    order = await shop.place(shop.customer(), line(listing["id"], ring_size_mm=50), payment="tok_unavailable")
    await shop.stock_becomes(maker, listing["id"], available=1, reserved=1)
    assert (await shop.settled(order, "pending"))["status"] == "pending"

    # Its payment window closes (moved, rather than waited for).
    await shop.db.execute("UPDATE orders.orders SET expires_at = now() WHERE id = $1", uuid.UUID(order["id"]))
    order = await shop.settled(order, "cancelled")
    assert order["cancellation_reason"] == "expired"
    await shop.stock_becomes(maker, listing["id"], available=2, reserved=0, sold=0)


async def test_a_customer_cancel_refunds_and_puts_the_pieces_back(shop: Shop) -> None:
    _, maker = await shop.maker()
    listing = await shop.listing(maker, piece({"kind": "ready_to_ship", "stock": 3}))
    customer = shop.customer()
    order = await shop.settled(
        await shop.place(customer, line(listing["id"], 2, ring_size_mm=50)), "confirmed"
    )
    await shop.stock_becomes(maker, listing["id"], available=1, sold=2)

    cancelled = await shop.orders.ok("POST", f"{ORDERS}/{order['id']}/cancel", customer)
    assert (cancelled["cancellation_reason"], cancelled["payment"]["status"]) == (
        "customer_cancelled",
        "refunded",
    )
    await shop.stock_becomes(maker, listing["id"], available=3, reserved=0, sold=0)


async def test_a_maker_declining_refunds_their_part_and_restocks_it(shop: Shop) -> None:
    _, maker_a = await shop.maker()
    _, maker_b = await shop.maker()
    a = await shop.listing(maker_a, piece({"kind": "ready_to_ship", "stock": 2}))
    b = await shop.listing(
        maker_b,
        piece(
            {"kind": "made_to_order", "lead_time_days": {"min": 10, "max": 20}},
            price={"amount": 30000, "currency": "GBP"},
        ),
    )
    customer = shop.customer()
    order = await shop.place(customer, line(a["id"], ring_size_mm=50), line(b["id"], ring_size_mm=55))
    order = await shop.settled(order, "confirmed")
    part_a, part_b = order["maker_orders"]
    assert part_b["lead_time_days"] == {"min": 10, "max": 20}

    await shop.orders.ok(
        "POST", f"{MAKER_ORDERS}/{part_a['id']}/decline", maker_a, json={"reason": "Out of silver"}
    )
    order = await shop.orders.ok("GET", f"{ORDERS}/{order['id']}", customer)
    assert order["status"] == "confirmed"
    assert [(r["amount"]["amount"], r["status"]) for r in order["refunds"]] == [(12500, "issued")]
    await shop.stock_becomes(maker_a, a["id"], available=2, reserved=0, sold=0)

    # The last maker declining cancels the whole order.
    await shop.orders.ok(
        "POST", f"{MAKER_ORDERS}/{part_b['id']}/decline", maker_b, json={"reason": "Too busy"}
    )
    order = await shop.settled(order, "cancelled")
    assert order["cancellation_reason"] == "maker_declined"
    assert order["payment"]["status"] == "refunded"


async def test_a_bespoke_commission_goes_straight_to_payment(shop: Shop) -> None:
    maker_id, maker = await shop.maker(accepts_commissions=True)
    customer = shop.customer()
    deadline = (datetime.now(UTC).date() + timedelta(days=40)).isoformat()
    commission = await shop.orders.ok(
        "POST",
        "/api/v1/commissions",
        customer,
        status=201,
        json={
            "maker_id": maker_id,
            "brief": "A wedding band",
            "deadline": deadline,
            "budget": {"amount": 50000, "currency": "GBP"},
        },
    )
    await shop.orders.ok(
        "POST",
        f"/api/v1/commissions/{commission['id']}/quote",
        maker,
        json={
            "price": {"amount": 45000, "currency": "GBP"},
            "lead_time_days": 21,
            "description": "Platinum band, brushed",
        },
    )
    order = await shop.orders.ok(
        "POST",
        f"/api/v1/commissions/{commission['id']}/accept",
        customer,
        status=201,
        headers=key(),
        json={"shipping_address": ADDRESS, "payment": {"token": "tok_visa"}},
    )
    order = await shop.settled(order, "confirmed")
    [part] = order["maker_orders"]
    assert (part["maker_id"], part["lead_time_days"]) == (maker_id, {"min": 21, "max": 21})
