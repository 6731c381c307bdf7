"""Ratings end to end, every service running behind the gateway: two customers receive a piece
and review it through the reviews service; its rating reaches the listing, its maker and search
within seconds; an operator hides one review and the rating follows within seconds again.
(test_catalogue_ratings.py holds the catalogue's side alone, with the events sent by hand.)"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.reliability.marketplace import Shop, Stack, Traffic, eventually, piece
from tests.support.catalogue import unique_word
from tests.support.gateway_stack import confirmed_order, delivered, pg, stack  # noqa: F401 (fixtures)

pytestmark = pytest.mark.timeout(240)

WITHIN_S = 5.0


async def test_reviews_and_a_hiding_reach_the_listing_its_maker_and_search_within_seconds(
    stack: Stack, pg: asyncpg.Pool, mint: Callable[..., str]
) -> None:
    async with aiohttp.ClientSession() as session:
        shop = Shop(session, stack.url("gateway"), pg, mint, Traffic())
        maker = await shop.maker()
        word = unique_word("reviewed")
        listing = await shop.listing(
            maker, piece({"kind": "ready_to_ship", "stock": 5}, title=f"Reviewed band {word}")
        )
        ada, bea = mint("customer", uuid.uuid4()), mint("customer", uuid.uuid4())
        parts = {}
        for who in (ada, bea):
            [part] = (await confirmed_order(shop, who, listing))["maker_orders"]
            await delivered(shop, maker.token, part["id"])
            parts[who] = part["id"]

        async def review(who: str, rating: int) -> dict[str, Any]:
            body = {
                "maker_order_id": parts[who],
                "listing_id": listing["id"],
                "rating": rating,
                "title": "Mine",
            }

            async def written() -> Any:
                status, answer = await shop.admin.call("POST", "/api/v1/reviews", who, json_body=body)
                return answer if status == 201 else None

            return await eventually(written, timeout_s=30, message="reviews learnt of the delivery")

        async def shown(average: float, count: int) -> float:
            """Seconds until the listing, its maker and search all show this rating."""
            started = time.monotonic()

            async def everywhere() -> bool:
                seen = await shop.ok("GET", f"/api/v1/listings/{listing['id']}", None)
                found = await shop.ok("GET", f"/api/v1/listings?q={word}&min_rating={average}", None)
                higher = f"/api/v1/listings?q={word}&min_rating={average + 0.01}"
                above = await shop.ok("GET", higher, None) if average < 5 else {"total": {"count": 0}}
                return (
                    seen["rating"] == {"average": average, "count": count}
                    and seen["maker"]["rating"] == {"average": average, "count": count}
                    and [item["rating"] for item in found["items"]] == [{"average": average, "count": count}]
                    and above["total"]["count"] == 0
                )

            await eventually(everywhere, timeout_s=WITHIN_S * 3, message=f"rating {average} ({count})")
            return time.monotonic() - started

        await review(ada, 5)
        await review(bea, 2)
        assert await shown(3.5, 2) < WITHIN_S

        # Ada's 5 stays, Bea's 2 is hidden by an operator: the rating rises to 5.
        [mine] = (await shop.ok("GET", "/api/v1/reviews/mine", bea))["items"]
        await shop.ok("POST", f"/api/v1/reviews/{mine['id']}/hide", shop.operator_token, {"reason": "Abuse"})
        assert await shown(5.0, 1) < WITHIN_S
        ranked = await shop.ok("GET", f"/api/v1/listings?q={word}&sort=rating", None)
        assert [item["id"] for item in ranked["items"]] == [listing["id"]]
