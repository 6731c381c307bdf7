"""A maker order's invoice: what it says, worked out here (the HTML is the API's business).

The seller is the maker (the marketplace only takes its commission): their legal name, and
their VAT number when they are VAT-registered. A VAT-registered maker's prices include VAT at
the standard rate, so the invoice states the VAT included in its total: total × 20/120, rounded
half up to the minor unit (docs/domain.md, Money). A maker without a VAT number shows none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from services.orders.domain.maker_order import MakerOrder
from services.orders.domain.order import Order
from services.orders.domain.pricing import LineHallmark, LineMetal, PricedLine, statements_for
from shared.money import Money

# The UK standard rate, which jewellery pays.
STANDARD_VAT_RATE = Decimal("0.20")

_METAL_NAMES = {"gold": "Gold", "silver": "Silver", "platinum": "Platinum", "palladium": "Palladium"}
_FINENESS_NAMES = {
    ("gold", 375): "9ct",
    ("gold", 585): "14ct",
    ("gold", 750): "18ct",
    ("gold", 916): "22ct",
    ("silver", 925): "sterling",
    ("silver", 958): "Britannia",
}
_ASSAY_OFFICES = {
    "london": "London",
    "birmingham": "Birmingham",
    "sheffield": "Sheffield",
    "edinburgh": "Edinburgh",
}


def vat_included(gross: Money, rate: Decimal = STANDARD_VAT_RATE) -> Money:
    """The VAT inside a VAT-inclusive `gross`: gross × rate / (1 + rate), rounded half up to the
    minor unit (at 20%, gross × 20/120: £100.00 holds £16.67)."""
    exact = Fraction(gross.amount) * Fraction(rate) / (1 + Fraction(rate))
    # Half up, for the non-negative amounts an invoice states.
    return Money(amount=int(exact + Fraction(1, 2)), currency=gross.currency)


def describe_metal(metal: LineMetal) -> str:
    """`Gold 750 (18ct)`, `Silver 925 (sterling)`, `Other metal`."""
    name = _METAL_NAMES.get(metal.metal)
    if name is None:
        return "Other metal"
    if metal.fineness is None:
        return name
    trade = _FINENESS_NAMES.get((metal.metal, metal.fineness))
    return f"{name} {metal.fineness}" + (f" ({trade})" if trade else "")


def describe_hallmark(hallmark: LineHallmark | None) -> str:
    if hallmark is None:
        return "Not stated"
    if hallmark.status == "hallmarked":
        office = _ASSAY_OFFICES.get(hallmark.assay_office or "", hallmark.assay_office or "")
        mark = f"sponsor's mark {hallmark.sponsor_mark}" if hallmark.sponsor_mark else ""
        return "Hallmarked" + (f" at {office}" if office else "") + (f", {mark}" if mark else "")
    if hallmark.status == "exempt_under_weight":
        return "Exempt from hallmarking (under the exemption weight)"
    return "Not applicable (no precious metal)"


@dataclass(frozen=True)
class InvoiceLine:
    title: str
    metals: str
    hallmark: str
    quantity: int
    unit_price: Money
    line_total: Money
    engraving: str | None


@dataclass(frozen=True)
class Seller:
    """The maker as the invoice names them: None for what the makers service has not said."""

    display_name: str
    legal_name: str | None
    vat_number: str | None


@dataclass(frozen=True)
class Invoice:
    reference: str
    order_reference: str
    issued_on: date
    seller: Seller
    lines: list[InvoiceLine]
    items_total: Money
    shipping: Money
    total: Money
    # Only for a VAT-registered seller.
    vat: Money | None
    vat_rate: Decimal
    statements: list[str]


def _line(line: PricedLine) -> InvoiceLine:
    return InvoiceLine(
        title=line.title,
        metals=", ".join(describe_metal(metal) for metal in line.metals) or "Not stated",
        hallmark=describe_hallmark(line.hallmark),
        quantity=line.quantity,
        unit_price=line.unit_price + line.engraving_price,
        line_total=line.line_total,
        engraving=line.options.engraving_text,
    )


def invoice_for(order: Order, maker_order: MakerOrder, seller: Seller, shipping: Money) -> Invoice:
    """The invoice of one maker order (one parcel, one seller), dated the day the sale was
    confirmed (when the payment was taken), with `shipping` what the customer paid to send it,
    and the order's legal statements about this parcel's pieces (the System of Warranties is the
    seller's guarantee about the diamonds they invoice, so it is not printed on another maker's
    invoice of the same order)."""
    total = maker_order.gross + shipping
    return Invoice(
        reference=maker_order.reference,
        order_reference=order.reference,
        issued_on=maker_order.created_at.date(),
        seller=seller,
        lines=[_line(line) for line in maker_order.lines],
        items_total=maker_order.gross,
        shipping=shipping,
        total=total,
        vat=vat_included(total) if seller.vat_number else None,
        vat_rate=STANDARD_VAT_RATE,
        statements=statements_for(maker_order.lines),
    )
