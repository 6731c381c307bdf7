"""The value objects a listing is made of: what a maker edits (`ListingDraft`, `ListingPatch`),
the maker's sourcing claims as the catalogue knows them, and what a listing page discloses."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from services.catalogue.domain.hallmarking import (
    PRECIOUS_METAL_RULES,
    Hallmark,
    Metal,
    precious_metal_weights,
)
from services.catalogue.domain.photos import Photos
from services.catalogue.domain.ring_sizes import RingSizeMm
from services.catalogue.domain.vocabulary import (
    DIAMOND,
    MAX_AMOUNT_MINOR,
    MAX_CHAIN_LENGTHS,
    MAX_ENGRAVING_CHARS,
    MAX_LEAD_TIME_DAYS,
    MAX_METALS,
    MAX_OCCASIONS,
    MAX_STOCK,
    MAX_STONES,
    MAX_STYLE_TAGS,
    MAX_TECHNIQUES,
    Carats,
    Category,
    ChainLengthCm,
    Description,
    ProductionKind,
    SourcingScheme,
    StoneOrigin,
    StoneTreatment,
    StoneType,
    Tag,
    Title,
    ValueObject,
    sorted_without_duplicates,
    stone_kind,
    without_duplicates,
)
from shared.errors import Violation
from shared.money import Money, currency_not_accepted


def _positive_and_capped(price: Money) -> Money:
    """A price is more than nothing and at most MAX_AMOUNT_MINOR. Refused as the amount's own
    error (`greater_than` / `less_than_equal` at `amount`), as a bound on the field would be."""
    if price.amount <= 0:
        bound: dict[str, int] = {"gt": 0}
        error_type = "greater_than"
    elif price.amount > MAX_AMOUNT_MINOR:
        bound = {"le": MAX_AMOUNT_MINOR}
        error_type = "less_than_equal"
    else:
        return price
    raise ValidationError.from_exception_data(
        "Price",
        [
            InitErrorDetails(
                type=error_type,
                loc=("amount",),
                input=price.amount,
                ctx=bound,
            )
        ],
    )


def _price_json_schema() -> dict[str, Any]:
    """Money's schema with a price's bounds, so the API document says what is accepted."""
    schema = Money.model_json_schema()
    amount = {
        key: value
        for key, value in schema["properties"]["amount"].items()
        if key not in ("minimum", "maximum")
    }
    schema["properties"]["amount"] = {**amount, "exclusiveMinimum": 0, "maximum": MAX_AMOUNT_MINOR}
    return {**schema, "title": "Price"}


# A listing's price (and an option's surcharge): the marketplace's Money, positive and capped.
Price = Annotated[Money, AfterValidator(_positive_and_capped), WithJsonSchema(_price_json_schema())]


class Stone(ValueObject):
    type: StoneType
    origin: StoneOrigin
    treatments: Annotated[
        list[StoneTreatment],
        Field(max_length=len(StoneTreatment)),
        AfterValidator(without_duplicates),
    ] = Field(default_factory=list)
    carat: Carats | None = Field(default=None, description="total carat weight of the stones")
    count: int = Field(default=1, ge=1, le=10_000, strict=True)

    @property
    def is_natural_diamond(self) -> bool:
        """A natural diamond, whatever the maker typed for it ("Diamonds", "diamant")."""
        return self.origin is StoneOrigin.NATURAL and stone_kind(self.type) == DIAMOND


class LeadTimeDays(ValueObject):
    min: int = Field(ge=1, le=MAX_LEAD_TIME_DAYS, strict=True)
    max: int = Field(ge=1, le=MAX_LEAD_TIME_DAYS, strict=True)

    @model_validator(mode="after")
    def _min_not_over_max(self) -> LeadTimeDays:
        if self.min > self.max:
            raise PydanticCustomError("range_inverted", "min must not exceed max")
        return self


class Production(ValueObject):
    """How the piece is produced. For ready_to_ship, `stock` is the number available to buy
    now; the listing keeps it equal to its stock counters."""

    kind: ProductionKind
    stock: int | None = Field(default=None, ge=0, le=MAX_STOCK, strict=True)
    lead_time_days: LeadTimeDays | None = None


class RingSizeRange(ValueObject):
    min: RingSizeMm
    max: RingSizeMm

    @model_validator(mode="after")
    def _min_not_over_max(self) -> RingSizeRange:
        if self.min > self.max:
            raise PydanticCustomError("range_inverted", "min must not exceed max")
        return self


class EngravingOption(ValueObject):
    max_chars: int = Field(ge=1, le=MAX_ENGRAVING_CHARS, strict=True)
    # None: engraving is included in the price.
    price_delta: Price | None = None


class Options(ValueObject):
    ring_size_mm: RingSizeRange | None = None
    engraving: EngravingOption | None = None
    chain_lengths_cm: (
        Annotated[
            list[ChainLengthCm],
            Field(max_length=MAX_CHAIN_LENGTHS),
            AfterValidator(sorted_without_duplicates),
        ]
        | None
    ) = None


Occasions = Annotated[list[Tag], Field(max_length=MAX_OCCASIONS), AfterValidator(without_duplicates)]
StyleTags = Annotated[list[Tag], Field(max_length=MAX_STYLE_TAGS), AfterValidator(without_duplicates)]
Techniques = Annotated[list[Tag], Field(max_length=MAX_TECHNIQUES), AfterValidator(without_duplicates)]


class _ListingFields(ValueObject):
    title: Title | None = None
    description: Description | None = None
    category: Category | None = None
    occasions: Occasions = Field(default_factory=list)
    style_tags: StyleTags = Field(default_factory=list)
    techniques: Techniques = Field(default_factory=list)
    price: Price | None = None
    production: Production | None = None
    metals: list[Metal] = Field(default_factory=list, max_length=MAX_METALS)
    hallmark: Hallmark | None = None
    stones: list[Stone] = Field(default_factory=list, max_length=MAX_STONES)
    sourcing_claims: Annotated[
        list[SourcingScheme],
        Field(max_length=len(SourcingScheme)),
        AfterValidator(without_duplicates),
    ] = Field(default_factory=list)
    options: Options | None = None
    # The first is the main photo.
    photos: Photos = Field(default_factory=list)


def currency_violations(fields: _ListingFields, accepted: Collection[str]) -> list[Violation]:
    """`currency_not_accepted` for each price the fields set (the price, the engraving's
    surcharge) in a currency the marketplace does not take. A patch is checked on what it sends
    only, so a listing priced before the accepted currencies changed can still be edited."""
    engraving = fields.options.engraving if fields.options else None
    prices: list[tuple[tuple[str | int, ...], Money | None]] = [
        (("price", "currency"), fields.price),
        (("options", "engraving", "price_delta", "currency"), engraving.price_delta if engraving else None),
    ]
    return [
        problem
        for loc, price in prices
        if price is not None and (problem := currency_not_accepted(price.currency, accepted, loc)) is not None
    ]


class ListingDraft(_ListingFields):
    """Every field a maker edits. Anything may be missing while a draft; `publish_violations`
    says what a listing needs before it can be published."""

    @property
    def contains_natural_diamond(self) -> bool:
        """Whether an order for it must carry the System of Warranties statement."""
        return any(stone.is_natural_diamond for stone in self.stones)

    @property
    def needs_hallmark(self) -> bool:
        """Whether the Hallmarking Act requires the piece to be hallmarked (a precious metal at or
        over its exemption weight), so its quality check must verify the hallmark."""
        return any(
            weight >= PRECIOUS_METAL_RULES[metal].exemption_weight_g
            for metal, weight in precious_metal_weights(self.metals).items()
        )


class ListingPatch(_ListingFields):
    """A partial edit: each top-level field sent replaces the listing's field whole (`null`
    clears it; send `[]` to empty a list); fields not sent stay as they are."""

    def apply_to(self, draft: ListingDraft) -> ListingDraft:
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        return draft.model_copy(update=sent)


class MakerClaim(ValueObject):
    """A sourcing claim the maker holds, from the catalogue's read model of makers."""

    scheme: SourcingScheme
    scope: Literal["metal", "stone"] | None = None
    evidenced: bool
    expires_on: date | None = None

    def is_current(self, today: date) -> bool:
        # Valid through its expiry date, as in the makers service.
        return self.expires_on is None or today <= self.expires_on


class Disclosure(ValueObject):
    code: str
    text: str


class ShownClaim(ValueObject):
    """A listing's sourcing claim as the public sees it: a badge only when evidenced."""

    scheme: SourcingScheme
    basis: Literal["evidenced", "self_declared"]


def current_claims(maker_claims: Sequence[MakerClaim], today: date) -> dict[SourcingScheme, bool]:
    """Schemes the maker holds today, each with whether any current claim for it is evidenced."""
    held: dict[SourcingScheme, bool] = {}
    for claim in maker_claims:
        if claim.is_current(today):
            held[claim.scheme] = held.get(claim.scheme, False) or claim.evidenced
    return held
