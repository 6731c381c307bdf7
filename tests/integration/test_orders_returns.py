"""Returns after delivery through the real orders process, PostgreSQL and RabbitMQ, with the test
standing in for catalogue, makers and the carrier: every refusal code over HTTP (and that it
changes nothing), refund amounts through the sandbox provider (a partial return, a whole parcel
with its shipping), the maker's ledger reversals, concurrent requests for the same line, and
the events published. The window boundaries (day 14 against 15, day 30 against 31) are tested
through the use cases with the clock given, against the same database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import pytest

from services.orders import store, usecases
from services.orders.domain.returns import ReturnReason, ReturnRequestLine
from services.orders.settings import OrdersSettings
from shared.db import UnitOfWork, create_pool
from shared.errors import RulesViolated
from tests.support.broker import drain, tap
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.orders import (
    Api,
    json_connection,
    key,
    known_listing,
    known_maker,
    line,
    listing_snapshot,
    maker_snapshot,
    migrated_orders_environment,
    order_body,
    publish_listing,
    publish_maker,
    publish_reserved,
    running_orders,
)

pytestmark = pytest.mark.timeout(180)

ORDERS = "/api/v1/orders"
RETURNS = "/api/v1/returns"
MAKER_ORDERS = "/api/v1/maker-orders"
CHECKS = {
    "finish_inspected": True,
    "hallmark_verified": True,
    "stones_secure": True,
    "engraving_verified": True,
}
LONDON = ZoneInfo("Europe/London")
ENGRAVING = {
    "ring_size_mm": None,
    "engraving": {"max_chars": 12, "price_delta": {"amount": 1500, "currency": "GBP"}},
    "chain_lengths_cm": None,
}


@pytest.fixture(scope="module")
async def alone(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Environment, OrdersSettings]]:
    async with migrated_orders_environment(tmp_path_factory.mktemp("orders-returns")) as (env, settings):
        yield env, settings


@pytest.fixture(scope="module")
def orders(alone: tuple[Environment, OrdersSettings]) -> Iterator[ServiceProcess]:
    with running_orders(alone[0], "orders-returns") as process:
        yield process


@pytest.fixture(scope="module")
async def db(alone: tuple[Environment, OrdersSettings]) -> AsyncIterator[asyncpg.Connection]:
    async with json_connection(alone[0].database) as conn:
        yield conn


@dataclass
class World:
    api: Api
    db: asyncpg.Connection
    exchange: str

    def operator(self) -> str:
        return self.api.user("operator")[1]

    async def maker(self) -> tuple[str, str]:
        """(maker id, its user's token) of a maker orders knows."""
        data = maker_snapshot()
        await publish_maker(self.exchange, data)
        await known_maker(self.db, data["maker_id"])
        return data["maker_id"], self.api.mint("maker", uuid.UUID(data["user_id"]))

    async def listing(self, maker_id: str, price: int, **overrides: Any) -> str:
        data = listing_snapshot(maker_id=maker_id, price={"amount": price, "currency": "GBP"}, **overrides)
        await publish_listing(self.exchange, data)
        await known_listing(self.db, data["listing_id"])
        return data["listing_id"]

    async def order(self, order_id: str) -> dict[str, Any]:
        return await self.api.ok("GET", f"{ORDERS}/{order_id}", self.operator())

    async def confirmed(self, customer: str, *lines: dict[str, Any]) -> dict[str, Any]:
        """Placed, reserved by catalogue (the test), and confirmed with its payment captured."""
        order = await self.api.ok(
            "POST", ORDERS, customer, status=201, headers=key(), json=order_body(*lines)
        )
        await publish_reserved(self.exchange, order)

        async def settled() -> dict[str, Any] | None:
            current = await self.order(order["id"])
            captured = current["status"] == "confirmed" and current["payment"]["status"] == "captured"
            return current if captured else None

        return await eventually(settled, message="order confirmed and captured")

    async def delivered(self, order: dict[str, Any], *makers: str) -> dict[str, Any]:
        """The first maker orders, one per maker token given (in order), accepted, checked,
        dispatched and delivered."""
        for maker_order, token in zip(order["maker_orders"], makers, strict=False):
            path = f"{MAKER_ORDERS}/{maker_order['id']}"
            await self.api.ok("POST", f"{path}/accept", token)
            await self.api.ok("POST", f"{path}/quality-check", token, json={"passed": True, "checks": CHECKS})
            await self.api.ok(
                "POST", f"{path}/dispatch", token, json={"carrier": "Royal Mail", "tracking_number": "RM1"}
            )
            await self.api.ok("POST", f"{path}/deliver", self.operator())
        return await self.order(order["id"])

    async def delivered_at(self, order: dict[str, Any], at: datetime) -> None:
        """Say the first parcel was delivered `at`: the time that has passed since, for a test."""
        await self.db.execute(
            "UPDATE orders.maker_orders SET data = jsonb_set(data, '{delivered_at}', to_jsonb($2::text)) "
            "WHERE id = $1",
            uuid.UUID(order["maker_orders"][0]["id"]),
            at.isoformat(),
        )

    async def ask(
        self,
        customer: str,
        order: dict[str, Any],
        *lines: tuple[int, int],
        reason: str = "changed_mind",
        status: int = 201,
    ) -> dict[str, Any]:
        body = {
            "lines": [{"line_id": order["lines"][index]["id"], "quantity": qty} for index, qty in lines],
            "reason": reason,
            "note": "Not for me",
        }
        return await self.api.ok(
            "POST", f"{ORDERS}/{order['id']}/returns", customer, status=status, json=body
        )

    async def refunded(self, order: dict[str, Any]) -> int:
        """What the sandbox provider paid back on the order's payment."""
        return await self.db.fetchval(
            "SELECT coalesce(sum(r.amount), 0) FROM orders.sandbox_refunds r "
            "JOIN orders.sandbox_captures c ON c.reference = r.capture_reference "
            "JOIN orders.sandbox_authorisations a ON a.reference = c.authorisation_reference "
            "WHERE a.idempotency_key = $1",
            f"order-{order['id']}-authorise",
        )

    async def ledger(self, maker_order_id: str) -> list[tuple[str, int, int, int]]:
        rows = await self.db.fetch(
            "SELECT kind, gross_amount, commission_amount, net_amount FROM orders.payout_ledger "
            "WHERE maker_order_id = $1 ORDER BY at, kind",
            uuid.UUID(maker_order_id),
        )
        return [tuple(row) for row in rows]

    async def returns_count(self, order_id: str) -> int:
        return await self.db.fetchval(
            "SELECT count(*) FROM orders.returns WHERE order_id = $1", uuid.UUID(order_id)
        )


@pytest.fixture
async def world(
    orders: ServiceProcess, alone: tuple[Environment, OrdersSettings], db: asyncpg.Connection
) -> AsyncIterator[World]:
    env, _ = alone
    issuer = env.token_issuer()
    async with aiohttp.ClientSession() as session:
        yield World(
            Api(session, orders.url, lambda role, user_id=None: issuer.issue(user_id or uuid.uuid4(), role)),
            db,
            f"{env.namespace}.events",
        )


def codes(problem: dict[str, Any]) -> list[str]:
    return sorted(error["code"] for error in problem.get("errors", [])) or [problem["code"]]


# --- over HTTP -----------------------------------------------------------------------------------


async def test_a_partial_return_is_refunded_on_receipt_and_reverses_exactly_those_lines(world: World) -> None:
    maker_id, maker = await world.maker()
    ring = await world.listing(maker_id, 12500, options=ENGRAVING)
    chain = await world.listing(maker_id, 8000)
    _, customer = world.api.user("customer")
    order = await world.delivered(
        await world.confirmed(customer, line(ring, 2, engraving_text="ADA"), line(chain)), maker
    )
    maker_order = order["maker_orders"][0]
    assert maker_order["returns_until"]["changed_mind"] > maker_order["delivered_at"][:10]

    async with tap(world.exchange, "orders.return.#") as events:
        returned = await world.ask(customer, order, (0, 1), reason="faulty")
        assert (returned["status"], returned["refund"], returned["maker_order_id"]) == (
            "requested",
            None,
            maker_order["id"],
        )
        assert returned["lines"][0]["amount"] == {"amount": 14000, "currency": "GBP"}
        # Not their parcel: another maker, or the customer, cannot receive it.
        other_maker = (await world.maker())[1]
        assert (
            await world.api.call("POST", f"{RETURNS}/{returned['id']}/receive", other_maker)
        ).status == 404
        assert (await world.api.call("POST", f"{RETURNS}/{returned['id']}/receive", customer)).status == 403
        received = await world.api.ok("POST", f"{RETURNS}/{returned['id']}/receive", maker)
        assert await world.api.ok("POST", f"{RETURNS}/{returned['id']}/receive", maker) == received  # once
        published = await drain(events, 2)

    assert received["status"] == "refunded"
    # One engraved ring of two: 125.00 + 15.00; no shipping while lines are still with the customer.
    assert received["refund"]["amount"] == {"amount": 14000, "currency": "GBP"}
    assert received["refund"]["shipping"] == {"amount": 0, "currency": "GBP"}
    assert await world.refunded(order) == 14000
    after = await world.order(order["id"])
    assert after["payment"]["status"] == "partially_refunded"
    # The parcel's earning (360.00 less 15%), and a reversal of the 140.00 returned less its 15%.
    assert await world.ledger(maker_order["id"]) == [
        ("earning", 36000, 5400, 30600),
        ("reversal", -14000, -2100, -11900),
    ]
    assert [e["type"] for e in published] == ["orders.return.requested", "orders.return.refunded"]
    assert published[1]["data"]["refund"] == {"amount": 14000, "currency": "GBP"}
    assert published[1]["data"]["net"] == {"amount": -11900, "currency": "GBP"}
    # Each sees it: the customer, its maker, operators; not another customer.
    assert (await world.api.ok("GET", f"{RETURNS}/{returned['id']}", customer))["status"] == "refunded"
    assert (await world.api.ok("GET", f"{RETURNS}?status=refunded", maker))["items"][0]["id"] == returned[
        "id"
    ]
    assert [r["id"] for r in (await world.api.ok("GET", RETURNS, customer))["items"]] == [returned["id"]]
    assert (
        await world.api.call("GET", f"{RETURNS}/{returned['id']}", world.api.user("customer")[1])
    ).status == 404

    # An operator then refunds the whole parcel: only what the return did not already refund.
    await world.api.ok(
        "POST", f"{MAKER_ORDERS}/{maker_order['id']}/refund", world.operator(), json={"reason": "Lost"}
    )
    assert await world.refunded(order) == 36000
    assert (await world.ledger(maker_order["id"]))[2] == ("reversal", -22000, -3300, -18700)


async def test_the_whole_parcel_back_refunds_what_was_paid_and_reverses_the_whole_earning(
    world: World,
) -> None:
    maker_id, maker = await world.maker()
    first, second = await world.listing(maker_id, 1003), await world.listing(maker_id, 1999)
    _, customer = world.api.user("customer")
    order = await world.delivered(await world.confirmed(customer, line(first), line(second, 2)), maker)
    maker_order = order["maker_orders"][0]
    operator = world.operator()

    refunds = []
    for lines in ([(0, 1), (1, 1)], [(1, 1)]):
        returned = await world.ask(customer, order, *lines)
        refunds.append(
            (await world.api.ok("POST", f"{RETURNS}/{returned['id']}/receive", operator))["refund"]
        )

    assert [r["amount"]["amount"] for r in refunds] == [3002, 1999]
    assert [r["shipping"]["amount"] for r in refunds] == [0, 0]  # the parcel's shipping, none today
    assert await world.refunded(order) == 5001 == order["total"]["amount"]
    assert (await world.order(order["id"]))["payment"]["status"] == "refunded"
    ledger = await world.ledger(maker_order["id"])
    assert (
        sum(entry[1] for entry in ledger)
        == sum(entry[2] for entry in ledger)
        == sum(entry[3] for entry in ledger)
        == 0
    )
    # Nothing left to return.
    refused = await world.api.call(
        "POST",
        f"{ORDERS}/{order['id']}/returns",
        customer,
        json={"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "faulty"},
    )
    assert (refused.status, codes(refused.body)) == (422, ["quantity_exceeds_returnable"])


async def test_every_refusal_has_its_code_and_changes_nothing(world: World) -> None:
    maker_id, maker = await world.maker()
    plain = await world.listing(maker_id, 5000)
    engraved = await world.listing(maker_id, 5000, options=ENGRAVING)
    late_maker_id, _ = await world.maker()
    undelivered = await world.listing(late_maker_id, 4000)
    _, customer = world.api.user("customer")
    order = await world.confirmed(
        customer, line(plain), line(engraved, engraving_text="ADA"), line(undelivered)
    )
    order = await world.delivered(order, maker)
    path = f"{ORDERS}/{order['id']}/returns"
    before = await world.returns_count(order["id"])

    async def refusal(
        lines: list[tuple[int, int]], reason: str = "changed_mind", token: str = customer
    ) -> tuple[int, list[str]]:
        body = {
            "lines": [{"line_id": order["lines"][i]["id"], "quantity": q} for i, q in lines],
            "reason": reason,
        }
        response = await world.api.call("POST", path, token, json=body)
        return response.status, codes(response.body)

    assert await refusal([(2, 1)]) == (409, ["not_delivered"])
    assert await refusal([(1, 1)]) == (422, ["return_not_allowed"])
    assert await refusal([(0, 2)]) == (422, ["quantity_exceeds_returnable"])
    assert await refusal([(0, 1), (2, 1)]) == (422, ["one_parcel_per_return"])
    assert await refusal([(0, 1)], reason="bored") == (422, ["enum"])
    assert (await refusal([(0, 1)], token=world.api.user("customer")[1]))[0] == 404
    unknown = await world.api.call(
        "POST",
        path,
        customer,
        json={"lines": [{"line_id": str(uuid.uuid4()), "quantity": 1}], "reason": "faulty"},
    )
    assert (unknown.status, codes(unknown.body)) == (422, ["unknown_line"])
    extra = await world.api.call("POST", path, customer, json={"lines": [], "reason": "faulty", "refund": 1})
    assert extra.status == 422
    # Fifteen days after delivery the change of mind is over; a fault is still in time.
    await world.delivered_at(order, datetime.now(LONDON) - timedelta(days=15))
    assert await refusal([(0, 1)]) == (422, ["return_window_closed"])
    assert await world.returns_count(order["id"]) == before == 0
    assert await world.refunded(order) == 0

    accepted = await world.ask(customer, order, (1, 1), reason="faulty")
    rejected = await world.api.call(
        "POST", f"{RETURNS}/{accepted['id']}/reject", maker, json={"reason": "Worn"}
    )
    assert rejected.status == 403
    blank = await world.api.call(
        "POST", f"{RETURNS}/{accepted['id']}/reject", world.operator(), json={"reason": " "}
    )
    assert (blank.status, codes(blank.body)) == (422, ["reason_required"])
    async with tap(world.exchange, "orders.return.rejected.#") as events:
        rejected_body = await world.api.ok(
            "POST", f"{RETURNS}/{accepted['id']}/reject", world.operator(), json={"reason": "Worn"}
        )
        [event] = await drain(events, 1)
    assert (rejected_body["status"], rejected_body["rejection_reason"], event["data"]["reason"]) == (
        "rejected",
        "Worn",
        "Worn",
    )
    not_received = await world.api.call("POST", f"{RETURNS}/{accepted['id']}/receive", maker)
    assert not_received.status == 409
    assert await world.refunded(order) == 0


async def test_concurrent_requests_for_the_same_line_never_return_more_than_was_bought(world: World) -> None:
    maker_id, maker = await world.maker()
    piece = await world.listing(maker_id, 2000)
    _, customer = world.api.user("customer")
    order = await world.delivered(await world.confirmed(customer, line(piece, 3)), maker)
    body = {"lines": [{"line_id": order["lines"][0]["id"], "quantity": 2}], "reason": "changed_mind"}

    responses = await asyncio.gather(
        *(world.api.call("POST", f"{ORDERS}/{order['id']}/returns", customer, json=body) for _ in range(6))
    )

    assert sorted(r.status for r in responses) == [201] + [422] * 5
    assert {codes(r.body)[0] for r in responses if r.status == 422} == {"quantity_exceeds_returnable"}
    returned = await world.db.fetchval(
        "SELECT sum((l->>'quantity')::int) FROM orders.returns, jsonb_array_elements(data->'lines') l "
        "WHERE order_id = $1",
        uuid.UUID(order["id"]),
    )
    assert returned == 2


# --- the windows, through the use cases with the clock given ------------------------------------


@pytest.fixture(scope="module")
async def pool(alone: tuple[Environment, OrdersSettings]) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(alone[1])
    yield pool
    await pool.close()


@pytest.mark.parametrize(
    ("reason", "last_allowed", "first_refused"),
    [
        ("changed_mind", (2025, 3, 15, 23, 59, 59), (2025, 3, 16, 0, 0, 0)),
        ("faulty", (2025, 3, 31, 23, 59, 59), (2025, 4, 1, 0, 0, 0)),
        ("not_as_described", (2025, 3, 31, 23, 59, 59), (2025, 4, 1, 0, 0, 0)),
    ],
)
async def test_the_window_closes_at_the_end_of_day_14_or_30_after_delivery(
    world: World,
    pool: asyncpg.Pool,
    reason: str,
    last_allowed: tuple[int, ...],
    first_refused: tuple[int, ...],
) -> None:
    maker_id, maker = await world.maker()
    piece = await world.listing(maker_id, 3000)
    customer_id, customer = world.api.user("customer")
    order = await world.delivered(await world.confirmed(customer, line(piece, 2)), maker)
    # Delivered at 18:00 on 1 March 2025 (London, GMT), whatever the real clock says.
    await world.delivered_at(order, datetime(2025, 3, 1, 18, 0, tzinfo=UTC))

    async def request(at: tuple[int, ...]) -> Any:
        async with UnitOfWork(pool, store.PRODUCER) as uow:
            return await usecases.request_return(
                uow,
                order_id=uuid.UUID(order["id"]),
                customer_id=customer_id,
                lines=[ReturnRequestLine(uuid.UUID(order["lines"][0]["id"]), 1)],
                reason=ReturnReason(reason),
                note="",
                now=datetime(*at, tzinfo=LONDON),
            )

    with pytest.raises(RulesViolated) as refused:
        await request(first_refused)
    assert [v.code for v in refused.value.errors] == ["return_window_closed"]
    accepted = await request(last_allowed)
    assert accepted.last_day.isoformat() == ("2025-03-15" if reason == "changed_mind" else "2025-03-31")
    assert await world.returns_count(order["id"]) == 1
