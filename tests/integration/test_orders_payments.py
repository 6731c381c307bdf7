"""Captured money, end to end: the orders process over HTTP against the real PostgreSQL and
RabbitMQ, with the test standing in for catalogue and makers (it publishes their events). The
payment is captured when the order is confirmed; a cancellation before capture voids; every
later refund is of captured money and never more than was captured.

The orders process makes one provider call per delivery (ORDERS_PAYMENT_ATTEMPTS=1), so a
transient capture failure is retried through the consumer's retry queues, across rollbacks.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.orders.domain import PaymentProviderError
from services.orders.payments import SandboxPaymentProvider
from shared.money import Money
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
MAKER_ORDERS = "/api/v1/maker-orders"
PASSING_CHECKS = {"finish_inspected": True, "hallmark_verified": True, "stones_secure": True}


def gbp(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "GBP"}


@pytest.fixture(scope="module")
async def alone(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Environment]:
    async with migrated_orders_environment(tmp_path_factory.mktemp("orders-payments")) as (env, _):
        yield env


@pytest.fixture(scope="module")
def orders(alone: Environment) -> Iterator[ServiceProcess]:
    # One provider call per delivery, and short retry queues: a transient failure comes back as
    # a redelivery.
    with running_orders(
        alone, "orders-payments", ORDERS_PAYMENT_ATTEMPTS="1", MARKET_RETRY_DELAYS_MS="[200, 200, 200]"
    ) as process:
        yield process


@pytest.fixture(scope="module")
async def db(alone: Environment) -> AsyncIterator[asyncpg.Connection]:
    async with json_connection(alone.database) as conn:
        yield conn


@dataclass
class World:
    """The orders service under test, and the test playing catalogue, makers and users."""

    api: Api
    db: asyncpg.Connection
    exchange: str

    def customer(self) -> str:
        return self.api.user("customer")[1]

    def operator(self) -> str:
        return self.api.user("operator")[1]

    async def maker(self) -> tuple[str, str]:
        """(maker id, token of its user) of a maker orders knows."""
        data = maker_snapshot()
        await publish_maker(self.exchange, data)
        await known_maker(self.db, data["maker_id"])
        return data["maker_id"], self.api.mint("maker", uuid.UUID(data["user_id"]))

    async def listing(self, maker_id: str, price: int) -> str:
        data = listing_snapshot(maker_id=maker_id, price=gbp(price))
        await publish_listing(self.exchange, data)
        await known_listing(self.db, data["listing_id"])
        return data["listing_id"]

    async def place(self, token: str, *lines: dict[str, Any], payment: str = "tok_visa") -> dict[str, Any]:
        return await self.api.ok(
            "POST", ORDERS, token, status=201, headers=key(), json=order_body(*lines, token=payment)
        )

    async def reserve(self, order: dict[str, Any]) -> None:
        """Answer as catalogue: every line reserved at the price the customer saw."""
        await publish_reserved(self.exchange, order)

    async def order(self, order_id: str) -> dict[str, Any]:
        return await self.api.ok("GET", f"{ORDERS}/{order_id}", self.operator())

    async def settled(self, order: dict[str, Any], status: str) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            current = await self.order(order["id"])
            return current if current["status"] == status else None

        return await eventually(reached, message=f"order {order['id']} {status}")

    async def confirmed(
        self, token: str, *lines: dict[str, Any], payment: str = "tok_visa"
    ) -> dict[str, Any]:
        order = await self.place(token, *lines, payment=payment)
        await self.reserve(order)
        return await self.settled(order, "confirmed")

    # --- the provider's side ---

    async def captures(self, order_id: str) -> list[asyncpg.Record]:
        return await self.db.fetch(
            "SELECT c.* FROM orders.sandbox_captures c JOIN orders.sandbox_authorisations a "
            "ON a.reference = c.authorisation_reference WHERE a.idempotency_key = $1",
            f"order-{order_id}-authorise",
        )

    async def refunded(self, order_id: str) -> int:
        """What the provider has given back of the order's captures."""
        return await self.db.fetchval(
            "SELECT coalesce(sum(r.amount), 0) FROM orders.sandbox_refunds r "
            "JOIN orders.sandbox_captures c ON c.reference = r.capture_reference "
            "JOIN orders.sandbox_authorisations a ON a.reference = c.authorisation_reference "
            "WHERE a.idempotency_key = $1",
            f"order-{order_id}-authorise",
        )

    async def deliver(self, maker_token: str, maker_order_id: str) -> None:
        path = f"{MAKER_ORDERS}/{maker_order_id}"
        await self.api.ok("POST", f"{path}/accept", maker_token)
        await self.api.ok(
            "POST", f"{path}/quality-check", maker_token, json={"passed": True, "checks": PASSING_CHECKS}
        )
        await self.api.ok(
            "POST", f"{path}/dispatch", maker_token, json={"carrier": "Royal Mail", "tracking_number": "RM1"}
        )
        await self.api.ok("POST", f"{path}/deliver", self.operator())


@pytest.fixture
async def world(orders: ServiceProcess, alone: Environment, db: asyncpg.Connection) -> AsyncIterator[World]:
    issuer = alone.token_issuer()
    async with aiohttp.ClientSession() as session:
        yield World(
            Api(session, orders.url, lambda role, user_id=None: issuer.issue(user_id or uuid.uuid4(), role)),
            db,
            f"{alone.namespace}.events",
        )


async def test_the_payment_is_captured_when_the_order_is_confirmed(world: World) -> None:
    (maker_a, _), (maker_b, _) = await world.maker(), await world.maker()
    a, b = await world.listing(maker_a, 8000), await world.listing(maker_b, 4500)
    customer = world.customer()

    pending = await world.place(customer, line(a), line(b, 2))
    assert pending["payment"]["status"] == "none" and pending["payment"]["captured"] == gbp(0)
    await world.reserve(pending)
    order = await world.settled(pending, "confirmed")

    payment = order["payment"]
    assert payment["status"] == "captured"
    assert payment["authorised"] == payment["captured"] == order["total"] == gbp(17000)
    assert payment["refunded"] == gbp(0) and payment["captured_at"] is not None
    [capture] = await world.captures(order["id"])
    assert (capture["idempotency_key"], capture["outcome"], capture["amount"], capture["attempts"]) == (
        f"order-{order['id']}-capture",
        "captured",
        17000,
        1,
    )
    # The customer sees the same on their own order.
    assert (await world.api.ok("GET", f"{ORDERS}/{order['id']}", customer))["payment"] == payment


async def test_a_transient_capture_failure_is_retried_and_never_doubled(world: World) -> None:
    maker, _ = await world.maker()
    listing = await world.listing(maker, 9900)
    order = await world.confirmed(world.customer(), line(listing), payment="tok_capture_error")

    # Three deliveries of the reservation (two capture failures, each rolled back), one key:
    # one authorisation, one capture, of the total once.
    [capture] = await world.captures(order["id"])
    assert (capture["attempts"], capture["outcome"], capture["amount"]) == (3, "captured", 9900)
    assert (
        await world.db.fetchval(
            "SELECT count(*) FROM orders.sandbox_authorisations WHERE idempotency_key = $1",
            f"order-{order['id']}-authorise",
        )
        == 1
    )
    assert order["payment"]["status"] == "captured" and order["payment"]["captured"] == gbp(9900)


async def test_a_cancellation_before_capture_voids_the_authorisation(world: World) -> None:
    maker, _ = await world.maker()
    listing = await world.listing(maker, 6000)
    order = await world.place(world.customer(), line(listing), payment="tok_capture_declined")
    await world.reserve(order)
    order = await world.settled(order, "cancelled")

    assert order["cancellation_reason"] == "payment_declined"
    payment = order["payment"]
    assert (payment["status"], payment["authorised"], payment["captured"], payment["refunded"]) == (
        "voided",
        gbp(6000),
        gbp(0),
        gbp(0),
    )
    assert order["refunds"] == [] and order["maker_orders"] == []
    assert await world.db.fetchval(
        "SELECT voided_at IS NOT NULL FROM orders.sandbox_authorisations WHERE idempotency_key = $1",
        f"order-{order['id']}-authorise",
    )
    assert [c["outcome"] for c in await world.captures(order["id"])] == ["declined"]


async def test_a_capture_the_order_never_recorded_is_given_back_when_it_is_cancelled(world: World) -> None:
    """The provider authorised and captured, but the step that asked rolled back (say, the
    database went away) and the customer cancelled the still-pending order: the customer must
    not stay charged for an order that no longer exists."""
    maker, _ = await world.maker()
    listing = await world.listing(maker, 7000)
    customer = world.customer()
    order = await world.place(customer, line(listing))
    # Stand in for the lost step (catalogue's answer is never sent, so nothing else asks the
    # provider): the provider's side says authorised and captured, the order knows nothing.
    reference, capture = f"sbx_lost_{uuid.uuid4().hex}", f"sbx_cap_lost_{uuid.uuid4().hex}"
    await world.db.execute(
        "INSERT INTO orders.sandbox_authorisations (idempotency_key, token, amount, currency, "
        "attempts, outcome, reference) VALUES ($1, 'tok_visa', 7000, 'GBP', 1, 'authorised', $2)",
        f"order-{order['id']}-authorise",
        reference,
    )
    await world.db.execute(
        "INSERT INTO orders.sandbox_captures (idempotency_key, authorisation_reference, amount, "
        "currency, attempts, outcome, reference) VALUES ($1, $2, 7000, 'GBP', 1, 'captured', $3)",
        f"order-{order['id']}-capture",
        reference,
        capture,
    )

    cancelled = await world.api.ok("POST", f"{ORDERS}/{order['id']}/cancel", customer)
    assert cancelled["payment"]["status"] == "none" and cancelled["refunds"] == []
    assert await world.refunded(order["id"]) == 7000
    # Asking again gives back nothing more.
    assert await world.api.ok("POST", f"{ORDERS}/{order['id']}/cancel", customer) == cancelled
    assert await world.refunded(order["id"]) == 7000


async def test_a_decline_after_capture_refunds_that_makers_part_of_the_captured_money(world: World) -> None:
    (maker_a, token_a), (maker_b, _) = await world.maker(), await world.maker()
    a, b = await world.listing(maker_a, 3000), await world.listing(maker_b, 5000)
    customer = world.customer()
    order = await world.confirmed(customer, line(a, 2), line(b))
    part_a = order["maker_orders"][0]

    await world.api.ok(
        "POST", f"{MAKER_ORDERS}/{part_a['id']}/decline", token_a, json={"reason": "No silver"}
    )
    order = await world.order(order["id"])
    payment = order["payment"]
    assert (payment["status"], payment["captured"], payment["refunded"]) == (
        "partially_refunded",
        gbp(11000),
        gbp(6000),
    )
    [refund] = order["refunds"]
    assert (refund["amount"], refund["maker_order_id"], refund["status"]) == (
        gbp(6000),
        part_a["id"],
        "issued",
    )
    assert await world.refunded(order["id"]) == 6000

    # The customer cancels the rest: only what is left of the captured money comes back.
    cancelled = await world.api.ok("POST", f"{ORDERS}/{order['id']}/cancel", customer)
    assert [r["amount"]["amount"] for r in cancelled["refunds"]] == [6000, 5000]
    assert (cancelled["payment"]["status"], cancelled["payment"]["refunded"]) == ("refunded", gbp(11000))
    assert await world.refunded(order["id"]) == 11000


async def test_an_operator_refund_never_exceeds_what_was_captured(world: World) -> None:
    (maker_a, token_a), (maker_b, token_b) = await world.maker(), await world.maker()
    a, b = await world.listing(maker_a, 2500), await world.listing(maker_b, 4000)
    order = await world.confirmed(world.customer(), line(a), line(b))
    part_a, part_b = order["maker_orders"]
    await world.api.ok("POST", f"{MAKER_ORDERS}/{part_a['id']}/decline", token_a, json={"reason": "Busy"})
    await world.deliver(token_b, part_b["id"])

    operator = world.operator()
    for _ in range(2):  # a second refund of the same part gives back nothing more
        await world.api.ok(
            "POST", f"{MAKER_ORDERS}/{part_b['id']}/refund", operator, json={"reason": "Scratched"}
        )
    order = await world.order(order["id"])
    assert [r["amount"]["amount"] for r in order["refunds"]] == [2500, 4000]
    payment = order["payment"]
    assert (payment["status"], payment["captured"], payment["refunded"]) == ("refunded", gbp(6500), gbp(6500))
    assert await world.refunded(order["id"]) == 6500
    # A declined part is not refunded again as if delivered.
    refused = await world.api.call(
        "POST", f"{MAKER_ORDERS}/{part_a['id']}/refund", operator, json={"reason": "x"}
    )
    assert (refused.status, refused.body["code"]) == (409, "not_delivered")
    assert await world.refunded(order["id"]) == 6500


async def test_the_sandbox_refuses_a_refund_beyond_what_was_captured(
    world: World, alone: Environment
) -> None:
    """What the provider itself answers (a real one would too), whatever the orders service asks."""
    maker, _ = await world.maker()
    order = await world.confirmed(world.customer(), line(await world.listing(maker, 5000)))
    [capture] = await world.captures(order["id"])
    pool = await asyncpg.create_pool(
        f"postgresql://postgres@127.0.0.1:5432/{alone.database}",
        min_size=1,
        max_size=2,
        server_settings={"search_path": "orders"},
    )
    try:
        provider = SandboxPaymentProvider(pool)
        reference = capture["reference"]
        await provider.refund(reference, Money(amount=3000), "refund-test-1")
        await provider.refund(reference, Money(amount=3000), "refund-test-1")  # the same refund
        with pytest.raises(PaymentProviderError, match="exceed"):
            await provider.refund(reference, Money(amount=2001), "refund-test-2")
        with pytest.raises(PaymentProviderError, match="other parameters"):
            await provider.refund(reference, Money(amount=1000), "refund-test-1")
        with pytest.raises(PaymentProviderError, match="uncaptured"):
            await provider.void(capture["authorisation_reference"])
        await provider.refund(reference, Money(amount=2000), "refund-test-3")
    finally:
        await pool.close()
    assert await world.refunded(order["id"]) == 5000
