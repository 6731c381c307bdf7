"""Returns after delivery: the customer asks (`POST /orders/{id}/returns`), the owning maker or an
operator receives the parcel (the refund is issued then), an operator rejects with a reason;
customers see their own returns, makers those of their maker orders, operators all."""

from __future__ import annotations

from services.orders import schemas, store, usecases
from services.orders.api.common import CONFLICT_DOC, in_unit_of_work, my_maker_id, provider, routes
from shared.errors import not_found
from shared.http import POOL, Call
from shared.paging import Page, decode_time_id, encode_time_id


@routes.post(
    "/api/v1/orders/{id}/returns",
    body=schemas.ReturnIn,
    response=schemas.ReturnView,
    status=201,
    roles=("customer",),
    extra_responses={
        409: "not_delivered: a line's parcel is not delivered; " + CONFLICT_DOC,
    },
)
async def request_return(call: Call) -> schemas.ReturnView:
    """Ask to return lines of one delivered parcel (owner): 201 `requested`. Refused with 409
    `not_delivered`, or 422 naming every problem: `return_window_closed` (more than 14 days after
    the parcel's delivery for `changed_mind`, 30 for `faulty` or `not_as_described`, counted in
    UK calendar days), `return_not_allowed` (a personalised line for `changed_mind`),
    `quantity_exceeds_returnable` (more than bought less what other returns take back),
    `one_parcel_per_return`, `unknown_line`, `duplicate_line`, `quantity_invalid`."""
    body: schemas.ReturnIn = call.body
    order_id, customer_id = call.path_id(), call.user.user_id
    return schemas.return_view(
        await in_unit_of_work(
            call,
            lambda uow: usecases.request_return(
                uow,
                order_id=order_id,
                customer_id=customer_id,
                lines=body.requested(),
                reason=body.reason,
                note=body.note,
            ),
        )
    )


@routes.get(
    "/api/v1/returns",
    query=schemas.ReturnListQuery,
    response=Page[schemas.ReturnView],
    roles=("customer", "maker", "operator"),
)
async def list_returns(call: Call) -> Page[schemas.ReturnView]:
    """A customer's own returns, a maker's (of its maker orders), or every one for operators;
    newest first, `?status=` (a maker's returns to receive: `requested`), `?order_id=`."""
    query: schemas.ReturnListQuery = call.query
    customer_id = maker_id = None
    if call.user.role == "customer":
        customer_id = call.user.user_id
    elif call.user.role == "maker":
        maker_id = await my_maker_id(call)
        if maker_id is None:
            return Page(items=[])
    found, position = await store.returns_page(
        call.app[POOL],
        customer_id=customer_id,
        maker_id=maker_id,
        order_id=query.order_id,
        status=query.status,
        after=decode_time_id(query.cursor),
        limit=query.limit,
    )
    return Page(items=[schemas.return_view(r) for r in found], next_cursor=encode_time_id(position))


@routes.get("/api/v1/returns/{id}", response=schemas.ReturnView, roles=("customer", "maker", "operator"))
async def get_return(call: Call) -> schemas.ReturnView:
    """A return, with its `refund` once refunded (its customer, its maker, operators)."""
    found = await store.read_return(call.app[POOL], call.path_id())
    allowed = found is not None and (
        call.user.is_operator
        or (call.user.role == "customer" and found.customer_id == call.user.user_id)
        or (call.user.role == "maker" and found.maker_id == await my_maker_id(call))
    )
    if found is None or not allowed:
        raise not_found("Return")
    return schemas.return_view(found)


@routes.post(
    "/api/v1/returns/{id}/receive",
    response=schemas.ReturnView,
    roles=("maker", "operator"),
    extra_responses={409: "A rejected return cannot be received; " + CONFLICT_DOC},
)
async def receive_return(call: Call) -> schemas.ReturnView:
    """The parcel came back (its maker, or operators): 200 `refunded`. The customer is refunded
    the lines' price, plus the parcel's shipping when every line of it has come back; the
    maker's ledger gets a `reversal` of exactly those lines. Receiving again changes nothing."""
    return_id, operator = call.path_id(), call.user.is_operator
    maker_id = None if operator else await my_maker_id(call)
    return schemas.return_view(
        await in_unit_of_work(
            call,
            lambda uow: usecases.receive_return(
                uow, provider(call), return_id=return_id, maker_id=maker_id, operator=operator
            ),
        )
    )


@routes.post(
    "/api/v1/returns/{id}/reject",
    body=schemas.RejectReturnIn,
    response=schemas.ReturnView,
    roles=("operator",),
    extra_responses={409: "A refunded return cannot be rejected; " + CONFLICT_DOC},
)
async def reject_return(call: Call) -> schemas.ReturnView:
    """Refuse the return, saying why (operators): 200 `rejected`; nothing is refunded."""
    body: schemas.RejectReturnIn = call.body
    return_id = call.path_id()
    return schemas.return_view(
        await in_unit_of_work(
            call, lambda uow: usecases.reject_return(uow, return_id=return_id, reason=body.reason)
        )
    )
