"""Orders and their quotes: the basket a customer sends, and the order as it is shown."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.orders.domain import (
    CancellationReason,
    Order,
    OrderStatus,
    PaymentStatus,
    RefundStatus,
    to_json,
)
from services.orders.domain.references import order_reference_of
from services.orders.schemas.addresses import AddressIn, AddressView
from services.orders.schemas.common import LineIn, LineView, PaymentIn, TimelineView, _Body, _View
from services.orders.schemas.maker_orders import DeliveryView, MakerOrderView, ShippingView
from services.orders.usecases.addresses import AddressChoice
from services.orders.usecases.quotes import PricedBasket
from shared.money import Money
from shared.paging import PageQuery


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


class ParcelQuoteView(_View):
    maker_id: uuid.UUID
    shipping: ShippingView
    estimated_delivery: DeliveryView = Field(
        description="In UK working days: the lead time (or 1-3 days to dispatch a piece already "
        "made), then transit"
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
