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

from services.orders.domain.events import DomainEvent, OrdersAggregate, TimelineEntry, utcnow
from services.orders.domain.maker_order import MakerOrder, stock_release
from services.orders.domain.pricing import PricedLine, check_commission_rate, statements_for
from services.orders.domain.references import maker_order_reference, new_order_reference
from services.orders.domain.shipping import ParcelShipping
from services.orders.domain.vocabulary import (
    PAYMENT_WINDOW,
    CancellationReason,
    MakerOrderStatus,
    OrderStatus,
    PaymentStatus,
    RefundReason,
    RefundStatus,
)
from shared.errors import Violation, not_found, rules_violated, state_conflict
from shared.money import Money


@dataclass(frozen=True)
class ShippingAddress:
    name: str
    line1: str
    city: str
    postcode: str
    country: str
    line2: str | None = None


@dataclass
class Payment:
    token: str
    status: PaymentStatus = PaymentStatus.NONE
    # The payment provider's reference for the authorisation (not the order's own `reference`).
    reference: str | None = None
    authorised_amount: Money | None = None
    authorised_at: datetime | None = None
    # The provider's reference for the capture; refunds are made against it.
    capture_reference: str | None = None
    captured_amount: Money | None = None
    captured_at: datetime | None = None


@dataclass
class Refund:
    """Captured money owed back to the customer; `due` until the provider confirms it. Its id
    is derived from the order and what it refunds (`Order.refund`'s `key`), so the provider's
    idempotency key for it is the same however often the refund is asked for."""

    id: uuid.UUID
    amount: Money
    reason: CancellationReason | RefundReason
    # The declined, refunded or returned maker order, or None for the whole remaining order.
    maker_order_id: uuid.UUID | None
    requested_at: datetime
    status: RefundStatus = RefundStatus.DUE
    issued_at: datetime | None = None


@dataclass(eq=False)
class Order(OrdersAggregate):
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

    @property
    def payment_idempotency_key(self) -> str:
        # One key per order: retries after a transient error can never charge twice.
        return f"order-{self.id}-authorise"

    @property
    def capture_idempotency_key(self) -> str:
        # One capture per order: a retry, or a crash before the capture was recorded, never
        # takes the money twice.
        return f"order-{self.id}-capture"

    @property
    def authorised(self) -> Money:
        return self.payment.authorised_amount or Money.zero(self.total.currency)

    @property
    def captured(self) -> Money:
        return self.payment.captured_amount or Money.zero(self.total.currency)

    @property
    def refunds_total(self) -> Money:
        """Everything owed back so far, issued or still due."""
        return Money.total((refund.amount for refund in self.refunds), self.total.currency)

    @property
    def refunded(self) -> Money:
        """What the provider has given back so far (refunds issued)."""
        return Money.total(
            (r.amount for r in self.refunds if r.status is RefundStatus.ISSUED), self.total.currency
        )

    @property
    def refundable(self) -> Money:
        """Captured money not yet owed back: the most any further refund can be."""
        return self.captured - self.refunds_total

    def refunded_for(self, maker_order_id: uuid.UUID) -> Money:
        """What has been owed back for one maker's part so far, issued or due."""
        return Money.total(
            (r.amount for r in self.refunds if r.maker_order_id == maker_order_id), self.total.currency
        )

    def refunds_due(self) -> list[Refund]:
        return [refund for refund in self.refunds if refund.status is RefundStatus.DUE]

    @property
    def capture_due(self) -> bool:
        """Confirmed on an authorisation whose money has not been taken yet."""
        return self.status is OrderStatus.CONFIRMED and self.payment.status is PaymentStatus.AUTHORISED

    @property
    def void_due(self) -> bool:
        """Cancelled before the payment was captured: release the customer's funds."""
        return self.status is OrderStatus.CANCELLED and self.payment.status is PaymentStatus.AUTHORISED

    @property
    def compensation_due(self) -> bool:
        """Money the provider still has to give back: a refund or a void."""
        return bool(self.refunds_due()) or self.void_due

    def maker_order(self, maker_order_id: uuid.UUID) -> MakerOrder:
        for maker_order in self.maker_orders:
            if maker_order.id == maker_order_id:
                return maker_order
        raise not_found("Maker order")

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
        )
        return True

    def _hold_payment(self, reference: str, now: datetime) -> None:
        self.payment.status = PaymentStatus.AUTHORISED
        self.payment.reference = reference
        self.payment.authorised_amount = self.total
        self.payment.authorised_at = now

    def payment_captured(self, capture_reference: str, amount: Money, *, now: datetime | None = None) -> bool:
        """The provider took the authorised money at confirmation; refunds are made of it from
        now on. A second report of the same capture is a no-op."""
        if self.payment.capture_reference == capture_reference:
            return False
        if not self.capture_due:
            raise state_conflict(self.payment.status.value, "capture the payment")
        if amount.currency != self.total.currency or not 0 < amount.amount <= self.authorised.amount:
            raise ValueError(f"Cannot capture {amount} of an authorisation of {self.authorised}")
        now = now or utcnow()
        self.payment.capture_reference = capture_reference
        self.payment.captured_amount = amount
        self.payment.captured_at = now
        self._payment_status_follows_amounts()
        self._changed(now, "Payment captured")
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

    def refund_delivered(
        self, maker_order_id: uuid.UUID, reason: str, *, now: datetime | None = None
    ) -> bool:
        """An operator refunds a delivered maker order in full (a return, a fault found later):
        the customer is owed that maker's part and the maker's earning is reversed. The order's
        status does not change; a second refund of the same maker order is a no-op."""
        maker_order = self.maker_order(maker_order_id)
        now = now or utcnow()
        # What is left of that maker's part, its shipping too (a return may have refunded some
        # of it already).
        amount = maker_order.gross + maker_order.shipping_paid - self.refunded_for(maker_order_id)
        if maker_order.status is MakerOrderStatus.DELIVERED and maker_order.refunded_at is None:
            self._check_refundable(amount)
        if not maker_order.refund_after_delivery(reason, now=now):
            return False
        if amount.amount > 0:
            self.refund(
                amount,
                RefundReason.AFTER_DELIVERY,
                key=f"maker-order-{maker_order_id}-refunded",
                maker_order_id=maker_order_id,
                note="A delivered part was refunded",
                now=now,
            )
        return True

    # -- refunds: the one way captured money goes back -------------------------------------------

    def refund(
        self,
        amount: Money,
        reason: CancellationReason | RefundReason,
        *,
        key: str,
        maker_order_id: uuid.UUID | None = None,
        note: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Owe the customer `amount` of the captured money back (the saga's `compensate` pays
        it). Every refund goes through here: a cancellation, a maker's decline, an operator's
        refund, a return. `key` names what is refunded (e.g. `return-<id>`): the same key twice
        is one refund (False the second time), and it makes the provider's idempotency key.
        More than `refundable` (captured − everything already owed back) is refused with a
        409 `refund_exceeds_captured`; so is a refund before capture. `note` goes on the
        timeline (None when the caller's own entry says it)."""
        refund_id = self._refund_id(key)
        if refund_id in self._refund_ids:
            return False
        if amount.currency != self.total.currency or amount.amount <= 0:
            raise ValueError(f"A refund is a positive amount in {self.total.currency}, not {amount}")
        self._check_refundable(amount)
        now = now or utcnow()
        self.refunds.append(
            Refund(
                id=refund_id, amount=amount, reason=reason, maker_order_id=maker_order_id, requested_at=now
            )
        )
        if note is not None:
            self._changed(now, note)
        return True

    def _check_refundable(self, amount: Money) -> None:
        if amount.amount > self.refundable.amount:
            raise state_conflict(
                self.payment.status.value,
                f"refund {amount.amount} when {self.refundable.amount} of the captured money is left",
                code="refund_exceeds_captured",
            )

    def _refund_id(self, key: str) -> uuid.UUID:
        return uuid.uuid5(self.id, key)

    @property
    def _refund_ids(self) -> set[uuid.UUID]:
        return {refund.id for refund in self.refunds}

    def refund_return(
        self, return_id: uuid.UUID, maker_order_id: uuid.UUID, amount: Money, *, now: datetime
    ) -> bool:
        """A received return (domain/returns.py) is owed back through `refund`: one refund per
        return (so a repeated receipt owes nothing twice), never more than is left of the
        captured money. The order's status does not change."""
        return self.refund(
            amount,
            RefundReason.RETURNED,
            key=f"return-{return_id}",
            maker_order_id=maker_order_id,
            note="A return was received; its refund is owed",
            now=now,
        )

    # -- compensation bookkeeping ----------------------------------------------------------------

    def refund_issued(self, refund_id: uuid.UUID, *, now: datetime | None = None) -> bool:
        """The provider confirmed a refund; once all is refunded the payment reads `refunded`."""
        refund = next((r for r in self.refunds if r.id == refund_id), None)
        if refund is None:
            raise not_found("Refund")
        if refund.status is RefundStatus.ISSUED:
            return False
        now = now or utcnow()
        refund.status = RefundStatus.ISSUED
        refund.issued_at = now
        self._payment_status_follows_amounts()
        self._changed(now, "Refund issued")
        return True

    def _payment_status_follows_amounts(self) -> None:
        """Once captured, the payment's status says how much of it has come back."""
        if self.payment.captured_amount is None:
            return
        refunded = self.refunded.amount
        self.payment.status = (
            PaymentStatus.CAPTURED
            if refunded == 0
            else PaymentStatus.REFUNDED
            if refunded >= self.captured.amount
            else PaymentStatus.PARTIALLY_REFUNDED
        )

    def payment_voided(self, *, now: datetime | None = None) -> bool:
        if self.payment.status is PaymentStatus.VOIDED:
            return False
        if not self.void_due:
            raise state_conflict(self.payment.status.value, "void the payment")
        self.payment.status = PaymentStatus.VOIDED
        self._changed(now or utcnow(), "Payment authorisation voided")
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
            customer_id=self.customer_id,
            reason=reason,
            release_stock=bool(release_lines),
            release_lines=release_lines,
            refund=refund,
        )
