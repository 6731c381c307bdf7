"""A maker approved on the bus may create listings; the listing lifecycle and the events it
publishes; edits that keep a public listing lawful; prices only in the marketplace's
currencies; and stock that cannot apply to a sold one-of-a-kind."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.catalogue import handlers
from shared.contracts.makers import MakerSubmitted, MakerSuspended
from shared.contracts.orders import OrderConfirmed, OrderPlaced, PlacedLineData, StockLineData
from shared.db import UnitOfWork
from shared.money import Money
from tests.integration.test_catalogue_api.support import Api, codes
from tests.support.broker import drain, tap
from tests.support.catalogue import TestMaker, envelope, publish, ring
from tests.support.harness import TestEnvironment as Environment
from tests.support.harness import eventually
from tests.support.waits import consumed, remaining, unsent

pytestmark = pytest.mark.timeout(120)


# --- makers from the bus --------------------------------------------------------------------------


async def test_a_maker_approved_on_the_bus_may_create_listings(
    api: Api, test_env: Environment, catalogue_pool: asyncpg.Pool
) -> None:
    maker = TestMaker()
    token = api.token(maker)
    # Unknown to the catalogue, then submitted but not approved: refused.
    refused = await api.call("POST", "/api/v1/listings", token, json=ring())
    assert (refused.status, refused.body["code"]) == (403, "maker_not_approved")
    await publish(
        test_env.namespace, maker.event(MakerSubmitted, "submitted"), "makers", maker.maker_id, maker.version
    )
    approved = maker.event()
    await publish(test_env.namespace, approved, "makers", maker.maker_id, maker.version)

    async def created() -> Any:
        response = await api.call("POST", "/api/v1/listings", token, json=ring())
        return response.body if response.status == 201 else None

    listing = await eventually(created, timeout_s=10, message="the approval reached catalogue")
    assert (listing["status"], listing["visible"], listing["maker_id"]) == (
        "draft",
        False,
        str(maker.maker_id),
    )
    assert listing["maker"] == {
        "id": str(maker.maker_id),
        "handle": approved.handle,
        "display_name": approved.display_name,
        "evidenced_claims": [],
        "rating": {"average": None, "count": 0},
    }
    assert listing["options"]["ring_size_mm"] == {
        "min": 48.75,
        "max": 60.0,
        "min_uk": "J",
        "max_uk": "S",
        "min_us": 4.75,
        "max_us": 9.25,
    }
    assert listing["stock"] == {"available": 3, "reserved": 0, "sold": 0}
    assert listing["availability"] == "in_stock"
    assert listing["metals"] == [
        {"metal": "silver", "fineness": 925, "colour": None, "weight_g": 9.5, "recycled": True}
    ]

    # An older snapshot arriving late (a suspension at version 1) changes nothing.
    stale = maker.event(MakerSuspended, "suspended").model_copy(update={"maker_version": 1})
    stale_envelope = await publish(test_env.namespace, stale, "makers", maker.maker_id, 1)
    await eventually(
        lambda: consumed(catalogue_pool, "catalogue", stale_envelope.event_id),
        timeout_s=10,
        message="the stale snapshot handled",
    )
    await api.ok("POST", "/api/v1/listings", token, status=201, json=ring())


# --- the lifecycle --------------------------------------------------------------------------------


async def test_the_listing_lifecycle_and_its_events(
    api: Api, maker: TestMaker, test_env: Environment, catalogue_pool: asyncpg.Pool
) -> None:
    owner = api.token(maker)
    async with tap(f"{test_env.namespace}.events", "catalogue.listing.#") as queue:
        draft = await api.draft(maker)
        path = f"/api/v1/listings/{draft['id']}"
        assert (await api.call("GET", path)).status == 404  # a draft is private

        published = await api.ok("POST", f"{path}/publish", owner)
        assert (published["status"], published["visible"]) == ("published", True)
        public = await api.ok("GET", path)
        assert public["id"] == draft["id"] and public["stock"] is None
        assert [d["code"] for d in public["disclosures"]] == ["dealers_notice", "hallmark"]

        edited = await api.ok("PATCH", path, owner, json={"price": {"amount": 13900, "currency": "GBP"}})
        assert edited["price"] == {"amount": 13900, "currency": "GBP"}
        paused = await api.ok("POST", f"{path}/pause", owner)
        assert (paused["status"], paused["visible"]) == ("paused", False)
        assert (await api.call("GET", path)).status == 404
        assert (await api.ok("GET", path, owner))["status"] == "paused"
        await api.ok("POST", f"{path}/publish", owner)
        archived = await api.ok("POST", f"{path}/archive", owner)
        assert archived["status"] == "archived"
        conflict = await api.call("POST", f"{path}/publish", owner)
        assert (conflict.status, conflict.body["current_state"]) == (409, "archived")

        received = [e for e in await drain(queue, 6, timeout_s=15) if e["aggregate_id"] == draft["id"]]

        async def all_published() -> bool:
            return await unsent(catalogue_pool, "catalogue.outbox", aggregate_ids=[draft["id"]]) == 0

        # Any event beyond these is in the tap queue by the time every outbox row is published.
        await eventually(all_published, message="the listing's outbox rows published")
        received += [e for e in await remaining(queue) if e["aggregate_id"] == draft["id"]]
    assert [(e["type"], e["data"]["status"], e["data"]["visible"]) for e in received] == [
        ("catalogue.listing.published", "published", True),
        ("catalogue.listing.updated", "published", True),
        ("catalogue.listing.price_changed", "published", True),
        ("catalogue.listing.paused", "paused", False),
        ("catalogue.listing.published", "published", True),
        ("catalogue.listing.archived", "archived", False),
    ]
    versions = [e["data"]["listing_version"] for e in received]
    assert versions == sorted(versions) and versions[0] == 2
    price_changed = received[2]["data"]
    assert (price_changed["previous_price"], price_changed["price"]) == (
        {"amount": 12500, "currency": "GBP"},
        {"amount": 13900, "currency": "GBP"},
    )
    first = received[0]["data"]
    assert first == {
        "listing_id": draft["id"],
        "maker_id": str(maker.maker_id),
        "listing_version": 2,
        "status": "published",
        "visible": True,
        "title": "Sterling silver signet ring",
        "category": "ring",
        "price": {"amount": 12500, "currency": "GBP"},
        "production_kind": "ready_to_ship",
        "lead_time_days": None,
        "options": {"ring_size_mm": {"min": 48.75, "max": 60.0}, "engraving": None, "chain_lengths_cm": None},
        "has_natural_diamond": False,
        # 9.5 g of silver is over its 7.78 g exemption weight: orders verifies the hallmark.
        "needs_hallmark": True,
        "stock_available": 3,
        # What it is made of and how it is hallmarked, for the invoice.
        "metals": [{"metal": "silver", "fineness": 925}],
        "hallmark": {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "sheffield"},
    }


async def test_edits_keep_a_public_listing_lawful(api: Api, maker: TestMaker) -> None:
    owner = api.token(maker)
    listing = await api.published(maker)
    path = f"/api/v1/listings/{listing['id']}"
    refused = await api.call("PATCH", path, owner, json={"hallmark": {"status": "exempt_under_weight"}})
    assert (refused.status, codes(refused.body)) == (422, ["hallmark_required"])
    assert (await api.ok("GET", path, owner))["version"] == listing["version"]
    for body, code in [
        ({"status": "draft"}, "extra_forbidden"),
        ({"maker_id": str(uuid.uuid4())}, "extra_forbidden"),
        ({"price": {"amount": 12.5}}, "int_type"),
        (
            {"metals": [{"metal": "silver", "fineness": 925, "weight_g": 9.5, "stamp": "x"}]},
            "extra_forbidden",
        ),
    ]:
        response = await api.call("PATCH", path, owner, json=body)
        assert response.status == 422 and code in codes(response.body), (body, response.body)
    kind_change = await api.call("PATCH", path, owner, json={"production": {"kind": "one_of_a_kind"}})
    assert (kind_change.status, kind_change.body["code"]) == (409, "production_kind_locked")
    # Stock edits show straight away, and zero sells a published listing out.
    sold_out = await api.ok("PATCH", path, owner, json={"production": {"kind": "ready_to_ship", "stock": 0}})
    assert (sold_out["status"], sold_out["availability"], sold_out["visible"]) == (
        "sold_out",
        "sold_out",
        True,
    )


async def test_prices_only_in_the_marketplaces_currencies(api: Api, maker: TestMaker) -> None:
    """MARKET_CURRENCIES is ["GBP", "EUR"] here. Issue 13's live finding: a listing priced in XYZ
    was published (and sold)."""
    owner = api.token(maker)

    def engraving_in(currency: str) -> dict[str, Any]:
        return {
            "ring_size_mm": {"min": 48.75, "max": 60},
            "engraving": {"max_chars": 10, "price_delta": {"amount": 500, "currency": currency}},
        }

    for body, code in [
        (ring(price={"amount": 15000, "currency": "XYZ"}), "currency_invalid"),
        (ring(price={"amount": 15000, "currency": "gbp"}), "currency_invalid"),
        (ring(price={"amount": 15000, "currency": "USD"}), "currency_not_accepted"),
        (ring(options=engraving_in("QQQ")), "currency_invalid"),
        (ring(options=engraving_in("USD")), "currency_not_accepted"),
    ]:
        refused = await api.call("POST", "/api/v1/listings", owner, json=body)
        assert (refused.status, codes(refused.body)) == (422, [code]), body
    assert (await api.ok("GET", "/api/v1/listings/mine", owner))["items"] == []
    euros = await api.draft(maker, ring(price={"amount": 15000, "currency": "EUR"}))
    assert euros["price"] == {"amount": 15000, "currency": "EUR"}

    listing = await api.published(maker, ring(options=engraving_in("GBP")))
    path = f"/api/v1/listings/{listing['id']}"
    for patch, code in [
        ({"price": {"amount": 15000, "currency": "XYZ"}}, "currency_invalid"),
        ({"price": {"amount": 15000, "currency": "USD"}}, "currency_not_accepted"),
        ({"options": engraving_in("CHF")}, "currency_not_accepted"),
    ]:
        refused = await api.call("PATCH", path, owner, json=patch)
        assert (refused.status, codes(refused.body)) == (422, [code]), patch
    unchanged = await api.ok("GET", path, owner)
    assert (unchanged["version"], unchanged["price"]) == (listing["version"], listing["price"])
    repriced = await api.ok("PATCH", path, owner, json={"price": {"amount": 13900, "currency": "GBP"}})
    assert repriced["price"] == {"amount": 13900, "currency": "GBP"}


# --- stock that cannot apply ------------------------------------------------------------------------


async def test_restocking_a_sold_one_of_a_kind_is_409(
    api: Api, maker: TestMaker, catalogue_pool: asyncpg.Pool
) -> None:
    """Issue 13: PATCH stock on a sold one-of-a-kind returned 200 and changed nothing."""
    owner = api.token(maker)
    listing = await api.published(maker, ring(production={"kind": "one_of_a_kind"}))
    path = f"/api/v1/listings/{listing['id']}"
    # Just inside: while its one unit is for sale, a count of one is accepted.
    unchanged = await api.ok("PATCH", path, owner, json={"production": {"kind": "one_of_a_kind", "stock": 1}})
    order_id = uuid.uuid4()
    await _sell(catalogue_pool, uuid.UUID(listing["id"]), order_id)
    sold = await api.ok("GET", path, owner)
    assert (sold["status"], sold["stock"]) == ("sold_out", {"available": 0, "reserved": 0, "sold": 1})
    for stock in (1, 2):
        refused = await api.call(
            "PATCH", path, owner, json={"production": {"kind": "one_of_a_kind", "stock": stock}}
        )
        assert (refused.status, refused.body["code"]) == (409, "stock_not_applicable"), refused.body
        assert refused.body["current_state"] == "sold_out"
    after = await api.ok("GET", path, owner)
    assert (after["version"], after["status"], after["stock"]) == (
        sold["version"],
        "sold_out",
        sold["stock"],
    )
    assert unchanged["version"] < sold["version"]


async def _sell(pool: asyncpg.Pool, listing_id: uuid.UUID, order_id: uuid.UUID) -> None:
    """An order for the piece, placed and confirmed, through the catalogue's own handlers."""
    placed = OrderPlaced(
        order_id=order_id,
        customer_id=uuid.uuid4(),
        lines=[
            PlacedLineData(
                line_id=uuid.uuid4(), listing_id=listing_id, quantity=1, unit_price=Money(amount=12500)
            )
        ],
        total=Money(amount=12500),
        expires_at=datetime.now(UTC) + timedelta(minutes=15),
    )
    confirmed = OrderConfirmed(
        order_id=order_id,
        customer_id=placed.customer_id,
        total=Money(amount=12500),
        lines=[StockLineData(listing_id=listing_id, quantity=1)],
        maker_orders=[],
    )
    async with UnitOfWork(pool, "catalogue") as uow:
        await handlers.on_order_placed(
            uow, placed, envelope(placed, "orders", order_id), ttl=timedelta(minutes=20)
        )
    async with UnitOfWork(pool, "catalogue") as uow:
        await handlers.on_order_confirmed(uow, confirmed, envelope(confirmed, "orders", order_id))
