"""The whole marketplace behind its gateway, for the integration tests that go through it: the
stack (one process a service, small pools), a pool on the test database that reads jsonb, and a
customer's order of a piece taken through the public API to confirmed and to delivered."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.reliability.marketplace import ADDRESS, PASSING_CHECKS, Shop, Stack, running
from tests.support.harness import TestEnvironment, eventually, reads_jsonb

# Every order here is of one ring in this size, and the maker measures it so.
RING_SIZE_MM = 52


@contextmanager
def running_stack(test_env: TestEnvironment, workdir: Path) -> Iterator[Stack]:
    """The stack, running until the block ends (the `stack` fixture's, for a fixture of
    another scope)."""
    with running(
        Stack(test_env.env, workdir, split=(), MARKET_PG_POOL_MIN="1", MARKET_PG_POOL_MAX="4")
    ) as stack:
        yield stack


@asynccontextmanager
async def jsonb_pool(test_env: TestEnvironment) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test database that reads jsonb, open until the block ends (the `pg`
    fixture's, for a fixture of another scope)."""

    pool = await asyncpg.create_pool(
        f"postgresql://postgres@127.0.0.1:5432/{test_env.database}", min_size=1, max_size=3, init=reads_jsonb
    )
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture(scope="module")
def stack(services_db: dict, test_env: TestEnvironment, workdir: Path) -> Iterator[Stack]:
    with running_stack(test_env, workdir) as stack:
        yield stack


@pytest.fixture(scope="module")
async def pg(test_env: TestEnvironment, services_db: dict) -> AsyncIterator[asyncpg.Pool]:
    async with jsonb_pool(test_env) as pool:
        yield pool


async def confirmed_order(shop: Shop, customer: str, listing: dict[str, Any]) -> dict[str, Any]:
    """The customer's order of one of the piece, once orders has confirmed it."""
    placed = await shop.ok(
        "POST",
        "/api/v1/orders",
        customer,
        {
            "lines": [
                {"listing_id": listing["id"], "quantity": 1, "options": {"ring_size_mm": RING_SIZE_MM}}
            ],
            "shipping_address": ADDRESS,
            "payment": {"token": "tok_visa"},
        },
        status=201,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )

    async def confirmed() -> Any:
        current = await shop.ok("GET", f"/api/v1/orders/{placed['id']}", customer)
        return current if current["status"] == "confirmed" else None

    order: dict[str, Any] = await eventually(confirmed, message="order confirmed")
    return order


async def delivered(shop: Shop, maker_token: str, maker_order_id: str) -> None:
    """The maker order accepted, inspected, dispatched by its maker and delivered."""
    path = f"/api/v1/maker-orders/{maker_order_id}"
    await shop.ok("POST", f"{path}/accept", maker_token)
    checks = {**PASSING_CHECKS, "measured_ring_size_mm": RING_SIZE_MM}
    await shop.ok("POST", f"{path}/quality-check", maker_token, {"passed": True, "checks": checks})
    await shop.ok("POST", f"{path}/dispatch", maker_token, {"carrier": "RM", "tracking_number": "1"})
    await shop.ok("POST", f"{path}/deliver", shop.operator_token)
