"""The package's fixtures. The marketplace stack, the database pool and the world built on them
are package-scoped: started and built once for every module of the package, as they were once
for the one module these tests come from (tests/support/gateway_stack.py's `stack` and `pg`
are module-scoped, so this package has its own, from the same helpers)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.integration.test_security_api.support import World
from tests.reliability.marketplace import Shop, Stack, Traffic, eventually, piece
from tests.support.gateway_stack import confirmed_order, delivered, jsonb_pool, running_stack
from tests.support.harness import TestEnvironment


@pytest.fixture(scope="package")
def stack(services_db: dict, test_env: TestEnvironment, workdir: Path) -> Iterator[Stack]:
    """tests/support/gateway_stack.py's `stack`, for the whole package."""
    with running_stack(test_env, workdir) as stack:
        yield stack


@pytest.fixture(scope="package")
async def pg(test_env: TestEnvironment, services_db: dict) -> AsyncIterator[asyncpg.Pool]:
    """tests/support/gateway_stack.py's `pg`, for the whole package."""
    async with jsonb_pool(test_env) as pool:
        yield pool


@pytest.fixture(scope="package")
async def world(stack: Stack, pg: asyncpg.Pool, mint: Callable[..., str]) -> AsyncIterator[World]:
    async with aiohttp.ClientSession() as session:
        shop = Shop(session, stack.url("gateway"), pg, mint, Traffic())
        maker_a, maker_b = await shop.maker(), await shop.maker()
        listing_a = await shop.listing(maker_a, piece({"kind": "ready_to_ship", "stock": 20}))
        listing_b = await shop.listing(maker_b, piece({"kind": "ready_to_ship", "stock": 20}))
        draft_a = await shop.ok(
            "POST",
            "/api/v1/listings",
            maker_a.token,
            piece({"kind": "ready_to_ship", "stock": 1}, title="A draft ring"),
            status=201,
        )
        maker_c = mint("maker", uuid.uuid4())
        record_c = await shop.ok(
            "POST",
            "/api/v1/makers",
            maker_c,
            {"handle": f"draft-{uuid.uuid4().hex[:8]}", "display_name": "Draft"},
            status=201,
        )
        customer_x, customer_y = mint("customer", uuid.uuid4()), mint("customer", uuid.uuid4())

        order_x = await confirmed_order(shop, customer_x, listing_a)
        order_y = await confirmed_order(shop, customer_y, listing_b)
        commission_x = await shop.ok(
            "POST",
            "/api/v1/commissions",
            customer_x,
            {
                "maker_id": maker_a.id,
                "brief": "A wedding band",
                "deadline": "2099-01-01",
                "budget": {"amount": 50000, "currency": "GBP"},
            },
            status=201,
        )
        conversation_x = await shop.ok(
            "POST",
            "/api/v1/conversations",
            customer_x,
            {"order_id": order_x["id"], "body": "When will my ring be ready?"},
            status=201,
        )
        [mo_y] = order_y["maker_orders"]
        await delivered(shop, maker_b.token, mo_y["id"])
        review = {"maker_order_id": mo_y["id"], "listing_id": listing_b["id"], "rating": 4, "title": "Good"}

        async def reviewed() -> Any:
            async with session.post(
                f"{shop.gateway_url}/api/v1/reviews",
                json=review,
                headers={"Authorization": f"Bearer {customer_y}", "X-Forwarded-For": "10.9.9.9"},
            ) as r:
                return await r.json() if r.status == 201 else None

        review_y = await eventually(reviewed, message="reviews learnt order Y was delivered")
        yield World(
            shop,
            shop.admin,
            maker_a,
            maker_b,
            record_c["id"],
            maker_c,
            customer_x,
            customer_y,
            shop.operator_token,
            listing_a,
            draft_a,
            listing_b,
            order_x,
            order_y,
            commission_x,
            conversation_x=conversation_x,
            review_y=review_y,
        )
