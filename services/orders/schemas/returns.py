"""Returns: what a customer asks to send back, and the return as it is shown."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import (
    Field,
)

from services.orders.domain import (
    MAX_LINES_PER_ORDER,
    MAX_REASON_CHARS,
    to_json,
)
from services.orders.domain.returns import (
    MAX_RETURN_NOTE_CHARS,
    Return,
    ReturnReason,
    ReturnRequestLine,
    ReturnStatus,
)
from services.orders.schemas.common import TimelineView, _Body, _View
from shared.money import Money
from shared.paging import PageQuery


class ReturnLineIn(_Body):
    line_id: uuid.UUID = Field(description="A line of the order, in a delivered parcel")
    quantity: int = Field(description="How many of its units; at most those not yet returned")


class ReturnIn(_Body):
    lines: list[ReturnLineIn] = Field(max_length=MAX_LINES_PER_ORDER, description="Lines of one parcel")
    reason: ReturnReason
    note: str = Field("", max_length=MAX_RETURN_NOTE_CHARS)

    def requested(self) -> list[ReturnRequestLine]:
        return [ReturnRequestLine(line.line_id, line.quantity) for line in self.lines]


class RejectReturnIn(_Body):
    reason: str = Field(max_length=MAX_REASON_CHARS, description="Why the return is refused")


class ReturnListQuery(PageQuery):
    status: ReturnStatus | None = None
    order_id: uuid.UUID | None = None


class ReturnLineView(_View):
    line_id: uuid.UUID
    title: str
    quantity: int
    unit_paid: Money = Field(description="What the customer paid per unit, options included")
    amount: Money


class ReturnRefundView(_View):
    amount: Money = Field(description="Refunded to the customer: lines + shipping")
    lines: Money
    shipping: Money = Field(description="The parcel's shipping, when this return brought its last line back")
    at: datetime


class ReturnView(_View):
    id: uuid.UUID
    order_id: uuid.UUID
    maker_order_id: uuid.UUID
    maker_id: uuid.UUID
    customer_id: uuid.UUID
    status: ReturnStatus
    reason: ReturnReason
    note: str
    lines: list[ReturnLineView]
    delivered_at: datetime = Field(description="When the parcel was delivered")
    last_day: date = Field(description="The last day (UK) a return for this reason was accepted")
    refund: ReturnRefundView | None = Field(description="Once refunded")
    rejection_reason: str | None
    created_at: datetime
    timeline: list[TimelineView]
    version: int


def return_view(returned: Return) -> ReturnView:
    return ReturnView.model_validate(to_json(returned))
