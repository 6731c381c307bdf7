"""With the real orders service as producer (the test stands in for the catalogue): a customer's
order, once paid, brings them the receipt with its lines, postage, total and reference, and the
maker an email of their new order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
import asyncpg
import pytest

from tests.support.harness import ServiceProcess, TestEnvironment
from tests.support.notifications import PUBLIC_URL, person, register, start_notifications, wait_consumed
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
from tests.support.smtp import SmtpCatcher, smtp_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def orders(
    services_db: dict, service_processes: Callable[..., ServiceProcess], smtp_server: SmtpCatcher
) -> ServiceProcess:
    start_notifications(service_processes, smtp_server)
    return service_processes("orders")


@pytest.fixture
async def api(orders: ServiceProcess, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, orders.url, mint)


async def test_a_paid_order_brings_the_receipt_and_the_makers_new_order(
    api: Api, test_env: TestEnvironment, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    ns, exchange = test_env.namespace, f"{test_env.namespace}.events"
    customer = person(name="Ada Lovelace")
    await register(ns, db, customer)
    maker_person = person(role="maker", name="Robin Wren")
    await register(ns, db, maker_person)
    maker = maker_snapshot(user_id=str(maker_person.user_id), display_name="Silver & Stone")
    approved = await publish_maker(exchange, maker)
    await known_maker(db, maker["maker_id"])
    await wait_consumed(db, approved)
    await smtp_server.wait_for(maker_person.email, subject="approved")
    listing = listing_snapshot(maker_id=maker["maker_id"], title="Hammered sterling band")
    await publish_listing(exchange, listing)
    await known_listing(db, listing["listing_id"])

    token = api.mint("customer", customer.user_id)
    order = await api.ok(
        "POST",
        "/api/v1/orders",
        token,
        status=201,
        json=order_body(line(listing["listing_id"], 2)),
        headers=key(),
    )
    await publish_reserved(exchange, order)

    [receipt] = await smtp_server.wait_for(customer.email, subject="confirmed")
    reference = order["reference"]
    assert receipt.subject == f"Your order {reference} is confirmed"
    assert "2 x Hammered sterling band    £250.00" in receipt.text
    assert "Total paid    £250.00" in receipt.text and "Postage    free" in receipt.text
    assert f"{PUBLIC_URL}/orders/{order['id']}" in receipt.links
    assert receipt.header("List-Unsubscribe") is None
    [new_order] = await smtp_server.wait_for(maker_person.email, subject="New order")
    assert new_order.subject == f"New order {reference}-1"
    assert "Hello Robin Wren" in new_order.text and "Hammered sterling band" in new_order.text
    assert new_order.header("List-Unsubscribe") is not None
