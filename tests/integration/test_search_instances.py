"""Search across catalogue API instances, each with its own index on its own disk: two instances
give the same answers; a change is searchable on both within a second; an instance stopped while
listings are published catches up when it starts again; paging never repeats or skips while
listings are published.

Listings are written through the catalogue's own code (`add_listing`: domain, search row and
change sequence in one transaction, as the API does). Every wait is a poll of the search
endpoint with a deadline (`eventually`), never a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from tests.support.catalogue import (
    TestMaker,
    add_listing,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    every_page,
    ring,
    search_client,
)
from tests.support.harness import ServiceProcess, eventually

pytestmark = pytest.mark.timeout(180)

INDEX_DIR_VAR = "MARKET_SEARCH_INDEX_DIR"
FRESH_S = 1.0  # a change is searchable on every instance within a second


def a_word(prefix: str) -> str:
    """A word of letters only, found in nothing else (no digits for the tokenizer to split)."""
    return prefix + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


@pytest.fixture(scope="module")
def instances(
    services_db: dict,
    service_processes: Callable[..., ServiceProcess],
    tmp_path_factory: pytest.TempPathFactory,
) -> list[ServiceProcess]:
    """Two catalogue instances, each with its own index directory: one runs everything, the
    other serves the API only."""
    root = tmp_path_factory.mktemp("search-indexes")
    return [
        service_processes("catalogue", role=role, **{INDEX_DIR_VAR: str(root / role)})
        for role in ("all", "api")
    ]


Get = Callable[..., Awaitable[Any]]


@pytest.fixture
async def clients(instances: list[ServiceProcess]) -> AsyncIterator[list[Get]]:
    """A search client (`get(**params)`) of each instance, in the order of `instances`."""
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(search_client(instance.url)) for instance in instances]


def total(body: dict[str, Any]) -> int:
    return int(body["total"]["count"])


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


def answer(body: dict[str, Any]) -> tuple[Any, ...]:
    """What two instances must agree on: the page, the total, the facets, more or not."""
    return ids(body), total(body), body["facets"], body["next_cursor"] is not None


def body_for(word: str, rng: random.Random) -> dict[str, Any]:
    metal = rng.choice([("silver", 925, 9.5), ("gold", 750, 4.0)])
    return ring(
        title=f"{word} {rng.choice(['signet', 'band', 'stacking'])} ring",
        description=rng.choice(["Hammered by hand.", f"A {word} piece, polished.", "Cast and polished."]),
        price={"amount": rng.choice([9000, 12500, 15000, 20000]), "currency": "GBP"},
        metals=[{"metal": metal[0], "fineness": metal[1], "weight_g": metal[2]}],
    )


async def found_everywhere(clients: list[Get], word: str, expected: int) -> list[dict[str, Any]] | None:
    bodies = [await get(q=word, sort="newest", limit=100) for get in clients]
    return bodies if all(total(body) == expected for body in bodies) else None


async def test_two_instances_give_the_same_answers(clients: list[Get], catalogue_pool: asyncpg.Pool) -> None:
    maker = await approved_maker(catalogue_pool)
    word, rng = a_word("ag"), random.Random(1)
    for _ in range(30):
        await add_listing(catalogue_pool, maker, body_for(word, rng))
    await eventually(lambda: found_everywhere(clients, word, 30), 10, message="30 on both")
    for params in (
        {"q": word},
        {"q": word, "sort": "newest", "limit": 7},
        {"q": word, "sort": "price_asc", "metal": "gold"},
        {"q": word, "sort": "price_desc", "limit": 5},
        {"q": f"{word} hammered"},
        {"maker_id": str(maker.maker_id), "sort": "newest"},
    ):
        first, second = [await get(**params) for get in clients]
        assert answer(first) == answer(second), params


async def test_a_change_is_searchable_on_every_instance_within_a_second(
    clients: list[Get], catalogue_pool: asyncpg.Pool
) -> None:
    maker = await approved_maker(catalogue_pool)
    rng = random.Random(2)
    for _ in range(10):
        word = a_word("fr")
        listing = await add_listing(catalogue_pool, maker, body_for(word, rng))
        committed = time.monotonic()
        for n, get in enumerate(clients):

            async def shown(get: Get = get, word: str = word, id: str = str(listing.id)) -> bool:
                return ids(await get(q=word)) == [id]

            remaining = FRESH_S - (time.monotonic() - committed)
            await eventually(shown, max(remaining, 0.05), 0.02, f"{word} on instance {n}")


async def test_an_instance_restarted_mid_stream_catches_up(
    instances: list[ServiceProcess], clients: list[Get], catalogue_pool: asyncpg.Pool
) -> None:
    maker = await approved_maker(catalogue_pool)
    word, rng = a_word("cu"), random.Random(3)
    restarted = instances[1]
    stop_publishing = asyncio.Event()
    published = 0

    async def publish() -> None:
        nonlocal published
        while not stop_publishing.is_set() or published < 40:
            await add_listing(catalogue_pool, maker, body_for(word, rng))
            published += 1

    publisher = asyncio.create_task(publish())
    try:
        await eventually(lambda: asyncio.sleep(0, published >= 10), 30, message="publishing under way")
        built_before = restarted.logs().count('"search_index_built"')
        await asyncio.to_thread(restarted.stop)
        before_restart = published
        await eventually(
            lambda: asyncio.sleep(0, published >= before_restart + 10), 30, message="published meanwhile"
        )
        await asyncio.to_thread(restarted.start)  # ready once caught up from its index's watermark
        stop_publishing.set()
    finally:
        await publisher
    # It opened the index it had and caught up from its watermark: no rebuild.
    assert restarted.logs().count('"search_index_built"') == built_before
    assert restarted.logs().count('"search_index_opened"') == 1
    bodies = await eventually(
        lambda: found_everywhere(clients, word, published), 10, message=f"{published} on both"
    )
    assert answer(bodies[0]) == answer(bodies[1])


@pytest.mark.parametrize("sort", ["relevance", "newest", "price_asc"])
async def test_paging_never_repeats_or_skips_while_listings_are_published(
    clients: list[Get], catalogue_pool: asyncpg.Pool, sort: str
) -> None:
    maker = await approved_maker(catalogue_pool)
    word, rng = a_word("pg"), random.Random(sort)
    existing = {str((await add_listing(catalogue_pool, maker, body_for(word, rng))).id) for _ in range(25)}
    await eventually(lambda: found_everywhere(clients, word, 25), 10, message="25 on both")
    paging_done = asyncio.Event()

    async def publish(other: TestMaker) -> int:
        count = 0
        while not paging_done.is_set():
            await add_listing(catalogue_pool, other, body_for(word, rng))
            count += 1
            await asyncio.sleep(0.02)  # a pace, not a wait: a few listings per page walked
        return count

    publisher = asyncio.create_task(publish(maker))
    try:
        for n, get in enumerate(clients):
            seen = ids({"items": await every_page(get, q=word, sort=sort, limit=4)})
            assert len(seen) == len(set(seen)), f"instance {n}: a listing was shown twice"
            assert existing <= set(seen), f"instance {n}: a listing that existed from the start was skipped"
    finally:
        paging_done.set()
        published = await publisher
    assert published > 0, "nothing was published while paging"
