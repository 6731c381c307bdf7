"""Helpers of the notifications tests: people and makers told to the service as the gateway and
the makers service would (over the broker), and events of orders published as orders would."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from shared.contracts import Envelope, Event
from shared.contracts.identity import PasswordResetRequested, UserRegistered, VerificationRequested
from shared.contracts.makers import MakerApproved, MakerSnapshotEvent
from shared.contracts.orders import MakerOrderData, OrderConfirmed, ReceiptLineData, StockLineData
from shared.money import Money
from tests.support.catalogue import publish
from tests.support.harness import ServiceProcess, eventually
from tests.support.smtp import SmtpCatcher
from tests.support.waits import consumed

# The storefront's address in the tests' emails: their links start with it.
PUBLIC_URL = "https://shop.example"


def start_notifications(
    service_processes: Callable[..., ServiceProcess], smtp_server: SmtpCatcher
) -> ServiceProcess:
    """The notifications service (every role) sending to `smtp_server`, its links under PUBLIC_URL."""
    return service_processes("notifications", MARKET_PUBLIC_URL=PUBLIC_URL, **smtp_server.env)


@dataclass
class Person:
    email: str
    name: str
    role: str = "customer"
    user_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Maker:
    person: Person
    name: str
    maker_id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0


def person(role: str = "customer", name: str = "Ada Lovelace") -> Person:
    return Person(email=f"{role}-{uuid.uuid4().hex[:10]}@example.com", name=name, role=role)


async def tell(namespace: str, event: Event, aggregate_id: Any, version: int = 0) -> Envelope:
    """Publish `event` as its producer (the first part of its type) would."""
    return await publish(namespace, event, event.event_type.split(".")[0], aggregate_id, version)


async def wait_consumed(db: asyncpg.Connection, envelope: Envelope) -> None:
    await eventually(lambda: consumed(db, "notifications", envelope.event_id), message=envelope.type)


def skipped_as_duplicate(process: ServiceProcess, event_id: uuid.UUID) -> bool:
    """Whether `process` received a copy of this event and acknowledged it without handling it
    again (its `event_consumed` log line says `duplicate`)."""
    for line in process.logs().splitlines():
        if '"event_consumed"' in line and str(event_id) in line:
            entry = json.loads(line)
            if entry.get("event_id") == str(event_id) and entry.get("outcome") == "duplicate":
                return True
    return False


async def register(namespace: str, db: asyncpg.Connection, who: Person) -> Envelope:
    """The gateway's word that `who` has an account; returns once notifications knows them."""
    sent = await tell(
        namespace,
        UserRegistered(
            user_id=who.user_id, email=who.email, display_name=who.name, role=who.role, email_verified=False
        ),
        who.user_id,
    )
    await wait_consumed(db, sent)
    return sent


def verification(who: Person, token: str = "tok-en_123") -> VerificationRequested:
    return VerificationRequested(
        user_id=who.user_id,
        email=who.email,
        display_name=who.name,
        token=token,
        expires_at=datetime.now(UTC) + timedelta(hours=48),
    )


def password_reset(
    who: Person, token: str = "r3set", expires_at: datetime = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
) -> PasswordResetRequested:
    return PasswordResetRequested(
        user_id=who.user_id, email=who.email, display_name=who.name, token=token, expires_at=expires_at
    )


def maker_snapshot(
    maker: Maker, event: type[MakerSnapshotEvent] = MakerApproved, status: str = "approved"
) -> Any:
    maker.version += 1
    return event(
        maker_id=maker.maker_id,
        user_id=maker.person.user_id,
        maker_version=maker.version,
        status=status,
        handle=f"m{maker.maker_id.hex[:8]}",
        display_name=maker.name,
        sourcing_claims=[],
        hallmarking=None,
        accepts_commissions=True,
        works_precious_metals=True,
        natural_diamonds=False,
    )


async def approved_maker(namespace: str, db: asyncpg.Connection, name: str = "Wren Silver") -> Maker:
    """A maker with an account, approved, known to notifications."""
    maker = Maker(person(role="maker", name="Robin Wren"), name)
    await register(namespace, db, maker.person)
    await wait_consumed(db, await tell(namespace, maker_snapshot(maker), maker.maker_id, maker.version))
    return maker


async def customer_and_makers(
    namespace: str, db: asyncpg.Connection, makers: int = 1
) -> tuple[Person, list[Maker]]:
    """A customer and `makers` approved makers ("Maker 1", "Maker 2", …), all known to notifications."""
    customer = person()
    await register(namespace, db, customer)
    return customer, [await approved_maker(namespace, db, name=f"Maker {n}") for n in range(1, makers + 1)]


def gbp(pence: int) -> Money:
    return Money(amount=pence, currency="GBP")


def confirmed(customer: Person, makers: list[Maker], reference: str = "FF-7K3D-92QX") -> OrderConfirmed:
    """An order of one £120 ring from each maker, £4.50 postage each."""
    order_id = uuid.uuid4()
    line_ids = [uuid.uuid4() for _ in makers]
    return OrderConfirmed(
        order_id=order_id,
        reference=reference,
        customer_id=customer.user_id,
        total=gbp(12450 * len(makers)),
        lines=[StockLineData(listing_id=uuid.uuid4(), quantity=1) for _ in makers],
        maker_orders=[
            MakerOrderData(
                maker_order_id=uuid.uuid4(),
                reference=f"{reference}-{position}",
                maker_id=maker.maker_id,
                gross=gbp(12450),
                commission=gbp(1800),
                net=gbp(10650),
                line_ids=[line_ids[position - 1]],
            )
            for position, maker in enumerate(makers, start=1)
        ],
        receipt=[
            ReceiptLineData(title=f"Hammered silver ring by {maker.name}", quantity=1, line_total=gbp(12000))
            for maker in makers
        ],
        shipping=gbp(450 * len(makers)),
    )


def part_fields(order: OrderConfirmed) -> dict[str, Any]:
    """What every event of the order's first maker order carries: which part, whose, and when."""
    part = order.maker_orders[0]
    return {
        "maker_order_id": part.maker_order_id,
        "order_id": order.order_id,
        "reference": part.reference,
        "maker_id": part.maker_id,
        "at": datetime.now(UTC),
    }


def return_fields(order: OrderConfirmed) -> dict[str, Any]:
    """What every event of a return of the order's first maker order carries (but its id)."""
    fields = part_fields(order)
    del fields["reference"]
    return {**fields, "customer_id": order.customer_id}
