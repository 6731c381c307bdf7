"""A maker's part of an order: the bodies makers send (decline, quality check, dispatch...)
and the maker order as it is shown."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import (
    Field,
    computed_field,
    model_validator,
)

from services.orders.domain import (
    MAX_QUALITY_NOTES_CHARS,
    MAX_REASON_CHARS,
    MakerOrder,
    MakerOrderStatus,
    Order,
    QualityChecks,
    RingMeasurement,
    Tracking,
    to_json,
)
from services.orders.domain.dispatch import latest_dispatch_date
from services.orders.domain.returns import (
    ReturnReason,
    last_day_to_return,
)
from services.orders.schemas.addresses import AddressView
from services.orders.schemas.common import (
    LeadTimeView,
    LineView,
    Millimetres,
    Number,
    TimelineView,
    _Body,
    _View,
)
from shared.money import Money
from shared.paging import PageQuery


class DeclineIn(_Body):
    reason: str = Field(max_length=MAX_REASON_CHARS)


class RingMeasurementIn(_Body):
    line_id: uuid.UUID = Field(description="A ring line of this maker order")
    mm: Millimetres = Field(description="Its measured inner circumference")


class ChecksIn(_Body):
    """What was inspected; null where it does not apply (no stones, no engraving...)."""

    finish_inspected: bool
    hallmark_verified: bool | None = None
    stones_secure: bool | None = None
    engraving_verified: bool | None = None
    measured_ring_size_mm: Millimetres | None = Field(
        None, description="One measurement for every ring line not measured on its own"
    )
    measured_ring_sizes_mm: list[RingMeasurementIn] = Field(
        default_factory=list,
        max_length=100,
        description="Each ring line's own measurement, compared with its own ordered size",
    )

    def checks(self) -> QualityChecks:
        return QualityChecks(
            **self.model_dump(exclude={"measured_ring_sizes_mm"}),
            measured_ring_sizes_mm=tuple(
                RingMeasurement(line_id=m.line_id, mm=m.mm) for m in self.measured_ring_sizes_mm
            ),
        )


class QualityCheckIn(_Body):
    passed: bool
    checks: ChecksIn
    notes: str = Field("", max_length=MAX_QUALITY_NOTES_CHARS)


class DispatchIn(_Body):
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)

    def tracking(self) -> Tracking:
        return Tracking(self.carrier, self.tracking_number)


class RefundIn(_Body):
    reason: str = Field(max_length=MAX_REASON_CHARS, description="Why the delivered part is refunded")


class MakerOrderListQuery(PageQuery):
    status: MakerOrderStatus | None = None
    maker_id: uuid.UUID | None = Field(None, description="Operators: one maker's")
    overdue: bool = Field(
        False,
        description="Operators: only those not dispatched by their latest dispatch date (`dispatch_by`)",
    )


class TrackingView(_View):
    carrier: str
    tracking_number: str


class RingMeasurementView(_View):
    line_id: uuid.UUID
    mm: Number


class ChecksView(_View):
    finish_inspected: bool
    hallmark_verified: bool | None
    stones_secure: bool | None
    engraving_verified: bool | None
    measured_ring_size_mm: Number | None
    # Checks stored before per-line measurements existed have none.
    measured_ring_sizes_mm: list[RingMeasurementView] = []  # noqa: RUF012 (a pydantic default, copied per instance)


class QualityCheckView(_View):
    passed: bool
    checks: ChecksView
    notes: str
    at: datetime


class ReturnWindowView(_View):
    changed_mind: date
    faulty_or_not_as_described: date


class ShippingView(_View):
    zone: str = Field(description="uk, europe or world: where the parcel goes")
    amount: Money = Field(description="What the customer pays to have this parcel sent")
    transit_days: LeadTimeView = Field(description="Working days in the post")


class DeliveryView(_View):
    earliest: date
    latest: date


def _delivery_of_shipping(data: object) -> object:
    """A parcel's estimated delivery travels inside its priced shipping; views show it apart."""
    if isinstance(data, dict) and isinstance(data.get("shipping"), dict):
        return {"estimated_delivery": data["shipping"].get("estimated_delivery"), **data}
    return data


class MakerOrderView(_View):
    id: uuid.UUID
    order_id: uuid.UUID
    reference: str = Field(description="The order's reference and this parcel's number: FF-7K3D-92QX-1")
    maker_id: uuid.UUID
    status: MakerOrderStatus
    lines: list[LineView]
    gross: Money
    commission_rate: Number = Field(description="Frozen when the maker order was created")
    commission: Money
    net: Money
    lead_time_days: LeadTimeView | None
    tracking: TrackingView | None
    quality_checks: list[QualityCheckView]
    decline_reason: str | None
    refund_reason: str | None
    refunded_at: datetime | None
    # Maker orders delivered before the field existed have none.
    delivered_at: datetime | None = None
    # Maker orders created before shipping was priced have neither.
    shipping: ShippingView | None = None
    estimated_delivery: DeliveryView | None = Field(
        None, description="In UK working days from the day the order was placed"
    )
    created_at: datetime
    timeline: list[TimelineView]
    version: int

    _delivery = model_validator(mode="before")(_delivery_of_shipping)

    @computed_field(description="Last days (UK) to start a return, once delivered")  # type: ignore[prop-decorator]
    @property
    def returns_until(self) -> ReturnWindowView | None:
        if self.delivered_at is None:
            return None
        return ReturnWindowView(
            changed_mind=last_day_to_return(self.delivered_at, ReturnReason.CHANGED_MIND),
            faulty_or_not_as_described=last_day_to_return(self.delivered_at, ReturnReason.FAULTY),
        )


class MakerOrderDetail(MakerOrderView):
    """A maker order as its maker (and operators) see it: with where to send it."""

    shipping_address: AddressView
    gift_message: str | None
    dispatch_by: date | None = Field(
        description="The last working day to dispatch it, once accepted: its lead time, else 3 "
        "working days, from the day the maker accepted it; past it, not dispatched, it is overdue"
    )


def maker_order_detail(maker_order: MakerOrder, order: Order) -> MakerOrderDetail:
    return MakerOrderDetail.model_validate(
        {
            **to_json(maker_order),
            "shipping_address": to_json(order.shipping_address),
            "gift_message": order.gift_message,
            "dispatch_by": latest_dispatch_date(maker_order),
        }
    )
