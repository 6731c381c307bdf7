"""The orders service's domain: pure rules and state machines, no I/O (docs/domain.md).

Aggregates (`Order` with its `MakerOrder`s, `Commission`) change state only through methods
that check the current state, bump `version` and record `DomainEvent`s; the store writes the
new state and those events (to the outbox) in one transaction and compares `version` against
the value it loaded (optimistic concurrency).

Idempotency: a transition whose effect already happened (the aggregate is already in the target
state, or a saga event arrives late or twice) is a no-op that returns False. A user action that
the current state does not allow raises a `StateConflict`; input that breaks a rule raises
`RulesViolated` naming every problem at once (shared/errors.py; the HTTP layer renders them).

Money is integer minor units with an ISO 4217 currency, never floats. Compensation (refunds,
voids) is recorded as state (`Order.refunds`, `Order.void_due`) so a crashed worker or a sweeper
can finish it; the payment provider is reached only through the `PaymentProvider` port.

One module per seam, all re-exported here:

    vocabulary     states, kinds and limits
    pricing        listing snapshots, requested and priced lines, `price_lines`, commission
    events         domain events, timelines and the aggregates' shared machinery
    maker_order    one maker's part of an order and its fulfilment
    order          the order and its saga transitions and compensation
    order_payment  the order's payment and the refunds owed from it
    commission     bespoke commissions and their quotes
    ledger         makers' payout ledger
    payment        the payment provider port
    payout         ledger entry states, what a payout run pays, the payout provider port
    serialisation  `to_json` / `from_json`
"""

from services.orders.domain.addresses import ShippingAddress
from services.orders.domain.commission import Commission, Quote
from services.orders.domain.events import DomainEvent, OrdersAggregate, TimelineEntry
from services.orders.domain.ledger import LedgerEntry, balance, earning_for, reversal_of
from services.orders.domain.maker_order import (
    MakerOrder,
    QualityCheck,
    QualityChecks,
    RingMeasurement,
    Tracking,
)
from services.orders.domain.order import Order
from services.orders.domain.order_payment import Payment, Refund
from services.orders.domain.payment import (
    AuthorisationOutcome,
    AuthorisationResult,
    CaptureOutcome,
    CaptureResult,
    PaymentProvider,
    PaymentProviderError,
)
from services.orders.domain.payout import (
    Balances,
    EntryFacts,
    EntryState,
    PayoutOutcome,
    PayoutProvider,
    PayoutProviderError,
    PayoutResult,
    PayoutStatus,
    balances_of,
    payable_entries,
    payout_paid,
    state_of,
)
from services.orders.domain.pricing import (
    SYSTEM_OF_WARRANTIES_STATEMENT,
    EngravingOption,
    LeadTime,
    LineOptions,
    ListingSnapshot,
    PricedLine,
    RequestedLine,
    SizeRange,
    commission_for,
    price_lines,
    statements_for,
)
from services.orders.domain.serialisation import from_json, to_json
from services.orders.domain.vocabulary import (
    MAX_COMMISSION_BRIEF_CHARS,
    MAX_LINES_PER_ORDER,
    MAX_QUALITY_NOTES_CHARS,
    MAX_QUANTITY_PER_LINE,
    MAX_QUOTE_DESCRIPTION_CHARS,
    MAX_QUOTE_LEAD_TIME_DAYS,
    MAX_REASON_CHARS,
    PAYMENT_WINDOW,
    RING_SIZE_MAX_MM,
    RING_SIZE_MIN_MM,
    CancellationReason,
    CancellationRight,
    CommissionStatus,
    LedgerKind,
    MakerOrderStatus,
    OrderStatus,
    PaymentStatus,
    ProductionKind,
    RefundReason,
    RefundStatus,
)

__all__ = [
    "MAX_COMMISSION_BRIEF_CHARS",
    "MAX_LINES_PER_ORDER",
    "MAX_QUALITY_NOTES_CHARS",
    "MAX_QUANTITY_PER_LINE",
    "MAX_QUOTE_DESCRIPTION_CHARS",
    "MAX_QUOTE_LEAD_TIME_DAYS",
    "MAX_REASON_CHARS",
    "PAYMENT_WINDOW",
    "RING_SIZE_MAX_MM",
    "RING_SIZE_MIN_MM",
    "SYSTEM_OF_WARRANTIES_STATEMENT",
    "AuthorisationOutcome",
    "AuthorisationResult",
    "Balances",
    "CancellationReason",
    "CancellationRight",
    "CaptureOutcome",
    "CaptureResult",
    "Commission",
    "CommissionStatus",
    "DomainEvent",
    "EngravingOption",
    "EntryFacts",
    "EntryState",
    "LeadTime",
    "LedgerEntry",
    "LedgerKind",
    "LineOptions",
    "ListingSnapshot",
    "MakerOrder",
    "MakerOrderStatus",
    "Order",
    "OrderStatus",
    "OrdersAggregate",
    "Payment",
    "PaymentProvider",
    "PaymentProviderError",
    "PaymentStatus",
    "PayoutOutcome",
    "PayoutProvider",
    "PayoutProviderError",
    "PayoutResult",
    "PayoutStatus",
    "PricedLine",
    "ProductionKind",
    "QualityCheck",
    "QualityChecks",
    "Quote",
    "Refund",
    "RefundReason",
    "RefundStatus",
    "RequestedLine",
    "RingMeasurement",
    "ShippingAddress",
    "SizeRange",
    "TimelineEntry",
    "Tracking",
    "balance",
    "balances_of",
    "commission_for",
    "earning_for",
    "from_json",
    "payable_entries",
    "payout_paid",
    "price_lines",
    "reversal_of",
    "state_of",
    "statements_for",
    "to_json",
]
