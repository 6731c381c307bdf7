"""Maker orders (their maker's steps: accept, decline, quality-check, dispatch; operators:
deliver, refund)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from services.orders import schemas, store, usecases
from services.orders.api.common import (
    CONFLICT_DOC,
    in_unit_of_work,
    my_maker_id,
    provider,
    routes,
)
from services.orders.domain.dispatch import uk_day
from services.orders.domain.events import utcnow
from shared.db import UnitOfWork
from shared.errors import not_found
from shared.http import POOL, Call
from shared.paging import Page, decode_time_id, encode_time_id


@routes.get(
    "/api/v1/maker-orders",
    query=schemas.MakerOrderListQuery,
    response=Page[schemas.MakerOrderDetail],
    roles=("maker", "operator"),
)
async def list_maker_orders(call: Call) -> Page[schemas.MakerOrderDetail]:
    """A maker's own maker orders (operators: everyone's, or `?maker_id=`'s); newest first,
    `?status=`, `?overdue=true` (accepted, not dispatched, past `dispatch_by`)."""
    query: schemas.MakerOrderListQuery = call.query
    after = decode_time_id(query.cursor)  # a bad cursor is refused even when the page is empty
    if call.user.is_operator:
        maker_id = query.maker_id
    else:
        maker_id = await my_maker_id(call)
        if maker_id is None:
            return Page(items=[])
    found, position = await store.maker_orders_page(
        call.app[POOL],
        maker_id=maker_id,
        status=query.status,
        after=after,
        limit=query.limit,
        overdue_on=uk_day(utcnow()) if query.overdue else None,
    )
    return Page(
        items=[schemas.maker_order_detail(f.maker_order, f.order) for f in found],
        next_cursor=encode_time_id(position),
    )


@routes.get("/api/v1/maker-orders/{id}", response=schemas.MakerOrderDetail, roles=("maker", "operator"))
async def get_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """A maker order with its lines, options, money and where to send it (its maker, operators)."""
    found = await store.maker_order_in_context(call.app[POOL], call.path_id())
    if found is None or not (call.user.is_operator or found.maker_order.maker_id == await my_maker_id(call)):
        raise not_found("Maker order")
    return schemas.maker_order_detail(found.maker_order, found.order)


async def _change_maker_order(
    call: Call, change: Callable[[UnitOfWork, uuid.UUID], Awaitable[store.MakerOrderInContext]]
) -> schemas.MakerOrderDetail:
    """Run `change(uow, maker_order_id)` and render the maker order it changed."""
    maker_order_id = call.path_id()
    found = await in_unit_of_work(call, lambda uow: change(uow, maker_order_id))
    return schemas.maker_order_detail(found.maker_order, found.order)


@routes.post(
    "/api/v1/maker-orders/{id}/accept",
    response=schemas.MakerOrderDetail,
    roles=("maker",),
    extra_responses={409: CONFLICT_DOC},
)
async def accept_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Accept the work: `in_production`."""
    return await _change_maker_order(
        call,
        lambda uow, maker_order_id: usecases.accept_maker_order(
            uow, provider(call), maker_order_id=maker_order_id, maker_user_id=call.user.user_id
        ),
    )


@routes.post(
    "/api/v1/maker-orders/{id}/decline",
    body=schemas.DeclineIn,
    response=schemas.MakerOrderDetail,
    roles=("maker",),
    extra_responses={409: CONFLICT_DOC},
)
async def decline_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Decline the work, with a reason: that maker's part is refunded and its pieces go back
    on sale; when every maker declined, the order is cancelled (`maker_declined`)."""
    body: schemas.DeclineIn = call.body
    return await _change_maker_order(
        call,
        lambda uow, maker_order_id: usecases.decline_maker_order(
            uow,
            provider(call),
            maker_order_id=maker_order_id,
            maker_user_id=call.user.user_id,
            reason=body.reason,
        ),
    )


@routes.post(
    "/api/v1/maker-orders/{id}/quality-check",
    body=schemas.QualityCheckIn,
    response=schemas.MakerOrderDetail,
    roles=("maker",),
    extra_responses={409: CONFLICT_DOC},
)
async def quality_check_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Record the quality inspection: passed makes it `quality_checked` (ready to dispatch); a
    failed one keeps it `in_production` with the notes. A pass is refused (422, all together) with
    `ring_size_mismatch` (a ring line measured more than 0.5 mm from its own ordered size: by its
    entry in `measured_ring_sizes_mm`, else by `measured_ring_size_mm`),
    `hallmark_not_verified` (a line that must be hallmarked, `hallmark_verified` not true),
    `engraving_not_verified` (an engraved line, `engraving_verified` not true)."""
    body: schemas.QualityCheckIn = call.body
    return await _change_maker_order(
        call,
        lambda uow, maker_order_id: usecases.quality_check_maker_order(
            uow,
            provider(call),
            maker_order_id=maker_order_id,
            maker_user_id=call.user.user_id,
            passed=body.passed,
            checks=body.checks.checks(),
            notes=body.notes,
        ),
    )


@routes.post(
    "/api/v1/maker-orders/{id}/dispatch",
    body=schemas.DispatchIn,
    response=schemas.MakerOrderDetail,
    roles=("maker",),
    extra_responses={409: "quality_check_required: no passed quality check yet; " + CONFLICT_DOC},
)
async def dispatch_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Dispatch with the carrier's tracking; needs a passed quality check."""
    body: schemas.DispatchIn = call.body
    return await _change_maker_order(
        call,
        lambda uow, maker_order_id: usecases.dispatch_maker_order(
            uow,
            provider(call),
            maker_order_id=maker_order_id,
            maker_user_id=call.user.user_id,
            tracking=body.tracking(),
        ),
    )


@routes.post(
    "/api/v1/maker-orders/{id}/deliver",
    response=schemas.MakerOrderDetail,
    roles=("operator",),
    extra_responses={409: CONFLICT_DOC},
)
async def deliver_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Mark delivered (operators; the carrier webhook's stand-in): the maker's earning posts to
    their ledger, and the order completes once every part is delivered."""
    return await _change_maker_order(
        call,
        lambda uow, maker_order_id: usecases.deliver_maker_order(
            uow, provider(call), maker_order_id=maker_order_id
        ),
    )


@routes.post(
    "/api/v1/maker-orders/{id}/refund",
    body=schemas.RefundIn,
    response=schemas.MakerOrderDetail,
    roles=("operator",),
    extra_responses={
        409: "not_delivered: only a delivered part is refunded this way "
        "(before delivery, the customer cancels or the maker "
        "declines); refund_exceeds_captured: more than is left of the captured payment; " + CONFLICT_DOC
    },
)
async def refund_maker_order(call: Call) -> schemas.MakerOrderDetail:
    """Refund a delivered maker order in full (operators; a return or a fault found later): the
    customer gets back what is left of that part of the captured payment (less what returns
    already refunded) and the maker's earning is reversed by a new ledger line. A second refund
    of the same maker order changes nothing."""
    body: schemas.RefundIn = call.body
    return await _change_maker_order(
        call,
        lambda uow, maker_order_id: usecases.refund_maker_order(
            uow, provider(call), maker_order_id=maker_order_id, reason=body.reason
        ),
    )
