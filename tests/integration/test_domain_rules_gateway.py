"""Issue 13's domain rules through the gateway, the one entry point, with every real service
behind it (makers, catalogue, orders) against PostgreSQL and RabbitMQ: each refusal answers its
4xx status and stable problem+json code, and changes nothing. Makers reach catalogue and orders
as makers.maker.approved on the bus (the record each rule reads); the makers rules run on makers
created through the gateway. The service-level tests of each rule are in test_catalogue_api/,
test_catalogue_maker_record.py, test_makers_claims.py and test_orders_api/."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.support.catalogue import ring
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.makers import FAIRMINED, profile
from tests.support.orders import Api, key, line, maker_snapshot, order_body, publish_maker
from tests.support.photos import photos_of, ready_photo, start_media

pytestmark = pytest.mark.timeout(180)

LISTINGS = "/api/v1/listings"
ORDERS = "/api/v1/orders"
MAKER_ORDERS = "/api/v1/maker-orders"
COMMISSIONS = "/api/v1/commissions"
MAKERS = "/api/v1/makers"

NATURAL_DIAMOND = {"type": "diamond", "origin": "natural", "carat": 0.5, "count": 2}
LAB_DIAMOND = {"type": "diamond", "origin": "lab_grown", "carat": 0.5}
BRASS = {"metals": [{"metal": "other", "weight_g": 12}], "hallmark": {"status": "not_applicable"}}


@pytest.fixture(scope="module")
def gateway(
    services_db: dict, service_processes: Callable[..., ServiceProcess], workdir: Path
) -> ServiceProcess:
    """makers, catalogue, orders (default settings: GBP only) and media, and the gateway in front."""
    services = {name: service_processes(name, wait=False) for name in ("makers", "catalogue", "orders")}
    media = start_media(service_processes, workdir)
    for process in services.values():
        process.wait_ready()
    return service_processes(
        "gateway",
        GATEWAY_MAKERS_URL=services["makers"].url,
        GATEWAY_CATALOGUE_URL=services["catalogue"].url,
        GATEWAY_ORDERS_URL=services["orders"].url,
        GATEWAY_MEDIA_URL=media.url,
        # Every request of the module comes from one address: no rate limit in the way.
        GATEWAY_RATE_LIMIT_BURST="10000",
        GATEWAY_RATE_LIMIT_PER_S="10000",
    )


@pytest.fixture(scope="module")
async def pg(test_env: Environment, services_db: dict) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{test_env.database}")
    yield conn
    await conn.close()


@dataclass
class Shop:
    api: Api  # the gateway
    db: asyncpg.Connection
    exchange: str
    # Each maker's ready photo (an image id), by the maker's token.
    photos: dict[str, str] = field(default_factory=dict)

    async def maker(self, **overrides: Any) -> tuple[dict[str, Any], str]:
        """(snapshot, token) of a maker approved on the bus and known to catalogue and orders, with
        a photo uploaded through the gateway and made ready by media."""
        data = maker_snapshot(**overrides)
        await publish_maker(self.exchange, data)
        for query in (
            "SELECT 1 FROM catalogue.makers WHERE id = $1",
            "SELECT 1 FROM orders.makers WHERE maker_id = $1",
        ):
            await eventually(
                lambda query=query: self.db.fetchval(query, uuid.UUID(data["maker_id"])),
                message=f"the maker read: {query}",
            )
        token = self.api.mint("maker", uuid.UUID(data["user_id"]))
        self.photos[token] = await ready_photo(self.api.session, self.api.url, token, db=self.db)
        return data, token

    async def draft(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        """A draft of the maker's with their photo, unless the body names its own photos."""
        body = {"photos": photos_of(self.photos[token]), **body}
        return await self.api.ok("POST", LISTINGS, token, status=201, json=body)

    async def published(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        draft = await self.draft(token, body)
        return await self.api.ok("POST", f"{LISTINGS}/{draft['id']}/publish", token)

    async def refused_publish(self, token: str, body: dict[str, Any]) -> tuple[int, str, list[str]]:
        """(status, code, error codes) of publishing a draft of this body; it stays a draft."""
        draft = await self.draft(token, body)
        refused = await self.api.call("POST", f"{LISTINGS}/{draft['id']}/publish", token)
        assert (await self.api.ok("GET", f"{LISTINGS}/{draft['id']}", token))["status"] == "draft"
        return refused.status, refused.body["code"], codes(refused.body)


@pytest.fixture
async def shop(
    gateway: ServiceProcess, pg: asyncpg.Connection, test_env: Environment, mint: Callable[..., str]
) -> AsyncIterator[Shop]:
    async with aiohttp.ClientSession() as session:
        yield Shop(Api(session, gateway.url, mint), pg, f"{test_env.namespace}.events")


def codes(problem: dict[str, Any]) -> list[str]:
    return [error["code"] for error in problem.get("errors", [])]


# --- catalogue: publishing and editing ------------------------------------------------------------


@pytest.mark.parametrize(
    ("maker", "body", "expected"),
    [
        (
            {},
            ring(**BRASS, title="Solid 18ct gold signet", description="Cast in brass."),
            ["misleading_metal_description"],
        ),
        (
            {},
            ring(stones=[LAB_DIAMOND], description="A real diamond on a sterling band."),
            ["misleading_stone_description"],
        ),
        ({}, ring(hallmark={**ring()["hallmark"], "sponsor_mark": "XYZ"}), ["sponsor_mark_not_registered"]),
        ({"works_precious_metals": False}, ring(), ["precious_metals_not_declared"]),
        (
            {"system_of_warranties_attested": False},
            ring(title="Natural diamond signet", stones=[NATURAL_DIAMOND]),
            ["warranty_not_attested"],
        ),
    ],
    ids=["metal", "stone", "sponsor_mark", "precious_metals", "warranty"],
)
async def test_publishing_refusals_through_the_gateway(
    shop: Shop, maker: dict[str, Any], body: dict[str, Any], expected: list[str]
) -> None:
    _, token = await shop.maker(**maker)
    assert await shop.refused_publish(token, body) == (422, expected[0], expected)


async def test_currencies_and_misleading_edits_through_the_gateway(shop: Shop) -> None:
    _, token = await shop.maker()
    for price, code in [("XYZ", "currency_invalid"), ("USD", "currency_not_accepted")]:
        refused = await shop.api.call(
            "POST", LISTINGS, token, json=ring(price={"amount": 15000, "currency": price})
        )
        assert (refused.status, codes(refused.body)) == (422, [code]), price
    assert (await shop.api.ok("GET", f"{LISTINGS}/mine", token))["items"] == []

    listing = await shop.published(token, ring(**BRASS, title="Gold-tone brass signet", description="Brass."))
    path = f"{LISTINGS}/{listing['id']}"
    for patch, code in [
        ({"price": {"amount": 15000, "currency": "XYZ"}}, "currency_invalid"),
        ({"price": {"amount": 15000, "currency": "USD"}}, "currency_not_accepted"),
        ({"title": "Solid 18ct gold signet"}, "misleading_metal_description"),
    ]:
        refused = await shop.api.call("PATCH", path, token, json=patch)
        assert (refused.status, codes(refused.body)) == (422, [code]), patch
    unchanged = await shop.api.ok("GET", path, token)
    assert (unchanged["version"], unchanged["price"], unchanged["title"]) == (
        listing["version"],
        listing["price"],
        listing["title"],
    )


async def test_photo_refusals_through_the_gateway(shop: Shop) -> None:
    _, token = await shop.maker()
    _, other = await shop.maker()
    theirs = photos_of(shop.photos[other])
    refused = await shop.api.call("POST", LISTINGS, token, json=ring(photos=theirs))
    assert (refused.status, codes(refused.body)) == (422, ["photo_not_found"])
    for photos, code in [
        ([], "photos_required"),
        (photos_of(str(uuid.uuid4())), "photo_not_ready"),
        (photos_of(shop.photos[token], alt="ab"), "alt_text_required"),
    ]:
        assert await shop.refused_publish(token, ring(photos=photos)) == (422, code, [code])
    listing = await shop.published(token, ring())
    assert listing["main_photo"]["urls"]["960"].startswith("/media/")
    assert listing["images"] == [listing["main_photo"]["urls"]["960"]]


# --- orders: a sold one-of-a-kind piece, and its quality check ------------------------------------


async def test_a_sold_piece_and_its_quality_check_through_the_gateway(shop: Shop) -> None:
    maker, maker_token = await shop.maker()
    body = ring(
        production={"kind": "one_of_a_kind"},
        options={
            "ring_size_mm": {"min": 48, "max": 60},
            "engraving": {"max_chars": 10, "price_delta": {"amount": 500, "currency": "GBP"}},
        },
    )
    listing = await shop.published(maker_token, body)
    operator = shop.api.mint("operator")

    async def visible_to_orders() -> Any:
        return await shop.db.fetchval(
            "SELECT (snapshot->>'visible')::boolean FROM orders.listings WHERE listing_id = $1",
            uuid.UUID(listing["id"]),
        )

    await eventually(visible_to_orders, message="orders knows the listing")

    customer = shop.api.mint("customer")
    order = await shop.api.ok(
        "POST",
        ORDERS,
        customer,
        status=201,
        headers=key(),
        json=order_body(line(listing["id"], ring_size_mm=55, engraving_text="A&B")),
    )

    async def confirmed() -> Any:
        current = await shop.api.ok("GET", f"{ORDERS}/{order['id']}", operator)
        return current if current["status"] == "confirmed" else None

    order = await eventually(confirmed, message="the order confirmed")

    # Sold: its stock no longer applies.
    path = f"{LISTINGS}/{listing['id']}"

    async def sold() -> Any:
        current = await shop.api.ok("GET", path, maker_token)
        return current if current["status"] == "sold_out" else None

    sold_out = await eventually(sold, message="the piece sold out")
    refused = await shop.api.call(
        "PATCH", path, maker_token, json={"production": {"kind": "one_of_a_kind", "stock": 1}}
    )
    assert (refused.status, refused.body["code"]) == (409, "stock_not_applicable"), refused.body
    after = await shop.api.ok("GET", path, maker_token)
    assert (after["version"], after["stock"]) == (sold_out["version"], sold_out["stock"])

    # The quality check: the 9.5 g of silver must be hallmarked, the engraving and size checked.
    [part] = order["maker_orders"]
    assert part["maker_id"] == maker["maker_id"]
    maker_order = f"{MAKER_ORDERS}/{part['id']}"
    await shop.api.ok("POST", f"{maker_order}/accept", maker_token)
    verified = {"finish_inspected": True, "hallmark_verified": True, "engraving_verified": True}
    for checks, code in [
        ({**verified, "measured_ring_size_mm": 48}, "ring_size_mismatch"),
        ({**verified, "hallmark_verified": False, "measured_ring_size_mm": 55}, "hallmark_not_verified"),
        ({**verified, "engraving_verified": False, "measured_ring_size_mm": 55}, "engraving_not_verified"),
    ]:
        refused = await shop.api.call(
            "POST", f"{maker_order}/quality-check", maker_token, json={"passed": True, "checks": checks}
        )
        assert (refused.status, codes(refused.body)) == (422, [code]), checks
    current = await shop.api.ok("GET", maker_order, maker_token)
    assert (current["status"], current["quality_checks"]) == ("in_production", [])


async def test_a_commission_budget_in_a_currency_not_taken_through_the_gateway(shop: Shop) -> None:
    maker, _ = await shop.maker(accepts_commissions=True)
    customer = shop.api.mint("customer")
    deadline = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    request = {"maker_id": maker["maker_id"], "brief": "A signet ring", "deadline": deadline}
    refused = await shop.api.call(
        "POST", COMMISSIONS, customer, json={**request, "budget": {"amount": 80000, "currency": "USD"}}
    )
    assert (refused.status, codes(refused.body)) == (422, ["currency_not_accepted"])


# --- makers ----------------------------------------------------------------------------------------


async def test_the_makers_rules_through_the_gateway(shop: Shop) -> None:
    operator = shop.api.mint("operator")

    async def submitted() -> tuple[str, str]:
        token = shop.api.mint("maker")
        record = await shop.api.ok("POST", MAKERS, token, status=201, json=profile())
        record = await shop.api.ok("POST", f"{MAKERS}/{record['id']}/submit", token)
        return token, f"{MAKERS}/{record['id']}"

    owner, rejected = await submitted()
    await shop.api.ok(
        "POST", f"{rejected}/review", operator, json={"decision": "reject", "note": "Not handmade"}
    )
    before = await shop.api.ok("GET", rejected, owner)
    too_soon = await shop.api.call("POST", f"{rejected}/reopen", owner)
    assert (too_soon.status, too_soon.body["code"]) == (409, "reapply_too_soon")
    assert await shop.api.ok("GET", rejected, owner) == before

    owner, approved = await submitted()
    await shop.api.ok("POST", f"{approved}/review", operator, json={"decision": "approve", "note": None})
    before = await shop.api.ok("GET", approved, owner)
    http_claim = {**FAIRMINED, "evidence_url": "http://evidence.example.org/fm.pdf"}
    refused = await shop.api.call("PUT", f"{approved}/claims", owner, json=[http_claim])
    assert (refused.status, codes(refused.body)) == (422, ["evidence_url_not_https"])
    assert await shop.api.ok("GET", approved, owner) == before
    creator = shop.api.mint("maker")
    refused = await shop.api.call("POST", MAKERS, creator, json=profile(sourcing_claims=[http_claim]))
    assert (refused.status, codes(refused.body)) == (422, ["evidence_url_not_https"])
