"""Bespoke commissions: requested by a customer, quoted or declined by the maker, accepted
(Idempotency-Key, creating the order) or withdrawn by the customer."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from services.orders import schemas, store, usecases
from services.orders.api.common import (
    CONFLICT_DOC,
    currencies,
    in_unit_of_work,
    my_maker_id,
    payment_window,
    routes,
)
from services.orders.domain import Commission
from shared.db import UnitOfWork
from shared.errors import not_found
from shared.http import POOL, Call
from shared.idempotency import HEADER, HEADER_DOC, RESPONSES, idempotent
from shared.paging import Page, decode_time_id, encode_time_id


async def _change_commission(
    call: Call, change: Callable[[UnitOfWork, uuid.UUID, uuid.UUID], Awaitable[Commission]]
) -> schemas.CommissionView:
    """Run `change(uow, commission_id, caller's user id)` and render the commission."""
    commission_id, user_id = call.path_id(), call.user.user_id
    commission = await in_unit_of_work(call, lambda uow: change(uow, commission_id, user_id))
    return schemas.commission_view(commission)


@routes.post(
    "/api/v1/commissions",
    body=schemas.CommissionIn,
    response=schemas.CommissionView,
    status=201,
    roles=("customer",),
)
async def request_commission(call: Call) -> schemas.CommissionView:
    """Ask a maker who takes commissions for a bespoke piece; 422 if they do not."""
    body: schemas.CommissionIn = call.body
    customer_id, accepted = call.user.user_id, currencies(call)
    return schemas.commission_view(
        await in_unit_of_work(
            call,
            lambda uow: usecases.request_commission(
                uow,
                customer_id=customer_id,
                maker_id=body.maker_id,
                brief=body.brief,
                budget=body.budget,
                deadline=body.deadline,
                ring_size_mm=body.ring_size_mm,
                currencies=accepted,
            ),
        )
    )


@routes.post(
    "/api/v1/commissions/{id}/quote",
    body=schemas.QuoteIn,
    response=schemas.CommissionView,
    roles=("maker",),
    extra_responses={409: CONFLICT_DOC},
)
async def quote_commission(call: Call) -> schemas.CommissionView:
    """Quote a price and lead time (the maker; again to revise it until accepted)."""
    body: schemas.QuoteIn = call.body
    accepted = currencies(call)
    return await _change_commission(
        call,
        lambda uow, commission_id, user_id: usecases.quote_commission(
            uow,
            commission_id=commission_id,
            maker_user_id=user_id,
            price=body.price,
            lead_time_days=body.lead_time_days,
            description=body.description,
            has_natural_diamond=body.has_natural_diamond,
            currencies=accepted,
        ),
    )


@routes.post(
    "/api/v1/commissions/{id}/accept",
    body=schemas.CommissionAcceptIn,
    response=schemas.OrderView,
    status=201,
    roles=("customer",),
    headers={HEADER: HEADER_DOC},
    extra_responses={**RESPONSES, 409: RESPONSES[409] + "; already_accepted; " + CONFLICT_DOC},
)
async def accept_commission(call: Call) -> web.Response:
    """Accept the quote: 201 the order it creates (one bespoke line at the quoted price), which
    goes straight to payment."""
    body: schemas.CommissionAcceptIn = call.body
    commission_id, customer_id = call.path_id(), call.user.user_id
    window = payment_window(call)

    async def accept(uow: UnitOfWork) -> schemas.OrderView:
        return schemas.order_view(
            await usecases.accept_commission(
                uow,
                commission_id=commission_id,
                customer_id=customer_id,
                shipping_address=body.shipping_address.address(),
                payment_token=body.payment.token,
                gift_message=body.gift_message,
                payment_window=window,
            )
        )

    return await idempotent(call, store.PRODUCER, accept, status=201)


@routes.post(
    "/api/v1/commissions/{id}/decline",
    body=schemas.CommissionDeclineIn,
    body_required=False,
    response=schemas.CommissionView,
    roles=("maker",),
    extra_responses={409: CONFLICT_DOC},
)
async def decline_commission(call: Call) -> schemas.CommissionView:
    """Decline the request or withdraw the quote (the maker); `{"reason"}` is optional."""
    reason = call.body.reason
    return await _change_commission(
        call,
        lambda uow, commission_id, user_id: usecases.decline_commission(
            uow, commission_id=commission_id, maker_user_id=user_id, reason=reason
        ),
    )


@routes.post(
    "/api/v1/commissions/{id}/withdraw",
    response=schemas.CommissionView,
    roles=("customer",),
    extra_responses={409: CONFLICT_DOC},
)
async def withdraw_commission(call: Call) -> schemas.CommissionView:
    """Withdraw the request (the customer) before accepting a quote."""
    return await _change_commission(
        call,
        lambda uow, commission_id, user_id: usecases.withdraw_commission(
            uow, commission_id=commission_id, customer_id=user_id
        ),
    )


async def _with_order_references(call: Call, commissions: list[Commission]) -> list[schemas.CommissionView]:
    """The commissions' views, each accepted one naming its order's reference."""
    references = await store.order_references(call.app[POOL], [c.order_id for c in commissions if c.order_id])
    return [
        schemas.commission_view(c, references.get(c.order_id) if c.order_id else None) for c in commissions
    ]


@routes.get("/api/v1/commissions/{id}", response=schemas.CommissionView)
async def get_commission(call: Call) -> schemas.CommissionView:
    """A commission (its customer, its maker, operators)."""
    caller = call.user
    commission = await store.read_commission(call.app[POOL], call.path_id())
    if commission is None or not (
        caller.is_operator
        or caller.user_id == commission.customer_id
        or (caller.role == "maker" and commission.maker_id == await my_maker_id(call))
    ):
        raise not_found("Commission")
    return (await _with_order_references(call, [commission]))[0]


@routes.get("/api/v1/commissions", query=schemas.CommissionListQuery, response=Page[schemas.CommissionView])
async def list_commissions(call: Call) -> Page[schemas.CommissionView]:
    """Commissions a customer asked for, those addressed to a maker, or all for operators;
    newest first, `?status=`."""
    caller = call.user
    query: schemas.CommissionListQuery = call.query
    customer_id = caller.user_id if caller.role == "customer" else None
    maker_id = await my_maker_id(call) if caller.role == "maker" else None
    if caller.role == "maker" and maker_id is None:
        return Page(items=[])
    commissions, position = await store.commissions_page(
        call.app[POOL],
        customer_id=customer_id,
        maker_id=maker_id,
        status=query.status,
        after=decode_time_id(query.cursor),
        limit=query.limit,
    )
    return Page(items=await _with_order_references(call, commissions), next_cursor=encode_time_id(position))
