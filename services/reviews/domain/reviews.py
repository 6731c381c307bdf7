"""A review: what a customer who received a piece says of it, the maker's one reply, and an
operator's hiding of it (Digital Markets, Competition and Consumers Act 2024: only a buyer who
received the piece reviews it, within 100 days of delivery; a review is never edited by the maker
or the marketplace, only hidden for a stated reason, which is recorded)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.aggregate import Aggregate
from shared.errors import Conflict, Forbidden, RulesViolated, Violation, conflict, not_found

REVIEW_WINDOW = timedelta(days=100)
"""How long after delivery a piece may be reviewed; the moment of delivery plus exactly this is
still inside the window."""

MAX_TITLE_CHARS = 120
MAX_BODY_CHARS = 5000
MAX_REPLY_CHARS = 2000
MAX_REASON_CHARS = 500
MAX_ALT_CHARS = 200
MAX_PHOTOS = 6


class ReviewStatus(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class Purchase:
    """A maker order as reviews knows it from orders' events."""

    maker_order_id: uuid.UUID
    customer_id: uuid.UUID | None
    maker_id: uuid.UUID
    listing_ids: tuple[uuid.UUID, ...]
    delivered_at: datetime | None


@dataclass(frozen=True)
class Photo:
    image_id: uuid.UUID
    alt: str
    urls: dict[str, str] = field(default_factory=dict)
    placeholder: str | None = None


@dataclass(frozen=True)
class ImageRecord:
    """One of media's images as reviews knows it: a customer's upload has no maker, only the
    user who uploaded it (older events of a maker's image name only the maker)."""

    image_id: uuid.UUID
    maker_id: uuid.UUID | None
    status: str
    urls: dict[str, str]
    placeholder: str | None
    owner_user_id: uuid.UUID | None = None

    def owned_by(self, user_id: uuid.UUID | None, maker_ids: set[uuid.UUID]) -> bool:
        """Whether this user uploaded it (or, for an image known only by its maker, is that maker)."""
        if self.owner_user_id is not None:
            return self.owner_user_id == user_id
        return self.maker_id is not None and self.maker_id in maker_ids


@dataclass(frozen=True)
class DomainEvent:
    """A fact a review recorded: `name` is its reviews.review.<name> event, `data` its fields."""

    name: str
    data: dict[str, Any]


def may_review(
    purchase: Purchase | None, customer_id: uuid.UUID, listing_id: uuid.UUID, now: datetime
) -> Purchase:
    """The purchase a customer reviews `listing_id` of: 403 `not_purchased` unless it is theirs
    and holds that listing; 422 `not_delivered` before delivery, `review_window_closed` after
    100 days."""
    if purchase is None or purchase.customer_id != customer_id:
        raise Forbidden("Only the customer who bought this piece may review it", code="not_purchased")
    if purchase.delivered_at is None:
        raise RulesViolated(
            "The piece has not been delivered yet: it can be reviewed once it arrives", code="not_delivered"
        )
    if listing_id not in purchase.listing_ids:
        raise Forbidden("This piece was not part of that order", code="not_purchased")
    if now > purchase.delivered_at + REVIEW_WINDOW:
        raise RulesViolated(
            f"A piece can be reviewed for {REVIEW_WINDOW.days} days after delivery; that time has passed",
            code="review_window_closed",
        )
    return purchase


def check_photos(
    wanted: list[tuple[uuid.UUID, str]],
    images: dict[uuid.UUID, ImageRecord],
    owner_maker_ids: set[uuid.UUID],
    reviewer_id: uuid.UUID | None = None,
) -> list[Photo]:
    """Each photo must be a ready image the reviewer uploaded (as a customer, or as one of the
    makers they are); all refusals are reported together."""
    problems: list[Violation] = []
    photos: list[Photo] = []
    seen: set[uuid.UUID] = set()
    for index, (image_id, alt) in enumerate(wanted):
        image = images.get(image_id)
        where = ("body", "photos", index, "image_id")
        if image_id in seen:
            problems.append(Violation(where, "The same photo is given twice", "duplicate_photo"))
        elif image is None or not image.owned_by(reviewer_id, owner_maker_ids):
            problems.append(Violation(where, "Not a photo you uploaded", "image_not_owned"))
        elif image.status != "ready":
            problems.append(
                Violation(where, "The photo is still being processed or failed", "image_not_ready")
            )
        else:
            photos.append(Photo(image_id, alt, dict(image.urls), image.placeholder))
        seen.add(image_id)
    if problems:
        raise RulesViolated("Some photos cannot be used", code=problems[0].code, errors=problems)
    return photos


@dataclass(eq=False)
class Review(Aggregate[DomainEvent]):
    id: uuid.UUID
    maker_order_id: uuid.UUID
    listing_id: uuid.UUID
    maker_id: uuid.UUID
    customer_id: uuid.UUID
    rating: int
    title: str
    body: str
    photos: list[Photo]
    status: ReviewStatus
    published_at: datetime
    hidden_reason: str | None = None
    hidden_by: uuid.UUID | None = None
    hidden_at: datetime | None = None
    reply_body: str | None = None
    replied_at: datetime | None = None
    report_count: int = 0
    version: int = 1

    @classmethod
    def publish(
        cls,
        purchase: Purchase,
        *,
        listing_id: uuid.UUID,
        customer_id: uuid.UUID,
        rating: int,
        title: str,
        body: str,
        photos: list[Photo],
        now: datetime,
    ) -> Review:
        if not 1 <= rating <= 5:
            raise RulesViolated("A rating is 1 to 5 stars", code="invalid_rating")
        review = cls(
            id=uuid.uuid4(),
            maker_order_id=purchase.maker_order_id,
            listing_id=listing_id,
            maker_id=purchase.maker_id,
            customer_id=customer_id,
            rating=rating,
            title=title,
            body=body,
            photos=photos,
            status=ReviewStatus.VISIBLE,
            published_at=now,
        )
        review.record(
            DomainEvent(
                "published",
                {
                    "maker_order_id": review.maker_order_id,
                    "customer_id": customer_id,
                    "rating": rating,
                    "title": title,
                    "published_at": now,
                },
            )
        )
        return review

    @property
    def visible(self) -> bool:
        return self.status is ReviewStatus.VISIBLE

    def reply(self, body: str, now: datetime) -> None:
        """The maker's answer: once, never changed afterwards (409 `already_replied`)."""
        if self.reply_body is not None:
            raise conflict("already_replied", "This review already has your reply")
        if not self.visible:
            raise not_found("Review")
        self.reply_body = body
        self.replied_at = now
        self.version += 1
        self.record(DomainEvent("replied", {"customer_id": self.customer_id, "replied_at": now}))

    def hide(self, reason: str, operator_id: uuid.UUID, now: datetime) -> bool:
        """An operator takes it down for a reason that is kept; hiding it again changes nothing."""
        if not self.visible:
            return False
        self.status = ReviewStatus.HIDDEN
        self.hidden_reason = reason
        self.hidden_by = operator_id
        self.hidden_at = now
        self.version += 1
        self.record(DomainEvent("hidden", {"reason": reason, "hidden_at": now}))
        return True


def already_reviewed() -> Conflict:
    return conflict("already_reviewed", "This piece of this order has been reviewed already")


RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class RatingSummary:
    """The visible ratings of one subject (a listing or a maker)."""

    histogram: tuple[int, int, int, int, int]
    version: int = 0

    @property
    def count(self) -> int:
        return sum(self.histogram)

    @property
    def total(self) -> int:
        return sum(rating * n for rating, n in zip(RATINGS, self.histogram, strict=True))

    @property
    def average(self) -> float | None:
        return round(self.total / self.count, 2) if self.count else None

    def counted(self, rating: int, change: int) -> RatingSummary:
        """With one visible rating more (change 1) or fewer (-1), at the next version."""
        histogram = list(self.histogram)
        histogram[rating - 1] = max(0, histogram[rating - 1] + change)
        return RatingSummary(
            (histogram[0], histogram[1], histogram[2], histogram[3], histogram[4]), self.version + 1
        )

    def histogram_by_rating(self) -> dict[str, int]:
        return {str(rating): n for rating, n in zip(RATINGS, self.histogram, strict=True)}


EMPTY_SUMMARY = RatingSummary((0, 0, 0, 0, 0))
