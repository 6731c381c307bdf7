"""The address rule (services/orders/domain/addresses.py): UK postcodes by shape, kept as
printed; ISO countries; length caps; the address book's cap."""

from __future__ import annotations

import pytest

from services.orders.domain.addresses import (
    MAX_ADDRESSES_PER_CUSTOMER,
    MAX_LINE_CHARS,
    check_room_for_address,
    checked_address,
    uk_postcode,
)
from shared.errors import RulesViolated


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("EC1N 8AA", "EC1N 8AA"),
        ("ec1n8aa", "EC1N 8AA"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("YO1 7HH", "YO1 7HH"),
        ("GIR 0AA", "GIR 0AA"),
        ("gir0aa", "GIR 0AA"),
        ("BF1 3AA", "BF1 3AA"),  # a forces address's postcode
    ],
)
def test_uk_postcodes_are_kept_as_printed(typed: str, printed: str) -> None:
    assert uk_postcode(typed) == printed


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "8AA",
        "EC1N",
        "EC1N 8A",
        "EC1N 8AAA",
        "QC1 1AA",  # Q never starts an area
        "EC1N 8CA",  # C never in the inward code's letters
        "E1 1IK",  # nor I or K
        "AB123 4CD",
        "GIR 0AB",
        "BFPO 123",  # a BFPO number is not a postcode
        "12345",
        "EC1N-8AA",
    ],
)
def test_what_is_not_a_uk_postcode(typed: str) -> None:
    assert uk_postcode(typed) is None


def _address(**changes: str | None) -> dict[str, str | None]:
    return {
        "name": "Ada Lovelace",
        "line1": "1 Hatton Garden",
        "line2": None,
        "city": "London",
        "postcode": "EC1N 8AA",
        "country": "GB",
        **changes,
    }


def test_an_address_is_tidied_and_its_postcode_printed() -> None:
    address = checked_address(**_address(name="  Ada   Lovelace ", postcode="ec1n8aa", line2="  "))  # type: ignore[arg-type]
    assert (address.name, address.postcode, address.line2) == ("Ada Lovelace", "EC1N 8AA", None)


@pytest.mark.parametrize("country", ["GB", "JE", "GG", "IM"])
def test_uk_style_postcodes_are_checked_in_the_uk_and_crown_dependencies(country: str) -> None:
    with pytest.raises(RulesViolated) as refused:
        checked_address(**_address(country=country, postcode="75001"))  # type: ignore[arg-type]
    assert refused.value.code == "postcode_invalid"


def test_other_countries_postcodes_are_kept_as_typed() -> None:
    address = checked_address(**_address(country="FR", postcode="75001", city="Paris"))  # type: ignore[arg-type]
    assert (address.country, address.postcode) == ("FR", "75001")


@pytest.mark.parametrize("country", ["UK", "XX", "gb", "", "GBR"])
def test_countries_are_iso_alpha_2(country: str) -> None:
    with pytest.raises(RulesViolated) as refused:
        checked_address(**_address(country=country))  # type: ignore[arg-type]
    assert refused.value.code == "invalid_country"


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(RulesViolated) as refused:
        checked_address(**_address(name=" ", line1="x" * (MAX_LINE_CHARS + 1), postcode="nope"))  # type: ignore[arg-type]
    assert {v.code for v in refused.value.errors} == {"name_required", "line1_too_long", "postcode_invalid"}


def test_a_line_at_its_cap_passes() -> None:
    assert checked_address(**_address(line1="x" * MAX_LINE_CHARS)).line1 == "x" * MAX_LINE_CHARS  # type: ignore[arg-type]


def test_the_address_book_is_capped() -> None:
    check_room_for_address(MAX_ADDRESSES_PER_CUSTOMER - 1)
    with pytest.raises(RulesViolated) as refused:
        check_room_for_address(MAX_ADDRESSES_PER_CUSTOMER)
    assert refused.value.code == "address_book_full"
