"""Unit tests for references people read (format, alphabet, maker order numbering, what a
person may type), UK VAT numbers at their boundaries, and the VAT an invoice states."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.makers.domain.compliance import ComplianceChange
from services.makers.domain.profile import MakerProfilePatch, normalise_vat_number
from services.orders.domain import (
    LineOptions,
    ListingSnapshot,
    Order,
    ProductionKind,
    RequestedLine,
    price_lines,
)
from services.orders.domain.invoice import (
    Seller,
    describe_hallmark,
    describe_metal,
    invoice_for,
    vat_included,
)
from services.orders.domain.order import ShippingAddress
from services.orders.domain.pricing import LineHallmark, LineMetal
from services.orders.domain.references import (
    MAKER_ORDER_REFERENCE_PATTERN,
    ORDER_REFERENCE_PATTERN,
    REFERENCE_ALPHABET,
    maker_order_reference,
    new_order_reference,
    order_reference_of,
)
from shared.money import Money

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ADDRESS = ShippingAddress(
    name="Ada", line1="1 Hatton Garden", city="London", postcode="EC1N 8AA", country="GB"
)
MAKERS = [uuid.UUID(int=n) for n in (1, 2, 3)]


def gbp(amount: int) -> Money:
    return Money(amount=amount, currency="GBP")


# --- references ----------------------------------------------------------------------------------


def test_a_new_reference_is_ff_and_two_groups_of_four_crockford_characters() -> None:
    drawn = [new_order_reference() for _ in range(2000)]
    assert all(ORDER_REFERENCE_PATTERN.match(reference) for reference in drawn)
    characters = Counter(char for reference in drawn for char in reference[3:].replace("-", ""))
    # No character people confuse (I/1, L/1, O/0, U/V) is ever drawn; the others all are.
    assert not set(characters) & set("ILOU")
    assert set(characters) == set(REFERENCE_ALPHABET)
    assert len(REFERENCE_ALPHABET) == 32
    assert len(set(drawn)) == len(drawn)


def test_maker_orders_are_numbered_from_one_in_the_order_they_are_created() -> None:
    listings = [
        ListingSnapshot(
            listing_id=uuid.uuid4(),
            maker_id=maker_id,
            title=f"Piece {index}",
            price=gbp(10000),
            visible=True,
            production_kind=ProductionKind.READY_TO_SHIP,
            stock_available=5,
        )
        for index, maker_id in enumerate([MAKERS[1], MAKERS[0], MAKERS[1], MAKERS[2]])
    ]
    priced = price_lines(
        [RequestedLine(listing.listing_id, 1, LineOptions()) for listing in listings],
        {listing.listing_id: listing for listing in listings},
    )
    order = Order.place(
        customer_id=uuid.uuid4(),
        lines=priced,
        shipping_address=ADDRESS,
        payment_token="tok_visa",
        now=NOW,
        reference="FF-7K3D-92QX",
    )
    order.stock_reserved({}, now=NOW)
    order.payment_authorised("pay_1", commission_rate=Decimal("0.15"), now=NOW)
    assert [(mo.maker_id, mo.reference) for mo in order.maker_orders] == [
        (MAKERS[1], "FF-7K3D-92QX-1"),
        (MAKERS[0], "FF-7K3D-92QX-2"),
        (MAKERS[2], "FF-7K3D-92QX-3"),
    ]
    assert all(MAKER_ORDER_REFERENCE_PATTERN.match(mo.reference) for mo in order.maker_orders)
    confirmed = next(event for event in order.pull_events() if event.name == "confirmed")
    assert confirmed.data["reference"] == "FF-7K3D-92QX"
    assert [mo["reference"] for mo in confirmed.data["maker_orders"]] == [
        "FF-7K3D-92QX-1",
        "FF-7K3D-92QX-2",
        "FF-7K3D-92QX-3",
    ]


def test_maker_order_positions_start_at_one() -> None:
    assert maker_order_reference("FF-7K3D-92QX", 1) == "FF-7K3D-92QX-1"
    with pytest.raises(ValueError):
        maker_order_reference("FF-7K3D-92QX", 0)


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("FF-7K3D-92QX", "FF-7K3D-92QX"),
        ("ff 7k3d 92qx", "FF-7K3D-92QX"),
        ("FF7K3D92QX", "FF-7K3D-92QX"),
        ("FF-7K3D-92QX-2", "FF-7K3D-92QX"),
        ("FF-OOLI-92QX", "FF-0011-92QX"),  # Crockford: O reads as 0, I and L as 1
        ("FF-7K3D-92Q", None),  # 7 characters
        ("FF-7K3D-92QXY", None),  # 9 characters: not a maker order suffix either
        ("FF-7K3D-92QU", None),  # U is never used
        ("GG-7K3D-92QX", None),
        ("FF-7K3D-92QX-0", None),
        ("", None),
    ],
)
def test_what_a_person_types_is_read_as_a_reference(typed: str, reference: str | None) -> None:
    assert order_reference_of(typed) == reference


# --- VAT numbers ---------------------------------------------------------------------------------

# HMRC's example number (weighted sum 388 = 4 × 97) and one of the numbers issued since 2010
# (weighted sum ≡ 42 mod 97).
VALID_OLD = "GB999999973"
VALID_NEW = "GB100000034"


def test_the_check_digits_of_both_schemes_are_accepted() -> None:
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 1)
    assert sum(int(d) * w for d, w in zip(VALID_NEW[2:], weights, strict=True)) % 97 == 42
    assert normalise_vat_number(VALID_OLD) == VALID_OLD
    assert normalise_vat_number(VALID_NEW) == VALID_NEW


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("GB999999973", "GB999999973"),
        ("gb 999 9999 73", "GB999999973"),
        ("GB 999 9999 73 001", "GB999999973001"),  # a branch: 12 digits, checked on the first 9
        (" GB999999973 ", "GB999999973"),
    ],
)
def test_a_vat_number_is_stored_normalised(typed: str, stored: str) -> None:
    assert MakerProfilePatch.model_validate({"vat_number": typed}).vat_number == stored


@pytest.mark.parametrize(
    "typed",
    [
        "GB99999997",  # 8 digits
        "GB9999999730",  # 10 digits
        "GB99999997300",  # 11 digits
        "GB9999999730011",  # 13 digits
        "GB999999974",  # check digits off by one
        "GB999999972",
        "999999973",  # no GB
        "DE999999973",
        "GB99999997A",
        "GB９９９９９９９７３",  # full-width digits are digits to Python, not to HMRC
        "",
    ],
)
def test_anything_else_is_vat_number_invalid(typed: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        MakerProfilePatch.model_validate({"vat_number": typed})
    assert [error["type"] for error in excinfo.value.errors()] == ["vat_number_invalid"]


def test_an_approved_maker_sets_or_clears_their_vat_number_through_compliance() -> None:
    assert ComplianceChange.model_validate({"vat_number": "gb999 999 973"}).as_patch().vat_number == VALID_OLD
    cleared = ComplianceChange.model_validate({"vat_number": None}).as_patch()
    assert "vat_number" in cleared.model_fields_set and cleared.vat_number is None


# --- VAT on invoices -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "vat"),
    [
        (0, 0),
        (1, 0),  # 0.1666…
        (2, 0),  # 0.333…
        (3, 1),  # 0.5 rounds up
        (4, 1),
        (6, 1),
        (9, 2),  # 1.5 rounds up
        (12000, 2000),
        (10000, 1667),  # 1666.67
        (10003, 1667),  # 1667.17
        (10005, 1668),  # 1667.5 rounds up
    ],
)
def test_the_vat_included_is_a_sixth_of_the_gross_rounded_half_up(gross: int, vat: int) -> None:
    assert vat_included(gbp(gross)) == gbp(vat)


def test_metals_and_hallmarks_are_described_in_words() -> None:
    assert describe_metal(LineMetal("gold", 750)) == "Gold 750 (18ct)"
    assert describe_metal(LineMetal("silver", 925)) == "Silver 925 (sterling)"
    assert describe_metal(LineMetal("platinum", 950)) == "Platinum 950"
    assert describe_metal(LineMetal("other", None)) == "Other metal"
    assert describe_hallmark(LineHallmark("hallmarked", "ADS", "sheffield")) == (
        "Hallmarked at Sheffield, sponsor's mark ADS"
    )
    assert describe_hallmark(LineHallmark("exempt_under_weight")).startswith("Exempt")
    assert describe_hallmark(None) == "Not stated"


def _confirmed_order() -> Order:
    listing = ListingSnapshot(
        listing_id=uuid.uuid4(),
        maker_id=MAKERS[0],
        title="Gold ring",
        price=gbp(10000),
        visible=True,
        production_kind=ProductionKind.READY_TO_SHIP,
        stock_available=5,
        metals=(LineMetal("gold", 750),),
        hallmark=LineHallmark("hallmarked", "ADS", "sheffield"),
    )
    priced = price_lines([RequestedLine(listing.listing_id, 2, LineOptions())], {listing.listing_id: listing})
    order = Order.place(
        customer_id=uuid.uuid4(), lines=priced, shipping_address=ADDRESS, payment_token="tok_visa", now=NOW
    )
    order.stock_reserved({}, now=NOW)
    order.payment_authorised("pay_1", commission_rate=Decimal("0.15"), now=NOW)
    return order


def test_an_invoice_states_vat_only_for_a_vat_registered_seller() -> None:
    order = _confirmed_order()
    [maker_order] = order.maker_orders
    registered = invoice_for(order, maker_order, Seller("Ada Studio", "Ada Smith", VALID_OLD), gbp(500))
    assert registered.total == gbp(20500)
    assert registered.vat == gbp(3417)  # 20500 / 6 = 3416.67
    assert registered.reference == maker_order.reference == f"{order.reference}-1"
    assert registered.issued_on == NOW.date()
    assert [(line.metals, line.quantity) for line in registered.lines] == [("Gold 750 (18ct)", 2)]
    unregistered = invoice_for(order, maker_order, Seller("Ada Studio", "Ada Smith", None), gbp(0))
    assert unregistered.vat is None
    assert unregistered.total == gbp(20000)
