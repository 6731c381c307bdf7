"""Orders: place (Idempotency-Key), read (long-polling a pending one), list and cancel."""

from __future__ import annotations

from aiohttp import web

from services.orders import schemas, store, usecases
from services.orders.api.common import (
    CONFLICT_DOC,
    ORDER_CHANGES,
    currencies,
    in_unit_of_work,
    payment_window,
    provider,
    routes,
)
from services.orders.domain import Order, OrderStatus
from shared.db import UnitOfWork
from shared.errors import not_found
from shared.http import POOL, Call
from shared.idempotency import HEADER, HEADER_DOC, RESPONSES, idempotent
from shared.paging import Page, decode_time_id, encode_time_id


@routes.post(
    "/api/v1/orders",
    body=schemas.OrderIn,
    response=schemas.OrderView,
    status=201,
    roles=("customer",),
    headers={HEADER: HEADER_DOC},
    extra_responses=RESPONSES,
)
async def place_order(call: Call) -> web.Response:
    """Place an order: every line priced here from the listings, options checked against what
    each listing offers; 201 `pending` while stock is reserved and payment authorised. Sent to
    `shipping_address` or to `shipping_address_id`, a saved address (422 `address_not_found`)."""
    body: schemas.OrderIn = call.body
    customer_id, window, accepted = call.user.user_id, payment_window(call), currencies(call)

    async def place(uow: UnitOfWork) -> schemas.OrderView:
        return schemas.order_view(
            await usecases.place_order(
                uow,
                customer_id=customer_id,
                lines=[line.requested() for line in body.lines],
                shipping_address=body.address_choice(),
                payment_token=body.payment.token,
                gift_message=body.gift_message,
                payment_window=window,
                currencies=accepted,
            )
        )

    return await idempotent(call, store.PRODUCER, place, status=201)


@routes.post(
    "/api/v1/orders/quote",
    body=schemas.BasketIn,
    response=schemas.OrderQuoteView,
    roles=("customer",),
)
async def quote_order(call: Call) -> schemas.OrderQuoteView:
    """What placing this order would cost (items, each maker's shipping, the total) and when
    each parcel would arrive; the same 422s as placing it (`destination_not_shipped` naming the
    maker). Creates nothing: the order placed right after with the same body costs the same."""
    body: schemas.BasketIn = call.body
    return schemas.order_quote_view(
        await usecases.price_basket(
            call.app[POOL],
            customer_id=call.user.user_id,
            lines=[line.requested() for line in body.lines],
            shipping_address=body.address_choice(),
            currencies=currencies(call),
        )
    )


@routes.get(
    "/api/v1/orders/{id}",
    query=schemas.OrderQuery,
    response=schemas.OrderView,
    roles=("customer", "operator"),
)
async def get_order(call: Call) -> schemas.OrderView:
    """An order with its lines, maker orders, timeline and legal statements (owner, operators);
    with `?wait=`, the answer waits for a pending order to be settled."""
    caller = call.user
    pool, order_id = call.app[POOL], call.path_id()

    async def load() -> Order:
        order = await store.read_order(pool, order_id)
        if order is None or not (caller.is_operator or order.customer_id == caller.user_id):
            raise not_found("Order")
        return order

    if not call.query.wait:
        return schemas.order_view(await load())
    # Watching before the first read: a change committed after it wakes the wait.
    async with call.app[ORDER_CHANGES].watching(order_id, for_s=call.query.wait) as changed:
        order = await load()
        while order.status is OrderStatus.PENDING and await changed.wait():
            order = await load()
    return schemas.order_view(order)


@routes.get(
    "/api/v1/orders",
    query=schemas.OrderListQuery,
    response=Page[schemas.OrderView],
    roles=("customer", "operator"),
)
async def list_orders(call: Call) -> Page[schemas.OrderView]:
    """A customer's own orders, or every order for operators; newest first, `?status=`,
    `?reference=` (the one order with that reference, for a customer only their own)."""
    caller = call.user
    query: schemas.OrderListQuery = call.query
    orders, position = await store.orders_page(
        call.app[POOL],
        customer_id=None if caller.is_operator else caller.user_id,
        status=query.status,
        after=decode_time_id(query.cursor),
        limit=query.limit,
        reference=query.reference,
    )
    return Page(items=[schemas.order_view(order) for order in orders], next_cursor=encode_time_id(position))


@routes.post(
    "/api/v1/orders/{id}/cancel",
    response=schemas.OrderView,
    roles=("customer",),
    extra_responses={409: "already_dispatched: a maker order was dispatched; " + CONFLICT_DOC},
)
async def cancel_order(call: Call) -> schemas.OrderView:
    """Cancel (owner) until the first maker order is dispatched: the payment is refunded and
    the stock released."""
    order_id, customer_id = call.path_id(), call.user.user_id
    return schemas.order_view(
        await in_unit_of_work(
            call,
            lambda uow: usecases.cancel_order(
                uow, provider(call), order_id=order_id, customer_id=customer_id
            ),
        )
    )
