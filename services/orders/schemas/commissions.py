"""Commissions: a customer's brief, a maker's quote, and the commission as it is shown."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import (
    Field,
)

from services.orders.domain import (
    MAX_REASON_CHARS,
    Commission,
    CommissionStatus,
    to_json,
)
from services.orders.schemas.addresses import AddressIn
from services.orders.schemas.common import Millimetres, Number, PaymentIn, TimelineView, _Body, _View
from shared.money import Money
from shared.paging import PageQuery


class CommissionIn(_Body):
    maker_id: uuid.UUID
    brief: str = Field(max_length=8000)
    budget: Money
    ring_size_mm: Millimetres | None = None
    deadline: date


class QuoteIn(_Body):
    price: Money
    lead_time_days: int
    description: str = Field(max_length=8000)
    has_natural_diamond: bool = False


class CommissionAcceptIn(_Body):
    shipping_address: AddressIn
    payment: PaymentIn
    gift_message: str | None = Field(None, max_length=500)


class CommissionDeclineIn(_Body):
    reason: str = Field("", max_length=MAX_REASON_CHARS)


class CommissionListQuery(PageQuery):
    status: CommissionStatus | None = None


class QuoteView(_View):
    price: Money
    lead_time_days: int
    description: str
    has_natural_diamond: bool
    quoted_at: datetime


class CommissionView(_View):
    id: uuid.UUID
    maker_id: uuid.UUID
    customer_id: uuid.UUID
    status: CommissionStatus
    brief: str
    budget: Money
    ring_size_mm: Number | None
    deadline: date
    quote: QuoteView | None
    decline_reason: str | None
    order_id: uuid.UUID | None
    order_reference: str | None = Field(None, description="The reference of the order it became")
    timeline: list[TimelineView]
    created_at: datetime
    version: int


def commission_view(commission: Commission, order_reference: str | None = None) -> CommissionView:
    return CommissionView.model_validate({**to_json(commission), "order_reference": order_reference})
