"""The reviews service with its real consumer: it learns delivered maker orders from orders'
events (published here as orders would), and each rule of a review is answered with the
contract's code: only the buyer of a delivered piece, once per maker order and piece, within 100
days of delivery; one maker reply; reports; operators hide for a recorded reason, and the review
leaves the lists and the ratings."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from shared.contracts.media import ImageProcessed
from tests.support.broker import drain, tap
from tests.support.harness import ServiceProcess, TestEnvironment
from tests.support.notifications import tell
from tests.support.orders import Api
from tests.support.reviews import (
    Purchase,
    confirmed,
    delivered,
    delivered_purchase,
    tell_maker,
    wait_reviews_consumed,
)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def reviews(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("reviews")


@pytest.fixture
async def api(reviews: ServiceProcess, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, reviews.url, mint)


def as_customer(api: Api, purchase: Purchase) -> str:
    return api.mint("customer", purchase.customer_id)


async def test_a_buyer_reviews_a_delivered_piece_and_it_counts_in_both_summaries(
    api: Api, test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    ns = test_env.namespace
    purchase = await delivered_purchase(ns, db, listing_ids=[uuid.uuid4(), uuid.uuid4()])
    token = as_customer(api, purchase)
    async with tap(f"{ns}.events", "reviews.#") as events:
        first = await api.ok("POST", "/api/v1/reviews", token, status=201, json=purchase.review(rating=5))
        second = await api.ok(
            "POST",
            "/api/v1/reviews",
            token,
            status=201,
            json=purchase.review(listing_id=str(purchase.listing_ids[1]), rating=2, title="Too small"),
        )
        published = await drain(events, 4)
    assert first["rating"] == 5 and first["verified_purchase"] and first["reply"] is None
    assert first["status"] == "visible" and "customer_id" not in first

    kinds = [(e["type"], e["data"].get("rating")) for e in published]
    assert ("reviews.review.published", 5) in kinds and ("reviews.review.published", 2) in kinds
    changes = [e["data"] for e in published if e["type"] == "reviews.ratings.changed"]
    assert [c["maker"]["version"] for c in changes] == [1, 2]
    last = changes[-1]
    assert last["maker"] == {
        "count": 2,
        "total": 7,
        "histogram": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1},
        "version": 2,
    }
    assert last["listing"]["count"] == 1 and last["listing"]["total"] == 2
    event = next(e["data"] for e in published if e["type"] == "reviews.review.published")
    assert event["maker_order_id"] == str(purchase.maker_order_id)
    assert event["customer_id"] == str(purchase.customer_id)

    by_maker = await api.ok("GET", f"/api/v1/reviews?maker_id={purchase.maker_id}")
    assert [r["id"] for r in by_maker["items"]] == [second["id"], first["id"]]
    assert by_maker["rating_summary"] == {
        "average": 3.5,
        "count": 2,
        "histogram": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1},
    }
    by_listing = await api.ok("GET", f"/api/v1/reviews?listing_id={purchase.listing_id}&limit=1")
    assert [r["id"] for r in by_listing["items"]] == [first["id"]]
    assert by_listing["rating_summary"]["average"] == 5.0 and by_listing["next_cursor"] is None

    nothing = await api.ok("GET", f"/api/v1/reviews?listing_id={uuid.uuid4()}")
    assert nothing["items"] == [] and nothing["rating_summary"] == {
        "average": None,
        "count": 0,
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
    }
    neither = await api.call("GET", "/api/v1/reviews")
    assert neither.status == 422 and neither.body["code"] == "subject_required"

    reviewable = await api.ok(
        "GET", f"/api/v1/reviews/reviewable?maker_order_id={purchase.maker_order_id}", token
    )
    assert {item["review_id"] for item in reviewable["items"]} == {first["id"], second["id"]}


async def test_a_list_pages_without_repeating_or_skipping(
    api: Api, test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    purchase = await delivered_purchase(test_env.namespace, db, listing_ids=[uuid.uuid4() for _ in range(3)])
    token = as_customer(api, purchase)
    for listing_id in purchase.listing_ids:
        await api.ok(
            "POST", "/api/v1/reviews", token, status=201, json=purchase.review(listing_id=str(listing_id))
        )
    seen, cursor = [], ""
    while True:
        page = await api.ok("GET", f"/api/v1/reviews?maker_id={purchase.maker_id}&limit=2{cursor}")
        seen += [r["listing_id"] for r in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert sorted(seen) == sorted(str(x) for x in purchase.listing_ids)


async def test_only_the_customer_who_received_the_piece_may_review_it(
    api: Api, test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    ns = test_env.namespace
    purchase = await delivered_purchase(ns, db)
    body = purchase.review()

    stranger = await api.call("POST", "/api/v1/reviews", api.mint("customer"), json=body)
    assert stranger.status == 403 and stranger.body["code"] == "not_purchased"
    other_piece = await api.call(
        "POST",
        "/api/v1/reviews",
        as_customer(api, purchase),
        json=purchase.review(listing_id=str(uuid.uuid4())),
    )
    assert other_piece.status == 403 and other_piece.body["code"] == "not_purchased"
    unknown_order = await api.call(
        "POST",
        "/api/v1/reviews",
        as_customer(api, purchase),
        json=purchase.review(maker_order_id=str(uuid.uuid4())),
    )
    assert unknown_order.status == 403 and unknown_order.body["code"] == "not_purchased"
    maker = await api.call("POST", "/api/v1/reviews", api.mint("maker", purchase.maker_user_id), json=body)
    assert maker.status == 403
    anonymous = await api.call("POST", "/api/v1/reviews", json=body)
    assert anonymous.status == 401

    listed = await api.ok("GET", f"/api/v1/reviews?listing_id={purchase.listing_id}")
    assert listed["items"] == []


async def test_a_piece_not_yet_delivered_cannot_be_reviewed(
    api: Api, test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    ns = test_env.namespace
    purchase = Purchase()
    await tell_maker(ns, db, purchase)
    await confirmed(ns, db, purchase)
    early = await api.call("POST", "/api/v1/reviews", as_customer(api, purchase), json=purchase.review())
    assert early.status == 422 and early.body["code"] == "not_delivered"

    await delivered(ns, db, purchase)
    await api.ok("POST", "/api/v1/reviews", as_customer(api, purchase), status=201, json=purchase.review())


async def test_the_review_window_closes_100_days_after_delivery(
    api: Api, test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    ns = test_env.namespace
    now = datetime.now(UTC)
    inside = await delivered_purchase(ns, db, at=now - timedelta(days=100) + timedelta(minutes=2))
    outside = await delivered_purchase(ns, db, at=now - timedelta(days=100) - timedelta(seconds=1))

    await api.ok("POST", "/api/v1/reviews", as_customer(api, inside), status=201, json=inside.review())
    late = await api.call("POST", "/api/v1/reviews", as_customer(api, outside), json=outside.review())
    assert late.status == 422 and late.body["code"] == "review_window_closed"
    reviewable = await api.ok(
        "GET",
        f"/api/v1/reviews/reviewable?maker_order_id={outside.maker_order_id}",
        as_customer(api, outside),
    )
    [item] = reviewable["items"]
    assert datetime.fromisoformat(item["review_until"]) < now


async def test_a_piece_of_a_maker_order_is_reviewed_once(
    api: Api, test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    purchase = await delivered_purchase(test_env.namespace, db)
    token = as_customer(api, purchase)
    await api.ok("POST", "/api/v1/reviews", token, status=201, json=purchase.review())
    again = await api.call(
        "POST", "/api/v1/reviews", token, json=purchase.review(rating=1, title="Changed my mind")
    )
    assert again.status == 409 and again.body["code"] == "already_reviewed"
    listed = await api.ok("GET", f"/api/v1/reviews?listing_id={purchase.listing_id}")
    assert [r["rating"] for r in listed["items"]] == [5]


async def test_text_is_bounded_and_html_is_kept_as_text(
    api: Api, test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    purchase = await delivered_purchase(test_env.namespace, db)
    token = as_customer(api, purchase)
    for bad, where in (
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"body": "x" * 5001}, "body"),
        ({"status": "hidden"}, "status"),
        ({"photos": [{"image_id": str(uuid.uuid4())}] * 7}, "photos"),
    ):
        refused = await api.call("POST", "/api/v1/reviews", token, json=purchase.review(**bad))
        assert refused.status == 422, (bad, refused.body)
        assert any(where in error["loc"] for error in refused.body["errors"]), refused.body
    script = '<script>alert("x")</script> <b>lovely</b> & "shiny"'
    review = await api.ok(
        "POST", "/api/v1/reviews", token, status=201, json=purchase.review(title=script[:60], body=script)
    )
    assert review["body"] == script and review["title"] == script[:60]
    shown = await api.ok("GET", f"/api/v1/reviews/{review['id']}")
    assert shown["body"] == script


async def test_photos_are_the_reviewers_own_ready_images(
    api: Api, test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    ns = test_env.namespace
    purchase = await delivered_purchase(ns, db)
    someone_elses = uuid.uuid4()
    sent = await tell(
        ns,
        ImageProcessed(
            image_id=someone_elses,
            maker_id=purchase.maker_id,
            image_version=2,
            width=1600,
            height=1200,
            placeholder="data:image/webp;base64,AAAA",
            urls={"160": "/media/a.webp"},
        ),
        someone_elses,
        2,
    )
    await wait_reviews_consumed(db, sent)
    refused = await api.call(
        "POST",
        "/api/v1/reviews",
        as_customer(api, purchase),
        json=purchase.review(
            photos=[
                {"image_id": str(someone_elses), "alt": "ring"},
                {"image_id": str(uuid.uuid4()), "alt": ""},
            ]
        ),
    )
    assert refused.status == 422 and refused.body["code"] == "image_not_owned"
    assert [e["loc"] for e in refused.body["errors"]] == [
        ["body", "photos", 0, "image_id"],
        ["body", "photos", 1, "image_id"],
    ]


async def test_the_maker_replies_once(api: Api, test_env: TestEnvironment, db: asyncpg.Connection) -> None:
    ns = test_env.namespace
    purchase = await delivered_purchase(ns, db)
    review = await api.ok(
        "POST", "/api/v1/reviews", as_customer(api, purchase), status=201, json=purchase.review()
    )
    path = f"/api/v1/reviews/{review['id']}/reply"
    maker = api.mint("maker", purchase.maker_user_id)

    other_maker = await api.call("POST", path, api.mint("maker"), json={"body": "Thanks!"})
    assert other_maker.status == 404
    customer = await api.call("POST", path, as_customer(api, purchase), json={"body": "Thanks!"})
    assert customer.status == 403
    empty = await api.call("POST", path, maker, json={"body": "  "})
    assert empty.status == 422
    async with tap(f"{ns}.events", "reviews.review.replied.#") as events:
        replied = await api.ok("POST", path, maker, json={"body": "Thank you <3, enjoy it!"})
        [event] = await drain(events, 1)
    assert replied["reply"]["body"] == "Thank you <3, enjoy it!"
    assert event["data"]["customer_id"] == str(purchase.customer_id)
    again = await api.call("POST", path, maker, json={"body": "Edited"})
    assert again.status == 409 and again.body["code"] == "already_replied"
    listed = await api.ok("GET", f"/api/v1/reviews?listing_id={purchase.listing_id}")
    assert listed["items"][0]["reply"]["body"] == "Thank you <3, enjoy it!"


async def test_reported_reviews_reach_operators_who_hide_them_for_a_recorded_reason(
    api: Api, test_env: TestEnvironment, db: asyncpg.Connection
) -> None:
    ns = test_env.namespace
    purchase = await delivered_purchase(ns, db, listing_ids=[uuid.uuid4(), uuid.uuid4()])
    token = as_customer(api, purchase)
    kept = await api.ok("POST", "/api/v1/reviews", token, status=201, json=purchase.review(rating=4))
    abusive = await api.ok(
        "POST",
        "/api/v1/reviews",
        token,
        status=201,
        json=purchase.review(
            listing_id=str(purchase.listing_ids[1]), rating=1, body="Call me on 07700 900123"
        ),
    )
    operator = api.mint("operator")

    reporter = api.mint("customer")
    report = await api.ok(
        "POST",
        f"/api/v1/reviews/{abusive['id']}/report",
        reporter,
        status=202,
        json={"reason": "Phone number"},
    )
    assert report["review_id"] == abusive["id"]
    # The same person again counts once; a maker may report too.
    await api.ok(
        "POST", f"/api/v1/reviews/{abusive['id']}/report", reporter, status=202, json={"reason": "Again"}
    )
    await api.ok(
        "POST",
        f"/api/v1/reviews/{abusive['id']}/report",
        api.mint("maker"),
        status=202,
        json={"reason": "Spam"},
    )
    assert (
        await api.call("POST", f"/api/v1/reviews/{abusive['id']}/report", json={"reason": "x"})
    ).status == 401
    missing = await api.call("POST", f"/api/v1/reviews/{uuid.uuid4()}/report", reporter, json={"reason": "x"})
    assert missing.status == 404

    assert (await api.call("GET", "/api/v1/reviews/reported", reporter)).status == 403
    queue = await api.ok("GET", "/api/v1/reviews/reported?limit=100", operator)
    [queued] = [r for r in queue["items"] if r["id"] == abusive["id"]]
    assert queued["report_count"] == 2 and [r["reason"] for r in queued["reports"]] == [
        "Phone number",
        "Spam",
    ]
    assert all(r["id"] != kept["id"] for r in queue["items"])

    hide_path = f"/api/v1/reviews/{abusive['id']}/hide"
    assert (await api.call("POST", hide_path, token, json={"reason": "mine"})).status == 403
    assert (await api.call("POST", hide_path, operator, json={"reason": ""})).status == 422
    async with tap(f"{ns}.events", "reviews.#") as events:
        hidden = await api.ok("POST", hide_path, operator, json={"reason": "Personal data (a phone number)"})
        # The hiding's two events, in the order its transaction wrote them; the tap may also
        # catch the earlier reviews' events if their relay is slow.
        received = await drain(events, 2, until=lambda got: _after_hidden(got, abusive["id"]) is not None)
    assert hidden["status"] == "hidden" and hidden["hidden_reason"] == "Personal data (a phone number)"
    [gone] = [e["data"] for e in received if e["type"] == "reviews.review.hidden"]
    assert gone["reason"] == "Personal data (a phone number)" and gone["review_id"] == abusive["id"]
    ratings = _after_hidden(received, abusive["id"])
    assert ratings is not None
    assert (
        ratings["maker"]["count"] == 1 and ratings["maker"]["total"] == 4 and ratings["listing"]["count"] == 0
    )

    by_maker = await api.ok("GET", f"/api/v1/reviews?maker_id={purchase.maker_id}")
    assert [r["id"] for r in by_maker["items"]] == [kept["id"]]
    assert by_maker["rating_summary"]["average"] == 4.0 and by_maker["rating_summary"]["count"] == 1
    assert (await api.call("GET", f"/api/v1/reviews/{abusive['id']}")).status == 404
    as_operator = await api.ok("GET", f"/api/v1/reviews/{abusive['id']}", operator)
    assert as_operator["hidden_reason"] == "Personal data (a phone number)"
    queue = await api.ok("GET", "/api/v1/reviews/reported?limit=100", operator)
    assert all(r["id"] != abusive["id"] for r in queue["items"])
    row = await db.fetchrow(
        "SELECT hidden_reason, hidden_by, hidden_at FROM reviews.reviews WHERE id = $1",
        uuid.UUID(abusive["id"]),
    )
    assert row["hidden_reason"] and row["hidden_by"] is not None and row["hidden_at"] is not None

    # Hiding it again changes nothing (no second count).
    again = await api.ok("POST", hide_path, operator, json={"reason": "Again"})
    assert again["hidden_reason"] == "Personal data (a phone number)"
    assert (await api.ok("GET", f"/api/v1/reviews?maker_id={purchase.maker_id}"))["rating_summary"][
        "count"
    ] == 1


def _after_hidden(received: list[dict[str, Any]], review_id: str) -> dict[str, Any] | None:
    """The ratings change published after the review's hiding, once both have arrived."""
    hidden_at = next(
        (
            n
            for n, e in enumerate(received)
            if e["type"] == "reviews.review.hidden" and e["data"]["review_id"] == review_id
        ),
        None,
    )
    if hidden_at is None:
        return None
    return next((e["data"] for e in received[hidden_at:] if e["type"] == "reviews.ratings.changed"), None)
