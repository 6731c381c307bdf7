"""Makers' shipping profiles over HTTP, with the real makers and orders processes, PostgreSQL and
RabbitMQ: a maker sets their profile (PUT) and anyone reads it (GET) while the maker is approved;
a maker who never set one has the default; bad profiles are refused with their codes and change
nothing; the profile travels in makers' events to the read model orders prices parcels from."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.orders.store.read_models import maker_shipping
from shared.config import ServiceSettings
from shared.contracts.makers import DEFAULT_SHIPPING, MakerShippingData
from shared.db import create_pool
from tests.support.harness import ServiceProcess, eventually
from tests.support.makers import profile
from tests.support.orders import Api

pytestmark = pytest.mark.timeout(180)

MAKERS = "/api/v1/makers"


def rate(
    zone: str, first: int, additional: int, free_over: int | None, days: tuple[int, int]
) -> dict[str, Any]:
    return {
        "zone": zone,
        "first_item": {"amount": first, "currency": "GBP"},
        "additional_item": {"amount": additional, "currency": "GBP"},
        "free_over": None if free_over is None else {"amount": free_over, "currency": "GBP"},
        "transit_days": {"min": days[0], "max": days[1]},
    }


UK_AND_EUROPE = {
    "dispatch_country": "GB",
    "rates": [rate("europe", 1200, 300, None, (3, 7)), rate("uk", 395, 100, 5000, (1, 2))],
}


@pytest.fixture(scope="module")
def processes(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> str:
    """The makers service's URL, with orders running to hear its events."""
    makers, orders = (service_processes(name, wait=False) for name in ("makers", "orders"))
    makers.wait_ready()
    orders.wait_ready()
    return makers.url


@pytest.fixture
async def api(processes: str, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, processes, mint)


@pytest.fixture
async def orders_pool(services_db: dict[str, ServiceSettings]) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(services_db["orders"])
    yield pool
    await pool.close()


async def maker(api: Api, approved: bool = True) -> tuple[str, str]:
    """(maker id, owner token) of a maker made through the API, approved unless told not."""
    token = api.mint("maker", uuid.uuid4())
    created = await api.ok("POST", MAKERS, token, status=201, json=profile())
    if approved:
        await api.ok("POST", f"{MAKERS}/{created['id']}/submit", token)
        decision = {"decision": "approve", "note": None}
        await api.ok("POST", f"{MAKERS}/{created['id']}/review", api.mint("operator"), json=decision)
    return created["id"], token


def codes(problem: dict[str, Any]) -> list[str]:
    return [error["code"] for error in problem["errors"]]


async def test_a_maker_sets_their_profile_and_anyone_reads_it(api: Api) -> None:
    maker_id, token = await maker(api)
    path = f"{MAKERS}/{maker_id}/shipping"
    default = await api.ok("GET", path)
    assert default == DEFAULT_SHIPPING.model_dump(mode="json")
    assert (await api.ok("GET", f"{MAKERS}/{maker_id}"))["shipping"] == ["uk"]

    saved = await api.ok("PUT", path, token, json=UK_AND_EUROPE)
    assert [r["zone"] for r in saved["rates"]] == ["uk", "europe"]
    assert saved["rates"][0]["free_over"] == {"amount": 5000, "currency": "GBP"}
    assert await api.ok("GET", path) == saved
    assert (await api.ok("GET", f"{MAKERS}/{maker_id}"))["shipping"] == ["uk", "europe"]
    assert (await api.ok("GET", f"{MAKERS}/{maker_id}", token))["shipping"] == ["uk", "europe"]


async def test_who_may_set_and_read_a_profile(api: Api) -> None:
    maker_id, token = await maker(api, approved=False)
    path = f"{MAKERS}/{maker_id}/shipping"
    # A draft's profile: its owner sets and reads it, operators read it, nobody else sees it.
    assert (await api.ok("PUT", path, token, json=UK_AND_EUROPE))["dispatch_country"] == "GB"
    assert (await api.ok("GET", path, token))["dispatch_country"] == "GB"
    assert (await api.ok("GET", path, api.mint("operator")))["dispatch_country"] == "GB"
    assert (await api.call("GET", path)).status == 404
    assert (await api.call("GET", path, api.mint("maker"))).status == 404
    # Another maker cannot set it (reported missing); a customer or operator may not at all.
    assert (await api.call("PUT", path, api.mint("maker"), json=UK_AND_EUROPE)).status == 404
    assert (await api.call("PUT", path, api.mint("customer"), json=UK_AND_EUROPE)).status == 403
    assert (await api.call("PUT", path, None, json=UK_AND_EUROPE)).status == 401
    assert (await api.call("GET", f"{MAKERS}/{uuid.uuid4()}/shipping")).status == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"dispatch_country": "GB", "rates": []}, ["shipping_zones_required"]),
        (
            {"dispatch_country": "GB", "rates": [rate("uk", 1, 1, None, (1, 2))] * 2},
            ["shipping_zone_repeated"],
        ),
        ({"dispatch_country": "GB", "rates": [rate("uk", 100, 50, None, (4, 2))]}, ["transit_days_invalid"]),
        ({"dispatch_country": "GB", "rates": [rate("uk", 100, 50, None, (0, 2))]}, ["transit_days_invalid"]),
        (
            {"dispatch_country": "GB", "rates": [rate("uk", -1, 50, None, (1, 2))]},
            ["shipping_amount_negative"],
        ),
        (
            {"dispatch_country": "GB", "rates": [rate("uk", 100, 50, -5, (1, 2))]},
            ["shipping_amount_negative"],
        ),
        ({"dispatch_country": "UK", "rates": [rate("uk", 100, 50, None, (1, 2))]}, ["invalid_country"]),
        (
            {
                "dispatch_country": "GB",
                "rates": [
                    {**rate("uk", 100, 50, None, (1, 2)), "first_item": {"amount": 100, "currency": "EUR"}}
                ],
            },
            ["shipping_currency_mixed"],
        ),
        (
            {
                "dispatch_country": "GB",
                "rates": [
                    {**rate("uk", 100, 0, None, (1, 2)), "first_item": {"amount": 1, "currency": "XYZ"}}
                ],
            },
            ["currency_invalid"],
        ),
    ],
)
async def test_a_bad_profile_is_refused_with_its_code_and_changes_nothing(
    api: Api, body: dict[str, Any], expected: list[str]
) -> None:
    maker_id, token = await maker(api, approved=False)
    path = f"{MAKERS}/{maker_id}/shipping"
    response = await api.call("PUT", path, token, json=body)
    assert (response.status, codes(response.body)) == (422, expected)
    assert await api.ok("GET", path, token) == DEFAULT_SHIPPING.model_dump(mode="json")


async def test_prices_in_a_currency_the_marketplace_does_not_take_are_refused(api: Api) -> None:
    maker_id, token = await maker(api, approved=False)
    euros = {"amount": 900, "currency": "EUR"}
    body = {
        "dispatch_country": "FR",
        "rates": [{**rate("europe", 0, 0, None, (1, 3)), "first_item": euros, "additional_item": euros}],
    }
    response = await api.call("PUT", f"{MAKERS}/{maker_id}/shipping", token, json=body)
    assert (response.status, codes(response.body)) == (422, ["currency_not_accepted"] * 2)
    assert response.body["errors"][0]["loc"] == ["rates", 0, "first_item", "currency"]


async def test_the_profile_reaches_the_read_model_orders_prices_from(
    api: Api, orders_pool: asyncpg.Pool
) -> None:
    maker_id, token = await maker(api)

    async def known_to_orders() -> MakerShippingData | None:
        return await maker_shipping(orders_pool, uuid.UUID(maker_id))

    # The approval's snapshot already carries the default profile.
    assert (
        await eventually(known_to_orders, timeout_s=15, message="orders heard of the maker")
        == DEFAULT_SHIPPING
    )

    await api.ok("PUT", f"{MAKERS}/{maker_id}/shipping", token, json=UK_AND_EUROPE)

    async def updated() -> MakerShippingData | None:
        shipping = await known_to_orders()
        return shipping if shipping != DEFAULT_SHIPPING else None

    shipping = await eventually(updated, timeout_s=15, message="orders heard of the new profile")
    assert shipping is not None
    assert [r.zone for r in shipping.rates] == ["uk", "europe"]
    uk = shipping.rate_for("GB")
    assert uk is not None and (uk.first_item.amount, uk.additional_item.amount) == (395, 100)
    europe = shipping.rate_for("NO")
    assert europe is not None and (europe.transit_days.min, europe.transit_days.max) == (3, 7)
    assert shipping.rate_for("US") is None  # `world` is not listed: not shipped to
