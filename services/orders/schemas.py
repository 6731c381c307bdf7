"""The orders API's request and response bodies (pydantic), and the functions that build the
response views from domain objects. Views are the domain's own JSON minus what is internal (the
payment token); docs/api.md points at the OpenAPI document generated from these."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.orders.domain import (
    MAX_LINES_PER_ORDER,
    MAX_QUALITY_NOTES_CHARS,
    MAX_REASON_CHARS,
    CancellationReason,
    CancellationRight,
    Commission,
    CommissionStatus,
    EntryState,
    LedgerEntry,
    LedgerKind,
    LineOptions,
    MakerOrder,
    MakerOrderStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    PayoutStatus,
    ProductionKind,
    QualityChecks,
    RefundStatus,
    RequestedLine,
    RingMeasurement,
    ShippingAddress,
    Tracking,
    to_json,
)
from services.orders.domain.addresses import (
    MAX_CITY_CHARS,
    MAX_LINE_CHARS,
    MAX_NAME_CHARS,
    MAX_POSTCODE_CHARS,
    SavedAddress,
    checked_address,
)
from services.orders.domain.dispatch import latest_dispatch_date
from services.orders.domain.references import order_reference_of
from services.orders.domain.returns import (
    MAX_RETURN_NOTE_CHARS,
    Return,
    ReturnReason,
    ReturnRequestLine,
    ReturnStatus,
    last_day_to_return,
)
from services.orders.usecases.addresses import AddressChoice
from services.orders.usecases.payout_runs import PayoutRun
from services.orders.usecases.quotes import PricedBasket
from shared.countries import CountryCode
from shared.errors import RulesViolated, Violation, rules_violated
from shared.money import Money
from shared.paging import Page, PageQuery

# --- request bodies ------------------------------------------------------------------------------

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


class AddressIn(_Body):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    line1: str = Field(min_length=1, max_length=MAX_LINE_CHARS)
    line2: str | None = Field(None, max_length=MAX_LINE_CHARS)
    city: str = Field(min_length=1, max_length=MAX_CITY_CHARS)
    postcode: str = Field(
        min_length=1,
        max_length=MAX_POSTCODE_CHARS,
        description="UK (and GG, JE, IM) postcodes are checked and kept as printed: EC1N 8AA",
    )
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. GB")

    def address(self, where: tuple[str, ...] = ("body", "shipping_address")) -> ShippingAddress:
        """The address as the domain checks and keeps it (422 `postcode_invalid`...), its
        problems located where the body has it."""
        try:
            return checked_address(**self.model_dump())
        except RulesViolated as refused:
            raise rules_violated([Violation(where + v.loc, v.msg, v.code) for v in refused.errors]) from None


class PaymentIn(_Body):
    token: str = Field(
        min_length=1,
        max_length=200,
        description="A payment token; sandbox: tok_visa, tok_declined, tok_error",
    )


class BasketIn(_Body):
    """What to buy and where to send it: an order's body without the payment (a quote's)."""

    lines: list[LineIn] = Field(description="1 to 50 lines")
    shipping_address: AddressIn | None = Field(None, description="Or `shipping_address_id`")
    shipping_address_id: uuid.UUID | None = Field(
        None, description="One of the customer's saved addresses (/me/addresses), copied onto the order"
    )
    gift_message: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _one_address(self) -> BasketIn:
        if (self.shipping_address is None) == (self.shipping_address_id is None):
            raise PydanticCustomError(
                "shipping_address_choice", "Give either shipping_address or shipping_address_id"
            )
        return self

    def address_choice(self) -> AddressChoice:
        """Where to send it: the address typed in, checked, or the saved address's id."""
        if self.shipping_address is not None:
            return self.shipping_address.address()
        assert self.shipping_address_id is not None  # one of them, by `_one_address`
        return self.shipping_address_id


class OrderIn(BasketIn):
    payment: PaymentIn


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


MAX_WAIT_S = 20


class OrderQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    wait: int | None = Field(
        None,
        ge=1,
        le=MAX_WAIT_S,
        description="Long poll: while the order is `pending`, hold the answer up to this many "
        "seconds until it is not (confirmed, or cancelled), and answer as soon as it changes. "
        "Checkout waits on this instead of polling.",
    )


class OrderListQuery(PageQuery):
    status: OrderStatus | None = None
    reference: str | None = Field(
        None,
        max_length=40,
        description="The order with this reference (`FF-7K3D-92QX`; case, spaces and dashes "
        "forgiven; a maker order's `FF-7K3D-92QX-1` finds its order); 422 `reference_invalid` "
        "when it cannot be one",
    )

    @field_validator("reference")
    @classmethod
    def _canonical_reference(cls, value: str | None) -> str | None:
        if value is None:
            return None
        reference = order_reference_of(value)
        if reference is None:
            raise PydanticCustomError("reference_invalid", "Not an order reference such as FF-7K3D-92QX")
        return reference


class MakerOrderListQuery(PageQuery):
    status: MakerOrderStatus | None = None
    maker_id: uuid.UUID | None = Field(None, description="Operators: one maker's")
    overdue: bool = Field(
        False,
        description="Operators: only those not dispatched by their latest dispatch date (`dispatch_by`)",
    )


class CommissionListQuery(PageQuery):
    status: CommissionStatus | None = None


class PayoutQuery(PageQuery):
    maker_id: uuid.UUID | None = Field(None, description="Operators: whose ledger (required)")


class StatementQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    start: date = Field(validation_alias="from", description="First day (inclusive, UTC)")
    end: date = Field(validation_alias="to", description="Last day (inclusive, UTC)")


# --- response bodies: the domain's own JSON, minus what is internal (the payment token) ----------

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
    measured_ring_sizes_mm: list[RingMeasurementView] = []


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


class ParcelQuoteView(_View):
    maker_id: uuid.UUID
    shipping: ShippingView
    estimated_delivery: DeliveryView = Field(
        description="In UK working days: the lead time (or 1-3 days to dispatch a piece already "
        "made), then transit"
    )


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


class AddressView(_View):
    name: str
    line1: str
    line2: str | None
    city: str
    postcode: str
    country: str


class SavedAddressView(AddressView):
    id: uuid.UUID


def saved_address_view(saved: SavedAddress) -> SavedAddressView:
    return SavedAddressView(id=saved.id, **to_json(saved.address))


class MakerOrderDetail(MakerOrderView):
    """A maker order as its maker (and operators) see it: with where to send it."""

    shipping_address: AddressView
    gift_message: str | None
    dispatch_by: date | None = Field(
        description="The last working day to dispatch it, once accepted: its lead time, else 3 "
        "working days, from the day the maker accepted it; past it, not dispatched, it is overdue"
    )


class PaymentView(_View):
    """The customer's money: authorised at checkout, captured when the order is confirmed, and
    refunds (issued) of the captured money."""

    status: PaymentStatus = Field(
        description="`none` until authorised; `authorised`, then `captured` at confirmation "
        "(or `voided` when cancelled before); then `partially_refunded` or `refunded` as "
        "refunds of the captured money are issued"
    )
    authorised: Money
    captured: Money
    refunded: Money = Field(description="Refunds issued so far; never more than `captured`")
    authorised_at: datetime | None
    captured_at: datetime | None


class RefundView(_View):
    id: uuid.UUID
    amount: Money
    reason: str
    maker_order_id: uuid.UUID | None
    status: RefundStatus
    requested_at: datetime
    issued_at: datetime | None


class OrderView(_View):
    id: uuid.UUID
    reference: str = Field(description="What people read aloud and type: FF-7K3D-92QX")
    customer_id: uuid.UUID
    status: OrderStatus
    cancellation_reason: CancellationReason | None
    lines: list[LineView]
    subtotal: Money = Field(description="The items")
    shipping_total: Money = Field(description="Every parcel's shipping")
    total: Money = Field(description="subtotal + shipping_total: what is charged")
    maker_orders: list[MakerOrderView]
    timeline: list[TimelineView]
    statements: list[str] = Field(description="Legal statements the invoice must carry")
    shipping_address: AddressView
    gift_message: str | None
    payment: PaymentView
    refunds: list[RefundView]
    created_at: datetime
    expires_at: datetime = Field(description="A pending order not settled by then is cancelled")
    version: int


class LedgerLineView(_View):
    id: uuid.UUID
    maker_order_id: uuid.UUID
    reference: str = Field(description="The maker order's reference: FF-7K3D-92QX-1")
    kind: LedgerKind
    gross: Money
    commission: Money
    net: Money
    at: datetime
    state: EntryState = Field(description="pending (held or a return open), available, paid")


class PayoutLineView(_View):
    id: uuid.UUID
    amount: Money
    status: PayoutStatus
    paid_at: datetime | None = Field(description="When it was paid (or failed)")


class PayoutsView(Page[LedgerLineView]):
    """A page of the ledger, newest first, with the maker's whole balance split by state."""

    balance: Money = Field(description="The sum of every line's net amount")
    balances: list[Money] = Field(description="The balance per currency, if ever more than one")
    pending: Money = Field(description="Earnings held after delivery or while a return is open")
    available: Money = Field(description="What the next payout run sends (at least the minimum)")
    paid: Money = Field(description="What payout runs have sent")
    payouts: list[PayoutLineView] = Field(description="Payouts sent or failed, newest first")


class RunPayoutView(_View):
    id: uuid.UUID
    maker_id: uuid.UUID
    amount: Money
    status: PayoutStatus


class PayoutRunView(_View):
    id: uuid.UUID
    payouts: list[RunPayoutView]


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


class OrderQuoteView(_View):
    """What placing this order would cost and when each maker's parcel would arrive."""

    lines: list[LineView]
    subtotal: Money
    shipping_total: Money
    total: Money
    maker_orders: list[ParcelQuoteView]


def order_quote_view(basket: PricedBasket) -> OrderQuoteView:
    return OrderQuoteView.model_validate(
        {
            "lines": to_json(basket.lines),
            "subtotal": to_json(basket.subtotal),
            "shipping_total": to_json(basket.shipping_total),
            "total": to_json(basket.total),
            "maker_orders": [
                to_json(
                    {
                        "maker_id": parcel.maker_id,
                        "shipping": parcel,
                        "estimated_delivery": parcel.estimated_delivery,
                    }
                )
                for parcel in basket.shipping
            ],
        }
    )


def order_view(order: Order) -> OrderView:
    data = to_json(order)
    data.update(to_json({"subtotal": order.subtotal, "shipping_total": order.shipping_total}))
    data["payment"].update(
        to_json({"authorised": order.authorised, "captured": order.captured, "refunded": order.refunded})
    )
    return OrderView.model_validate(data)


def maker_order_detail(maker_order: MakerOrder, order: Order) -> MakerOrderDetail:
    return MakerOrderDetail.model_validate(
        {
            **to_json(maker_order),
            "shipping_address": to_json(order.shipping_address),
            "gift_message": order.gift_message,
            "dispatch_by": latest_dispatch_date(maker_order),
        }
    )


def commission_view(commission: Commission, order_reference: str | None = None) -> CommissionView:
    return CommissionView.model_validate({**to_json(commission), "order_reference": order_reference})


def ledger_line_view(entry: LedgerEntry, state: EntryState, reference: str) -> LedgerLineView:
    return LedgerLineView.model_validate({**to_json(entry), "state": state, "reference": reference})


# --- returns -------------------------------------------------------------------------------------


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


def payout_run_view(run: PayoutRun) -> PayoutRunView:
    return PayoutRunView(
        id=run.id,
        payouts=[
            RunPayoutView(id=payout.id, maker_id=payout.maker_id, amount=payout.amount, status=payout.status)
            for payout in run.payouts
        ],
    )
