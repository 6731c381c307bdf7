"""With the real orders service as producer (the test stands in for the catalogue): a customer's
order, once paid, brings them the receipt with its lines, postage, total and reference, and the
maker an email of their new order."""

from __future__ import annotations

import pytest

from tests.support.notifications import PUBLIC_URL
from tests.support.orders import publish_reserved
from tests.support.orders_world import World, orders, world  # noqa: F401 (fixtures)
from tests.support.smtp import SmtpCatcher, smtp_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(180)


async def test_a_paid_order_brings_the_receipt_and_the_makers_new_order(
    world: World, smtp_server: SmtpCatcher
) -> None:
    customer, token = await world.customer("Ada Lovelace")
    maker = await world.maker("Silver & Stone")
    await smtp_server.wait_for(maker.person.email, subject="approved")
    listing = await world.listing(maker, title="Hammered sterling band")
    order = await world.order(token, listing, quantity=2)
    await publish_reserved(world.exchange, order)

    [receipt] = await smtp_server.wait_for(customer.email, subject="confirmed")
    reference = order["reference"]
    assert receipt.subject == f"Your order {reference} is confirmed"
    assert "2 x Hammered sterling band    £250.00" in receipt.text
    assert "Total paid    £250.00" in receipt.text and "Postage    free" in receipt.text
    assert f"{PUBLIC_URL}/orders/{order['id']}" in receipt.links
    assert receipt.header("List-Unsubscribe") is None
    [new_order] = await smtp_server.wait_for(maker.person.email, subject="New order")
    assert new_order.subject == f"New order {reference}-1"
    assert "Hello Robin Wren" in new_order.text and "Hammered sterling band" in new_order.text
    assert new_order.header("List-Unsubscribe") is not None
