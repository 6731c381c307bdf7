"""Orders' HTTP API: thin handlers (parse, authorise, call the domain, call the store, respond).

Who may do what:
    customers   place orders (Idempotency-Key), read and cancel their own; request
                commissions, accept a quote (Idempotency-Key) or withdraw
    makers      their maker orders: accept, decline, quality-check, dispatch; their payouts;
                quote or decline commissions addressed to them
    operators   read everything; mark maker orders delivered (the carrier webhook's stand-in)
                and refund delivered ones

A maker is known by their token's subject through the makers read model (makers.maker.*
events). Another user's order, maker order or commission is reported as missing (404).
Prices, stock and a maker's standing never come from the client: lines are priced from the
listings read model and re-checked against catalogue's reservation.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

import pycountry
from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from services.orders import saga, store
from services.orders.domain import (
    MAX_QUALITY_NOTES_CHARS,
    MAX_REASON_CHARS,
    CancellationReason,
    CancellationRight,
    Commission,
    CommissionStatus,
    LedgerKind,
    LineOptions,
    MakerOrder,
    MakerOrderStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    ProductionKind,
    QualityChecks,
    RefundStatus,
    RequestedLine,
    ShippingAddress,
    Tracking,
    earning_for,
    price_lines,
    reversal_of,
    to_json,
)
from services.orders.settings import ORDERS_SETTINGS
from services.orders.idempotency import HEADER, HEADER_DOC, RESPONSES, idempotent
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import ProblemError, bad_request, not_found, state_conflict
from shared.http import POOL, Call, Routes
from shared.money import Money
from shared.paging import PageQuery, decode_cursor, encode_cursor
from shared.watch import ChangeFeed

routes = Routes("orders")

PRODUCER = "orders"

# --- request bodies ------------------------------------------------------------------------------

_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)


def _country_code(value: str) -> str:
    if value not in _COUNTRIES:
        raise ValueError("Must be an ISO 3166-1 alpha-2 country code, e.g. GB")
    return value


CountryCode = Annotated[str, AfterValidator(_country_code)]
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


class AddressIn(_Body):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postcode: str = Field(min_length=1, max_length=16)
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. GB")


class PaymentIn(_Body):
    token: str = Field(min_length=1, max_length=200,
                       description="A payment token; sandbox: tok_visa, tok_declined, tok_error")


class OrderIn(_Body):
    lines: list[LineIn] = Field(description="1 to 50 lines")
    shipping_address: AddressIn
    payment: PaymentIn
    gift_message: str | None = Field(None, max_length=500)


class DeclineIn(_Body):
    reason: str = Field(max_length=MAX_REASON_CHARS)


class ChecksIn(_Body):
    """What was inspected; null where it does not apply (no stones, no engraving...)."""

    finish_inspected: bool
    hallmark_verified: bool | None = None
    stones_secure: bool | None = None
    engraving_verified: bool | None = None
    measured_ring_size_mm: Millimetres | None = None


class QualityCheckIn(_Body):
    passed: bool
    checks: ChecksIn
    notes: str = Field("", max_length=MAX_QUALITY_NOTES_CHARS)


class DispatchIn(_Body):
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)


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
# Updates of orders as they commit, for GET /orders/{id}?wait= (opened by app.py).
ORDER_CHANGES = web.AppKey("order_changes", ChangeFeed)


class OrderQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    wait: int | None = Field(
        None, ge=1, le=MAX_WAIT_S,
        description="Long poll: while the order is `pending`, hold the answer up to this many "
        "seconds until it is not (confirmed, or cancelled), and answer as soon as it changes. "
        "Checkout waits on this instead of polling.",
    )


class OrderListQuery(PageQuery):
    status: OrderStatus | None = None


class MakerOrderListQuery(PageQuery):
    status: MakerOrderStatus | None = None


class CommissionListQuery(PageQuery):
    status: CommissionStatus | None = None


class PayoutQuery(PageQuery):
    maker_id: uuid.UUID | None = Field(None, description="Operators: whose ledger (required)")


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


class ChecksView(_View):
    finish_inspected: bool
    hallmark_verified: bool | None
    stones_secure: bool | None
    engraving_verified: bool | None
    measured_ring_size_mm: Number | None


class QualityCheckView(_View):
    passed: bool
    checks: ChecksView
    notes: str
    at: datetime


class MakerOrderView(_View):
    id: uuid.UUID
    order_id: uuid.UUID
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
    created_at: datetime
    timeline: list[TimelineView]
    version: int


class AddressView(_View):
    name: str
    line1: str
    line2: str | None
    city: str
    postcode: str
    country: str


class MakerOrderDetail(MakerOrderView):
    """A maker order as its maker (and operators) see it: with where to send it."""

    shipping_address: AddressView
    gift_message: str | None


class PaymentView(_View):
    status: PaymentStatus
    authorised_amount: Money | None
    authorised_at: datetime | None


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
    customer_id: uuid.UUID
    status: OrderStatus
    cancellation_reason: CancellationReason | None
    lines: list[LineView]
    total: Money
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


class OrderPage(BaseModel):
    items: list[OrderView]
    next_cursor: str | None = None


class MakerOrderPage(BaseModel):
    items: list[MakerOrderDetail]
    next_cursor: str | None = None


class LedgerLineView(_View):
    id: uuid.UUID
    maker_order_id: uuid.UUID
    kind: LedgerKind
    gross: Money
    commission: Money
    net: Money
    at: datetime


class PayoutsView(BaseModel):
    items: list[LedgerLineView] = Field(description="Newest first")
    next_cursor: str | None = None
    balance: Money = Field(description="The sum of every line's net amount")
    balances: list[Money] = Field(description="The balance per currency, if ever more than one")


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
    timeline: list[TimelineView]
    created_at: datetime
    version: int


class CommissionPage(BaseModel):
    items: list[CommissionView]
    next_cursor: str | None = None


def order_view(order: Order) -> OrderView:
    return OrderView.model_validate(to_json(order))


def maker_order_detail(maker_order: MakerOrder, order: Order) -> MakerOrderDetail:
    return MakerOrderDetail.model_validate({
        **to_json(maker_order),
        "shipping_address": to_json(order.shipping_address),
        "gift_message": order.gift_message,
    })


def commission_view(commission: Commission) -> CommissionView:
    return CommissionView.model_validate(to_json(commission))


# --- helpers -------------------------------------------------------------------------------------


def _principal(call: Call) -> Principal:
    assert call.principal is not None, "the route requires authentication"
    return call.principal


def _now() -> datetime:
    return datetime.now(UTC)


def _address(body: AddressIn) -> ShippingAddress:
    return ShippingAddress(**body.model_dump())


async def _my_maker_id(call: Call) -> uuid.UUID | None:
    """The calling maker user's maker id, as the makers read model knows it."""
    return await store.maker_id_for_user(call.app[POOL], _principal(call).user_id)


def _position(cursor: str | None) -> store.Position | None:
    position = decode_cursor(cursor, (str, str))
    if position is None:
        return None
    try:
        at, row_id = datetime.fromisoformat(position[0]), uuid.UUID(position[1])
    except ValueError:
        raise bad_request("Invalid cursor", code="invalid_cursor") from None
    if at.tzinfo is None:
        raise bad_request("Invalid cursor", code="invalid_cursor")
    return at, row_id


def _cursor(position: store.Position | None) -> str | None:
    return encode_cursor([position[0].isoformat(), str(position[1])]) if position else None


_409 = "Conflict with the current state (named in `current_state`)"

# --- orders --------------------------------------------------------------------------------------


@routes.post("/api/v1/orders", body=OrderIn, response=OrderView, status=201, roles=("customer",),
             headers={HEADER: HEADER_DOC}, extra_responses=RESPONSES)
async def place_order(call: Call) -> web.Response:
    """Place an order: every line priced here from the listings, options checked against what
    each listing offers; 201 `pending` while stock is reserved and payment authorised."""
    body: OrderIn = call.body
    customer_id = _principal(call).user_id
    payment_window = timedelta(seconds=call.app[ORDERS_SETTINGS].payment_window_s)

    async def place(uow: UnitOfWork) -> OrderView:
        listings = await store.listings(uow.conn, {line.listing_id for line in body.lines})
        lines = price_lines(
            [RequestedLine(line.listing_id, line.quantity, LineOptions(**line.options.model_dump()))
             for line in body.lines],
            listings,
        )
        order = Order.place(
            customer_id=customer_id, lines=lines, shipping_address=_address(body.shipping_address),
            payment_token=body.payment.token, gift_message=body.gift_message,
            payment_window=payment_window,
        )
        await store.save_order(uow, order)
        return order_view(order)

    return await idempotent(call, PRODUCER, place, status=201)


@routes.get("/api/v1/orders/{id}", query=OrderQuery, response=OrderView,
            roles=("customer", "operator"))
async def get_order(call: Call) -> OrderView:
    """An order with its lines, maker orders, timeline and legal statements (owner, operators);
    with `?wait=`, the answer waits for a pending order to be settled."""
    principal = _principal(call)
    pool, order_id = call.app[POOL], call.path_id()

    async def load() -> Order:
        order = await store.read_order(pool, order_id)
        if order is None or not (principal.is_operator or order.customer_id == principal.user_id):
            raise not_found("Order")
        return order

    if not call.query.wait:
        return order_view(await load())
    # Watching before the first read: a change committed after it wakes the wait.
    async with call.app[ORDER_CHANGES].watching(order_id, for_s=call.query.wait) as changed:
        order = await load()
        while order.status is OrderStatus.PENDING and await changed.wait():
            order = await load()
    return order_view(order)


@routes.get("/api/v1/orders", query=OrderListQuery, response=OrderPage, roles=("customer", "operator"))
async def list_orders(call: Call) -> OrderPage:
    """A customer's own orders, or every order for operators; newest first, `?status=`."""
    principal = _principal(call)
    query: OrderListQuery = call.query
    orders, position = await store.orders_page(
        call.app[POOL], customer_id=None if principal.is_operator else principal.user_id,
        status=query.status, after=_position(query.cursor), limit=query.limit,
    )
    return OrderPage(items=[order_view(order) for order in orders], next_cursor=_cursor(position))


@routes.post("/api/v1/orders/{id}/cancel", response=OrderView, roles=("customer",),
             extra_responses={409: "already_dispatched: a maker order was dispatched; " + _409})
async def cancel_order(call: Call) -> OrderView:
    """Cancel (owner) until the first maker order is dispatched: the payment is refunded and
    the stock released."""
    customer_id = _principal(call).user_id
    async with UnitOfWork(call.app[POOL], PRODUCER) as uow:
        order = await store.load_order(uow, call.path_id())
        if order is None or order.customer_id != customer_id:
            raise not_found("Order")
        order.cancel_by_customer()
        await saga.compensate(call.app, uow.conn, order)
        await saga.void_unrecorded_authorisation(call.app, order)
        await store.save_order(uow, order)
    return order_view(order)


# --- maker orders --------------------------------------------------------------------------------

MakerOrderAction = Callable[[UnitOfWork, Order, MakerOrder], Awaitable[None]]


async def _change_maker_order(call: Call, action: MakerOrderAction, *, by: Literal["maker", "operator"]) -> MakerOrderDetail:
    """Lock the order, check the caller may act on this maker order (its maker, or an
    operator), apply the action, pay back what it owes, and save with its events."""
    maker_order_id = call.path_id()
    maker_id = await _my_maker_id(call) if by == "maker" else None
    async with UnitOfWork(call.app[POOL], PRODUCER) as uow:
        order_id = await store.order_id_of_maker_order(uow.conn, maker_order_id)
        order = await store.load_order(uow, order_id) if order_id else None
        if order is None:
            raise not_found("Maker order")
        maker_order = order.maker_order(maker_order_id)
        if by == "maker" and maker_order.maker_id != maker_id:
            raise not_found("Maker order")
        await action(uow, order, maker_order)
        await saga.compensate(call.app, uow.conn, order)
        await store.save_order(uow, order)
    return maker_order_detail(maker_order, order)


@routes.get("/api/v1/maker-orders", query=MakerOrderListQuery, response=MakerOrderPage,
            roles=("maker", "operator"))
async def list_maker_orders(call: Call) -> MakerOrderPage:
    """A maker's own maker orders (operators: everyone's); newest first, `?status=`."""
    query: MakerOrderListQuery = call.query
    if _principal(call).is_operator:
        maker_id = None
    else:
        maker_id = await _my_maker_id(call)
        if maker_id is None:
            return MakerOrderPage(items=[])
    found, position = await store.maker_orders_page(
        call.app[POOL], maker_id=maker_id, status=query.status, after=_position(query.cursor),
        limit=query.limit,
    )
    return MakerOrderPage(items=[maker_order_detail(f.maker_order, f.order) for f in found],
                          next_cursor=_cursor(position))


@routes.get("/api/v1/maker-orders/{id}", response=MakerOrderDetail, roles=("maker", "operator"))
async def get_maker_order(call: Call) -> MakerOrderDetail:
    """A maker order with its lines, options, money and where to send it (its maker, operators)."""
    found = await store.maker_order_in_context(call.app[POOL], call.path_id())
    if found is None or not (_principal(call).is_operator
                             or found.maker_order.maker_id == await _my_maker_id(call)):
        raise not_found("Maker order")
    return maker_order_detail(found.maker_order, found.order)


@routes.post("/api/v1/maker-orders/{id}/accept", response=MakerOrderDetail, roles=("maker",),
             extra_responses={409: _409})
async def accept_maker_order(call: Call) -> MakerOrderDetail:
    """Accept the work: `in_production`."""
    async def accept(uow: UnitOfWork, order: Order, maker_order: MakerOrder) -> None:
        maker_order.accept()

    return await _change_maker_order(call, accept, by="maker")


@routes.post("/api/v1/maker-orders/{id}/decline", body=DeclineIn, response=MakerOrderDetail,
             roles=("maker",), extra_responses={409: _409})
async def decline_maker_order(call: Call) -> MakerOrderDetail:
    """Decline the work, with a reason: that maker's part is refunded and its pieces go back
    on sale; when every maker declined, the order is cancelled (`maker_declined`)."""
    reason = call.body.reason

    async def decline(uow: UnitOfWork, order: Order, maker_order: MakerOrder) -> None:
        if maker_order.decline(reason):
            order.maker_order_declined(maker_order.id)

    return await _change_maker_order(call, decline, by="maker")


@routes.post("/api/v1/maker-orders/{id}/quality-check", body=QualityCheckIn,
             response=MakerOrderDetail, roles=("maker",), extra_responses={409: _409})
async def quality_check_maker_order(call: Call) -> MakerOrderDetail:
    """Record the quality inspection: passed makes it `quality_checked` (ready to dispatch); a
    failed one keeps it `in_production` with the notes."""
    body: QualityCheckIn = call.body
    checks = QualityChecks(**body.checks.model_dump())

    async def inspect(uow: UnitOfWork, order: Order, maker_order: MakerOrder) -> None:
        maker_order.record_quality_check(passed=body.passed, checks=checks, notes=body.notes)

    return await _change_maker_order(call, inspect, by="maker")


@routes.post("/api/v1/maker-orders/{id}/dispatch", body=DispatchIn, response=MakerOrderDetail,
             roles=("maker",),
             extra_responses={409: "quality_check_required: no passed quality check yet; " + _409})
async def dispatch_maker_order(call: Call) -> MakerOrderDetail:
    """Dispatch with the carrier's tracking; needs a passed quality check."""
    tracking = Tracking(call.body.carrier, call.body.tracking_number)

    async def dispatch(uow: UnitOfWork, order: Order, maker_order: MakerOrder) -> None:
        maker_order.dispatch(tracking)

    return await _change_maker_order(call, dispatch, by="maker")


@routes.post("/api/v1/maker-orders/{id}/deliver", response=MakerOrderDetail, roles=("operator",),
             extra_responses={409: _409})
async def deliver_maker_order(call: Call) -> MakerOrderDetail:
    """Mark delivered (operators; the carrier webhook's stand-in): the maker's earning posts to
    their ledger, and the order completes once every part is delivered."""
    async def deliver(uow: UnitOfWork, order: Order, maker_order: MakerOrder) -> None:
        if maker_order.deliver():
            await store.post_ledger_entry(uow.conn, earning_for(maker_order))
            order.maybe_complete()

    return await _change_maker_order(call, deliver, by="operator")


@routes.post("/api/v1/maker-orders/{id}/refund", body=RefundIn, response=MakerOrderDetail,
             roles=("operator",),
             extra_responses={409: "not_delivered: only a delivered part is refunded this way "
                                   "(before delivery, the customer cancels or the maker "
                                   "declines); " + _409})
async def refund_maker_order(call: Call) -> MakerOrderDetail:
    """Refund a delivered maker order in full (operators; a return or a fault found later): the
    customer gets that part back and the maker's earning is reversed by a new ledger line. A
    second refund of the same maker order changes nothing."""
    reason = call.body.reason

    async def refund(uow: UnitOfWork, order: Order, maker_order: MakerOrder) -> None:
        if order.refund_delivered(maker_order.id, reason):
            earning = await store.earning_of(uow.conn, maker_order.id)
            assert earning is not None, "a delivered maker order has its earning posted"
            await store.post_ledger_entry(uow.conn, reversal_of(earning))

    return await _change_maker_order(call, refund, by="operator")


# --- payouts -------------------------------------------------------------------------------------


@routes.get("/api/v1/payouts", query=PayoutQuery, response=PayoutsView, roles=("maker", "operator"))
async def list_payouts(call: Call) -> PayoutsView:
    """A maker's payout ledger (earnings on delivery, reversals of refunded deliveries) and
    balance. Operators name the maker with `?maker_id=`."""
    query: PayoutQuery = call.query
    if _principal(call).is_operator:
        if query.maker_id is None:
            raise ProblemError(422, "Validation failed", "Operators name the maker: ?maker_id=",
                               code="maker_id_required")
        maker_id: uuid.UUID | None = query.maker_id
    else:
        maker_id = await _my_maker_id(call)
    pool = call.app[POOL]
    entries, position = (await store.ledger_page(pool, maker_id, _position(query.cursor), query.limit)
                         if maker_id else ([], None))
    balances = await store.ledger_balances(pool, maker_id) if maker_id else []
    return PayoutsView(
        items=[LedgerLineView.model_validate(to_json(entry)) for entry in entries],
        next_cursor=_cursor(position),
        balance=to_json(balances[0] if balances else Money.zero("GBP")),
        balances=[to_json(amount) for amount in balances],
    )


# --- bespoke commissions -------------------------------------------------------------------------

Party = Literal["customer", "maker"]


async def _is_party(call: Call, commission: Commission, *parties: Party) -> bool:
    principal = _principal(call)
    if "customer" in parties and principal.user_id == commission.customer_id:
        return True
    return "maker" in parties and principal.role == "maker" and (
        commission.maker_id == await _my_maker_id(call))


async def _change_commission(call: Call, party: Party, action: Callable[[Commission], object]) -> CommissionView:
    async with UnitOfWork(call.app[POOL], PRODUCER) as uow:
        commission = await store.load_commission(uow, call.path_id())
        if commission is None or not await _is_party(call, commission, party):
            raise not_found("Commission")
        action(commission)
        await store.save_commission(uow, commission)
    return commission_view(commission)


@routes.post("/api/v1/commissions", body=CommissionIn, response=CommissionView, status=201,
             roles=("customer",))
async def request_commission(call: Call) -> CommissionView:
    """Ask a maker who takes commissions for a bespoke piece; 422 if they do not."""
    body: CommissionIn = call.body
    maker = await store.maker(call.app[POOL], body.maker_id)
    commission = Commission.request(
        maker_id=body.maker_id,
        maker_accepts_commissions=maker is not None and maker.takes_commissions,
        customer_id=_principal(call).user_id, brief=body.brief, budget=body.budget,
        deadline=body.deadline, ring_size_mm=body.ring_size_mm,
    )
    async with UnitOfWork(call.app[POOL], PRODUCER) as uow:
        await store.save_commission(uow, commission)
    return commission_view(commission)


@routes.post("/api/v1/commissions/{id}/quote", body=QuoteIn, response=CommissionView,
             roles=("maker",), extra_responses={409: _409})
async def quote_commission(call: Call) -> CommissionView:
    """Quote a price and lead time (the maker; again to revise it until accepted)."""
    body: QuoteIn = call.body
    return await _change_commission(call, "maker", lambda commission: commission.quote_price(
        by_maker_id=commission.maker_id, price=body.price,
        lead_time_days=body.lead_time_days, description=body.description,
        has_natural_diamond=body.has_natural_diamond,
    ))


@routes.post("/api/v1/commissions/{id}/accept", body=CommissionAcceptIn, response=OrderView,
             status=201, roles=("customer",), headers={HEADER: HEADER_DOC},
             extra_responses={**RESPONSES, 409: RESPONSES[409] + "; already_accepted; " + _409})
async def accept_commission(call: Call) -> web.Response:
    """Accept the quote: 201 the order it creates (one bespoke line at the quoted price), which
    goes straight to payment."""
    body: CommissionAcceptIn = call.body
    customer_id = _principal(call).user_id
    payment_window = timedelta(seconds=call.app[ORDERS_SETTINGS].payment_window_s)

    async def accept(uow: UnitOfWork) -> OrderView:
        commission = await store.load_commission(uow, call.path_id())
        if commission is None or commission.customer_id != customer_id:
            raise not_found("Commission")
        order_id = uuid.uuid4()
        if not commission.accept(by_customer_id=customer_id, order_id=order_id):
            raise state_conflict(commission.status.value, "accept again", code="already_accepted")
        order = Order.place(
            customer_id=customer_id, lines=[commission.order_line()],
            shipping_address=_address(body.shipping_address), payment_token=body.payment.token,
            gift_message=body.gift_message, payment_window=payment_window, order_id=order_id,
        )
        await store.save_order(uow, order)
        await store.save_commission(uow, commission)
        return order_view(order)

    return await idempotent(call, PRODUCER, accept, status=201)


@routes.post("/api/v1/commissions/{id}/decline", body=CommissionDeclineIn, body_required=False,
             response=CommissionView, roles=("maker",), extra_responses={409: _409})
async def decline_commission(call: Call) -> CommissionView:
    """Decline the request or withdraw the quote (the maker); `{"reason"}` is optional."""
    reason = call.body.reason
    return await _change_commission(call, "maker", lambda commission: commission.decline(
        by_maker_id=commission.maker_id, reason=reason))


@routes.post("/api/v1/commissions/{id}/withdraw", response=CommissionView, roles=("customer",),
             extra_responses={409: _409})
async def withdraw_commission(call: Call) -> CommissionView:
    """Withdraw the request (the customer) before accepting a quote."""
    return await _change_commission(call, "customer", lambda commission: commission.withdraw(
        by_customer_id=commission.customer_id))


@routes.get("/api/v1/commissions/{id}", response=CommissionView)
async def get_commission(call: Call) -> CommissionView:
    """A commission (its customer, its maker, operators)."""
    commission = await store.read_commission(call.app[POOL], call.path_id())
    if commission is None or not (_principal(call).is_operator
                                  or await _is_party(call, commission, "customer", "maker")):
        raise not_found("Commission")
    return commission_view(commission)


@routes.get("/api/v1/commissions", query=CommissionListQuery, response=CommissionPage)
async def list_commissions(call: Call) -> CommissionPage:
    """Commissions a customer asked for, those addressed to a maker, or all for operators;
    newest first, `?status=`."""
    principal = _principal(call)
    query: CommissionListQuery = call.query
    customer_id = principal.user_id if principal.role == "customer" else None
    maker_id = await _my_maker_id(call) if principal.role == "maker" else None
    if principal.role == "maker" and maker_id is None:
        return CommissionPage(items=[])
    commissions, position = await store.commissions_page(
        call.app[POOL], customer_id=customer_id, maker_id=maker_id, status=query.status,
        after=_position(query.cursor), limit=query.limit,
    )
    return CommissionPage(items=[commission_view(c) for c in commissions], next_cursor=_cursor(position))
