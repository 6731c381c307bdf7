"""The real orders service with notifications beside it (sending to the SMTP catcher), and a world
on them that the test stands in for the gateway, catalogue and makers of: customers and makers
told to both, pieces orders knows of, and orders placed through the orders API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.support.harness import ServiceProcess, TestEnvironment
from tests.support.notifications import Person, person, register, start_notifications, wait_consumed
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
)
from tests.support.smtp import SmtpCatcher


@pytest.fixture(scope="module")
def orders(
    services_db: dict, service_processes: Callable[..., ServiceProcess], smtp_server: SmtpCatcher
) -> ServiceProcess:
    start_notifications(service_processes, smtp_server)
    return service_processes("orders")


@dataclass
class Maker:
    person: Person
    maker_id: str
    token: str
    name: str


@dataclass
class World:
    api: Api
    db: asyncpg.Connection
    namespace: str

    @property
    def exchange(self) -> str:
        return f"{self.namespace}.events"

    async def customer(self, name: str = "Ada Lovelace") -> tuple[Person, str]:
        who = person(name=name)
        await register(self.namespace, self.db, who)
        return who, self.api.mint("customer", who.user_id)

    async def maker(self, name: str = "Silver & Stone") -> Maker:
        """An approved maker (their person Robin Wren), once orders and notifications know them."""
        who = person(role="maker", name="Robin Wren")
        await register(self.namespace, self.db, who)
        data = maker_snapshot(user_id=str(who.user_id), display_name=name)
        approved = await publish_maker(self.exchange, data)
        await known_maker(self.db, data["maker_id"])
        await wait_consumed(self.db, approved)
        return Maker(who, data["maker_id"], self.api.mint("maker", who.user_id), name)

    async def listing(self, maker: Maker, **overrides: Any) -> dict[str, Any]:
        data = listing_snapshot(maker_id=maker.maker_id, **overrides)
        await publish_listing(self.exchange, data)
        await known_listing(self.db, data["listing_id"])
        return data

    async def order(self, token: str, *listings: dict[str, Any], quantity: int = 1) -> dict[str, Any]:
        """The customer's order of `quantity` of each listing, as placed (not yet reserved)."""
        return await self.api.ok(
            "POST",
            "/api/v1/orders",
            token,
            status=201,
            headers=key(),
            json=order_body(*(line(listing["listing_id"], quantity) for listing in listings)),
        )


@pytest.fixture
async def world(
    orders: ServiceProcess, mint: Callable[..., str], db: asyncpg.Connection, test_env: TestEnvironment
) -> AsyncIterator[World]:
    async with aiohttp.ClientSession() as session:
        yield World(Api(session, orders.url, mint), db, test_env.namespace)
