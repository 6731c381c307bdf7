"""The reviews use cases: plain async functions that the HTTP API (api.py), the event handlers
(handlers.py), the seed and tests call.

    publish_review     a customer reviews a piece of a delivered maker order of theirs
    reply              the reviewed maker answers, once
    report             anyone signed in flags a review for operators
    hide               an operator takes a review down for a recorded reason
    apply_*            the read models follow makers, orders and media events

A change of what is visible (a review published or hidden) recounts the listing's and the
maker's summaries in the same transaction and emits `reviews.ratings.changed` with both.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

import asyncpg

from services.reviews import store
from services.reviews.domain import (
    DomainEvent,
    Photo,
    Review,
    already_reviewed,
    check_photos,
    may_review,
)
from shared.contracts import Event
from shared.contracts.reviews import (
    RatingsChanged,
    RatingSummary,
    ReviewHidden,
    ReviewPublished,
    ReviewReplied,
)
from shared.db import UnitOfWork
from shared.errors import not_found

PRODUCER = "reviews"


def _event(review: Review, event: DomainEvent) -> Event:
    common = {"review_id": review.id, "listing_id": review.listing_id, "maker_id": review.maker_id}
    kinds: dict[str, type[Event]] = {
        "published": ReviewPublished,
        "hidden": ReviewHidden,
        "replied": ReviewReplied,
    }
    return kinds[event.name](**common, **event.data)


def _emit(uow: UnitOfWork, review: Review) -> None:
    for event in review.pull_events():
        uow.emit(_event(review, event), review.id, review.version)


async def _recount(uow: UnitOfWork, review: Review, change: int) -> None:
    """One visible rating more or fewer for the review's listing and maker."""
    summaries = {}
    for subject, subject_id in (("listing", review.listing_id), ("maker", review.maker_id)):
        summary = (await store.summary_for_update(uow.conn, subject, subject_id)).counted(
            review.rating, change
        )
        await store.write_summary(uow.conn, subject, subject_id, summary)
        summaries[subject] = RatingSummary(
            count=summary.count,
            total=summary.total,
            histogram=summary.histogram_by_rating(),
            version=summary.version,
        )
    uow.emit(
        RatingsChanged(
            listing_id=review.listing_id,
            maker_id=review.maker_id,
            listing=summaries["listing"],
            maker=summaries["maker"],
        ),
        review.listing_id,
        summaries["listing"].version,
    )


async def publish_review(
    pool: asyncpg.Pool,
    *,
    customer_id: UUID,
    maker_order_id: UUID,
    listing_id: UUID,
    rating: int,
    title: str,
    body: str,
    photos: list[tuple[UUID, str]],
    now: datetime,
) -> Review:
    async with UnitOfWork(pool, PRODUCER) as uow:
        purchase = may_review(await store.purchase(uow.conn, maker_order_id), customer_id, listing_id, now)
        if await store.review_exists(uow.conn, maker_order_id, listing_id):
            raise already_reviewed()
        checked: list[Photo] = []
        if photos:
            found = await store.images(uow.conn, [image_id for image_id, _ in photos])
            checked = check_photos(
                photos, found, await store.makers_of_user(uow.conn, customer_id), reviewer_id=customer_id
            )
        review = Review.publish(
            purchase,
            listing_id=listing_id,
            customer_id=customer_id,
            rating=rating,
            title=title,
            body=body,
            photos=checked,
            now=now,
        )
        await store.insert_review(uow, review)
        _emit(uow, review)
        await _recount(uow, review, +1)
    return review


async def reply(
    pool: asyncpg.Pool, *, maker_user_id: UUID, review_id: UUID, body: str, now: datetime
) -> Review:
    """The maker of the reviewed piece answers; anyone else is told the review does not exist."""
    async with UnitOfWork(pool, PRODUCER) as uow:
        review = await store.load_review(uow, review_id)
        if review is None or review.maker_id not in await store.makers_of_user(uow.conn, maker_user_id):
            raise not_found("Review")
        review.reply(body, now)
        await store.save_review(uow, review)
        _emit(uow, review)
    return review


async def report(pool: asyncpg.Pool, *, user_id: UUID, review_id: UUID, reason: str, now: datetime) -> None:
    """Flag a visible review for operators; the same person reporting it again changes nothing."""
    async with UnitOfWork(pool, PRODUCER) as uow:
        if await store.visible_review(uow.conn, review_id) is None:
            raise not_found("Review")
        await store.add_report(uow.conn, uuid.uuid4(), review_id, user_id, reason, now)


async def hide(
    pool: asyncpg.Pool, *, operator_id: UUID, review_id: UUID, reason: str, now: datetime
) -> Review:
    """An operator hides the review for `reason` (kept with who and when): it leaves every public
    list and both summaries. Hiding a hidden review again changes nothing."""
    async with UnitOfWork(pool, PRODUCER) as uow:
        review = await store.load_review(uow, review_id)
        if review is None:
            raise not_found("Review")
        if review.hide(reason, operator_id, now):
            await store.save_review(uow, review)
            _emit(uow, review)
            await _recount(uow, review, -1)
    return review


# --- read models --------------------------------------------------------------------------------


async def apply_maker(uow: UnitOfWork, maker_id: UUID, user_id: UUID, version: int) -> None:
    await store.save_maker(uow.conn, maker_id, user_id, version)


async def apply_confirmed(uow: UnitOfWork, customer_id: UUID, maker_orders: list[tuple[UUID, UUID]]) -> None:
    for maker_order_id, maker_id in maker_orders:
        await store.confirmed_purchase(uow.conn, maker_order_id, customer_id, maker_id)


async def apply_delivered(
    uow: UnitOfWork,
    *,
    maker_order_id: UUID,
    customer_id: UUID | None,
    maker_id: UUID,
    listing_ids: list[UUID],
    delivered_at: datetime,
) -> None:
    await store.delivered_purchase(uow.conn, maker_order_id, customer_id, maker_id, listing_ids, delivered_at)


async def apply_image(
    uow: UnitOfWork,
    *,
    image_id: UUID,
    maker_id: UUID | None,
    owner_user_id: UUID | None,
    status: str,
    version: int,
    urls: dict[str, str] | None = None,
    placeholder: str | None = None,
) -> None:
    await store.save_image(uow.conn, image_id, maker_id, owner_user_id, status, version, urls, placeholder)
