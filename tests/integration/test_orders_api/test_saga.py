"""The saga's outcomes: confirmed and split per maker, long polls answered as it settles,
cancelled for stock, price or payment, transient payment errors retried, expiry (with the
sweepers of several workers cancelling each order once) and a lost authorisation voided."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from services.orders.settings import OrdersSettings
from tests.integration.test_orders_api.support import ORDERS, World, by_type
from tests.support.harness import TestEnvironment as Environment
from tests.support.harness import eventually
from tests.support.orders import line

pytestmark = pytest.mark.timeout(180)


# --- the saga ------------------------------------------------------------------------------------


async def test_reserved_and_authorised_confirms_and_splits_per_maker(world: World) -> None:
    maker_a, maker_b = str(uuid.uuid4()), str(uuid.uuid4())
    a = await world.listing(maker_id=maker_a, price={"amount": 10000, "currency": "GBP"})
    b = await world.listing(
        maker_id=maker_b,
        price={"amount": 3333, "currency": "GBP"},
        production_kind="made_to_order",
        stock_available=None,
        lead_time_days={"min": 7, "max": 21},
    )
    _, customer = world.customer()
    order = await world.place(customer, line(a["listing_id"]), line(b["listing_id"], 3))
    await world.reserve(order)
    order = await world.settled(order, "confirmed")

    assert order["payment"]["status"] == "captured"
    assert (
        order["payment"]["authorised"] == order["payment"]["captured"] == {"amount": 19999, "currency": "GBP"}
    )
    first, second = order["maker_orders"]
    assert (first["maker_id"], first["status"]) == (maker_a, "awaiting_acceptance")
    assert (first["gross"]["amount"], first["commission"]["amount"], first["net"]["amount"]) == (
        10000,
        1500,
        8500,
    )
    assert first["commission_rate"] == 0.15 and first["lead_time_days"] is None
    assert (second["gross"]["amount"], second["commission"]["amount"], second["net"]["amount"]) == (
        9999,
        1500,
        8499,
    )
    assert second["lead_time_days"] == {"min": 7, "max": 21}
    assert [line["id"] for line in second["lines"]] == [order["lines"][1]["id"]]
    assert [entry["note"] for entry in order["timeline"]] == [
        "Order placed",
        "Stock reserved",
        "Payment authorised; order confirmed",
        "Payment captured",
    ]
    authorisation = await world.db.fetchrow(
        "SELECT attempts, outcome, amount FROM orders.sandbox_authorisations WHERE idempotency_key = $1",
        f"order-{order['id']}-authorise",
    )
    assert tuple(authorisation) == (1, "authorised", 19999)

    [placed, confirmed] = await world.outbox(order["id"])
    assert (placed["type"], confirmed["type"]) == ("orders.order.placed", "orders.order.confirmed")
    assert confirmed["data"]["lines"] == [
        {"listing_id": a["listing_id"], "quantity": 1},
        {"listing_id": b["listing_id"], "quantity": 3},
    ]
    assert [mo["maker_order_id"] for mo in confirmed["data"]["maker_orders"]] == [first["id"], second["id"]]
    assert placed["data"]["expires_at"] and placed["data"]["lines"][1]["unit_price"]["amount"] == 3333


async def test_a_long_poll_answers_when_the_pending_order_is_settled(world: World) -> None:
    listing = await world.listing()
    _, customer = world.customer()
    order = await world.place(customer, line(listing["listing_id"]))
    path = f"{ORDERS}/{order['id']}"
    # Nobody answers for catalogue yet: the order stays pending for the whole wait.
    loop = asyncio.get_running_loop()
    asked_at = loop.time()
    assert (await world.api.ok("GET", f"{path}?wait=1", customer))["status"] == "pending"
    assert loop.time() - asked_at >= 1, "answered before the wait was over"

    waiting = await world.long_poll(order, customer)
    await world.reserve(order)
    # Not answered while the order was pending, but as the saga settles it (stock reserved,
    # then confirmed), long before the 20 s run out.
    assert (await asyncio.wait_for(waiting, 10))["status"] == "confirmed"
    # A settled order is answered at once, whatever the wait.
    assert (await asyncio.wait_for(world.api.ok("GET", f"{path}?wait=20", customer), 10))[
        "status"
    ] == "confirmed"

    for wait in ("0", "21", "soon"):
        problem = await world.api.ok("GET", f"{path}?wait={wait}", customer, status=422)
        assert problem["code"] == "validation_failed"


async def test_a_long_poll_survives_its_listening_connection_being_cut(world: World) -> None:
    listing = await world.listing()
    _, customer = world.customer()
    order = await world.place(customer, line(listing["listing_id"]))
    waiting = await world.long_poll(order, customer)
    cut = await world.db.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name LIKE '%.orders.changes'"
    )
    assert cut == 1
    # The order is settled while the feed may still be reconnecting: the waiter reads again
    # once it listens again, so the change is not lost.
    await world.reserve(order)
    assert (await asyncio.wait_for(waiting, 10))["status"] == "confirmed"


async def test_out_of_stock_cancels_without_releasing(world: World) -> None:
    listing = await world.listing()
    _, customer = world.customer()
    order = await world.place(customer, line(listing["listing_id"]))
    await world.fail_reservation(order)
    order = await world.settled(order, "cancelled")
    assert order["cancellation_reason"] == "out_of_stock"
    assert order["payment"]["status"] == "none"
    cancelled = (await world.outbox(order["id"]))[-1]
    assert cancelled["type"] == "orders.order.cancelled"
    assert (cancelled["data"]["release_stock"], cancelled["data"]["refund"]) == (False, None)


async def test_a_price_changed_since_the_customer_saw_it_cancels(world: World) -> None:
    listing = await world.listing(price={"amount": 5000, "currency": "GBP"})
    _, customer = world.customer()
    order = await world.place(customer, line(listing["listing_id"]))
    await world.reserve(order, prices={listing["listing_id"]: 5500})
    order = await world.settled(order, "cancelled")
    assert order["cancellation_reason"] == "price_changed"
    assert (
        await world.db.fetchval(
            "SELECT count(*) FROM orders.sandbox_authorisations WHERE idempotency_key = $1",
            f"order-{order['id']}-authorise",
        )
        == 0
    )
    cancelled = (await world.outbox(order["id"]))[-1]["data"]
    assert cancelled["release_stock"] is True and cancelled["release_lines"] == [
        {"listing_id": listing["listing_id"], "quantity": 1}
    ]

    # Catalogue may refuse for the same reason instead.
    order = await world.place(customer, line(listing["listing_id"]))
    await world.fail_reservation(order, "price_changed")
    assert (await world.settled(order, "cancelled"))["cancellation_reason"] == "price_changed"


async def test_a_declined_payment_cancels_and_releases(world: World) -> None:
    listing = await world.listing()
    _, customer = world.customer()
    order = await world.place(customer, line(listing["listing_id"]), payment="tok_declined")
    await world.reserve(order)
    order = await world.settled(order, "cancelled")
    assert (order["cancellation_reason"], order["payment"]["status"]) == ("payment_declined", "none")
    cancelled = (await world.outbox(order["id"]))[-1]["data"]
    assert cancelled["release_stock"] is True


async def test_transient_payment_errors_are_retried_through_the_retry_queues(world: World) -> None:
    listing = await world.listing()
    _, customer = world.customer()
    order = await world.place(customer, line(listing["listing_id"]), payment="tok_error")
    reservation = await world.reserve(order)
    order = await world.settled(order, "confirmed")
    # Three deliveries of one event (the first and two retries: this process makes one provider
    # call per delivery), with the same key; the counter survived the two rollbacks.
    assert (
        await world.db.fetchval(
            "SELECT attempts FROM orders.sandbox_authorisations WHERE idempotency_key = $1",
            f"order-{order['id']}-authorise",
        )
        == 3
    )
    assert (
        await world.db.fetchval("SELECT count(*) FROM orders.inbox WHERE event_id = $1", reservation.event_id)
        == 1
    )
    assert by_type(await world.outbox(order["id"])) == ["orders.order.placed", "orders.order.confirmed"]


async def test_an_order_not_settled_in_time_expires_and_releases_its_stock(world: World) -> None:
    listing = await world.listing()
    _, customer = world.customer()

    # Catalogue never answers.
    order = await world.place(customer, line(listing["listing_id"]))
    await world.db.execute(
        "UPDATE orders.orders SET expires_at = now() - interval '1 second' WHERE id = $1",
        uuid.UUID(order["id"]),
    )
    order = await world.settled(order, "cancelled")
    assert order["cancellation_reason"] == "expired"
    cancelled = (await world.outbox(order["id"]))[-1]
    assert cancelled["type"] == "orders.order.cancelled"
    assert cancelled["data"]["release_stock"] is True
    # Catalogue's late answer changes nothing.
    late = await world.reserve(order)
    await eventually(
        lambda: world.db.fetchval("SELECT 1 FROM orders.inbox WHERE event_id = $1", late.event_id)
    )
    assert (await world.order(order["id"]))["version"] == order["version"]

    # The provider is down: every delivery fails, the event is parked, the order expires.
    down = await world.place(customer, line(listing["listing_id"]), payment="tok_unavailable")
    await world.reserve(down)
    await eventually(
        lambda: world.db.fetchval(
            "SELECT attempts = 3 FROM orders.sandbox_authorisations WHERE idempotency_key = $1",
            f"order-{down['id']}-authorise",
        ),
        message="three attempts",
    )
    assert (await world.order(down["id"]))["status"] == "pending"
    await world.db.execute("UPDATE orders.orders SET expires_at = now() WHERE id = $1", uuid.UUID(down["id"]))
    down = await world.settled(down, "cancelled")
    assert down["cancellation_reason"] == "expired"
    assert (await world.outbox(down["id"]))[-1]["data"]["release_stock"] is True


async def test_an_authorisation_the_order_never_recorded_is_voided_when_it_expires(world: World) -> None:
    """The provider authorised, but the step that asked rolled back (say, the database went
    away) and the order expired before the event came back: the customer must not stay
    charged for an order that no longer exists."""
    listing = await world.listing()
    _, customer = world.customer()
    order = await world.place(customer, line(listing["listing_id"]), payment="tok_unavailable")
    await world.reserve(order)
    key = f"order-{order['id']}-authorise"
    await eventually(
        lambda: world.db.fetchval(
            "SELECT attempts = 3 FROM orders.sandbox_authorisations WHERE idempotency_key = $1", key
        ),
        message="three failed attempts",
    )
    # Stand in for the lost step: the provider's side says authorised, the order knows nothing.
    await world.db.execute(
        "UPDATE orders.sandbox_authorisations SET outcome = 'authorised', reference = $2 "
        "WHERE idempotency_key = $1",
        key,
        f"sbx_lost_{uuid.uuid4().hex}",
    )
    await world.db.execute(
        "UPDATE orders.orders SET expires_at = now() WHERE id = $1", uuid.UUID(order["id"])
    )
    expired = await world.settled(order, "cancelled")
    assert expired["cancellation_reason"] == "expired"
    assert await world.db.fetchval(
        "SELECT voided_at IS NOT NULL FROM orders.sandbox_authorisations WHERE idempotency_key = $1", key
    )


# --- several workers -----------------------------------------------------------------------------


async def test_expiry_sweepers_in_several_workers_cancel_each_order_once(
    world: World, alone: Environment
) -> None:
    """The process's own sweeper and two more in this test claim the same work list at once."""
    from aiohttp import web

    from services.orders.payments import PROVIDER, SandboxPaymentProvider
    from services.orders.saga import expire_orders
    from shared.db import create_pool
    from shared.http import POOL

    listing = await world.listing()
    _, customer = world.customer()
    orders = await asyncio.gather(*(world.place(customer, line(listing["listing_id"])) for _ in range(30)))
    ids = [uuid.UUID(order["id"]) for order in orders]
    settings = OrdersSettings(namespace=alone.namespace, pg_database=alone.database)
    pool = await create_pool(settings)
    try:
        worker = web.Application()
        worker[POOL] = pool
        worker[PROVIDER] = SandboxPaymentProvider(pool)
        await world.db.execute("UPDATE orders.orders SET expires_at = now() WHERE id = ANY($1)", ids)
        await asyncio.gather(expire_orders(worker), expire_orders(worker))
    finally:
        await pool.close()

    await eventually(
        lambda: world.db.fetchval(
            "SELECT bool_and(status = 'cancelled') FROM orders.orders WHERE id = ANY($1)", ids
        )
    )
    cancellations = await world.db.fetch(
        "SELECT aggregate_id, count(*) AS n FROM orders.outbox "
        "WHERE routing_key = 'orders.order.cancelled.v1' AND aggregate_id = ANY($1) GROUP BY 1",
        [str(order_id) for order_id in ids],
    )
    assert sorted(row["n"] for row in cancellations) == [1] * 30
