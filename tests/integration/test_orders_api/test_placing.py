"""Placing an order: lines priced server side with their options, the warranty statement,
lines checked against what the listing offers, who may place and read orders, a customer's own
list, the read models keeping the latest version, and only the marketplace's currencies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.orders.domain import SYSTEM_OF_WARRANTIES_STATEMENT
from shared.contracts.catalogue import ListingPriceChanged
from shared.contracts.makers import MakerSuspended
from tests.integration.test_orders_api.support import COMMISSIONS, ORDERS, World, codes
from tests.support.harness import eventually
from tests.support.orders import (
    ADDRESS,
    key,
    line,
    listing_snapshot,
    order_body,
    publish_listing,
    publish_maker,
)

pytestmark = pytest.mark.timeout(180)


# --- placing an order ----------------------------------------------------------------------------


async def test_lines_are_priced_server_side_with_their_options(world: World) -> None:
    maker_a, maker_b = str(uuid.uuid4()), str(uuid.uuid4())
    await world.maker(maker_id=maker_a, system_of_warranties_attested=True)  # the statement needs it
    ring = await world.listing(
        maker_id=maker_a,
        title="Diamond solitaire",
        price={"amount": 120000, "currency": "GBP"},
        has_natural_diamond=True,
        stock_available=1,
        production_kind="one_of_a_kind",
        options={
            "ring_size_mm": {"min": 48.0, "max": 60.5},
            "engraving": {"max_chars": 12, "price_delta": {"amount": 1500, "currency": "GBP"}},
            "chain_lengths_cm": None,
        },
    )
    pendant = await world.listing(
        maker_id=maker_b,
        title="Pendant",
        price={"amount": 4500, "currency": "GBP"},
        production_kind="made_to_order",
        stock_available=None,
        lead_time_days={"min": 5, "max": 10},
        options={"ring_size_mm": None, "engraving": None, "chain_lengths_cm": [40, 45]},
    )
    customer_id, customer = world.customer()

    order = await world.place(
        customer,
        line(ring["listing_id"], ring_size_mm=54.4, engraving_text="For Ada"),
        line(pendant["listing_id"], 2, chain_length_cm=45),
        gift_message="Happy birthday",
    )

    assert order["status"] == "pending"
    assert order["customer_id"] == str(customer_id)
    first, second = order["lines"]
    assert (
        first["unit_price"]["amount"],
        first["engraving_price"]["amount"],
        first["line_total"]["amount"],
    ) == (120000, 1500, 121500)
    assert first["options"] == {"ring_size_mm": 54.4, "engraving_text": "For Ada", "chain_length_cm": None}
    assert first["cancellation_right"] == "exempt_personalised"
    assert second["line_total"] == {"amount": 9000, "currency": "GBP"}
    assert second["cancellation_right"] == "standard"
    assert second["lead_time_days"] == {"min": 5, "max": 10}
    assert order["total"] == {"amount": 130500, "currency": "GBP"}
    assert order["statements"] == [SYSTEM_OF_WARRANTIES_STATEMENT]
    assert order["maker_orders"] == [] and order["cancellation_reason"] is None
    assert [entry["status"] for entry in order["timeline"]] == ["pending"]
    nothing = {"amount": 0, "currency": "GBP"}
    assert order["payment"] == {
        "status": "none",
        "authorised": nothing,
        "captured": nothing,
        "refunded": nothing,
        "authorised_at": None,
        "captured_at": None,
    }
    assert "tok_visa" not in str(order)
    created = datetime.fromisoformat(order["created_at"])
    assert datetime.fromisoformat(order["expires_at"]) - created == timedelta(seconds=900)
    assert order["gift_message"] == "Happy birthday"
    assert order["shipping_address"] == {**ADDRESS, "line2": None}
    assert await world.api.ok("GET", f"{ORDERS}/{order['id']}", customer) == order

    # Without a diamond, no statement.
    plain = await world.listing()
    assert (await world.place(customer, line(plain["listing_id"])))["statements"] == []


async def test_the_warranty_statement_needs_a_natural_diamond_of_a_maker_who_attested(world: World) -> None:
    """Live finding: a maker who never attested sold "Natural diamond studs" and the order
    carried the System of Warranties statement anyway."""
    never, _ = await world.maker(system_of_warranties_attested=False, natural_diamonds=True)
    attested, _ = await world.maker(system_of_warranties_attested=True, natural_diamonds=True)
    _, customer = world.customer()
    for maker, statements in ((never, []), (attested, [SYSTEM_OF_WARRANTIES_STATEMENT])):
        studs = await world.listing(
            maker_id=maker["maker_id"], title="Natural diamond studs", has_natural_diamond=True
        )
        order = await world.place(customer, line(studs["listing_id"]))
        assert order["statements"] == statements
        # The line describes the stone, whoever its maker is and whatever they attested.
        assert [placed["has_natural_diamond"] for placed in order["lines"]] == [True]
    plain = await world.listing(maker_id=attested["maker_id"])
    order = await world.place(customer, line(plain["listing_id"]))
    assert (order["statements"], order["lines"][0]["has_natural_diamond"]) == ([], False)


async def test_lines_are_checked_against_what_the_listing_offers(world: World) -> None:
    ring = await world.listing(
        options={
            "ring_size_mm": {"min": 48, "max": 60},
            "engraving": {"max_chars": 5, "price_delta": None},
            "chain_lengths_cm": None,
        }
    )
    pendant = await world.listing(
        stock_available=3, options={"ring_size_mm": None, "engraving": None, "chain_lengths_cm": [40, 45]}
    )
    hidden = await world.listing(visible=False, status="paused")
    draft = await world.listing(status="draft", visible=False, price=None, production_kind=None)
    _, customer = world.customer()

    async def refused(*lines: dict[str, Any]) -> list[str]:
        problem = await world.place(customer, *lines, status=422)
        return codes(problem)

    assert await refused(line(uuid.uuid4())) == ["listing_unavailable"]
    assert await refused(line(hidden["listing_id"])) == ["listing_unavailable"]
    assert await refused(line(draft["listing_id"])) == ["listing_unavailable"]
    assert await refused(line(ring["listing_id"], ring_size_mm=47.99)) == ["ring_size_out_of_range"]
    assert await refused(line(ring["listing_id"], ring_size_mm=60.01)) == ["ring_size_out_of_range"]
    assert await refused(line(ring["listing_id"])) == ["ring_size_out_of_range"]
    assert await refused(line(ring["listing_id"], ring_size_mm=48, engraving_text="Abcdef")) == [
        "engraving_too_long"
    ]
    assert await refused(line(ring["listing_id"], ring_size_mm=48, engraving_text="A\u202eB")) == [
        "engraving_not_printable"
    ]
    assert await refused(line(ring["listing_id"], ring_size_mm=48, chain_length_cm=40)) == [
        "option_not_offered"
    ]
    assert await refused(line(pendant["listing_id"], chain_length_cm=50)) == ["chain_length_not_offered"]
    assert await refused(line(pendant["listing_id"], 4, chain_length_cm=40)) == ["quantity_invalid"]
    assert await refused(line(pendant["listing_id"], 0, chain_length_cm=40)) == ["quantity_invalid"]
    assert await refused(line(pendant["listing_id"], 11, chain_length_cm=40)) == ["quantity_invalid"]
    assert await refused() == ["order_empty"]
    # Every problem at once, each located.
    problem = await world.place(
        customer, line(uuid.uuid4()), line(pendant["listing_id"], chain_length_cm=50), status=422
    )
    assert [error["loc"] for error in problem["errors"]] == [
        ["lines", 0, "listing_id"],
        ["lines", 1, "options", "chain_length_cm"],
    ]

    # Limits that hold, and empty engraving is no engraving.
    ok = await world.place(customer, line(ring["listing_id"], ring_size_mm=60, engraving_text="Abcde"))
    assert ok["lines"][0]["engraving_price"]["amount"] == 0  # engraving included in the price
    ok = await world.place(customer, line(ring["listing_id"], ring_size_mm=48, engraving_text="  "))
    assert ok["lines"][0]["cancellation_right"] == "standard"

    # Prices and state never come from the client.
    for extra in ({"total": {"amount": 1, "currency": "GBP"}}, {"status": "confirmed"}):
        body = {**order_body(line(pendant["listing_id"], chain_length_cm=40)), **extra}
        response = await world.api.call("POST", ORDERS, customer, headers=key(), json=body)
        assert response.status == 422 and codes(response.body) == ["extra_forbidden"]
    bad_line = {**line(pendant["listing_id"], chain_length_cm=40), "unit_price": {"amount": 1}}
    assert (
        await world.api.call("POST", ORDERS, customer, headers=key(), json=order_body(bad_line))
    ).status == 422
    bad_country = {
        **order_body(line(pendant["listing_id"], chain_length_cm=40)),
        "shipping_address": {**ADDRESS, "country": "XX"},
    }
    assert (await world.api.call("POST", ORDERS, customer, headers=key(), json=bad_country)).status == 422
    malformed = await world.api.call("POST", ORDERS, customer, headers=key(), data=b"{lines:")
    assert (malformed.status, malformed.body["code"]) == (400, "malformed_json")


async def test_who_may_place_and_read_orders(world: World) -> None:
    listing = await world.listing()
    _, customer = world.customer()
    _, other = world.customer()
    order = await world.place(customer, line(listing["listing_id"]))
    path = f"{ORDERS}/{order['id']}"

    assert (await world.api.call("POST", ORDERS, None, headers=key(), json={})).status == 401
    assert (await world.api.call("POST", ORDERS, "not-a-token", headers=key(), json={})).status == 401
    _, maker = world.api.user("maker")
    assert (
        await world.api.call(
            "POST", ORDERS, maker, headers=key(), json=order_body(line(listing["listing_id"]))
        )
    ).status == 403
    assert (await world.api.call("GET", path, other)).status == 404
    assert (await world.api.call("POST", f"{path}/cancel", other)).status == 404
    assert (await world.api.call("GET", path, maker)).status == 403
    assert (await world.api.call("GET", f"{ORDERS}/not-a-uuid", customer)).status == 404
    assert (await world.api.call("GET", f"{ORDERS}/{uuid.uuid4()}", customer)).status == 404
    assert (await world.api.call("GET", path, world.operator())).status == 200


async def test_a_customer_lists_their_own_orders_and_operators_all(world: World) -> None:
    listing = await world.listing()
    _, customer = world.customer()
    _, other = world.customer()
    mine = [await world.place(customer, line(listing["listing_id"])) for _ in range(5)]
    theirs = await world.place(other, line(listing["listing_id"]))

    seen: list[str] = []
    cursor = None
    while True:
        page = await world.api.ok(
            "GET", f"{ORDERS}?limit=2" + (f"&cursor={cursor}" if cursor else ""), customer
        )
        seen += [order["id"] for order in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [order["id"] for order in reversed(mine)]

    everyone = await world.api.ok("GET", f"{ORDERS}?limit=100&status=pending", world.operator())
    assert {theirs["id"], mine[0]["id"]} <= {order["id"] for order in everyone["items"]}
    assert (await world.api.call("GET", f"{ORDERS}?cursor=nonsense", customer)).status == 400
    assert (await world.api.call("GET", f"{ORDERS}?limit=101", customer)).status == 422
    assert (await world.api.call("GET", f"{ORDERS}?status=lost", customer)).status == 422


async def test_the_read_models_keep_the_latest_version(world: World) -> None:
    listing = await world.listing(listing_version=3, price={"amount": 3000, "currency": "GBP"})
    older = {**listing, "listing_version": 2, "price": {"amount": 1000, "currency": "GBP"}}
    stale = await publish_listing(world.exchange, older, ListingPriceChanged)
    await eventually(
        lambda: world.db.fetchval("SELECT 1 FROM orders.inbox WHERE event_id = $1", stale.event_id)
    )
    _, customer = world.customer()
    order = await world.place(customer, line(listing["listing_id"]))
    assert order["total"]["amount"] == 3000

    maker, _ = await world.maker(maker_version=4)
    suspended = await publish_maker(
        world.exchange, {**maker, "maker_version": 3, "status": "suspended"}, MakerSuspended
    )
    await eventually(
        lambda: world.db.fetchval("SELECT 1 FROM orders.inbox WHERE event_id = $1", suspended.event_id)
    )
    assert (
        await world.db.fetchval(
            "SELECT status FROM orders.makers WHERE maker_id = $1", uuid.UUID(maker["maker_id"])
        )
        == "approved"
    )


async def test_only_the_marketplaces_currencies_one_per_order(world: World) -> None:
    """MARKET_CURRENCIES is ["GBP", "EUR"] here. Issue 13's live findings: a commission budget
    in QQQ was accepted; a listing priced in XYZ was sold."""
    maker, maker_token = await world.maker(accepts_commissions=True)
    _, customer = world.customer()
    deadline = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    request = {"maker_id": maker["maker_id"], "brief": "A signet ring", "deadline": deadline}

    for currency, code in (
        ("QQQ", "currency_invalid"),
        ("gbp", "currency_invalid"),
        ("USD", "currency_not_accepted"),
    ):
        refused = await world.api.call(
            "POST", COMMISSIONS, customer, json={**request, "budget": {"amount": 80000, "currency": currency}}
        )
        assert (refused.status, codes(refused.body)) == (422, [code]), currency
    commission = await world.api.ok(
        "POST",
        COMMISSIONS,
        customer,
        status=201,
        json={**request, "budget": {"amount": 80000, "currency": "EUR"}},
    )
    quote = {"lead_time_days": 30, "description": "18ct gold signet"}
    for currency, expected in (
        ("XYZ", ["currency_invalid"]),
        ("USD", ["currency_not_accepted", "currency_mismatch"]),
    ):
        refused = await world.api.call(
            "POST",
            f"{COMMISSIONS}/{commission['id']}/quote",
            maker_token,
            json={**quote, "price": {"amount": 75000, "currency": currency}},
        )
        assert (refused.status, codes(refused.body)) == (422, expected), currency
    quoted = await world.api.ok(
        "POST",
        f"{COMMISSIONS}/{commission['id']}/quote",
        maker_token,
        json={**quote, "price": {"amount": 75000, "currency": "EUR"}},
    )
    assert quoted["quote"]["price"] == {"amount": 75000, "currency": "EUR"}

    # A basket: every line in an accepted currency, and all in the same one.
    pounds = await world.listing(price={"amount": 5000, "currency": "GBP"})
    euros = await world.listing(price={"amount": 6000, "currency": "EUR"})
    dollars = await world.listing(price={"amount": 7000, "currency": "USD"})
    mixed = await world.place(customer, line(pounds["listing_id"]), line(euros["listing_id"]), status=422)
    assert codes(mixed) == ["currency_mismatch"]
    not_taken = await world.place(customer, line(dollars["listing_id"]), status=422)
    assert codes(not_taken) == ["currency_not_accepted"]
    assert (await world.place(customer, line(euros["listing_id"])))["total"] == {
        "amount": 6000,
        "currency": "EUR",
    }

    # A snapshot kept from before currencies were checked cannot be sold, and is no server error.
    xyz = listing_snapshot(price={"amount": 15000, "currency": "GBP"})
    await world.db.execute(
        "INSERT INTO orders.listings (listing_id, maker_id, listing_version, snapshot) "
        "VALUES ($1, $2, 1, $3)",
        uuid.UUID(xyz["listing_id"]),
        uuid.UUID(xyz["maker_id"]),
        {**xyz, "price": {"amount": 15000, "currency": "XYZ"}},
    )
    unsold = await world.place(customer, line(xyz["listing_id"]), status=422)
    assert codes(unsold) == ["listing_unavailable"]
