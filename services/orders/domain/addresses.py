"""Postal addresses: the one rule for a parcel's destination, whether typed at checkout or kept
in a customer's address book. A UK postcode (and those of the Crown dependencies, which use the
same scheme) must have the shape Royal Mail gives postcodes, and is kept in its printed form:
upper case, one space before the inward code. BFPO numbers ("BFPO 123") are not postcodes and
are refused; forces addresses use their BF1 postcodes instead, which pass."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from shared.countries import ISO_3166_ALPHA_2
from shared.errors import Violation, rules_violated

MAX_NAME_CHARS = 200
MAX_LINE_CHARS = 200
MAX_CITY_CHARS = 100
MAX_POSTCODE_CHARS = 16
# Enough for home, work and family; a longer list is a mistake or a script.
MAX_ADDRESSES_PER_CUSTOMER = 20


@dataclass(frozen=True)
class ShippingAddress:
    name: str
    line1: str
    city: str
    postcode: str
    country: str
    line2: str | None = None


# Countries whose postcodes follow the UK scheme: the UK, Guernsey, Jersey, the Isle of Man.
UK_POSTCODE_COUNTRIES = frozenset({"GB", "GG", "JE", "IM"})

# The outward code (area letters, district digits, an optional district letter in the patterns
# that allow one), then the inward code (sector digit and two unit letters, never C I K M O V).
# GIR 0AA is the one historic postcode outside the pattern.
_UK_POSTCODE = re.compile(
    r"^(?:GIR 0AA|"
    r"(?:[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r" [0-9][ABD-HJLNP-UW-Z]{2})$"
)


def uk_postcode(text: str) -> str | None:
    """The postcode in its printed form (`ec1n8aa` -> `EC1N 8AA`), or None if it is not one."""
    compact = re.sub(r"\s+", "", text).upper()
    printed = f"{compact[:-3]} {compact[-3:]}"
    return printed if _UK_POSTCODE.match(printed) else None


def _text(value: str | None, field: str, limit: int, problems: list[Violation], *, required: bool) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        problems.append(Violation((field,), "Required", f"{field}_required"))
    elif len(text) > limit:
        problems.append(Violation((field,), f"At most {limit} characters", f"{field}_too_long"))
    return text


def checked_address(
    *, name: str, line1: str, city: str, postcode: str, country: str, line2: str | None = None
) -> ShippingAddress:
    """The address as it will be kept and printed on the label (spaces tidied, the postcode in
    its printed form), or every problem with it at once (422): `<field>_required`,
    `<field>_too_long`, `postcode_invalid`, `invalid_country`."""
    problems: list[Violation] = []
    name = _text(name, "name", MAX_NAME_CHARS, problems, required=True)
    line1 = _text(line1, "line1", MAX_LINE_CHARS, problems, required=True)
    second = _text(line2, "line2", MAX_LINE_CHARS, problems, required=False)
    city = _text(city, "city", MAX_CITY_CHARS, problems, required=True)
    code = _text(postcode, "postcode", MAX_POSTCODE_CHARS, problems, required=True)
    country = (country or "").strip()
    if country not in ISO_3166_ALPHA_2:
        problems.append(
            Violation(("country",), "Must be an ISO 3166-1 alpha-2 country code, e.g. GB", "invalid_country")
        )
    elif country in UK_POSTCODE_COUNTRIES and code and len(code) <= MAX_POSTCODE_CHARS:
        printed = uk_postcode(code)
        if printed is None:
            problems.append(Violation(("postcode",), "Not a UK postcode (e.g. SW1A 1AA)", "postcode_invalid"))
        code = printed or code
    if problems:
        raise rules_violated(problems)
    return ShippingAddress(
        name=name, line1=line1, line2=second or None, city=city, postcode=code, country=country
    )


@dataclass(frozen=True)
class SavedAddress:
    """One entry of a customer's address book. An order keeps its own copy of the address, so
    deleting or changing an entry never changes an order placed with it."""

    id: uuid.UUID
    customer_id: uuid.UUID
    address: ShippingAddress


def check_room_for_address(saved: int) -> None:
    """Refuse (422 `address_book_full`) one more address for a customer who keeps `saved`."""
    if saved >= MAX_ADDRESSES_PER_CUSTOMER:
        raise rules_violated(
            [
                Violation(
                    (),
                    f"An address book holds at most {MAX_ADDRESSES_PER_CUSTOMER} addresses; "
                    "delete one you no longer use",
                    "address_book_full",
                )
            ]
        )
