"""Pricing a basket: its lines from the listings read model and each maker's parcel from that
maker's shipping profile, to the address it goes to. A quote is this and nothing more; placing
an order prices the same way, so a quote equals the order placed right after it."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from services.orders import store
from services.orders.domain import LeadTime, PricedLine, RequestedLine, ShippingAddress, price_lines
from services.orders.domain.returns import UK_TIME
from services.orders.domain.shipping import (
    MakerShipping,
    ParcelShipping,
    ShippingProfile,
    ShippingRate,
    Zone,
    price_shipping,
)
from services.orders.usecases.addresses import AddressChoice, resolve_shipping_address
from shared.contracts.makers import MakerShippingData
from shared.db import Executor
from shared.money import Money


@dataclass(frozen=True)
class PricedBasket:
    """What an order of these lines to this address would cost, and when each parcel would
    arrive."""

    lines: list[PricedLine]
    shipping: list[ParcelShipping]
    address: ShippingAddress

    @property
    def subtotal(self) -> Money:
        return Money.total((line.line_total for line in self.lines), self.lines[0].line_total.currency)

    @property
    def shipping_total(self) -> Money:
        return Money.total((parcel.amount for parcel in self.shipping), self.subtotal.currency)

    @property
    def total(self) -> Money:
        return self.subtotal + self.shipping_total


def uk_today(now: datetime | None = None) -> date:
    """Delivery dates count UK working days from the UK's today."""
    return (now or datetime.now(UK_TIME)).astimezone(UK_TIME).date()


def _profile(data: MakerShippingData) -> ShippingProfile:
    return ShippingProfile(
        dispatch_country=data.dispatch_country,
        rates=tuple(
            ShippingRate(
                zone=Zone(rate.zone),
                first_item=rate.first_item,
                additional_item=rate.additional_item,
                free_over=rate.free_over,
                transit_days=LeadTime(rate.transit_days.min, rate.transit_days.max),
            )
            for rate in data.rates
        ),
    )


async def makers_shipping(db: Executor, maker_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, MakerShipping]:
    """Each maker's name and shipping profile from the makers read model (a maker not heard of
    yet prices with the default profile)."""
    found: dict[uuid.UUID, MakerShipping] = {}
    for maker_id in maker_ids:
        record = await store.maker(db, maker_id)
        data = await store.maker_shipping(db, maker_id)
        found[maker_id] = MakerShipping(
            maker_id,
            record.display_name if record else "This maker",
            _profile(data) if data is not None else None,
        )
    return found


async def price_basket(
    db: Executor,
    *,
    customer_id: uuid.UUID,
    lines: Sequence[RequestedLine],
    shipping_address: AddressChoice,
    currencies: Collection[str] | None = None,
    today: date | None = None,
) -> PricedBasket:
    """Price every line (422s naming each problem) and each maker's parcel to the address
    (422 `destination_not_shipped` naming the maker); creates nothing."""
    address = await resolve_shipping_address(db, customer_id, shipping_address)
    listings = await store.listings(db, {line.listing_id for line in lines})
    priced = price_lines(lines, listings, currencies)
    makers = await makers_shipping(db, dict.fromkeys(line.maker_id for line in priced))
    shipping = price_shipping(priced, makers, address.country, today or uk_today())
    return PricedBasket(priced, shipping, address)
