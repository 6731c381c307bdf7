"""Operators' maker-order queues: across makers, by maker and status, and overdue (accepted,
not dispatched by its latest dispatch date), paged by keyset. A real orders process; the test
plays catalogue (answering the saga) and makers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.orders.domain.dispatch import uk_day
from services.orders.domain.shipping import add_working_days
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.orders import (
    Api,
    key,
    line,
    listing_snapshot,
    maker_snapshot,
    order_body,
    publish_listing,
    publish_maker,
    publish_reserved,
)

pytestmark = pytest.mark.timeout(180)

MAKER_ORDERS = "/api/v1/maker-orders"


@pytest.fixture(scope="module")
def orders_url(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> str:
    return service_processes("orders").url


@pytest.fixture
async def api(orders_url: str, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, orders_url, mint)


@pytest.fixture
async def db(test_env: Environment, services_db: dict) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{test_env.database}")
    yield conn
    await conn.close()


class Shop:
    def __init__(self, api: Api, db: asyncpg.Connection, exchange: str) -> None:
        self.api, self.db, self.exchange = api, db, exchange
        self.operator = api.user("operator")[1]

    async def maker(self) -> tuple[str, str, dict[str, Any]]:
        """(maker_id, its user's token, a listing of theirs orders knows)."""
        maker = maker_snapshot()
        await publish_maker(self.exchange, maker)
        listing = listing_snapshot(maker_id=maker["maker_id"], stock_available=50)
        await publish_listing(self.exchange, listing)
        await eventually(
            lambda: self.db.fetchval(
                "SELECT 1 FROM orders.listings l JOIN orders.makers m USING (maker_id) WHERE listing_id = $1",
                uuid.UUID(listing["listing_id"]),
            ),
            message="read models",
        )
        return maker["maker_id"], self.api.mint("maker", uuid.UUID(maker["user_id"])), listing

    async def maker_order(self, listing: dict[str, Any]) -> dict[str, Any]:
        """A confirmed order's maker order, awaiting acceptance."""
        _, customer = self.api.user("customer")
        order = await self.api.ok(
            "POST",
            "/api/v1/orders",
            customer,
            status=201,
            headers=key(),
            json=order_body(line(listing["listing_id"])),
        )
        await publish_reserved(self.exchange, order)

        async def confirmed() -> dict[str, Any] | None:
            found = await self.api.ok("GET", f"/api/v1/orders/{order['id']}", self.operator)
            return found if found["status"] == "confirmed" else None

        return (await eventually(confirmed, message="order confirmed"))["maker_orders"][0]

    async def accepted(self, listing: dict[str, Any], maker: str) -> dict[str, Any]:
        maker_order = await self.maker_order(listing)
        return await self.api.ok("POST", f"{MAKER_ORDERS}/{maker_order['id']}/accept", maker)

    async def queue(self, query: str, token: str | None = None) -> list[str]:
        """Every maker order id of the list, page by page (two a page)."""
        ids: list[str] = []
        cursor = ""
        while True:
            page = await self.api.ok("GET", f"{MAKER_ORDERS}?limit=2&{query}{cursor}", token or self.operator)
            ids += [item["id"] for item in page["items"]]
            if page["next_cursor"] is None:
                return ids
            cursor = f"&cursor={page['next_cursor']}"


@pytest.fixture
async def shop(api: Api, db: asyncpg.Connection, test_env: Environment) -> Shop:
    return Shop(api, db, f"{test_env.namespace}.events")


async def test_operators_filter_maker_orders_by_maker_and_status(shop: Shop) -> None:
    maker_a, token_a, listing_a = await shop.maker()
    maker_b, _, listing_b = await shop.maker()
    waiting_a = await shop.maker_order(listing_a)
    making_a = await shop.accepted(listing_a, token_a)
    other_a = await shop.maker_order(listing_a)
    waiting_b = await shop.maker_order(listing_b)

    assert await shop.queue(f"maker_id={maker_a}") == [other_a["id"], making_a["id"], waiting_a["id"]]
    assert await shop.queue(f"maker_id={maker_b}") == [waiting_b["id"]]
    assert await shop.queue(f"maker_id={maker_a}&status=in_production") == [making_a["id"]]
    everyone = await shop.queue("status=awaiting_acceptance")
    assert {other_a["id"], waiting_a["id"], waiting_b["id"]} <= set(everyone)
    # A maker's maker_id filter is their own whatever they ask for.
    assert await shop.queue(f"maker_id={maker_b}&status=in_production", token_a) == [making_a["id"]]


async def test_the_overdue_queue_holds_accepted_parcels_past_their_dispatch_date(shop: Shop) -> None:
    maker, token, listing = await shop.maker()
    late = await shop.accepted(listing, token)
    on_time = await shop.accepted(listing, token)
    sent = await shop.accepted(listing, token)
    waiting = await shop.maker_order(listing)

    # A ready-to-ship piece: 3 UK working days from acceptance.
    assert on_time["dispatch_by"] == add_working_days(uk_day(datetime.now(UTC)), 3).isoformat()
    waiting_detail = await shop.api.ok("GET", f"{MAKER_ORDERS}/{waiting['id']}", shop.operator)
    assert waiting_detail["dispatch_by"] is None
    assert await shop.queue(f"maker_id={maker}&overdue=true") == []

    # Time passes for two of them: their dispatch dates are behind us (yesterday).
    yesterday = uk_day(datetime.now(UTC)) - timedelta(days=1)
    await shop.db.execute(
        "UPDATE orders.maker_orders SET dispatch_by = $2 WHERE id = ANY($1::uuid[])",
        [uuid.UUID(late["id"]), uuid.UUID(sent["id"])],
        yesterday,
    )
    checks = {"passed": True, "checks": {"finish_inspected": True, "hallmark_verified": True}}
    await shop.api.ok("POST", f"{MAKER_ORDERS}/{sent['id']}/quality-check", token, json=checks)
    # The check changed the row: its dispatch date is the domain's again. Put it back behind us.
    await shop.db.execute(
        "UPDATE orders.maker_orders SET dispatch_by = $2 WHERE id = $1", uuid.UUID(sent["id"]), yesterday
    )
    assert await shop.queue(f"maker_id={maker}&overdue=true") == [sent["id"], late["id"]]
    await shop.api.ok(
        "POST",
        f"{MAKER_ORDERS}/{sent['id']}/dispatch",
        token,
        json={"carrier": "Royal Mail", "tracking_number": "RM1"},
    )
    assert await shop.queue(f"maker_id={maker}&overdue=true") == [late["id"]]
    assert await shop.queue(f"maker_id={maker}&overdue=true&status=quality_checked") == []
