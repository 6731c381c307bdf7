"""The reviews domain without a database: who may review what (buyer, delivered, the 100-day
window to the second), photos, the one reply, hiding, and rating summaries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.reviews.domain import (
    EMPTY_SUMMARY,
    REVIEW_WINDOW,
    ImageRecord,
    Purchase,
    Review,
    check_photos,
    may_review,
)
from shared.errors import Conflict, Forbidden, NotFound, RulesViolated

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
CUSTOMER = uuid.uuid4()
LISTING = uuid.uuid4()


def purchase(delivered_at: datetime | None = NOW - timedelta(days=3)) -> Purchase:
    return Purchase(uuid.uuid4(), CUSTOMER, uuid.uuid4(), (LISTING,), delivered_at)


def published(**overrides: object) -> Review:
    fields: dict = {
        "listing_id": LISTING,
        "customer_id": CUSTOMER,
        "rating": 4,
        "title": "Lovely",
        "body": "",
    }
    fields.update(overrides)
    return Review.publish(purchase(), photos=[], now=NOW, **fields)


def test_the_buyer_of_a_delivered_piece_may_review_it_until_100_days_after_delivery() -> None:
    assert timedelta(days=100) == REVIEW_WINDOW
    delivered = NOW - REVIEW_WINDOW
    assert may_review(purchase(delivered), CUSTOMER, LISTING, NOW)  # exactly 100 days: inside
    with pytest.raises(RulesViolated) as late:
        may_review(purchase(delivered - timedelta(seconds=1)), CUSTOMER, LISTING, NOW)
    assert late.value.code == "review_window_closed"


@pytest.mark.parametrize(
    ("bought", "who", "listing", "code", "kind"),
    [
        (None, CUSTOMER, LISTING, "not_purchased", Forbidden),
        (purchase(), uuid.uuid4(), LISTING, "not_purchased", Forbidden),
        (purchase(), CUSTOMER, uuid.uuid4(), "not_purchased", Forbidden),
        (purchase(None), CUSTOMER, LISTING, "not_delivered", RulesViolated),
    ],
)
def test_anyone_else_or_before_delivery_is_refused(
    bought: Purchase | None, who: uuid.UUID, listing: uuid.UUID, code: str, kind: type
) -> None:
    with pytest.raises(kind) as refused:
        may_review(bought, who, listing, NOW)
    assert refused.value.code == code


def test_photos_are_the_reviewers_own_ready_images() -> None:
    mine, theirs, processing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    owner, other = uuid.uuid4(), uuid.uuid4()
    images = {
        mine: ImageRecord(mine, owner, "ready", {"160": "/media/a.webp"}, "data:"),
        theirs: ImageRecord(theirs, other, "ready", {}, None),
        processing: ImageRecord(processing, owner, "processing", {}, None),
    }
    [photo] = check_photos([(mine, "on the hand")], images, {owner})
    assert photo.urls == {"160": "/media/a.webp"} and photo.alt == "on the hand"
    with pytest.raises(RulesViolated) as refused:
        check_photos(
            [(theirs, ""), (processing, ""), (mine, ""), (mine, ""), (uuid.uuid4(), "")], images, {owner}
        )
    assert [e.code for e in refused.value.errors] == [
        "image_not_owned",
        "image_not_ready",
        "duplicate_photo",
        "image_not_owned",
    ]


def test_a_review_is_published_replied_to_once_and_hidden_for_a_reason() -> None:
    review = published()
    assert [e.name for e in review.pull_events()] == ["published"]
    review.reply("Thank you!", NOW)
    with pytest.raises(Conflict) as again:
        review.reply("Edited", NOW)
    assert again.value.code == "already_replied" and review.reply_body == "Thank you!"
    operator = uuid.uuid4()
    assert review.hide("Personal data", operator, NOW)
    assert not review.hide("Again", operator, NOW)
    assert (review.status.value, review.hidden_reason, review.hidden_by) == (
        "hidden",
        "Personal data",
        operator,
    )
    assert [e.name for e in review.pull_events()] == ["replied", "hidden"]
    hidden = published()
    hidden.hide("x", operator, NOW)
    with pytest.raises(NotFound):
        hidden.reply("x", NOW)


def test_a_summary_counts_visible_ratings_with_a_growing_version() -> None:
    summary = EMPTY_SUMMARY.counted(5, +1).counted(2, +1).counted(5, +1)
    assert (summary.count, summary.total, summary.version) == (3, 12, 3)
    assert summary.average == 4.0 and summary.histogram_by_rating() == {
        "1": 0,
        "2": 1,
        "3": 0,
        "4": 0,
        "5": 2,
    }
    less = summary.counted(2, -1)
    assert (less.count, less.average, less.version) == (2, 5.0, 4)
    assert EMPTY_SUMMARY.average is None and EMPTY_SUMMARY.counted(3, -1).count == 0
