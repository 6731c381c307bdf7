"""What the reviews API takes and answers (pydantic). Text is kept and returned exactly as written
(trimmed): HTML in it is text, and the storefront inserts it as text."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.reviews.domain import (
    MAX_ALT_CHARS,
    MAX_BODY_CHARS,
    MAX_PHOTOS,
    MAX_REASON_CHARS,
    MAX_REPLY_CHARS,
    MAX_TITLE_CHARS,
    RatingSummary,
    Review,
)
from services.reviews.store import ReportRow
from shared.paging import PageQuery
from shared.text import multi_line, single_line


class PhotoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image_id: uuid.UUID = Field(description="A ready image of your own, uploaded to /api/v1/images")
    alt: Annotated[str, single_line(0, MAX_ALT_CHARS)] = Field("", description="What the photo shows")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    maker_order_id: uuid.UUID = Field(description="The delivered maker order the piece came in")
    listing_id: uuid.UUID = Field(description="The piece reviewed")
    rating: int = Field(ge=1, le=5, description="Stars, 1 to 5")
    title: Annotated[str, single_line(1, MAX_TITLE_CHARS)]
    body: Annotated[str, multi_line(0, MAX_BODY_CHARS)] = ""
    photos: list[PhotoIn] = Field(default_factory=list, max_length=MAX_PHOTOS)


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[str, multi_line(1, MAX_REPLY_CHARS)]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, multi_line(1, MAX_REASON_CHARS)]


class ReviewsQuery(PageQuery):
    listing_id: uuid.UUID | None = Field(None, description="The reviews of this listing")
    maker_id: uuid.UUID | None = Field(None, description="The reviews of this maker's pieces")


class MineQuery(PageQuery):
    pass


class ReviewableQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    maker_order_id: uuid.UUID = Field(description="One of your maker orders")


class PhotoView(BaseModel):
    image_id: uuid.UUID
    alt: str
    urls: dict[str, str] = Field(description="Rendition URL by width ('160', '480', '960', '1600')")
    placeholder: str | None


class ReplyView(BaseModel):
    body: str
    replied_at: datetime


class ReportView(BaseModel):
    reason: str
    created_at: datetime


class ReviewView(BaseModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    maker_id: uuid.UUID
    rating: int
    title: str
    body: str
    photos: list[PhotoView]
    verified_purchase: bool = Field(
        True, description="Always: only a customer who received the piece reviews it"
    )
    published_at: datetime
    reply: ReplyView | None
    status: str = Field(description="`visible`, or `hidden` by an operator")
    hidden_reason: str | None = Field(None, description="Why an operator hid it (operators only)")
    report_count: int | None = Field(None, description="How many people reported it (operators only)")
    reports: list[ReportView] | None = Field(None, description="The reports (operators' queue only)")


def review_view(
    review: Review, *, operator: bool = False, reports: list[ReportRow] | None = None
) -> ReviewView:
    return ReviewView(
        id=review.id,
        listing_id=review.listing_id,
        maker_id=review.maker_id,
        rating=review.rating,
        title=review.title,
        body=review.body,
        photos=[
            PhotoView(image_id=p.image_id, alt=p.alt, urls=p.urls, placeholder=p.placeholder)
            for p in review.photos
        ],
        published_at=review.published_at,
        reply=None
        if review.reply_body is None or review.replied_at is None
        else ReplyView(body=review.reply_body, replied_at=review.replied_at),
        status=review.status.value,
        hidden_reason=review.hidden_reason if operator else None,
        report_count=review.report_count if operator else None,
        reports=None
        if reports is None
        else [ReportView(reason=r.reason, created_at=r.created_at) for r in reports],
    )


class RatingSummaryView(BaseModel):
    average: float | None = Field(description="Mean of the visible ratings to 2 places; null without any")
    count: int
    histogram: dict[str, int] = Field(description="Visible reviews per rating, keys '1' to '5'")


def summary_view(summary: RatingSummary) -> RatingSummaryView:
    return RatingSummaryView(
        average=summary.average, count=summary.count, histogram=summary.histogram_by_rating()
    )


class ReviewsPage(BaseModel):
    items: list[ReviewView]
    next_cursor: str | None = None
    rating_summary: RatingSummaryView


class ReviewsList(BaseModel):
    items: list[ReviewView]
    next_cursor: str | None = None


class ReportAccepted(BaseModel):
    review_id: uuid.UUID
    status: str = Field("received", description="Operators will look at it")


class ReviewableView(BaseModel):
    maker_order_id: uuid.UUID
    listing_id: uuid.UUID
    delivered_at: datetime
    review_until: datetime = Field(description="The last moment it may be reviewed")
    review_id: uuid.UUID | None = Field(description="Your review of it, once written")


class ReviewablesView(BaseModel):
    items: list[ReviewableView]
