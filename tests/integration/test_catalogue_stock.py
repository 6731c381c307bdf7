"""Stock and reservations against the real database: the catalogue's own handler functions
driven directly (a property test over random interleavings, concurrency, expiry), and the real
catalogue process answering orders events on the broker."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from services.catalogue import handlers, usecases
from shared.contracts.orders import (
    MakerOrderDeclined,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    PlacedLineData,
    StockLineData,
)
from shared.db import UnitOfWork
from shared.money import Money
from tests.support.broker import drain, tap
from tests.support.catalogue import (
    TestMaker,
    add_listing,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    envelope,
    publish,
    ring,
)
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.waits import remaining, unsent

pytestmark = pytest.mark.timeout(180)

TTL = timedelta(minutes=20)
MADE_TO_ORDER = {"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 10}}


# --- driving the handlers -------------------------------------------------------------------------


def placed(order_id: uuid.UUID, lines: list[tuple[Any, int]], price: int = 12500) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        customer_id=uuid.uuid4(),
        lines=[
            PlacedLineData(
                line_id=uuid.uuid4(), listing_id=listing.id, quantity=quantity, unit_price=Money(amount=price)
            )
            for listing, quantity in lines
        ],
        total=Money(amount=price * sum(q for _, q in lines)),
        expires_at=datetime.now(UTC) + timedelta(minutes=15),
    )


def confirmed(order_id: uuid.UUID) -> OrderConfirmed:
    return OrderConfirmed(
        order_id=order_id,
        customer_id=uuid.uuid4(),
        total=Money(amount=1),
        lines=[StockLineData(listing_id=uuid.uuid4(), quantity=1)],
        maker_orders=[],
    )


def cancelled(
    order_id: uuid.UUID,
    release_stock: bool = True,
    reason: str = "payment_declined",
    release_lines: list[StockLineData] | None = None,
) -> OrderCancelled:
    return OrderCancelled(
        order_id=order_id,
        customer_id=uuid.uuid4(),
        reason=reason,
        release_stock=release_stock,
        release_lines=release_lines or [],
    )


def declined(order_id: uuid.UUID, maker_id: uuid.UUID) -> MakerOrderDeclined:
    return MakerOrderDeclined(
        maker_order_id=uuid.uuid4(),
        order_id=order_id,
        maker_id=maker_id,
        status="declined",
        at=datetime.now(UTC),
        reason="Cannot make it",
    )


async def handle(pool: asyncpg.Pool, event: Any) -> None:
    """One message through the catalogue's handler, as the consumer runs it (minus the inbox,
    so a repeated call is a duplicate the handler itself must survive)."""
    wrapped = envelope(event, "orders", event.order_id)
    async with UnitOfWork(pool, "catalogue") as uow:
        if isinstance(event, OrderPlaced):
            await handlers.on_order_placed(uow, event, wrapped, ttl=TTL)
        elif isinstance(event, OrderConfirmed):
            await handlers.on_order_confirmed(uow, event, wrapped)
        elif isinstance(event, OrderCancelled):
            await handlers.on_order_cancelled(uow, event, wrapped)
        else:
            await handlers.on_maker_order_declined(uow, event, wrapped)


async def answers(db: asyncpg.Connection, order_id: uuid.UUID) -> list[dict[str, Any]]:
    """The stock events the catalogue wrote for this order, in order."""
    rows = await db.fetch(
        "SELECT envelope FROM catalogue.outbox WHERE aggregate_id = $1 ORDER BY id", str(order_id)
    )
    return [json.loads(row["envelope"]) for row in rows]


async def counters(db: asyncpg.Connection, listing_id: uuid.UUID) -> tuple[Any, ...]:
    row = await db.fetchrow(
        "SELECT status, stock_available, stock_reserved, stock_sold FROM catalogue.listings WHERE id = $1",
        listing_id,
    )
    return tuple(row)


@pytest.fixture
async def maker(catalogue_pool: asyncpg.Pool) -> TestMaker:
    return await approved_maker(catalogue_pool)


# --- the saga, message by message -----------------------------------------------------------------


async def test_a_placed_order_is_reserved_with_authoritative_prices(
    catalogue_pool: asyncpg.Pool, maker: TestMaker, db: asyncpg.Connection
) -> None:
    rings = await add_listing(catalogue_pool, maker, ring())
    bespoke = await add_listing(catalogue_pool, maker, ring(production=MADE_TO_ORDER))
    order = placed(uuid.uuid4(), [(rings, 2), (bespoke, 1)])
    await handle(catalogue_pool, order)

    [reserved] = await answers(db, order.order_id)
    assert reserved["type"] == "catalogue.stock.reserved"
    assert reserved["data"]["lines"] == [
        {
            "line_id": str(order.lines[0].line_id),
            "listing_id": str(rings.id),
            "maker_id": str(maker.maker_id),
            "quantity": 2,
            "unit_price": {"amount": 12500, "currency": "GBP"},
        },
        {
            "line_id": str(order.lines[1].line_id),
            "listing_id": str(bespoke.id),
            "maker_id": str(maker.maker_id),
            "quantity": 1,
            "unit_price": {"amount": 12500, "currency": "GBP"},
        },
    ]
    expires_at = datetime.fromisoformat(reserved["data"]["expires_at"])
    assert abs(expires_at - datetime.now(UTC) - TTL) < timedelta(seconds=30)
    assert await counters(db, rings.id) == ("published", 1, 2, 0)
    assert await counters(db, bespoke.id) == ("published", None, None, None)

    # A duplicate (handled again, past the inbox) reserves nothing more and says nothing.
    await handle(catalogue_pool, order)
    assert await counters(db, rings.id) == ("published", 1, 2, 0)
    assert len(await answers(db, order.order_id)) == 1

    await handle(catalogue_pool, confirmed(order.order_id))
    assert await counters(db, rings.id) == ("published", 1, 0, 2)
    ledger = await db.fetch(
        "SELECT reason, order_id, available_delta, reserved_delta, sold_delta "
        "FROM catalogue.inventory_ledger WHERE listing_id = $1 ORDER BY id",
        rings.id,
    )
    assert [tuple(row) for row in ledger] == [
        ("stocked", None, 3, 0, 0),
        ("reserved", order.order_id, -2, 2, 0),
        ("committed", order.order_id, 0, -2, 2),
    ]


async def test_reservation_fails_whole_with_a_reason_per_line(
    catalogue_pool: asyncpg.Pool, maker: TestMaker, db: asyncpg.Connection
) -> None:
    rings = await add_listing(catalogue_pool, maker, ring())
    draft = await add_listing(catalogue_pool, maker, ring(), publish=False)
    cheap = await add_listing(catalogue_pool, maker, ring(price={"amount": 9900}))
    order = placed(uuid.uuid4(), [(rings, 4), (draft, 1), (cheap, 1)])
    await handle(catalogue_pool, order)
    [failed] = await answers(db, order.order_id)
    assert failed["type"] == "catalogue.stock.reservation_failed"
    assert [(line["line_id"], line["reason"]) for line in failed["data"]["lines"]] == [
        (str(order.lines[0].line_id), "out_of_stock"),
        (str(order.lines[1].line_id), "not_available"),
        (str(order.lines[2].line_id), "price_changed"),
    ]
    assert await counters(db, rings.id) == ("published", 3, 0, 0)
    assert await counters(db, cheap.id) == ("published", 3, 0, 0)


async def test_a_bespoke_order_needs_no_answer(catalogue_pool: asyncpg.Pool, db: asyncpg.Connection) -> None:
    order = placed(uuid.uuid4(), [])
    await handle(catalogue_pool, order)
    await handle(
        catalogue_pool,
        OrderConfirmed(
            order_id=order.order_id,
            customer_id=order.customer_id,
            total=Money(amount=90000),
            lines=[],
            maker_orders=[],
        ),
    )
    assert await answers(db, order.order_id) == []


async def test_a_cancel_before_the_order_leaves_a_tombstone(
    catalogue_pool: asyncpg.Pool, maker: TestMaker, db: asyncpg.Connection
) -> None:
    rings = await add_listing(catalogue_pool, maker, ring())
    order = placed(uuid.uuid4(), [(rings, 1)])
    await handle(catalogue_pool, cancelled(order.order_id, reason="expired"))
    await handle(catalogue_pool, order)
    assert await counters(db, rings.id) == ("published", 3, 0, 0)
    assert await answers(db, order.order_id) == []
    assert (
        await db.fetchval("SELECT status FROM catalogue.reservations WHERE order_id = $1", order.order_id)
        == "cancelled"
    )


async def test_one_of_a_kind_sells_out_and_comes_back_when_the_sale_is_undone(
    catalogue_pool: asyncpg.Pool, maker: TestMaker, db: asyncpg.Connection
) -> None:
    unique = await add_listing(catalogue_pool, maker, ring(production={"kind": "one_of_a_kind"}))
    order = placed(uuid.uuid4(), [(unique, 1)])
    await handle(catalogue_pool, order)
    await handle(catalogue_pool, confirmed(order.order_id))
    assert await counters(db, unique.id) == ("sold_out", 0, 0, 1)
    events = await db.fetch(
        "SELECT envelope FROM catalogue.outbox WHERE aggregate_id = $1 ORDER BY id", str(unique.id)
    )
    assert json.loads(events[-1]["envelope"])["type"] == "catalogue.listing.sold_out"

    # A cancellation that does not undo the sale (say, after dispatch) leaves it sold.
    other = placed(uuid.uuid4(), [(unique, 1)])
    await handle(catalogue_pool, other)
    assert (await answers(db, other.order_id))[0]["data"]["lines"][0]["reason"] == "out_of_stock"
    await handle(catalogue_pool, cancelled(order.order_id, release_stock=False))
    assert await counters(db, unique.id) == ("sold_out", 0, 0, 1)


async def test_a_declining_maker_returns_their_units(
    catalogue_pool: asyncpg.Pool, db: asyncpg.Connection
) -> None:
    first, second = await approved_maker(catalogue_pool), await approved_maker(catalogue_pool)
    theirs = await add_listing(catalogue_pool, first, ring())
    others = await add_listing(catalogue_pool, second, ring())
    order = placed(uuid.uuid4(), [(theirs, 2), (others, 1)])
    await handle(catalogue_pool, order)
    await handle(catalogue_pool, confirmed(order.order_id))
    await handle(catalogue_pool, declined(order.order_id, first.maker_id))
    await handle(catalogue_pool, declined(order.order_id, first.maker_id))  # a duplicate
    assert await counters(db, theirs.id) == ("published", 3, 0, 0)
    assert await counters(db, others.id) == ("published", 2, 0, 1)
    # Cancelling the rest returns the other maker's unit too.
    await handle(catalogue_pool, cancelled(order.order_id, reason="customer_cancelled"))
    assert await counters(db, others.id) == ("published", 3, 0, 0)
    reasons = await db.fetch(
        "SELECT reason FROM catalogue.inventory_ledger WHERE order_id = $1 ORDER BY id", order.order_id
    )
    assert [r["reason"] for r in reasons] == [
        "reserved",
        "reserved",
        "committed",
        "committed",
        "declined",
        "returned",
    ]


async def test_expired_reservations_are_released_by_the_sweeper(
    catalogue_pool: asyncpg.Pool, maker: TestMaker, db: asyncpg.Connection
) -> None:
    unique = await add_listing(catalogue_pool, maker, ring(production={"kind": "one_of_a_kind"}))
    order = placed(uuid.uuid4(), [(unique, 1)])
    await handle(catalogue_pool, order)
    assert await usecases.release_expired(catalogue_pool, datetime.now(UTC)) == 0
    assert await counters(db, unique.id) == ("published", 0, 1, 0)
    later = datetime.now(UTC) + TTL + timedelta(seconds=1)
    assert await usecases.release_expired(catalogue_pool, later) >= 1
    assert await counters(db, unique.id) == ("published", 1, 0, 0)
    assert (
        await db.fetchval("SELECT status FROM catalogue.reservations WHERE order_id = $1", order.order_id)
        == "expired"
    )
    # Orders hears of each count the reservation moved, so it never refuses a piece back on sale.
    listing_events = [
        json.loads(row["envelope"])
        for row in await db.fetch(
            "SELECT envelope FROM catalogue.outbox WHERE aggregate_id = $1 ORDER BY id", str(unique.id)
        )
    ]
    assert [(e["type"], e["data"]["stock_available"]) for e in listing_events][-2:] == [
        ("catalogue.listing.updated", 0),
        ("catalogue.listing.updated", 1),
    ]
    # A confirmation after the reservation lapsed sells nothing (and is logged for operations).
    await handle(catalogue_pool, confirmed(order.order_id))
    assert await counters(db, unique.id) == ("published", 1, 0, 0)


async def test_concurrent_orders_never_oversell_nor_deadlock(
    catalogue_pool: asyncpg.Pool, maker: TestMaker, db: asyncpg.Connection
) -> None:
    a = await add_listing(catalogue_pool, maker, ring(production={"kind": "ready_to_ship", "stock": 5}))
    b = await add_listing(catalogue_pool, maker, ring(production={"kind": "ready_to_ship", "stock": 5}))
    # Orders name the listings in both orders, so locking in line order would deadlock.
    orders = [placed(uuid.uuid4(), [(a, 1), (b, 1)] if n % 2 else [(b, 1), (a, 1)]) for n in range(12)]
    await asyncio.gather(*(handle(catalogue_pool, order) for order in orders))
    outcomes = [(await answers(db, order.order_id))[0]["type"] for order in orders]
    assert outcomes.count("catalogue.stock.reserved") == 5
    assert await counters(db, a.id) == ("published", 0, 5, 0)
    assert await counters(db, b.id) == ("published", 0, 5, 0)


# --- the property: stock is conserved whatever happens --------------------------------------------

ORDERS = 4
LINES = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 2)), min_size=1, max_size=3)
RIGHT_PRICE = st.integers(0, 5).map(bool)  # mostly the price the listing has
# Any message at any time, however unlikely in the saga.
STRAY = st.one_of(
    st.tuples(st.just("place"), st.integers(0, ORDERS - 1), LINES, RIGHT_PRICE),
    st.tuples(st.just("confirm"), st.integers(0, ORDERS - 1)),
    st.tuples(st.just("cancel"), st.integers(0, ORDERS - 1), st.booleans()),
    st.tuples(st.just("decline"), st.integers(0, ORDERS - 1), st.integers(0, 1)),
    st.tuples(st.just("expire"), st.integers(0, ORDERS - 1)),
)


def lifecycle(order: int) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    """One order's messages in the saga's order: placed, then settled (confirmed, cancelled
    or expired), then perhaps undone after confirmation (cancelled or a maker declining)."""
    settle = st.sampled_from([[("confirm", order)], [("cancel", order, False)], [("expire", order)], []])
    undo = st.sampled_from(
        [
            [],
            [("cancel", order, True)],
            [("cancel", order, False)],
            [("decline", order, 0)],
            [("decline", order, 1)],
        ]
    )

    def script(parts: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        lines, right_price, settled, undone = parts
        after_confirmation = undone if settled == [("confirm", order)] else []
        return [("place", order, lines, right_price), *settled, *after_confirmation]

    return st.tuples(LINES, RIGHT_PRICE, settle, undo).map(script)


@dataclass
class World:
    pool: asyncpg.Pool
    makers: list[TestMaker]
    listings: list[Any]
    stocked: dict[uuid.UUID, int]
    order_ids: list[uuid.UUID]
    events: list[Any]

    def message(self, action: tuple[Any, ...]) -> Any | None:
        kind, order = action[0], self.order_ids[action[1]]
        if kind == "place":
            _, _, lines, right_price = action
            return placed(order, [(self.listings[i], q) for i, q in lines], 12500 if right_price else 12400)
        if kind == "confirm":
            return confirmed(order)
        if kind == "cancel":
            return cancelled(order, release_stock=action[2])
        if kind == "decline":
            return declined(order, self.makers[action[2]].maker_id)
        return None  # expire

    async def run(self, action: tuple[Any, ...]) -> None:
        message = self.message(action)
        if message is None:
            async with UnitOfWork(self.pool, "catalogue") as uow:
                later = datetime.now(UTC) + TTL + timedelta(seconds=1)
                await usecases.expire_reservation(uow, self.order_ids[action[1]], later)
            return
        self.events.append(message)
        try:
            await handle(self.pool, message)
        except LookupError:
            # A confirmation of an order never reserved fails (and the consumer would retry
            # it); its transaction changed nothing.
            assert isinstance(message, OrderConfirmed)


async def check_conservation(db: asyncpg.Connection, world: World) -> None:
    ids = list(world.stocked)
    rows = await db.fetch(
        "SELECT l.id, l.stock_available, l.stock_reserved, l.stock_sold, "
        " coalesce((SELECT sum(held) FROM catalogue.reservation_lines r"
        "           WHERE r.listing_id = l.id), 0) AS held,"
        " coalesce((SELECT sum(sold) FROM catalogue.reservation_lines r"
        "           WHERE r.listing_id = l.id), 0) AS sold,"
        " (SELECT sum(available_delta) FROM catalogue.inventory_ledger g"
        "   WHERE g.listing_id = l.id) AS ledger_available,"
        " (SELECT sum(reserved_delta) FROM catalogue.inventory_ledger g"
        "   WHERE g.listing_id = l.id) AS ledger_reserved,"
        " (SELECT sum(sold_delta) FROM catalogue.inventory_ledger g"
        "   WHERE g.listing_id = l.id) AS ledger_sold "
        "FROM catalogue.listings l WHERE l.id = ANY($1::uuid[])",
        ids,
    )
    for row in rows:
        counts = (row["stock_available"], row["stock_reserved"], row["stock_sold"])
        assert min(counts) >= 0, counts
        assert sum(counts) == world.stocked[row["id"]], counts
        assert (row["stock_reserved"], row["stock_sold"]) == (row["held"], row["sold"])
        assert (row["ledger_available"], row["ledger_reserved"], row["ledger_sold"]) == counts
    lines = await db.fetch(
        "SELECT held, sold, released, quantity FROM catalogue.reservation_lines "
        "WHERE order_id = ANY($1::uuid[])",
        world.order_ids,
    )
    assert all(min(line["held"], line["sold"], line["released"]) >= 0 for line in lines)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_stock_is_never_negative_and_always_adds_up(
    catalogue_pool: asyncpg.Pool, db: asyncpg.Connection, data: st.DataObject
) -> None:
    makers = [await approved_maker(catalogue_pool), await approved_maker(catalogue_pool)]
    listings = [
        await add_listing(catalogue_pool, makers[0], ring(production={"kind": "ready_to_ship", "stock": 4})),
        await add_listing(catalogue_pool, makers[1], ring(production={"kind": "one_of_a_kind"})),
        await add_listing(catalogue_pool, makers[0], ring(production={"kind": "ready_to_ship", "stock": 3})),
    ]
    world = World(
        catalogue_pool,
        makers,
        listings,
        {listing.id: listing.stock.stocked for listing in listings},
        [uuid.uuid4() for _ in range(ORDERS)],
        [],
    )
    pending = [data.draw(lifecycle(order)) for order in range(ORDERS)]
    for _ in range(data.draw(st.integers(1, 16))):
        waiting = [script for script in pending if script]
        mode = data.draw(st.sampled_from(["next", "next", "next", "together", "duplicate", "stray"]))
        if mode == "stray" or not waiting:
            await world.run(data.draw(STRAY))
        elif mode == "next":
            await world.run(data.draw(st.sampled_from(waiting)).pop(0))
        elif mode == "together":
            # Two messages at once, as a consumer with prefetch > 1 may take them: of two
            # orders, or the next two of one order (a cancel overtaking its order, say).
            first = data.draw(st.sampled_from(waiting))
            second = (
                first if len(first) > 1 and data.draw(st.booleans()) else data.draw(st.sampled_from(waiting))
            )
            a = first.pop(0)
            b = second.pop(0) if second else data.draw(STRAY)
            await asyncio.gather(world.run(a), world.run(b))
        elif world.events:
            with contextlib.suppress(LookupError):
                await handle(catalogue_pool, data.draw(st.sampled_from(world.events)))
        await check_conservation(db, world)
    # What the example exercised (see --hypothesis-show-statistics).
    reasons = await db.fetch(
        "SELECT DISTINCT reason FROM catalogue.inventory_ledger WHERE order_id = ANY($1::uuid[])",
        world.order_ids,
    )
    for row in reasons:
        event(f"stock {row['reason']}")


# --- the real process on the broker ---------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("catalogue")


async def stock_events(
    queue: Any, order_id: uuid.UUID, expected: int, seen: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The order's events; everything read on the way is kept in `seen`."""
    found: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while len(found) < expected and loop.time() < deadline:
        for message in await drain(queue, 1, timeout_s=1):
            seen.append(message)
            if message["aggregate_id"] == str(order_id):
                found.append(message)
    return found


async def test_the_catalogue_process_answers_orders_events(
    catalogue: ServiceProcess,
    catalogue_pool: asyncpg.Pool,
    maker: TestMaker,
    test_env: Environment,
    mint: Callable[..., str],
) -> None:
    unique = await add_listing(catalogue_pool, maker, ring(production={"kind": "one_of_a_kind"}))
    order, too_many = placed(uuid.uuid4(), [(unique, 1)]), placed(uuid.uuid4(), [(unique, 1)])
    ns = test_env.namespace
    seen: list[dict[str, Any]] = []
    async with tap(f"{ns}.events", "catalogue.#") as queue:
        await publish(ns, order, "orders", order.order_id)
        [reserved] = await stock_events(queue, order.order_id, 1, seen)
        assert reserved["type"] == "catalogue.stock.reserved"
        assert reserved["causation_id"] is not None
        await publish(ns, too_many, "orders", too_many.order_id)
        [failed] = await stock_events(queue, too_many.order_id, 1, seen)
        assert failed["data"]["lines"][0]["reason"] == "out_of_stock"

        await publish(ns, confirmed(order.order_id), "orders", order.order_id)

        async def sold_out() -> Any:
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"{catalogue.url}/api/v1/listings/{unique.id}",
                    headers={"Authorization": f"Bearer {mint('maker', maker.user_id)}"},
                ) as response,
            ):
                body = await response.json()
                return body if body["status"] == "sold_out" else None

        listing = await eventually(sold_out, timeout_s=10, message="confirmation sold it out")
        assert (listing["availability"], listing["stock"]) == (
            "sold_out",
            {"available": 0, "reserved": 0, "sold": 1},
        )

        async def all_published() -> bool:
            aggregates = [str(unique.id), str(order.order_id), str(too_many.order_id)]
            return await unsent(catalogue_pool, "catalogue.outbox", aggregate_ids=aggregates) == 0

        # Every event about the piece and its orders is committed (the sale is seen), so once
        # their outbox rows are all published, any extra one is already in the tap queue.
        await eventually(all_published, message="the piece's and its orders' outbox rows published")
        seen += await remaining(queue)
    # The reservation announced the piece's new count; the sale, that it sold out. (Its
    # publication, from before the tap, may or may not have been relayed yet.)
    events = [
        e for e in seen if e["aggregate_id"] == str(unique.id) and e["type"] != "catalogue.listing.published"
    ]
    assert [(e["type"], e["data"]["status"], e["data"]["stock_available"]) for e in events] == [
        ("catalogue.listing.updated", "published", 0),
        ("catalogue.listing.sold_out", "sold_out", 0),
    ]
    assert events[1]["data"]["visible"] is True
