"""Ratings in the catalogue, against the real catalogue process, PostgreSQL and RabbitMQ: the
reviews service's `reviews.ratings.changed` events (published here on the broker as reviews
publishes them) reach the listing, its maker and search within seconds; a hidden review's lower
summary lowers them; a repeated or late summary changes nothing; `sort=rating` and `min_rating`
answer exactly what SQL over the kept summaries says."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
import pytest

from shared.contracts import Envelope
from shared.contracts.reviews import RatingsChanged, RatingSummary
from tests.support.broker import publish_raw
from tests.support.catalogue import (
    TestMaker,
    add_listing,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    client,  # noqa: F401 — a fixture
    every_page,
    publish,
    ring,
    searchable,
    service,  # noqa: F401 — a fixture
    unique_word,
)
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.waits import busy_connections, consumed

pytestmark = pytest.mark.timeout(120)

# A rating reaches the listing, its maker and search this soon after reviews publishes it (the
# search index follows the listing's row within a second; the rest is the broker and the inbox).
WITHIN_S = 5.0


def summary(ratings: list[int], version: int) -> RatingSummary:
    return RatingSummary(
        count=len(ratings),
        total=sum(ratings),
        histogram={str(stars): ratings.count(stars) for stars in range(1, 6)},
        version=version,
    )


def average(ratings: list[int]) -> float | None:
    if not ratings:
        return None
    return float((Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


async def send(
    namespace: str,
    pool: asyncpg.Pool,
    listing_id: uuid.UUID,
    maker: TestMaker,
    listing: RatingSummary,
    maker_summary: RatingSummary,
    *,
    wait: bool = True,
) -> Envelope:
    """Publish a reviews.ratings.changed as reviews would, and (`wait`) until the catalogue's
    consumer has committed it."""
    event = RatingsChanged(
        listing_id=listing_id, maker_id=maker.maker_id, listing=listing, maker=maker_summary
    )
    sent = await publish(namespace, event, "reviews", listing_id, listing.version)
    if wait:
        await eventually(
            lambda: consumed(pool, "catalogue", sent.event_id), timeout_s=15, message="ratings handled"
        )
    return sent


def rating_of(view: dict[str, Any]) -> tuple[float | None, int]:
    return view["rating"]["average"], view["rating"]["count"]


@pytest.fixture
async def maker(catalogue_pool: asyncpg.Pool) -> TestMaker:
    return await approved_maker(catalogue_pool)


async def test_a_rating_reaches_the_listing_its_maker_and_search_within_seconds(
    catalogue_pool: asyncpg.Pool,
    service: ServiceProcess,
    client: Callable[..., Any],
    maker: TestMaker,
    test_env: Environment,
) -> None:
    word = unique_word("rated")
    listing = await add_listing(catalogue_pool, maker, ring(title=f"Rated signet ring {word}"))
    other = await add_listing(catalogue_pool, maker, ring(title=f"Unrated signet ring {word}"))
    await searchable(service.url)
    before = await client(path=f"/{listing.id}")
    assert (before["rating"], before["maker"]["rating"]) == ({"average": None, "count": 0},) * 2
    assert before["favourite_count"] == 0

    started = time.monotonic()
    await send(
        test_env.namespace,
        catalogue_pool,
        listing.id,
        maker,
        summary([5, 4], 1),
        summary([5, 4, 3], 1),
        wait=False,
    )

    async def found_by_rating() -> Any:
        page = await client(q=word, min_rating=4.5)
        return page if page["total"]["count"] == 1 else None

    page = await eventually(found_by_rating, timeout_s=WITHIN_S, message="the rating searchable")
    shown = await client(path=f"/{listing.id}")
    assert time.monotonic() - started < WITHIN_S
    assert rating_of(shown) == (4.5, 2)
    assert rating_of(shown["maker"]) == (4.0, 3)
    [item] = page["items"]
    assert (item["id"], rating_of(item), rating_of(item["maker"])) == (str(listing.id), (4.5, 2), (4.0, 3))
    # The maker's rating is on every one of their listings; the other listing has none of its own.
    unrated = await client(path=f"/{other.id}")
    assert (rating_of(unrated), rating_of(unrated["maker"])) == ((None, 0), (4.0, 3))
    ranked = await client(q=word, sort="rating")
    assert [i["id"] for i in ranked["items"]] == [str(listing.id), str(other.id)]


async def test_a_hidden_review_lowers_the_rating_in_the_listing_and_search(
    catalogue_pool: asyncpg.Pool,
    service: ServiceProcess,
    client: Callable[..., Any],
    maker: TestMaker,
    test_env: Environment,
) -> None:
    word = unique_word("hidden")
    listing = await add_listing(catalogue_pool, maker, ring(title=f"Moderated ring {word}"))
    await send(
        test_env.namespace, catalogue_pool, listing.id, maker, summary([5, 5, 1], 3), summary([5, 5, 1], 7)
    )
    await searchable(service.url)
    assert (await client(q=word, min_rating=3.67))["total"]["count"] == 1

    # An operator hid the 5: reviews sends the summaries without it.
    started = time.monotonic()
    await send(
        test_env.namespace,
        catalogue_pool,
        listing.id,
        maker,
        summary([5, 1], 4),
        summary([5, 1], 8),
        wait=False,
    )

    async def lowered() -> bool:
        return (await client(q=word, min_rating=3.67))["total"]["count"] == 0

    await eventually(lowered, timeout_s=WITHIN_S, message="the lower rating searchable")
    shown = await client(path=f"/{listing.id}")
    assert time.monotonic() - started < WITHIN_S
    assert (rating_of(shown), rating_of(shown["maker"])) == ((3.0, 2), (3.0, 2))
    [item] = (await client(q=word, min_rating=3))["items"]
    assert rating_of(item) == (3.0, 2)

    # Every review hidden: no rating at all, and search holds it as unrated.
    await send(test_env.namespace, catalogue_pool, listing.id, maker, summary([], 5), summary([], 9))
    await searchable(service.url)
    shown = await client(path=f"/{listing.id}")
    assert (shown["rating"], shown["maker"]["rating"]) == ({"average": None, "count": 0},) * 2
    assert (await client(q=word, min_rating=0.01))["total"]["count"] == 0


async def test_a_repeated_or_late_summary_changes_nothing(
    catalogue_pool: asyncpg.Pool,
    service: ServiceProcess,
    client: Callable[..., Any],
    maker: TestMaker,
    test_env: Environment,
    db: asyncpg.Connection,
) -> None:
    word = unique_word("late")
    listing = await add_listing(catalogue_pool, maker, ring(title=f"Late ring {word}"))
    newest = await send(
        test_env.namespace,
        catalogue_pool,
        listing.id,
        maker,
        summary([4, 4, 2], 6),
        summary([4, 4, 2, 1], 11),
    )
    stamped = await catalogue_pool.fetchval(
        "SELECT changed_xid::text FROM listing_search WHERE listing_id = $1", listing.id
    )

    # Older summaries arriving late (reviews published them before), one of the same version,
    # and the newest event again (the same event id: a redelivery).
    await send(test_env.namespace, catalogue_pool, listing.id, maker, summary([5], 5), summary([5], 10))
    await send(test_env.namespace, catalogue_pool, listing.id, maker, summary([5, 5, 5], 6), summary([1], 2))
    await publish_raw(
        f"{test_env.namespace}.events",
        newest.routing_key,
        newest.model_dump_json().encode(),
        message_id=str(newest.event_id),
    )
    # Once an event published after the copy is handled and the consumer is idle, the copy was
    # handled (dropped by the inbox) too.
    await send(test_env.namespace, catalogue_pool, uuid.uuid4(), maker, summary([3], 1), summary([1], 1))

    async def idle() -> bool:
        return await busy_connections(db, test_env.namespace, "catalogue") == 0

    await eventually(idle, timeout_s=15, message="no catalogue transaction in flight")

    shown = await client(path=f"/{listing.id}")
    assert rating_of(shown) == (3.33, 3)
    assert rating_of(shown["maker"]) == (2.75, 4)
    kept = await catalogue_pool.fetch(
        "SELECT subject, count, total, version, histogram FROM ratings WHERE subject_id = ANY($1::uuid[]) "
        "ORDER BY subject",
        [listing.id, maker.maker_id],
    )
    assert [(r["subject"], r["count"], r["total"], r["version"]) for r in kept] == [
        ("listing", 3, 10, 6),
        ("maker", 4, 11, 11),
    ]
    assert kept[0]["histogram"] == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 0}
    # Nothing that changed nothing moved the search row up the change sequence.
    assert (
        await catalogue_pool.fetchval(
            "SELECT changed_xid::text FROM listing_search WHERE listing_id = $1", listing.id
        )
        == stamped
    )


async def test_sort_by_rating_and_min_rating_are_exact_against_sql(
    catalogue_pool: asyncpg.Pool,
    service: ServiceProcess,
    client: Callable[..., Any],
    maker: TestMaker,
    test_env: Environment,
) -> None:
    rng = random.Random(19)
    word = unique_word("ranked")
    listings = [
        await add_listing(catalogue_pool, maker, ring(title=f"Ranked ring {n} {word}")) for n in range(14)
    ]
    # Ties on purpose: equal averages with different counts, and equal average and count.
    chosen = [[5], [5], [5, 5], [4, 5], [5, 4], [3, 4, 4], [4, 4, 3], [1], [2, 3], [1, 2, 2, 5], [], [4], [3]]
    chosen += [
        [rng.randint(1, 5) for _ in range(rng.randint(1, 6))] for _ in range(len(listings) - len(chosen))
    ]
    for version, (listing, ratings) in enumerate(zip(listings, chosen, strict=True), start=1):
        if ratings:
            await send(
                test_env.namespace,
                catalogue_pool,
                listing.id,
                maker,
                summary(ratings, 1),
                summary([5] * version, version),
            )
    await searchable(service.url)

    ids = [listing.id for listing in listings]
    truth = await catalogue_pool.fetch(
        "SELECT l.id, coalesce(round(r.total::numeric / r.count, 2), 0) AS average, "
        "coalesce(r.count, 0) AS count "
        "FROM listings l LEFT JOIN ratings r ON r.subject = 'listing' AND r.subject_id = l.id "
        "AND r.count > 0 WHERE l.id = ANY($1::uuid[])",
        ids,
    )
    tie = {row["id"]: row["id"].int & (2**30 - 1) for row in truth}
    expected = sorted(truth, key=lambda r: (r["average"], r["count"], tie[r["id"]]), reverse=True)
    for limit in (3, 100):
        items = await every_page(client, q=word, sort="rating", limit=limit)
        assert [item["id"] for item in items] == [str(row["id"]) for row in expected]
        for item, row in zip(items, expected, strict=True):
            assert rating_of(item) == (float(row["average"]) if row["count"] else None, row["count"])

    for threshold in ("0", "1", "2.5", "3.67", "4", "4.5", "5"):
        wanted = {str(row["id"]) for row in truth if row["average"] >= Decimal(threshold)}
        page = await client(q=word, min_rating=threshold, limit=100)
        assert page["total"]["count"] == len(wanted), threshold
        assert {item["id"] for item in page["items"]} == wanted, threshold
        assert all(
            item["rating"]["average"] is None or item["rating"]["average"] >= float(threshold)
            for item in page["items"]
        )
    # With another sort, the filter still holds; with rating, the best comes first.
    best = await client(q=word, min_rating=4.5, sort="price_asc", limit=100)
    assert {i["id"] for i in best["items"]} == {str(r["id"]) for r in truth if r["average"] >= Decimal("4.5")}
