"""Pricing: listings as orders sees them, the lines a customer asks for, and `price_lines`,
which checks every requested line against its listing and prices it on the server (prices never
come from the client). Also the marketplace's commission on a maker's takings and the legal
statements an invoice must carry (docs/domain.md).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.orders.domain.vocabulary import (
    MAX_LINES_PER_ORDER,
    MAX_QUANTITY_PER_LINE,
    CancellationRight,
    ProductionKind,
)
from shared.errors import Violation, rules_violated
from shared.money import Money, currency_not_accepted

SYSTEM_OF_WARRANTIES_STATEMENT = (
    "The diamonds herein invoiced have been purchased from legitimate sources not involved in "
    "funding conflict and in compliance with United Nations resolutions. The seller hereby "
    "guarantees that these diamonds are conflict free, based on personal knowledge and/or "
    "written guarantees provided by the supplier of these diamonds."
)


def commission_for(gross: Money, rate: Decimal) -> Money:
    """The marketplace's commission on `gross`, rounded half-up to the minor unit."""
    check_commission_rate(rate)
    return gross.share(rate)


def check_commission_rate(rate: Decimal) -> None:
    # A float rate would bring binary rounding into money; configuration must give a Decimal.
    if not isinstance(rate, Decimal):
        raise TypeError(f"Commission rate must be a Decimal, got {type(rate).__name__}")
    if not Decimal(0) <= rate < Decimal(1):
        raise ValueError(f"Commission rate must be in [0, 1), got {rate}")


@dataclass(frozen=True)
class LeadTime:
    min: int
    max: int


@dataclass(frozen=True)
class SizeRange:
    """Inclusive range of ring sizes, as inner circumference in millimetres."""

    min: Decimal
    max: Decimal

    def __contains__(self, size_mm: Decimal) -> bool:
        return self.min <= size_mm <= self.max


@dataclass(frozen=True)
class EngravingOption:
    max_chars: int
    price_delta: Money


@dataclass(frozen=True)
class LineMetal:
    """One metal of a piece as its invoice describes it."""

    metal: str
    # Parts per thousand; None when not stated (a metal that is not precious).
    fineness: int | None = None


@dataclass(frozen=True)
class LineHallmark:
    """How the piece is hallmarked: `hallmarked` (with the sponsor's mark and assay office),
    `exempt_under_weight` or `not_applicable`."""

    status: str
    sponsor_mark: str | None = None
    assay_office: str | None = None


@dataclass(frozen=True)
class ListingSnapshot:
    """What orders knows about a listing, kept up to date from catalogue events."""

    listing_id: uuid.UUID
    maker_id: uuid.UUID
    title: str
    price: Money
    # Published (or sold out) and its maker approved: the public may see and buy it.
    visible: bool
    production_kind: ProductionKind
    lead_time_days: LeadTime | None = None
    ring_size_mm: SizeRange | None = None
    engraving: EngravingOption | None = None
    chain_lengths_cm: tuple[int, ...] | None = None
    # The piece has a natural diamond (whoever its maker is).
    has_natural_diamond: bool = False
    # Its maker attested to the System of Warranties (the makers read model).
    warranty_attested: bool = False
    # The catalogue's hallmarking rules say the piece must be hallmarked (a precious metal at or
    # over its exemption weight): its quality check must verify the hallmark.
    needs_hallmark: bool = False
    # Units catalogue can still sell (ready_to_ship stock; 1 or 0 for one_of_a_kind).
    # None means no limit known here (made_to_order has none).
    stock_available: int | None = None
    # What it is made of and how it is hallmarked, as its invoice says.
    metals: tuple[LineMetal, ...] = ()
    hallmark: LineHallmark | None = None

    @property
    def available_quantity(self) -> int | None:
        """How many units one order may take in total, or None when only the line cap applies."""
        if self.production_kind is ProductionKind.ONE_OF_A_KIND:
            return min(1, self.stock_available if self.stock_available is not None else 1)
        # Unknown stock is left to catalogue's reservation, which is authoritative anyway.
        return self.stock_available


@dataclass(frozen=True)
class LineOptions:
    """The personalisation a customer chose for one line. Blank engraving means none."""

    ring_size_mm: Decimal | None = None
    engraving_text: str | None = None
    chain_length_cm: int | None = None

    def __post_init__(self) -> None:
        # Ring sizes are compared against range bounds: a float would make 54.4 miss 54.4.
        if self.ring_size_mm is not None and not isinstance(self.ring_size_mm, Decimal):
            object.__setattr__(self, "ring_size_mm", Decimal(str(self.ring_size_mm)))
        if self.engraving_text is not None:
            # NFC so that "é" typed as e + combining accent counts as the one character engraved.
            text = unicodedata.normalize("NFC", self.engraving_text)
            object.__setattr__(self, "engraving_text", text if text.strip() else None)

    @property
    def is_engraved(self) -> bool:
        return self.engraving_text is not None


@dataclass(frozen=True)
class RequestedLine:
    """A line as the customer asked for it: no price, since prices never come from the client."""

    listing_id: uuid.UUID
    quantity: int
    options: LineOptions = field(default_factory=LineOptions)


@dataclass(frozen=True)
class PricedLine:
    """An order line priced by the server from the listing snapshot (or a commission quote)."""

    id: uuid.UUID
    listing_id: uuid.UUID | None
    commission_id: uuid.UUID | None
    maker_id: uuid.UUID
    title: str
    quantity: int
    unit_price: Money
    # Per unit, zero when the line is not engraved.
    engraving_price: Money
    line_total: Money
    options: LineOptions
    cancellation_right: CancellationRight
    production_kind: ProductionKind
    lead_time_days: LeadTime | None
    # The piece has a natural diamond: a fact about the stone, whatever its maker attested. (Lines
    # stored before warranty_attested existed said true only for attested makers' diamonds.)
    has_natural_diamond: bool
    # From the listing snapshot; lines stored before it was known read as False.
    needs_hallmark: bool = False
    # Its maker attested to the System of Warranties when the line was priced: with a natural
    # diamond, the invoice carries the statement.
    warranty_attested: bool = False
    # The listing's metals and hallmark when it was bought, for the invoice; lines priced before
    # they were kept, and bespoke lines, have none.
    metals: tuple[LineMetal, ...] = ()
    hallmark: LineHallmark | None = None

    @property
    def needs_stock(self) -> bool:
        return self.listing_id is not None


def _engraving_violations(text: str, offer: EngravingOption, loc: tuple[str | int, ...]) -> list[Violation]:
    problems = []
    if len(text) > offer.max_chars:
        problems.append(
            Violation(loc, f"Engraving is limited to {offer.max_chars} characters", "engraving_too_long")
        )
    # isprintable() refuses control characters (newlines, tabs), format characters (bidi
    # overrides, zero-width joiners), lone surrogates, private-use and unassigned code points:
    # none of them can be engraved, and some would disguise what the maker reads.
    unprintable = sorted({f"U+{ord(char):04X}" for char in text if not char.isprintable()})
    if unprintable:
        problems.append(
            Violation(
                loc,
                f"Engraving contains characters that cannot be engraved: {', '.join(unprintable)}",
                "engraving_not_printable",
            )
        )
    return problems


def _option_violations(
    listing: ListingSnapshot, options: LineOptions, loc: tuple[str | int, ...]
) -> list[Violation]:
    problems = []
    offered_sizes = listing.ring_size_mm
    if offered_sizes is None:
        if options.ring_size_mm is not None:
            problems.append(
                Violation(
                    (*loc, "ring_size_mm"), "This piece is not offered in ring sizes", "option_not_offered"
                )
            )
    # A listing that offers a size range is made to a size: the maker cannot guess one.
    elif options.ring_size_mm is None or options.ring_size_mm not in offered_sizes:
        problems.append(
            Violation(
                (*loc, "ring_size_mm"),
                f"Choose a ring size from {offered_sizes.min} to {offered_sizes.max} mm",
                "ring_size_out_of_range",
            )
        )

    if options.engraving_text is not None:
        if listing.engraving is None:
            problems.append(
                Violation((*loc, "engraving_text"), "This piece cannot be engraved", "option_not_offered")
            )
        else:
            problems += _engraving_violations(
                options.engraving_text, listing.engraving, (*loc, "engraving_text")
            )

    offered_lengths = listing.chain_lengths_cm
    if offered_lengths is None:
        if options.chain_length_cm is not None:
            problems.append(
                Violation(
                    (*loc, "chain_length_cm"), "This piece has no chain length choice", "option_not_offered"
                )
            )
    # Like ring sizes: when lengths are offered the maker needs to know which one to fit.
    elif options.chain_length_cm not in offered_lengths:
        lengths = ", ".join(str(length) for length in offered_lengths)
        problems.append(
            Violation(
                (*loc, "chain_length_cm"),
                f"Choose a chain length from: {lengths} cm",
                "chain_length_not_offered",
            )
        )
    return problems


def _quantity_violation(
    listing: ListingSnapshot, quantity: Any, already_in_order: int, loc: tuple[str | int, ...]
) -> Violation | None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        return Violation(loc, "Quantity must be a whole number of at least 1", "quantity_invalid")
    if quantity > MAX_QUANTITY_PER_LINE:
        return Violation(loc, f"At most {MAX_QUANTITY_PER_LINE} per line", "quantity_invalid")
    available = listing.available_quantity
    if available == 0:
        return Violation(loc, "This piece is sold out", "out_of_stock")
    # Counted across lines, so two lines of a one-of-a-kind piece cannot buy it twice.
    if available is not None and already_in_order + quantity > available:
        return Violation(loc, f"Only {available} available", "quantity_invalid")
    return None


def price_lines(
    requested: Sequence[RequestedLine],
    listings: Mapping[uuid.UUID, ListingSnapshot],
    accepted_currencies: Collection[str] | None = None,
) -> list[PricedLine]:
    """Validate and price the requested lines against the listing read model.

    Raises one 422 naming every problem (locs are `("lines", index, ...)`); codes:
    order_empty, too_many_lines, listing_unavailable, quantity_invalid, out_of_stock,
    ring_size_out_of_range, option_not_offered, engraving_too_long, engraving_not_printable,
    chain_length_not_offered, currency_not_accepted (a listing priced in a currency the
    marketplace does not take, when `accepted_currencies` is given), currency_mismatch (one
    currency per order).
    """
    if not requested:
        raise rules_violated([Violation(("lines",), "An order needs at least one line", "order_empty")])
    if len(requested) > MAX_LINES_PER_ORDER:
        raise rules_violated(
            [Violation(("lines",), f"At most {MAX_LINES_PER_ORDER} lines per order", "too_many_lines")]
        )

    problems: list[Violation] = []
    priced: list[PricedLine] = []
    quantity_so_far: Counter[uuid.UUID] = Counter()
    order_currency: str | None = None
    for index, line in enumerate(requested):
        loc: tuple[str | int, ...] = ("lines", index)
        listing = listings.get(line.listing_id)
        # Hidden and unknown look the same, so a draft or suspended maker's piece is not revealed.
        if listing is None or not listing.visible:
            problems.append(
                Violation((*loc, "listing_id"), "This piece is not available", "listing_unavailable")
            )
            continue

        line_problems = _option_violations(listing, line.options, (*loc, "options"))
        quantity_problem = _quantity_violation(
            listing, line.quantity, quantity_so_far[listing.listing_id], (*loc, "quantity")
        )
        if quantity_problem is not None:
            line_problems.append(quantity_problem)
        else:
            quantity_so_far[listing.listing_id] += line.quantity

        engraving = listing.engraving if line.options.is_engraved else None
        engraved = engraving is not None
        engraving_price = engraving.price_delta if engraving else Money.zero(listing.price.currency)
        if engraving_price.currency != listing.price.currency:
            line_problems.append(
                Violation(loc, "The engraving is priced in another currency", "currency_mismatch")
            )
        if accepted_currencies is not None:
            not_accepted = currency_not_accepted(listing.price.currency, accepted_currencies, loc)
            if not_accepted is not None:
                line_problems.append(not_accepted)
        order_currency = order_currency or listing.price.currency
        if listing.price.currency != order_currency:
            line_problems.append(
                Violation(loc, f"All lines of an order must be in {order_currency}", "currency_mismatch")
            )

        if line_problems:
            problems += line_problems
            continue
        priced.append(
            PricedLine(
                id=uuid.uuid4(),
                listing_id=listing.listing_id,
                commission_id=None,
                maker_id=listing.maker_id,
                title=listing.title,
                quantity=line.quantity,
                unit_price=listing.price,
                engraving_price=engraving_price,
                line_total=(listing.price + engraving_price) * line.quantity,
                options=line.options,
                # A preset ring size or chain length is not personalisation; an engraving is.
                cancellation_right=(
                    CancellationRight.EXEMPT_PERSONALISED if engraved else CancellationRight.STANDARD
                ),
                production_kind=listing.production_kind,
                lead_time_days=(
                    listing.lead_time_days
                    if listing.production_kind is ProductionKind.MADE_TO_ORDER
                    else None
                ),
                has_natural_diamond=listing.has_natural_diamond,
                needs_hallmark=listing.needs_hallmark,
                warranty_attested=listing.warranty_attested,
                metals=listing.metals,
                hallmark=listing.hallmark,
            )
        )
    if problems:
        raise rules_violated(problems)
    return priced


def statements_for(lines: Iterable[PricedLine]) -> list[str]:
    """Legal statements the invoice must carry for these lines: the System of Warranties when a
    line has a natural diamond of a maker who attested to it (only such a maker's statement is
    true; the catalogue hides a natural diamond of any other)."""
    if any(line.has_natural_diamond and line.warranty_attested for line in lines):
        return [SYSTEM_OF_WARRANTIES_STATEMENT]
    return []
