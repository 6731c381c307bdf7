"""The address book through the gateway (routed to orders by /me/addresses), and checkout by a
saved address: the order keeps its own copy. A real orders process, gateway and database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.orders import (
    ADDRESS,
    Api,
    key,
    line,
    listing_snapshot,
    maker_snapshot,
    publish_listing,
    publish_maker,
)

pytestmark = pytest.mark.timeout(120)

ADDRESSES = "/api/v1/me/addresses"
HOME = {
    "name": "Rita Reviewer",
    "line1": "Flat 2",
    "line2": "14 Stonegate",
    "city": "York",
    "postcode": "yo1 8az",
    "country": "GB",
}


@pytest.fixture(scope="module")
def gateway_url(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> str:
    orders = service_processes("orders")
    # Only orders answers here; the gateway needs every service's address to start.
    gateway = service_processes(
        "gateway",
        GATEWAY_MAKERS_URL=orders.url,
        GATEWAY_CATALOGUE_URL=orders.url,
        GATEWAY_ORDERS_URL=orders.url,
        GATEWAY_MEDIA_URL=orders.url,
        GATEWAY_RATE_LIMIT_BURST="1000",
    )
    return gateway.url


@pytest.fixture
async def api(gateway_url: str, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, gateway_url, mint)


def codes(problem: dict[str, Any]) -> set[str]:
    return {error["code"] for error in problem.get("errors", [])} | {problem["code"]}


async def test_a_customer_keeps_lists_and_deletes_addresses(api: Api) -> None:
    _, rita = api.user("customer")
    _, other = api.user("customer")

    saved = await api.ok("POST", ADDRESSES, rita, status=201, json=HOME)
    assert saved == {**HOME, "id": saved["id"], "postcode": "YO1 8AZ"}
    abroad = await api.ok(
        "POST",
        ADDRESSES,
        rita,
        status=201,
        json={**HOME, "line2": None, "postcode": "75001", "country": "FR"},
    )
    assert abroad["postcode"] == "75001"
    listed = await api.ok("GET", ADDRESSES, rita)
    assert [a["id"] for a in listed["items"]] == [saved["id"], abroad["id"]]
    assert listed["next_cursor"] is None

    # Another customer neither sees nor deletes them.
    assert (await api.ok("GET", ADDRESSES, other))["items"] == []
    refused = await api.call("DELETE", f"{ADDRESSES}/{saved['id']}", other)
    assert (refused.status, refused.body["code"]) == (404, "not_found")

    deleted = await api.call("DELETE", f"{ADDRESSES}/{saved['id']}", rita)
    assert (deleted.status, deleted.raw) == (204, b"")
    assert [a["id"] for a in (await api.ok("GET", ADDRESSES, rita))["items"]] == [abroad["id"]]
    again = await api.call("DELETE", f"{ADDRESSES}/{saved['id']}", rita)
    assert again.status == 404


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"postcode": "YO1 8A"}, "postcode_invalid"),
        ({"postcode": "BFPO 123"}, "postcode_invalid"),
        ({"postcode": "75001"}, "postcode_invalid"),  # not a UK postcode, in GB
        ({"country": "UK"}, "invalid_country"),
        ({"country": "gb"}, "invalid_country"),
        ({"line1": "x" * 201}, "string_too_long"),
        ({"name": "   "}, "name_required"),
    ],
)
async def test_bad_addresses_are_refused_and_nothing_is_kept(
    api: Api, change: dict[str, Any], code: str
) -> None:
    _, customer = api.user("customer")
    refused = await api.call("POST", ADDRESSES, customer, json={**HOME, **change})
    assert refused.status == 422
    assert code in codes(refused.body)
    # Each problem is located at its field, for the form to show it there.
    assert [e["loc"][-1] for e in refused.body["errors"]] == [next(iter(change))]
    assert (await api.ok("GET", ADDRESSES, customer))["items"] == []


async def test_the_address_book_is_capped_at_twenty(api: Api) -> None:
    _, customer = api.user("customer")
    for n in range(20):
        await api.ok("POST", ADDRESSES, customer, status=201, json={**HOME, "line1": f"{n} Stonegate"})
    full = await api.call("POST", ADDRESSES, customer, json=HOME)
    assert (full.status, full.body["code"]) == (422, "address_book_full")
    assert len((await api.ok("GET", ADDRESSES, customer))["items"]) == 20


async def test_addresses_are_for_signed_in_customers(api: Api) -> None:
    assert (await api.call("GET", ADDRESSES)).status == 401
    _, maker = api.user("maker")
    assert (await api.call("GET", ADDRESSES, maker)).status == 403
    _, customer = api.user("customer")
    assert (await api.call("GET", "/api/v1/me/elsewhere", customer)).status == 404


@pytest.fixture
async def orders_db(test_env: Environment, services_db: dict) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{test_env.database}")
    yield conn
    await conn.close()


async def _listing(test_env: Environment, db: asyncpg.Connection) -> dict[str, Any]:
    exchange = f"{test_env.namespace}.events"
    maker = maker_snapshot()
    await publish_maker(exchange, maker)
    listing = listing_snapshot(maker_id=maker["maker_id"])
    await publish_listing(exchange, listing)
    await eventually(
        lambda: db.fetchval(
            "SELECT 1 FROM orders.listings l JOIN orders.makers m USING (maker_id) WHERE l.listing_id = $1",
            uuid.UUID(listing["listing_id"]),
        ),
        message="listing and maker read models",
    )
    return listing


async def test_checkout_by_a_saved_address_keeps_a_copy(
    api: Api, test_env: Environment, orders_db: asyncpg.Connection
) -> None:
    listing = await _listing(test_env, orders_db)
    _, rita = api.user("customer")
    saved = await api.ok("POST", ADDRESSES, rita, status=201, json=HOME)
    body = {"lines": [line(listing["listing_id"])], "payment": {"token": "tok_visa"}}

    quote = await api.ok(
        "POST",
        "/api/v1/orders/quote",
        rita,
        json={"lines": body["lines"], "shipping_address_id": saved["id"]},
    )
    order = await api.ok(
        "POST",
        "/api/v1/orders",
        rita,
        status=201,
        headers=key(),
        json={**body, "shipping_address_id": saved["id"]},
    )
    assert order["shipping_address"] == {k: v for k, v in saved.items() if k != "id"}
    assert (order["total"], order["shipping_total"]) == (quote["total"], quote["shipping_total"])

    await api.ok("DELETE", f"{ADDRESSES}/{saved['id']}", rita, status=204)
    kept = await api.ok("GET", f"/api/v1/orders/{order['id']}", rita)
    assert kept["shipping_address"] == order["shipping_address"]


async def test_checkout_names_exactly_one_address_of_ones_own(
    api: Api, test_env: Environment, orders_db: asyncpg.Connection
) -> None:
    listing = await _listing(test_env, orders_db)
    _, rita = api.user("customer")
    _, other = api.user("customer")
    theirs = await api.ok("POST", ADDRESSES, other, status=201, json=HOME)
    body = {"lines": [line(listing["listing_id"])], "payment": {"token": "tok_visa"}}
    before = await orders_db.fetchval("SELECT count(*) FROM orders.orders")

    for address, code in [
        ({}, "shipping_address_choice"),
        ({"shipping_address": ADDRESS, "shipping_address_id": theirs["id"]}, "shipping_address_choice"),
        ({"shipping_address_id": theirs["id"]}, "address_not_found"),
        ({"shipping_address_id": str(uuid.uuid4())}, "address_not_found"),
        ({"shipping_address": {**ADDRESS, "postcode": "EC1N"}}, "postcode_invalid"),
    ]:
        refused = await api.call("POST", "/api/v1/orders", rita, headers=key(), json={**body, **address})
        assert refused.status == 422, (address, refused.body)
        assert code in codes(refused.body), (address, refused.body)
    assert refused.body["errors"][0]["loc"] == ["body", "shipping_address", "postcode"]
    assert await orders_db.fetchval("SELECT count(*) FROM orders.orders") == before
