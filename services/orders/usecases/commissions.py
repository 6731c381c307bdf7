"""Bespoke commissions: requested, quoted, accepted into an order, or declined/withdrawn."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import date, timedelta
from decimal import Decimal

from services.orders import store
from services.orders.domain import (
    Commission,
    Order,
    ShippingAddress,
)
from services.orders.domain.shipping import price_shipping
from services.orders.usecases.orders import save_new_order
from services.orders.usecases.quotes import makers_shipping, uk_today
from shared.db import UnitOfWork
from shared.errors import not_found, state_conflict
from shared.money import Money


async def request_commission(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    maker_id: uuid.UUID,
    brief: str,
    budget: Money,
    deadline: date,
    ring_size_mm: Decimal | None,
    currencies: Collection[str] | None = None,
) -> Commission:
    """A customer asks a maker who takes commissions for a bespoke piece, with a budget in one
    of `currencies` (the marketplace's)."""
    maker = await store.maker(uow.conn, maker_id)
    commission = Commission.request(
        maker_id=maker_id,
        maker_accepts_commissions=maker is not None and maker.takes_commissions,
        customer_id=customer_id,
        brief=brief,
        budget=budget,
        deadline=deadline,
        ring_size_mm=ring_size_mm,
        accepted_currencies=currencies,
    )
    await store.save_commission(uow, commission)
    return commission


async def _change_commission(
    uow: UnitOfWork,
    commission_id: uuid.UUID,
    change: Callable[[Commission], object],
    *,
    by_maker: bool = False,
    caller_id: uuid.UUID | None,
) -> Commission:
    """Load the commission locked, check the caller is its maker (`by_maker`: `caller_id` is the
    maker's id, None for a user who is no maker) or its customer, apply `change` and save it with
    its events."""
    commission = await store.load_commission(uow, commission_id)
    if commission is None:
        raise not_found("Commission")
    if (commission.maker_id if by_maker else commission.customer_id) != caller_id:
        raise not_found("Commission")
    change(commission)
    await store.save_commission(uow, commission)
    return commission


async def quote_commission(
    uow: UnitOfWork,
    *,
    commission_id: uuid.UUID,
    maker_user_id: uuid.UUID,
    price: Money,
    lead_time_days: int,
    description: str,
    has_natural_diamond: bool,
    currencies: Collection[str] | None = None,
) -> Commission:
    """The maker quotes a price (in one of `currencies`, the marketplace's) and lead time (again
    to revise it until accepted); a natural diamond only if the maker attested to the System of
    Warranties (the makers read model)."""
    maker_id = await store.maker_id_for_user(uow.conn, maker_user_id)
    maker = await store.maker(uow.conn, maker_id) if maker_id else None
    attested = maker is not None and maker.system_of_warranties_attested
    return await _change_commission(
        uow,
        commission_id,
        lambda commission: commission.quote_price(
            by_maker_id=commission.maker_id,
            price=price,
            lead_time_days=lead_time_days,
            description=description,
            has_natural_diamond=has_natural_diamond,
            warranty_attested=attested,
            accepted_currencies=currencies,
        ),
        by_maker=True,
        caller_id=maker_id,
    )


async def decline_commission(
    uow: UnitOfWork, *, commission_id: uuid.UUID, maker_user_id: uuid.UUID, reason: str
) -> Commission:
    """The maker declines the request or withdraws their quote."""
    return await _change_commission(
        uow,
        commission_id,
        lambda commission: commission.decline(by_maker_id=commission.maker_id, reason=reason),
        by_maker=True,
        caller_id=await store.maker_id_for_user(uow.conn, maker_user_id),
    )


async def withdraw_commission(
    uow: UnitOfWork, *, commission_id: uuid.UUID, customer_id: uuid.UUID
) -> Commission:
    """The customer withdraws their request before accepting a quote."""
    return await _change_commission(
        uow,
        commission_id,
        lambda commission: commission.withdraw(by_customer_id=commission.customer_id),
        caller_id=customer_id,
    )


async def accept_commission(
    uow: UnitOfWork,
    *,
    commission_id: uuid.UUID,
    customer_id: uuid.UUID,
    shipping_address: ShippingAddress,
    payment_token: str,
    gift_message: str | None,
    payment_window: timedelta,
) -> Order:
    """The customer accepts the quote: the order it creates (one bespoke line at the quoted
    price, and its parcel's shipping priced by the maker's profile like any order's) goes
    straight to payment."""
    commission = await store.load_commission(uow, commission_id)
    if commission is None or commission.customer_id != customer_id:
        raise not_found("Commission")
    order_id = uuid.uuid4()
    if not commission.accept(by_customer_id=customer_id, order_id=order_id):
        raise state_conflict(commission.status.value, "accept again", code="already_accepted")
    line = commission.order_line()
    makers = await makers_shipping(uow.conn, [line.maker_id])
    shipping = price_shipping([line], makers, shipping_address.country, uk_today())
    order = await save_new_order(
        uow,
        lambda reference: Order.place(
            customer_id=customer_id,
            lines=[line],
            shipping=shipping,
            shipping_address=shipping_address,
            payment_token=payment_token,
            gift_message=gift_message,
            payment_window=payment_window,
            order_id=order_id,
            reference=reference,
        ),
    )
    await store.save_commission(uow, commission)
    return order
