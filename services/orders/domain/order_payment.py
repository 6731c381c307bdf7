"""An order's payment and the money owed back from it: the provider's authorisation and capture,
and the refunds recorded as state until the provider confirms them. `Order` takes this
bookkeeping from `OrderPayments`; every refund goes through `OrderPayments.refund`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.orders.domain.events import OrdersAggregate, utcnow
from services.orders.domain.maker_order import MakerOrder
from services.orders.domain.vocabulary import (
    CancellationReason,
    MakerOrderStatus,
    OrderStatus,
    PaymentStatus,
    RefundReason,
    RefundStatus,
)
from shared.errors import not_found, state_conflict
from shared.money import Money


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


class OrderPayments(OrdersAggregate):
    """The payment and refund half of `Order` (domain/order.py), which holds these fields."""

    status: OrderStatus
    total: Money
    payment: Payment
    refunds: list[Refund]
    maker_orders: list[MakerOrder]

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

    def maker_order(self, maker_order_id: uuid.UUID) -> MakerOrder:
        for maker_order in self.maker_orders:
            if maker_order.id == maker_order_id:
                return maker_order
        raise not_found("Maker order")

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
