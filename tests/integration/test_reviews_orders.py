"""With the real orders service as the producer (the test stands in for catalogue, makers and the
carrier): a delivered maker order's event names its customer and its listings, reviews learns
from it who may review which piece, and before delivery the same customer is told the piece has
not arrived yet."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.support.broker import drain, tap
from tests.support.harness import ServiceProcess, TestEnvironment, eventually
from tests.support.orders import (
    Api,
    key,
    known_listing,
    known_maker,
    line,
    listing_snapshot,
    maker_snapshot,
    order_body,
    publish_listing,
    publish_maker,
    publish_reserved,
)

pytestmark = pytest.mark.timeout(180)

CHECKS = {
    "finish_inspected": True,
    "hallmark_verified": True,
    "stones_secure": True,
    "engraving_verified": True,
}


@pytest.fixture(scope="module")
def processes(
    services_db: dict, service_processes: Callable[..., ServiceProcess]
) -> tuple[ServiceProcess, ServiceProcess]:
    return service_processes("orders"), service_processes("reviews")


@pytest.fixture
async def apis(
    processes: tuple[ServiceProcess, ServiceProcess], mint: Callable[..., str]
) -> AsyncIterator[tuple[Api, Api]]:
    orders, reviews = processes
    async with aiohttp.ClientSession() as session:
        yield Api(session, orders.url, mint), Api(session, reviews.url, mint)


async def test_a_delivered_maker_order_lets_its_customer_review_its_pieces(
    apis: tuple[Api, Api], test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    orders, reviews = apis
    exchange = f"{test_env.namespace}.events"
    maker = maker_snapshot()
    await publish_maker(exchange, maker)
    await known_maker(db, maker["maker_id"])
    maker_token = orders.mint("maker", uuid.UUID(maker["user_id"]))
    listings = []
    for title in ("Hammered band", "Garnet studs"):
        listing = listing_snapshot(maker_id=maker["maker_id"], title=title)
        await publish_listing(exchange, listing)
        await known_listing(db, listing["listing_id"])
        listings.append(listing["listing_id"])

    customer_id, customer = orders.user("customer")
    placed = await orders.ok(
        "POST",
        "/api/v1/orders",
        customer,
        status=201,
        headers=key(),
        json=order_body(line(listings[0], 2), line(listings[1])),
    )
    await publish_reserved(exchange, placed)

    async def confirmed() -> dict[str, Any] | None:
        current = await orders.ok("GET", f"/api/v1/orders/{placed['id']}", customer)
        return current if current["status"] == "confirmed" else None

    order = await eventually(confirmed, message="order confirmed")
    [part] = order["maker_orders"]
    await eventually(
        lambda: db.fetchval(
            "SELECT 1 FROM reviews.purchases WHERE maker_order_id = $1", uuid.UUID(part["id"])
        ),
        message="reviews learnt the maker order",
    )
    review = {"maker_order_id": part["id"], "listing_id": listings[0], "rating": 5, "title": "Lovely"}
    early = await reviews.call("POST", "/api/v1/reviews", customer, json=review)
    assert early.status == 422 and early.body["code"] == "not_delivered"

    path = f"/api/v1/maker-orders/{part['id']}"
    await orders.ok("POST", f"{path}/accept", maker_token)
    await orders.ok("POST", f"{path}/quality-check", maker_token, json={"passed": True, "checks": CHECKS})
    await orders.ok(
        "POST", f"{path}/dispatch", maker_token, json={"carrier": "Royal Mail", "tracking_number": "RM1"}
    )
    async with tap(exchange, "orders.maker_order.delivered.#") as events:
        await orders.ok("POST", f"{path}/deliver", orders.mint("operator"))
        [delivered] = await drain(events, 1)
    assert delivered["data"]["customer_id"] == str(customer_id)
    assert delivered["data"]["listing_ids"] == listings

    async def reviewable() -> list[Any]:
        found = await reviews.ok("GET", f"/api/v1/reviews/reviewable?maker_order_id={part['id']}", customer)
        return found["items"]

    items = await eventually(reviewable, message="reviews learnt the delivery")
    assert sorted(item["listing_id"] for item in items) == sorted(listings)
    created = await reviews.ok("POST", "/api/v1/reviews", customer, status=201, json=review)
    assert created["maker_id"] == maker["maker_id"]
    stranger = await reviews.call("POST", "/api/v1/reviews", orders.mint("customer"), json=review)
    assert stranger.status == 403
