"""The Idempotency-Key: a retry replays the first response, concurrent requests with one key
place one order, and the sweeper forgets keys after the retention."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from tests.integration.test_orders_api.support import COMMISSIONS, ORDERS, World
from tests.support.orders import ADDRESS, key, line, order_body

pytestmark = pytest.mark.timeout(180)


# --- Idempotency-Key -----------------------------------------------------------------------------


async def test_idempotency_key_replays_the_first_response(world: World) -> None:
    listing = await world.listing()
    customer_id, customer = world.customer()
    body = order_body(line(listing["listing_id"]))
    headers = key()

    first = await world.api.call("POST", ORDERS, customer, json=body, headers=headers)
    assert first.status == 201 and "Idempotent-Replayed" not in first.headers
    # Once the order moved on, a retry still gets the first response, byte for byte.
    await world.reserve(first.body)
    await world.settled(first.body, "confirmed")
    again = await world.api.call("POST", ORDERS, customer, json=body, headers=headers)
    assert (again.status, again.raw) == (201, first.raw)
    assert again.headers["Idempotent-Replayed"] == "true"
    # Formatting and key order do not make it another request.
    reordered = await world.api.call(
        "POST",
        ORDERS,
        customer,
        headers=headers,
        data=(
            b'{"payment": {"token": "tok_visa"}, "shipping_address": '
            + _json(ADDRESS)
            + b', "lines": [{"options": {}, "quantity": 1, "listing_id": "'
            + listing["listing_id"].encode()
            + b'"}]}'
        ),
    )
    assert (reordered.status, reordered.raw) == (201, first.raw)

    changed = await world.api.call(
        "POST", ORDERS, customer, headers=headers, json=order_body(line(listing["listing_id"], 2))
    )
    assert (changed.status, changed.body["code"]) == (422, "idempotency_key_reused")
    # The same key on another endpoint is another request too.
    other_path = await world.api.call(
        "POST",
        f"{COMMISSIONS}/{uuid.uuid4()}/accept",
        customer,
        headers=headers,
        json={"shipping_address": ADDRESS, "payment": {"token": "tok_visa"}},
    )
    assert other_path.status == 422 and other_path.body["code"] == "idempotency_key_reused"

    # Keys are per user: another customer's identical key is theirs alone.
    _, other = world.customer()
    theirs = await world.api.call("POST", ORDERS, other, json=body, headers=headers)
    assert theirs.status == 201 and theirs.body["id"] != first.body["id"]

    assert (
        await world.db.fetchval("SELECT count(*) FROM orders.orders WHERE customer_id = $1", customer_id) == 1
    )

    missing = await world.api.call("POST", ORDERS, customer, json=body)
    assert (missing.status, missing.body["code"]) == (400, "idempotency_key_required")
    too_long = await world.api.call(
        "POST", ORDERS, customer, json=body, headers={"Idempotency-Key": "k" * 256}
    )
    assert (too_long.status, too_long.body["code"]) == (400, "idempotency_key_invalid")
    longest = await world.api.call(
        "POST", ORDERS, customer, json=body, headers={"Idempotency-Key": "k" * 255}
    )
    assert longest.status == 201

    # A refused request stores nothing: the key can be used once the body is fixed.
    fixed_key = key()
    refused = await world.api.call(
        "POST", ORDERS, customer, headers=fixed_key, json=order_body(line(uuid.uuid4()))
    )
    assert refused.status == 422
    assert (await world.api.call("POST", ORDERS, customer, headers=fixed_key, json=body)).status == 201


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


async def test_concurrent_requests_with_one_key_place_one_order(world: World) -> None:
    listing = await world.listing()
    customer_id, customer = world.customer()
    body = order_body(line(listing["listing_id"]))
    headers = key()

    responses = await asyncio.gather(
        *(world.api.call("POST", ORDERS, customer, json=body, headers=headers) for _ in range(12))
    )

    statuses = sorted(r.status for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status == 201]
    assert len([r for r in created if "Idempotent-Replayed" not in r.headers]) == 1
    assert len({r.raw for r in created}) == 1
    for conflict in (r for r in responses if r.status == 409):
        assert conflict.body["code"] == "idempotency_request_in_flight"
    assert (
        await world.db.fetchval("SELECT count(*) FROM orders.orders WHERE customer_id = $1", customer_id) == 1
    )
    # Afterwards every retry is a replay.
    again = await world.api.call("POST", ORDERS, customer, json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_the_sweeper_forgets_keys_after_the_retention(world: World) -> None:
    from shared.idempotency import delete_expired

    listing = await world.listing()
    customer_id, customer = world.customer()
    headers = key()
    await world.place(customer, line(listing["listing_id"]))
    first = await world.api.call(
        "POST", ORDERS, customer, json=order_body(line(listing["listing_id"])), headers=headers
    )
    await world.db.execute(
        "UPDATE orders.idempotency_keys SET created_at = now() - interval '25 hours' "
        "WHERE user_id = $1 AND key = $2",
        customer_id,
        headers["Idempotency-Key"],
    )
    await world.db.execute("SET search_path = orders")
    try:
        assert await delete_expired(world.db, 86400) >= 1
    finally:
        await world.db.execute("RESET search_path")
    # Forgotten: the same key now places a new order.
    second = await world.api.call(
        "POST", ORDERS, customer, json=order_body(line(listing["listing_id"])), headers=headers
    )
    assert second.status == 201 and second.body["id"] != first.body["id"]
