"""The orders service's use cases: plain async functions over a unit of work, called by the HTTP
API (services/orders/api/), by the event handlers (services/orders/handlers.py) and by tests,
with no HTTP in sight. Each loads what it changes (locked, through the store), asks the domain
to change it, pays back what the change owes, and saves it with its events.

Who may act is decided here only where it needs the data: another user's order, maker order or
commission is reported as missing (`not_found`), like one that does not exist. Roles are
checked by the HTTP layer before a use case runs (docs/architecture.md, Trust and security).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from services.orders import saga, store
from services.orders.domain import (
    Commission,
    LedgerEntry,
    Order,
    PaymentProvider,
    QualityChecks,
    RequestedLine,
    ShippingAddress,
    Tracking,
    earning_for,
    price_lines,
    reversal_of,
)
from services.orders.settings import OrdersSettings
from services.orders.store import Executor, MakerOrderInContext, Position
from shared.contracts.catalogue import ListingSnapshotEvent, StockReservationFailed, StockReserved
from shared.contracts.makers import MakerSnapshotEvent
from shared.contracts.orders import OrderPlaced
from shared.db import UnitOfWork
from shared.errors import not_found, state_conflict
from shared.logging import get_logger
from shared.money import Money

log = get_logger()


# --- read models ---------------------------------------------------------------------------------


async def record_listing(uow: UnitOfWork, event: ListingSnapshotEvent) -> None:
    """Catalogue changed a listing: keep its newest snapshot, which prices order lines."""
    await store.upsert_listing(uow.conn, event)


async def record_maker(uow: UnitOfWork, event: MakerSnapshotEvent) -> None:
    """Makers changed a maker: keep their newest snapshot (who they are, whether they take
    commissions)."""
    await store.upsert_maker(uow.conn, event)


# --- orders --------------------------------------------------------------------------------------


async def place_order(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    lines: Sequence[RequestedLine],
    shipping_address: ShippingAddress,
    payment_token: str,
    gift_message: str | None,
    payment_window: timedelta,
    currencies: Collection[str] | None = None,
) -> Order:
    """Price every line from the listings read model (options checked against what each listing
    offers, each priced in one of `currencies`, the marketplace's, and all in one) and place the
    order, `pending` while stock is reserved and payment authorised."""
    listings = await store.listings(uow.conn, {line.listing_id for line in lines})
    order = Order.place(
        customer_id=customer_id,
        lines=price_lines(lines, listings, currencies),
        shipping_address=shipping_address,
        payment_token=payment_token,
        gift_message=gift_message,
        payment_window=payment_window,
    )
    await store.save_order(uow, order)
    return order


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
    authorise payment."""
    order = await store.load_order(uow, event.order_id)
    if order is None:
        log.warning("reservation_for_unknown_order", order_id=str(event.order_id))
        return
    order.stock_reserved({line.listing_id: line.unit_price for line in event.lines})
    await saga.authorise_if_due(provider, settings, order)
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
    await saga.authorise_if_due(provider, settings, order)
    await store.save_order(uow, order)


# --- maker orders --------------------------------------------------------------------------------


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
    if found.maker_order.deliver():
        await store.post_ledger_entry(uow.conn, earning_for(found.maker_order))
        found.order.maybe_complete()
    return await _settle(uow, provider, found)


async def refund_maker_order(
    uow: UnitOfWork, provider: PaymentProvider, *, maker_order_id: uuid.UUID, reason: str
) -> MakerOrderInContext:
    """An operator refunds a delivered maker order in full: the customer gets that part back and
    the maker's earning is reversed by a new ledger line. A second refund changes nothing."""
    found = await _load_maker_order(uow, maker_order_id, None)
    if found.order.refund_delivered(found.maker_order.id, reason):
        earning = await store.earning_of(uow.conn, found.maker_order.id)
        assert earning is not None, "a delivered maker order has its earning posted"
        await store.post_ledger_entry(uow.conn, reversal_of(earning))
    return await _settle(uow, provider, found)


# --- payouts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payouts:
    """A page of a maker's ledger, newest first, and their balance in each currency."""

    entries: list[LedgerEntry]
    next_position: Position | None
    balances: list[Money]


async def list_payouts(
    db: Executor, *, maker_id: uuid.UUID | None, after: Position | None, limit: int
) -> Payouts:
    """A maker's payout ledger (earnings on delivery, reversals of refunded deliveries) and
    balances; nothing for a maker the read model does not know (None)."""
    if maker_id is None:
        return Payouts([], None, [])
    entries, position = await store.ledger_page(db, maker_id, after, limit)
    return Payouts(entries, position, await store.ledger_balances(db, maker_id))


# --- bespoke commissions -------------------------------------------------------------------------


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
    price) goes straight to payment."""
    commission = await store.load_commission(uow, commission_id)
    if commission is None or commission.customer_id != customer_id:
        raise not_found("Commission")
    order_id = uuid.uuid4()
    if not commission.accept(by_customer_id=customer_id, order_id=order_id):
        raise state_conflict(commission.status.value, "accept again", code="already_accepted")
    order = Order.place(
        customer_id=customer_id,
        lines=[commission.order_line()],
        shipping_address=shipping_address,
        payment_token=payment_token,
        gift_message=gift_message,
        payment_window=payment_window,
        order_id=order_id,
    )
    await store.save_order(uow, order)
    await store.save_commission(uow, commission)
    return order
