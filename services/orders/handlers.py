"""Orders' event consumers: the read models of listings and makers, and catalogue's answers
to the saga (plus our own `orders.order.placed`, which starts payment for bespoke orders).
Each handler only hands the event to its use case (services/orders/usecases/).

Each handler runs in the consumer's unit of work, after the event id went into the inbox: a
duplicate never reaches it, and whatever it changes commits with that id or not at all.
"""

from __future__ import annotations

from aiohttp import web

from services.orders import usecases
from services.orders.payments import PROVIDER
from services.orders.settings import ORDERS_SETTINGS
from shared.consumer import Handler
from shared.contracts import Envelope, Event
from shared.contracts.catalogue import (
    LISTING_EVENTS,
    ListingSnapshotEvent,
    StockReservationFailed,
    StockReserved,
)
from shared.contracts.makers import MAKER_EVENTS, MakerSnapshotEvent
from shared.contracts.orders import OrderPlaced
from shared.db import UnitOfWork


def handlers(app: web.Application) -> dict[type[Event], Handler]:
    async def on_listing(uow: UnitOfWork, event: ListingSnapshotEvent, envelope: Envelope) -> None:
        await usecases.record_listing(uow, event)

    async def on_maker(uow: UnitOfWork, event: MakerSnapshotEvent, envelope: Envelope) -> None:
        await usecases.record_maker(uow, event)

    async def on_stock_reserved(uow: UnitOfWork, event: StockReserved, envelope: Envelope) -> None:
        await usecases.stock_reserved(uow, event, provider=app[PROVIDER], settings=app[ORDERS_SETTINGS])

    async def on_reservation_failed(
        uow: UnitOfWork, event: StockReservationFailed, envelope: Envelope
    ) -> None:
        await usecases.reservation_failed(uow, event)

    async def on_order_placed(uow: UnitOfWork, event: OrderPlaced, envelope: Envelope) -> None:
        await usecases.order_placed(uow, event, provider=app[PROVIDER], settings=app[ORDERS_SETTINGS])

    table: dict[type[Event], Handler] = dict.fromkeys(LISTING_EVENTS, on_listing)
    table.update(dict.fromkeys(MAKER_EVENTS, on_maker))
    table[StockReserved] = on_stock_reserved
    table[StockReservationFailed] = on_reservation_failed
    table[OrderPlaced] = on_order_placed
    return table
