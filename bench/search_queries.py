"""The queries of `search.varied`: what shoppers type and click, in the catalogue's vocabulary
(bench/vocabulary.py), so each matches a realistic and different share of the catalogue.

Words, phrases, typos, synonyms and fineness names, combined (seeded) with the storefront's
filters, price bands and sorts: `queries(n)` gives n distinct parameter sets (3,000), a run
cycles through them, so no cache of answers answers them all (each is asked once every n
requests). Page 2 of some is asked by its cursor, fetched just before the run (`with_cursors`).

`BROAD` are the quality check's 20 broad queries (totals and facets against SQL truth).
"""

from __future__ import annotations

import random
import urllib.parse
from typing import Any

WORDS = [
    "ring",
    "silver ring",
    "gold necklace",
    "sapphire",
    "diamond earrings",
    "opal pendant",
    "pearl earrings",
    "garnet ring",
    "emerald",
    "ruby ring",
    "moonstone",
    "amethyst pendant",
    "aquamarine",
    "hammered",
    "hammered silver bangle",
    "filigree",
    "celtic knot",
    "art deco ring",
    "vintage brooch",
    "minimal stud earrings",
    "signet ring",
    "stacking rings",
    "hoop earrings",
    "locket",
    "cufflinks",
    "charm bracelet",
    "anklet",
    "platinum band",
    "wedding band",
    "tennis bracelet",
    "handmade gift",
    "floral pendant",
    "enamelled brooch",
    "geometric earrings",
    "statement necklace",
]
TYPOS = [
    "saphire",
    "earings",
    "neckalce",
    "braclet",
    "emrald",
    "diamnod ring",
    "amethist",
    "filligree",
    "aquamarine pendent",
    "moonston",
]
SYNONYMS = [
    "sterling",
    "sterling silver ring",
    "18ct",
    "18ct gold ring",
    "9ct gold",
    "14ct",
    "22ct gold",
    "lab diamond",
    "lab grown sapphire",
    "moissanite",
    "engagement",
    "engagement ring",
    "britannia silver",
    "recycled silver",
]
# Filters as the storefront's facets and the search page's controls set them (prices: PRICE_BANDS).
FILTERS: list[dict[str, Any]] = [
    {},
    {},
    {"category": "ring"},
    {"category": "earrings"},
    {"category": "necklace"},
    {"metal": "gold"},
    {"metal": "silver"},
    {"metal": "gold", "fineness": 750},
    {"stone_origin": "natural"},
    {"stone_origin": "lab_grown"},
    {"production": "ready_to_ship"},
    {"production": "one_of_a_kind"},
    {"sourcing": "recycled"},
    {"occasion": "wedding"},
    {"category": "ring", "metal": "gold"},
    {"category": "pendant", "stone_origin": "natural"},
    {"min_rating": 4},
]
SORTS = [None, None, None, "newest", "price_asc", "price_desc", "rating"]
# A price slider's stops (minor units), as shoppers narrow a broad query.
PRICE_BANDS: list[dict[str, Any]] = [
    {},
    {},
    {},
    *({"max_price": top} for top in (5000, 7500, 10000, 15000, 20000, 30000, 50000)),
    *({"min_price": low, "max_price": low * 2} for low in (5000, 10000, 20000, 40000)),
    *({"min_price": low} for low in (25000, 50000, 100000)),
]
# Browsing without words: a category page, a filter page.
BROWSE: list[dict[str, Any]] = [
    {"category": "ring"},
    {"category": "bracelet", "sort": "newest"},
    {"metal": "platinum"},
    {"stone": "sapphire"},
    {"stone": "diamond", "stone_origin": "lab_grown"},
    {"occasion": "engagement", "sort": "price_asc"},
    {"category": "brooch", "sort": "price_desc"},
    {"sourcing": "fairmined"},
    {"production": "made_to_order", "category": "necklace"},
    {"sort": "rating", "min_rating": 4.5},
]
# The quality check: broad queries, each matching a large share of 1M listings.
BROAD: list[dict[str, Any]] = [
    {"q": "ring"},
    {"q": "silver"},
    {"q": "gold"},
    {"q": "earrings"},
    {"q": "necklace"},
    {"q": "pendant"},
    {"q": "sapphire"},
    {"q": "diamond"},
    {"q": "hammered"},
    {"q": "workshop"},
    {"q": "polished"},
    {"q": "gift"},
    {"q": "sterling"},
    {"q": "18ct"},
    {"q": "ring", "metal": "gold"},
    {"q": "silver", "category": "earrings"},
    {"q": "hand", "production": "ready_to_ship"},
    {"category": "ring"},
    {"stone_origin": "natural"},
    {"metal": "silver", "sourcing": "recycled"},
]


def queries(n: int = 3000, seed: int = 18) -> list[dict[str, Any]]:
    """n parameter sets whose words and filters all differ (a sort alone does not make a query
    new to a cache of totals and facets): every word, typo, synonym and browse page once, the
    rest a word with a filter, a price band and a sort, shuffled (seeded) so that any stretch of
    them is alike. More than any cache of answers holds (the engine keeps 2,048 per snapshot),
    and the runs against a server read on through them in order (bench/search.py `Queries`), so
    each query comes back only after n others: a least-recently-used cache of fewer never hits."""
    rng = random.Random(seed)
    texts = [*WORDS, *TYPOS, *SYNONYMS]
    chosen: list[dict[str, Any]] = [{"q": q} for q in texts] + list(BROWSE)
    seen = {_key({k: v for k, v in p.items() if k != "sort"}) for p in chosen}
    while len(chosen) < n:
        params: dict[str, Any] = {"q": rng.choice(texts), **rng.choice(FILTERS), **rng.choice(PRICE_BANDS)}
        if _key(params) in seen:
            continue
        seen.add(_key(params))
        sort = rng.choice(SORTS)
        chosen.append({**params, "sort": sort} if sort else params)
    chosen = chosen[:n]
    rng.shuffle(chosen)
    return chosen


def _key(params: dict[str, Any]) -> str:
    return urllib.parse.urlencode(sorted(params.items()))


def path(params: dict[str, Any], prefix: str = "/api/v1/listings") -> str:
    return f"{prefix}?{urllib.parse.urlencode(params)}"


async def with_cursors(base_url: str, chosen: list[dict[str, Any]], every: int = 10) -> list[dict[str, Any]]:
    """The queries, with page 2 of every `every`-th one that has a page 2 (its cursor asked of
    `base_url` now) added after it."""
    import aiohttp

    out: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as session:
        for k, params in enumerate(chosen):
            out.append(params)
            if k % every:
                continue
            async with session.get(base_url + path(params)) as response:
                body = await response.json()
            if body.get("next_cursor"):
                out.append({**params, "cursor": body["next_cursor"]})
    return out
