"""Maker orders: each maker's part of an order, from acceptance to delivery (or refund)."""

from __future__ import annotations

import uuid

from services.orders import saga, store
from services.orders.domain import (
    PaymentProvider,
    QualityChecks,
    Tracking,
    earning_for,
    reversal_of,
)
from services.orders.store import MakerOrderInContext
from shared.db import UnitOfWork
from shared.errors import not_found


async def _load_maker_order(
    uow: UnitOfWork, maker_order_id: uuid.UUID, maker_user_id: uuid.UUID | None
) -> MakerOrderInContext:
    """The maker order with its order, locked. `maker_user_id` is the calling maker's user, who
    must be its maker; None when an operator acts."""
    order_id = await store.order_id_of_maker_order(uow.conn, maker_order_id)
    order = await store.load_order(uow, order_id) if order_id else None
    if order is None:
        raise not_found("Maker order")
    maker_order = order.maker_order(maker_order_id)
    if maker_user_id is not None and maker_order.maker_id != await store.maker_id_for_user(
        uow.conn, maker_user_id
    ):
        raise not_found("Maker order")
    return MakerOrderInContext(maker_order, order)


async def _settle(
    uow: UnitOfWork, provider: PaymentProvider, found: MakerOrderInContext
) -> MakerOrderInContext:
    """Pay back what the order owes now (a declined or refunded part) and save it with its events."""
    await saga.compensate(provider, uow.conn, found.order)
    await store.save_order(uow, found.order)
    return found


async def accept_maker_order(
    uow: UnitOfWork, provider: PaymentProvider, *, maker_order_id: uuid.UUID, maker_user_id: uuid.UUID
) -> MakerOrderInContext:
    """The maker accepts the work: `in_production`."""
    found = await _load_maker_order(uow, maker_order_id, maker_user_id)
    found.maker_order.accept()
    return await _settle(uow, provider, found)


async def decline_maker_order(
    uow: UnitOfWork,
    provider: PaymentProvider,
    *,
    maker_order_id: uuid.UUID,
    maker_user_id: uuid.UUID,
    reason: str,
) -> MakerOrderInContext:
    """The maker declines the work: their part is refunded and its pieces go back on sale; when
    every maker declined, the order is cancelled (`maker_declined`)."""
    found = await _load_maker_order(uow, maker_order_id, maker_user_id)
    if found.maker_order.decline(reason):
        found.order.maker_order_declined(found.maker_order.id)
    return await _settle(uow, provider, found)


async def quality_check_maker_order(
    uow: UnitOfWork,
    provider: PaymentProvider,
    *,
    maker_order_id: uuid.UUID,
    maker_user_id: uuid.UUID,
    passed: bool,
    checks: QualityChecks,
    notes: str,
) -> MakerOrderInContext:
    """The maker records the quality inspection: passed makes it `quality_checked`; a failed one
    keeps it `in_production` with the notes."""
    found = await _load_maker_order(uow, maker_order_id, maker_user_id)
    found.maker_order.record_quality_check(passed=passed, checks=checks, notes=notes)
    return await _settle(uow, provider, found)


async def dispatch_maker_order(
    uow: UnitOfWork,
    provider: PaymentProvider,
    *,
    maker_order_id: uuid.UUID,
    maker_user_id: uuid.UUID,
    tracking: Tracking,
) -> MakerOrderInContext:
    """The maker dispatches it with the carrier's tracking; it needs a passed quality check."""
    found = await _load_maker_order(uow, maker_order_id, maker_user_id)
    found.maker_order.dispatch(tracking)
    return await _settle(uow, provider, found)


async def deliver_maker_order(
    uow: UnitOfWork, provider: PaymentProvider, *, maker_order_id: uuid.UUID
) -> MakerOrderInContext:
    """Delivered (an operator, standing in for the carrier's webhook): the maker's earning posts
    to their ledger, and the order completes once every part is delivered."""
    found = await _load_maker_order(uow, maker_order_id, None)
    if found.maker_order.deliver(customer_id=found.order.customer_id):
        await store.post_ledger_entry(uow.conn, earning_for(found.maker_order))
        found.order.maybe_complete()
    return await _settle(uow, provider, found)


async def refund_maker_order(
    uow: UnitOfWork, provider: PaymentProvider, *, maker_order_id: uuid.UUID, reason: str
) -> MakerOrderInContext:
    """An operator refunds a delivered maker order in full: the customer gets back what returns
    have not already refunded, and what is left of the maker's earning is reversed by a new
    ledger line. A second refund changes nothing."""
    found = await _load_maker_order(uow, maker_order_id, None)
    if found.order.refund_delivered(found.maker_order.id, reason):
        earning = await store.earning_of(uow.conn, found.maker_order.id)
        assert earning is not None, "a delivered maker order has its earning posted"
        reversal = reversal_of(
            earning, reversed_before=await store.reversals_of(uow.conn, earning.maker_order_id)
        )
        if reversal.gross.amount < 0:
            await store.post_ledger_entry(uow.conn, reversal)
    return await _settle(uow, provider, found)
