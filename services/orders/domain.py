"""The orders service's domain: pure rules and state machines, no I/O.

Aggregates (`Order` with its `MakerOrder`s, `Commission`) change state only through methods
that check the current state, bump `version` and record `DomainEvent`s in `pending_events`; the
store writes the new state and those events (to the outbox) in one transaction and compares
`version` against the value it loaded (optimistic concurrency).

Idempotency: a transition whose effect already happened (the aggregate is already in the target
state, or a saga event arrives late or twice) is a no-op that returns False. A user action that
the current state does not allow raises `state_conflict` (409). Input that breaks a rule raises
`rules_violated` (422) naming every problem at once.

Money is integer minor units with an ISO 4217 currency, never floats. Compensation (refunds,
voids) is recorded as state (`Order.refunds`, `Order.void_due`) so a crashed worker or a sweeper
can finish it; the payment provider is reached only through the `PaymentProvider` port.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, Protocol, TypeVar

import pydantic_core
from pydantic import TypeAdapter

from shared.errors import (
    ProblemError,
    Violation,
    forbidden,
    not_found,
    rules_violated,
    state_conflict,
)

# A line's quantity cap, whatever the stock: larger quantities are trade orders, not retail.
MAX_QUANTITY_PER_LINE = 10
MAX_LINES_PER_ORDER = 50
# How long a pending order may wait for stock and payment before it is cancelled as expired.
PAYMENT_WINDOW = timedelta(minutes=15)
# ISO 8653 ring sizes span roughly this inner circumference.
RING_SIZE_MIN_MM = Decimal(38)
RING_SIZE_MAX_MM = Decimal(76)
MAX_COMMISSION_BRIEF_CHARS = 4000
MAX_QUOTE_DESCRIPTION_CHARS = 4000
MAX_QUOTE_LEAD_TIME_DAYS = 365
MAX_REASON_CHARS = 1000
MAX_QUALITY_NOTES_CHARS = 2000

SYSTEM_OF_WARRANTIES_STATEMENT = (
    "The diamonds herein invoiced have been purchased from legitimate sources not involved in "
    "funding conflict and in compliance with United Nations resolutions. The seller hereby "
    "guarantees that these diamonds are conflict free, based on personal knowledge and/or "
    "written guarantees provided by the supplier of these diamonds."
)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------------------------
# States and vocabularies
# --------------------------------------------------------------------------------------------


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class CancellationReason(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    PRICE_CHANGED = "price_changed"
    PAYMENT_DECLINED = "payment_declined"
    EXPIRED = "expired"
    CUSTOMER_CANCELLED = "customer_cancelled"
    MAKER_DECLINED = "maker_declined"


class MakerOrderStatus(StrEnum):
    AWAITING_ACCEPTANCE = "awaiting_acceptance"
    IN_PRODUCTION = "in_production"
    QUALITY_CHECKED = "quality_checked"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class CommissionStatus(StrEnum):
    REQUESTED = "requested"
    QUOTED = "quoted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class PaymentStatus(StrEnum):
    NONE = "none"
    AUTHORISED = "authorised"
    VOIDED = "voided"
    REFUNDED = "refunded"


class RefundReason(StrEnum):
    """Why money goes back when no cancellation is involved."""

    # An operator refunded a delivered maker order (a return, a fault found later).
    AFTER_DELIVERY = "after_delivery"


class RefundStatus(StrEnum):
    DUE = "due"
    ISSUED = "issued"


class CancellationRight(StrEnum):
    STANDARD = "standard"
    EXEMPT_PERSONALISED = "exempt_personalised"


class ProductionKind(StrEnum):
    ONE_OF_A_KIND = "one_of_a_kind"
    MADE_TO_ORDER = "made_to_order"
    READY_TO_SHIP = "ready_to_ship"
    # Only order lines created from an accepted commission; never a listing's kind.
    BESPOKE = "bespoke"


class LedgerKind(StrEnum):
    EARNING = "earning"
    REVERSAL = "reversal"


# --------------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """An amount in integer minor units (pence for GBP) of one ISO 4217 currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int subclass; True pence is a bug, not a price.
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"Money amount must be an int of minor units, got {self.amount!r}")
        if not (len(self.currency) == 3 and self.currency.isascii() and self.currency.isupper()):
            raise ValueError(f"Not an ISO 4217 currency code: {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"Cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, times: int) -> Money:
        if not isinstance(times, int) or isinstance(times, bool):
            raise TypeError("Money can only be multiplied by a whole number")
        return Money(self.amount * times, self.currency)

    def as_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency}


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for amount in amounts:
        total += amount
    return total


def commission_for(gross: Money, rate: Decimal) -> Money:
    """The marketplace's commission on `gross`, rounded half-up to the minor unit."""
    _check_commission_rate(rate)
    exact = Decimal(gross.amount) * rate
    return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), gross.currency)


def _check_commission_rate(rate: Decimal) -> None:
    # A float rate would bring binary rounding into money; configuration must give a Decimal.
    if not isinstance(rate, Decimal):
        raise TypeError(f"Commission rate must be a Decimal, got {type(rate).__name__}")
    if not Decimal(0) <= rate < Decimal(1):
        raise ValueError(f"Commission rate must be in [0, 1), got {rate}")


# --------------------------------------------------------------------------------------------
# Listings as orders sees them, and order lines
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadTime:
    min: int
    max: int


@dataclass(frozen=True)
class SizeRange:
    """Inclusive range of ring sizes, as inner circumference in millimetres."""

    min: Decimal
    max: Decimal

    def __contains__(self, size_mm: Decimal) -> bool:
        return self.min <= size_mm <= self.max


@dataclass(frozen=True)
class EngravingOption:
    max_chars: int
    price_delta: Money


@dataclass(frozen=True)
class ListingSnapshot:
    """What orders knows about a listing, kept up to date from catalogue events."""

    listing_id: uuid.UUID
    maker_id: uuid.UUID
    title: str
    price: Money
    # Published (or sold out) and its maker approved: the public may see and buy it.
    visible: bool
    production_kind: ProductionKind
    lead_time_days: LeadTime | None = None
    ring_size_mm: SizeRange | None = None
    engraving: EngravingOption | None = None
    chain_lengths_cm: tuple[int, ...] | None = None
    has_natural_diamond: bool = False
    # Units catalogue can still sell (ready_to_ship stock; 1 or 0 for one_of_a_kind).
    # None means no limit known here (made_to_order has none).
    stock_available: int | None = None

    @property
    def available_quantity(self) -> int | None:
        """How many units one order may take in total, or None when only the line cap applies."""
        if self.production_kind is ProductionKind.ONE_OF_A_KIND:
            return min(1, self.stock_available if self.stock_available is not None else 1)
        # Unknown stock is left to catalogue's reservation, which is authoritative anyway.
        return self.stock_available


@dataclass(frozen=True)
class LineOptions:
    """The personalisation a customer chose for one line. Blank engraving means none."""

    ring_size_mm: Decimal | None = None
    engraving_text: str | None = None
    chain_length_cm: int | None = None

    def __post_init__(self) -> None:
        # Ring sizes are compared against range bounds: a float would make 54.4 miss 54.4.
        if self.ring_size_mm is not None and not isinstance(self.ring_size_mm, Decimal):
            object.__setattr__(self, "ring_size_mm", Decimal(str(self.ring_size_mm)))
        if self.engraving_text is not None:
            # NFC so that "é" typed as e + combining accent counts as the one character engraved.
            text = unicodedata.normalize("NFC", self.engraving_text)
            object.__setattr__(self, "engraving_text", text if text.strip() else None)

    @property
    def is_engraved(self) -> bool:
        return self.engraving_text is not None


@dataclass(frozen=True)
class RequestedLine:
    """A line as the customer asked for it: no price, since prices never come from the client."""

    listing_id: uuid.UUID
    quantity: int
    options: LineOptions = field(default_factory=LineOptions)


@dataclass(frozen=True)
class PricedLine:
    """An order line priced by the server from the listing snapshot (or a commission quote)."""

    id: uuid.UUID
    listing_id: uuid.UUID | None
    commission_id: uuid.UUID | None
    maker_id: uuid.UUID
    title: str
    quantity: int
    unit_price: Money
    # Per unit, zero when the line is not engraved.
    engraving_price: Money
    line_total: Money
    options: LineOptions
    cancellation_right: CancellationRight
    production_kind: ProductionKind
    lead_time_days: LeadTime | None
    has_natural_diamond: bool

    @property
    def needs_stock(self) -> bool:
        return self.listing_id is not None


def _engraving_violations(
    text: str, offer: EngravingOption, loc: tuple[str | int, ...]
) -> list[Violation]:
    problems = []
    if len(text) > offer.max_chars:
        problems.append(
            Violation(loc, f"Engraving is limited to {offer.max_chars} characters", "engraving_too_long")
        )
    # isprintable() refuses control characters (newlines, tabs), format characters (bidi
    # overrides, zero-width joiners), lone surrogates, private-use and unassigned code points:
    # none of them can be engraved, and some would disguise what the maker reads.
    unprintable = sorted({f"U+{ord(char):04X}" for char in text if not char.isprintable()})
    if unprintable:
        problems.append(
            Violation(
                loc,
                f"Engraving contains characters that cannot be engraved: {', '.join(unprintable)}",
                "engraving_not_printable",
            )
        )
    return problems


def _option_violations(
    listing: ListingSnapshot, options: LineOptions, loc: tuple[str | int, ...]
) -> list[Violation]:
    problems = []
    offered_sizes = listing.ring_size_mm
    if offered_sizes is None:
        if options.ring_size_mm is not None:
            problems.append(
                Violation(
                    (*loc, "ring_size_mm"), "This piece is not offered in ring sizes", "option_not_offered"
                )
            )
    # A listing that offers a size range is made to a size: the maker cannot guess one.
    elif options.ring_size_mm is None or options.ring_size_mm not in offered_sizes:
        problems.append(
            Violation(
                (*loc, "ring_size_mm"),
                f"Choose a ring size from {offered_sizes.min} to {offered_sizes.max} mm",
                "ring_size_out_of_range",
            )
        )

    if options.engraving_text is not None:
        if listing.engraving is None:
            problems.append(
                Violation((*loc, "engraving_text"), "This piece cannot be engraved", "option_not_offered")
            )
        else:
            problems += _engraving_violations(
                options.engraving_text, listing.engraving, (*loc, "engraving_text")
            )

    offered_lengths = listing.chain_lengths_cm
    if offered_lengths is None:
        if options.chain_length_cm is not None:
            problems.append(
                Violation(
                    (*loc, "chain_length_cm"), "This piece has no chain length choice", "option_not_offered"
                )
            )
    # Like ring sizes: when lengths are offered the maker needs to know which one to fit.
    elif options.chain_length_cm not in offered_lengths:
        lengths = ", ".join(str(length) for length in offered_lengths)
        problems.append(
            Violation(
                (*loc, "chain_length_cm"),
                f"Choose a chain length from: {lengths} cm",
                "chain_length_not_offered",
            )
        )
    return problems


def _quantity_violation(
    listing: ListingSnapshot, quantity: Any, already_in_order: int, loc: tuple[str | int, ...]
) -> Violation | None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        return Violation(loc, "Quantity must be a whole number of at least 1", "quantity_invalid")
    if quantity > MAX_QUANTITY_PER_LINE:
        return Violation(loc, f"At most {MAX_QUANTITY_PER_LINE} per line", "quantity_invalid")
    available = listing.available_quantity
    if available == 0:
        return Violation(loc, "This piece is sold out", "out_of_stock")
    # Counted across lines, so two lines of a one-of-a-kind piece cannot buy it twice.
    if available is not None and already_in_order + quantity > available:
        return Violation(loc, f"Only {available} available", "quantity_invalid")
    return None


def price_lines(
    requested: Sequence[RequestedLine], listings: Mapping[uuid.UUID, ListingSnapshot]
) -> list[PricedLine]:
    """Validate and price the requested lines against the listing read model.

    Raises one 422 naming every problem (locs are `("lines", index, ...)`); codes:
    order_empty, too_many_lines, listing_unavailable, quantity_invalid, out_of_stock,
    ring_size_out_of_range, option_not_offered, engraving_too_long, engraving_not_printable,
    chain_length_not_offered, currency_mismatch.
    """
    if not requested:
        raise rules_violated([Violation(("lines",), "An order needs at least one line", "order_empty")])
    if len(requested) > MAX_LINES_PER_ORDER:
        raise rules_violated(
            [Violation(("lines",), f"At most {MAX_LINES_PER_ORDER} lines per order", "too_many_lines")]
        )

    problems: list[Violation] = []
    priced: list[PricedLine] = []
    quantity_so_far: Counter[uuid.UUID] = Counter()
    order_currency: str | None = None
    for index, line in enumerate(requested):
        loc: tuple[str | int, ...] = ("lines", index)
        listing = listings.get(line.listing_id)
        # Hidden and unknown look the same, so a draft or suspended maker's piece is not revealed.
        if listing is None or not listing.visible:
            problems.append(
                Violation((*loc, "listing_id"), "This piece is not available", "listing_unavailable")
            )
            continue

        line_problems = _option_violations(listing, line.options, (*loc, "options"))
        quantity_problem = _quantity_violation(
            listing, line.quantity, quantity_so_far[listing.listing_id], (*loc, "quantity")
        )
        if quantity_problem is not None:
            line_problems.append(quantity_problem)
        else:
            quantity_so_far[listing.listing_id] += line.quantity

        engraved = line.options.is_engraved and listing.engraving is not None
        engraving_price = listing.engraving.price_delta if engraved else Money.zero(listing.price.currency)
        if engraving_price.currency != listing.price.currency:
            line_problems.append(
                Violation(loc, "The engraving is priced in another currency", "currency_mismatch")
            )
        order_currency = order_currency or listing.price.currency
        if listing.price.currency != order_currency:
            line_problems.append(
                Violation(loc, f"All lines of an order must be in {order_currency}", "currency_mismatch")
            )

        if line_problems:
            problems += line_problems
            continue
        priced.append(
            PricedLine(
                id=uuid.uuid4(),
                listing_id=listing.listing_id,
                commission_id=None,
                maker_id=listing.maker_id,
                title=listing.title,
                quantity=line.quantity,
                unit_price=listing.price,
                engraving_price=engraving_price,
                line_total=(listing.price + engraving_price) * line.quantity,
                options=line.options,
                # A preset ring size or chain length is not personalisation; an engraving is.
                cancellation_right=(
                    CancellationRight.EXEMPT_PERSONALISED if engraved else CancellationRight.STANDARD
                ),
                production_kind=listing.production_kind,
                lead_time_days=(
                    listing.lead_time_days
                    if listing.production_kind is ProductionKind.MADE_TO_ORDER
                    else None
                ),
                has_natural_diamond=listing.has_natural_diamond,
            )
        )
    if problems:
        raise rules_violated(problems)
    return priced


def statements_for(lines: Iterable[PricedLine]) -> list[str]:
    """Legal statements the invoice must carry for these lines."""
    if any(line.has_natural_diamond for line in lines):
        return [SYSTEM_OF_WARRANTIES_STATEMENT]
    return []


# --------------------------------------------------------------------------------------------
# Events and the aggregate base
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainEvent:
    """A fact an aggregate recorded; `data` is JSON-ready for the outbox.

    Its routing key is `orders.<aggregate_type>.<name>.v1`.
    """

    aggregate_type: str
    name: str
    aggregate_id: uuid.UUID
    aggregate_version: int
    occurred_at: datetime
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return f"orders.{self.aggregate_type}.{self.name}"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    status: str
    note: str


class Aggregate:
    """Shared machinery: version bumps and event recording.

    `pending_events` is deliberately not a dataclass field, so it is neither persisted nor
    serialised; it lives only between a change and the store's commit.
    """

    aggregate_type: ClassVar[str]
    id: uuid.UUID
    version: int
    status: StrEnum
    timeline: list[TimelineEntry]

    def __post_init__(self) -> None:
        self.pending_events: list[DomainEvent] = []

    def _changed(self, at: datetime, note: str) -> None:
        """A change worth a timeline entry but not an event (e.g. a refund issued)."""
        self.version += 1
        self.timeline.append(TimelineEntry(at=at, status=self.status.value, note=note))

    def _record(self, name: str, at: datetime, note: str, **data: Any) -> None:
        self._changed(at, note)
        self.pending_events.append(
            DomainEvent(
                aggregate_type=self.aggregate_type,
                name=name,
                aggregate_id=self.id,
                aggregate_version=self.version,
                occurred_at=at,
                data=to_json(data),
            )
        )


# --------------------------------------------------------------------------------------------
# Maker orders
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracking:
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class QualityChecks:
    """What the maker inspected. None means not applicable (no stones, no hallmark needed...)."""

    finish_inspected: bool
    hallmark_verified: bool | None = None
    stones_secure: bool | None = None
    engraving_verified: bool | None = None
    measured_ring_size_mm: Decimal | None = None


@dataclass(frozen=True)
class QualityCheck:
    passed: bool
    checks: QualityChecks
    notes: str
    at: datetime

    def same_inspection(self, passed: bool, checks: QualityChecks, notes: str) -> bool:
        return (self.passed, self.checks, self.notes) == (passed, checks, notes)


@dataclass(eq=False)
class MakerOrder(Aggregate):
    """One maker's part of a confirmed order, with its own fulfilment lifecycle.

    Lives inside its `Order` (which reads its state for cancellation and completion) but is
    persisted and version-checked on its own row.
    """

    aggregate_type: ClassVar[str] = "maker_order"

    id: uuid.UUID
    order_id: uuid.UUID
    maker_id: uuid.UUID
    lines: list[PricedLine]
    gross: Money
    # Frozen when the maker order is created: later changes to the configured rate never apply.
    commission_rate: Decimal
    commission: Money
    net: Money
    lead_time_days: LeadTime | None
    status: MakerOrderStatus
    created_at: datetime
    tracking: Tracking | None = None
    quality_checks: list[QualityCheck] = field(default_factory=list)
    decline_reason: str | None = None
    # Set when an operator refunded the delivered parcel; the status stays `delivered`.
    refund_reason: str | None = None
    refunded_at: datetime | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    version: int = 0

    @classmethod
    def create(
        cls,
        *,
        order_id: uuid.UUID,
        maker_id: uuid.UUID,
        lines: Sequence[PricedLine],
        commission_rate: Decimal,
        now: datetime,
    ) -> MakerOrder:
        gross = sum_money((line.line_total for line in lines), lines[0].line_total.currency)
        commission = commission_for(gross, commission_rate)
        lead_times = [line.lead_time_days for line in lines if line.lead_time_days is not None]
        maker_order = cls(
            id=uuid.uuid4(),
            order_id=order_id,
            maker_id=maker_id,
            lines=list(lines),
            gross=gross,
            commission_rate=commission_rate,
            commission=commission,
            net=gross - commission,
            # The slowest line sets when the whole parcel can go.
            lead_time_days=(
                LeadTime(max(lt.min for lt in lead_times), max(lt.max for lt in lead_times))
                if lead_times
                else None
            ),
            status=MakerOrderStatus.AWAITING_ACCEPTANCE,
            created_at=now,
        )
        maker_order.timeline.append(
            TimelineEntry(at=now, status=maker_order.status.value, note="Awaiting the maker's acceptance")
        )
        return maker_order

    def _event_data(self) -> dict[str, Any]:
        # Called after the status changed: events carry the state they lead to.
        return {
            "maker_order_id": self.id,
            "order_id": self.order_id,
            "maker_id": self.maker_id,
            "status": self.status,
        }

    def _conflict(self, action: str, code: str = "invalid_state") -> ProblemError:
        return state_conflict(self.status.value, action, code=code)

    def accept(self, *, now: datetime | None = None) -> bool:
        if self.status is MakerOrderStatus.IN_PRODUCTION:
            return False
        if self.status is not MakerOrderStatus.AWAITING_ACCEPTANCE:
            raise self._conflict("accept")
        now = now or _utcnow()
        self.status = MakerOrderStatus.IN_PRODUCTION
        self._record("accepted", now, "Accepted by the maker; in production", **self._event_data())
        return True

    def decline(self, reason: str, *, now: datetime | None = None) -> bool:
        """Refuse the work. The caller then tells the order (`Order.maker_order_declined`)."""
        if self.status is MakerOrderStatus.DECLINED:
            return False
        if self.status is not MakerOrderStatus.AWAITING_ACCEPTANCE:
            raise self._conflict("decline")
        reason = _required_reason(reason, code="decline_reason_required")
        now = now or _utcnow()
        self.status = MakerOrderStatus.DECLINED
        self.decline_reason = reason
        self._record(
            "declined",
            now,
            f"Declined by the maker: {reason}",
            **self._event_data(),
            reason=reason,
            refund=self.gross,
            # These units go back on sale; the order's own cancellation will not release them again.
            release_lines=_stock_release(self.lines),
        )
        return True

    def _quality_violations(self, passed: bool, checks: QualityChecks) -> list[Violation]:
        """A pass must not contradict its own checks: nothing failed, the finish inspected, and
        the engraving and ring size checked when this parcel has them."""
        if not passed:
            return []
        engraved = any(line.options.is_engraved for line in self.lines)
        required = {"finish_inspected", "engraving_verified"} if engraved else {"finish_inspected"}
        problems = [
            Violation(
                ("checks", name), "A passed check needs this item verified", "quality_check_inconsistent"
            )
            for name in ("finish_inspected", "hallmark_verified", "stones_secure", "engraving_verified")
            if getattr(checks, name) is False or (getattr(checks, name) is None and name in required)
        ]
        sized = any(line.options.ring_size_mm is not None for line in self.lines)
        if sized and checks.measured_ring_size_mm is None:
            problems.append(
                Violation(
                    ("checks", "measured_ring_size_mm"),
                    "Measure the ring size before passing",
                    "quality_check_inconsistent",
                )
            )
        return problems

    def record_quality_check(
        self, *, passed: bool, checks: QualityChecks, notes: str = "", now: datetime | None = None
    ) -> bool:
        """A passed check makes the piece ready to dispatch; a failed one keeps (or puts) it
        back in production with the notes recorded. The same inspection sent twice is a no-op."""
        if self.status not in (MakerOrderStatus.IN_PRODUCTION, MakerOrderStatus.QUALITY_CHECKED):
            raise self._conflict("record a quality check")
        if len(notes) > MAX_QUALITY_NOTES_CHARS:
            raise rules_violated(
                [Violation(("notes",), f"At most {MAX_QUALITY_NOTES_CHARS} characters", "notes_too_long")]
            )
        problems = self._quality_violations(passed, checks)
        if problems:
            raise rules_violated(problems)
        last = self.quality_checks[-1] if self.quality_checks else None
        if last is not None and last.same_inspection(passed, checks, notes):
            return False
        now = now or _utcnow()
        self.quality_checks.append(QualityCheck(passed=passed, checks=checks, notes=notes, at=now))
        self.status = MakerOrderStatus.QUALITY_CHECKED if passed else MakerOrderStatus.IN_PRODUCTION
        self._record(
            "quality_checked",
            now,
            "Quality check passed" if passed else f"Quality check failed: {notes or 'no notes'}",
            **self._event_data(),
            passed=passed,
            checks=checks,
            notes=notes,
        )
        return True

    def dispatch(self, tracking: Tracking, *, now: datetime | None = None) -> bool:
        if self.status is MakerOrderStatus.DISPATCHED and self.tracking == tracking:
            return False
        if self.status in (MakerOrderStatus.AWAITING_ACCEPTANCE, MakerOrderStatus.IN_PRODUCTION):
            raise self._conflict("dispatch before a passed quality check", code="quality_check_required")
        if self.status is not MakerOrderStatus.QUALITY_CHECKED:
            raise self._conflict("dispatch")
        problems = [
            Violation((name,), "Required", "tracking_required")
            for name in ("carrier", "tracking_number")
            if not getattr(tracking, name).strip()
        ]
        if problems:
            raise rules_violated(problems)
        now = now or _utcnow()
        self.status = MakerOrderStatus.DISPATCHED
        self.tracking = tracking
        self._record(
            "dispatched",
            now,
            f"Dispatched with {tracking.carrier}, tracking {tracking.tracking_number}",
            **self._event_data(),
            tracking=tracking,
            carrier=tracking.carrier,
            tracking_number=tracking.tracking_number,
        )
        return True

    def deliver(self, *, now: datetime | None = None) -> bool:
        """Delivered: post `earning_for(self)` to the ledger and call `Order.maybe_complete`."""
        if self.status is MakerOrderStatus.DELIVERED:
            return False
        if self.status is not MakerOrderStatus.DISPATCHED:
            raise self._conflict("deliver")
        now = now or _utcnow()
        self.status = MakerOrderStatus.DELIVERED
        self._record(
            "delivered",
            now,
            "Delivered",
            **self._event_data(),
            gross=self.gross,
            commission=self.commission,
            net=self.net,
        )
        return True

    def refund_after_delivery(self, reason: str, *, now: datetime) -> bool:
        """Only through `Order.refund_delivered`, which owes the customer the money. The caller
        reverses the maker's earning with `reversal_of`: the ledger is never edited."""
        if self.refunded_at is not None:
            return False
        if self.status is not MakerOrderStatus.DELIVERED:
            raise self._conflict("refund before delivery", code="not_delivered")
        reason = _required_reason(reason)
        self.refund_reason = reason
        self.refunded_at = now
        self._record(
            "refunded",
            now,
            f"Refunded after delivery: {reason}",
            **self._event_data(),
            reason=reason,
            refund=self.gross,
            gross=-self.gross,
            commission=-self.commission,
            net=-self.net,
        )
        return True

    def cancel(self, *, now: datetime) -> bool:
        """Only through `Order` cancelling, which has already refused a dispatched order."""
        if self.status is MakerOrderStatus.CANCELLED:
            return False
        if self.status not in (
            MakerOrderStatus.AWAITING_ACCEPTANCE,
            MakerOrderStatus.IN_PRODUCTION,
            MakerOrderStatus.QUALITY_CHECKED,
        ):
            raise self._conflict("cancel")
        self.status = MakerOrderStatus.CANCELLED
        self._record("cancelled", now, "Cancelled with the order", **self._event_data())
        return True


def _required_reason(reason: str | None, *, code: str = "reason_required") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise rules_violated([Violation(("reason",), "Say why", code)])
    if len(reason) > MAX_REASON_CHARS:
        raise rules_violated(
            [Violation(("reason",), f"At most {MAX_REASON_CHARS} characters", "reason_too_long")]
        )
    return reason


def _stock_release(lines: Iterable[PricedLine]) -> list[dict[str, Any]]:
    return [
        {"listing_id": line.listing_id, "quantity": line.quantity} for line in lines if line.needs_stock
    ]


# --------------------------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------------------------


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
    reference: str | None = None
    authorised_amount: Money | None = None
    authorised_at: datetime | None = None


@dataclass
class Refund:
    """Money owed back to the customer; `due` until the provider confirms it."""

    id: uuid.UUID
    amount: Money
    reason: CancellationReason | RefundReason
    # The declined or refunded maker order, or None for the whole remaining order.
    maker_order_id: uuid.UUID | None
    requested_at: datetime
    status: RefundStatus = RefundStatus.DUE
    issued_at: datetime | None = None


@dataclass(eq=False)
class Order(Aggregate):
    aggregate_type: ClassVar[str] = "order"

    id: uuid.UUID
    customer_id: uuid.UUID
    lines: list[PricedLine]
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
    ) -> Order:
        """A pending order from lines priced by `price_lines` or `Commission.order_line`."""
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

        now = now or _utcnow()
        currency = lines[0].line_total.currency
        order = cls(
            id=order_id or uuid.uuid4(),
            customer_id=customer_id,
            lines=list(lines),
            total=sum_money((line.line_total for line in lines), currency),
            shipping_address=shipping_address,
            gift_message=gift_message or None,
            status=OrderStatus.PENDING,
            payment=Payment(token=payment_token),
            statements=statements_for(lines),
            created_at=now,
            expires_at=now + payment_window,
        )
        order._record(
            "placed",
            now,
            "Order placed",
            order_id=order.id,
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
    def refunds_total(self) -> Money:
        """Everything owed back so far, issued or still due."""
        return sum_money((refund.amount for refund in self.refunds), self.total.currency)

    def refunds_due(self) -> list[Refund]:
        return [refund for refund in self.refunds if refund.status is RefundStatus.DUE]

    @property
    def void_due(self) -> bool:
        """An authorisation arrived after the order was cancelled: release the customer's funds."""
        return (
            self.status is OrderStatus.CANCELLED
            and self.payment.status is PaymentStatus.AUTHORISED
            and not self.refunds
        )

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
        events = [*self.pending_events]
        self.pending_events.clear()
        for maker_order in self.maker_orders:
            events += maker_order.pending_events
            maker_order.pending_events.clear()
        return events

    # -- the saga -------------------------------------------------------------------------------

    def stock_reserved(self, prices: Mapping[uuid.UUID, Money], *, now: datetime | None = None) -> bool:
        """Catalogue reserved every stock line. `prices` are its authoritative unit prices by
        listing id; any that differs from what the customer was shown cancels the order
        (price_changed) rather than charging a price they did not agree to. A listing missing from
        `prices` is not compared."""
        if self.status is not OrderStatus.PENDING or self.stock_reserved_at is not None:
            return False
        now = now or _utcnow()
        self.stock_reserved_at = now
        changed = [
            line.title
            for line in self.stock_lines
            if line.listing_id in prices and prices[line.listing_id] != line.unit_price
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
            reason, now or _utcnow(), f"Stock could not be reserved: {', '.join(reasons) or 'unknown'}",
            stock_held=False,
        )
        return True

    def payment_authorised(
        self, reference: str, *, commission_rate: Decimal, now: datetime | None = None
    ) -> bool:
        """Confirm the order and split it into one maker order per maker, each with the
        commission rate frozen on it. An authorisation that lands after the order was cancelled
        is recorded so that `void_due` releases it."""
        now = now or _utcnow()
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
        _check_commission_rate(commission_rate)

        self._hold_payment(reference, now)
        lines_by_maker: dict[uuid.UUID, list[PricedLine]] = defaultdict(list)
        for line in self.lines:
            lines_by_maker[line.maker_id].append(line)
        self.maker_orders = [
            MakerOrder.create(
                order_id=self.id, maker_id=maker_id, lines=lines, commission_rate=commission_rate, now=now
            )
            for maker_id, lines in lines_by_maker.items()
        ]
        self.status = OrderStatus.CONFIRMED
        self._record(
            "confirmed",
            now,
            "Payment authorised; order confirmed",
            order_id=self.id,
            customer_id=self.customer_id,
            total=self.total,
            payment_reference=reference,
            # What catalogue commits: the reservation becomes a sale.
            lines=_stock_release(self.lines),
            maker_orders=[
                {
                    "maker_order_id": mo.id,
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

    def payment_declined(self, *, now: datetime | None = None) -> bool:
        if self.status is not OrderStatus.PENDING:
            return False
        self._cancel(CancellationReason.PAYMENT_DECLINED, now or _utcnow(), "Payment declined")
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
        self._cancel(CancellationReason.CUSTOMER_CANCELLED, now or _utcnow(), "Cancelled by the customer")
        return True

    def maker_order_declined(self, maker_order_id: uuid.UUID, *, now: datetime | None = None) -> bool:
        """After `MakerOrder.decline`: refund that maker's part, or cancel the order
        (maker_declined) when every maker has declined."""
        maker_order = self.maker_order(maker_order_id)
        if maker_order.status is not MakerOrderStatus.DECLINED:
            raise ValueError("Decline the maker order before telling its order")
        already_refunded = any(refund.maker_order_id == maker_order_id for refund in self.refunds)
        if self.status is not OrderStatus.CONFIRMED or already_refunded:
            return False
        now = now or _utcnow()
        if all(mo.status is MakerOrderStatus.DECLINED for mo in self.maker_orders):
            self._cancel(CancellationReason.MAKER_DECLINED, now, "Every maker declined")
            return True
        self.refunds.append(
            Refund(
                id=uuid.uuid4(),
                amount=maker_order.gross,
                reason=CancellationReason.MAKER_DECLINED,
                maker_order_id=maker_order_id,
                requested_at=now,
            )
        )
        self._changed(now, "A maker declined; their part is refunded")
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
        now = now or _utcnow()
        self.status = OrderStatus.COMPLETED
        self._record(
            "completed", now, "Every piece delivered", order_id=self.id, customer_id=self.customer_id
        )
        return True

    def refund_delivered(self, maker_order_id: uuid.UUID, reason: str, *, now: datetime | None = None) -> bool:
        """An operator refunds a delivered maker order in full (a return, a fault found later):
        the customer is owed that maker's part and the maker's earning is reversed. The order's
        status does not change; a second refund of the same maker order is a no-op."""
        maker_order = self.maker_order(maker_order_id)
        now = now or _utcnow()
        if not maker_order.refund_after_delivery(reason, now=now):
            return False
        self.refunds.append(
            Refund(
                id=uuid.uuid4(),
                amount=maker_order.gross,
                reason=RefundReason.AFTER_DELIVERY,
                maker_order_id=maker_order_id,
                requested_at=now,
            )
        )
        self._changed(now, "A delivered part was refunded")
        return True

    # -- compensation bookkeeping ----------------------------------------------------------------

    def refund_issued(self, refund_id: uuid.UUID, *, now: datetime | None = None) -> bool:
        """The provider confirmed a refund; once all is refunded the payment reads `refunded`."""
        refund = next((r for r in self.refunds if r.id == refund_id), None)
        if refund is None:
            raise not_found("Refund")
        if refund.status is RefundStatus.ISSUED:
            return False
        now = now or _utcnow()
        refund.status = RefundStatus.ISSUED
        refund.issued_at = now
        issued = sum_money(
            (r.amount for r in self.refunds if r.status is RefundStatus.ISSUED), self.total.currency
        )
        if self.payment.authorised_amount is not None and issued == self.payment.authorised_amount:
            self.payment.status = PaymentStatus.REFUNDED
        self._changed(now, "Refund issued")
        return True

    def payment_voided(self, *, now: datetime | None = None) -> bool:
        if self.payment.status is PaymentStatus.VOIDED:
            return False
        if not self.void_due:
            raise state_conflict(self.payment.status.value, "void the payment")
        self.payment.status = PaymentStatus.VOIDED
        self._changed(now or _utcnow(), "Payment authorisation voided")
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
        refund = None
        if self.payment.status is PaymentStatus.AUTHORISED:
            outstanding = self.payment.authorised_amount - self.refunds_total
            if outstanding.amount > 0:
                refund = Refund(
                    id=uuid.uuid4(), amount=outstanding, reason=reason, maker_order_id=None, requested_at=now
                )
                self.refunds.append(refund)
        declined_line_ids = {
            line.id
            for mo in self.maker_orders
            if mo.status is MakerOrderStatus.DECLINED
            for line in mo.lines
        }
        release_lines = (
            _stock_release(line for line in self.lines if line.id not in declined_line_ids)
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
            refund=refund.amount if refund else None,
        )


# --------------------------------------------------------------------------------------------
# Payout ledger
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """One immutable line of a maker's ledger; corrections are new entries, never edits."""

    id: uuid.UUID
    maker_id: uuid.UUID
    maker_order_id: uuid.UUID
    kind: LedgerKind
    gross: Money
    commission: Money
    net: Money
    at: datetime


def earning_for(maker_order: MakerOrder, *, at: datetime | None = None) -> LedgerEntry:
    """What a delivered maker order earns its maker."""
    if maker_order.status is not MakerOrderStatus.DELIVERED:
        raise ValueError("Earnings post only on delivery")
    return LedgerEntry(
        id=uuid.uuid4(),
        maker_id=maker_order.maker_id,
        maker_order_id=maker_order.id,
        kind=LedgerKind.EARNING,
        gross=maker_order.gross,
        commission=maker_order.commission,
        net=maker_order.net,
        at=at or _utcnow(),
    )


def reversal_of(earning: LedgerEntry, *, at: datetime | None = None) -> LedgerEntry:
    """A refund after delivery cancels the earning with an opposite entry."""
    if earning.kind is not LedgerKind.EARNING:
        raise ValueError("Only an earning can be reversed")
    return LedgerEntry(
        id=uuid.uuid4(),
        maker_id=earning.maker_id,
        maker_order_id=earning.maker_order_id,
        kind=LedgerKind.REVERSAL,
        gross=-earning.gross,
        commission=-earning.commission,
        net=-earning.net,
        at=at or _utcnow(),
    )


def balance(entries: Iterable[LedgerEntry], currency: str = "GBP") -> Money:
    """What the maker is owed: the sum of net amounts."""
    return sum_money((entry.net for entry in entries), currency)


# --------------------------------------------------------------------------------------------
# Bespoke commissions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    price: Money
    lead_time_days: int
    description: str
    has_natural_diamond: bool
    quoted_at: datetime


@dataclass(eq=False)
class Commission(Aggregate):
    aggregate_type: ClassVar[str] = "commission"

    id: uuid.UUID
    maker_id: uuid.UUID
    customer_id: uuid.UUID
    brief: str
    budget: Money
    ring_size_mm: Decimal | None
    deadline: date
    status: CommissionStatus
    created_at: datetime
    quote: Quote | None = None
    decline_reason: str | None = None
    order_id: uuid.UUID | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    version: int = 0

    @classmethod
    def request(
        cls,
        *,
        maker_id: uuid.UUID,
        maker_accepts_commissions: bool,
        customer_id: uuid.UUID,
        brief: str,
        budget: Money,
        deadline: date,
        ring_size_mm: Decimal | None = None,
        now: datetime | None = None,
    ) -> Commission:
        """Codes: maker_not_accepting_commissions, brief_required, brief_too_long,
        budget_invalid, ring_size_out_of_range, deadline_in_past."""
        now = now or _utcnow()
        brief = (brief or "").strip()
        if ring_size_mm is not None and not isinstance(ring_size_mm, Decimal):
            ring_size_mm = Decimal(str(ring_size_mm))
        problems = []
        if not maker_accepts_commissions:
            problems.append(
                Violation(
                    ("maker_id",), "This maker does not take commissions", "maker_not_accepting_commissions"
                )
            )
        if not brief:
            problems.append(Violation(("brief",), "Describe the piece you want", "brief_required"))
        elif len(brief) > MAX_COMMISSION_BRIEF_CHARS:
            problems.append(
                Violation(("brief",), f"At most {MAX_COMMISSION_BRIEF_CHARS} characters", "brief_too_long")
            )
        if budget.amount <= 0:
            problems.append(Violation(("budget",), "The budget must be above zero", "budget_invalid"))
        if ring_size_mm is not None and not RING_SIZE_MIN_MM <= ring_size_mm <= RING_SIZE_MAX_MM:
            problems.append(
                Violation(
                    ("ring_size_mm",),
                    f"Ring sizes run from {RING_SIZE_MIN_MM} to {RING_SIZE_MAX_MM} mm",
                    "ring_size_out_of_range",
                )
            )
        if deadline <= now.date():
            problems.append(
                Violation(("deadline",), "The deadline must be in the future", "deadline_in_past")
            )
        if problems:
            raise rules_violated(problems)

        commission = cls(
            id=uuid.uuid4(),
            maker_id=maker_id,
            customer_id=customer_id,
            brief=brief,
            budget=budget,
            ring_size_mm=ring_size_mm,
            deadline=deadline,
            status=CommissionStatus.REQUESTED,
            created_at=now,
        )
        commission._record(
            "requested", now, "Commission requested",
            **commission._event_data(), budget=budget, deadline=deadline,
        )
        return commission

    def _event_data(self) -> dict[str, Any]:
        # Called after the status changed: events carry the state they lead to.
        return {
            "commission_id": self.id,
            "maker_id": self.maker_id,
            "customer_id": self.customer_id,
            "status": self.status,
            "order_id": self.order_id,
        }

    def _only_maker(self, by_maker_id: uuid.UUID) -> None:
        if by_maker_id != self.maker_id:
            raise forbidden("Only the maker can do this")

    def _only_customer(self, by_customer_id: uuid.UUID) -> None:
        if by_customer_id != self.customer_id:
            raise forbidden("Only the customer can do this")

    def quote_price(
        self,
        *,
        by_maker_id: uuid.UUID,
        price: Money,
        lead_time_days: int,
        description: str,
        has_natural_diamond: bool = False,
        now: datetime | None = None,
    ) -> bool:
        """Quote, or re-quote while the customer has not accepted. Codes: price_invalid,
        currency_mismatch, lead_time_invalid, description_required, description_too_long."""
        self._only_maker(by_maker_id)
        if self.status not in (CommissionStatus.REQUESTED, CommissionStatus.QUOTED):
            raise state_conflict(self.status.value, "quote")
        description = (description or "").strip()
        problems = []
        if price.amount <= 0:
            problems.append(Violation(("price",), "The price must be above zero", "price_invalid"))
        # The order created from the quote is charged in the customer's currency.
        if price.currency != self.budget.currency:
            problems.append(
                Violation(("price",), f"Quote in {self.budget.currency}", "currency_mismatch")
            )
        if (
            not isinstance(lead_time_days, int)
            or isinstance(lead_time_days, bool)
            or not 1 <= lead_time_days <= MAX_QUOTE_LEAD_TIME_DAYS
        ):
            problems.append(
                Violation(
                    ("lead_time_days",),
                    f"Lead time is 1 to {MAX_QUOTE_LEAD_TIME_DAYS} days",
                    "lead_time_invalid",
                )
            )
        if not description:
            problems.append(
                Violation(("description",), "Describe what you will make", "description_required")
            )
        elif len(description) > MAX_QUOTE_DESCRIPTION_CHARS:
            problems.append(
                Violation(
                    ("description",),
                    f"At most {MAX_QUOTE_DESCRIPTION_CHARS} characters",
                    "description_too_long",
                )
            )
        if problems:
            raise rules_violated(problems)

        if self.quote is not None and (
            self.quote.price,
            self.quote.lead_time_days,
            self.quote.description,
            self.quote.has_natural_diamond,
        ) == (price, lead_time_days, description, has_natural_diamond):
            return False
        now = now or _utcnow()
        self.quote = Quote(
            price=price,
            lead_time_days=lead_time_days,
            description=description,
            has_natural_diamond=has_natural_diamond,
            quoted_at=now,
        )
        self.status = CommissionStatus.QUOTED
        self._record(
            "quoted", now, f"Quoted, {lead_time_days} days to make",
            **self._event_data(), price=price, lead_time_days=lead_time_days,
        )
        return True

    def accept(self, *, by_customer_id: uuid.UUID, order_id: uuid.UUID, now: datetime | None = None) -> bool:
        """Accept the quote; the caller places `Order.place(lines=[self.order_line()],
        order_id=order_id, ...)` in the same transaction."""
        self._only_customer(by_customer_id)
        if self.status is CommissionStatus.ACCEPTED:
            return False
        if self.status is not CommissionStatus.QUOTED:
            raise state_conflict(self.status.value, "accept")
        now = now or _utcnow()
        self.status = CommissionStatus.ACCEPTED
        self.order_id = order_id
        self._record(
            "accepted", now, "Quote accepted; order placed",
            **self._event_data(), price=self.quote.price,
        )
        return True

    def order_line(self) -> PricedLine:
        """The single bespoke line of the order an accepted commission creates."""
        if self.status is not CommissionStatus.ACCEPTED or self.quote is None:
            raise state_conflict(self.status.value, "create an order line")
        return PricedLine(
            id=uuid.uuid5(self.id, "order-line"),
            listing_id=None,
            commission_id=self.id,
            maker_id=self.maker_id,
            title=f"Bespoke commission: {self.quote.description[:100]}",
            quantity=1,
            unit_price=self.quote.price,
            engraving_price=Money.zero(self.quote.price.currency),
            line_total=self.quote.price,
            options=LineOptions(ring_size_mm=self.ring_size_mm),
            # Made to the customer's specification: exempt from the 14-day cancellation right.
            cancellation_right=CancellationRight.EXEMPT_PERSONALISED,
            production_kind=ProductionKind.BESPOKE,
            lead_time_days=LeadTime(self.quote.lead_time_days, self.quote.lead_time_days),
            has_natural_diamond=self.quote.has_natural_diamond,
        )

    def decline(self, *, by_maker_id: uuid.UUID, reason: str = "", now: datetime | None = None) -> bool:
        self._only_maker(by_maker_id)
        return self._close(CommissionStatus.DECLINED, "decline", reason, now)

    def withdraw(self, *, by_customer_id: uuid.UUID, now: datetime | None = None) -> bool:
        self._only_customer(by_customer_id)
        return self._close(CommissionStatus.WITHDRAWN, "withdraw", "", now)

    def _close(self, target: CommissionStatus, action: str, reason: str, now: datetime | None) -> bool:
        """Decline or withdraw; the event is named after the state it leads to."""
        if self.status is target:
            return False
        if self.status not in (CommissionStatus.REQUESTED, CommissionStatus.QUOTED):
            raise state_conflict(self.status.value, action)
        if len(reason) > MAX_REASON_CHARS:
            raise rules_violated(
                [Violation(("reason",), f"At most {MAX_REASON_CHARS} characters", "reason_too_long")]
            )
        now = now or _utcnow()
        self.status = target
        self.decline_reason = reason.strip() or None
        self._record(
            target.value, now, f"Commission {target.value}", **self._event_data(), reason=self.decline_reason
        )
        return True


# --------------------------------------------------------------------------------------------
# Payment provider port (adapters live outside the domain)
# --------------------------------------------------------------------------------------------


class AuthorisationOutcome(StrEnum):
    AUTHORISED = "authorised"
    DECLINED = "declined"
    # Worth retrying with the same idempotency key.
    TRANSIENT_ERROR = "transient_error"


@dataclass(frozen=True)
class AuthorisationResult:
    outcome: AuthorisationOutcome
    # The provider's reference when authorised; needed to void or refund later.
    reference: str | None = None
    detail: str = ""


class PaymentProviderError(Exception):
    """A void or refund did not go through; the compensation stays due and is retried."""


class PaymentProvider(Protocol):
    async def authorise(self, token: str, amount: Money, idempotency_key: str) -> AuthorisationResult: ...

    async def void(self, reference: str) -> None: ...

    # Voids whatever the provider authorised under this key, if anything: for an order
    # cancelled while pending, whose authorisation may have happened in a step that was then
    # rolled back (so the order never learnt its reference).
    async def void_attempt(self, idempotency_key: str) -> None: ...

    # The key makes a retried refund (a crash before it was recorded) never pay out twice.
    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> None: ...


# --------------------------------------------------------------------------------------------
# Serialisation for the store and the HTTP layer
# --------------------------------------------------------------------------------------------

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """JSON-ready form of any domain object (UUIDs, Decimals and datetimes become strings)."""
    return pydantic_core.to_jsonable_python(value)


@cache
def _adapter(cls: type[T]) -> TypeAdapter[T]:
    return TypeAdapter(cls)


def from_json(cls: type[T], data: Any) -> T:
    """Rebuild a domain object (an aggregate with its children, a snapshot...) from `to_json`
    output or from a database row's JSON columns."""
    return _adapter(cls).validate_python(data)
