"""Ring sizes (one table: UK letter, inner circumference in mm, US number) and carats."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import Field

from services.catalogue.domain.vocabulary import AS_JSON_NUMBER

# The one conversion table: UK size, inner circumference in mm (ISO 8653), US size at that
# circumference. UK sizes follow BS 6820 (A = 37.5 mm, 1.25 mm a letter, half sizes between,
# then Z+1...); the US column is the US scale (inner diameter 11.63 mm + 0.8128 mm a size) at each
# UK circumference, to two decimals. Every conversion in either direction reads this table.
_RING_SIZE_TABLE: tuple[tuple[str, str, str], ...] = (
    ("A", "37.500", "0.37"),
    ("A½", "38.125", "0.62"),
    ("B", "38.750", "0.86"),
    ("B½", "39.375", "1.11"),
    ("C", "40.000", "1.35"),
    ("C½", "40.625", "1.60"),
    ("D", "41.250", "1.84"),
    ("D½", "41.875", "2.09"),
    ("E", "42.500", "2.33"),
    ("E½", "43.125", "2.58"),
    ("F", "43.750", "2.82"),
    ("F½", "44.375", "3.07"),
    ("G", "45.000", "3.31"),
    ("G½", "45.625", "3.56"),
    ("H", "46.250", "3.80"),
    ("H½", "46.875", "4.04"),
    ("I", "47.500", "4.29"),
    ("I½", "48.125", "4.53"),
    ("J", "48.750", "4.78"),
    ("J½", "49.375", "5.02"),
    ("K", "50.000", "5.27"),
    ("K½", "50.625", "5.51"),
    ("L", "51.250", "5.76"),
    ("L½", "51.875", "6.00"),
    ("M", "52.500", "6.25"),
    ("M½", "53.125", "6.49"),
    ("N", "53.750", "6.74"),
    ("N½", "54.375", "6.98"),
    ("O", "55.000", "7.23"),
    ("O½", "55.625", "7.47"),
    ("P", "56.250", "7.72"),
    ("P½", "56.875", "7.96"),
    ("Q", "57.500", "8.21"),
    ("Q½", "58.125", "8.45"),
    ("R", "58.750", "8.70"),
    ("R½", "59.375", "8.94"),
    ("S", "60.000", "9.18"),
    ("S½", "60.625", "9.43"),
    ("T", "61.250", "9.67"),
    ("T½", "61.875", "9.92"),
    ("U", "62.500", "10.16"),
    ("U½", "63.125", "10.41"),
    ("V", "63.750", "10.65"),
    ("V½", "64.375", "10.90"),
    ("W", "65.000", "11.14"),
    ("W½", "65.625", "11.39"),
    ("X", "66.250", "11.63"),
    ("X½", "66.875", "11.88"),
    ("Y", "67.500", "12.12"),
    ("Y½", "68.125", "12.37"),
    ("Z", "68.750", "12.61"),
    ("Z½", "69.375", "12.86"),
    ("Z+1", "70.000", "13.10"),
    ("Z+1½", "70.625", "13.35"),
    ("Z+2", "71.250", "13.59"),
    ("Z+2½", "71.875", "13.84"),
    ("Z+3", "72.500", "14.08"),
    ("Z+3½", "73.125", "14.32"),
    ("Z+4", "73.750", "14.57"),
    ("Z+4½", "74.375", "14.81"),
    ("Z+5", "75.000", "15.06"),
    ("Z+5½", "75.625", "15.30"),
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
        raise ValueError(f"{value} mm is outside the ring sizes {RING_SIZE_MIN_MM}-{RING_SIZE_MAX_MM} mm")
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
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
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


RingSizeMm = Annotated[
    Decimal,
    Field(ge=RING_SIZE_MIN_MM, le=RING_SIZE_MAX_MM, max_digits=6, decimal_places=3),
    AS_JSON_NUMBER,
]
