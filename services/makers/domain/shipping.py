"""A maker's shipping profile: the zones they post to, what a parcel costs and how long the post
takes. Pure rules, no I/O. See docs/domain.md.

Zones are the customer's destination: `uk`, `europe` (the EU and EEA member states and
Switzerland) and `world` (everywhere else); which country is in which zone is the event
contract's one table (`shared.contracts.makers.shipping_zone`), since orders prices a
destination with the same answer. A zone the profile has no rate for is not shipped to.
A maker who never set a profile has the default one: the UK only, free, in 1-3 working days.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Self

from pydantic import AfterValidator, Strict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from services.makers.domain.profile import ValueObject
from shared.contracts.makers import DEFAULT_SHIPPING, SHIPPING_ZONES, ShippingZoneName
from shared.countries import CountryCode
from shared.errors import Violation
from shared.money import Money, currency_not_accepted

# The longest the post may take to any zone, in working days after dispatch.
MAX_TRANSIT_DAYS = 60


def _not_negative(amount: Money) -> Money:
    if amount.amount < 0:
        raise PydanticCustomError("shipping_amount_negative", "A shipping price cannot be negative")
    return amount


ShippingAmount = Annotated[Money, AfterValidator(_not_negative)]
WholeDays = Annotated[int, Strict()]


class TransitDays(ValueObject):
    """Working days the post takes after dispatch: from `min` to `max`."""

    min: WholeDays
    max: WholeDays

    @model_validator(mode="after")
    def _a_range_of_days(self) -> Self:
        if not 1 <= self.min <= self.max <= MAX_TRANSIT_DAYS:
            raise PydanticCustomError(
                "transit_days_invalid",
                "Transit days run from at least 1 to at most {most}, the shortest first",
                {"most": MAX_TRANSIT_DAYS},
            )
        return self


class ShippingRate(ValueObject):
    """Posting to one zone: `first_item` for the parcel's first item, `additional_item` for each
    further one, nothing once the items reach `free_over` (when set)."""

    zone: ShippingZoneName
    first_item: ShippingAmount
    additional_item: ShippingAmount
    free_over: ShippingAmount | None = None
    transit_days: TransitDays

    @property
    def amounts(self) -> list[Money]:
        return [self.first_item, self.additional_item, *([self.free_over] if self.free_over else [])]


class ShippingProfile(ValueObject):
    """Where the maker dispatches from and one rate per zone they post to (the rates kept in
    zone order: uk, europe, world)."""

    dispatch_country: CountryCode
    rates: list[ShippingRate]

    @field_validator("rates")
    @classmethod
    def _one_rate_per_zone(cls, rates: list[ShippingRate]) -> list[ShippingRate]:
        if not rates:
            raise PydanticCustomError("shipping_zones_required", "Choose at least one zone to ship to")
        zones = [rate.zone for rate in rates]
        if len(set(zones)) != len(zones):
            raise PydanticCustomError("shipping_zone_repeated", "Each zone may be listed only once")
        if len({amount.currency for rate in rates for amount in rate.amounts}) > 1:
            raise PydanticCustomError(
                "shipping_currency_mixed", "Every shipping price must be in the same currency"
            )
        return sorted(rates, key=lambda rate: SHIPPING_ZONES.index(rate.zone))

    @classmethod
    def default(cls) -> ShippingProfile:
        """The profile of a maker who never set one: the UK only, free, in 1-3 working days."""
        return cls.model_validate(DEFAULT_SHIPPING.model_dump())

    @property
    def zones(self) -> list[ShippingZoneName]:
        return [rate.zone for rate in self.rates]

    def currency_violations(self, accepted: Collection[str]) -> list[Violation]:
        """`currency_not_accepted` for each price in a currency the marketplace does not take."""
        found: list[Violation] = []
        for index, rate in enumerate(self.rates):
            prices = {"first_item": rate.first_item, "additional_item": rate.additional_item}
            if rate.free_over is not None:
                prices["free_over"] = rate.free_over
            for name, price in prices.items():
                loc: tuple[str | int, ...] = ("rates", index, name, "currency")
                if (problem := currency_not_accepted(price.currency, accepted, loc)) is not None:
                    found.append(problem)
        return found
