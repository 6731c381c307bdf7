"""Orders: placing and cancelling one, and the saga's reactions to the events that follow."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import timedelta

from services.orders import saga, store
from services.orders.domain import Order, PaymentProvider, RequestedLine
from services.orders.domain.references import new_order_reference
from services.orders.settings import OrdersSettings
from services.orders.usecases.addresses import AddressChoice
from services.orders.usecases.quotes import price_basket
from shared.contracts.catalogue import StockReservationFailed, StockReserved
from shared.contracts.orders import OrderPlaced
from shared.db import UnitOfWork
from shared.errors import not_found
from shared.logging import get_logger

log = get_logger()

# Taken references are drawn again; among 32^8 of them, this many collisions in a row would mean
# something other than chance.
REFERENCE_ATTEMPTS = 5


async def save_new_order(
    uow: UnitOfWork,
    place: Callable[[str], Order],
    draw_reference: Callable[[], str] = new_order_reference,
) -> Order:
    """Save the order `place(reference)` builds, with a reference no other order has: the
    store's unique index refuses a taken one, and the order is built again with a new draw."""
    for _ in range(REFERENCE_ATTEMPTS):
        order = place(draw_reference())
        try:
            await store.save_order(uow, order)
        except store.ReferenceTaken:
            log.warning("order_reference_taken", reference=order.reference)
            continue
        return order
    raise RuntimeError(f"No free order reference in {REFERENCE_ATTEMPTS} draws")


async def place_order(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    lines: Sequence[RequestedLine],
    shipping_address: AddressChoice,
    payment_token: str,
    gift_message: str | None,
    payment_window: timedelta,
    currencies: Collection[str] | None = None,
    draw_reference: Callable[[], str] = new_order_reference,
) -> Order:
    """Price every line from the listings read model (options checked against what each listing
    offers, each priced in one of `currencies`, the marketplace's, and all in one) and place the
    order, `pending` while stock is reserved and payment authorised, under a fresh reference. The
    address is typed in or one of the customer's saved ones, copied onto the order. Each maker's
    parcel is priced as a quote prices it (usecases/quotes.py), and the total charged includes it."""
    basket = await price_basket(
        uow.conn,
        customer_id=customer_id,
        lines=lines,
        shipping_address=shipping_address,
        currencies=currencies,
    )
    return await save_new_order(
        uow,
        lambda reference: Order.place(
            customer_id=customer_id,
            lines=basket.lines,
            shipping=basket.shipping,
            shipping_address=basket.address,
            payment_token=payment_token,
            gift_message=gift_message,
            payment_window=payment_window,
            reference=reference,
        ),
        draw_reference,
    )


async def cancel_order(
    uow: UnitOfWork, provider: PaymentProvider, *, order_id: uuid.UUID, customer_id: uuid.UUID
) -> Order:
    """The customer cancels their order until a maker order is dispatched: the payment is
    refunded (or voided) and the stock released."""
    order = await store.load_order(uow, order_id)
    if order is None or order.customer_id != customer_id:
        raise not_found("Order")
    order.cancel_by_customer()
    await saga.compensate(provider, uow.conn, order)
    await saga.void_unrecorded_authorisation(provider, order)
    await store.save_order(uow, order)
    return order


# --- the saga's reactions to events --------------------------------------------------------------
async def stock_reserved(
    uow: UnitOfWork, event: StockReserved, *, provider: PaymentProvider, settings: OrdersSettings
) -> None:
    """Catalogue holds every line: check its prices against what the customer was shown, then
    take payment (authorise and capture)."""
    order = await store.load_order(uow, event.order_id)
    if order is None:
        log.warning("reservation_for_unknown_order", order_id=str(event.order_id))
        return
    order.stock_reserved({line.listing_id: line.unit_price for line in event.lines})
    await saga.take_payment_if_due(provider, settings, uow.conn, order)
    await store.save_order(uow, order)


async def reservation_failed(uow: UnitOfWork, event: StockReservationFailed) -> None:
    """Catalogue could not reserve the stock: the order is cancelled (out of stock, or a
    changed price)."""
    order = await store.load_order(uow, event.order_id)
    if order is None:
        log.warning("reservation_for_unknown_order", order_id=str(event.order_id))
        return
    order.reservation_failed(line.reason for line in event.lines)
    await store.save_order(uow, order)


async def order_placed(
    uow: UnitOfWork, event: OrderPlaced, *, provider: PaymentProvider, settings: OrdersSettings
) -> None:
    """Our own event: an order without stock lines (bespoke) goes straight to payment; a stock
    order waits for catalogue's answer instead."""
    if event.lines:
        return
    order = await store.load_order(uow, event.order_id)
    if order is None:
        return
    await saga.take_payment_if_due(provider, settings, uow.conn, order)
    await store.save_order(uow, order)
