"""References in the real PostgreSQL: a new order whose drawn reference is taken draws again (the
unique index is the check), and migration 0008 gives orders placed before references existed one
each (the format, all different), and their maker orders the order's plus -1, -2… in the order
the order shows them (by their first line), not in the order of their ids."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from services.orders import store, usecases
from services.orders.app import SERVICE
from services.orders.domain import LineOptions, RequestedLine, ShippingAddress
from services.orders.domain.references import new_order_reference
from services.orders.settings import OrdersSettings
from services.orders.usecases.orders import REFERENCE_ATTEMPTS
from shared.contracts.catalogue import ListingPublished
from shared.contracts.makers import MakerApproved
from shared.db import UnitOfWork, create_pool
from shared.migrate import migrate
from tests.support.harness import admin_dsn
from tests.support.migrations import migrated_before
from tests.support.orders import ADDRESS, listing_snapshot, maker_snapshot

pytestmark = pytest.mark.timeout(120)

REFERENCE = re.compile(r"^FF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


async def test_a_taken_reference_is_drawn_again(services_db: dict) -> None:
    pool = await create_pool(services_db["orders"])
    try:
        maker = MakerApproved.model_validate(maker_snapshot())
        listing = ListingPublished.model_validate(listing_snapshot(maker_id=str(maker.maker_id)))
        async with UnitOfWork(pool, store.PRODUCER) as uow:
            await usecases.record_maker(uow, maker)
            await usecases.record_listing(uow, listing)

        async def place(*draws: str) -> uuid.UUID:
            drawn = iter(draws)
            async with UnitOfWork(pool, store.PRODUCER) as uow:
                order = await usecases.place_order(
                    uow,
                    customer_id=uuid.uuid4(),
                    lines=[RequestedLine(listing.listing_id, 1, LineOptions())],
                    shipping_address=ShippingAddress(**ADDRESS),
                    payment_token="tok_visa",
                    gift_message=None,
                    payment_window=timedelta(minutes=15),
                    draw_reference=lambda: next(drawn),
                )
            return order.id

        taken, fresh = new_order_reference(), new_order_reference()
        first = await place(taken)
        second = await place(taken, taken, fresh)
        query = "SELECT id, reference FROM orders WHERE id = ANY($1::uuid[])"
        rows = {row["id"]: row["reference"] for row in await pool.fetch(query, [first, second])}
        assert rows == {first: taken, second: fresh}
        # The event announcing the second order names the reference it kept.
        placed = await pool.fetchval("SELECT envelope FROM outbox WHERE aggregate_id = $1", str(second))
        assert placed["data"]["reference"] == fresh

        # Drawing nothing but taken references gives up, and stores nothing.
        with pytest.raises(RuntimeError):
            await place(*[taken] * REFERENCE_ATTEMPTS)
        assert await pool.fetchval("SELECT count(*) FROM orders WHERE reference = $1", taken) == 1
    finally:
        await pool.close()


def ids(*hex_prefixes: str) -> list[uuid.UUID]:
    return [uuid.UUID(prefix * 8) for prefix in hex_prefixes]


async def test_existing_orders_and_maker_orders_are_given_references(tmp_path: Path) -> None:
    async with migrated_before(tmp_path, SERVICE, OrdersSettings, "0008") as (env, settings, folder):
        conn = await asyncpg.connect(admin_dsn(env.database))
        try:
            now = datetime.now(UTC)
            two_makers, one_maker = uuid.uuid4(), uuid.uuid4()
            first_line, second_line, third_line, only_line = (uuid.uuid4() for _ in range(4))
            # The maker order holding the second line has the smaller id: numbering by id would
            # give it -1.
            holds_second, holds_first_and_third, only = ids("1111", "ffff", "2222")
            orders = {
                two_makers: [first_line, second_line, third_line],
                one_maker: [only_line],
            }
            for order_id, lines in orders.items():
                await conn.execute(
                    "INSERT INTO orders.orders (id, customer_id, status, version, created_at, updated_at, "
                    "expires_at, data) VALUES ($1, $2, 'confirmed', 3, $3, $3, $4, $5::jsonb)",
                    order_id,
                    uuid.uuid4(),
                    now,
                    now + timedelta(minutes=15),
                    json.dumps({"lines": [{"id": str(line)} for line in lines]}),
                )
            for maker_order_id, order_id, lines in (
                (holds_second, two_makers, [second_line]),
                (holds_first_and_third, two_makers, [first_line, third_line]),
                (only, one_maker, [only_line]),
            ):
                await conn.execute(
                    "INSERT INTO orders.maker_orders (id, order_id, maker_id, status, version, created_at, "
                    "updated_at, data) VALUES ($1, $2, $3, 'in_production', 1, $4, $4, $5::jsonb)",
                    maker_order_id,
                    order_id,
                    uuid.uuid4(),
                    now,
                    json.dumps({"lines": [{"id": str(line)} for line in lines]}),
                )

            assert SERVICE.migrations is not None
            for path in sorted(SERVICE.migrations.glob("*.sql")):
                shutil.copy(path, folder)
            applied = await migrate(settings, folder)
            assert "references_and_invoicing" in {m.name for m in applied}

            references = {
                row["id"]: row["reference"]
                for row in await conn.fetch("SELECT id, reference FROM orders.orders")
            }
            assert all(REFERENCE.match(reference) for reference in references.values())
            assert len(set(references.values())) == 2
            numbered = {
                row["id"]: row["reference"]
                for row in await conn.fetch("SELECT id, reference FROM orders.maker_orders")
            }
            assert numbered == {
                holds_first_and_third: f"{references[two_makers]}-1",
                holds_second: f"{references[two_makers]}-2",
                only: f"{references[one_maker]}-1",
            }
            # The unique index is the check against a collision from now on.
            with pytest.raises(asyncpg.UniqueViolationError):
                await conn.execute(
                    "UPDATE orders.orders SET reference = $1 WHERE id = $2", references[two_makers], one_maker
                )
        finally:
            await conn.close()
