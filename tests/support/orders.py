"""Helpers for the orders service's tests: the HTTP client (from tests.support.api, re-exported so
its importers need not change), and the catalogue and makers events a test publishes when it stands
in for those services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from services.orders.app import SERVICE
from services.orders.settings import OrdersSettings
from shared.contracts import Envelope, Event
from shared.contracts.catalogue import ListingPublished, StockReserved
from shared.contracts.makers import MakerApproved
from shared.migrate import migrate
from tests.support.api import Api as Api  # re-exported: its importers use tests.support.orders
from tests.support.api import Response as Response
from tests.support.broker import publish_raw
from tests.support.harness import ServiceProcess, TestEnvironment, eventually, reads_jsonb

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "1 Hatton Garden",
    "city": "London",
    "postcode": "EC1N 8AA",
    "country": "GB",
}


def key() -> dict[str, str]:
    """A fresh Idempotency-Key header."""
    return {"Idempotency-Key": f"k-{uuid.uuid4()}"}


def order_body(*lines: dict[str, Any], token: str = "tok_visa", **extra: Any) -> dict[str, Any]:
    return {"lines": list(lines), "shipping_address": ADDRESS, "payment": {"token": token}, **extra}


def line(listing_id: Any, quantity: int = 1, **options: Any) -> dict[str, Any]:
    return {"listing_id": str(listing_id), "quantity": quantity, "options": options}


def listing_snapshot(**overrides: Any) -> dict[str, Any]:
    """The data of a catalogue.listing.* event for a visible ready-to-ship piece."""
    data: dict[str, Any] = {
        "listing_id": str(uuid.uuid4()),
        "maker_id": str(uuid.uuid4()),
        "listing_version": 1,
        "status": "published",
        "visible": True,
        "title": "Sterling silver band",
        "category": "ring",
        "price": {"amount": 12500, "currency": "GBP"},
        "production_kind": "ready_to_ship",
        "lead_time_days": None,
        "options": {"ring_size_mm": None, "engraving": None, "chain_lengths_cm": None},
        "has_natural_diamond": False,
        "stock_available": 5,
    }
    data.update(overrides)
    return data


def maker_snapshot(**overrides: Any) -> dict[str, Any]:
    """The data of a makers.maker.* event for an approved maker taking commissions."""
    data: dict[str, Any] = {
        "maker_id": str(uuid.uuid4()),
        "user_id": str(uuid.uuid4()),
        "maker_version": 5,
        "status": "approved",
        "handle": f"maker-{uuid.uuid4().hex[:10]}",
        "display_name": "Silver & Stone",
        "sourcing_claims": [],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "accepts_commissions": True,
        "works_precious_metals": True,
        "natural_diamonds": False,
    }
    data.update(overrides)
    return data


def envelope(event: Event, producer: str, aggregate_id: Any, aggregate_version: int = 0) -> Envelope:
    return Envelope.wrap(
        event, producer=producer, aggregate_id=str(aggregate_id), aggregate_version=aggregate_version
    )


async def publish(exchange: str, message: Envelope) -> Envelope:
    """Publish an envelope as its producer's relay would (message id = event id)."""
    await publish_raw(
        exchange, message.routing_key, message.model_dump_json().encode(), message_id=str(message.event_id)
    )
    return message


async def publish_listing(
    exchange: str, data: dict[str, Any], event: type[Event] = ListingPublished
) -> Envelope:
    return await publish(
        exchange,
        envelope(event.model_validate(data), "catalogue", data["listing_id"], data["listing_version"]),
    )


async def publish_maker(exchange: str, data: dict[str, Any], event: type[Event] = MakerApproved) -> Envelope:
    return await publish(
        exchange, envelope(event.model_validate(data), "makers", data["maker_id"], data["maker_version"])
    )


async def publish_reserved(exchange: str, order: dict[str, Any]) -> Envelope:
    """Answer as catalogue: every line of `order` reserved at the price the customer saw."""
    event = StockReserved(
        order_id=order["id"],
        lines=[
            {
                "line_id": ln["id"],
                "listing_id": ln["listing_id"],
                "maker_id": ln["maker_id"],
                "quantity": ln["quantity"],
                "unit_price": ln["unit_price"],
            }
            for ln in order["lines"]
        ],
        expires_at=datetime.now(UTC) + timedelta(minutes=15),
    )
    return await publish(exchange, envelope(event, "catalogue", order["id"]))


async def known_maker(db: asyncpg.Connection, maker_id: str) -> None:
    """Wait until orders' read model holds the maker."""
    await eventually(
        lambda: db.fetchval("SELECT 1 FROM orders.makers WHERE maker_id = $1", uuid.UUID(maker_id)),
        message="maker read model",
    )


async def known_listing(db: asyncpg.Connection, listing_id: str) -> None:
    """Wait until orders' read model holds the listing."""
    await eventually(
        lambda: db.fetchval("SELECT 1 FROM orders.listings WHERE listing_id = $1", uuid.UUID(listing_id)),
        message="listing read model",
    )


@asynccontextmanager
async def migrated_orders_environment(workdir: Path) -> AsyncIterator[tuple[TestEnvironment, OrdersSettings]]:
    """An environment of its own (namespace, database, exchange, keys) with the orders schema
    migrated, so no process of another test module can answer its orders."""
    env = TestEnvironment(workdir)
    settings = OrdersSettings(namespace=env.namespace, pg_database=env.database)
    env.track(settings)
    await migrate(settings, SERVICE.migrations)
    try:
        yield env, settings
    finally:
        await env.teardown()


@contextmanager
def running_orders(env: TestEnvironment, name: str, **settings: str) -> Iterator[ServiceProcess]:
    """The orders service (`--role all`) on `env`, with `settings` over the environment's, running
    until the block ends."""
    process = ServiceProcess(["services.orders"], "ORDERS_PORT", env.env, Path(env.workdir), name, settings)
    try:
        yield process.start()
    finally:
        process.stop()


@asynccontextmanager
async def json_connection(database: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to `database` that reads and writes jsonb as Python values."""
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}")
    await reads_jsonb(conn)
    try:
        yield conn
    finally:
        await conn.close()
