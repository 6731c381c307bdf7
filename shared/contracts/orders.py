"""Events of the orders service.

The saga (docs/architecture.md): `orders.order.placed` asks catalogue to reserve;
`orders.order.confirmed` commits the reservation; `orders.order.cancelled`
releases whatever is reserved for the order (catalogue must accept a cancel for
an order it has not seen yet, or already released). `orders.maker_order.declined`
after confirmation returns that maker's pieces to stock.

A bespoke order (from an accepted commission) has no stock lines: its
`orders.order.placed` carries `lines: []` and needs no answer from catalogue.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import Event
from shared.money import Money

CancellationReason = Literal[
    "out_of_stock",
    "price_changed",
    "payment_declined",
    "expired",
    "customer_cancelled",
    "maker_declined",
]


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PlacedLineData(_Data):
    line_id: UUID
    listing_id: UUID
    quantity: int
    unit_price: Money = Field(description="The price the customer was shown")


class StockLineData(_Data):
    listing_id: UUID
    quantity: int


class OrderPlaced(Event):
    event_type = "orders.order.placed"

    order_id: UUID
    reference: str | None = Field(
        None, description="The order's reference people read (`FF-7K3D-92QX`); None on older events"
    )
    customer_id: UUID
    lines: list[PlacedLineData] = Field(description="Stock lines only; a bespoke order has none")
    total: Money
    expires_at: datetime


class MakerOrderData(_Data):
    maker_order_id: UUID
    reference: str | None = Field(
        None, description="The maker order's reference (`FF-7K3D-92QX-1`); None on older events"
    )
    maker_id: UUID
    gross: Money
    commission: Money
    net: Money
    line_ids: list[UUID] = Field([], description="The order's lines this maker makes")


class ReceiptLineData(_Data):
    """One line as the customer's receipt shows it."""

    title: str
    quantity: int
    line_total: Money = Field(description="Units times their price, engraving included")


class OrderConfirmed(Event):
    event_type = "orders.order.confirmed"

    order_id: UUID
    reference: str | None = Field(
        None, description="The order's reference people read (`FF-7K3D-92QX`); None on older events"
    )
    customer_id: UUID
    total: Money
    lines: list[StockLineData]
    maker_orders: list[MakerOrderData]
    receipt: list[ReceiptLineData] = Field(
        [], description="Every line (bespoke ones too) as the receipt shows it; empty on older events"
    )
    shipping: Money | None = Field(None, description="Postage of every parcel; None on older events")


class OrderCancelled(Event):
    event_type = "orders.order.cancelled"

    order_id: UUID
    reference: str | None = Field(
        None, description="The order's reference people read (`FF-7K3D-92QX`); None on older events"
    )
    customer_id: UUID
    reason: CancellationReason
    release_stock: bool = Field(description="Whether a reservation or sale may need undoing")
    release_lines: list[StockLineData] = Field(default_factory=list)
    refund: Money | None = None


class OrderCompleted(Event):
    event_type = "orders.order.completed"

    order_id: UUID
    customer_id: UUID


class MakerOrderEvent(Event):
    """The shape every orders.maker_order.* event shares (not itself an event type)."""

    maker_order_id: UUID
    order_id: UUID
    reference: str | None = Field(
        None, description="The maker order's reference (`FF-7K3D-92QX-1`); None on older events"
    )
    maker_id: UUID
    status: Literal[
        "awaiting_acceptance",
        "in_production",
        "quality_checked",
        "dispatched",
        "delivered",
        "declined",
        "cancelled",
    ]
    at: datetime


class MakerOrderAccepted(MakerOrderEvent):
    event_type = "orders.maker_order.accepted"


class MakerOrderDeclined(MakerOrderEvent):
    event_type = "orders.maker_order.declined"

    reason: str = ""
    release_lines: list[StockLineData] = Field(default_factory=list)
    refund: Money | None = None


class MakerOrderQualityChecked(MakerOrderEvent):
    """A failed check keeps the maker order `in_production`."""

    event_type = "orders.maker_order.quality_checked"

    passed: bool
    notes: str = ""


class MakerOrderDispatched(MakerOrderEvent):
    event_type = "orders.maker_order.dispatched"

    carrier: str
    tracking_number: str


class MakerOrderDelivered(MakerOrderEvent):
    """The maker's earning (`net`) posts to their payout ledger."""

    event_type = "orders.maker_order.delivered"

    gross: Money
    commission: Money
    net: Money
    customer_id: UUID | None = Field(None, description="The order's customer; None on older events")
    listing_ids: list[UUID] = Field(
        default_factory=list,
        description="The distinct listings of the maker order's lines (none for bespoke work); "
        "empty on older events",
    )


class MakerOrderCancelled(MakerOrderEvent):
    """The order was cancelled before this part was dispatched; the order's own
    `orders.order.cancelled` carries the stock to release and the refund."""

    event_type = "orders.maker_order.cancelled"


class MakerOrderRefunded(MakerOrderEvent):
    """An operator refunded a delivered part in full. The status stays `delivered`;
    the maker's ledger gets a reversal whose amounts (negative) are these."""

    event_type = "orders.maker_order.refunded"

    reason: str
    refund: Money
    gross: Money
    commission: Money
    net: Money


class CommissionEvent(Event):
    """The shape every orders.commission.* event shares (not itself an event type)."""

    commission_id: UUID
    maker_id: UUID
    customer_id: UUID
    status: Literal["requested", "quoted", "accepted", "declined", "withdrawn"]
    order_id: UUID | None = None


class CommissionRequested(CommissionEvent):
    event_type = "orders.commission.requested"

    budget: Money | None = None
    deadline: date | None = None


class CommissionQuoted(CommissionEvent):
    event_type = "orders.commission.quoted"

    price: Money
    lead_time_days: int


class CommissionAccepted(CommissionEvent):
    """The customer accepted the quote; `order_id` is the order it created."""

    event_type = "orders.commission.accepted"

    price: Money | None = None


class CommissionDeclined(CommissionEvent):
    event_type = "orders.commission.declined"

    reason: str | None = None


class CommissionWithdrawn(CommissionEvent):
    event_type = "orders.commission.withdrawn"


class ReturnLineData(_Data):
    line_id: UUID
    quantity: int
    amount: Money = Field(description="What the customer paid for these units")


class ReturnEvent(Event):
    """The shape every orders.return.* event shares (not itself an event type): a customer's
    return of lines of one delivered maker order."""

    return_id: UUID
    order_id: UUID
    maker_order_id: UUID
    maker_id: UUID
    customer_id: UUID
    status: Literal["requested", "refunded", "rejected"]
    at: datetime


class ReturnRequested(ReturnEvent):
    event_type = "orders.return.requested"

    reason: Literal["changed_mind", "faulty", "not_as_described"]
    lines: list[ReturnLineData]


class ReturnRefunded(ReturnEvent):
    """The maker received the return: `refund` goes back to the customer (the lines, plus the
    maker order's shipping when its last line came back), and the maker's ledger gets a
    reversal whose amounts (negative) are `gross`, `commission`, `net`."""

    event_type = "orders.return.refunded"

    refund: Money
    shipping: Money
    gross: Money
    commission: Money
    net: Money


class ReturnRejected(ReturnEvent):
    event_type = "orders.return.rejected"

    reason: str


class PayoutPaid(Event):
    """A payout run sent `amount` to the maker: the ledger entries it carried are paid."""

    event_type = "orders.payout.paid"

    payout_id: UUID
    maker_id: UUID
    amount: Money
    paid_at: datetime


class ConversationMessagePosted(Event):
    """A customer or a maker wrote in their conversation (about an order, a commission or a
    listing: exactly one of the three ids is set). `excerpt` is the message's first 140
    characters, as written (plain text, never markup)."""

    event_type = "orders.conversation.message_posted"

    conversation_id: UUID
    message_id: UUID
    order_id: UUID | None = None
    commission_id: UUID | None = None
    listing_id: UUID | None = None
    customer_id: UUID
    maker_id: UUID
    sender_role: Literal["customer", "maker"]
    excerpt: str
    posted_at: datetime
    subject: str = Field("", description="What the conversation is about, as its parties see it")
