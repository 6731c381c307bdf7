"""Helpers of the reviews tests: purchases told to the reviews service as orders would tell it
(confirmed, then delivered), makers and images as makers and media would, and a review body."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from shared.contracts import Envelope
from shared.contracts.makers import MakerApproved
from shared.contracts.orders import MakerOrderData, MakerOrderDelivered, OrderConfirmed
from shared.money import Money
from tests.support.harness import eventually
from tests.support.notifications import tell
from tests.support.waits import consumed

GBP = Money(amount=12500, currency="GBP")


async def wait_reviews_consumed(db: asyncpg.Connection, envelope: Envelope) -> None:
    await eventually(lambda: consumed(db, "reviews", envelope.event_id), message=envelope.type)


@dataclass
class Purchase:
    """One maker order of one customer, with its pieces."""

    customer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    maker_id: uuid.UUID = field(default_factory=uuid.uuid4)
    maker_user_id: uuid.UUID = field(default_factory=uuid.uuid4)
    listing_ids: list[uuid.UUID] = field(default_factory=lambda: [uuid.uuid4()])
    maker_order_id: uuid.UUID = field(default_factory=uuid.uuid4)
    order_id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def listing_id(self) -> uuid.UUID:
        return self.listing_ids[0]

    def review(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "maker_order_id": str(self.maker_order_id),
            "listing_id": str(self.listing_id),
            "rating": 5,
            "title": "Beautiful ring",
            "body": "Exactly as pictured and beautifully finished.",
        }
        body.update(overrides)
        return body


async def tell_maker(namespace: str, db: asyncpg.Connection, purchase: Purchase, version: int = 1) -> None:
    event = MakerApproved(
        maker_id=purchase.maker_id,
        user_id=purchase.maker_user_id,
        maker_version=version,
        status="approved",
        handle=f"m{purchase.maker_id.hex[:10]}",
        display_name="Wren Silver",
        sourcing_claims=[],
        hallmarking=None,
        accepts_commissions=True,
        works_precious_metals=True,
        natural_diamonds=False,
    )
    await wait_reviews_consumed(db, await tell(namespace, event, purchase.maker_id, version))


async def confirmed(namespace: str, db: asyncpg.Connection, purchase: Purchase) -> None:
    event = OrderConfirmed(
        order_id=purchase.order_id,
        customer_id=purchase.customer_id,
        total=GBP,
        lines=[],
        maker_orders=[
            MakerOrderData(
                maker_order_id=purchase.maker_order_id,
                maker_id=purchase.maker_id,
                gross=GBP,
                commission=GBP,
                net=GBP,
            )
        ],
    )
    await wait_reviews_consumed(db, await tell(namespace, event, purchase.order_id))


async def delivered(
    namespace: str, db: asyncpg.Connection, purchase: Purchase, at: datetime | None = None
) -> None:
    event = MakerOrderDelivered(
        maker_order_id=purchase.maker_order_id,
        order_id=purchase.order_id,
        maker_id=purchase.maker_id,
        status="delivered",
        at=at or datetime.now(UTC),
        gross=GBP,
        commission=GBP,
        net=GBP,
        customer_id=purchase.customer_id,
        listing_ids=purchase.listing_ids,
    )
    await wait_reviews_consumed(db, await tell(namespace, event, purchase.maker_order_id, 5))


async def delivered_purchase(
    namespace: str, db: asyncpg.Connection, at: datetime | None = None, **fields: Any
) -> Purchase:
    """A maker order confirmed and delivered (at `at`, now by default), its maker known."""
    purchase = Purchase(**fields)
    await tell_maker(namespace, db, purchase)
    await confirmed(namespace, db, purchase)
    await delivered(namespace, db, purchase, at)
    return purchase
