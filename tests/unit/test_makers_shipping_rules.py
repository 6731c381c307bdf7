"""Makers' shipping profiles: the zones of countries, the validation of a profile (each rule at
its boundary, with its stable code), the default profile, and the aggregate's command and the
snapshot it publishes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from services.makers.domain import MAX_TRANSIT_DAYS, Maker, MakerProfile, ShippingProfile
from services.makers.usecases import published_events
from shared.contracts.makers import EUROPE_COUNTRIES, MakerShippingUpdated, shipping_zone
from shared.countries import ISO_3166_ALPHA_2
from shared.errors import RulesViolated

OWNER = UUID("00000000-0000-4000-8000-000000000001")
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
TODAY = date(2025, 6, 1)


def rate(zone: str = "uk", **overrides: Any) -> dict[str, Any]:
    return {
        "zone": zone,
        "first_item": {"amount": 395, "currency": "GBP"},
        "additional_item": {"amount": 100, "currency": "GBP"},
        "free_over": {"amount": 5000, "currency": "GBP"},
        "transit_days": {"min": 1, "max": 3},
        **overrides,
    }


def codes_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        ShippingProfile.model_validate(data)
    return [error["type"] for error in caught.value.errors()]


def maker() -> Maker:
    made = Maker.create(OWNER, MakerProfile(handle="silver-and-stone", display_name="Silver & Stone"), NOW)
    made.pull_events()
    return made


# --- zones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "zone"),
    [
        ("GB", "uk"),
        ("FR", "europe"),
        ("DE", "europe"),
        ("IE", "europe"),
        ("NO", "europe"),
        ("IS", "europe"),
        ("LI", "europe"),
        ("CH", "europe"),
        ("US", "world"),
        ("TR", "world"),
        ("AU", "world"),
        ("UA", "world"),
    ],
)
def test_the_zone_of_a_country(country: str, zone: str) -> None:
    assert shipping_zone(country) == zone


def test_europe_is_the_27_eu_members_the_eea_and_switzerland() -> None:
    assert len(EUROPE_COUNTRIES) == 27 + 3 + 1
    assert EUROPE_COUNTRIES <= ISO_3166_ALPHA_2
    assert "GB" not in EUROPE_COUNTRIES


# --- validation ------------------------------------------------------------------------------


def test_a_profile_keeps_its_rates_in_zone_order() -> None:
    profile = ShippingProfile.model_validate(
        {"dispatch_country": "GB", "rates": [rate("world"), rate("uk", free_over=None), rate("europe")]}
    )
    assert profile.zones == ["uk", "europe", "world"]
    assert profile.rates[0].free_over is None


def test_at_least_one_zone_each_listed_once() -> None:
    assert codes_of({"dispatch_country": "GB", "rates": []}) == ["shipping_zones_required"]
    assert codes_of({"dispatch_country": "GB", "rates": [rate("uk"), rate("uk")]}) == [
        "shipping_zone_repeated"
    ]
    assert codes_of({"dispatch_country": "GB", "rates": [rate("mars")]}) == ["literal_error"]


def test_the_dispatch_country_is_an_iso_code() -> None:
    for country in ("UK", "gb", "XX"):
        assert codes_of({"dispatch_country": country, "rates": [rate()]}) == ["invalid_country"], country
    assert codes_of({"dispatch_country": "GBR", "rates": [rate()]}) == ["string_too_long"]
    french = ShippingProfile.model_validate({"dispatch_country": "FR", "rates": [rate()]})
    assert french.dispatch_country == "FR"


@pytest.mark.parametrize("field", ["first_item", "additional_item", "free_over"])
def test_prices_may_be_zero_but_never_negative(field: str) -> None:
    zero = ShippingProfile.model_validate(
        {"dispatch_country": "GB", "rates": [rate(**{field: {"amount": 0, "currency": "GBP"}})]}
    )
    assert getattr(zero.rates[0], field).amount == 0
    negative = rate(**{field: {"amount": -1, "currency": "GBP"}})
    assert codes_of({"dispatch_country": "GB", "rates": [negative]}) == ["shipping_amount_negative"]


def test_prices_are_whole_minor_units_in_an_iso_currency_all_the_same() -> None:
    bad_currency = rate(first_item={"amount": 395, "currency": "gbp"})
    assert codes_of({"dispatch_country": "GB", "rates": [bad_currency]}) == ["currency_invalid"]
    pounds = rate(first_item={"amount": 3.95, "currency": "GBP"})
    assert codes_of({"dispatch_country": "GB", "rates": [pounds]}) == ["int_type"]
    euros = rate("europe", first_item={"amount": 500, "currency": "EUR"})
    assert codes_of({"dispatch_country": "GB", "rates": [rate(), euros]}) == ["shipping_currency_mixed"]


@pytest.mark.parametrize(
    ("days", "valid"),
    [
        ({"min": 1, "max": 1}, True),
        ({"min": 2, "max": 1}, False),
        ({"min": 0, "max": 3}, False),
        ({"min": 1, "max": MAX_TRANSIT_DAYS}, True),
        ({"min": 1, "max": MAX_TRANSIT_DAYS + 1}, False),
        ({"min": -1, "max": 2}, False),
    ],
)
def test_transit_days_run_from_one_to_the_most_the_shortest_first(days: dict[str, int], valid: bool) -> None:
    data = {"dispatch_country": "GB", "rates": [rate(transit_days=days)]}
    if valid:
        assert ShippingProfile.model_validate(data).rates[0].transit_days.max == days["max"]
    else:
        assert codes_of(data) == ["transit_days_invalid"]


def test_the_default_profile_is_the_uk_only_free_in_one_to_three_days() -> None:
    default = ShippingProfile.default()
    assert default.zones == ["uk"]
    only = default.rates[0]
    assert (only.first_item.amount, only.additional_item.amount, only.free_over) == (0, 0, None)
    assert (only.transit_days.min, only.transit_days.max) == (1, 3)


# --- the aggregate ---------------------------------------------------------------------------


def test_setting_a_profile_publishes_it_and_the_zones_show_on_the_public_view() -> None:
    record = maker()
    assert record.shipping_profile == ShippingProfile.default()
    assert record.public_view(TODAY).shipping == ["uk"]

    profile = ShippingProfile.model_validate({"dispatch_country": "GB", "rates": [rate("uk"), rate("world")]})
    record.set_shipping(profile, ["GBP"], OWNER, NOW)
    [event] = published_events(record, TODAY)
    assert isinstance(event, MakerShippingUpdated)
    assert event.shipping.model_dump(mode="json") == profile.model_dump(mode="json")
    assert record.public_view(TODAY).shipping == ["uk", "world"]
    assert record.owner_view(TODAY).shipping == ["uk", "world"]

    record.set_shipping(profile, ["GBP"], OWNER, NOW)  # the same profile again: nothing to say
    assert published_events(record, TODAY) == []


def test_prices_in_a_currency_the_marketplace_does_not_take_are_refused() -> None:
    record = maker()
    euros = {"amount": 500, "currency": "EUR"}
    profile = ShippingProfile.model_validate(
        {"dispatch_country": "FR", "rates": [rate(first_item=euros, additional_item=euros, free_over=None)]}
    )
    with pytest.raises(RulesViolated) as refused:
        record.set_shipping(profile, ["GBP"], OWNER, NOW)
    assert [(v.loc, v.code) for v in refused.value.errors] == [
        (("rates", 0, "first_item", "currency"), "currency_not_accepted"),
        (("rates", 0, "additional_item", "currency"), "currency_not_accepted"),
    ]
    assert (record.shipping, record.pending_events) == (None, [])
    record.set_shipping(profile, ["GBP", "EUR"], OWNER, NOW)
    assert record.shipping == profile
