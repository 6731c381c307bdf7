"""Catalogue: a maker's listing, the rules for publishing it, its stock and what it discloses.

Pure rules, no I/O: the caller passes in every time, date and the maker's sourcing claims, loads
and saves the aggregate, and publishes the events it records in `Listing.pending_events`.

States: draft -> published <-> paused, published -> sold_out (stock exhausted) and back when
stock returns, any -> archived (terminal). `publish` both publishes a draft and unpauses.

A `Reservation` holds an order's units of stock between `orders.order.placed` and the order's
confirmation or cancellation; `reserve_order` decides all of an order's lines or none.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.errors import Violation, rules_violated, state_conflict
from shared.text import WebUrl, multi_line, single_line

# --- vocabularies ---------------------------------------------------------------------------------


class MetalType(StrEnum):
    GOLD = "gold"
    SILVER = "silver"
    PLATINUM = "platinum"
    PALLADIUM = "palladium"
    OTHER = "other"


class HallmarkStatus(StrEnum):
    HALLMARKED = "hallmarked"
    EXEMPT_UNDER_WEIGHT = "exempt_under_weight"
    NOT_APPLICABLE = "not_applicable"


class AssayOffice(StrEnum):
    LONDON = "london"
    BIRMINGHAM = "birmingham"
    SHEFFIELD = "sheffield"
    EDINBURGH = "edinburgh"


class StoneOrigin(StrEnum):
    NATURAL = "natural"
    LAB_GROWN = "lab_grown"
    IMITATION = "imitation"


class StoneTreatment(StrEnum):
    HEATING = "heating"
    FRACTURE_FILLING = "fracture_filling"
    COATING = "coating"
    IRRADIATION = "irradiation"
    HPHT = "hpht"
    LASER_DRILLING = "laser_drilling"


class ProductionKind(StrEnum):
    ONE_OF_A_KIND = "one_of_a_kind"
    MADE_TO_ORDER = "made_to_order"
    READY_TO_SHIP = "ready_to_ship"


class Category(StrEnum):
    RING = "ring"
    NECKLACE = "necklace"
    PENDANT = "pendant"
    EARRINGS = "earrings"
    BRACELET = "bracelet"
    BANGLE = "bangle"
    BROOCH = "brooch"
    CUFFLINKS = "cufflinks"
    ANKLET = "anklet"
    CHARM = "charm"


class SourcingScheme(StrEnum):
    RECYCLED = "recycled"
    FAIRTRADE = "fairtrade"
    FAIRMINED = "fairmined"
    RJC_COC = "rjc_coc"
    SCS_RECYCLED = "scs_recycled"
    OTHER = "other"


class ListingStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    PAUSED = "paused"
    SOLD_OUT = "sold_out"
    ARCHIVED = "archived"


class Availability(StrEnum):
    IN_STOCK = "in_stock"
    MADE_TO_ORDER = "made_to_order"
    SOLD_OUT = "sold_out"


# --- hallmarking law (Hallmarking Act 1973, as in DOMAIN.md) -----------------------------------


@dataclass(frozen=True)
class PreciousMetalRule:
    exemption_weight_g: Decimal
    legal_finenesses: frozenset[int]


PRECIOUS_METAL_RULES: dict[MetalType, PreciousMetalRule] = {
    MetalType.GOLD: PreciousMetalRule(Decimal("1.0"), frozenset({375, 585, 750, 916, 990, 999})),
    MetalType.SILVER: PreciousMetalRule(Decimal("7.78"), frozenset({800, 925, 958, 999})),
    MetalType.PLATINUM: PreciousMetalRule(Decimal("0.5"), frozenset({850, 900, 950, 999})),
    MetalType.PALLADIUM: PreciousMetalRule(Decimal("1.0"), frozenset({500, 950, 999})),
}

_FINENESS_NAMES: dict[tuple[MetalType, int], str] = {
    (MetalType.GOLD, 375): "9ct",
    (MetalType.GOLD, 585): "14ct",
    (MetalType.GOLD, 750): "18ct",
    (MetalType.GOLD, 916): "22ct",
    (MetalType.SILVER, 925): "sterling",
    (MetalType.SILVER, 958): "Britannia",
}

# --- ring sizes -----------------------------------------------------------------------------------

# The one conversion table: UK size, inner circumference in mm (ISO 8653), US size at that
# circumference. UK sizes follow BS 6820 (A = 37.5 mm, 1.25 mm a letter, half sizes between,
# then Z+1...); the US column is the US scale (inner diameter 11.63 mm + 0.8128 mm a size) at each
# UK circumference, to two decimals. Every conversion in either direction reads this table.
_RING_SIZE_TABLE: tuple[tuple[str, str, str], ...] = (
    ("A", "37.500", "0.37"), ("A½", "38.125", "0.62"),
    ("B", "38.750", "0.86"), ("B½", "39.375", "1.11"),
    ("C", "40.000", "1.35"), ("C½", "40.625", "1.60"),
    ("D", "41.250", "1.84"), ("D½", "41.875", "2.09"),
    ("E", "42.500", "2.33"), ("E½", "43.125", "2.58"),
    ("F", "43.750", "2.82"), ("F½", "44.375", "3.07"),
    ("G", "45.000", "3.31"), ("G½", "45.625", "3.56"),
    ("H", "46.250", "3.80"), ("H½", "46.875", "4.04"),
    ("I", "47.500", "4.29"), ("I½", "48.125", "4.53"),
    ("J", "48.750", "4.78"), ("J½", "49.375", "5.02"),
    ("K", "50.000", "5.27"), ("K½", "50.625", "5.51"),
    ("L", "51.250", "5.76"), ("L½", "51.875", "6.00"),
    ("M", "52.500", "6.25"), ("M½", "53.125", "6.49"),
    ("N", "53.750", "6.74"), ("N½", "54.375", "6.98"),
    ("O", "55.000", "7.23"), ("O½", "55.625", "7.47"),
    ("P", "56.250", "7.72"), ("P½", "56.875", "7.96"),
    ("Q", "57.500", "8.21"), ("Q½", "58.125", "8.45"),
    ("R", "58.750", "8.70"), ("R½", "59.375", "8.94"),
    ("S", "60.000", "9.18"), ("S½", "60.625", "9.43"),
    ("T", "61.250", "9.67"), ("T½", "61.875", "9.92"),
    ("U", "62.500", "10.16"), ("U½", "63.125", "10.41"),
    ("V", "63.750", "10.65"), ("V½", "64.375", "10.90"),
    ("W", "65.000", "11.14"), ("W½", "65.625", "11.39"),
    ("X", "66.250", "11.63"), ("X½", "66.875", "11.88"),
    ("Y", "67.500", "12.12"), ("Y½", "68.125", "12.37"),
    ("Z", "68.750", "12.61"), ("Z½", "69.375", "12.86"),
    ("Z+1", "70.000", "13.10"), ("Z+1½", "70.625", "13.35"),
    ("Z+2", "71.250", "13.59"), ("Z+2½", "71.875", "13.84"),
    ("Z+3", "72.500", "14.08"), ("Z+3½", "73.125", "14.32"),
    ("Z+4", "73.750", "14.57"), ("Z+4½", "74.375", "14.81"),
    ("Z+5", "75.000", "15.06"), ("Z+5½", "75.625", "15.30"),
    ("Z+6", "76.250", "15.55"),
)


@dataclass(frozen=True)
class RingSize:
    uk: str
    mm: Decimal
    us: Decimal


RING_SIZES: tuple[RingSize, ...] = tuple(
    RingSize(uk, Decimal(mm), Decimal(us)) for uk, mm, us in _RING_SIZE_TABLE
)
RING_SIZE_MIN_MM = RING_SIZES[0].mm
RING_SIZE_MAX_MM = RING_SIZES[-1].mm
_RING_SIZE_BY_UK = {size.uk: size for size in RING_SIZES}


def _as_decimal(value: Decimal | float | int) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _mm_in_table(mm: Decimal | float | int) -> Decimal:
    value = _as_decimal(mm)
    if not RING_SIZE_MIN_MM <= value <= RING_SIZE_MAX_MM:
        raise ValueError(
            f"{value} mm is outside the ring sizes {RING_SIZE_MIN_MM}-{RING_SIZE_MAX_MM} mm"
        )
    return value


def uk_size(mm: Decimal | float | int) -> str:
    """The nearest UK size; exactly between two sizes, the larger (a ring that goes on)."""
    value = _mm_in_table(mm)
    return min(reversed(RING_SIZES), key=lambda size: abs(size.mm - value)).uk


def mm_for_uk(label: str) -> Decimal:
    """Inner circumference of a UK size. Accepts "N½", "N 1/2", "n1/2", "Z+1"; ValueError if
    there is no such size."""
    normalised = re.sub(r"\s+", "", label).upper().replace("1/2", "½").replace(".5", "½")
    size = _RING_SIZE_BY_UK.get(normalised)
    if size is None:
        raise ValueError(f"{label!r} is not a UK ring size")
    return size.mm


def _interpolate(x: Decimal, points: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    raise ValueError(f"{x} is outside the ring size table")


def us_size(mm: Decimal | float | int) -> float:
    """The US size at this circumference, to the nearest quarter size."""
    us = _interpolate(_mm_in_table(mm), [(size.mm, size.us) for size in RING_SIZES])
    return float((us * 4).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 4)


def mm_for_us(size: Decimal | float | int) -> Decimal:
    """Inner circumference of a US size, to 0.01 mm; ValueError outside the table."""
    mm = _interpolate(_as_decimal(size), [(row.us, row.mm) for row in RING_SIZES])
    return mm.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- carats ---------------------------------------------------------------------------------------

GRAMS_PER_CARAT = Decimal("0.2")


def carats_to_grams(carats: Decimal) -> Decimal:
    return (carats * GRAMS_PER_CARAT).quantize(Decimal("0.001"))


def grams_to_carats(grams: Decimal) -> Decimal:
    # Rounded down: a stated carat weight must never overstate the stone.
    return (grams / GRAMS_PER_CARAT).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


# --- field types ----------------------------------------------------------------------------------

def _letters_only(value: str) -> str:
    if not re.fullmatch(r"[A-Z]+", value):
        raise PydanticCustomError("letters_only", "Must be letters A-Z only")
    return value


def _collapse_spaces(value: str) -> str:
    return " ".join(value.split())


def _without_duplicates(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def _sorted_without_duplicates(values: list[int]) -> list[int]:
    return sorted(set(values))


Title = single_line(3, 140)
Description = multi_line(1, 5000)
Colour = single_line(1, 30)
# Tags are compared and faceted, so they are stored lower-case with single spaces.
Tag = Annotated[single_line(1, 40), StringConstraints(to_lower=True), AfterValidator(_collapse_spaces)]
StoneType = Annotated[
    single_line(2, 40), StringConstraints(to_lower=True), AfterValidator(_collapse_spaces)
]
SponsorMark = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, min_length=2, max_length=5),
    AfterValidator(_letters_only),
]
ImageUrl = WebUrl
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
# Decimals travel as JSON numbers (what clients send); inside, they stay Decimal.
_AS_JSON_NUMBER = PlainSerializer(float, return_type=float, when_used="json")
Grams = Annotated[
    Decimal, Field(gt=0, le=Decimal("99999.999"), max_digits=8, decimal_places=3), _AS_JSON_NUMBER
]
Carats = Annotated[
    Decimal, Field(gt=0, le=Decimal("9999.99"), max_digits=6, decimal_places=2), _AS_JSON_NUMBER
]
RingSizeMm = Annotated[
    Decimal,
    Field(ge=RING_SIZE_MIN_MM, le=RING_SIZE_MAX_MM, max_digits=6, decimal_places=3),
    _AS_JSON_NUMBER,
]

MAX_AMOUNT_MINOR = 100_000_000_00
MAX_STOCK = 100_000
MAX_LEAD_TIME_DAYS = 365
MAX_ENGRAVING_CHARS = 200
MAX_STYLE_TAGS = 13
MAX_OCCASIONS = 10
MAX_TECHNIQUES = 20
MAX_METALS = 10
MAX_STONES = 50
MAX_IMAGES = 20
MAX_CHAIN_LENGTHS = 12


class _ValueObject(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- value objects --------------------------------------------------------------------------------


class Money(_ValueObject):
    amount: int = Field(gt=0, le=MAX_AMOUNT_MINOR, strict=True, description="minor units")
    currency: CurrencyCode = "GBP"


class Metal(_ValueObject):
    metal: MetalType
    fineness: int | None = Field(default=None, ge=0, le=1000, strict=True, description="per mille")
    colour: Colour | None = None
    weight_g: Grams
    recycled: bool = Field(default=False, strict=True)

    @property
    def is_precious(self) -> bool:
        return self.metal in PRECIOUS_METAL_RULES


class Hallmark(_ValueObject):
    status: HallmarkStatus
    sponsor_mark: SponsorMark | None = None
    assay_office: AssayOffice | None = None


class Stone(_ValueObject):
    type: StoneType
    origin: StoneOrigin
    treatments: Annotated[
        list[StoneTreatment],
        Field(max_length=len(StoneTreatment)),
        AfterValidator(_without_duplicates),
    ] = Field(default_factory=list)
    carat: Carats | None = Field(default=None, description="total carat weight of the stones")
    count: int = Field(default=1, ge=1, le=10_000, strict=True)


class LeadTimeDays(_ValueObject):
    min: int = Field(ge=1, le=MAX_LEAD_TIME_DAYS, strict=True)
    max: int = Field(ge=1, le=MAX_LEAD_TIME_DAYS, strict=True)

    @model_validator(mode="after")
    def _min_not_over_max(self) -> LeadTimeDays:
        if self.min > self.max:
            raise PydanticCustomError("range_inverted", "min must not exceed max")
        return self


class Production(_ValueObject):
    """How the piece is produced. For ready_to_ship, `stock` is the number available to buy
    now; the listing keeps it equal to its stock counters."""

    kind: ProductionKind
    stock: int | None = Field(default=None, ge=0, le=MAX_STOCK, strict=True)
    lead_time_days: LeadTimeDays | None = None


class RingSizeRange(_ValueObject):
    min: RingSizeMm
    max: RingSizeMm

    @model_validator(mode="after")
    def _min_not_over_max(self) -> RingSizeRange:
        if self.min > self.max:
            raise PydanticCustomError("range_inverted", "min must not exceed max")
        return self


class EngravingOption(_ValueObject):
    max_chars: int = Field(ge=1, le=MAX_ENGRAVING_CHARS, strict=True)
    # None: engraving is included in the price.
    price_delta: Money | None = None


ChainLengthCm = Annotated[int, Field(ge=10, le=150, strict=True)]


class Options(_ValueObject):
    ring_size_mm: RingSizeRange | None = None
    engraving: EngravingOption | None = None
    chain_lengths_cm: Annotated[
        list[ChainLengthCm],
        Field(max_length=MAX_CHAIN_LENGTHS),
        AfterValidator(_sorted_without_duplicates),
    ] | None = None


def _tags(max_items: int) -> Any:
    return Annotated[list[Tag], Field(max_length=max_items), AfterValidator(_without_duplicates)]


class _ListingFields(_ValueObject):
    title: Title | None = None
    description: Description | None = None
    category: Category | None = None
    occasions: _tags(MAX_OCCASIONS) = Field(default_factory=list)
    style_tags: _tags(MAX_STYLE_TAGS) = Field(default_factory=list)
    techniques: _tags(MAX_TECHNIQUES) = Field(default_factory=list)
    price: Money | None = None
    production: Production | None = None
    metals: list[Metal] = Field(default_factory=list, max_length=MAX_METALS)
    hallmark: Hallmark | None = None
    stones: list[Stone] = Field(default_factory=list, max_length=MAX_STONES)
    sourcing_claims: Annotated[
        list[SourcingScheme],
        Field(max_length=len(SourcingScheme)),
        AfterValidator(_without_duplicates),
    ] = Field(default_factory=list)
    options: Options | None = None
    images: list[ImageUrl] = Field(default_factory=list, max_length=MAX_IMAGES)


class ListingDraft(_ListingFields):
    """Every field a maker edits. Anything may be missing while a draft; `publish_violations`
    says what a listing needs before it can be published."""

    @property
    def contains_natural_diamond(self) -> bool:
        """Whether an order for it must carry the System of Warranties statement."""
        return any(
            stone.origin is StoneOrigin.NATURAL and _DIAMOND_WORD.search(stone.type)
            for stone in self.stones
        )


class ListingPatch(_ListingFields):
    """A partial edit: each top-level field sent replaces the listing's field whole (`null`
    clears it; send `[]` to empty a list); fields not sent stay as they are."""

    def apply_to(self, draft: ListingDraft) -> ListingDraft:
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        return draft.model_copy(update=sent)


class MakerClaim(_ValueObject):
    """A sourcing claim the maker holds, from the catalogue's read model of makers."""

    scheme: SourcingScheme
    scope: Literal["metal", "stone"] | None = None
    evidenced: bool
    expires_on: date | None = None

    def is_current(self, today: date) -> bool:
        # Valid through its expiry date, as in the makers service.
        return self.expires_on is None or today <= self.expires_on


class Disclosure(_ValueObject):
    code: str
    text: str


class ShownClaim(_ValueObject):
    """A listing's sourcing claim as the public sees it: a badge only when evidenced."""

    scheme: SourcingScheme
    basis: Literal["evidenced", "self_declared"]


# --- publishing rules -----------------------------------------------------------------------------


def publish_violations(
    listing: ListingDraft, maker_claims: Sequence[MakerClaim], today: date
) -> list[Violation]:
    """Every rule a listing breaks that stops it being published, all together.

    Codes: title_required, description_required, category_required, price_required,
    production_required, images_required, stock_required, lead_time_required,
    production_field_not_allowed, fineness_not_legal, hallmark_required,
    hallmark_status_mismatch, misleading_stone_description, claim_not_held,
    ring_size_required, option_not_applicable, currency_mismatch.
    """
    return [*_live_listing_violations(listing, maker_claims, today), *_stock_violations(listing)]


def _live_listing_violations(
    listing: ListingDraft, maker_claims: Sequence[MakerClaim], today: date
) -> list[Violation]:
    """The rules a listing must keep while it is public. Running out of stock is not one of
    them: a public listing may be sold out."""
    return [
        *_required_field_violations(listing),
        *_production_violations(listing),
        *_metal_violations(listing),
        *_stone_description_violations(listing),
        *_claim_violations(listing, maker_claims, today),
        *_option_violations(listing),
    ]


_REQUIRED_TO_PUBLISH: tuple[tuple[str, str], ...] = (
    ("title", "title_required"),
    ("description", "description_required"),
    ("category", "category_required"),
    ("price", "price_required"),
    ("production", "production_required"),
    ("images", "images_required"),
)


def _required_field_violations(listing: ListingDraft) -> Iterable[Violation]:
    for name, code in _REQUIRED_TO_PUBLISH:
        if not getattr(listing, name):
            yield Violation((name,), f"A published listing needs {name}", code)


def _production_violations(listing: ListingDraft) -> Iterable[Violation]:
    production = listing.production
    if production is None:
        return
    stock_loc = ("production", "stock")
    lead_time_loc = ("production", "lead_time_days")
    match production.kind:
        case ProductionKind.ONE_OF_A_KIND:
            if production.stock not in (None, 1):
                yield Violation(
                    stock_loc, "A one-of-a-kind piece has exactly one in stock",
                    "production_field_not_allowed",
                )
            if production.lead_time_days is not None:
                yield Violation(
                    lead_time_loc, "A one-of-a-kind piece already exists; it has no lead time",
                    "production_field_not_allowed",
                )
        case ProductionKind.MADE_TO_ORDER:
            if production.lead_time_days is None:
                yield Violation(
                    lead_time_loc, "A made-to-order piece needs a lead time in days (min ≤ max)",
                    "lead_time_required",
                )
            if production.stock is not None:
                yield Violation(
                    stock_loc, "A made-to-order piece has no stock count",
                    "production_field_not_allowed",
                )
        case ProductionKind.READY_TO_SHIP:
            if production.lead_time_days is not None:
                yield Violation(
                    lead_time_loc, "A ready-to-ship piece has no lead time",
                    "production_field_not_allowed",
                )


def _stock_violations(listing: ListingDraft) -> Iterable[Violation]:
    production = listing.production
    if production is not None and production.kind is ProductionKind.READY_TO_SHIP:
        if not production.stock:
            yield Violation(
                ("production", "stock"), "A ready-to-ship piece needs at least one in stock",
                "stock_required",
            )


def precious_metal_weights(metals: Sequence[Metal]) -> dict[MetalType, Decimal]:
    """Total weight of each precious metal in the piece. The Act looks at the piece's weight of
    a metal, so two gold parts of 0.6 g make 1.2 g of gold."""
    weights: dict[MetalType, Decimal] = {}
    for metal in metals:
        if metal.is_precious:
            weights[metal.metal] = weights.get(metal.metal, Decimal(0)) + metal.weight_g
    return weights


def _metals_needing_hallmark(metals: Sequence[Metal]) -> list[tuple[MetalType, Decimal]]:
    return [
        (metal, weight)
        for metal, weight in precious_metal_weights(metals).items()
        if weight >= PRECIOUS_METAL_RULES[metal].exemption_weight_g
    ]


def _metal_violations(listing: ListingDraft) -> Iterable[Violation]:
    for index, metal in enumerate(listing.metals):
        rule = PRECIOUS_METAL_RULES.get(metal.metal)
        if rule is not None and metal.fineness not in rule.legal_finenesses:
            legal = ", ".join(str(f) for f in sorted(rule.legal_finenesses))
            yield Violation(
                ("metals", index, "fineness"),
                f"{metal.metal} must be one of the legal finenesses {legal}",
                "fineness_not_legal",
            )
    yield from _hallmark_violations(listing)


def _hallmark_violations(listing: ListingDraft) -> Iterable[Violation]:
    hallmark = listing.hallmark
    has_precious = any(metal.is_precious for metal in listing.metals)
    status_loc = ("hallmark", "status")

    if not has_precious:
        if hallmark is not None and hallmark.status is not HallmarkStatus.NOT_APPLICABLE:
            yield Violation(
                status_loc, f"No precious metal is described, so the status cannot be "
                f"{hallmark.status}", "hallmark_status_mismatch",
            )
        return

    over_exemption = _metals_needing_hallmark(listing.metals)
    if hallmark is not None and hallmark.status is HallmarkStatus.HALLMARKED:
        if hallmark.sponsor_mark is None:
            yield Violation(
                ("hallmark", "sponsor_mark"), "A hallmark needs the sponsor's mark (2-5 letters)",
                "hallmark_required",
            )
        if hallmark.assay_office is None:
            yield Violation(
                ("hallmark", "assay_office"), "A hallmark needs the assay office that struck it",
                "hallmark_required",
            )
        return

    for metal, weight in over_exemption:
        exemption = PRECIOUS_METAL_RULES[metal].exemption_weight_g
        yield Violation(
            status_loc if hallmark is not None else ("hallmark",),
            f"{weight} g of {metal} is at or over the {exemption} g exemption weight, so the "
            "piece must be hallmarked",
            "hallmark_required",
        )
    if hallmark is None and not over_exemption:
        yield Violation(
            ("hallmark",), "A precious-metal piece must state its hallmark status "
            "(hallmarked or exempt_under_weight)", "hallmark_status_mismatch",
        )
    if hallmark is not None and hallmark.status is HallmarkStatus.NOT_APPLICABLE:
        yield Violation(
            status_loc, "not_applicable is only for pieces with no precious metal",
            "hallmark_status_mismatch",
        )


_CLAIM_WORDS = ("natural", "real", "genuine")
_GENERIC_STONE_NOUNS = ("stone", "gem", "gemstone")
_DIAMOND_WORD = re.compile(r"\bdiamonds?\b")
_METAL_WORDS = ("gold", "silver", "platinum", "palladium")
# At most two words between the claim and the stone ("real 1ct diamond", "genuine blue
# sapphires"); a full stop ends the phrase, and a metal or natural stone in between takes the
# claim for itself ("real gold lab-grown diamond ring").
_WORD = r"[\w%'’-]+(?:\.\d[\w%]*)?"  # "lab-grown", "100%", "0.5ct"
_CLAIM_THEN_NOUN = (
    r"\b(?P<claim>{claims})\b(?:[\s,]+(?!(?:{others})\b)" + _WORD + r"){{0,2}}?"
    r"[\s,]+(?:{nouns})\b"
)
_NOUN_IS_CLAIM = r"\b(?:{nouns})\s+(?:is|are)\s+(?:" + _WORD + r"\s+)?(?P<claim>{claims})\b"


def _noun_pattern(noun: str) -> str:
    return r"\s+".join(re.escape(word) for word in noun.split()) + r"(?:e?s)?"


def _stone_description_violations(listing: ListingDraft) -> Iterable[Violation]:
    natural_types = {stone.type for stone in listing.stones if stone.origin is StoneOrigin.NATURAL}
    claims = "|".join(_CLAIM_WORDS)
    others = "|".join(_noun_pattern(word) for word in sorted({*_METAL_WORDS, *natural_types}))
    for index, stone in enumerate(listing.stones):
        if stone.origin is StoneOrigin.NATURAL:
            continue
        # An imitation is usually sold as a diamond look-alike, so "real diamond" misleads too.
        nouns = {stone.type, *_GENERIC_STONE_NOUNS}
        if stone.origin is StoneOrigin.IMITATION:
            nouns.add("diamond")
        nouns -= natural_types
        noun_alternatives = "|".join(_noun_pattern(noun) for noun in sorted(nouns))
        patterns = [
            re.compile(
                template.format(claims=claims, nouns=noun_alternatives, others=others),
                re.IGNORECASE,
            )
            for template in (_CLAIM_THEN_NOUN, _NOUN_IS_CLAIM)
        ]
        origin, describe_as = (
            ("lab-grown", "laboratory-grown") if stone.origin is StoneOrigin.LAB_GROWN
            else ("imitation", "an imitation")
        )
        for field_name in ("title", "description"):
            text = getattr(listing, field_name) or ""
            match = next((m for p in patterns if (m := p.search(text))), None)
            if match:
                yield Violation(
                    (field_name,),
                    f"The {field_name} calls the {origin} {stone.type} (stones[{index}]) "
                    f"{match.group('claim').lower()!r}; describe it as {describe_as}",
                    "misleading_stone_description",
                )


def _current_claims(maker_claims: Sequence[MakerClaim], today: date) -> dict[SourcingScheme, bool]:
    """Schemes the maker holds today, each with whether any current claim for it is evidenced."""
    held: dict[SourcingScheme, bool] = {}
    for claim in maker_claims:
        if claim.is_current(today):
            held[claim.scheme] = held.get(claim.scheme, False) or claim.evidenced
    return held


def _claim_violations(
    listing: ListingDraft, maker_claims: Sequence[MakerClaim], today: date
) -> Iterable[Violation]:
    held = _current_claims(maker_claims, today)
    for index, scheme in enumerate(listing.sourcing_claims):
        if scheme in held:
            continue
        expired = sorted(
            claim.expires_on for claim in maker_claims
            if claim.scheme == scheme and claim.expires_on is not None
        )
        msg = (
            f"The maker's {scheme} claim expired on {expired[-1].isoformat()}" if expired
            else f"The maker holds no {scheme} claim"
        )
        yield Violation(("sourcing_claims", index), msg, "claim_not_held")


def _option_violations(listing: ListingDraft) -> Iterable[Violation]:
    options = listing.options or Options()
    ring_size_loc = ("options", "ring_size_mm")
    if listing.category is Category.RING and options.ring_size_mm is None:
        yield Violation(
            ring_size_loc, "A ring needs its size or the range of sizes it is made in",
            "ring_size_required",
        )
    if listing.category not in (None, Category.RING) and options.ring_size_mm is not None:
        yield Violation(
            ring_size_loc, f"Ring sizes do not apply to {listing.category}", "option_not_applicable"
        )
    engraving = options.engraving
    if (
        engraving is not None and engraving.price_delta is not None and listing.price is not None
        and engraving.price_delta.currency != listing.price.currency
    ):
        yield Violation(
            ("options", "engraving", "price_delta", "currency"),
            f"The engraving price must be in the listing's currency {listing.price.currency}",
            "currency_mismatch",
        )


# --- derived fields -------------------------------------------------------------------------------

DEALERS_NOTICE_TEXT = (
    "Dealer's Notice (British Hallmarking Council): under the Hallmarking Act 1973 an article "
    "described as platinum, gold, palladium or silver must be hallmarked by a UK Assay Office "
    "unless its precious metal weighs less than the exemption weight (gold 1 g, silver 7.78 g, "
    "platinum 0.5 g, palladium 1 g). An approved UK hallmark has three compulsory marks: the "
    "sponsor's mark (who made or submitted the article), the millesimal fineness mark (the "
    "precious metal content in parts per thousand) and the Assay Office mark (London: leopard's "
    "head; Birmingham: anchor; Sheffield: rose; Edinburgh: castle). Traditional fineness "
    "symbols and a date letter are optional. Hallmarks struck under the International "
    "Hallmarking Convention (the Common Control Mark) are also recognised."
)

_TREATMENT_NAMES = {
    StoneTreatment.HEATING: "heating",
    StoneTreatment.FRACTURE_FILLING: "fracture filling",
    StoneTreatment.COATING: "coating",
    StoneTreatment.IRRADIATION: "irradiation",
    StoneTreatment.HPHT: "high-pressure high-temperature (HPHT) treatment",
    StoneTreatment.LASER_DRILLING: "laser drilling",
}

_SCHEME_NAMES = {
    SourcingScheme.RECYCLED: "Recycled",
    SourcingScheme.FAIRTRADE: "Fairtrade",
    SourcingScheme.FAIRMINED: "Fairmined",
    SourcingScheme.RJC_COC: "Responsible Jewellery Council chain of custody",
    SourcingScheme.SCS_RECYCLED: "SCS recycled content",
    SourcingScheme.OTHER: "Other sourcing claim",
}


def fineness_name(metal: Metal) -> str | None:
    """The trade name of a fineness ("18ct", "sterling"), where it has one."""
    return _FINENESS_NAMES.get((metal.metal, metal.fineness or 0))


def _fineness_text(metal: Metal) -> str:
    name = fineness_name(metal)
    return f"{metal.metal} {metal.fineness}" + (f" ({name})" if name else "")


def _stone_quantity(stone: Stone) -> str:
    parts = [f"{stone.count} stone{'s' if stone.count > 1 else ''}"]
    if stone.carat is not None:
        parts.append(f"{stone.carat:.2f} ct total")
    return ", ".join(parts)


def _hallmark_disclosures(listing: ListingDraft) -> Iterable[Disclosure]:
    precious = [metal for metal in listing.metals if metal.is_precious]
    hallmark = listing.hallmark
    if not precious:
        return
    yield Disclosure(code="dealers_notice", text=DEALERS_NOTICE_TEXT)
    if hallmark is None:
        return
    if hallmark.status is HallmarkStatus.HALLMARKED:
        parts = []
        if hallmark.assay_office is not None:
            parts.append(f"Hallmarked at the {hallmark.assay_office.title()} Assay Office")
        if hallmark.sponsor_mark is not None:
            parts.append(f"sponsor's mark {hallmark.sponsor_mark}")
        finenesses = ", ".join(
            dict.fromkeys(_fineness_text(m) for m in precious if m.fineness is not None)
        )
        if finenesses:
            parts.append(f"fineness {finenesses}")
        yield Disclosure(code="hallmark", text="; ".join(parts) + ".")
    elif hallmark.status is HallmarkStatus.EXEMPT_UNDER_WEIGHT:
        limits = ", ".join(
            f"{metal} under {PRECIOUS_METAL_RULES[metal].exemption_weight_g} g"
            for metal in precious_metal_weights(listing.metals)
        )
        yield Disclosure(
            code="hallmark_exempt",
            text=f"Not hallmarked: its precious metal is under the exemption weight ({limits}).",
        )


def _stone_disclosures(listing: ListingDraft) -> Iterable[Disclosure]:
    for stone in listing.stones:
        if stone.origin is StoneOrigin.LAB_GROWN:
            yield Disclosure(
                code="lab_grown_stone",
                text=f"Laboratory-grown {stone.type} ({_stone_quantity(stone)}).",
            )
        elif stone.origin is StoneOrigin.IMITATION:
            yield Disclosure(
                code="imitation_stone",
                text=f"Imitation stone: {stone.type} ({_stone_quantity(stone)}), not a natural "
                "gemstone.",
            )
        if stone.treatments:
            treatments = ", ".join(_TREATMENT_NAMES[t] for t in stone.treatments)
            yield Disclosure(
                code="stone_treatment", text=f"The {stone.type} has been treated: {treatments}."
            )


def shown_sourcing_claims(
    listing: ListingDraft, maker_claims: Sequence[MakerClaim], today: date
) -> list[ShownClaim]:
    """The listing's claims the public sees: only those the maker holds today."""
    held = _current_claims(maker_claims, today)
    return [
        ShownClaim(scheme=scheme, basis="evidenced" if held[scheme] else "self_declared")
        for scheme in listing.sourcing_claims
        if scheme in held
    ]


def evidenced_schemes(maker_claims: Sequence[MakerClaim], today: date) -> list[SourcingScheme]:
    """The schemes a maker holds today with evidence: the only ones shown as badges."""
    return sorted(scheme for scheme, evidenced in _current_claims(maker_claims, today).items()
                  if evidenced)


def disclosures(
    listing: ListingDraft, maker_claims: Sequence[MakerClaim], today: date
) -> list[Disclosure]:
    """What the listing page must tell a customer.

    Codes: dealers_notice, hallmark, hallmark_exempt, lab_grown_stone, imitation_stone,
    stone_treatment (one per treated stone), self_declared_claim (one per claim shown).
    """
    claim_disclosures = [
        Disclosure(
            code="self_declared_claim",
            text=f"{_SCHEME_NAMES[claim.scheme]}: self-declared by the maker, not independently "
            "evidenced.",
        )
        for claim in shown_sourcing_claims(listing, maker_claims, today)
        if claim.basis == "self_declared"
    ]
    return [*_hallmark_disclosures(listing), *_stone_disclosures(listing), *claim_disclosures]


# --- stock ----------------------------------------------------------------------------------------


class StockInvariantError(ValueError):
    """A stock operation that would break the counters: a bug in the caller, not bad input."""


@dataclass(frozen=True)
class StockCounters:
    """Units of a counted listing: available + reserved + sold == stocked, none negative."""

    available: int
    reserved: int = 0
    sold: int = 0

    def __post_init__(self) -> None:
        if min(self.available, self.reserved, self.sold) < 0:
            raise StockInvariantError(f"Stock counters cannot go negative: {self}")

    @property
    def stocked(self) -> int:
        return self.available + self.reserved + self.sold


class ReserveRefusal(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    NOT_AVAILABLE = "not_available"


@dataclass(frozen=True)
class ReserveResult:
    """`counters` are the counters after the attempt (None for a made-to-order listing)."""

    counters: StockCounters | None
    refusal: ReserveRefusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def _positive(quantity: int) -> int:
    if quantity < 1:
        raise StockInvariantError(f"Quantity must be at least 1, not {quantity}")
    return quantity


def reserve_stock(counters: StockCounters, quantity: int) -> ReserveResult:
    """Hold `quantity` units for an order; refused, never oversold, when too few are left."""
    if _positive(quantity) > counters.available:
        return ReserveResult(counters, ReserveRefusal.OUT_OF_STOCK)
    return ReserveResult(
        StockCounters(counters.available - quantity, counters.reserved + quantity, counters.sold)
    )


def commit_stock(counters: StockCounters, quantity: int) -> StockCounters:
    """A paid order's reserved units become sold."""
    if _positive(quantity) > counters.reserved:
        raise StockInvariantError(f"Cannot sell {quantity}: only {counters.reserved} reserved")
    return StockCounters(counters.available, counters.reserved - quantity, counters.sold + quantity)


def release_stock(counters: StockCounters, quantity: int) -> StockCounters:
    """A cancelled order's reserved units go back on sale."""
    if _positive(quantity) > counters.reserved:
        raise StockInvariantError(f"Cannot release {quantity}: only {counters.reserved} reserved")
    return StockCounters(counters.available + quantity, counters.reserved - quantity, counters.sold)


def set_available_stock(counters: StockCounters, available: int) -> StockCounters:
    """The maker says how many are on hand to sell now; reservations and sales are unchanged."""
    return StockCounters(available, counters.reserved, counters.sold)


def return_stock(counters: StockCounters, quantity: int) -> StockCounters:
    """Sold units that never left the maker (the order was cancelled or the maker declined it
    before dispatch) go back on sale."""
    if _positive(quantity) > counters.sold:
        raise StockInvariantError(f"Cannot return {quantity}: only {counters.sold} sold")
    return StockCounters(counters.available + quantity, counters.reserved, counters.sold - quantity)


def _counters_for(production: Production | None) -> StockCounters | None:
    if production is None or production.kind is ProductionKind.MADE_TO_ORDER:
        return None
    if production.kind is ProductionKind.ONE_OF_A_KIND:
        return StockCounters(available=1)
    return StockCounters(available=production.stock or 0)


# --- the aggregate --------------------------------------------------------------------------------


class ListingEventName(StrEnum):
    PUBLISHED = "published"
    UPDATED = "updated"
    PRICE_CHANGED = "price_changed"
    PAUSED = "paused"
    ARCHIVED = "archived"
    SOLD_OUT = "sold_out"
    BACK_IN_STOCK = "back_in_stock"
    HIDDEN = "hidden"
    SHOWN = "shown"


@dataclass(frozen=True)
class ListingEvent:
    name: ListingEventName
    listing_id: UUID
    aggregate_version: int
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


_PUBLIC_STATUSES = frozenset({ListingStatus.PUBLISHED, ListingStatus.SOLD_OUT})
_PUBLISHABLE_FROM = frozenset({ListingStatus.DRAFT, ListingStatus.PAUSED})
_KIND_CHANGE_STATUSES = _PUBLISHABLE_FROM


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def _today(now: datetime) -> date:
    return _require_aware(now).astimezone(UTC).date()


@dataclass
class Listing:
    """A maker's listing. Counted stock (`stock`) exists for ready_to_ship and one_of_a_kind
    (one unit, never restocked); made_to_order is unlimited and has none."""

    id: UUID
    maker_id: UUID
    status: ListingStatus
    fields: ListingDraft
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    version: int
    stock: StockCounters | None
    pending_events: list[ListingEvent] = field(default_factory=list)

    @classmethod
    def create(
        cls, *, listing_id: UUID, maker_id: UUID, fields: ListingDraft, now: datetime
    ) -> Listing:
        _require_aware(now)
        stock = _counters_for(fields.production)
        return cls(
            id=listing_id,
            maker_id=maker_id,
            status=ListingStatus.DRAFT,
            fields=_with_stock_shown(fields, stock),
            created_at=now,
            updated_at=now,
            published_at=None,
            version=1,
            stock=stock,
        )

    # --- derived ---

    @property
    def is_public(self) -> bool:
        """Visible to customers, provided the caller also knows its maker is approved."""
        return self.status in _PUBLIC_STATUSES

    def is_visible(self, maker_approved: bool) -> bool:
        """Public to customers: published or sold out, and its maker approved (not suspended)."""
        return self.is_public and maker_approved

    @property
    def availability(self) -> Availability | None:
        """None while a draft says nothing about how it is produced."""
        production = self.fields.production
        if production is None:
            return None
        if self.status is ListingStatus.SOLD_OUT:
            return Availability.SOLD_OUT
        if self.stock is None:
            return Availability.MADE_TO_ORDER
        return Availability.IN_STOCK if self.stock.available > 0 else Availability.SOLD_OUT

    # --- commands ---

    def edit(
        self, patch: ListingPatch, *, now: datetime, maker_claims: Sequence[MakerClaim]
    ) -> None:
        """Apply a maker's edit. A public listing must stay publishable after it (422 with every
        violation); refused (409) once archived, and a production kind change is refused (409)
        unless the listing is a draft or paused with nothing reserved or sold."""
        if self.status is ListingStatus.ARCHIVED:
            raise state_conflict(self.status, "edit")
        today = _today(now)
        new_fields = patch.apply_to(self.fields)
        if new_fields == self.fields:
            return
        new_stock = self._stock_after(new_fields)
        if self.status in _PUBLIC_STATUSES:
            violations = _live_listing_violations(new_fields, maker_claims, today)
            if violations:
                raise rules_violated(violations)

        old_fields, old_stock = self.fields, self.stock
        self._change(now)
        self.fields = _with_stock_shown(new_fields, new_stock)
        self.stock = new_stock
        changed = [
            name for name in ListingDraft.model_fields
            if getattr(old_fields, name) != getattr(self.fields, name)
        ]
        self._record(ListingEventName.UPDATED, now, changed=changed)
        if old_fields.price != self.fields.price:
            self._record(
                ListingEventName.PRICE_CHANGED, now,
                old=_money_data(old_fields.price), new=_money_data(self.fields.price),
            )
        if new_stock != old_stock:
            self._settle_stock_status(now)

    def publish(self, *, now: datetime, maker_claims: Sequence[MakerClaim]) -> None:
        """draft or paused -> published. 422 with every rule the listing breaks."""
        if self.status not in _PUBLISHABLE_FROM:
            raise state_conflict(self.status, "publish")
        violations = publish_violations(self.fields, maker_claims, _today(now))
        production = self.fields.production
        if (
            production is not None and production.kind is ProductionKind.ONE_OF_A_KIND
            and self.stock is not None and self.stock.available == 0
        ):
            violations.append(Violation(
                ("production", "stock"), "This one-of-a-kind piece is sold or reserved",
                "stock_required",
            ))
        if violations:
            raise rules_violated(violations)
        previous = self.status
        self._change(now)
        self.status = ListingStatus.PUBLISHED
        self.published_at = self.published_at or now
        self._record(ListingEventName.PUBLISHED, now, previous_status=str(previous))

    def pause(self, *, now: datetime) -> None:
        """published -> paused."""
        if self.status is not ListingStatus.PUBLISHED:
            raise state_conflict(self.status, "pause")
        self._change(now)
        self.status = ListingStatus.PAUSED
        self._record(ListingEventName.PAUSED, now)

    def archive(self, *, now: datetime) -> None:
        """Any state but archived -> archived, for good."""
        if self.status is ListingStatus.ARCHIVED:
            raise state_conflict(self.status, "archive")
        previous = self.status
        self._change(now)
        self.status = ListingStatus.ARCHIVED
        self._record(ListingEventName.ARCHIVED, now, previous_status=str(previous))

    def reserve(self, quantity: int, *, now: datetime) -> ReserveResult:
        """Hold stock for an order. Only a published listing sells (else not_available; a
        sold_out one: out_of_stock). Made-to-order always succeeds and counts nothing."""
        _positive(quantity)
        if self.status is ListingStatus.SOLD_OUT:
            return ReserveResult(self.stock, ReserveRefusal.OUT_OF_STOCK)
        if self.status is not ListingStatus.PUBLISHED:
            return ReserveResult(self.stock, ReserveRefusal.NOT_AVAILABLE)
        if self.stock is None:
            return ReserveResult(None)
        result = reserve_stock(self.stock, quantity)
        if result.ok:
            self._change(now)
            self._set_stock(result.counters)
        return result

    def commit_reservation(self, quantity: int, *, now: datetime) -> None:
        """Reserved units become sold, whatever the listing's state now (the order is paid).
        A published listing left with none available becomes sold_out."""
        if self.stock is None:
            return
        counters = commit_stock(self.stock, quantity)
        self._change(now)
        self._set_stock(counters)
        self._settle_stock_status(now)

    def release_reservation(self, quantity: int, *, now: datetime) -> None:
        """Reserved units go back on sale; a sold_out listing that regains stock is published
        again."""
        if self.stock is None:
            return
        counters = release_stock(self.stock, quantity)
        self._change(now)
        self._set_stock(counters)
        self._settle_stock_status(now)

    def return_sold(self, quantity: int, *, now: datetime) -> None:
        """Sold units come back on sale because the sale was undone before dispatch (a cancelled
        order, a declined maker order). This is not a restock, so a one-of-a-kind piece may come
        back too: the piece still exists. A sold_out listing that regains stock is published
        again; a paused or archived one stays as it is."""
        if self.stock is None:
            return
        counters = return_stock(self.stock, quantity)
        self._change(now)
        self._set_stock(counters)
        self._settle_stock_status(now)

    def maker_status_changed(self, *, was_approved: bool, approved: bool, now: datetime) -> None:
        """The maker was suspended or reinstated. A public listing leaves or rejoins the
        storefront; the new version lets every read model of it order the change."""
        if was_approved == approved or not self.is_public:
            return
        self._change(now)
        self._record(ListingEventName.SHOWN if approved else ListingEventName.HIDDEN, now)

    def pull_events(self) -> list[ListingEvent]:
        events, self.pending_events = self.pending_events, []
        return events

    # --- internals ---

    def _stock_after(self, new_fields: ListingDraft) -> StockCounters | None:
        old_kind = self.fields.production.kind if self.fields.production else None
        new_kind = new_fields.production.kind if new_fields.production else None
        if new_kind != old_kind:
            untouched = self.stock is None or (self.stock.reserved == 0 and self.stock.sold == 0)
            if self.status not in _KIND_CHANGE_STATUSES or not untouched:
                raise state_conflict(
                    self.status, "change the production kind (only a draft, or a paused listing "
                    "with nothing reserved or sold, may change it)", code="production_kind_locked",
                )
            return _counters_for(new_fields.production)
        if new_fields.production is not None and self.stock is not None and (
            new_kind is ProductionKind.READY_TO_SHIP
        ):
            return set_available_stock(self.stock, new_fields.production.stock or 0)
        return self.stock

    def _set_stock(self, counters: StockCounters | None) -> None:
        self.stock = counters
        self.fields = _with_stock_shown(self.fields, counters)

    def _settle_stock_status(self, now: datetime) -> None:
        if self.stock is None:
            return
        if self.status is ListingStatus.PUBLISHED and self.stock.available == 0:
            self.status = ListingStatus.SOLD_OUT
            self._record(ListingEventName.SOLD_OUT, now)
        elif self.status is ListingStatus.SOLD_OUT and self.stock.available > 0:
            self.status = ListingStatus.PUBLISHED
            self._record(ListingEventName.BACK_IN_STOCK, now, available=self.stock.available)

    def _change(self, now: datetime) -> None:
        """One command, one new version; its events all carry it."""
        _require_aware(now)
        self.version += 1
        self.updated_at = now

    def _record(self, name: ListingEventName, now: datetime, **data: Any) -> None:
        self.pending_events.append(ListingEvent(name, self.id, self.version, now, data))


def _with_stock_shown(fields: ListingDraft, counters: StockCounters | None) -> ListingDraft:
    """A ready-to-ship listing's `production.stock` always shows what is available now."""
    production = fields.production
    if (
        production is None or production.kind is not ProductionKind.READY_TO_SHIP
        or counters is None or production.stock == counters.available
    ):
        return fields
    shown = production.model_copy(update={"stock": counters.available})
    return fields.model_copy(update={"production": shown})


def _money_data(money: Money | None) -> dict[str, Any] | None:
    return money.model_dump(mode="json") if money is not None else None


# --- reservations ---------------------------------------------------------------------------------


class ReservationStatus(StrEnum):
    HELD = "held"  # units held for the order until expires_at
    COMMITTED = "committed"  # the order was confirmed: the held units are sold
    RETURNED = "returned"  # a confirmed order was cancelled and its sold units came back
    RELEASED = "released"  # cancelled before confirmation: the held units are back on sale
    EXPIRED = "expired"  # neither confirmed nor cancelled in time: units back on sale
    FAILED = "failed"  # refused: nothing was held
    # The cancellation arrived before the order itself (messages of one order may be handled
    # concurrently): a tombstone, so the late order reserves nothing.
    CANCELLED = "cancelled"


class ReservationFailure(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    NOT_AVAILABLE = "not_available"
    PRICE_CHANGED = "price_changed"


@dataclass(frozen=True)
class OrderLine:
    """A line of a placed order: what the customer asked for at the unit price they saw."""

    line_id: UUID
    listing_id: UUID
    quantity: int
    price_amount: int
    price_currency: str


@dataclass
class ReservationLine:
    """One order line's units, each held (reserved), sold (committed) or released (back on
    sale): held + sold + released == quantity, always."""

    line_id: UUID
    listing_id: UUID
    maker_id: UUID
    quantity: int
    unit_price: Money
    held: int
    sold: int = 0
    released: int = 0


class MoveKind(StrEnum):
    COMMIT = "commit"  # reserved -> sold
    RELEASE = "release"  # reserved -> available
    RETURN = "return"  # sold -> available


@dataclass(frozen=True)
class StockMove:
    listing_id: UUID
    kind: MoveKind
    quantity: int


_TERMINAL_RESERVATIONS = frozenset({
    ReservationStatus.RETURNED, ReservationStatus.RELEASED, ReservationStatus.EXPIRED,
    ReservationStatus.FAILED, ReservationStatus.CANCELLED,
})


@dataclass
class Reservation:
    """The stock held for one order. Each command checks the state, so a message handled twice
    (or out of order) moves no unit twice; each returns the stock moves its listings must make."""

    order_id: UUID
    status: ReservationStatus
    lines: list[ReservationLine]
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    # Makers whose part of the order was declined: each declines once.
    declined_makers: list[UUID] = field(default_factory=list)

    @classmethod
    def tombstone(cls, order_id: UUID, *, now: datetime) -> Reservation:
        return cls(order_id, ReservationStatus.CANCELLED, [], None, now, now)

    def is_due_to_expire(self, now: datetime) -> bool:
        return (
            self.status is ReservationStatus.HELD
            and self.expires_at is not None and self.expires_at <= now
        )

    def commit(self, *, now: datetime) -> list[StockMove]:
        """The order was confirmed: the held units are sold. Only a held reservation commits; a
        duplicate, or a confirmation after the reservation lapsed, moves nothing."""
        if self.status is not ReservationStatus.HELD:
            return []
        moves = [StockMove(line.listing_id, MoveKind.COMMIT, line.held)
                 for line in self.lines if line.held]
        for line in self.lines:
            line.sold, line.held = line.sold + line.held, 0
        self._move_to(ReservationStatus.COMMITTED, now)
        return moves

    def release(self, *, now: datetime, expired: bool = False) -> list[StockMove]:
        """Cancelled (or lapsed) before confirmation: the held units go back on sale."""
        if self.status is not ReservationStatus.HELD:
            return []
        moves = self._take_back(self._all_units(), now)
        self._move_to(ReservationStatus.EXPIRED if expired else ReservationStatus.RELEASED, now)
        return moves

    def cancel(
        self, *, release_stock: bool, lines: Sequence[tuple[UUID, int]], now: datetime
    ) -> list[StockMove]:
        """The order was cancelled. Held units always go back. Once committed, sold units go
        back only when orders says the sale is undone (`release_stock`): the lines it names, or
        every line when it names none."""
        if self.status is ReservationStatus.HELD:
            return self.release(now=now)
        if self.status is not ReservationStatus.COMMITTED or not release_stock:
            return []
        moves = self._take_back(list(lines) or self._all_units(), now)
        self._move_to(ReservationStatus.RETURNED, now)
        return moves

    def decline_maker(
        self, maker_id: UUID, *, lines: Sequence[tuple[UUID, int]], now: datetime
    ) -> list[StockMove]:
        """A maker declined their part of the order: their units (the lines named, or all of
        theirs) go back on sale, whether only held or already sold."""
        if self.status in _TERMINAL_RESERVATIONS or maker_id in self.declined_makers:
            return []
        theirs = {line.listing_id for line in self.lines if line.maker_id == maker_id}
        wanted = [(listing_id, quantity) for listing_id, quantity in lines if listing_id in theirs]
        if not lines:
            wanted = [(line.listing_id, line.held + line.sold)
                      for line in self.lines if line.maker_id == maker_id]
        self.declined_makers.append(maker_id)
        self.updated_at = now
        return self._take_back(wanted, now)

    def _all_units(self) -> list[tuple[UUID, int]]:
        return [(line.listing_id, line.held + line.sold) for line in self.lines]

    def _take_back(self, wanted: Sequence[tuple[UUID, int]], now: datetime) -> list[StockMove]:
        """Put up to the quantities wanted back on sale, line by line: held units first, then
        sold ones, never more than the order has of a listing."""
        moves = []
        for listing_id, quantity in wanted:
            remaining = quantity
            for line in self.lines:
                if line.listing_id != listing_id or remaining <= 0:
                    continue
                for kind in (MoveKind.RELEASE, MoveKind.RETURN):
                    have = line.held if kind is MoveKind.RELEASE else line.sold
                    take = min(have, remaining)
                    if take <= 0:
                        continue
                    if kind is MoveKind.RELEASE:
                        line.held -= take
                    else:
                        line.sold -= take
                    line.released += take
                    remaining -= take
                    moves.append(StockMove(listing_id, kind, take))
        self.updated_at = now
        return moves

    def _move_to(self, status: ReservationStatus, now: datetime) -> None:
        self.status = status
        self.updated_at = now


def reserve_order(
    order_id: UUID,
    lines: Sequence[OrderLine],
    listings: Mapping[UUID, Listing],
    approved_makers: Collection[UUID],
    *,
    now: datetime,
    expires_at: datetime,
) -> tuple[Reservation, dict[UUID, ReservationFailure]]:
    """Reserve every line of an order, or none. A line fails `not_available` when its listing is
    unknown, not published or its maker not approved; `out_of_stock` when too few units are left
    for all of the order's lines of that listing together; `price_changed` when the customer saw
    another unit price than the listing's. On any failure no listing changes and the reservation
    is `failed`; otherwise the listings passed in hold the units."""
    failures: dict[UUID, ReservationFailure] = {}
    # A dry run on copies, so that one failing line leaves every real listing untouched.
    trial = {listing_id: copy.deepcopy(listing) for listing_id, listing in listings.items()}
    for line in lines:
        listing = trial.get(line.listing_id)
        if listing is None or listing.maker_id not in approved_makers:
            failures[line.line_id] = ReservationFailure.NOT_AVAILABLE
            continue
        result = listing.reserve(line.quantity, now=now)
        if not result.ok:
            assert result.refusal is not None
            failures[line.line_id] = ReservationFailure(result.refusal.value)
            continue
        price = listing.fields.price
        if price is None or (price.amount, price.currency) != (
            line.price_amount, line.price_currency
        ):
            failures[line.line_id] = ReservationFailure.PRICE_CHANGED
    if failures:
        return Reservation(order_id, ReservationStatus.FAILED, [], None, now, now), failures

    reserved = []
    for line in lines:
        listing = listings[line.listing_id]
        listing.reserve(line.quantity, now=now)
        assert listing.fields.price is not None
        reserved.append(ReservationLine(
            line_id=line.line_id, listing_id=line.listing_id, maker_id=listing.maker_id,
            quantity=line.quantity, unit_price=listing.fields.price, held=line.quantity,
        ))
    return Reservation(order_id, ReservationStatus.HELD, reserved, expires_at, now, now), {}


def apply_stock_moves(
    listings: Mapping[UUID, Listing], moves: Iterable[StockMove], *, now: datetime
) -> None:
    """Make the listings' counters follow their reservations' moves."""
    for move in moves:
        listing = listings[move.listing_id]
        if move.kind is MoveKind.COMMIT:
            listing.commit_reservation(move.quantity, now=now)
        elif move.kind is MoveKind.RELEASE:
            listing.release_reservation(move.quantity, now=now)
        else:
            listing.return_sold(move.quantity, now=now)
