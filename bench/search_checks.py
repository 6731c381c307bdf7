"""The search benchmark's checks beside speed: quality against SQL truth, and freshness.

Quality: for the 20 broad queries of `search_queries.BROAD`, the total and every facet count the
catalogue reports equal the SQL truth (bench/bare_search.py `truth`, over the same visible
listings, a word of the synonyms file asked with its group: "necklace" finds chains); and the
one listing with `RARE_WORD` in its title, the oldest of all, is on page one of
`sort=relevance` although thousands of newer listings carry the word in their descriptions.

Freshness: a maker publishes a listing over HTTP (draft, then publish); the seconds from the
publish's 200 to the first search answer that shows it, polled every 10 ms.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aiohttp

from bench import bare_search
from bench.scale import Stack
from bench.search_queries import BROAD, path
from bench.vocabulary import RARE_WORD

POLL_S = 0.01
FRESHNESS_DEADLINE_S = 30.0


def total_of(body: dict[str, Any]) -> int:
    """The total of a search answer (a number, or an object with its count)."""
    total = body["total"]
    return int(total["count"] if isinstance(total, dict) else total)


def facets_of(body: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {
        name: {f["value"]: f["count"] for f in values if f["count"]}
        for name, values in body.get("facets", {}).items()
        if name in bare_search.FACETS
    }


async def quality(url: str, stack: Stack) -> tuple[int, list[str], bool, int]:
    """How many broad queries match SQL truth exactly, what differed (first few), whether the
    rare title match is on page one, and how many newer listings match its word."""
    exact, differences = 0, list[str]()
    async with aiohttp.ClientSession() as session:
        for params in BROAD:
            async with session.get(url + path(params)) as response:
                assert response.status == 200, await response.text()
                body = await response.json()
            total, facets = await bare_search.truth(stack.admin, _with_synonyms(params))
            facets = {name: values for name, values in facets.items() if values}
            got = {name: values for name, values in facets_of(body).items() if values}
            if total_of(body) == total and got == facets:
                exact += 1
            elif len(differences) < 3:
                differences.append(f"{params}: total {total_of(body)} vs {total}")
        async with session.get(url + path({"q": RARE_WORD, "sort": "relevance"})) as response:
            body = await response.json()
    rare = stack.loader.rare_listing_id
    on_page_one = any(item["id"] == rare for item in body["items"])
    newer, _ = await bare_search.truth(stack.admin, {"q": RARE_WORD})
    return exact, differences, on_page_one, newer - 1


def _with_synonyms(params: dict[str, Any]) -> dict[str, str]:
    """The query string with its words, when they are a phrase of the engine's synonyms file,
    asked as any phrase of their group (websearch syntax: `"a b" OR "c"`), as the engine does."""
    from services.catalogue.search.synonyms import load, words

    asked = {k: str(v) for k, v in params.items()}
    group = load().get(tuple(words(asked.get("q", ""))))
    if group:
        asked["q"] = " OR ".join(f'"{" ".join(phrase)}"' for phrase in group)
    return asked


async def freshness(url: str, stack: Stack, count: int) -> list[float]:
    """Seconds from each of `count` publishes (HTTP 200) to its first appearance in search."""
    from bench.vocabulary import template_body
    from shared.db import create_pool
    from tests.support.catalogue import approved_maker, claim

    pool = await create_pool(stack.catalogue_settings.model_copy(update={"pg_pool_min": 1, "pg_pool_max": 1}))
    try:
        maker = await approved_maker(pool, [claim("fairmined"), claim("recycled"), claim("fairtrade")])
    finally:
        await pool.close()
    token = stack.env.token_issuer().issue(maker.user_id, "maker", email_verified=True)
    headers = {"Authorization": f"Bearer {token}"}
    seconds = []
    async with aiohttp.ClientSession(headers=headers) as session:
        for k in range(count):
            word = f"fresh{uuid.uuid4().hex[:12]}"
            body = template_body(k, [str(maker.photo_id)])
            body["title"] = f"{body['title'][:100]} {word}"
            async with session.post(url + "/api/v1/listings", json=body) as response:
                assert response.status == 201, await response.text()
                listing_id = (await response.json())["id"]
            async with session.post(url + f"/api/v1/listings/{listing_id}/publish") as response:
                assert response.status == 200, await response.text()
            published = time.perf_counter()
            seconds.append(await _until_found(session, url + path({"q": word}), listing_id, published))
    return seconds


async def _until_found(session: aiohttp.ClientSession, search: str, listing_id: str, since: float) -> float:
    while time.perf_counter() - since < FRESHNESS_DEADLINE_S:
        async with session.get(search) as response:
            body = await response.json()
        if any(item["id"] == listing_id for item in body.get("items", [])):
            return time.perf_counter() - since
        await asyncio.sleep(POLL_S)
    raise RuntimeError(f"listing {listing_id} not searchable {FRESHNESS_DEADLINE_S:.0f} s after its publish")
