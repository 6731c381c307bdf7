"""The maker order: one maker's part of a confirmed order, with its own fulfilment lifecycle
(accept or decline, quality check, dispatch, delivery, refund after delivery)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from services.orders.domain.events import OrdersAggregate, TimelineEntry, utcnow
from services.orders.domain.pricing import LeadTime, PricedLine, commission_for
from services.orders.domain.shipping import ParcelShipping
from services.orders.domain.vocabulary import (
    MAX_QUALITY_NOTES_CHARS,
    MAX_REASON_CHARS,
    MakerOrderStatus,
)
from shared.errors import StateConflict, Violation, rules_violated, state_conflict
from shared.money import Money

# How far a measured ring may be from the ordered size and still pass its quality check.
RING_SIZE_TOLERANCE_MM = Decimal("0.5")


def _decimal(value: Decimal | float | str) -> Decimal:
    # Through str: a float 54.4 must compare as the decimal it means.
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class Tracking:
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class RingMeasurement:
    """The measured size of one ring line of the parcel (inner circumference, mm)."""

    line_id: uuid.UUID
    mm: Decimal


@dataclass(frozen=True)
class QualityChecks:
    """What the maker inspected. None means not applicable (no stones, no hallmark needed...).
    A ring is measured per line (`measured_ring_sizes_mm`); `measured_ring_size_mm` is the one
    measurement of every ring line not measured on its own."""

    finish_inspected: bool
    hallmark_verified: bool | None = None
    stones_secure: bool | None = None
    engraving_verified: bool | None = None
    measured_ring_size_mm: Decimal | None = None
    measured_ring_sizes_mm: tuple[RingMeasurement, ...] = ()


@dataclass(frozen=True)
class QualityCheck:
    passed: bool
    checks: QualityChecks
    notes: str
    at: datetime

    def same_inspection(self, passed: bool, checks: QualityChecks, notes: str) -> bool:
        return (self.passed, self.checks, self.notes) == (passed, checks, notes)


@dataclass(eq=False)
class MakerOrder(OrdersAggregate):
    """One maker's part of a confirmed order, with its own fulfilment lifecycle.

    Lives inside its `Order` (which reads its state for cancellation and completion) but is
    persisted and version-checked on its own row.
    """

    aggregate_type: ClassVar[str] = "maker_order"

    id: uuid.UUID
    order_id: uuid.UUID
    # The order's reference plus this maker order's position (`FF-7K3D-92QX-1`); never changes.
    reference: str
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
    # When the customer received it: return windows count from this day (domain/returns.py).
    delivered_at: datetime | None = None
    # What sending it costs the customer and when it should arrive, priced with the order;
    # None for maker orders created before shipping was priced.
    shipping: ParcelShipping | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    version: int = 0

    @classmethod
    def create(
        cls,
        *,
        order_id: uuid.UUID,
        reference: str,
        maker_id: uuid.UUID,
        lines: Sequence[PricedLine],
        commission_rate: Decimal,
        now: datetime,
        shipping: ParcelShipping | None = None,
    ) -> MakerOrder:
        """Commission is on the items (`gross`) only: the shipping goes to the maker whole."""
        gross = Money.total((line.line_total for line in lines), lines[0].line_total.currency)
        commission = commission_for(gross, commission_rate)
        lead_times = [line.lead_time_days for line in lines if line.lead_time_days is not None]
        maker_order = cls(
            id=uuid.uuid4(),
            order_id=order_id,
            reference=reference,
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
            shipping=shipping,
        )
        maker_order.timeline.append(
            TimelineEntry(at=now, status=maker_order.status.value, note="Awaiting the maker's acceptance")
        )
        return maker_order

    @property
    def shipping_paid(self) -> Money:
        """What the customer paid to have this parcel sent: the one place a return reads it
        from (refunded when every line of the parcel has come back), and invoices and the
        maker's earning too. Nothing for maker orders created before shipping was priced."""
        return self.shipping.amount if self.shipping else Money.zero(self.gross.currency)

    def _event_data(self) -> dict[str, Any]:
        # Called after the status changed: events carry the state they lead to.
        return {
            "maker_order_id": self.id,
            "order_id": self.order_id,
            "reference": self.reference,
            "maker_id": self.maker_id,
            "status": self.status,
        }

    def _conflict(self, action: str, code: str = "invalid_state") -> StateConflict:
        return state_conflict(self.status.value, action, code=code)

    def accept(self, *, now: datetime | None = None) -> bool:
        if self.status is MakerOrderStatus.IN_PRODUCTION:
            return False
        if self.status is not MakerOrderStatus.AWAITING_ACCEPTANCE:
            raise self._conflict("accept")
        now = now or utcnow()
        self.status = MakerOrderStatus.IN_PRODUCTION
        self._record("accepted", now, "Accepted by the maker; in production", **self._event_data())
        return True

    def decline(self, reason: str, *, now: datetime | None = None) -> bool:
        """Refuse the work. The caller then tells the order (`Order.maker_order_declined`)."""
        if self.status is MakerOrderStatus.DECLINED:
            return False
        if self.status is not MakerOrderStatus.AWAITING_ACCEPTANCE:
            raise self._conflict("decline")
        reason = required_reason(reason, code="decline_reason_required")
        now = now or utcnow()
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
            release_lines=stock_release(self.lines),
        )
        return True

    def _quality_violations(self, passed: bool, checks: QualityChecks) -> list[Violation]:
        """A pass must not contradict its own checks and must have checked what this parcel needs
        (docs/domain.md, Fulfilment quality): nothing failed, the finish inspected, the hallmark
        verified on a piece that must be hallmarked (`hallmark_not_verified`), an ordered engraving
        verified (`engraving_not_verified`), and a ring measured within RING_SIZE_TOLERANCE_MM of
        the ordered size (`ring_size_mismatch`). Every problem is reported together."""
        if not passed:
            return []
        problems = [
            Violation(
                ("checks", name), "A passed check needs this item verified", "quality_check_inconsistent"
            )
            for name in ("finish_inspected", "stones_secure")
            if getattr(checks, name) is False
            or (getattr(checks, name) is None and name == "finish_inspected")
        ]
        needs_hallmark = any(line.needs_hallmark for line in self.lines)
        if needs_hallmark and checks.hallmark_verified is not True:
            problems.append(
                Violation(
                    ("checks", "hallmark_verified"),
                    "This piece must be hallmarked: verify its hallmark before passing",
                    "hallmark_not_verified",
                )
            )
        elif checks.hallmark_verified is False:
            problems.append(
                Violation(
                    ("checks", "hallmark_verified"),
                    "A passed check needs this item verified",
                    "quality_check_inconsistent",
                )
            )
        engraved = any(line.options.is_engraved for line in self.lines)
        if engraved and checks.engraving_verified is not True:
            problems.append(
                Violation(
                    ("checks", "engraving_verified"),
                    "The engraving was ordered: verify it before passing",
                    "engraving_not_verified",
                )
            )
        elif checks.engraving_verified is False:
            problems.append(
                Violation(
                    ("checks", "engraving_verified"),
                    "A passed check needs this item verified",
                    "quality_check_inconsistent",
                )
            )
        problems += self._ring_size_violations(checks)
        return problems

    def _ring_size_violations(self, checks: QualityChecks) -> list[Violation]:
        """Each ring line measured within RING_SIZE_TOLERANCE_MM of its own ordered size: by its
        own measurement, else by the parcel's one measurement. A measurement of a line that is
        not a ring line of this parcel, or a line measured twice, is inconsistent."""
        ring_lines = {line.id: line for line in self.lines if line.options.ring_size_mm is not None}
        per_line: dict[uuid.UUID, tuple[tuple[str | int, ...], Decimal]] = {}
        problems: list[Violation] = []
        for index, measurement in enumerate(checks.measured_ring_sizes_mm):
            loc: tuple[str | int, ...] = ("checks", "measured_ring_sizes_mm", index)
            if measurement.line_id not in ring_lines:
                problems.append(
                    Violation(
                        (*loc, "line_id"),
                        f"Line {measurement.line_id} is not a ring line of this order",
                        "quality_check_inconsistent",
                    )
                )
            elif measurement.line_id in per_line:
                problems.append(
                    Violation(loc, "Each ring line is measured once", "quality_check_inconsistent")
                )
            else:
                per_line[measurement.line_id] = ((*loc, "mm"), _decimal(measurement.mm))
        single = checks.measured_ring_size_mm
        for line_id, line in ring_lines.items():
            if line_id in per_line:
                loc, measured = per_line[line_id]
            elif single is not None:
                loc, measured = ("checks", "measured_ring_size_mm"), _decimal(single)
            else:
                # Named where the maker measures: per line once they do, else the one measurement.
                field = "measured_ring_sizes_mm" if per_line else "measured_ring_size_mm"
                problems.append(
                    Violation(
                        ("checks", field),
                        f"Measure the ring size of {line.title} (line {line_id}) before passing",
                        "quality_check_inconsistent",
                    )
                )
                continue
            ordered = line.options.ring_size_mm
            assert ordered is not None  # a ring line
            if abs(ordered - measured) > RING_SIZE_TOLERANCE_MM:
                problems.append(
                    Violation(
                        loc,
                        f"{line.title} (line {line_id}): measured {measured} mm, but {ordered} mm "
                        f"was ordered (at most {RING_SIZE_TOLERANCE_MM} mm apart)",
                        "ring_size_mismatch",
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
        now = now or utcnow()
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
        now = now or utcnow()
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

    def deliver(self, *, customer_id: uuid.UUID | None = None, now: datetime | None = None) -> bool:
        """Delivered: post `earning_for(self)` to the ledger and call `Order.maybe_complete`.
        The event names the customer (the order's) and the listings delivered, so reviews
        learns who may review which piece."""
        if self.status is MakerOrderStatus.DELIVERED:
            return False
        if self.status is not MakerOrderStatus.DISPATCHED:
            raise self._conflict("deliver")
        now = now or utcnow()
        self.status = MakerOrderStatus.DELIVERED
        self.delivered_at = now
        self._record(
            "delivered",
            now,
            "Delivered",
            **self._event_data(),
            gross=self.gross,
            commission=self.commission,
            net=self.net,
            customer_id=customer_id,
            listing_ids=list(dict.fromkeys(line.listing_id for line in self.lines if line.listing_id)),
        )
        return True

    def refund_after_delivery(self, reason: str, *, now: datetime) -> bool:
        """Only through `Order.refund_delivered`, which owes the customer the money. The caller
        reverses the maker's earning with `reversal_of`: the ledger is never edited."""
        if self.refunded_at is not None:
            return False
        if self.status is not MakerOrderStatus.DELIVERED:
            raise self._conflict("refund before delivery", code="not_delivered")
        reason = required_reason(reason)
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


def required_reason(reason: str | None, *, code: str = "reason_required") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise rules_violated([Violation(("reason",), "Say why", code)])
    if len(reason) > MAX_REASON_CHARS:
        raise rules_violated(
            [Violation(("reason",), f"At most {MAX_REASON_CHARS} characters", "reason_too_long")]
        )
    return reason


def stock_release(lines: Iterable[PricedLine]) -> list[dict[str, Any]]:
    return [{"listing_id": line.listing_id, "quantity": line.quantity} for line in lines if line.needs_stock]
