"""Stock held for orders: reserve an order's lines (all or none), sell them when the order is
confirmed, put them back on sale when it is cancelled, a maker declines their part, or the
reservation expires.

Every use case first takes the order's lock, so the messages of one order never interleave, and
each is idempotent by state: a reservation moves each unit once, whatever arrives twice or out
of order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from services.catalogue import store
from services.catalogue.domain import (
    OrderLine,
    Reservation,
    ReservationStatus,
    StockMove,
    apply_stock_moves,
    reserve_order,
)
from services.catalogue.usecases.saving import PRODUCER, save_listing
from shared.contracts.catalogue import (
    FailedLineData,
    ReservedLineData,
    StockReservationFailed,
    StockReserved,
)
from shared.db import UnitOfWork
from shared.logging import get_logger

log = get_logger()

# What a cancellation or a decline puts back on sale: (listing id, quantity) pairs.
Units = Sequence[tuple[UUID, int]]

_SETTLED_WITHOUT_SALE = frozenset(
    {
        ReservationStatus.RELEASED,
        ReservationStatus.EXPIRED,
        ReservationStatus.FAILED,
        ReservationStatus.CANCELLED,
    }
)


async def reserve_for_order(
    uow: UnitOfWork,
    order_id: UUID,
    lines: Sequence[OrderLine],
    *,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Hold every line of a placed order, or none, and say which: `catalogue.stock.reserved`
    or `catalogue.stock.reservation_failed`."""
    if not lines:
        return  # a bespoke order (an accepted commission) holds no stock and needs no answer
    await store.lock_order(uow.conn, order_id)
    if await store.get_reservation(uow.conn, order_id) is not None:
        return  # answered already, or cancelled before it arrived (a tombstone)
    listings = await store.listings_for_update(uow, sorted({line.listing_id for line in lines}))
    makers = await store.makers_by_id(uow.conn, sorted({listing.maker_id for listing in listings.values()}))
    reservation, failures = reserve_order(
        order_id,
        lines,
        listings,
        {maker.id for maker in makers.values() if maker.approved},
        now=now,
        expires_at=expires_at,
    )
    await store.insert_reservation(uow.conn, reservation)
    if failures:
        uow.emit(
            StockReservationFailed(
                order_id=order_id,
                lines=[
                    FailedLineData(
                        line_id=line.line_id, listing_id=line.listing_id, reason=failures[line.line_id].value
                    )
                    for line in lines
                    if line.line_id in failures
                ],
            ),
            aggregate_id=order_id,
        )
        return
    for listing_id in sorted(listings):
        listing = listings[listing_id]
        await save_listing(
            uow, listing, makers[listing.maker_id], reason="reserved", now=now, order_id=order_id
        )
    uow.emit(
        StockReserved(
            order_id=order_id,
            lines=[
                ReservedLineData(
                    line_id=line.line_id,
                    listing_id=line.listing_id,
                    maker_id=line.maker_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price.model_dump(),
                )
                for line in reservation.lines
            ],
            expires_at=expires_at,
        ),
        aggregate_id=order_id,
    )


async def commit_for_order(uow: UnitOfWork, order_id: UUID, *, has_stock_lines: bool, now: datetime) -> None:
    """The order was confirmed: its held units are sold (a listing left with none is sold
    out)."""
    await store.lock_order(uow.conn, order_id)
    reservation = await store.get_reservation(uow.conn, order_id)
    if reservation is None:
        if has_stock_lines:
            # Orders confirms only after stock.reserved, so the placed order is on its way:
            # fail, to be retried once it has been handled.
            raise LookupError(f"order {order_id} was confirmed before it was reserved")
        return  # an order without stock lines (a bespoke commission)
    if reservation.status in _SETTLED_WITHOUT_SALE:
        # The reservation is longer than orders' payment window, so this means the clocks or
        # the sweeper misbehaved: the units were back on sale. Operations must reconcile.
        log.error(
            "order_confirmed_without_reservation",
            order_id=str(order_id),
            reservation_status=reservation.status.value,
        )
        return
    moves = reservation.commit(now=now)
    await _settle(uow, reservation, moves, reason="committed", now=now)


async def cancel_for_order(
    uow: UnitOfWork, order_id: UUID, *, release_stock: bool, release: Units, now: datetime
) -> None:
    """The order was cancelled: held units go back on sale; once sold, they go back only when
    orders says the sale is undone (`release_stock`: the units named, or all). A cancel for an
    order not seen yet leaves a tombstone, so the order reserves nothing when it arrives."""
    await store.lock_order(uow.conn, order_id)
    reservation = await store.get_reservation(uow.conn, order_id)
    if reservation is None:
        await store.insert_reservation(uow.conn, Reservation.tombstone(order_id, now=now))
        return
    was_held = reservation.status is ReservationStatus.HELD
    moves = reservation.cancel(release_stock=release_stock, lines=release, now=now)
    await _settle(uow, reservation, moves, reason="released" if was_held else "returned", now=now)


async def decline_for_maker(
    uow: UnitOfWork, order_id: UUID, maker_id: UUID, *, release: Units, now: datetime
) -> None:
    """A maker declined their part of the order: their units (those named, or all of theirs)
    go back on sale."""
    await store.lock_order(uow.conn, order_id)
    reservation = await store.get_reservation(uow.conn, order_id)
    if reservation is None:
        log.warning("maker_order_declined_unknown_order", order_id=str(order_id))
        return
    moves = reservation.decline_maker(maker_id, lines=release, now=now)
    await _settle(uow, reservation, moves, reason="declined", now=now)


async def expire_reservation(uow: UnitOfWork, order_id: UUID, now: datetime) -> None:
    """A held reservation whose time is up goes back on sale (unless settled meanwhile)."""
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
    uow: UnitOfWork,
    reservation: Reservation,
    moves: Sequence[StockMove],
    *,
    reason: str,
    now: datetime,
) -> None:
    """Apply a reservation's stock moves to its listings (locked in id order) and save both."""
    listings = await store.listings_for_update(uow, sorted({move.listing_id for move in moves}))
    makers = await store.makers_by_id(uow.conn, sorted({listing.maker_id for listing in listings.values()}))
    apply_stock_moves(listings, moves, now=now)
    await store.update_reservation(uow.conn, reservation)
    for listing_id in sorted(listings):
        listing = listings[listing_id]
        await save_listing(
            uow, listing, makers[listing.maker_id], reason=reason, now=now, order_id=reservation.order_id
        )
