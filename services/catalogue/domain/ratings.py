"""What customers think of a listing or a maker, as the catalogue shows it.

The reviews service owns reviews; the catalogue keeps, per listing and per maker, the summary of
the visible ones (`reviews.ratings.changed`: the count and the sum of their ratings) and shows
it as `rating {average, count}`: the average rounded half up to two decimals, none while nothing
is rated. Which summary is kept is decided by its version (the highest wins), in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Rating:
    """The visible ratings of one subject: how many, and their sum (each 1 to 5)."""

    count: int = 0
    total: int = 0

    def __post_init__(self) -> None:
        if self.count < 0 or not self.count <= self.total <= 5 * self.count:
            raise ValueError(f"not a sum of {self.count} ratings from 1 to 5: {self.total}")

    @property
    def average(self) -> Decimal | None:
        """The mean rating rounded half up to two decimals; None while nothing is rated."""
        if self.count == 0:
            return None
        return (Decimal(self.total) / Decimal(self.count)).quantize(_CENTS, rounding=ROUND_HALF_UP)


NO_RATING = Rating()


@dataclass(frozen=True)
class RatingSummary:
    """One summary of a subject's visible reviews as reviews sent it: the rating, how many gave
    each star ("1" to "5") and its version (higher is newer)."""

    rating: Rating
    histogram: dict[str, int]
    version: int
