"""What every family of the orders API's bodies shares: the request and response bases, money
and measurement types, and the line and timeline shapes orders, maker orders and commissions show."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
)

from services.orders.domain import (
    CancellationRight,
    LineOptions,
    ProductionKind,
    RequestedLine,
)
from shared.money import Money

# Millimetres to three decimals, as the ring-size table has them (UK N½ = 54.375 mm); ranges
# are the domain's rules (so its codes name the problem).
Millimetres = Annotated[Decimal, Field(ge=0, le=1000, max_digits=7, decimal_places=3)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptionsIn(_Body):
    ring_size_mm: Millimetres | None = None
    engraving_text: str | None = Field(None, max_length=200)
    chain_length_cm: int | None = Field(None, ge=1, le=1000)


class LineIn(_Body):
    listing_id: uuid.UUID
    quantity: int = Field(description="1 to 10 per line, and no more than is available")
    options: OptionsIn = OptionsIn()

    def requested(self) -> RequestedLine:
        return RequestedLine(self.listing_id, self.quantity, LineOptions(**self.options.model_dump()))


class PaymentIn(_Body):
    token: str = Field(
        min_length=1,
        max_length=200,
        description="A payment token; sandbox: tok_visa, tok_declined, tok_error",
    )


# Decimals are exact in the domain; JSON shows them as numbers.
Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class _View(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LeadTimeView(_View):
    min: int
    max: int


class OptionsView(_View):
    ring_size_mm: Number | None
    engraving_text: str | None
    chain_length_cm: int | None


class LineView(_View):
    id: uuid.UUID
    listing_id: uuid.UUID | None
    commission_id: uuid.UUID | None
    maker_id: uuid.UUID
    title: str
    quantity: int
    unit_price: Money
    engraving_price: Money = Field(description="Per unit; zero when not engraved")
    line_total: Money
    options: OptionsView
    cancellation_right: CancellationRight
    production_kind: ProductionKind
    lead_time_days: LeadTimeView | None
    has_natural_diamond: bool


class TimelineView(_View):
    at: datetime
    status: str
    note: str
