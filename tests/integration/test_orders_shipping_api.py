"""Shipping through the real orders process (HTTP, PostgreSQL, RabbitMQ, the test playing
catalogue and makers): each maker's parcel priced by the profile their events carry, a
destination not shipped to refused naming the maker, a quote equal to the order placed right
after it, and the total with shipping authorised and captured."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from shared.contracts.makers import MakerShippingUpdated
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.orders import (
    Api,
    json_connection,
    key,
    known_listing,
    known_maker,
    line,
    listing_snapshot,
    maker_snapshot,
    migrated_orders_environment,
    order_body,
    publish_listing,
    publish_maker,
    publish_reserved,
    running_orders,
)

pytestmark = pytest.mark.timeout(180)

ORDERS = "/api/v1/orders"
QUOTE = "/api/v1/orders/quote"
PARIS = {"name": "Ada", "line1": "1 rue de Rivoli", "city": "Paris", "postcode": "75001", "country": "FR"}
NEW_YORK = {"name": "Ada", "line1": "1 Broadway", "city": "New York", "postcode": "10004", "country": "US"}


def gbp(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "GBP"}


def rate(
    zone: str, first: int, additional: int, free_over: int | None, transit: tuple[int, int]
) -> dict[str, Any]:
    return {
        "zone": zone,
        "first_item": gbp(first),
        "additional_item": gbp(additional),
        "free_over": None if free_over is None else gbp(free_over),
        "transit_days": {"min": transit[0], "max": transit[1]},
    }


PROFILE = {
    "dispatch_country": "GB",
    "rates": [rate("uk", 495, 150, 20000, (1, 2)), rate("europe", 1200, 300, None, (3, 6))],
}


def quote_body(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != "payment"}


@pytest.fixture(scope="module")
async def alone(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Environment]:
    async with migrated_orders_environment(tmp_path_factory.mktemp("orders-shipping")) as (env, _):
        yield env


@pytest.fixture(scope="module")
def orders(alone: Environment) -> Iterator[ServiceProcess]:
    with running_orders(alone, "orders-shipping") as process:
        yield process


@pytest.fixture(scope="module")
async def db(alone: Environment) -> AsyncIterator[asyncpg.Connection]:
    async with json_connection(alone.database) as conn:
        yield conn


@dataclass
class World:
    api: Api
    db: asyncpg.Connection
    exchange: str

    def customer(self) -> str:
        return self.api.user("customer")[1]

    def operator(self) -> str:
        return self.api.user("operator")[1]

    async def maker(self, name: str, shipping: dict[str, Any] | None = None) -> str:
        """A maker orders knows, with `shipping` as their profile (None: never set one)."""
        data = maker_snapshot(display_name=name)
        if shipping is None:
            await publish_maker(self.exchange, data)
        else:
            await publish_maker(self.exchange, {**data, "shipping": shipping}, MakerShippingUpdated)
        await known_maker(self.db, data["maker_id"])
        return data["maker_id"]

    async def user_of(self, maker_id: str) -> str:
        return str(
            await self.db.fetchval(
                "SELECT user_id FROM orders.makers WHERE maker_id = $1", uuid.UUID(maker_id)
            )
        )

    async def listing(self, maker_id: str, price: int) -> str:
        data = listing_snapshot(maker_id=maker_id, price=gbp(price), stock_available=10)
        await publish_listing(self.exchange, data)
        await known_listing(self.db, data["listing_id"])
        return data["listing_id"]

    async def quote(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.api.ok("POST", QUOTE, token, json=quote_body(body))

    async def confirmed(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        order = await self.api.ok("POST", ORDERS, token, status=201, headers=key(), json=body)
        await publish_reserved(self.exchange, order)

        async def settled() -> dict[str, Any] | None:
            current = await self.api.ok("GET", f"{ORDERS}/{order['id']}", self.operator())
            return current if current["status"] == "confirmed" else None

        return await eventually(settled, message=f"order {order['id']} confirmed")


@pytest.fixture
async def world(orders: ServiceProcess, alone: Environment, db: asyncpg.Connection) -> AsyncIterator[World]:
    issuer = alone.token_issuer()
    async with aiohttp.ClientSession() as session:
        yield World(
            Api(session, orders.url, lambda role, user_id=None: issuer.issue(user_id or uuid.uuid4(), role)),
            db,
            f"{alone.namespace}.events",
        )


async def test_a_quote_equals_the_order_placed_right_after_and_the_total_is_captured(world: World) -> None:
    ana = await world.maker("Ana's Forge", PROFILE)
    bea = await world.maker("Bea Gold")  # no profile: the UK only, free
    ring, band = await world.listing(ana, 8000), await world.listing(bea, 4500)
    customer = world.customer()
    body = order_body(line(ring, 2), line(band))

    quote = await world.quote(customer, body)
    assert quote["subtotal"] == gbp(20500)
    # Ana: first item + one additional; Bea: free.
    assert quote["shipping_total"] == gbp(645)
    assert quote["total"] == gbp(21145)
    parcels = {parcel["maker_id"]: parcel for parcel in quote["maker_orders"]}
    assert parcels[ana]["shipping"] == {
        "zone": "uk",
        "amount": gbp(645),
        "transit_days": {"min": 1, "max": 2},
    }
    assert parcels[bea]["shipping"]["amount"] == gbp(0)
    delivery = parcels[ana]["estimated_delivery"]
    assert delivery["earliest"] < delivery["latest"]
    # A quote creates nothing.
    assert await world.db.fetchval("SELECT count(*) FROM orders.orders") == 0

    order = await world.confirmed(customer, body)
    assert (order["subtotal"], order["shipping_total"], order["total"]) == (
        quote["subtotal"],
        quote["shipping_total"],
        quote["total"],
    )
    assert order["payment"]["authorised"] == order["payment"]["captured"] == gbp(21145)
    placed = {
        mo["maker_id"]: {
            "maker_id": mo["maker_id"],
            "shipping": mo["shipping"],
            "estimated_delivery": mo["estimated_delivery"],
        }
        for mo in order["maker_orders"]
    }
    assert placed == parcels
    # Commission on the items only.
    ana_order = next(mo for mo in order["maker_orders"] if mo["maker_id"] == ana)
    assert (ana_order["gross"], ana_order["commission"]) == (gbp(16000), gbp(2400))


async def test_free_from_free_over_and_not_one_penny_below(world: World) -> None:
    ana = await world.maker("Ana's Forge", PROFILE)
    at, below = await world.listing(ana, 10000), await world.listing(ana, 19999)
    customer = world.customer()
    assert (await world.quote(customer, order_body(line(at, 2))))["shipping_total"] == gbp(0)
    assert (await world.quote(customer, order_body(line(below))))["shipping_total"] == gbp(495)


async def test_each_zone_has_its_own_rate(world: World) -> None:
    ana = await world.maker("Ana's Forge", PROFILE)
    ring = await world.listing(ana, 30000)
    quote = await world.quote(world.customer(), order_body(line(ring, 3), shipping_address=PARIS))
    [parcel] = quote["maker_orders"]
    # Europe is never free for Ana: 1200 + 2 × 300.
    assert parcel["shipping"] == {"zone": "europe", "amount": gbp(1800), "transit_days": {"min": 3, "max": 6}}


async def test_a_destination_not_shipped_to_is_refused_naming_the_maker(world: World) -> None:
    ana = await world.maker("Ana's Forge", PROFILE)
    ring = await world.listing(ana, 8000)
    customer = world.customer()
    body = order_body(line(ring), shipping_address=NEW_YORK)
    before = await world.db.fetchval("SELECT count(*) FROM orders.orders")

    for path, headers in ((QUOTE, None), (ORDERS, key())):
        response = await world.api.call(
            "POST", path, customer, json=quote_body(body) if path == QUOTE else body, headers=headers
        )
        assert response.status == 422, response.body
        assert response.body["code"] == "destination_not_shipped"
        [error] = response.body["errors"]
        assert error["msg"] == "Ana's Forge does not deliver to United States"
        assert "Ana's Forge" in response.body["detail"]
    assert await world.db.fetchval("SELECT count(*) FROM orders.orders") == before


async def test_a_bespoke_order_pays_the_makers_shipping_too(world: World) -> None:
    ana = await world.maker("Ana's Forge", PROFILE)
    maker_token = world.api.mint("maker", uuid.UUID(await world.user_of(ana)))
    customer = world.customer()
    deadline = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    request = {"maker_id": ana, "brief": "A signet ring", "budget": gbp(80000), "deadline": deadline}
    commission = await world.api.ok("POST", "/api/v1/commissions", customer, status=201, json=request)
    path = f"/api/v1/commissions/{commission['id']}"
    quote = {"price": gbp(75000), "lead_time_days": 20, "description": "18ct gold signet"}
    await world.api.ok("POST", f"{path}/quote", maker_token, json=quote)

    accept = {"shipping_address": NEW_YORK, "payment": {"token": "tok_visa"}}
    refused = await world.api.call("POST", f"{path}/accept", customer, headers=key(), json=accept)
    assert (refused.status, refused.body["code"]) == (422, "destination_not_shipped")
    assert (await world.api.ok("GET", path, customer))["status"] == "quoted"

    order = await world.api.ok(
        "POST",
        f"{path}/accept",
        customer,
        status=201,
        headers=key(),
        json={**accept, "shipping_address": PARIS},
    )
    assert (order["subtotal"], order["shipping_total"], order["total"]) == (gbp(75000), gbp(1200), gbp(76200))
