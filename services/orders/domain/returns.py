"""Returns after delivery (docs/domain.md, Consumer rights): the customer sends lines of a
delivered parcel back, for a change of mind within 14 days of its delivery or because they are
faulty or not as described within 30; the maker (or an operator) receives them and the customer
is refunded, or an operator rejects the return with a reason.

Days after delivery are counted on the UK calendar, the way the Consumer Contracts Regulations
count them: the day of delivery is day 0, and a window of N days stays open until the end of
day N (UK time) and closes at midnight. Delivered at 18:00 on 1 March, a change of mind is
accepted until 23:59:59 on 15 March and refused from 00:00 on 16 March.

A return is one parcel's: every line of it belongs to the same maker order, which is the maker
who receives it. What a line can still be returned is what was bought less what other returns
that are `requested` or `refunded` already take back (a rejected return gives nothing back).

The refund is the lines' price (what the customer paid per unit, options included, times the
quantity), plus the parcel's shipping when this return brings its last line back. The maker's
ledger is reversed by exactly those lines: their gross, the commission taken on them (a share of
the maker order's frozen commission, counted over everything returned so far so that returning
a whole parcel in several returns reverses exactly its whole commission), and the shipping
refunded (commission-free, as shipping goes to the maker whole).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import ClassVar
from zoneinfo import ZoneInfo

from services.orders.domain.events import OrdersAggregate, TimelineEntry
from services.orders.domain.ledger import LedgerEntry
from services.orders.domain.maker_order import MakerOrder, required_reason
from services.orders.domain.order import Order
from services.orders.domain.pricing import PricedLine
from services.orders.domain.vocabulary import (
    MAX_LINES_PER_ORDER,
    CancellationRight,
    LedgerKind,
    MakerOrderStatus,
)
from shared.errors import Violation, rules_violated, state_conflict
from shared.money import Money

# The change-of-mind period of the Consumer Contracts Regulations 2013.
CHANGE_OF_MIND_DAYS = 14
# The short-term right to reject of the Consumer Rights Act 2015.
SHORT_TERM_REJECT_DAYS = 30
MAX_RETURN_NOTE_CHARS = 2000
UK_TIME = ZoneInfo("Europe/London")


class ReturnReason(StrEnum):
    CHANGED_MIND = "changed_mind"
    FAULTY = "faulty"
    NOT_AS_DESCRIBED = "not_as_described"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    REFUNDED = "refunded"
    REJECTED = "rejected"


def window_days(reason: ReturnReason) -> int:
    return CHANGE_OF_MIND_DAYS if reason is ReturnReason.CHANGED_MIND else SHORT_TERM_REJECT_DAYS


def days_after_delivery(delivered_at: datetime, now: datetime) -> int:
    """Whole UK calendar days from the day of delivery (day 0) to `now`'s day."""
    return (now.astimezone(UK_TIME).date() - delivered_at.astimezone(UK_TIME).date()).days


def last_day_to_return(delivered_at: datetime, reason: ReturnReason) -> date:
    """The last UK calendar day on which a return for `reason` is accepted."""
    return delivered_at.astimezone(UK_TIME).date() + timedelta(days=window_days(reason))


def unit_paid(line: PricedLine) -> Money:
    """What the customer paid for one unit of the line, its options (an engraving) included."""
    return Money(amount=line.line_total.amount // line.quantity, currency=line.line_total.currency)


@dataclass(frozen=True)
class ReturnRequestLine:
    """A line as the customer asks to return it."""

    line_id: uuid.UUID
    quantity: int


@dataclass(frozen=True)
class ReturnLine:
    line_id: uuid.UUID
    title: str
    quantity: int
    unit_paid: Money
    amount: Money


@dataclass(frozen=True)
class ReturnRefund:
    """What receiving the return paid back (the order's refund with the return's id), and what
    it took off the maker's ledger."""

    lines: Money
    shipping: Money
    amount: Money
    reversal_gross: Money
    reversal_commission: Money
    reversal_net: Money
    at: datetime


def returning_quantities(returns: Iterable[Return]) -> Counter[uuid.UUID]:
    """Units per line that returns still open or already refunded take back."""
    taken: Counter[uuid.UUID] = Counter()
    for other in returns:
        if other.status is not ReturnStatus.REJECTED:
            for line in other.lines:
                taken[line.line_id] += line.quantity
    return taken


@dataclass(eq=False)
class Return(OrdersAggregate):
    aggregate_type: ClassVar[str] = "return"

    id: uuid.UUID
    order_id: uuid.UUID
    maker_order_id: uuid.UUID
    maker_id: uuid.UUID
    customer_id: uuid.UUID
    reason: ReturnReason
    note: str
    lines: list[ReturnLine]
    status: ReturnStatus
    created_at: datetime
    # The parcel's delivery, and the last day this return's reason allowed.
    delivered_at: datetime
    last_day: date
    refund: ReturnRefund | None = None
    rejection_reason: str | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    version: int = 0

    @classmethod
    def request(
        cls,
        *,
        order: Order,
        lines: Sequence[ReturnRequestLine],
        reason: ReturnReason,
        note: str,
        earlier: Iterable[Return],
        now: datetime,
    ) -> Return:
        """The customer asks to return `lines` of one delivered parcel of `order`; `earlier` are
        the order's other returns. Refused with 409 `not_delivered` when a line's parcel is not
        delivered, otherwise every broken rule at once (422): `return_window_closed`,
        `return_not_allowed` (a personalised line for a change of mind),
        `quantity_exceeds_returnable`, and the shape of the request."""
        note = (note or "").strip()
        problems: list[Violation] = []
        if not lines:
            problems.append(Violation(("lines",), "Say what you are sending back", "return_empty"))
        if len(lines) > MAX_LINES_PER_ORDER:
            problems.append(Violation(("lines",), "Too many lines", "too_many_lines"))
        if len(note) > MAX_RETURN_NOTE_CHARS:
            problems.append(
                Violation(("note",), f"At most {MAX_RETURN_NOTE_CHARS} characters", "note_too_long")
            )
        order_lines = {line.id: line for line in order.lines}
        counted = Counter(line.line_id for line in lines)
        for index, line in enumerate(lines):
            loc = ("lines", index)
            if line.line_id not in order_lines:
                problems.append(Violation((*loc, "line_id"), "Not a line of this order", "unknown_line"))
            elif counted[line.line_id] > 1:
                problems.append(
                    Violation((*loc, "line_id"), "Each line once, with its quantity", "duplicate_line")
                )
            if line.quantity < 1:
                problems.append(Violation((*loc, "quantity"), "At least 1", "quantity_invalid"))
        if problems:
            raise rules_violated(problems)

        parcels = {line.line_id: _parcel_of(order, line.line_id) for line in lines}
        if len({parcel.id for parcel in parcels.values()}) > 1:
            raise rules_violated(
                [
                    Violation(
                        ("lines",),
                        "Each parcel goes back to its own maker: return one parcel at a time",
                        "one_parcel_per_return",
                    )
                ]
            )
        parcel = parcels[lines[0].line_id]
        if parcel.status is not MakerOrderStatus.DELIVERED or parcel.delivered_at is None:
            raise state_conflict(parcel.status.value, "return a parcel not delivered", code="not_delivered")

        taken = returning_quantities(earlier)
        last_day = last_day_to_return(parcel.delivered_at, reason)
        for index, line in enumerate(lines):
            loc = ("lines", index)
            bought = order_lines[line.line_id]
            if days_after_delivery(parcel.delivered_at, now) > window_days(reason):
                problems.append(
                    Violation(
                        loc,
                        f"{bought.title}: returns for this reason closed after {last_day.isoformat()}",
                        "return_window_closed",
                    )
                )
            if (
                reason is ReturnReason.CHANGED_MIND
                and bought.cancellation_right is CancellationRight.EXEMPT_PERSONALISED
            ):
                problems.append(
                    Violation(
                        loc,
                        f"{bought.title} was made personally for you: it can be returned only "
                        "when faulty or not as described",
                        "return_not_allowed",
                    )
                )
            # A parcel an operator refunded in full has nothing left to return.
            returnable = 0 if parcel.refunded_at is not None else bought.quantity - taken[line.line_id]
            if line.quantity > returnable:
                problems.append(
                    Violation(
                        (*loc, "quantity"),
                        f"{bought.title}: at most {max(returnable, 0)} can be returned",
                        "quantity_exceeds_returnable",
                    )
                )
        if problems:
            raise rules_violated(problems)

        returned = cls(
            id=uuid.uuid4(),
            order_id=order.id,
            maker_order_id=parcel.id,
            maker_id=parcel.maker_id,
            customer_id=order.customer_id,
            reason=reason,
            note=note,
            lines=[
                ReturnLine(
                    line_id=line.line_id,
                    title=order_lines[line.line_id].title,
                    quantity=line.quantity,
                    unit_paid=unit_paid(order_lines[line.line_id]),
                    amount=unit_paid(order_lines[line.line_id]) * line.quantity,
                )
                for line in lines
            ],
            status=ReturnStatus.REQUESTED,
            created_at=now,
            delivered_at=parcel.delivered_at,
            last_day=last_day,
        )
        returned._record(
            "requested",
            now,
            "Return requested",
            **returned._event_data(),
            reason=reason,
            lines=[
                {"line_id": line.line_id, "quantity": line.quantity, "amount": line.amount}
                for line in returned.lines
            ],
        )
        return returned

    @property
    def lines_amount(self) -> Money:
        return Money.total((line.amount for line in self.lines), self.lines[0].amount.currency)

    def receive(self, *, maker_order: MakerOrder, earlier: Iterable[Return], now: datetime) -> bool:
        """The parcel came back: decide the refund and the ledger reversal. `earlier` are the
        maker order's other returns; the order then owes `refund.amount` (`Order.refund_return`). Receiving
        a refunded return again is a no-op (False)."""
        if self.status is ReturnStatus.REFUNDED:
            return False
        if self.status is not ReturnStatus.REQUESTED:
            raise state_conflict(self.status.value, "receive a return")
        if maker_order.id != self.maker_order_id:
            raise ValueError("A return is received against its own maker order")
        if maker_order.refunded_at is not None:
            # An operator refunded the whole parcel meanwhile: nothing is left to pay back.
            raise state_conflict(
                self.status.value, "receive a return of a parcel refunded whole", code="already_refunded"
            )
        refunded_before = [
            other for other in earlier if other.id != self.id and other.status is ReturnStatus.REFUNDED
        ]
        back = returning_quantities(refunded_before)
        for line in self.lines:
            back[line.line_id] += line.quantity
        whole_parcel = all(back[line.id] >= line.quantity for line in maker_order.lines)
        currency = maker_order.gross.currency
        shipping = maker_order.shipping_paid if whole_parcel else Money.zero(currency)

        gross_before = Money.total((other.lines_amount for other in refunded_before), currency)
        commission_before = Money.total(
            (-other.refund.reversal_commission for other in refunded_before if other.refund), currency
        )
        commission = _commission_share(maker_order, gross_before + self.lines_amount) - commission_before
        reversal_gross = self.lines_amount + shipping
        self.refund = ReturnRefund(
            lines=self.lines_amount,
            shipping=shipping,
            amount=self.lines_amount + shipping,
            reversal_gross=-reversal_gross,
            reversal_commission=-commission,
            reversal_net=-(reversal_gross - commission),
            at=now,
        )
        self.status = ReturnStatus.REFUNDED
        self._record(
            "refunded",
            now,
            "Received by the maker; refunded",
            **self._event_data(),
            refund=self.refund.amount,
            shipping=shipping,
            gross=self.refund.reversal_gross,
            commission=self.refund.reversal_commission,
            net=self.refund.reversal_net,
        )
        return True

    def reject(self, reason: str, *, now: datetime) -> bool:
        """An operator refuses the return, saying why. The same rejection again is a no-op."""
        reason = required_reason(reason)
        if self.status is ReturnStatus.REJECTED and self.rejection_reason == reason:
            return False
        if self.status is not ReturnStatus.REQUESTED:
            raise state_conflict(self.status.value, "reject a return")
        self.status = ReturnStatus.REJECTED
        self.rejection_reason = reason
        self._record("rejected", now, f"Rejected: {reason}", **self._event_data(), reason=reason)
        return True

    def ledger_reversal(self) -> LedgerEntry:
        """The maker's reversal for this received return (a new ledger line, never an edit)."""
        if self.refund is None:
            raise ValueError("Only a refunded return reverses an earning")
        return LedgerEntry(
            id=uuid.uuid4(),
            maker_id=self.maker_id,
            maker_order_id=self.maker_order_id,
            kind=LedgerKind.REVERSAL,
            gross=self.refund.reversal_gross,
            commission=self.refund.reversal_commission,
            net=self.refund.reversal_net,
            at=self.refund.at,
            return_id=self.id,
        )

    def _event_data(self) -> dict[str, object]:
        return {
            "return_id": self.id,
            "order_id": self.order_id,
            "maker_order_id": self.maker_order_id,
            "maker_id": self.maker_id,
            "customer_id": self.customer_id,
            "status": self.status,
        }


def _parcel_of(order: Order, line_id: uuid.UUID) -> MakerOrder:
    for maker_order in order.maker_orders:
        if any(line.id == line_id for line in maker_order.lines):
            return maker_order
    # A line not yet split into a maker order (the order is not confirmed): nothing delivered.
    raise state_conflict(order.status.value, "return a parcel not delivered", code="not_delivered")


def _commission_share(maker_order: MakerOrder, returned_gross: Money) -> Money:
    """The maker order's commission in proportion to `returned_gross` of its gross, rounded
    half up: everything returned gives back exactly the whole commission."""
    gross, commission = maker_order.gross.amount, maker_order.commission.amount
    if gross == 0:
        return Money.zero(maker_order.gross.currency)
    amount = (2 * commission * returned_gross.amount + gross) // (2 * gross)
    return Money(amount=amount, currency=maker_order.gross.currency)
