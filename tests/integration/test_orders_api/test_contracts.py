"""What orders publishes, consumes and documents, and what it refuses: every published event
in its contract's shape, each consumed event delivered twice changing nothing twice, the
OpenAPI document, and random bodies never a server error."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from shared.contracts import Envelope
from shared.contracts.catalogue import LISTING_EVENTS, StockReserved
from shared.contracts.makers import MAKER_EVENTS
from tests.integration.test_orders_api.support import (
    COMMISSIONS,
    MAKER_ORDERS,
    ORDERS,
    PASSING_CHECKS,
    World,
    _ready_to_dispatch,
    by_type,
)
from tests.support.broker import drain, tap
from tests.support.harness import eventually
from tests.support.orders import envelope, key, line, order_body, publish

pytestmark = pytest.mark.timeout(180)


# --- events: shapes, and each consumed event delivered twice ---------------------------------------


async def test_every_published_event_has_its_contract_shape(world: World) -> None:
    from shared.contracts import event_class

    maker, maker_token = await world.maker()
    listing = await world.listing(maker_id=maker["maker_id"])
    _, customer = world.customer()
    request_id = f"req-{uuid.uuid4().hex}"
    async with tap(world.exchange, "orders.#") as queue:
        order = await world.api.ok(
            "POST",
            ORDERS,
            customer,
            status=201,
            headers={**key(), "X-Request-ID": request_id},
            json=order_body(line(listing["listing_id"])),
        )
        reserved = await world.reserve(order)
        order = await world.settled(order, "confirmed")
        mo = order["maker_orders"][0]["id"]
        await _ready_to_dispatch(world, maker_token, mo)
        await world.api.ok(
            "POST",
            f"{MAKER_ORDERS}/{mo}/dispatch",
            maker_token,
            json={"carrier": "DPD", "tracking_number": "9"},
        )
        await world.api.ok("POST", f"{MAKER_ORDERS}/{mo}/deliver", world.operator())
        received = await _events_of(queue, {order["id"], mo}, 7)

    # In order per aggregate (the relay publishes different aggregates concurrently).
    assert by_type([e for e in received if e["aggregate_id"] == order["id"]]) == [
        "orders.order.placed",
        "orders.order.confirmed",
        "orders.order.completed",
    ]
    received = [e for e in received if e["aggregate_id"] == order["id"]][:2] + [
        e for e in received if e["aggregate_id"] == mo
    ]
    assert by_type(received) == [
        "orders.order.placed",
        "orders.order.confirmed",
        "orders.maker_order.accepted",
        "orders.maker_order.quality_checked",
        "orders.maker_order.dispatched",
        "orders.maker_order.delivered",
    ]
    for message in received:
        parsed = Envelope.model_validate(message)
        contract = event_class(parsed.type, parsed.version)
        assert contract is not None
        assert contract.model_validate(parsed.data).model_dump(mode="json") == parsed.data
        assert parsed.producer == "orders"
    assert received[0]["correlation_id"] == request_id
    # The confirmation was caused by catalogue's answer and carries its correlation on.
    assert received[1]["causation_id"] == str(reserved.event_id)
    assert received[1]["correlation_id"] == reserved.correlation_id
    dispatched = received[4]["data"]
    assert (dispatched["carrier"], dispatched["tracking_number"], dispatched["status"]) == (
        "DPD",
        "9",
        "dispatched",
    )
    assert [m["aggregate_version"] for m in received if m["aggregate_id"] == mo] == [1, 2, 3, 4]


async def _events_of(queue: Any, aggregate_ids: set[str], expected: int) -> list[dict[str, Any]]:
    """These aggregates' events in arrival order; events of other tests' orders are skipped."""
    found: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while len(found) < expected and loop.time() < deadline:
        found += [e for e in await drain(queue, 1, timeout_s=1) if e["aggregate_id"] in aggregate_ids]
    return found


async def test_each_consumed_event_delivered_twice_changes_nothing_twice(world: World) -> None:
    maker, _ = await world.maker()
    listing = await world.listing(maker_id=maker["maker_id"])
    _, customer = world.customer()

    async def twice(message: Envelope) -> None:
        before = await world.consumed(message.type, "duplicate")
        await publish(world.exchange, message)
        await eventually(
            lambda: world.db.fetchval("SELECT 1 FROM orders.inbox WHERE event_id = $1", message.event_id)
        )
        await publish(world.exchange, message)
        await eventually(lambda: _more(world, message.type, before))

    # The read models, every event type that feeds them.
    for version, event_type in enumerate(LISTING_EVENTS, start=2):
        await twice(
            envelope(
                event_type.model_validate({**listing, "listing_version": version}),
                "catalogue",
                listing["listing_id"],
                version,
            )
        )
    assert (
        await world.db.fetchval(
            "SELECT listing_version FROM orders.listings WHERE listing_id = $1",
            uuid.UUID(listing["listing_id"]),
        )
        == len(LISTING_EVENTS) + 1
    )
    for version, event_type in enumerate(MAKER_EVENTS, start=maker["maker_version"] + 1):
        await twice(
            envelope(
                event_type.model_validate({**maker, "maker_version": version}),
                "makers",
                maker["maker_id"],
                version,
            )
        )
    assert await world.db.fetchval(
        "SELECT maker_version FROM orders.makers WHERE maker_id = $1", uuid.UUID(maker["maker_id"])
    ) == maker["maker_version"] + len(MAKER_EVENTS)

    # Catalogue's answers, the same message twice and the same answer as a new message.
    confirmed = await world.place(customer, line(listing["listing_id"]))
    reserved = await world.reserve(confirmed)
    confirmed = await world.settled(confirmed, "confirmed")
    await twice(reserved)
    resent = envelope(StockReserved.model_validate(reserved.data), "catalogue", confirmed["id"])
    await publish(world.exchange, resent)
    await eventually(
        lambda: world.db.fetchval("SELECT 1 FROM orders.inbox WHERE event_id = $1", resent.event_id)
    )
    assert await world.order(confirmed["id"]) == confirmed
    assert by_type(await world.outbox(confirmed["id"])) == ["orders.order.placed", "orders.order.confirmed"]
    assert (
        await world.db.fetchval(
            "SELECT attempts FROM orders.sandbox_authorisations WHERE idempotency_key = $1",
            f"order-{confirmed['id']}-authorise",
        )
        == 1
    )

    failed = await world.place(customer, line(listing["listing_id"]))
    refusal = await world.fail_reservation(failed)
    failed = await world.settled(failed, "cancelled")
    await twice(refusal)
    assert await world.order(failed["id"]) == failed
    assert by_type(await world.outbox(failed["id"])) == ["orders.order.placed", "orders.order.cancelled"]

    # Our own orders.order.placed (what starts a bespoke order's payment).
    placed = Envelope.model_validate((await world.outbox(confirmed["id"]))[0])
    await twice(placed)
    assert await world.order(confirmed["id"]) == confirmed


async def _more(world: World, event_type: str, before: float) -> bool:
    return await world.consumed(event_type, "duplicate") > before


async def test_openapi_documents_every_endpoint_and_the_idempotency_key(world: World) -> None:
    document = await world.api.ok("GET", "/openapi.json")
    assert set(document["paths"]) == {
        ORDERS,
        f"{ORDERS}/{{id}}",
        f"{ORDERS}/{{id}}/cancel",
        MAKER_ORDERS,
        f"{MAKER_ORDERS}/{{id}}",
        *(
            f"{MAKER_ORDERS}/{{id}}/{action}"
            for action in ("accept", "decline", "quality-check", "dispatch", "deliver", "refund")
        ),
        f"{MAKER_ORDERS}/{{id}}/invoice",
        f"{ORDERS}/quote",
        f"{ORDERS}/{{id}}/returns",
        "/api/v1/returns",
        "/api/v1/returns/{id}",
        "/api/v1/returns/{id}/receive",
        "/api/v1/returns/{id}/reject",
        "/api/v1/payouts",
        "/api/v1/payouts/statement.csv",
        "/api/v1/payout-runs",
        "/api/v1/me/addresses",
        "/api/v1/me/addresses/{id}",
        COMMISSIONS,
        f"{COMMISSIONS}/{{id}}",
        *(f"{COMMISSIONS}/{{id}}/{action}" for action in ("quote", "accept", "decline", "withdraw")),
        "/api/v1/conversations",
        "/api/v1/conversations/{id}",
        "/api/v1/conversations/{id}/messages",
    }
    for path in (ORDERS, f"{COMMISSIONS}/{{id}}/accept"):
        parameters = document["paths"][path]["post"]["parameters"]
        assert {"name": "Idempotency-Key", "in": "header", "required": True}.items() <= next(
            p for p in parameters if p["name"] == "Idempotency-Key"
        ).items()


NASTY: list[Any] = [
    None,
    True,
    -1,
    0,
    2**63,
    1.5,
    "",
    " ",
    "x" * 5000,
    "\u202e",
    "NaN",
    [],
    {},
    [None],
    {"amount": -5, "currency": "gbp"},
    {"amount": 10**13, "currency": "GBP"},
    "2025-02-30",
    "tok_visa",
    str(uuid.uuid4()),
]


async def test_random_bodies_never_cause_a_server_error(world: World) -> None:
    import random

    rng = random.Random(20250301)
    maker, maker_token = await world.maker()
    listing = await world.listing(maker_id=maker["maker_id"])
    _, customer = world.customer()
    order = await world.confirmed(customer, line(listing["listing_id"]))
    maker_order = order["maker_orders"][0]["id"]
    good_order = order_body(line(listing["listing_id"]))
    targets = [
        (ORDERS, customer, good_order),
        (
            COMMISSIONS,
            customer,
            {
                "maker_id": maker["maker_id"],
                "brief": "x",
                "deadline": "2099-01-01",
                "budget": {"amount": 1, "currency": "GBP"},
            },
        ),
        (
            f"{MAKER_ORDERS}/{maker_order}/quality-check",
            maker_token,
            {"passed": True, "checks": PASSING_CHECKS, "notes": ""},
        ),
        (f"{MAKER_ORDERS}/{maker_order}/dispatch", maker_token, {"carrier": "DPD", "tracking_number": "1"}),
    ]
    for _ in range(60):
        for path, token, valid in targets:
            body = json.loads(json.dumps(valid))
            for _ in range(rng.randint(1, 3)):
                field = rng.choice([*valid, "status", "total"])
                body[field] = rng.choice(NASTY)
            if "lines" in body and isinstance(body["lines"], list) and rng.random() < 0.5:
                body["lines"] = [
                    {**line(listing["listing_id"]), rng.choice(["quantity", "options"]): rng.choice(NASTY)}
                ]
            response = await world.api.call("POST", path, token, json=body, headers=key())
            assert response.status in (200, 201, 400, 409, 413, 422), (path, body, response.body)
