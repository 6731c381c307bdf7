"""What the modules of this package share: the World (the orders service under test, and the
test playing catalogue, makers and users), the paths and the small helpers."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from shared.contracts import Envelope
from shared.contracts.catalogue import StockReservationFailed, StockReserved
from tests.support.api import codes as codes
from tests.support.harness import eventually
from tests.support.orders import (
    Api,
    envelope,
    key,
    listing_snapshot,
    maker_snapshot,
    order_body,
    publish,
    publish_listing,
    publish_maker,
)
from tests.support.waits import blocked_by

ORDERS = "/api/v1/orders"
MAKER_ORDERS = "/api/v1/maker-orders"
COMMISSIONS = "/api/v1/commissions"
PASSING_CHECKS = {"finish_inspected": True, "hallmark_verified": True, "stones_secure": True}


@dataclass
class World:
    """The orders service under test, and the test playing catalogue, makers and users."""

    api: Api
    db: asyncpg.Connection
    exchange: str
    orders_url: str

    def customer(self) -> tuple[uuid.UUID, str]:
        return self.api.user("customer")

    def operator(self) -> str:
        return self.api.user("operator")[1]

    # --- makers and catalogue ---

    async def maker(self, **overrides: Any) -> tuple[dict[str, Any], str]:
        """(snapshot, token of its user) of a maker orders now knows."""
        data = maker_snapshot(**overrides)
        await publish_maker(self.exchange, data)
        await eventually(
            lambda: self.db.fetchval(
                "SELECT maker_version FROM orders.makers WHERE maker_id = $1 AND maker_version = $2",
                uuid.UUID(data["maker_id"]),
                data["maker_version"],
            ),
            message="maker read model",
        )
        return data, self.api.mint("maker", uuid.UUID(data["user_id"]))

    async def listing(self, **overrides: Any) -> dict[str, Any]:
        """The snapshot of a listing orders now knows (at this listing_version)."""
        data = listing_snapshot(**overrides)
        await publish_listing(self.exchange, data)
        await eventually(
            lambda: self.db.fetchval(
                "SELECT 1 FROM orders.listings WHERE listing_id = $1 AND listing_version = $2",
                uuid.UUID(data["listing_id"]),
                data["listing_version"],
            ),
            message="listing read model",
        )
        return data

    async def reserve(self, order: dict[str, Any], prices: dict[str, int] | None = None) -> Envelope:
        """Answer as catalogue: every stock line reserved (at these unit prices, by listing)."""
        prices = prices or {}
        event = StockReserved(
            order_id=order["id"],
            lines=[
                {
                    "line_id": ln["id"],
                    "listing_id": ln["listing_id"],
                    "maker_id": ln["maker_id"],
                    "quantity": ln["quantity"],
                    "unit_price": {
                        **ln["unit_price"],
                        "amount": prices.get(ln["listing_id"], ln["unit_price"]["amount"]),
                    },
                }
                for ln in order["lines"]
                if ln["listing_id"]
            ],
            expires_at=datetime.now(UTC) + timedelta(minutes=15),
        )
        return await publish(self.exchange, envelope(event, "catalogue", order["id"]))

    async def fail_reservation(self, order: dict[str, Any], reason: str = "out_of_stock") -> Envelope:
        event = StockReservationFailed(
            order_id=order["id"],
            lines=[
                {"line_id": ln["id"], "listing_id": ln["listing_id"], "reason": reason}
                for ln in order["lines"]
            ],
        )
        return await publish(self.exchange, envelope(event, "catalogue", order["id"]))

    # --- customers ---

    async def place(
        self, token: str, *lines: dict[str, Any], payment: str = "tok_visa", status: int = 201, **extra: Any
    ) -> dict[str, Any]:
        return await self.api.ok(
            "POST",
            ORDERS,
            token,
            status=status,
            headers=key(),
            json=order_body(*lines, token=payment, **extra),
        )

    async def order(self, order_id: Any) -> dict[str, Any]:
        return await self.api.ok("GET", f"{ORDERS}/{order_id}", self.operator())

    async def settled(self, order: dict[str, Any], status: str) -> dict[str, Any]:
        """The order once it reached `status`."""

        async def reached() -> dict[str, Any] | None:
            current = await self.order(order["id"])
            return current if current["status"] == status else None

        return await eventually(reached, message=f"order {order['id']} {status}")

    async def confirmed(self, token: str, *lines: dict[str, Any]) -> dict[str, Any]:
        order = await self.place(token, *lines)
        await self.reserve(order)
        return await self.settled(order, "confirmed")

    async def consumed(self, event_type: str, outcome: str) -> float:
        """How many events of this type the orders process consumed with this outcome."""
        async with self.api.session.get(self.orders_url + "/metrics") as r:
            text = await r.text()
        pattern = (
            rf'events_consumed_total{{[^}}]*event_type="{re.escape(event_type)}"'
            rf'[^}}]*outcome="{outcome}"[^}}]*}} (\S+)'
        )
        return sum(float(value) for value in re.findall(pattern, text))

    async def long_poll(self, order: dict[str, Any], token: str) -> asyncio.Task[dict[str, Any]]:
        """GET the order with ?wait=20, returned once the request is watching the order's changes.

        The request registers for the order's changes before its first read of the order. With
        the orders table locked, that read waits on the lock where pg_stat_activity shows it;
        once it does, the request is watching, and the lock is let go."""
        holder = await self.db.fetchval("SELECT pg_backend_pid()")
        async with self.db.transaction():
            await self.db.execute("LOCK TABLE orders.orders IN ACCESS EXCLUSIVE MODE")
            waiting = asyncio.create_task(self.api.ok("GET", f"{ORDERS}/{order['id']}?wait=20", token))
            await eventually(
                lambda: blocked_by(self.db, holder, "FROM orders WHERE id = $1"),
                message="the long poll reading the order",
            )
        return waiting

    async def outbox(self, aggregate_id: Any) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            "SELECT envelope FROM orders.outbox WHERE aggregate_id = $1 ORDER BY id", str(aggregate_id)
        )
        return [row["envelope"] for row in rows]


def by_type(envelopes: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in envelopes]


async def _ready_to_dispatch(world: World, maker_token: str, maker_order_id: str) -> dict[str, Any]:
    await world.api.ok("POST", f"{MAKER_ORDERS}/{maker_order_id}/accept", maker_token)
    return await world.api.ok(
        "POST",
        f"{MAKER_ORDERS}/{maker_order_id}/quality-check",
        maker_token,
        json={"passed": True, "checks": PASSING_CHECKS, "notes": ""},
    )
