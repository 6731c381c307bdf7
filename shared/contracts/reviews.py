"""Events of the reviews service: verified reviews of delivered pieces, and the rating summaries
they add up to.

`reviews.review.published` tells the maker (notifications) and anyone counting reviews that a
customer reviewed a piece they received; `hidden` that an operator took one down for a recorded
reason; `replied` that the maker answered it (once). `reviews.ratings.changed` carries, after any
of these changed what is visible, the whole summary of the listing and of the maker: the count and
sum of visible ratings with a histogram. `version` grows with every change of one subject inside
reviews, so a consumer keeps, per subject, the summary with the highest version and ignores older
or repeated ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import Event

RATING_KEYS: tuple[str, ...] = ("1", "2", "3", "4", "5")
"""The histogram's keys: every rating a review may give, as text (JSON object keys)."""


class ReviewEvent(Event):
    """The shape every reviews.review.* event shares (not itself an event type)."""

    review_id: UUID
    listing_id: UUID
    maker_id: UUID


class ReviewPublished(ReviewEvent):
    """A customer reviewed a piece of a maker order delivered to them; it is visible at once."""

    event_type = "reviews.review.published"
    version = 1

    maker_order_id: UUID
    customer_id: UUID
    rating: int = Field(ge=1, le=5)
    title: str
    published_at: datetime


class ReviewHidden(ReviewEvent):
    """An operator hid the review: it leaves every public list and rating."""

    event_type = "reviews.review.hidden"
    version = 1

    reason: str
    hidden_at: datetime


class ReviewReplied(ReviewEvent):
    """The reviewed maker answered the review (a review has at most one reply)."""

    event_type = "reviews.review.replied"
    version = 1

    customer_id: UUID
    replied_at: datetime


class RatingSummary(BaseModel):
    """The visible reviews of one subject (a listing or a maker)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    count: int = Field(ge=0, description="How many visible reviews")
    total: int = Field(ge=0, description="The sum of their ratings (average = total / count)")
    histogram: dict[Literal["1", "2", "3", "4", "5"], int] = Field(
        description="How many visible reviews gave each rating, keys '1' to '5'"
    )
    version: int = Field(ge=1, description="Grows with every change of this subject's summary")


_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Rating:
    """The visible ratings of one subject as a consumer keeps them (the count and sum of a
    `RatingSummary`), and their average as every service shows it: `rating {average, count}`."""

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


class RatingsChanged(Event):
    """What is visible of a listing's and its maker's reviews changed (a review published or
    hidden); each summary is whole, so the newest version replaces what a consumer holds."""

    event_type = "reviews.ratings.changed"
    version = 1

    listing_id: UUID
    maker_id: UUID
    listing: RatingSummary
    maker: RatingSummary


REVIEW_EVENTS: tuple[type[Event], ...] = (ReviewPublished, ReviewHidden, ReviewReplied, RatingsChanged)
