"""Returns after delivery: the customer asks, the maker (or an operator) receives the parcel and
the customer is refunded, or an operator rejects the return (docs/domain.md, Consumer rights).

Every change of a return locks its order first (`store.load_order`), so two requests for the
same line take turns and the second sees the first's return: together they never take back
more than was bought. Receiving also needs the order (its refund) and, for the ledger, the
maker order's other returns, all read under that lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from services.orders import saga, store
from services.orders.domain import Order, PaymentProvider
from services.orders.domain.events import utcnow
from services.orders.domain.returns import Return, ReturnReason, ReturnRequestLine
from shared.db import UnitOfWork
from shared.errors import not_found


async def request_return(
    uow: UnitOfWork,
    *,
    order_id: uuid.UUID,
    customer_id: uuid.UUID,
    lines: Sequence[ReturnRequestLine],
    reason: ReturnReason,
    note: str,
    now: datetime | None = None,
) -> Return:
    """The customer asks to return lines of one delivered parcel of their order (`requested`);
    `now` is when they ask (the windows are counted to it)."""
    order = await store.load_order(uow, order_id)
    if order is None or order.customer_id != customer_id:
        raise not_found("Order")
    returned = Return.request(
        order=order,
        lines=lines,
        reason=reason,
        note=note,
        earlier=await store.returns_of_order(uow.conn, order.id),
        now=now or utcnow(),
    )
    await store.save_return(uow, returned)
    return returned


async def _load(uow: UnitOfWork, return_id: uuid.UUID) -> tuple[Order, Return]:
    """The return and its order, both locked (the order first, like a request)."""
    order_id = await store.order_id_of_return(uow.conn, return_id)
    order = await store.load_order(uow, order_id) if order_id else None
    returned = await store.load_return(uow, return_id) if order else None
    if order is None or returned is None:
        raise not_found("Return")
    return order, returned


async def receive_return(
    uow: UnitOfWork,
    provider: PaymentProvider,
    *,
    return_id: uuid.UUID,
    maker_id: uuid.UUID | None,
    operator: bool = False,
    now: datetime | None = None,
) -> Return:
    """The parcel came back to the maker (`maker_id`, or an operator): the customer is refunded
    the lines (plus the parcel's shipping when its last line is back) and the maker's ledger
    gets a reversal of exactly those lines. Receiving it again changes nothing."""
    order, returned = await _load(uow, return_id)
    if not operator and returned.maker_id != maker_id:
        raise not_found("Return")
    now = now or utcnow()
    maker_order = order.maker_order(returned.maker_order_id)
    if returned.receive(
        maker_order=maker_order,
        earlier=[
            other
            for other in await store.returns_of_order(uow.conn, order.id)
            if other.maker_order_id == maker_order.id
        ],
        now=now,
    ):
        assert returned.refund is not None
        order.refund_return(returned.id, maker_order.id, returned.refund.amount, now=now)
        await store.post_ledger_entry(uow.conn, returned.ledger_reversal())
    await saga.compensate(provider, uow.conn, order)
    await store.save_order(uow, order)
    await store.save_return(uow, returned)
    return returned


async def reject_return(
    uow: UnitOfWork, *, return_id: uuid.UUID, reason: str, now: datetime | None = None
) -> Return:
    """An operator refuses the return, saying why (`rejected`); nothing is refunded."""
    _, returned = await _load(uow, return_id)
    returned.reject(reason, now=now or utcnow())
    await store.save_return(uow, returned)
    return returned
