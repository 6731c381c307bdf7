"""Full-text search over HTTP against the real catalogue process and its search index: English
stemming, web-search syntax, typos forgiven, jewellery synonyms, did_you_mean, suggestions,
and relevance over every match (an old title match above many newer weak ones)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.support.catalogue import (
    TestMaker,
    add_listing,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    client,  # noqa: F401 — a fixture
    every_page,
    ring,
    searchable,
    service,  # noqa: F401 — a fixture
    unique_word,
)
from tests.support.harness import ServiceProcess

pytestmark = pytest.mark.timeout(120)


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def piece(**overrides: Any) -> dict[str, Any]:
    """A platinum ring with plain words, so each piece below is found by its own words only."""
    return ring(
        **{
            "description": "Made by hand.",
            "techniques": ["casting"],
            "style_tags": ["classic"],
            "metals": [{"metal": "platinum", "fineness": 950, "weight_g": 3.1}],
            **overrides,
        }
    )


@pytest.fixture(scope="module")
async def shop(catalogue_pool: asyncpg.Pool, service: ServiceProcess) -> dict[str, Any]:
    """One maker's pieces, each found by one word or phrase of the tests below."""
    maker = await approved_maker(catalogue_pool)
    pieces = {
        "sapphire": piece(title="Blue sapphire ring", stones=[{"type": "sapphire", "origin": "natural"}]),
        "earrings": piece(title="Hammered hoop earrings", category="earrings", options=None),
        "engagement": piece(title="Solitaire ring", occasions=["engagement"]),
        "sterling": piece(
            title="Plain band",
            metals=[{"metal": "silver", "fineness": 925, "weight_g": 9.0}],
            hallmark={"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "london"},
        ),
        "gold": piece(
            title="Signet ring",
            metals=[{"metal": "gold", "fineness": 750, "weight_g": 4.2}],
            hallmark={"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "london"},
        ),
        "lab": piece(title="Modern solitaire", stones=[{"type": "diamond", "origin": "lab_grown"}]),
        "natural": piece(title="Old cut solitaire", stones=[{"type": "diamond", "origin": "natural"}]),
    }
    made = {name: str((await add_listing(catalogue_pool, maker, body)).id) for name, body in pieces.items()}
    await searchable(service.url)
    return {"maker": maker, **made}


async def found(client: Callable[..., Any], shop: dict[str, Any], q: str) -> set[str]:
    maker: TestMaker = shop["maker"]
    return {item["id"] for item in await every_page(client, q=q, maker_id=maker.maker_id, limit=100)}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("saphire", {"sapphire"}),  # one edit in a word of 5+ letters
        ("sapphires", {"sapphire"}),  # stemming
        ("earings", {"earrings"}),  # a typo, not a synonym
        ("hammerred earings", {"earrings"}),
        ("engagement", {"engagement"}),  # an occasion
        ("sterling", {"sterling"}),  # the fineness name of silver 925
        ("silver 925", {"sterling"}),
        ("18ct", {"gold"}),
        ("18 carat gold", {"gold"}),
        ("lab diamond", {"lab"}),
        ("lab-grown diamond", {"lab"}),
        ("diamond -lab", {"natural"}),
        ('"old cut"', {"natural"}),
        ("signet or sapphire", {"gold", "sapphire"}),
    ],
)
async def test_words_typos_and_synonyms(
    client: Callable[..., Any], shop: dict[str, Any], q: str, expected: set[str]
) -> None:
    assert await found(client, shop, q) == {shop[name] for name in expected}


async def test_a_short_word_is_not_corrected_and_a_real_word_matches_only_itself(
    client: Callable[..., Any], shop: dict[str, Any]
) -> None:
    assert await found(client, shop, "rnig") == set()  # 4 letters: no typo forgiven
    # "plain" is held by a listing: it does not also match "plait" or "plan".
    assert await found(client, shop, "plain") == {shop["sterling"]}


async def test_did_you_mean_corrects_a_query_that_finds_little(
    client: Callable[..., Any], shop: dict[str, Any]
) -> None:
    page = await client(q="signet rnig")
    assert page["total"]["count"] == 0
    assert page["did_you_mean"] == "signet ring"
    assert (await client(q="signet ring"))["did_you_mean"] is None


async def test_suggest_completes_the_last_word(client: Callable[..., Any], shop: dict[str, Any]) -> None:
    assert "sapphire" in (await client(path="/suggest", q="sapph"))["suggestions"]
    completed = (await client(path="/suggest", q="blue sapph"))["suggestions"]
    assert completed == ["blue sapphire"]
    assert (await client(path="/suggest", q="zzzzqx"))["suggestions"] == []
    many = (await client(path="/suggest", q="s"))["suggestions"]
    assert 0 < len(many) <= 8
    assert (await client(422, path="/suggest"))["code"] == "validation_failed"


async def test_relevance_ranks_title_over_attributes_over_description(
    client: Callable[..., Any], catalogue_pool: asyncpg.Pool, service: ServiceProcess
) -> None:
    maker = await approved_maker(catalogue_pool)
    word = unique_word("quillon")
    in_description = await add_listing(
        catalogue_pool, maker, ring(description=f"Finished with a {word} texture.")
    )
    in_title = await add_listing(catalogue_pool, maker, ring(title=f"The {word} ring"))
    in_techniques = await add_listing(catalogue_pool, maker, ring(techniques=[word]))
    await searchable(service.url)
    page = await client(q=word)
    assert ids(page["items"]) == [str(in_title.id), str(in_techniques.id), str(in_description.id)]
    newest = await client(q=word, sort="newest")
    assert ids(newest["items"]) == [str(in_techniques.id), str(in_title.id), str(in_description.id)]


async def test_an_old_title_match_ranks_above_many_newer_weak_matches(
    client: Callable[..., Any], catalogue_pool: asyncpg.Pool, service: ServiceProcess
) -> None:
    maker = await approved_maker(catalogue_pool)
    word = unique_word("rk")
    start = datetime.now(UTC) - timedelta(days=30)
    old = await add_listing(catalogue_pool, maker, ring(title=f"The {word} ring"), now=start)
    for n in range(40):
        await add_listing(
            catalogue_pool,
            maker,
            ring(description=f"A {word} finish."),
            now=start + timedelta(days=1, minutes=n),
        )
    await searchable(service.url)
    page = await client(q=word, limit=24)
    assert page["total"]["count"] == 41
    assert page["items"][0]["id"] == str(old.id)
