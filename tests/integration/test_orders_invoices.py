"""References and invoices with the real makers and orders processes over PostgreSQL and
RabbitMQ: makers are onboarded through the makers API (legal name, VAT number), which tells
orders through its events; the test plays catalogue (listing snapshots, the stock reservation).
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.orders.domain import SYSTEM_OF_WARRANTIES_STATEMENT
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.makers import profile
from tests.support.orders import (
    Api,
    json_connection,
    key,
    known_listing,
    line,
    listing_snapshot,
    order_body,
    publish_listing,
    publish_reserved,
)

pytestmark = pytest.mark.timeout(180)

ORDERS = "/api/v1/orders"
MAKER_ORDERS = "/api/v1/maker-orders"
MAKERS = "/api/v1/makers"
REFERENCE = re.compile(r"^FF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
VAT_NUMBER = "GB999999973"


@pytest.fixture(scope="module")
def services(
    services_db: dict, service_processes: Callable[..., ServiceProcess]
) -> dict[str, ServiceProcess]:
    started = {name: service_processes(name, wait=False) for name in ("makers", "orders")}
    for process in started.values():
        process.wait_ready()
    return started


@pytest.fixture(scope="module")
async def pg(test_env: Environment, services_db: dict) -> AsyncIterator[asyncpg.Connection]:
    async with json_connection(test_env.database) as conn:
        yield conn


@dataclass
class Shop:
    orders: Api
    makers: Api
    session: aiohttp.ClientSession
    db: asyncpg.Connection
    exchange: str

    async def maker(self, **record: Any) -> tuple[str, str]:
        """(maker id, token) of a maker approved through the makers API, once orders knows the
        record as it is now."""
        token = self.makers.mint("maker", uuid.uuid4())
        created = await self.makers.ok("POST", MAKERS, token, status=201, json=profile(**record))
        await self.makers.ok("POST", f"{MAKERS}/{created['id']}/submit", token)
        approved = await self.makers.ok(
            "POST",
            f"{MAKERS}/{created['id']}/review",
            self.makers.mint("operator"),
            json={"decision": "approve", "note": None},
        )
        await self.known_to_orders(approved)
        return created["id"], token

    async def known_to_orders(self, record: dict[str, Any]) -> None:
        await eventually(
            lambda: self.db.fetchval(
                "SELECT 1 FROM orders.makers WHERE maker_id = $1 AND maker_version = $2",
                uuid.UUID(record["id"]),
                record["version"],
            ),
            message="orders knows the maker's record",
        )

    async def listing(self, maker_id: str, **overrides: Any) -> dict[str, Any]:
        data = listing_snapshot(maker_id=maker_id, **overrides)
        await publish_listing(self.exchange, data)
        await known_listing(self.db, data["listing_id"])
        return data

    async def confirmed(self, token: str, *lines: dict[str, Any]) -> dict[str, Any]:
        order = await self.orders.ok(
            "POST", ORDERS, token, status=201, headers=key(), json=order_body(*lines)
        )
        await publish_reserved(self.exchange, order)

        async def settled() -> dict[str, Any] | None:
            current = await self.orders.ok("GET", f"{ORDERS}/{order['id']}", token)
            return current if current["status"] == "confirmed" else None

        return await eventually(settled, message="order confirmed")

    async def invoice(self, maker_order_id: str, token: str) -> tuple[int, str, str]:
        """(status, content type, body) of the invoice as this user asks for it."""
        async with self.session.get(
            f"{self.orders.url}{MAKER_ORDERS}/{maker_order_id}/invoice",
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            return response.status, response.content_type, await response.text()


@pytest.fixture
async def shop(
    services: dict[str, ServiceProcess],
    pg: asyncpg.Connection,
    mint: Callable[..., str],
    test_env: Environment,
) -> AsyncIterator[Shop]:
    async with aiohttp.ClientSession() as session:
        yield Shop(
            Api(session, services["orders"].url, mint),
            Api(session, services["makers"].url, mint),
            session,
            pg,
            f"{test_env.namespace}.events",
        )


def text_of(page: str) -> str:
    """The page's words as a reader sees them: the style sheet and tags dropped, entities read,
    white space collapsed."""
    body = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.DOTALL)
    return " ".join(html.unescape(body).split())


async def test_references_invoices_and_vat(shop: Shop) -> None:
    vat_maker, vat_token = await shop.maker(
        legal_name="Ada Smith Jewellery Ltd",
        business_type="company",
        vat_number="gb 999 9999 73",
        natural_diamonds=True,
        system_of_warranties_attested=True,
    )
    plain_maker, plain_token = await shop.maker(legal_name="Bea Jones")
    gold_ring = await shop.listing(
        vat_maker,
        title="Diamond solitaire in 18ct gold",
        price={"amount": 10000, "currency": "GBP"},
        has_natural_diamond=True,
        metals=[{"metal": "gold", "fineness": 750}],
        hallmark={"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "sheffield"},
    )
    silver_band = await shop.listing(
        plain_maker,
        title="Sterling silver band",
        metals=[{"metal": "silver", "fineness": 925}],
        hallmark={"status": "exempt_under_weight"},
    )
    _, customer = shop.orders.user("customer")
    order = await shop.confirmed(
        customer, line(gold_ring["listing_id"], quantity=2), line(silver_band["listing_id"])
    )

    # References: the order's, and each maker order's its own plus -1, -2 in the order's order.
    assert REFERENCE.match(order["reference"])
    assert [(mo["maker_id"], mo["reference"]) for mo in order["maker_orders"]] == [
        (vat_maker, f"{order['reference']}-1"),
        (plain_maker, f"{order['reference']}-2"),
    ]
    [vat_parcel, plain_parcel] = order["maker_orders"]
    mine = await shop.orders.ok("GET", f"{MAKER_ORDERS}/{vat_parcel['id']}", vat_token)
    assert mine["reference"] == f"{order['reference']}-1"
    listed = await shop.orders.ok("GET", MAKER_ORDERS, plain_token)
    assert [mo["reference"] for mo in listed["items"]] == [f"{order['reference']}-2"]

    # Operators find the order by its reference, however it is typed; a customer only their own.
    operator = shop.orders.mint("operator")
    typed = order["reference"].lower().replace("-", " ") + "-2"
    for query in (order["reference"], typed):
        found = await shop.orders.ok("GET", f"{ORDERS}?reference={query}", operator)
        assert [o["id"] for o in found["items"]] == [order["id"]]
    assert (await shop.orders.ok("GET", f"{ORDERS}?reference={order['reference']}", customer))["items"]
    stranger = shop.orders.mint("customer")
    assert (await shop.orders.ok("GET", f"{ORDERS}?reference={order['reference']}", stranger))["items"] == []
    refused = await shop.orders.call("GET", f"{ORDERS}?reference=FF-7K3D-92QU", operator)
    assert refused.status == 422
    assert [e["code"] for e in refused.body["errors"]] == ["reference_invalid"]

    # Who may read an invoice: the customer, the owning maker, operators; nobody else.
    for token in (customer, vat_token, operator):
        status, content_type, _ = await shop.invoice(vat_parcel["id"], token)
        assert (status, content_type) == (200, "text/html")
    for token in (stranger, plain_token):
        status, content_type, _ = await shop.invoice(vat_parcel["id"], token)
        assert (status, content_type) == (404, "application/problem+json")

    # A VAT-registered maker's invoice: legal name, VAT number, the lines, VAT included, the statements.
    _, _, page = await shop.invoice(vat_parcel["id"], customer)
    words = text_of(page)
    assert f"Invoice {order['reference']}-1" in words
    assert "Ada Smith Jewellery Ltd" in words
    assert f"VAT number {VAT_NUMBER}" in words
    assert (
        "Diamond solitaire in 18ct gold Gold 750 (18ct) Hallmarked at Sheffield, sponsor's mark ADS" in words
    )
    assert "2 £100.00 £200.00" in words
    assert "Shipping £0.00" in words
    assert "Total £200.00" in words
    assert "Including VAT at 20% £33.33" in words  # 20000 / 6 = 3333.33
    assert SYSTEM_OF_WARRANTIES_STATEMENT in words
    assert datetime.now(UTC).strftime("%-d %B %Y") in words

    # A maker without a VAT number: no VAT shown at all, and no statement their pieces do not need.
    _, _, page = await shop.invoice(plain_parcel["id"], plain_token)
    words = text_of(page)
    assert "Bea Jones" in words
    assert "Silver 925 (sterling) Exempt from hallmarking" in words
    assert "VAT" not in words
    assert "Total £125.00" in words
    assert SYSTEM_OF_WARRANTIES_STATEMENT not in words


async def test_a_maker_keeps_their_vat_number_current(shop: Shop) -> None:
    maker_id, token = await shop.maker(legal_name="Cai Evans")
    before = await shop.makers.ok("GET", f"{MAKERS}/me", token)
    assert before["vat_number"] is None

    # Not a UK VAT number: refused with the code, nothing changed.
    for bad in ("GB99999997", "GB999999974", "FR999999973"):
        refused = await shop.makers.call(
            "PATCH", f"{MAKERS}/{maker_id}/compliance", token, json={"vat_number": bad}
        )
        assert refused.status == 422
        assert [e["code"] for e in refused.body["errors"]] == ["vat_number_invalid"]
    assert (await shop.makers.ok("GET", f"{MAKERS}/me", token))["version"] == before["version"]

    # Registered for VAT: the number is kept normalised, written in the history, and orders learns it.
    changed = await shop.makers.ok(
        "PATCH", f"{MAKERS}/{maker_id}/compliance", token, json={"vat_number": "GB 100 0000 34"}
    )
    assert (changed["status"], changed["vat_number"]) == ("approved", "GB100000034")
    assert "VAT number none → GB100000034" in changed["history"][-1]["note"]
    await shop.known_to_orders(changed)
    assert (
        await shop.db.fetchval(
            "SELECT vat_number FROM orders.makers WHERE maker_id = $1", uuid.UUID(maker_id)
        )
        == "GB100000034"
    )
    # The public view never shows it.
    public = await shop.makers.ok("GET", f"{MAKERS}/{maker_id}")
    assert "vat_number" not in public and "legal_name" not in public
