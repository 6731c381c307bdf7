"""The catalogue's event consumers and its reservation sweeper.

makers.maker.*              keep the makers read model (the highest maker_version wins); when a
                            maker is suspended or reinstated, hide or show their public listings
                            (catalogue.listing.hidden / .shown, one per listing)
orders.order.placed         reserve every line or none: catalogue.stock.reserved or
                            catalogue.stock.reservation_failed
orders.order.confirmed      the held units are sold (a listing left with none is sold out)
orders.order.cancelled      held units go back on sale; once sold, they go back only when
                            `release_stock` says the sale is undone. A cancel for an order not
                            seen yet leaves a tombstone, so the order reserves nothing when it
                            arrives.
orders.maker_order.declined that maker's units go back on sale
sweeper                     held reservations past `expires_at` go back on sale

The inbox already drops redelivered messages; every handler is idempotent by state as well
(a reservation moves each unit once), and all messages of one order are serialised by the
order's lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from aiohttp import web

from services.catalogue import changes, store
from services.catalogue.domain import (
    OrderLine,
    Reservation,
    ReservationStatus,
    StockMove,
    apply_stock_moves,
    reserve_order,
)
from services.catalogue.settings import CATALOGUE_SETTINGS
from services.catalogue.store import MakerRecord
from shared.consumer import Handler
from shared.contracts import Envelope, Event
from shared.contracts.catalogue import (
    FailedLineData,
    ReservedLineData,
    StockReservationFailed,
    StockReserved,
)
from shared.contracts.makers import MAKER_EVENTS, MakerSnapshotEvent
from shared.contracts.orders import (
    MakerOrderDeclined,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
)
from shared.db import UnitOfWork
from shared.http import POOL
from shared.logging import get_logger

log = get_logger()

PRODUCER = "catalogue"


def _now() -> datetime:
    return datetime.now(UTC)


# --- makers ---------------------------------------------------------------------------------------


async def on_maker_changed(uow: UnitOfWork, event: MakerSnapshotEvent, envelope: Envelope) -> None:
    conn, now = uow.conn, _now()
    current = await store.maker_for_update(conn, event.maker_id)
    if current is not None and current.version >= event.maker_version:
        return  # an older snapshot than the one kept, or the same again
    maker = MakerRecord(
        id=event.maker_id,
        user_id=event.user_id,
        version=event.maker_version,
        status=event.status,
        handle=event.handle,
        display_name=event.display_name,
        sourcing_claims=[claim.model_dump(mode="json") for claim in event.sourcing_claims],
        hallmarking=event.hallmarking.model_dump() if event.hallmarking else None,
        works_precious_metals=event.works_precious_metals,
        natural_diamonds=event.natural_diamonds,
        accepts_commissions=event.accepts_commissions,
        updated_at=now,
    )
    await store.save_maker(conn, maker)
    if current is None or (
        current.approved == maker.approved and current.sourcing_claims == maker.sourcing_claims
    ):
        return  # nothing a listing shows or is found by has changed
    for listing in await store.maker_listings_for_update(uow, maker.id):
        listing.maker_status_changed(
            was_approved=current.approved, approved=maker.approved, now=now
        )
        if listing.version == uow.loaded_version(listing):
            await changes.refresh_search_row(uow, listing, maker, now)
        else:
            await changes.save_listing(uow, listing, maker, reason="adjusted", now=now)


# --- orders ---------------------------------------------------------------------------------------


async def on_order_placed(
    uow: UnitOfWork, event: OrderPlaced, envelope: Envelope, *, ttl: timedelta
) -> None:
    if not event.lines:
        return  # a bespoke order (an accepted commission) holds no stock and needs no answer
    conn, now = uow.conn, _now()
    await store.lock_order(conn, event.order_id)
    if await store.get_reservation(conn, event.order_id) is not None:
        return  # answered already, or cancelled before it arrived (a tombstone)
    listings = await store.listings_for_update(
        uow, sorted({line.listing_id for line in event.lines})
    )
    makers = await store.makers_by_id(conn, sorted({l.maker_id for l in listings.values()}))
    reservation, failures = reserve_order(
        event.order_id,
        [OrderLine(line.line_id, line.listing_id, line.quantity, line.unit_price.amount,
                   line.unit_price.currency) for line in event.lines],
        listings,
        {maker.id for maker in makers.values() if maker.approved},
        now=now,
        expires_at=now + ttl,
    )
    await store.insert_reservation(conn, reservation)
    if failures:
        uow.emit(StockReservationFailed(
            order_id=event.order_id,
            lines=[FailedLineData(line_id=line.line_id, listing_id=line.listing_id,
                                  reason=failures[line.line_id].value)
                   for line in event.lines if line.line_id in failures],
        ), aggregate_id=event.order_id)
        return
    for listing_id in sorted(listings):
        listing = listings[listing_id]
        await changes.save_listing(uow, listing, makers[listing.maker_id], reason="reserved",
                                   now=now, order_id=event.order_id)
    assert reservation.expires_at is not None
    uow.emit(StockReserved(
        order_id=event.order_id,
        lines=[ReservedLineData(line_id=line.line_id, listing_id=line.listing_id,
                                maker_id=line.maker_id, quantity=line.quantity,
                                unit_price=line.unit_price.model_dump())
               for line in reservation.lines],
        expires_at=reservation.expires_at,
    ), aggregate_id=event.order_id)


async def on_order_confirmed(uow: UnitOfWork, event: OrderConfirmed, envelope: Envelope) -> None:
    conn, now = uow.conn, _now()
    await store.lock_order(conn, event.order_id)
    reservation = await store.get_reservation(conn, event.order_id)
    if reservation is None:
        if event.lines:
            # Orders confirms only after stock.reserved, so the placed order is on its way:
            # fail, to be retried once it has been handled.
            raise LookupError(f"order {event.order_id} was confirmed before it was reserved")
        return  # an order without stock lines (a bespoke commission)
    if reservation.status in (ReservationStatus.RELEASED, ReservationStatus.EXPIRED,
                              ReservationStatus.FAILED, ReservationStatus.CANCELLED):
        # The reservation is longer than orders' payment window, so this means the clocks or
        # the sweeper misbehaved: the units were back on sale. Operations must reconcile.
        log.error("order_confirmed_without_reservation", order_id=str(event.order_id),
                  reservation_status=reservation.status.value)
        return
    moves = reservation.commit(now=now)
    await _settle(uow, reservation, moves, reason="committed", now=now)


async def on_order_cancelled(uow: UnitOfWork, event: OrderCancelled, envelope: Envelope) -> None:
    conn, now = uow.conn, _now()
    await store.lock_order(conn, event.order_id)
    reservation = await store.get_reservation(conn, event.order_id)
    if reservation is None:
        await store.insert_reservation(conn, Reservation.tombstone(event.order_id, now=now))
        return
    was_held = reservation.status is ReservationStatus.HELD
    moves = reservation.cancel(
        release_stock=event.release_stock,
        lines=[(line.listing_id, line.quantity) for line in event.release_lines],
        now=now,
    )
    await _settle(uow, reservation, moves, reason="released" if was_held else "returned", now=now)


async def on_maker_order_declined(
    uow: UnitOfWork, event: MakerOrderDeclined, envelope: Envelope
) -> None:
    conn, now = uow.conn, _now()
    await store.lock_order(conn, event.order_id)
    reservation = await store.get_reservation(conn, event.order_id)
    if reservation is None:
        log.warning("maker_order_declined_unknown_order", order_id=str(event.order_id))
        return
    moves = reservation.decline_maker(
        event.maker_id,
        lines=[(line.listing_id, line.quantity) for line in event.release_lines],
        now=now,
    )
    await _settle(uow, reservation, moves, reason="declined", now=now)


async def expire_reservation(uow: UnitOfWork, order_id: UUID, now: datetime) -> None:
    await store.lock_order(uow.conn, order_id)
    reservation = await store.get_reservation(uow.conn, order_id)
    if reservation is None or not reservation.is_due_to_expire(now):
        return  # settled meanwhile
    moves = reservation.release(now=now, expired=True)
    await _settle(uow, reservation, moves, reason="expired", now=now)


async def release_expired(pool: asyncpg.Pool, now: datetime, batch: int = 100) -> int:
    """Release every held reservation whose time is up, one transaction each (so a batch never
    holds the locks of many orders at once). Returns how many were due."""
    due = 0
    while order_ids := await store.due_reservations(pool, now, batch):
        for order_id in order_ids:
            async with UnitOfWork(pool, PRODUCER) as uow:
                await expire_reservation(uow, order_id, now)
        due += len(order_ids)
        if len(order_ids) < batch:
            break
    return due


async def _settle(
    uow: UnitOfWork, reservation: Reservation, moves: Sequence[StockMove], *, reason: str,
    now: datetime,
) -> None:
    """Apply a reservation's stock moves to its listings (locked in id order) and save both."""
    listings = await store.listings_for_update(
        uow, sorted({move.listing_id for move in moves})
    )
    makers = await store.makers_by_id(uow.conn, sorted({l.maker_id for l in listings.values()}))
    apply_stock_moves(listings, moves, now=now)
    await store.update_reservation(uow.conn, reservation)
    for listing_id in sorted(listings):
        listing = listings[listing_id]
        await changes.save_listing(uow, listing, makers[listing.maker_id], reason=reason,
                                   now=now, order_id=reservation.order_id)


# --- wiring ---------------------------------------------------------------------------------------


def for_app(app: web.Application) -> dict[type[Event], Handler]:
    """The handlers of a catalogue process. Settings are read when a message is handled: the
    topology is declared from an app that has none."""

    async def placed(uow: UnitOfWork, event: Any, envelope: Envelope) -> None:
        ttl = timedelta(seconds=app[CATALOGUE_SETTINGS].reservation_ttl_s)
        await on_order_placed(uow, event, envelope, ttl=ttl)

    return {
        **{event_type: on_maker_changed for event_type in MAKER_EVENTS},
        OrderPlaced: placed,
        OrderConfirmed: on_order_confirmed,
        OrderCancelled: on_order_cancelled,
        MakerOrderDeclined: on_maker_order_declined,
    }


async def sweep_expired_reservations(app: web.Application) -> None:
    released = await release_expired(app[POOL], _now())
    if released:
        log.info("reservations_expired", count=released)
