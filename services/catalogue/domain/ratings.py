"""What customers think of a listing or a maker, as the catalogue shows it.

The reviews service owns reviews; the catalogue keeps, per listing and per maker, the summary of
the visible ones (`reviews.ratings.changed`: the count and the sum of their ratings) and shows
it as `rating {average, count}`: the average rounded half up to two decimals, none while nothing
is rated. Which summary is kept is decided by its version (the highest wins), in the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.reviews import Rating

__all__ = ["NO_RATING", "Rating", "RatingSummary"]


NO_RATING = Rating()


@dataclass(frozen=True)
class RatingSummary:
    """One summary of a subject's visible reviews as reviews sent it: the rating, how many gave
    each star ("1" to "5") and its version (higher is newer)."""

    rating: Rating
    histogram: dict[str, int]
    version: int
