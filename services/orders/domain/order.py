"""The order: placed by a customer, settled by the saga (stock reserved, payment authorised and
captured, split into maker orders), cancelled or completed, with the compensation it owes
recorded as state (`refunds`, `void_due`) so that a crashed worker or a sweeper can finish it.

Money that goes back to the customer after capture goes through one function, `Order.refund`:
a cancellation, a maker's decline, an operator's refund and a return all owe a `Refund` there,
and it refuses anything beyond what was captured and not yet refunded."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from services.orders.domain.addresses import ShippingAddress as ShippingAddress
from services.orders.domain.events import DomainEvent, TimelineEntry, utcnow
from services.orders.domain.maker_order import MakerOrder, stock_release
from services.orders.domain.order_payment import OrderPayments, Payment, Refund
from services.orders.domain.pricing import PricedLine, check_commission_rate, statements_for
from services.orders.domain.references import maker_order_reference, new_order_reference
from services.orders.domain.shipping import ParcelShipping
from services.orders.domain.vocabulary import (
    PAYMENT_WINDOW,
    CancellationReason,
    MakerOrderStatus,
    OrderStatus,
    PaymentStatus,
)
from shared.errors import Violation, rules_violated, state_conflict
from shared.money import Money


@dataclass(eq=False)
class Order(OrderPayments):
    aggregate_type: ClassVar[str] = "order"

    id: uuid.UUID
    # What people read aloud and type (`FF-7K3D-92QX`, domain/references.py); unique.
    reference: str
    customer_id: uuid.UUID
    lines: list[PricedLine]
    # The items and every parcel's shipping: what the customer is charged.
    total: Money
    shipping_address: ShippingAddress
    gift_message: str | None
    status: OrderStatus
    payment: Payment
    statements: list[str]
    created_at: datetime
    expires_at: datetime
    cancellation_reason: CancellationReason | None = None
    # Set once catalogue has reserved every stock line (or at placing, when none needs stock).
    stock_reserved_at: datetime | None = None
    maker_orders: list[MakerOrder] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    # Each maker's parcel as priced at placing (domain/shipping.py); its maker order takes it
    # when created. Orders placed before shipping was priced have none.
    shipping: list[ParcelShipping] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    version: int = 0

    # -- placing ------------------------------------------------------------------------------

    @classmethod
    def place(
        cls,
        *,
        customer_id: uuid.UUID,
        lines: Sequence[PricedLine],
        shipping_address: ShippingAddress,
        payment_token: str,
        gift_message: str | None = None,
        now: datetime | None = None,
        payment_window: timedelta = PAYMENT_WINDOW,
        order_id: uuid.UUID | None = None,
        reference: str | None = None,
        shipping: Sequence[ParcelShipping] = (),
    ) -> Order:
        """A pending order from lines priced by `price_lines` or `Commission.order_line`, with
        `reference` or a fresh random one (the store refuses one already taken), and each
        maker's parcel as `price_shipping` priced it: the total is the items and the shipping."""
        problems = []
        if not lines:
            problems.append(Violation(("lines",), "An order needs at least one line", "order_empty"))
        elif len({line.line_total.currency for line in lines}) > 1:
            problems.append(
                Violation(("lines",), "All lines of an order must share one currency", "currency_mismatch")
            )
        if not payment_token or not payment_token.strip():
            problems.append(
                Violation(("payment", "token"), "A payment token is required", "payment_token_required")
            )
        if problems:
            raise rules_violated(problems)

        now = now or utcnow()
        currency = lines[0].line_total.currency
        order = cls(
            id=order_id or uuid.uuid4(),
            reference=reference or new_order_reference(),
            customer_id=customer_id,
            lines=list(lines),
            total=Money.total(
                [*(line.line_total for line in lines), *(parcel.amount for parcel in shipping)], currency
            ),
            shipping_address=shipping_address,
            gift_message=gift_message or None,
            status=OrderStatus.PENDING,
            payment=Payment(token=payment_token),
            statements=statements_for(lines),
            created_at=now,
            expires_at=now + payment_window,
            shipping=list(shipping),
        )
        order._record(
            "placed",
            now,
            "Order placed",
            order_id=order.id,
            reference=order.reference,
            customer_id=customer_id,
            lines=[
                {
                    "line_id": line.id,
                    "listing_id": line.listing_id,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                }
                for line in order.stock_lines
            ],
            total=order.total,
            expires_at=order.expires_at,
        )
        if not order.stock_lines:
            # A bespoke piece has no stock: go straight to payment.
            order.stock_reserved_at = now
        return order

    # -- views the saga and HTTP layer need ------------------------------------------------------

    @property
    def subtotal(self) -> Money:
        """The items, without shipping."""
        return Money.total((line.line_total for line in self.lines), self.total.currency)

    @property
    def shipping_total(self) -> Money:
        return Money.total((parcel.amount for parcel in self.shipping), self.total.currency)

    def parcel_shipping(self, maker_id: uuid.UUID) -> ParcelShipping | None:
        return next((parcel for parcel in self.shipping if parcel.maker_id == maker_id), None)

    @property
    def stock_lines(self) -> list[PricedLine]:
        return [line for line in self.lines if line.needs_stock]

    @property
    def awaiting_payment(self) -> bool:
        """Stock is held and payment has not been tried to a conclusion: authorise now."""
        return (
            self.status is OrderStatus.PENDING
            and self.stock_reserved_at is not None
            and self.payment.status is PaymentStatus.NONE
        )

    def collect_events(self) -> list[DomainEvent]:
        """Drain the pending events of the order, then of each maker order; each aggregate's
        events stay in the order they were recorded (their `aggregate_version` order)."""
        events = self.pull_events()
        for maker_order in self.maker_orders:
            events += maker_order.pull_events()
        return events

    # -- the saga -------------------------------------------------------------------------------

    def stock_reserved(self, prices: Mapping[uuid.UUID, Money], *, now: datetime | None = None) -> bool:
        """Catalogue reserved every stock line. `prices` are its authoritative unit prices by
        listing id; any that differs from what the customer was shown cancels the order
        (price_changed) rather than charging a price they did not agree to. A listing missing from
        `prices` is not compared."""
        if self.status is not OrderStatus.PENDING or self.stock_reserved_at is not None:
            return False
        now = now or utcnow()
        self.stock_reserved_at = now
        changed = [
            line.title
            for line in self.stock_lines
            if line.listing_id is not None and prices.get(line.listing_id, line.unit_price) != line.unit_price
        ]
        if changed:
            self._cancel(CancellationReason.PRICE_CHANGED, now, f"Price changed: {', '.join(changed)}")
        else:
            self._changed(now, "Stock reserved")
        return True

    def reservation_failed(self, reasons: Iterable[str], *, now: datetime | None = None) -> bool:
        """Catalogue could not reserve (all or nothing, so nothing is held). `reasons` are its
        per-line reason codes; a price change only decides the outcome when nothing ran out."""
        if self.status is not OrderStatus.PENDING or self.stock_reserved_at is not None:
            return False
        reasons = list(reasons)
        reason = (
            CancellationReason.PRICE_CHANGED
            if reasons and all(r == CancellationReason.PRICE_CHANGED for r in reasons)
            else CancellationReason.OUT_OF_STOCK
        )
        self._cancel(
            reason,
            now or utcnow(),
            f"Stock could not be reserved: {', '.join(reasons) or 'unknown'}",
            stock_held=False,
        )
        return True

    def payment_authorised(
        self, reference: str, *, commission_rate: Decimal, now: datetime | None = None
    ) -> bool:
        """Confirm the order and split it into one maker order per maker, each with the
        commission rate frozen on it. An authorisation that lands after the order was cancelled
        is recorded so that `void_due` releases it."""
        now = now or utcnow()
        if self.status is OrderStatus.CANCELLED and self.payment.status is PaymentStatus.NONE:
            self._hold_payment(reference, now)
            self._changed(now, "Payment authorised after cancellation; to be voided")
            return True
        if self.status is not OrderStatus.PENDING:
            return False
        if self.stock_reserved_at is None:
            raise state_conflict(
                self.status.value, "confirm before stock is reserved", code="stock_not_reserved"
            )
        check_commission_rate(commission_rate)

        self._hold_payment(reference, now)
        lines_by_maker: dict[uuid.UUID, list[PricedLine]] = defaultdict(list)
        for line in self.lines:
            lines_by_maker[line.maker_id].append(line)
        # Numbered -1, -2... in the order they are created, the order of their first lines.
        self.maker_orders = [
            MakerOrder.create(
                order_id=self.id,
                reference=maker_order_reference(self.reference, position),
                maker_id=maker_id,
                lines=lines,
                commission_rate=commission_rate,
                shipping=self.parcel_shipping(maker_id),
                now=now,
            )
            for position, (maker_id, lines) in enumerate(lines_by_maker.items(), start=1)
        ]
        self.status = OrderStatus.CONFIRMED
        self._record(
            "confirmed",
            now,
            "Payment authorised; order confirmed",
            order_id=self.id,
            reference=self.reference,
            customer_id=self.customer_id,
            total=self.total,
            payment_reference=reference,
            # What catalogue commits: the reservation becomes a sale.
            lines=stock_release(self.lines),
            maker_orders=[
                {
                    "maker_order_id": mo.id,
                    "reference": mo.reference,
                    "maker_id": mo.maker_id,
                    "gross": mo.gross,
                    "commission": mo.commission,
                    "net": mo.net,
                    "line_ids": [line.id for line in mo.lines],
                }
                for mo in self.maker_orders
            ],
            # What the customer's receipt lists.
            receipt=[
                {"title": line.title, "quantity": line.quantity, "line_total": line.line_total}
                for line in self.lines
            ],
            shipping=Money.total((parcel.amount for parcel in self.shipping), self.total.currency),
        )
        return True

    def payment_declined(
        self, *, authorisation_reference: str | None = None, now: datetime | None = None
    ) -> bool:
        """Declined at authorisation, or at capture: then `authorisation_reference` is the
        authorisation the provider would not capture, held so that `void_due` releases it."""
        if self.status is not OrderStatus.PENDING:
            return False
        now = now or utcnow()
        if authorisation_reference is not None:
            self._hold_payment(authorisation_reference, now)
        self._cancel(CancellationReason.PAYMENT_DECLINED, now, "Payment declined")
        return True

    def expire(self, now: datetime) -> bool:
        """The timeout sweeper's transition: pending past `expires_at`."""
        if self.status is not OrderStatus.PENDING or now < self.expires_at:
            return False
        self._cancel(CancellationReason.EXPIRED, now, "Not settled in time")
        return True

    # -- user actions and fulfilment -------------------------------------------------------------

    def cancel_by_customer(self, *, now: datetime | None = None) -> bool:
        if self.cancellation_reason is CancellationReason.CUSTOMER_CANCELLED:
            return False
        if any(
            mo.status in (MakerOrderStatus.DISPATCHED, MakerOrderStatus.DELIVERED) for mo in self.maker_orders
        ):
            raise state_conflict(self.status.value, "cancel after dispatch", code="already_dispatched")
        if self.status not in (OrderStatus.PENDING, OrderStatus.CONFIRMED):
            raise state_conflict(self.status.value, "cancel")
        self._cancel(CancellationReason.CUSTOMER_CANCELLED, now or utcnow(), "Cancelled by the customer")
        return True

    def maker_order_declined(self, maker_order_id: uuid.UUID, *, now: datetime | None = None) -> bool:
        """After `MakerOrder.decline`: refund that maker's part, or cancel the order
        (maker_declined) when every maker has declined."""
        maker_order = self.maker_order(maker_order_id)
        if maker_order.status is not MakerOrderStatus.DECLINED:
            raise ValueError("Decline the maker order before telling its order")
        key = f"maker-order-{maker_order_id}-declined"
        if self.status is not OrderStatus.CONFIRMED or self._refund_id(key) in self._refund_ids:
            return False
        now = now or utcnow()
        if all(mo.status is MakerOrderStatus.DECLINED for mo in self.maker_orders):
            self._cancel(CancellationReason.MAKER_DECLINED, now, "Every maker declined")
            return True
        self.refund(
            maker_order.gross + maker_order.shipping_paid,
            CancellationReason.MAKER_DECLINED,
            key=key,
            maker_order_id=maker_order_id,
            note="A maker declined; their part is refunded",
            now=now,
        )
        # The makers still in the order may all have delivered already.
        self.maybe_complete(now=now)
        return True

    def maybe_complete(self, *, now: datetime | None = None) -> bool:
        """Completed once every maker order that was not declined is delivered."""
        if self.status is not OrderStatus.CONFIRMED:
            return False
        remaining = [mo for mo in self.maker_orders if mo.status is not MakerOrderStatus.DECLINED]
        if not remaining or any(mo.status is not MakerOrderStatus.DELIVERED for mo in remaining):
            return False
        now = now or utcnow()
        self.status = OrderStatus.COMPLETED
        self._record(
            "completed", now, "Every piece delivered", order_id=self.id, customer_id=self.customer_id
        )
        return True

    def _cancel(
        self, reason: CancellationReason, now: datetime, note: str, *, stock_held: bool = True
    ) -> None:
        """Cancel and say what compensation is owed. Stock is released for every line not already
        released by a maker's decline; when the reservation may still be in flight (expiry,
        customer cancel while pending) catalogue's release must tolerate there being none."""
        for maker_order in self.maker_orders:
            if maker_order.status is not MakerOrderStatus.DECLINED:
                maker_order.cancel(now=now)
        # Before capture the authorisation is voided instead (`void_due`).
        refund = self.refundable if self.refundable.amount > 0 else None
        if refund is not None:
            self.refund(refund, reason, key="cancellation", now=now)
        declined_line_ids = {
            line.id for mo in self.maker_orders if mo.status is MakerOrderStatus.DECLINED for line in mo.lines
        }
        release_lines = (
            stock_release(line for line in self.lines if line.id not in declined_line_ids)
            if stock_held
            else []
        )
        self.status = OrderStatus.CANCELLED
        self.cancellation_reason = reason
        self._record(
            "cancelled",
            now,
            note,
            order_id=self.id,
            reference=self.reference,
            customer_id=self.customer_id,
            reason=reason,
            release_stock=bool(release_lines),
            release_lines=release_lines,
            refund=refund,
        )
