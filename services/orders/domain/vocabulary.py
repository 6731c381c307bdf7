"""The orders domain's vocabulary: the states and kinds its aggregates take, and its limits
(docs/domain.md describes each rule)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

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
    """Where the customer's money is. Once captured, the status follows the amounts: nothing
    refunded, some, or all of what was captured."""

    NONE = "none"
    AUTHORISED = "authorised"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class RefundReason(StrEnum):
    """Why money goes back when no cancellation is involved."""

    # An operator refunded a delivered maker order (a return, a fault found later).
    AFTER_DELIVERY = "after_delivery"
    # The maker received the customer's return (domain/returns.py).
    RETURNED = "returned"


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
