"""The reviews HTTP API: thin handlers (parse, authorise, call one use case, render).

Who may do what:
    customers          review a piece of a delivered maker order of theirs (one review per maker
                       order and piece, within 100 days of delivery); see which pieces of a maker
                       order they may review, and their own reviews
    anyone             the visible reviews of a listing or a maker, with the rating summary
    the maker          reply once to a review of their piece (anyone else: 404)
    anyone signed in   report a review (202)
    operators          the queue of reported reviews; hide a review for a recorded reason
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.reviews import store, usecases
from services.reviews.domain import EMPTY_SUMMARY, REVIEW_WINDOW
from services.reviews.schemas import (
    MineQuery,
    ReasonIn,
    ReplyIn,
    ReportAccepted,
    ReviewableQuery,
    ReviewablesView,
    ReviewableView,
    ReviewIn,
    ReviewsList,
    ReviewsPage,
    ReviewsQuery,
    ReviewView,
    review_view,
    summary_view,
)
from shared.errors import ProblemError, Violation, not_found
from shared.http import POOL, Call, Routes
from shared.paging import decode_time_id, encode_time_id

routes = Routes("reviews")

ANYONE_SIGNED_IN = ("customer", "maker", "operator")


def _now() -> datetime:
    return datetime.now(UTC)


@routes.post(
    "/api/v1/reviews",
    body=ReviewIn,
    response=ReviewView,
    status=201,
    roles=("customer",),
    extra_responses={
        403: "not_purchased: you did not buy this piece in that maker order",
        409: "already_reviewed: this piece of this maker order has a review",
        422: "not_delivered: not delivered yet; review_window_closed: more than 100 days since "
        "delivery; image_not_owned, image_not_ready, duplicate_photo: a photo that cannot be used",
    },
)
async def create_review(call: Call) -> ReviewView:
    """Review a piece you received: one review per maker order and piece, within 100 days of
    delivery. It is published at once; title, body and alt texts are kept as written (as text)."""
    body: ReviewIn = call.body
    review = await usecases.publish_review(
        call.app[POOL],
        customer_id=call.user.user_id,
        maker_order_id=body.maker_order_id,
        listing_id=body.listing_id,
        rating=body.rating,
        title=body.title,
        body=body.body,
        photos=[(photo.image_id, photo.alt) for photo in body.photos],
        now=_now(),
    )
    return review_view(review)


@routes.get("/api/v1/reviews", query=ReviewsQuery, response=ReviewsPage, auth="none")
async def list_reviews(call: Call) -> ReviewsPage:
    """The visible reviews of a listing (`listing_id`) or a maker (`maker_id`), newest first, with
    the rating summary of that listing or maker (visible reviews only)."""
    query: ReviewsQuery = call.query
    if (query.listing_id is None) == (query.maker_id is None):
        raise ProblemError(
            422,
            "Validation failed",
            "Name one listing_id or one maker_id",
            code="subject_required",
            errors=[Violation(("query", "listing_id"), "Name a listing or a maker", "subject_required")],
        )
    pool = call.app[POOL]
    items, position = await store.reviews_page(
        pool,
        listing_id=query.listing_id,
        maker_id=query.maker_id,
        reported=False,
        after=decode_time_id(query.cursor),
        limit=query.limit,
    )
    subject, subject_id = ("listing", query.listing_id) if query.listing_id else ("maker", query.maker_id)
    assert subject_id is not None
    summary = await store.summary(pool, subject, subject_id)
    return ReviewsPage(
        items=[review_view(review) for review in items],
        next_cursor=encode_time_id(position),
        rating_summary=summary_view(summary if summary.version else EMPTY_SUMMARY),
    )


@routes.get("/api/v1/reviews/reported", query=MineQuery, response=ReviewsList, roles=("operator",))
async def reported_reviews(call: Call) -> ReviewsList:
    """Operators' moderation queue: visible reviews someone reported, newest first, with the
    reports."""
    query: MineQuery = call.query
    pool = call.app[POOL]
    items, position = await store.reviews_page(
        pool,
        listing_id=None,
        maker_id=None,
        reported=True,
        after=decode_time_id(query.cursor),
        limit=query.limit,
    )
    reports = await store.reports_of(pool, [review.id for review in items])
    return ReviewsList(
        items=[review_view(review, operator=True, reports=reports.get(review.id, [])) for review in items],
        next_cursor=encode_time_id(position),
    )


@routes.get(
    "/api/v1/reviews/reviewable", query=ReviewableQuery, response=ReviewablesView, roles=("customer",)
)
async def reviewable(call: Call) -> ReviewablesView:
    """The pieces of one of your delivered maker orders, until when each may be reviewed, and
    your review of each once written (empty for a maker order not delivered, or not yours)."""
    query: ReviewableQuery = call.query
    found = await store.reviewables(call.app[POOL], call.user.user_id, [query.maker_order_id])
    return ReviewablesView(
        items=[
            ReviewableView(
                maker_order_id=item.maker_order_id,
                listing_id=item.listing_id,
                delivered_at=item.delivered_at,
                review_until=item.delivered_at + REVIEW_WINDOW,
                review_id=item.review_id,
            )
            for item in found
        ]
    )


@routes.post(
    "/api/v1/reviews/{id}/reply",
    body=ReplyIn,
    response=ReviewView,
    roles=("maker",),
    extra_responses={409: "already_replied: the review has your reply already"},
)
async def reply_to_review(call: Call) -> ReviewView:
    """The reviewed maker answers the review, once (kept as written, shown as text)."""
    body: ReplyIn = call.body
    review = await usecases.reply(
        call.app[POOL], maker_user_id=call.user.user_id, review_id=call.path_id(), body=body.body, now=_now()
    )
    return review_view(review)


@routes.post(
    "/api/v1/reviews/{id}/report",
    body=ReasonIn,
    response=ReportAccepted,
    status=202,
    roles=ANYONE_SIGNED_IN,
)
async def report_review(call: Call) -> ReportAccepted:
    """Tell operators a review breaks the rules (abuse, personal data...); they decide."""
    body: ReasonIn = call.body
    review_id = call.path_id()
    await usecases.report(
        call.app[POOL], user_id=call.user.user_id, review_id=review_id, reason=body.reason, now=_now()
    )
    return ReportAccepted(review_id=review_id)


@routes.post("/api/v1/reviews/{id}/hide", body=ReasonIn, response=ReviewView, roles=("operator",))
async def hide_review(call: Call) -> ReviewView:
    """Hide a review for a stated reason, which is recorded: it leaves every public list and
    rating. Hiding it again changes nothing."""
    body: ReasonIn = call.body
    review = await usecases.hide(
        call.app[POOL],
        operator_id=call.user.user_id,
        review_id=call.path_id(),
        reason=body.reason,
        now=_now(),
    )
    return review_view(review, operator=True)


@routes.get("/api/v1/reviews/mine", query=MineQuery, response=ReviewsList, roles=("customer",))
async def my_reviews(call: Call) -> ReviewsList:
    """Your own reviews, newest first (hidden ones too)."""
    query: MineQuery = call.query
    items, position = await store.my_reviews(
        call.app[POOL], call.user.user_id, decode_time_id(query.cursor), query.limit
    )
    return ReviewsList(items=[review_view(review) for review in items], next_cursor=encode_time_id(position))


@routes.get("/api/v1/reviews/{id}", response=ReviewView, auth="optional")
async def get_review(call: Call) -> ReviewView:
    """One visible review (operators see a hidden one too, with why it was hidden)."""
    operator = call.principal is not None and call.principal.role == "operator"
    pool = call.app[POOL]
    review = await (
        store.any_review(pool, call.path_id()) if operator else store.visible_review(pool, call.path_id())
    )
    if review is None:
        raise not_found("Review")
    return review_view(review, operator=operator)
