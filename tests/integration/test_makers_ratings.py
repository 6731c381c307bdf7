"""A maker's rating in the makers service, against the real makers process, PostgreSQL and
RabbitMQ: the reviews service's `reviews.ratings.changed` (published here on the broker as reviews
publishes it) reaches the maker's public view within seconds, rounded half up to two decimals;
a late (lower version) or repeated summary changes nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from shared.contracts.reviews import RatingsChanged, RatingSummary
from tests.integration.test_makers_api.support import Api, api  # noqa: F401 — a fixture
from tests.support.catalogue import publish
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.waits import consumed

pytestmark = pytest.mark.timeout(120)

# A rating reaches the maker's view this soon after reviews publishes it (the broker and the inbox).
WITHIN_S = 5.0


@pytest.fixture(scope="module")
def makers(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    """This module's makers process (the test_makers_api package starts one of its own)."""
    return service_processes("makers")


def summary(ratings: list[int], version: int) -> RatingSummary:
    return RatingSummary(
        count=len(ratings),
        total=sum(ratings),
        histogram={str(stars): ratings.count(stars) for stars in range(1, 6)},
        version=version,
    )


async def send(namespace: str, db: asyncpg.Connection, maker_id: str, maker: RatingSummary) -> None:
    """Publish a reviews.ratings.changed as reviews would, and wait until makers committed it."""
    listing_id = uuid.uuid4()
    event = RatingsChanged(
        listing_id=listing_id, maker_id=uuid.UUID(maker_id), listing=summary([4], 1), maker=maker
    )
    sent = await publish(namespace, event, "reviews", listing_id, 1)
    await eventually(lambda: consumed(db, "makers", sent.event_id), timeout_s=15, message="ratings handled")


async def test_a_rating_reaches_the_maker_and_a_late_one_changes_nothing(
    api: Api,
    makers: ServiceProcess,
    db: asyncpg.Connection,
    test_env: Environment,
) -> None:
    owner, record = await api.maker_in("approved")
    handle, maker_id = record["handle"], record["id"]
    public = await api.ok("GET", f"/api/v1/makers/by-handle/{handle}")
    assert public["rating"] == {"average": None, "count": 0}
    assert record["rating"] == {"average": None, "count": 0}

    # 5, 4, 4: 4.333… shown as 4.33; 5, 4, 4, 4, 4, 4 would be 4.1666… → 4.17 (half up).
    started = time.monotonic()
    await send(test_env.namespace, db, maker_id, summary([5, 4, 4], 3))

    async def shown() -> dict[str, Any]:
        return (await api.ok("GET", f"/api/v1/makers/by-handle/{handle}"))["rating"]

    assert await shown() == {"average": 4.33, "count": 3}
    assert time.monotonic() - started < WITHIN_S
    await send(test_env.namespace, db, maker_id, summary([5, 4, 4, 4, 4, 4], 5))
    assert await shown() == {"average": 4.17, "count": 6}

    # A late summary (lower version) and a repeated one (same version) change nothing; each is
    # waited for through the makers inbox, so "nothing" is observed after it was handled.
    await send(test_env.namespace, db, maker_id, summary([1], 4))
    await send(test_env.namespace, db, maker_id, summary([1, 1], 5))
    assert await shown() == {"average": 4.17, "count": 6}
    assert (await api.ok("GET", f"/api/v1/makers/{maker_id}"))["rating"] == {"average": 4.17, "count": 6}
    assert (await api.ok("GET", f"/api/v1/makers/{maker_id}", owner))["rating"] == {
        "average": 4.17,
        "count": 6,
    }
    directory = await api.ok("GET", "/api/v1/makers?limit=100")
    while not any(item["id"] == maker_id for item in directory["items"]) and directory["next_cursor"]:
        directory = await api.ok("GET", f"/api/v1/makers?limit=100&cursor={directory['next_cursor']}")
    [listed] = [item for item in directory["items"] if item["id"] == maker_id]
    assert listed["rating"] == {"average": 4.17, "count": 6}
