"""Invoices: one per maker order (one parcel, one seller), for the order's customer, the
owning maker and operators; anyone else is told it does not exist."""

from __future__ import annotations

import uuid

from services.orders import store
from services.orders.domain import MakerOrderStatus
from services.orders.domain.invoice import Invoice, Seller, invoice_for
from shared.db import Executor
from shared.errors import not_found, state_conflict

# A parcel the maker declined, or that was cancelled with its order, was never sold.
_NOT_SOLD = frozenset({MakerOrderStatus.DECLINED, MakerOrderStatus.CANCELLED})


async def maker_order_invoice(
    db: Executor,
    maker_order_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
    maker_id: uuid.UUID | None,
    operator: bool,
) -> Invoice:
    """The invoice of a maker order for the user `user_id` (the maker `maker_id`, if they are
    one): 404 unless they are its customer, its maker or an operator; 409 `not_invoiced` for a
    parcel that was never sold (declined or cancelled). The seller is named as the makers
    service last described them."""
    found = await store.maker_order_in_context(db, maker_order_id)
    if found is None:
        raise not_found("Maker order")
    maker_order, order = found.maker_order, found.order
    if not (
        operator
        or order.customer_id == user_id
        or (maker_id is not None and maker_order.maker_id == maker_id)
    ):
        raise not_found("Maker order")
    if maker_order.status in _NOT_SOLD:
        raise state_conflict(maker_order.status.value, "invoice", code="not_invoiced")
    maker = await store.maker(db, maker_order.maker_id)
    seller = Seller(
        display_name=maker.display_name if maker else "",
        legal_name=maker.legal_name if maker else None,
        vat_number=maker.vat_number if maker else None,
    )
    return invoice_for(order, maker_order, seller, maker_order.shipping_paid)
