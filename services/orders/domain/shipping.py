"""Shipping: what each maker's parcel costs to send and when it should arrive.

A maker's shipping profile has one rate per zone it ships to (`uk`, `europe`, `world`); a zone
without a rate is not shipped to. A parcel costs the first item's rate plus the additional
item's rate for every further item, and nothing once that maker's items reach `free_over`.
Delivery is estimated in UK working days (Monday to Friday, not a bank holiday of England and
Wales): the time to dispatch (the parcel's lead time when it is made to order, else 1–3 days),
then the zone's transit days (docs/domain.md)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

import holidays
import pycountry

from services.orders.domain.pricing import LeadTime, PricedLine
from shared.contracts.makers import shipping_zone
from shared.errors import Violation, rules_violated
from shared.money import Money


class Zone(StrEnum):
    UK = "uk"
    # The EU, the rest of the EEA and Switzerland.
    EUROPE = "europe"
    WORLD = "world"


def zone_of(country: str) -> Zone:
    """The zone an ISO 3166-1 alpha-2 destination falls in, by the one table makers and orders
    share (the makers contract's)."""
    return Zone(shipping_zone(country.upper()))


def country_name(country: str) -> str:
    """A country as people call it: "France" for FR."""
    found = pycountry.countries.get(alpha_2=country.upper())
    return getattr(found, "common_name", None) or found.name if found else country.upper()


@dataclass(frozen=True)
class ShippingRate:
    zone: Zone
    first_item: Money
    additional_item: Money
    # The maker's items subtotal at or above which the parcel goes free; None: never free.
    free_over: Money | None
    transit_days: LeadTime


@dataclass(frozen=True)
class ShippingProfile:
    dispatch_country: str
    rates: tuple[ShippingRate, ...]

    def rate_for(self, zone: Zone) -> ShippingRate | None:
        return next((rate for rate in self.rates if rate.zone is zone), None)


# What a parcel takes to be ready when nothing in it is made to order.
READY_TO_DISPATCH_DAYS = LeadTime(1, 3)


def default_profile(currency: str) -> ShippingProfile:
    """A maker who never set a profile ships to the UK only, free, in 1–3 working days."""
    zero = Money.zero(currency)
    return ShippingProfile("GB", (ShippingRate(Zone.UK, zero, zero, None, LeadTime(1, 3)),))


@dataclass(frozen=True)
class MakerShipping:
    """A maker as shipping needs them: the name a refusal gives, and their profile (None when
    they never set one)."""

    maker_id: uuid.UUID
    display_name: str
    profile: ShippingProfile | None = None


@dataclass(frozen=True)
class DeliveryWindow:
    earliest: date
    latest: date


@dataclass(frozen=True)
class ParcelShipping:
    """One maker's parcel of an order: its zone, what the customer pays to send it, the
    zone's transit days and when it should arrive, counted from the day it was priced."""

    maker_id: uuid.UUID
    zone: Zone
    amount: Money
    transit_days: LeadTime
    estimated_delivery: DeliveryWindow


def shipping_cost(rate: ShippingRate, items: int, subtotal: Money) -> Money:
    """First item, then each additional one; free once `subtotal` reaches `free_over`."""
    if rate.free_over is not None and subtotal.amount >= rate.free_over.amount:
        return Money.zero(subtotal.currency)
    return rate.first_item + rate.additional_item * (items - 1)


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The day `days` working days after `start` (0: `start` itself)."""
    day = start
    for _ in range(days):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return day


def dispatch_days(lines: Sequence[PricedLine]) -> LeadTime:
    """Working days until the parcel can go: the slowest made-to-order line's lead time (each
    of its min and max), else 1–3 days for pieces already made."""
    lead_times = [line.lead_time_days for line in lines if line.lead_time_days is not None]
    if not lead_times:
        return READY_TO_DISPATCH_DAYS
    return LeadTime(max(lt.min for lt in lead_times), max(lt.max for lt in lead_times))


def estimated_delivery(lines: Sequence[PricedLine], transit: LeadTime, today: date) -> DeliveryWindow:
    dispatch = dispatch_days(lines)
    return DeliveryWindow(
        earliest=add_working_days(today, dispatch.min + transit.min),
        latest=add_working_days(today, dispatch.max + transit.max),
    )


def price_shipping(
    lines: Sequence[PricedLine],
    makers: Mapping[uuid.UUID, MakerShipping],
    destination_country: str,
    today: date,
) -> list[ParcelShipping]:
    """One `ParcelShipping` per maker of `lines` (in the order of their first lines), priced
    by that maker's profile for the destination's zone. A 422 `destination_not_shipped` names
    every maker who does not ship there; `currency_mismatch` when a maker prices delivery in
    another currency than their pieces."""
    zone = zone_of(destination_country)
    by_maker: dict[uuid.UUID, list[PricedLine]] = defaultdict(list)
    for line in lines:
        by_maker[line.maker_id].append(line)
    parcels: list[ParcelShipping] = []
    problems: list[Violation] = []
    for maker_id, maker_lines in by_maker.items():
        currency = maker_lines[0].line_total.currency
        maker = makers.get(maker_id) or MakerShipping(maker_id, "This maker")
        rate = (maker.profile or default_profile(currency)).rate_for(zone)
        if rate is None:
            problems.append(
                Violation(
                    ("shipping_address", "country"),
                    f"{maker.display_name} does not deliver to {country_name(destination_country)}",
                    "destination_not_shipped",
                )
            )
            continue
        if rate.first_item.currency != currency:
            problems.append(
                Violation(
                    ("lines",),
                    f"{maker.display_name} prices delivery in {rate.first_item.currency}, not in {currency}",
                    "currency_mismatch",
                )
            )
            continue
        subtotal = Money.total((line.line_total for line in maker_lines), currency)
        items = sum(line.quantity for line in maker_lines)
        parcels.append(
            ParcelShipping(
                maker_id=maker_id,
                zone=zone,
                amount=shipping_cost(rate, items, subtotal),
                transit_days=rate.transit_days,
                estimated_delivery=estimated_delivery(maker_lines, rate.transit_days, today),
            )
        )
    if problems:
        raise rules_violated(problems, " ".join(f"{problem.msg}." for problem in problems))
    return parcels
