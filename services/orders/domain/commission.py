"""Bespoke commissions: a customer asks a maker for a piece, the maker quotes, and the
accepted quote becomes an order with one bespoke line."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from services.orders.domain.events import OrdersAggregate, TimelineEntry, utcnow
from services.orders.domain.pricing import LeadTime, LineOptions, PricedLine
from services.orders.domain.vocabulary import (
    MAX_COMMISSION_BRIEF_CHARS,
    MAX_QUOTE_DESCRIPTION_CHARS,
    MAX_QUOTE_LEAD_TIME_DAYS,
    MAX_REASON_CHARS,
    RING_SIZE_MAX_MM,
    RING_SIZE_MIN_MM,
    CancellationRight,
    CommissionStatus,
    ProductionKind,
)
from shared.errors import Violation, forbidden, rules_violated, state_conflict
from shared.money import Money, currency_not_accepted


@dataclass(frozen=True)
class Quote:
    price: Money
    lead_time_days: int
    description: str
    has_natural_diamond: bool
    quoted_at: datetime


@dataclass(eq=False)
class Commission(OrdersAggregate):
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
        accepted_currencies: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> Commission:
        """Codes: maker_not_accepting_commissions, brief_required, brief_too_long,
        budget_invalid, currency_not_accepted (a budget in a currency not among
        `accepted_currencies`, when given), ring_size_out_of_range, deadline_in_past."""
        now = now or utcnow()
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
        if accepted_currencies is not None:
            not_accepted = currency_not_accepted(budget.currency, accepted_currencies, ("budget", "currency"))
            if not_accepted is not None:
                problems.append(not_accepted)
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
            "requested",
            now,
            "Commission requested",
            **commission._event_data(),
            budget=budget,
            deadline=deadline,
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
        warranty_attested: bool = False,
        accepted_currencies: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Quote, or re-quote while the customer has not accepted. Codes: price_invalid,
        currency_not_accepted (not among `accepted_currencies`, when given), currency_mismatch,
        warranty_not_attested (a natural diamond from a maker who has not attested to the
        System of Warranties, whose statement the order would print), lead_time_invalid,
        description_required, description_too_long."""
        self._only_maker(by_maker_id)
        if self.status not in (CommissionStatus.REQUESTED, CommissionStatus.QUOTED):
            raise state_conflict(self.status.value, "quote")
        description = (description or "").strip()
        problems = []
        if price.amount <= 0:
            problems.append(Violation(("price",), "The price must be above zero", "price_invalid"))
        not_accepted = (
            currency_not_accepted(price.currency, accepted_currencies, ("price", "currency"))
            if accepted_currencies is not None
            else None
        )
        if not_accepted is not None:
            problems.append(not_accepted)
        if has_natural_diamond and not warranty_attested:
            problems.append(
                Violation(
                    ("has_natural_diamond",),
                    "Only a maker who has attested to the System of Warranties may sell natural "
                    "diamonds; attest on your maker record first",
                    "warranty_not_attested",
                )
            )
        # The order created from the quote is charged in the customer's currency.
        if price.currency != self.budget.currency:
            problems.append(Violation(("price",), f"Quote in {self.budget.currency}", "currency_mismatch"))
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
        now = now or utcnow()
        self.quote = Quote(
            price=price,
            lead_time_days=lead_time_days,
            description=description,
            has_natural_diamond=has_natural_diamond,
            quoted_at=now,
        )
        self.status = CommissionStatus.QUOTED
        self._record(
            "quoted",
            now,
            f"Quoted, {lead_time_days} days to make",
            **self._event_data(),
            price=price,
            lead_time_days=lead_time_days,
        )
        return True

    def accept(self, *, by_customer_id: uuid.UUID, order_id: uuid.UUID, now: datetime | None = None) -> bool:
        """Accept the quote; the caller places `Order.place(lines=[self.order_line()],
        order_id=order_id, ...)` in the same transaction."""
        self._only_customer(by_customer_id)
        if self.status is CommissionStatus.ACCEPTED:
            return False
        if self.status is not CommissionStatus.QUOTED or self.quote is None:
            raise state_conflict(self.status.value, "accept")
        now = now or utcnow()
        self.status = CommissionStatus.ACCEPTED
        self.order_id = order_id
        self._record(
            "accepted",
            now,
            "Quote accepted; order placed",
            **self._event_data(),
            price=self.quote.price,
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
            # A quote with a natural diamond was only given by an attested maker (quote_price).
            warranty_attested=self.quote.has_natural_diamond,
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
        now = now or utcnow()
        self.status = target
        self.decline_reason = reason.strip() or None
        self._record(
            target.value, now, f"Commission {target.value}", **self._event_data(), reason=self.decline_reason
        )
        return True
