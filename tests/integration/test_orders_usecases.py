"""The orders use cases called directly against the real database, with no HTTP: what each
stores, the events it puts in the outbox, the money it moves through the sandbox provider, and
what it refuses."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.orders import store, usecases
from services.orders.domain import (
    LineOptions,
    Order,
    QualityChecks,
    RequestedLine,
    ShippingAddress,
    Tracking,
)
from services.orders.payments import SandboxPaymentProvider
from services.orders.settings import OrdersSettings
from shared.contracts.catalogue import ListingPublished, StockReserved
from shared.contracts.makers import MakerApproved
from shared.db import UnitOfWork, create_pool
from shared.errors import NotFound, RulesViolated, StateConflict
from tests.support.orders import ADDRESS, listing_snapshot, maker_snapshot

pytestmark = pytest.mark.timeout(60)

PASSING_CHECKS = QualityChecks(finish_inspected=True, hallmark_verified=True)


@dataclass
class Orders:
    """The orders schema as the service's runtime role sees it, and the sandbox provider."""

    pool: asyncpg.Pool
    provider: SandboxPaymentProvider
    settings: OrdersSettings

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.pool, store.PRODUCER)

    async def maker(self) -> tuple[uuid.UUID, uuid.UUID]:
        """An approved maker in the read model: (maker id, their user id)."""
        event = MakerApproved.model_validate(maker_snapshot())
        async with self.uow() as uow:
            await usecases.record_maker(uow, event)
        return event.maker_id, event.user_id

    async def listing(self, maker_id: uuid.UUID, **overrides: Any) -> uuid.UUID:
        event = ListingPublished.model_validate(listing_snapshot(maker_id=str(maker_id), **overrides))
        async with self.uow() as uow:
            await usecases.record_listing(uow, event)
        return event.listing_id

    async def place(self, customer_id: uuid.UUID, *listing_ids: uuid.UUID, token: str = "tok_visa") -> Order:
        async with self.uow() as uow:
            return await usecases.place_order(
                uow,
                customer_id=customer_id,
                lines=[RequestedLine(listing_id, 1, LineOptions()) for listing_id in listing_ids],
                shipping_address=ShippingAddress(**ADDRESS),
                payment_token=token,
                gift_message=None,
                payment_window=timedelta(minutes=15),
            )

    async def confirmed(self, customer_id: uuid.UUID, *listing_ids: uuid.UUID) -> Order:
        """Placed, then catalogue's answer handled as the consumer would: stock reserved at the
        prices shown, payment authorised, split into maker orders."""
        order = await self.place(customer_id, *listing_ids)
        reserved = StockReserved(
            order_id=order.id,
            lines=[
                {
                    "line_id": line.id,
                    "listing_id": line.listing_id,
                    "maker_id": line.maker_id,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                }
                for line in order.stock_lines
            ],
            expires_at=datetime.now(UTC) + timedelta(minutes=15),
        )
        async with self.uow() as uow:
            await usecases.stock_reserved(uow, reserved, provider=self.provider, settings=self.settings)
        confirmed = await store.read_order(self.pool, order.id)
        assert confirmed is not None
        return confirmed

    async def events(self, aggregate_id: uuid.UUID) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT routing_key FROM outbox WHERE aggregate_id = $1 ORDER BY id", str(aggregate_id)
        )
        return [row["routing_key"] for row in rows]

    async def stored(self, order_id: uuid.UUID) -> tuple[Any, ...]:
        row = await self.pool.fetchrow(
            "SELECT status, cancellation_reason, version, compensation_due FROM orders WHERE id = $1",
            order_id,
        )
        return tuple(row) if row else ()

    async def maker_order_status(self, maker_order_id: uuid.UUID) -> str:
        return await self.pool.fetchval("SELECT status FROM maker_orders WHERE id = $1", maker_order_id)

    async def refunded(self, capture_reference: str | None) -> int:
        """What the sandbox provider has paid back of this capture."""
        return await self.pool.fetchval(
            "SELECT coalesce(sum(amount), 0) FROM sandbox_refunds WHERE capture_reference = $1",
            capture_reference,
        )


@pytest.fixture(scope="module")
async def orders(services_db: dict) -> AsyncIterator[Orders]:
    settings = services_db["orders"]
    pool = await create_pool(settings)
    provider_pool = await create_pool(settings, role="payments")
    yield Orders(pool, SandboxPaymentProvider(provider_pool), settings)
    await provider_pool.close()
    await pool.close()


async def test_placing_prices_the_lines_stores_a_pending_order_and_announces_it(orders: Orders) -> None:
    maker_id, _ = await orders.maker()
    listing_id = await orders.listing(maker_id, price={"amount": 8000, "currency": "GBP"})
    customer_id = uuid.uuid4()

    order = await orders.place(customer_id, listing_id, listing_id)

    assert await orders.stored(order.id) == ("pending", None, 1, False)
    found = await store.read_order(orders.pool, order.id)
    assert found is not None and found.customer_id == customer_id
    assert found.total.amount == 16000 and [line.unit_price.amount for line in found.lines] == [8000, 8000]
    assert await orders.events(order.id) == ["orders.order.placed.v1"]


async def test_placing_refuses_a_piece_it_cannot_sell_and_stores_nothing(orders: Orders) -> None:
    maker_id, _ = await orders.maker()
    hidden = await orders.listing(maker_id, visible=False)
    customer_id = uuid.uuid4()

    with pytest.raises(RulesViolated) as refused:
        await orders.place(customer_id, hidden, uuid.uuid4())

    assert [v.code for v in refused.value.errors] == ["listing_unavailable", "listing_unavailable"]
    assert await orders.pool.fetchval("SELECT count(*) FROM orders WHERE customer_id = $1", customer_id) == 0


async def test_catalogues_reservation_confirms_and_splits_the_order(orders: Orders) -> None:
    (maker_a, _), (maker_b, _) = await orders.maker(), await orders.maker()
    listing_a, listing_b = await orders.listing(maker_a), await orders.listing(maker_b)

    order = await orders.confirmed(uuid.uuid4(), listing_a, listing_b)

    assert (order.status, order.payment.status) == ("confirmed", "captured")
    assert {mo.maker_id for mo in order.maker_orders} == {maker_a, maker_b}
    assert await orders.events(order.id) == ["orders.order.placed.v1", "orders.order.confirmed.v1"]
    assert (
        await orders.pool.fetchval(
            "SELECT outcome FROM sandbox_authorisations WHERE idempotency_key = $1",
            order.payment_idempotency_key,
        )
        == "authorised"
    )


async def test_the_customer_cancels_and_is_refunded_in_the_same_unit_of_work(orders: Orders) -> None:
    maker_id, _ = await orders.maker()
    customer_id = uuid.uuid4()
    order = await orders.confirmed(customer_id, await orders.listing(maker_id))

    with pytest.raises(NotFound):  # someone else's order is missing to them
        async with orders.uow() as uow:
            await usecases.cancel_order(uow, orders.provider, order_id=order.id, customer_id=uuid.uuid4())
    async with orders.uow() as uow:
        cancelled = await usecases.cancel_order(
            uow, orders.provider, order_id=order.id, customer_id=customer_id
        )

    assert (cancelled.status, cancelled.payment.status) == ("cancelled", "refunded")
    assert await orders.stored(order.id) == ("cancelled", "customer_cancelled", cancelled.version, False)
    assert await orders.refunded(order.payment.capture_reference) == order.total.amount
    assert await orders.maker_order_status(order.maker_orders[0].id) == "cancelled"
    assert (await orders.events(order.id))[-1] == "orders.order.cancelled.v1"
    assert (await orders.events(order.maker_orders[0].id)) == ["orders.maker_order.cancelled.v1"]


async def test_makers_accept_or_decline_their_own_maker_orders(orders: Orders) -> None:
    (maker_a, user_a), (maker_b, user_b) = await orders.maker(), await orders.maker()
    order = await orders.confirmed(uuid.uuid4(), await orders.listing(maker_a), await orders.listing(maker_b))
    part_a, part_b = order.maker_orders

    with pytest.raises(NotFound):  # another maker's work is missing to them
        async with orders.uow() as uow:
            await usecases.accept_maker_order(
                uow, orders.provider, maker_order_id=part_a.id, maker_user_id=user_b
            )
    async with orders.uow() as uow:
        accepted = await usecases.accept_maker_order(
            uow, orders.provider, maker_order_id=part_a.id, maker_user_id=user_a
        )
    async with orders.uow() as uow:
        declined = await usecases.decline_maker_order(
            uow, orders.provider, maker_order_id=part_b.id, maker_user_id=user_b, reason="No gold left"
        )

    assert accepted.maker_order.status == "in_production"
    assert await orders.maker_order_status(part_a.id) == "in_production"
    assert await orders.maker_order_status(part_b.id) == "declined"
    # Maker B's part is paid back at once; the order goes on with maker A.
    assert declined.order.status == "confirmed" and declined.order.refunds[0].status == "issued"
    assert await orders.refunded(order.payment.capture_reference) == part_b.gross.amount
    assert await orders.events(part_a.id) == ["orders.maker_order.accepted.v1"]
    assert await orders.events(part_b.id) == ["orders.maker_order.declined.v1"]


async def test_quality_check_then_dispatch_and_their_refusals(orders: Orders) -> None:
    maker_id, user_id = await orders.maker()
    order = await orders.confirmed(uuid.uuid4(), await orders.listing(maker_id))
    part = order.maker_orders[0]

    async def step(use_case: Any, **inputs: Any) -> Any:
        async with orders.uow() as uow:
            return await use_case(
                uow, orders.provider, maker_order_id=part.id, maker_user_id=user_id, **inputs
            )

    with pytest.raises(StateConflict) as too_early:
        await step(usecases.dispatch_maker_order, tracking=Tracking("Royal Mail", "RM1"))
    assert too_early.value.code == "quality_check_required"
    await step(usecases.accept_maker_order)
    with pytest.raises(RulesViolated) as inconsistent:
        await step(
            usecases.quality_check_maker_order,
            passed=True,
            checks=QualityChecks(finish_inspected=False),
            notes="",
        )
    assert inconsistent.value.code == "quality_check_inconsistent"
    checked = await step(usecases.quality_check_maker_order, passed=True, checks=PASSING_CHECKS, notes="")
    dispatched = await step(usecases.dispatch_maker_order, tracking=Tracking("Royal Mail", "RM1"))

    assert checked.maker_order.status == "quality_checked"
    assert dispatched.maker_order.tracking == Tracking("Royal Mail", "RM1")
    assert await orders.maker_order_status(part.id) == "dispatched"
    assert await orders.events(part.id) == [
        "orders.maker_order.accepted.v1",
        "orders.maker_order.quality_checked.v1",
        "orders.maker_order.dispatched.v1",
    ]
    # Dispatched: the customer can no longer cancel.
    with pytest.raises(StateConflict) as cancel:
        async with orders.uow() as uow:
            await usecases.cancel_order(
                uow, orders.provider, order_id=order.id, customer_id=order.customer_id
            )
    assert cancel.value.code == "already_dispatched"


async def test_delivery_posts_the_earning_and_a_refund_reverses_it(orders: Orders) -> None:
    maker_id, user_id = await orders.maker()
    order = await orders.confirmed(uuid.uuid4(), await orders.listing(maker_id))
    part = order.maker_orders[0]
    for use_case, inputs in [
        (usecases.accept_maker_order, {}),
        (usecases.quality_check_maker_order, {"passed": True, "checks": PASSING_CHECKS, "notes": ""}),
        (usecases.dispatch_maker_order, {"tracking": Tracking("DPD", "1")}),
    ]:
        async with orders.uow() as uow:
            await use_case(uow, orders.provider, maker_order_id=part.id, maker_user_id=user_id, **inputs)

    with pytest.raises(StateConflict) as not_yet:
        async with orders.uow() as uow:
            await usecases.refund_maker_order(
                uow, orders.provider, maker_order_id=part.id, reason="Too early"
            )
    assert not_yet.value.code == "not_delivered"
    async with orders.uow() as uow:
        delivered = await usecases.deliver_maker_order(uow, orders.provider, maker_order_id=part.id)
    for _ in range(2):  # a second refund of the same part changes nothing
        async with orders.uow() as uow:
            refunded = await usecases.refund_maker_order(
                uow, orders.provider, maker_order_id=part.id, reason="Returned"
            )

    assert delivered.order.status == "completed"
    assert refunded.order.payment.status == "refunded"
    assert await orders.refunded(order.payment.capture_reference) == order.total.amount
    ledger = await orders.pool.fetch(
        "SELECT kind, net_amount FROM payout_ledger WHERE maker_order_id = $1 ORDER BY at", part.id
    )
    assert [(row["kind"], row["net_amount"]) for row in ledger] == [
        ("earning", part.net.amount),
        ("reversal", -part.net.amount),
    ]
    payouts = await usecases.list_payouts(
        orders.pool, maker_id=maker_id, after=None, limit=10, hold=timedelta(days=14)
    )
    assert [line.entry.kind for line in payouts.lines] == ["reversal", "earning"]
    assert [balance.amount for balance in payouts.balances] == [0]
    assert (await orders.events(part.id))[-2:] == [
        "orders.maker_order.delivered.v1",
        "orders.maker_order.refunded.v1",
    ]
