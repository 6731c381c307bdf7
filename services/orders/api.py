"""Orders' HTTP API: thin handlers that parse, authorise, call one use case
(services/orders/usecases.py) or read, and render (services/orders/schemas.py); docs/api.md.

Who may do what:
    customers   place orders (Idempotency-Key), read and cancel their own; request
                commissions, accept a quote (Idempotency-Key) or withdraw
    makers      their maker orders: accept, decline, quality-check, dispatch; their payouts;
                quote or decline commissions addressed to them
    operators   read everything; mark maker orders delivered (the carrier webhook's stand-in)
                and refund delivered ones

A maker is known by their token's subject through the makers read model (makers.maker.*
events). Another user's order, maker order or commission is reported as missing (404).
Prices, stock and a maker's standing never come from the client: lines are priced from the
listings read model and re-checked against catalogue's reservation.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from aiohttp import web

from services.orders import schemas, store, usecases
from services.orders.domain import Commission, Order, OrderStatus, PaymentProvider
from services.orders.payments import PROVIDER
from services.orders.settings import ORDERS_SETTINGS
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import ProblemError, not_found
from shared.http import POOL, Call, Routes
from shared.idempotency import HEADER, HEADER_DOC, RESPONSES, idempotent
from shared.money import Money
from shared.paging import Page, decode_time_id, encode_time_id
from shared.watch import ChangeFeed

routes = Routes("orders")

# Updates of orders as they commit, for GET /orders/{id}?wait= (opened by app.py).
ORDER_CHANGES = web.AppKey("order_changes", ChangeFeed)

_409 = "Conflict with the current state (named in `current_state`)"

T = TypeVar("T")


def _principal(call: Call) -> Principal:
    assert call.principal is not None, "the route requires authentication"
    return call.principal


def _provider(call: Call) -> PaymentProvider:
    return call.app[PROVIDER]


def _payment_window(call: Call) -> timedelta:
    return timedelta(seconds=call.app[ORDERS_SETTINGS].payment_window_s)


async def _in_unit_of_work(call: Call, use_case: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    async with UnitOfWork(call.app[POOL], store.PRODUCER) as uow:
        return await use_case(uow)


async def _my_maker_id(call: Call) -> uuid.UUID | None:
    """The calling maker user's maker id, as the makers read model knows it."""
    return await store.maker_id_for_user(call.app[POOL], _principal(call).user_id)


# --- orders --------------------------------------------------------------------------------------


@routes.post("/api/v1/orders", body=schemas.OrderIn, response=schemas.OrderView, status=201,
             roles=("customer",), headers={HEADER: HEADER_DOC}, extra_responses=RESPONSES)
async def place_order(call: Call) -> web.Response:
    """Place an order: every line priced here from the listings, options checked against what
    each listing offers; 201 `pending` while stock is reserved and payment authorised."""
    body: schemas.OrderIn = call.body
    customer_id, payment_window = _principal(call).user_id, _payment_window(call)

    async def place(uow: UnitOfWork) -> schemas.OrderView:
        return schemas.order_view(await usecases.place_order(
            uow, customer_id=customer_id, lines=[line.requested() for line in body.lines],
            shipping_address=body.shipping_address.address(), payment_token=body.payment.token,
            gift_message=body.gift_message, payment_window=payment_window,
        ))

    return await idempotent(call, store.PRODUCER, place, status=201)


@routes.get("/api/v1/orders/{id}", query=schemas.OrderQuery, response=schemas.OrderView,
            roles=("customer", "operator"))
async def get_order(call: Call) -> schemas.OrderView:
    """An order with its lines, maker orders, timeline and legal statements (owner, operators);
    with `?wait=`, the answer waits for a pending order to be settled."""
    principal = _principal(call)
    pool, order_id = call.app[POOL], call.path_id()

    async def load() -> Order:
        order = await store.read_order(pool, order_id)
        if order is None or not (principal.is_operator or order.customer_id == principal.user_id):
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


@routes.get("/api/v1/orders", query=schemas.OrderListQuery, response=Page[schemas.OrderView],
            roles=("customer", "operator"))
async def list_orders(call: Call) -> Page[schemas.OrderView]:
    """A customer's own orders, or every order for operators; newest first, `?status=`."""
    principal = _principal(call)
    query: schemas.OrderListQuery = call.query
    orders, position = await store.orders_page(
        call.app[POOL], customer_id=None if principal.is_operator else principal.user_id,
        status=query.status, after=decode_time_id(query.cursor), limit=query.limit,
    )
    return Page(items=[schemas.order_view(order) for order in orders], next_cursor=encode_time_id(position))


@routes.post("/api/v1/orders/{id}/cancel", response=schemas.OrderView, roles=("customer",),
             extra_responses={409: "already_dispatched: a maker order was dispatched; " + _409})
async def cancel_order(call: Call) -> schemas.OrderView:
    """Cancel (owner) until the first maker order is dispatched: the payment is refunded and
    the stock released."""
    order_id, customer_id = call.path_id(), _principal(call).user_id
    return schemas.order_view(await _in_unit_of_work(call, lambda uow: usecases.cancel_order(
        uow, _provider(call), order_id=order_id, customer_id=customer_id)))


# --- maker orders --------------------------------------------------------------------------------


@routes.get("/api/v1/maker-orders", query=schemas.MakerOrderListQuery,
            response=Page[schemas.MakerOrderDetail],
            roles=("maker", "operator"))
async def list_maker_orders(call: Call) -> Page[schemas.MakerOrderDetail]:
    """A maker's own maker orders (operators: everyone's); newest first, `?status=`."""
    query: schemas.MakerOrderListQuery = call.query
    if _principal(call).is_operator:
        maker_id = None
    else:
        maker_id = await _my_maker_id(call)
        if maker_id is None:
            return Page(items=[])
    found, position = await store.maker_orders_page(
        call.app[POOL], maker_id=maker_id, status=query.status, after=decode_time_id(query.cursor),
        limit=query.limit,
    )
    return Page(items=[schemas.maker_order_detail(f.maker_order, f.order) for f in found],
                next_cursor=encode_time_id(position))


@routes.get("/api/v1/maker-orders/{id}", response=schemas.MakerOrderDetail, roles=("maker", "operator"))
async def get_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """A maker order with its lines, options, money and where to send it (its maker, operators)."""
    found = await store.maker_order_in_context(call.app[POOL], call.path_id())
    if found is None or not (_principal(call).is_operator
                             or found.maker_order.maker_id == await _my_maker_id(call)):
        raise not_found("Maker order")
    return schemas.maker_order_detail(found.maker_order, found.order)


async def _change_maker_order(
    call: Call, change: Callable[[UnitOfWork, uuid.UUID], Awaitable[store.MakerOrderInContext]]
) -> schemas.MakerOrderDetail:
    """Run `change(uow, maker_order_id)` and render the maker order it changed."""
    maker_order_id = call.path_id()
    found = await _in_unit_of_work(call, lambda uow: change(uow, maker_order_id))
    return schemas.maker_order_detail(found.maker_order, found.order)


@routes.post("/api/v1/maker-orders/{id}/accept", response=schemas.MakerOrderDetail, roles=("maker",),
             extra_responses={409: _409})
async def accept_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Accept the work: `in_production`."""
    return await _change_maker_order(call, lambda uow, maker_order_id: usecases.accept_maker_order(
        uow, _provider(call), maker_order_id=maker_order_id, maker_user_id=_principal(call).user_id))


@routes.post("/api/v1/maker-orders/{id}/decline", body=schemas.DeclineIn, response=schemas.MakerOrderDetail,
             roles=("maker",), extra_responses={409: _409})
async def decline_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Decline the work, with a reason: that maker's part is refunded and its pieces go back
    on sale; when every maker declined, the order is cancelled (`maker_declined`)."""
    body: schemas.DeclineIn = call.body
    return await _change_maker_order(call, lambda uow, maker_order_id: usecases.decline_maker_order(
        uow, _provider(call), maker_order_id=maker_order_id, maker_user_id=_principal(call).user_id,
        reason=body.reason))


@routes.post("/api/v1/maker-orders/{id}/quality-check", body=schemas.QualityCheckIn,
             response=schemas.MakerOrderDetail, roles=("maker",), extra_responses={409: _409})
async def quality_check_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Record the quality inspection: passed makes it `quality_checked` (ready to dispatch); a
    failed one keeps it `in_production` with the notes."""
    body: schemas.QualityCheckIn = call.body
    return await _change_maker_order(call, lambda uow, maker_order_id: usecases.quality_check_maker_order(
        uow, _provider(call), maker_order_id=maker_order_id, maker_user_id=_principal(call).user_id,
        passed=body.passed, checks=body.checks.checks(), notes=body.notes))


@routes.post("/api/v1/maker-orders/{id}/dispatch", body=schemas.DispatchIn, response=schemas.MakerOrderDetail,
             roles=("maker",),
             extra_responses={409: "quality_check_required: no passed quality check yet; " + _409})
async def dispatch_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Dispatch with the carrier's tracking; needs a passed quality check."""
    body: schemas.DispatchIn = call.body
    return await _change_maker_order(call, lambda uow, maker_order_id: usecases.dispatch_maker_order(
        uow, _provider(call), maker_order_id=maker_order_id, maker_user_id=_principal(call).user_id,
        tracking=body.tracking()))


@routes.post("/api/v1/maker-orders/{id}/deliver", response=schemas.MakerOrderDetail, roles=("operator",),
             extra_responses={409: _409})
async def deliver_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Mark delivered (operators; the carrier webhook's stand-in): the maker's earning posts to
    their ledger, and the order completes once every part is delivered."""
    return await _change_maker_order(call, lambda uow, maker_order_id: usecases.deliver_maker_order(
        uow, _provider(call), maker_order_id=maker_order_id))


@routes.post("/api/v1/maker-orders/{id}/refund", body=schemas.RefundIn, response=schemas.MakerOrderDetail,
             roles=("operator",),
             extra_responses={409: "not_delivered: only a delivered part is refunded this way "
                                   "(before delivery, the customer cancels or the maker "
                                   "declines); " + _409})
async def refund_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Refund a delivered maker order in full (operators; a return or a fault found later): the
    customer gets that part back and the maker's earning is reversed by a new ledger line. A
    second refund of the same maker order changes nothing."""
    body: schemas.RefundIn = call.body
    return await _change_maker_order(call, lambda uow, maker_order_id: usecases.refund_maker_order(
        uow, _provider(call), maker_order_id=maker_order_id, reason=body.reason))


# --- payouts -------------------------------------------------------------------------------------


@routes.get("/api/v1/payouts", query=schemas.PayoutQuery, response=schemas.PayoutsView,
            roles=("maker", "operator"))
async def list_payouts(call: Call) -> schemas.PayoutsView:
    """A maker's payout ledger (earnings on delivery, reversals of refunded deliveries) and
    balance. Operators name the maker with `?maker_id=`."""
    query: schemas.PayoutQuery = call.query
    if _principal(call).is_operator:
        if query.maker_id is None:
            raise ProblemError(422, "Validation failed", "Operators name the maker: ?maker_id=",
                               code="maker_id_required")
        maker_id: uuid.UUID | None = query.maker_id
    else:
        maker_id = await _my_maker_id(call)
    payouts = await usecases.list_payouts(call.app[POOL], maker_id=maker_id,
                                          after=decode_time_id(query.cursor), limit=query.limit)
    return schemas.PayoutsView(
        items=[schemas.ledger_line_view(entry) for entry in payouts.entries],
        next_cursor=encode_time_id(payouts.next_position),
        balance=payouts.balances[0] if payouts.balances else Money.zero("GBP"),
        balances=payouts.balances,
    )


# --- bespoke commissions -------------------------------------------------------------------------


async def _change_commission(
    call: Call, change: Callable[[UnitOfWork, uuid.UUID, uuid.UUID], Awaitable[Commission]]
) -> schemas.CommissionView:
    """Run `change(uow, commission_id, caller's user id)` and render the commission."""
    commission_id, user_id = call.path_id(), _principal(call).user_id
    commission = await _in_unit_of_work(call, lambda uow: change(uow, commission_id, user_id))
    return schemas.commission_view(commission)


@routes.post("/api/v1/commissions", body=schemas.CommissionIn, response=schemas.CommissionView, status=201,
             roles=("customer",))
async def request_commission(call: Call) -> schemas.CommissionView:
    """Ask a maker who takes commissions for a bespoke piece; 422 if they do not."""
    body: schemas.CommissionIn = call.body
    customer_id = _principal(call).user_id
    return schemas.commission_view(await _in_unit_of_work(call, lambda uow: usecases.request_commission(
        uow, customer_id=customer_id, maker_id=body.maker_id, brief=body.brief, budget=body.budget,
        deadline=body.deadline, ring_size_mm=body.ring_size_mm)))


@routes.post("/api/v1/commissions/{id}/quote", body=schemas.QuoteIn, response=schemas.CommissionView,
             roles=("maker",), extra_responses={409: _409})
async def quote_commission(call: Call) -> schemas.CommissionView:
    """Quote a price and lead time (the maker; again to revise it until accepted)."""
    body: schemas.QuoteIn = call.body
    return await _change_commission(call, lambda uow, commission_id, user_id: usecases.quote_commission(
        uow, commission_id=commission_id, maker_user_id=user_id, price=body.price,
        lead_time_days=body.lead_time_days, description=body.description,
        has_natural_diamond=body.has_natural_diamond))


@routes.post("/api/v1/commissions/{id}/accept", body=schemas.CommissionAcceptIn, response=schemas.OrderView,
             status=201, roles=("customer",), headers={HEADER: HEADER_DOC},
             extra_responses={**RESPONSES, 409: RESPONSES[409] + "; already_accepted; " + _409})
async def accept_commission(call: Call) -> web.Response:
    """Accept the quote: 201 the order it creates (one bespoke line at the quoted price), which
    goes straight to payment."""
    body: schemas.CommissionAcceptIn = call.body
    commission_id, customer_id = call.path_id(), _principal(call).user_id
    payment_window = _payment_window(call)

    async def accept(uow: UnitOfWork) -> schemas.OrderView:
        return schemas.order_view(await usecases.accept_commission(
            uow, commission_id=commission_id, customer_id=customer_id,
            shipping_address=body.shipping_address.address(), payment_token=body.payment.token,
            gift_message=body.gift_message, payment_window=payment_window,
        ))

    return await idempotent(call, store.PRODUCER, accept, status=201)


@routes.post("/api/v1/commissions/{id}/decline", body=schemas.CommissionDeclineIn, body_required=False,
             response=schemas.CommissionView, roles=("maker",), extra_responses={409: _409})
async def decline_commission(call: Call) -> schemas.CommissionView:
    """Decline the request or withdraw the quote (the maker); `{"reason"}` is optional."""
    reason = call.body.reason
    return await _change_commission(call, lambda uow, commission_id, user_id: usecases.decline_commission(
        uow, commission_id=commission_id, maker_user_id=user_id, reason=reason))


@routes.post("/api/v1/commissions/{id}/withdraw", response=schemas.CommissionView, roles=("customer",),
             extra_responses={409: _409})
async def withdraw_commission(call: Call) -> schemas.CommissionView:
    """Withdraw the request (the customer) before accepting a quote."""
    return await _change_commission(call, lambda uow, commission_id, user_id: usecases.withdraw_commission(
        uow, commission_id=commission_id, customer_id=user_id))


@routes.get("/api/v1/commissions/{id}", response=schemas.CommissionView)
async def get_commission(call: Call) -> schemas.CommissionView:
    """A commission (its customer, its maker, operators)."""
    principal = _principal(call)
    commission = await store.read_commission(call.app[POOL], call.path_id())
    if commission is None or not (
        principal.is_operator or principal.user_id == commission.customer_id
        or (principal.role == "maker" and commission.maker_id == await _my_maker_id(call))
    ):
        raise not_found("Commission")
    return schemas.commission_view(commission)


@routes.get("/api/v1/commissions", query=schemas.CommissionListQuery, response=Page[schemas.CommissionView])
async def list_commissions(call: Call) -> Page[schemas.CommissionView]:
    """Commissions a customer asked for, those addressed to a maker, or all for operators;
    newest first, `?status=`."""
    principal = _principal(call)
    query: schemas.CommissionListQuery = call.query
    customer_id = principal.user_id if principal.role == "customer" else None
    maker_id = await _my_maker_id(call) if principal.role == "maker" else None
    if principal.role == "maker" and maker_id is None:
        return Page(items=[])
    commissions, position = await store.commissions_page(
        call.app[POOL], customer_id=customer_id, maker_id=maker_id, status=query.status,
        after=decode_time_id(query.cursor), limit=query.limit,
    )
    return Page(items=[schemas.commission_view(c) for c in commissions], next_cursor=encode_time_id(position))
