"""After confirmation: a customer cancelling until the first dispatch, fulfilment to delivery
and completion with payouts and a refund after delivery, a maker declining their part, and the
quality check's evidence (each check, each ring line against its own size)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from tests.integration.test_orders_api.support import (
    MAKER_ORDERS,
    ORDERS,
    PASSING_CHECKS,
    World,
    _ready_to_dispatch,
    by_type,
    codes,
)
from tests.support.orders import ADDRESS, Response, line

pytestmark = pytest.mark.timeout(180)


async def test_a_customer_cancels_until_the_first_dispatch(world: World) -> None:
    maker, maker_token = await world.maker()
    listing = await world.listing(maker_id=maker["maker_id"], price={"amount": 8000, "currency": "GBP"})
    _, customer = world.customer()

    # Pending: nothing to refund.
    pending = await world.place(customer, line(listing["listing_id"]))
    cancelled = await world.api.ok("POST", f"{ORDERS}/{pending['id']}/cancel", customer)
    assert (cancelled["status"], cancelled["cancellation_reason"]) == ("cancelled", "customer_cancelled")
    assert cancelled["refunds"] == []
    # Cancelling again changes nothing.
    assert await world.api.ok("POST", f"{ORDERS}/{pending['id']}/cancel", customer) == cancelled

    # Confirmed: refunded at once, maker order cancelled, stock released.
    order = await world.confirmed(customer, line(listing["listing_id"]))
    await world.api.ok("POST", f"{MAKER_ORDERS}/{order['maker_orders'][0]['id']}/accept", maker_token)
    cancelled = await world.api.ok("POST", f"{ORDERS}/{order['id']}/cancel", customer)
    assert cancelled["maker_orders"][0]["status"] == "cancelled"
    [refund] = cancelled["refunds"]
    assert (refund["amount"]["amount"], refund["status"], refund["reason"]) == (
        8000,
        "issued",
        "customer_cancelled",
    )
    assert cancelled["payment"]["status"] == "refunded"
    assert (
        await world.db.fetchval(
            "SELECT sum(amount) FROM orders.sandbox_refunds WHERE idempotency_key = $1",
            f"refund-{refund['id']}",
        )
        == 8000
    )
    events = await world.outbox(order["id"])
    assert events[-1]["type"] == "orders.order.cancelled"
    assert events[-1]["data"]["release_lines"] == [{"listing_id": listing["listing_id"], "quantity": 1}]
    assert events[-1]["data"]["refund"] == {"amount": 8000, "currency": "GBP"}
    assert by_type(await world.outbox(order["maker_orders"][0]["id"])) == [
        "orders.maker_order.accepted",
        "orders.maker_order.cancelled",
    ]

    # Dispatched: too late.
    order = await world.confirmed(customer, line(listing["listing_id"]))
    await _ready_to_dispatch(world, maker_token, order["maker_orders"][0]["id"])
    await world.api.ok(
        "POST",
        f"{MAKER_ORDERS}/{order['maker_orders'][0]['id']}/dispatch",
        maker_token,
        json={"carrier": "Royal Mail", "tracking_number": "RM1"},
    )
    refused = await world.api.call("POST", f"{ORDERS}/{order['id']}/cancel", customer)
    assert (refused.status, refused.body["code"]) == (409, "already_dispatched")


async def test_fulfilment_delivery_completion_payouts_and_a_refund_after_delivery(world: World) -> None:
    maker, maker_token = await world.maker()
    ring = await world.listing(
        maker_id=maker["maker_id"],
        price={"amount": 12345, "currency": "GBP"},
        options={
            "ring_size_mm": {"min": 48, "max": 60},
            "engraving": {"max_chars": 10, "price_delta": None},
            "chain_lengths_cm": None,
        },
    )
    _, customer = world.customer()
    order = await world.confirmed(customer, line(ring["listing_id"], ring_size_mm=54, engraving_text="A&B"))
    path = f"{MAKER_ORDERS}/{order['maker_orders'][0]['id']}"
    operator = world.operator()

    listed = await world.api.ok("GET", f"{MAKER_ORDERS}?status=awaiting_acceptance", maker_token)
    assert [mo["id"] for mo in listed["items"]] == [order["maker_orders"][0]["id"]]
    assert listed["items"][0]["shipping_address"]["postcode"] == ADDRESS["postcode"]
    assert listed["items"][0]["lines"][0]["options"]["engraving_text"] == "A&B"

    too_early = await world.api.call(
        "POST", f"{path}/dispatch", maker_token, json={"carrier": "DPD", "tracking_number": "1"}
    )
    assert (too_early.status, too_early.body["code"]) == (409, "quality_check_required")
    accepted = await world.api.ok("POST", f"{path}/accept", maker_token)
    assert accepted["status"] == "in_production"
    assert await world.api.ok("POST", f"{path}/accept", maker_token) == accepted  # no-op

    # A pass must agree with its checks: the engraving verified and the ring measured.
    inconsistent = await world.api.call(
        "POST", f"{path}/quality-check", maker_token, json={"passed": True, "checks": PASSING_CHECKS}
    )
    assert inconsistent.status == 422 and codes(inconsistent.body) == [
        "engraving_not_verified",
        "quality_check_inconsistent",
    ]
    failed = await world.api.ok(
        "POST",
        f"{path}/quality-check",
        maker_token,
        json={"passed": False, "checks": {**PASSING_CHECKS, "stones_secure": False}, "notes": "Claw loose"},
    )
    assert failed["status"] == "in_production"
    assert failed["quality_checks"][-1]["notes"] == "Claw loose"
    still = await world.api.call(
        "POST", f"{path}/dispatch", maker_token, json={"carrier": "DPD", "tracking_number": "1"}
    )
    assert (still.status, still.body["code"]) == (409, "quality_check_required")
    passed = await world.api.ok(
        "POST",
        f"{path}/quality-check",
        maker_token,
        json={
            "passed": True,
            "checks": {**PASSING_CHECKS, "engraving_verified": True, "measured_ring_size_mm": 54.1},
        },
    )
    assert passed["status"] == "quality_checked"
    dispatched = await world.api.ok(
        "POST",
        f"{path}/dispatch",
        maker_token,
        json={"carrier": "Royal Mail", "tracking_number": "RM123456789GB"},
    )
    assert dispatched["tracking"] == {"carrier": "Royal Mail", "tracking_number": "RM123456789GB"}

    assert (await world.api.call("POST", f"{path}/deliver", maker_token)).status == 403
    delivered = await world.api.ok("POST", f"{path}/deliver", operator)
    assert delivered["status"] == "delivered"
    assert await world.api.ok("POST", f"{path}/deliver", operator) == delivered  # no-op
    completed = await world.order(order["id"])
    assert completed["status"] == "completed"
    assert completed["maker_orders"][0]["tracking"]["carrier"] == "Royal Mail"

    payouts = await world.api.ok("GET", "/api/v1/payouts", maker_token)
    [earning] = payouts["items"]
    assert (
        earning["kind"],
        earning["gross"]["amount"],
        earning["commission"]["amount"],
        earning["net"]["amount"],
    ) == ("earning", 12345, 1852, 10493)
    assert payouts["balance"] == {"amount": 10493, "currency": "GBP"}

    # A refund after delivery: the customer is paid back, the ledger gets a reversal.
    assert (await world.api.call("POST", f"{path}/refund", maker_token, json={"reason": "x"})).status == 403
    refunded = await world.api.ok("POST", f"{path}/refund", operator, json={"reason": "Returned: scratched"})
    assert (refunded["status"], refunded["refund_reason"]) == ("delivered", "Returned: scratched")
    assert await world.api.ok("POST", f"{path}/refund", operator, json={"reason": "Again"}) == refunded
    after = await world.order(order["id"])
    assert after["status"] == "completed"
    assert [(r["reason"], r["status"], r["amount"]["amount"]) for r in after["refunds"]] == [
        ("after_delivery", "issued", 12345)
    ]
    assert after["payment"]["status"] == "refunded"
    payouts = await world.api.ok("GET", "/api/v1/payouts", maker_token)
    assert [(item["kind"], item["net"]["amount"]) for item in payouts["items"]] == [
        ("reversal", -10493),
        ("earning", 10493),
    ]
    assert payouts["balance"] == {"amount": 0, "currency": "GBP"}
    assert await world.api.ok("GET", f"/api/v1/payouts?maker_id={maker['maker_id']}", operator) == payouts
    assert (await world.api.call("GET", "/api/v1/payouts", operator)).status == 422
    # The ledger is append-only, even for the database owner's app role.
    with pytest.raises(asyncpg.RaiseError):
        await world.db.execute(
            "UPDATE orders.payout_ledger SET net_amount = 0 WHERE maker_id = $1", uuid.UUID(maker["maker_id"])
        )

    assert by_type(await world.outbox(order["maker_orders"][0]["id"])) == [
        "orders.maker_order.accepted",
        "orders.maker_order.quality_checked",
        "orders.maker_order.quality_checked",
        "orders.maker_order.dispatched",
        "orders.maker_order.delivered",
        "orders.maker_order.refunded",
    ]
    assert by_type(await world.outbox(order["id"]))[-1] == "orders.order.completed"

    # A refund before delivery is not this endpoint's job.
    other = await world.confirmed(customer, line(ring["listing_id"], ring_size_mm=50))
    early = await world.api.call(
        "POST", f"{MAKER_ORDERS}/{other['maker_orders'][0]['id']}/refund", operator, json={"reason": "x"}
    )
    assert (early.status, early.body["code"]) == (409, "not_delivered")


async def test_a_maker_declining_refunds_their_part(world: World) -> None:
    (maker_a, token_a), (maker_b, token_b) = await world.maker(), await world.maker()
    a = await world.listing(maker_id=maker_a["maker_id"], price={"amount": 1000, "currency": "GBP"})
    b = await world.listing(maker_id=maker_b["maker_id"], price={"amount": 2000, "currency": "GBP"})
    _, customer = world.customer()
    order = await world.confirmed(customer, line(a["listing_id"]), line(b["listing_id"]))
    part_a, part_b = (mo["id"] for mo in order["maker_orders"])

    # Another maker's maker order is not there for them.
    assert (await world.api.call("POST", f"{MAKER_ORDERS}/{part_b}/accept", token_a)).status == 404
    assert (await world.api.call("GET", f"{MAKER_ORDERS}/{part_b}", token_a)).status == 404
    assert (await world.api.call("GET", f"{MAKER_ORDERS}/{part_b}", customer)).status == 403
    no_reason = await world.api.call(
        "POST", f"{MAKER_ORDERS}/{part_b}/decline", token_b, json={"reason": " "}
    )
    assert no_reason.status == 422 and codes(no_reason.body) == ["decline_reason_required"]

    declined = await world.api.ok(
        "POST", f"{MAKER_ORDERS}/{part_b}/decline", token_b, json={"reason": "Out of materials"}
    )
    assert (declined["status"], declined["decline_reason"]) == ("declined", "Out of materials")
    order = await world.order(order["id"])
    assert order["status"] == "confirmed"
    [refund] = order["refunds"]
    assert (refund["amount"]["amount"], refund["maker_order_id"], refund["status"]) == (
        2000,
        part_b,
        "issued",
    )
    [declined_event] = [e for e in await world.outbox(part_b) if e["type"] == "orders.maker_order.declined"]
    assert declined_event["data"]["release_lines"] == [{"listing_id": b["listing_id"], "quantity": 1}]
    assert declined_event["data"]["refund"] == {"amount": 2000, "currency": "GBP"}
    assert declined_event["data"]["status"] == "declined"

    # The rest delivered completes the order; B earns nothing.
    await _ready_to_dispatch(world, token_a, part_a)
    await world.api.ok(
        "POST",
        f"{MAKER_ORDERS}/{part_a}/dispatch",
        token_a,
        json={"carrier": "DPD", "tracking_number": "15501"},
    )
    await world.api.ok("POST", f"{MAKER_ORDERS}/{part_a}/deliver", world.operator())
    assert (await world.order(order["id"]))["status"] == "completed"
    assert (await world.api.ok("GET", "/api/v1/payouts", token_b))["items"] == []

    # Every maker declining cancels the order.
    order = await world.confirmed(customer, line(a["listing_id"]), line(b["listing_id"]))
    for maker_order, token in zip(order["maker_orders"], (token_a, token_b), strict=True):
        await world.api.ok(
            "POST", f"{MAKER_ORDERS}/{maker_order['id']}/decline", token, json={"reason": "Cannot make it"}
        )
    order = await world.order(order["id"])
    assert (order["status"], order["cancellation_reason"]) == ("cancelled", "maker_declined")
    assert sum(r["amount"]["amount"] for r in order["refunds"]) == 3000
    assert order["payment"]["status"] == "refunded"
    assert (await world.outbox(order["id"]))[-1]["data"]["release_stock"] is False


async def test_a_passed_quality_check_needs_the_evidence_of_each_check(world: World) -> None:
    """Issue 13's live findings: a ring measured at 48 mm passed on a 55 mm order, and 25 g of
    gold passed with `hallmark_verified` left out."""
    maker, maker_token = await world.maker()
    ring = await world.listing(
        maker_id=maker["maker_id"],
        title="18ct gold band, 25 g",
        needs_hallmark=True,
        options={
            "ring_size_mm": {"min": 48, "max": 60},
            "engraving": {"max_chars": 10, "price_delta": None},
            "chain_lengths_cm": None,
        },
    )
    _, customer = world.customer()
    order = await world.confirmed(customer, line(ring["listing_id"], ring_size_mm=55, engraving_text="A&B"))
    path = f"{MAKER_ORDERS}/{order['maker_orders'][0]['id']}"
    await world.api.ok("POST", f"{path}/accept", maker_token)

    async def check(**checks: Any) -> Response:
        return await world.api.call(
            "POST",
            f"{path}/quality-check",
            maker_token,
            json={"passed": True, "checks": {"finish_inspected": True, **checks}},
        )

    everything_missing = await check(measured_ring_size_mm=48)
    assert everything_missing.status == 422
    assert codes(everything_missing.body) == [
        "hallmark_not_verified",
        "engraving_not_verified",
        "ring_size_mismatch",
    ]
    verified = {"hallmark_verified": True, "engraving_verified": True}
    for measured in (54.499, 55.501):
        refused = await check(**verified, measured_ring_size_mm=measured)
        assert (refused.status, codes(refused.body)) == (422, ["ring_size_mismatch"])
    unhallmarked = await check(engraving_verified=True, measured_ring_size_mm=55)
    assert (unhallmarked.status, codes(unhallmarked.body)) == (422, ["hallmark_not_verified"])
    unengraved = await check(hallmark_verified=True, engraving_verified=False, measured_ring_size_mm=55)
    assert (unengraved.status, codes(unengraved.body)) == (422, ["engraving_not_verified"])
    current = await world.api.ok("GET", path, maker_token)
    assert (current["status"], current["quality_checks"]) == ("in_production", [])

    # Exactly 0.5 mm from the ordered size passes.
    passed = await check(**verified, measured_ring_size_mm=54.5)
    assert passed.status == 200 and passed.body["status"] == "quality_checked"


async def test_each_ring_line_is_measured_against_its_own_size(world: World) -> None:
    """Two rings in one parcel, 50 and 60 mm: one measurement of 50 mm passed both before."""
    maker, maker_token = await world.maker()
    sizes = {"ring_size_mm": {"min": 48, "max": 62}, "engraving": None, "chain_lengths_cm": None}
    stacking = await world.listing(maker_id=maker["maker_id"], title="Stacking ring", options=sizes)
    signet = await world.listing(maker_id=maker["maker_id"], title="Signet ring", options=sizes)
    _, customer = world.customer()
    order = await world.confirmed(
        customer,
        line(stacking["listing_id"], ring_size_mm=50),
        line(signet["listing_id"], ring_size_mm=60),
    )
    maker_order = order["maker_orders"][0]
    path = f"{MAKER_ORDERS}/{maker_order['id']}"
    await world.api.ok("POST", f"{path}/accept", maker_token)
    ids = {placed["title"]: placed["id"] for placed in order["lines"]}

    async def check(**checks: Any) -> Response:
        body = {"passed": True, "checks": {"finish_inspected": True, **checks}}
        return await world.api.call("POST", f"{path}/quality-check", maker_token, json=body)

    one = await check(measured_ring_size_mm=50)
    assert (one.status, codes(one.body)) == (422, ["ring_size_mismatch"])
    assert ids["Signet ring"] in one.body["errors"][0]["msg"]
    wrong = await check(
        measured_ring_sizes_mm=[
            {"line_id": ids["Stacking ring"], "mm": 50},
            {"line_id": ids["Signet ring"], "mm": 50},
        ]
    )
    assert (wrong.status, codes(wrong.body)) == (422, ["ring_size_mismatch"])
    assert wrong.body["errors"][0]["loc"][-3:] == ["measured_ring_sizes_mm", 1, "mm"]

    each = [{"line_id": ids["Stacking ring"], "mm": 50.2}, {"line_id": ids["Signet ring"], "mm": 59.6}]
    passed = await check(measured_ring_sizes_mm=each)
    assert (passed.status, passed.body["status"]) == (200, "quality_checked")
    assert passed.body["quality_checks"][-1]["checks"]["measured_ring_sizes_mm"] == each
