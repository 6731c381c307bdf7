"""Favourites over HTTP, against the real catalogue process and PostgreSQL: a customer keeps
visible listings (idempotently, counted once however often or however concurrently), finds them
again newest first through the project's pager, sees `favourited` on listings and search
results, and lets them go; a listing nobody may see cannot be kept; other roles are refused."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.catalogue import usecases
from shared.db import UnitOfWork
from tests.support.catalogue import (
    TestMaker,
    add_listing,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    ring,
    searchable,
    service,  # noqa: F401 — a fixture
    unique_word,
)
from tests.support.harness import ServiceProcess

pytestmark = pytest.mark.timeout(120)

FAVOURITES = "/api/v1/me/favourites"


class Api:
    def __init__(self, session: aiohttp.ClientSession, url: str, mint: Callable[..., str]) -> None:
        self.session, self.url, self.mint = session, url, mint

    def customer(self) -> str:
        return self.mint("customer", uuid.uuid4())

    async def call(self, method: str, path: str, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(method, self.url + path, headers=headers) as response:
            raw = await response.read()
            if response.status >= 400:
                assert response.content_type == "application/problem+json", (path, raw)
            return response.status, await response.json(content_type=None) if raw else None

    async def keep(self, token: str, listing_id: Any) -> None:
        status, body = await self.call("PUT", f"{FAVOURITES}/{listing_id}", token)
        assert (status, body) == (204, None)

    async def let_go(self, token: str, listing_id: Any) -> None:
        status, body = await self.call("DELETE", f"{FAVOURITES}/{listing_id}", token)
        assert (status, body) == (204, None)

    async def listing(self, listing_id: Any, token: str | None = None) -> dict[str, Any]:
        status, body = await self.call("GET", f"/api/v1/listings/{listing_id}", token)
        assert status == 200, body
        return body

    async def favourites(self, token: str, limit: int = 100) -> list[dict[str, Any]]:
        """Every favourite, page after page through the cursors."""
        items: list[dict[str, Any]] = []
        cursor = ""
        while True:
            status, page = await self.call("GET", f"{FAVOURITES}?limit={limit}{cursor}", token)
            assert status == 200, page
            items += page["items"]
            if page["next_cursor"] is None:
                return items
            cursor = f"&cursor={page['next_cursor']}"


@pytest.fixture
async def api(service: ServiceProcess, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, service.url, mint)


@pytest.fixture
async def maker(catalogue_pool: asyncpg.Pool) -> TestMaker:
    return await approved_maker(catalogue_pool)


async def test_a_customer_keeps_finds_and_lets_go_of_favourites(
    api: Api, catalogue_pool: asyncpg.Pool, maker: TestMaker, mint: Callable[..., str]
) -> None:
    pieces = [await add_listing(catalogue_pool, maker, ring(title=f"Signet ring {n}")) for n in range(5)]
    ada, bea = api.customer(), api.customer()
    for piece in pieces:
        await api.keep(ada, piece.id)
    await api.keep(ada, pieces[0].id)  # again: nothing changes
    await api.keep(bea, pieces[0].id)

    # Newest favourite first, through the pager, never repeating or skipping one.
    for limit in (1, 2, 100):
        found = await api.favourites(ada, limit)
        assert [item["id"] for item in found] == [str(piece.id) for piece in reversed(pieces)], limit
    assert all(item["favourited"] is True for item in found)
    assert [item["favourite_count"] for item in found] == [1, 1, 1, 1, 2]
    assert [item["id"] for item in await api.favourites(bea)] == [str(pieces[0].id)]

    # Each person sees whether it is theirs; everyone sees how many keep it.
    first = pieces[0].id
    views = {
        "ada": await api.listing(first, ada),
        "bea": await api.listing(first, bea),
        "stranger": await api.listing(first, api.customer()),
        "anonymous": await api.listing(first),
        "maker": await api.listing(first, mint("maker", maker.user_id)),
        "operator": await api.listing(first, mint("operator")),
    }
    assert {who: view["favourited"] for who, view in views.items()} == {
        "ada": True,
        "bea": True,
        "stranger": False,
        "anonymous": None,
        "maker": None,
        "operator": None,
    }
    assert {view["favourite_count"] for view in views.values()} == {2}

    await api.let_go(ada, first)
    await api.let_go(ada, first)  # again: nothing changes
    status, problem = await api.call("DELETE", f"{FAVOURITES}/{uuid.uuid4()}", ada)
    assert (status, problem["code"]) == (404, "not_found")  # not even a listing
    assert [item["id"] for item in await api.favourites(ada)] == [str(p.id) for p in reversed(pieces[1:])]
    after = await api.listing(first, ada)
    assert (after["favourited"], after["favourite_count"]) == (False, 1)
    counted = await catalogue_pool.fetchval("SELECT count FROM favourite_counts WHERE listing_id = $1", first)
    assert counted == await catalogue_pool.fetchval(
        "SELECT count(*) FROM favourites WHERE listing_id = $1", first
    )


async def test_search_results_say_which_are_the_customers_favourites(
    api: Api, catalogue_pool: asyncpg.Pool, maker: TestMaker, service: ServiceProcess
) -> None:
    word = unique_word("fav")
    kept, other = [
        await add_listing(catalogue_pool, maker, ring(title=f"{name} ring {word}"))
        for name in ("Kept", "Other")
    ]
    ada = api.customer()
    await api.keep(ada, kept.id)
    await searchable(service.url)
    for token, expected in ((ada, {True, False}), (api.customer(), {False}), (None, {None})):
        status, page = await api.call("GET", f"/api/v1/listings?q={word}", token)
        assert status == 200
        marks = {item["id"]: item["favourited"] for item in page["items"]}
        assert set(marks.values()) == expected
        if token == ada:
            assert marks == {str(kept.id): True, str(other.id): False}
        counts = {item["id"]: item["favourite_count"] for item in page["items"]}
        assert counts == {str(kept.id): 1, str(other.id): 0}


async def test_only_a_listing_the_public_may_see_becomes_a_favourite(
    api: Api, catalogue_pool: asyncpg.Pool, maker: TestMaker
) -> None:
    ada = api.customer()
    draft = await add_listing(catalogue_pool, maker, ring(), publish=False)
    for listing_id in (uuid.uuid4(), draft.id, "not-a-uuid"):
        status, problem = await api.call("PUT", f"{FAVOURITES}/{listing_id}", ada)
        assert (status, problem["code"]) == (404, "not_found"), listing_id
    # Letting go of an id no listing ever had is missing too; of a draft, quietly nothing.
    for listing_id in (uuid.uuid4(), "not-a-uuid"):
        status, problem = await api.call("DELETE", f"{FAVOURITES}/{listing_id}", ada)
        assert (status, problem["code"]) == (404, "not_found"), listing_id
    status, _ = await api.call("DELETE", f"{FAVOURITES}/{draft.id}", ada)
    assert status == 204
    held = "SELECT count(*) FROM favourites WHERE listing_id = $1"
    assert await catalogue_pool.fetchval(held, draft.id) == 0

    # A favourite whose listing is paused leaves the list, cannot be kept anew, can be let go,
    # and comes back when the listing is shown again.
    shown = await add_listing(catalogue_pool, maker, ring())
    bea = api.customer()
    await api.keep(ada, shown.id)
    await api.keep(bea, shown.id)
    now = datetime.now(UTC)
    async with UnitOfWork(catalogue_pool, "catalogue") as uow:
        await usecases.pause_listing(uow, maker.user_id, shown.id, now)
    assert await api.favourites(ada) == []
    status, _ = await api.call("PUT", f"{FAVOURITES}/{shown.id}", ada)
    assert status == 404
    await api.let_go(bea, shown.id)
    async with UnitOfWork(catalogue_pool, "catalogue") as uow:
        await usecases.publish_listing(uow, maker.user_id, shown.id, now)
    [back] = await api.favourites(ada)
    assert (back["id"], back["favourite_count"]) == (str(shown.id), 1)
    assert await api.favourites(bea) == []


async def test_only_customers_keep_favourites(
    api: Api, catalogue_pool: asyncpg.Pool, maker: TestMaker, mint: Callable[..., str]
) -> None:
    listing = await add_listing(catalogue_pool, maker, ring())
    for method, path in (
        ("PUT", f"{FAVOURITES}/{listing.id}"),
        ("DELETE", f"{FAVOURITES}/{listing.id}"),
        ("GET", FAVOURITES),
    ):
        for token, expected in (
            (None, 401),
            (mint("maker", maker.user_id), 403),
            (mint("operator"), 403),
            ("not-a-token", 401),
        ):
            status, _ = await api.call(method, path, token)
            assert status == expected, (method, path, token, status)
    assert (await api.listing(listing.id))["favourite_count"] == 0
    status, problem = await api.call("GET", f"{FAVOURITES}?cursor=forged", api.customer())
    assert (status, problem["code"]) == (400, "invalid_cursor")


async def test_concurrent_favourites_are_counted_once_each(
    api: Api, catalogue_pool: asyncpg.Pool, maker: TestMaker
) -> None:
    listing = await add_listing(catalogue_pool, maker, ring())
    ada = api.customer()
    others = [api.customer() for _ in range(8)]
    await asyncio.gather(*(api.keep(ada, listing.id) for _ in range(8)))
    await asyncio.gather(*(api.keep(token, listing.id) for token in others))
    assert (await api.listing(listing.id))["favourite_count"] == 9
    await asyncio.gather(*(api.let_go(ada, listing.id) for _ in range(8)))
    await asyncio.gather(*(api.let_go(token, listing.id) for token in others[:4]))
    assert (await api.listing(listing.id))["favourite_count"] == 4
    held = "SELECT count(*) FROM favourites WHERE listing_id = $1"
    assert await catalogue_pool.fetchval(held, listing.id) == 4
