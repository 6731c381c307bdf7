"""Bespoke commissions: from request to a confirmed order, a natural diamond quoted only by a
maker who attested, and commissions declined or withdrawn while open."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.orders.domain import SYSTEM_OF_WARRANTIES_STATEMENT
from tests.integration.test_orders_api.support import COMMISSIONS, World, codes
from tests.support.orders import ADDRESS, key

pytestmark = pytest.mark.timeout(180)


# --- bespoke commissions -------------------------------------------------------------------------


async def test_a_bespoke_commission_from_request_to_a_confirmed_order(world: World) -> None:
    # The quote has a natural diamond: the statement the order prints needs the maker's attestation.
    maker, maker_token = await world.maker(accepts_commissions=True, system_of_warranties_attested=True)
    closed, _ = await world.maker(accepts_commissions=False)
    suspended, _ = await world.maker(status="suspended")
    customer_id, customer = world.customer()
    _, stranger = world.customer()
    deadline = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    request = {
        "maker_id": maker["maker_id"],
        "brief": "A signet ring with our crest",
        "budget": {"amount": 80000, "currency": "GBP"},
        "ring_size_mm": 56,
        "deadline": deadline,
    }

    for refused_maker in (closed["maker_id"], suspended["maker_id"], str(uuid.uuid4())):
        problem = await world.api.ok(
            "POST", COMMISSIONS, customer, status=422, json={**request, "maker_id": refused_maker}
        )
        assert codes(problem) == ["maker_not_accepting_commissions"]
    commission = await world.api.ok("POST", COMMISSIONS, customer, status=201, json=request)
    assert (commission["status"], commission["ring_size_mm"]) == ("requested", 56)
    path = f"{COMMISSIONS}/{commission['id']}"

    _, other_maker = await world.maker()
    quote = {
        "price": {"amount": 75000, "currency": "GBP"},
        "lead_time_days": 30,
        "description": "18ct gold signet, hand engraved",
        "has_natural_diamond": True,
    }
    assert (await world.api.call("POST", f"{path}/quote", other_maker, json=quote)).status == 404
    assert (await world.api.call("GET", path, stranger)).status == 404
    assert (await world.api.call("GET", path, other_maker)).status == 404
    early = await world.api.call(
        "POST",
        f"{path}/accept",
        customer,
        headers=key(),
        json={"shipping_address": ADDRESS, "payment": {"token": "tok_visa"}},
    )
    assert (early.status, early.body["code"]) == (409, "invalid_state")
    quoted = await world.api.ok("POST", f"{path}/quote", maker_token, json=quote)
    assert quoted["status"] == "quoted" and quoted["quote"]["price"]["amount"] == 75000
    assert await world.api.ok("GET", path, maker_token) == quoted
    assert await world.api.ok("GET", path, world.operator()) == quoted

    accept = {"shipping_address": ADDRESS, "payment": {"token": "tok_visa"}}
    missing = await world.api.call("POST", f"{path}/accept", customer, json=accept)
    assert (missing.status, missing.body["code"]) == (400, "idempotency_key_required")
    refused = await world.api.call("POST", f"{path}/accept", stranger, headers=key(), json=accept)
    assert refused.status == 404
    headers = key()
    first = await world.api.call("POST", f"{path}/accept", customer, headers=headers, json=accept)
    assert first.status == 201
    order = first.body
    [bespoke] = order["lines"]
    assert (bespoke["listing_id"], bespoke["commission_id"]) == (None, commission["id"])
    assert (bespoke["cancellation_right"], bespoke["production_kind"]) == ("exempt_personalised", "bespoke")
    assert bespoke["options"]["ring_size_mm"] == 56
    assert order["total"] == {"amount": 75000, "currency": "GBP"}
    assert order["statements"] == [SYSTEM_OF_WARRANTIES_STATEMENT]
    replay = await world.api.call("POST", f"{path}/accept", customer, headers=headers, json=accept)
    assert (replay.status, replay.raw, replay.headers["Idempotent-Replayed"]) == (201, first.raw, "true")
    twice = await world.api.call("POST", f"{path}/accept", customer, headers=key(), json=accept)
    assert (twice.status, twice.body["code"]) == (409, "already_accepted")

    # No stock to reserve: straight to payment, then one maker order with the quoted lead time.
    order = await world.settled(order, "confirmed")
    [maker_order] = order["maker_orders"]
    assert (maker_order["maker_id"], maker_order["lead_time_days"]) == (
        maker["maker_id"],
        {"min": 30, "max": 30},
    )
    assert (maker_order["commission"]["amount"], maker_order["net"]["amount"]) == (11250, 63750)
    accepted = await world.api.ok("GET", path, customer)
    assert (accepted["status"], accepted["order_id"]) == ("accepted", order["id"])
    assert accepted["order_reference"] == order["reference"]
    assert (await world.api.call("POST", f"{path}/withdraw", customer)).status == 409
    assert [e["type"] for e in await world.outbox(commission["id"])] == [
        "orders.commission.requested",
        "orders.commission.quoted",
        "orders.commission.accepted",
    ]
    assert (await world.outbox(commission["id"]))[-1]["data"]["order_id"] == order["id"]
    placed = (await world.outbox(order["id"]))[0]
    assert (placed["type"], placed["data"]["lines"]) == ("orders.order.placed", [])

    mine = await world.api.ok("GET", COMMISSIONS, customer)
    assert [(c["id"], c["order_reference"]) for c in mine["items"]] == [
        (commission["id"], order["reference"])
    ]
    theirs = await world.api.ok("GET", f"{COMMISSIONS}?status=accepted", maker_token)
    assert [c["id"] for c in theirs["items"]] == [commission["id"]]
    assert (await world.api.ok("GET", COMMISSIONS, stranger))["items"] == []
    assert customer_id  # the customer's own id is never sent by the client


async def test_only_a_maker_who_attested_quotes_a_natural_diamond(world: World) -> None:
    maker, maker_token = await world.maker(accepts_commissions=True)  # never attested
    _, customer = world.customer()
    deadline = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    commission = await world.api.ok(
        "POST",
        COMMISSIONS,
        customer,
        status=201,
        json={
            "maker_id": maker["maker_id"],
            "brief": "An engagement ring with a natural diamond",
            "budget": {"amount": 300000, "currency": "GBP"},
            "ring_size_mm": 54,
            "deadline": deadline,
        },
    )
    path = f"{COMMISSIONS}/{commission['id']}"
    quote = {
        "price": {"amount": 250000, "currency": "GBP"},
        "lead_time_days": 45,
        "description": "Platinum solitaire, 0.5ct natural diamond",
    }
    diamond = {**quote, "has_natural_diamond": True}
    refused = await world.api.call("POST", f"{path}/quote", maker_token, json=diamond)
    assert (refused.status, codes(refused.body)) == (422, ["warranty_not_attested"])
    assert (await world.api.ok("GET", path, maker_token))["status"] == "requested"  # nothing changed
    # The same piece quoted without the claim is a quote like any other.
    quoted = await world.api.ok("POST", f"{path}/quote", maker_token, json=quote)
    assert quoted["status"] == "quoted" and quoted["quote"]["has_natural_diamond"] is False


async def test_commissions_are_declined_or_withdrawn_while_open(world: World) -> None:
    maker, maker_token = await world.maker()
    _, customer = world.customer()
    deadline = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    request = {
        "maker_id": maker["maker_id"],
        "brief": "Earrings",
        "deadline": deadline,
        "budget": {"amount": 30000, "currency": "GBP"},
    }

    declined = await world.api.ok("POST", COMMISSIONS, customer, status=201, json=request)
    declined = await world.api.ok(
        "POST", f"{COMMISSIONS}/{declined['id']}/decline", maker_token, json={"reason": "Fully booked"}
    )
    assert (declined["status"], declined["decline_reason"]) == ("declined", "Fully booked")
    assert (await world.api.call("POST", f"{COMMISSIONS}/{declined['id']}/decline", customer)).status == 403

    withdrawn = await world.api.ok("POST", COMMISSIONS, customer, status=201, json=request)
    no_body = await world.api.ok("POST", f"{COMMISSIONS}/{withdrawn['id']}/withdraw", customer)
    assert no_body["status"] == "withdrawn"
    late = await world.api.call(
        "POST",
        f"{COMMISSIONS}/{withdrawn['id']}/quote",
        maker_token,
        json={"price": {"amount": 1, "currency": "GBP"}, "lead_time_days": 1, "description": "x"},
    )
    assert (late.status, late.body["current_state"]) == (409, "withdrawn")

    bad = await world.api.call(
        "POST",
        COMMISSIONS,
        customer,
        json={**request, "deadline": "2001-01-01", "budget": {"amount": 0, "currency": "GBP"}},
    )
    assert bad.status == 422 and set(codes(bad.body)) == {"deadline_in_past", "budget_invalid"}
