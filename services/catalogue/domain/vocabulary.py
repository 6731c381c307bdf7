"""The catalogue's words: the enumerations a listing is described with, the limits of its
fields, and the constrained scalar types its value objects are built from."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from shared.text import multi_line, single_line

# --- enumerations ---------------------------------------------------------------------------------


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


# --- stone types ----------------------------------------------------------------------------------

# One vocabulary of stone types, shared by every rule that asks what a stone is (the System of
# Warranties, honest stone wording): a maker types the stone's name as they like ("Diamonds",
# "black diamond", "diamant"), and `stone_kind` says which stone it names. Names that look like
# a stone's but are another material are listed whole ("herkimer diamond" is quartz).
_STONE_NAMES: dict[str, str] = {
    "herkimer diamond": "quartz",
    "cape may diamond": "quartz",
    "matura diamond": "zircon",
    "diamante": "glass",
    "cubic zirconia": "cubic zirconia",
    "cz": "cubic zirconia",
}
# Other spellings of a stone's name (its last word, once singular).
_STONE_WORD_ALIASES: dict[str, str] = {
    "diamant": "diamond",
    "diamand": "diamond",
    "diamon": "diamond",
}
DIAMOND = "diamond"


def singular(word: str) -> str:
    """A word's singular, near enough for stone names and the words around them."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"  # rubies -> ruby
    if word.endswith(("zes", "xes", "shes")):
        return word[:-2]  # topazes -> topaz
    if word.endswith(("ss", "us", "is")):
        return word  # glass, lapis
    if word.endswith("s") and len(word) > 3:
        return word[:-1]  # diamonds -> diamond
    return word


def stone_kind(stone_type: str) -> str:
    """The stone a typed name means, in the catalogue's vocabulary: "Black Diamonds" and
    "diamant" are a diamond, "blue sapphire" a sapphire, "herkimer diamond" a quartz."""
    words = [singular(word) for word in stone_type.lower().replace("-", " ").split()]
    name = " ".join(words)
    if name in _STONE_NAMES:
        return _STONE_NAMES[name]
    if not words:
        return name
    return _STONE_WORD_ALIASES.get(words[-1], words[-1])


# --- limits ---------------------------------------------------------------------------------------

MAX_AMOUNT_MINOR = 100_000_000_00
MAX_STOCK = 100_000
MAX_LEAD_TIME_DAYS = 365
MAX_ENGRAVING_CHARS = 200
MAX_STYLE_TAGS = 13
MAX_OCCASIONS = 10
MAX_TECHNIQUES = 20
MAX_METALS = 10
MAX_STONES = 50
MAX_PHOTOS = 10
# A bound on what a draft's alt text holds (publishing asks for 3-200 characters).
MAX_ALT_TEXT_DRAFT = 1000
MAX_CHAIN_LENGTHS = 12


# --- scalar field types ---------------------------------------------------------------------------


def _letters_only(value: str) -> str:
    if not re.fullmatch(r"[A-Z]+", value):
        raise PydanticCustomError("letters_only", "Must be letters A-Z only")
    return value


def _collapse_spaces(value: str) -> str:
    return " ".join(value.split())


def without_duplicates(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def sorted_without_duplicates(values: list[int]) -> list[int]:
    return sorted(set(values))


Title = Annotated[str, single_line(3, 140)]
Description = Annotated[str, multi_line(1, 5000)]
Colour = Annotated[str, single_line(1, 30)]
# Tags and stone types are compared and faceted: one-line strings stored lower-case with single spaces.
_LOWER_CASE = StringConstraints(to_lower=True)
_SINGLE_SPACED = AfterValidator(_collapse_spaces)
Tag = Annotated[str, single_line(1, 40), _LOWER_CASE, _SINGLE_SPACED]
StoneType = Annotated[str, single_line(2, 40), _LOWER_CASE, _SINGLE_SPACED]
SponsorMark = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, min_length=2, max_length=5),
    AfterValidator(_letters_only),
]
# Decimals travel as JSON numbers (what clients send); inside, they stay Decimal.
AS_JSON_NUMBER = PlainSerializer(float, return_type=float, when_used="json")
Grams = Annotated[
    Decimal, Field(gt=0, le=Decimal("99999.999"), max_digits=8, decimal_places=3), AS_JSON_NUMBER
]
Carats = Annotated[
    Decimal, Field(gt=0, le=Decimal("9999.99"), max_digits=6, decimal_places=2), AS_JSON_NUMBER
]
ChainLengthCm = Annotated[int, Field(ge=10, le=150, strict=True)]


class ValueObject(BaseModel):
    """A frozen value: unknown fields are refused at every level."""

    model_config = ConfigDict(extra="forbid", frozen=True)
