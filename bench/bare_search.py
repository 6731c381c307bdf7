"""The PostgreSQL baseline of `search.varied`: what a team without a search engine writes. A bare
aiohttp + asyncpg server answering the search API's query string (`/api/v1/listings?q=...`) with
PostgreSQL full-text search over a table of its own: a weighted tsvector (title A; techniques,
styles, occasions, category, metals with fineness names, stones, maker B; description C) with a
GIN index, filter terms in a GIN-indexed array, btree indexes for the sorts. Each request runs an
exact `count(*)`, exact facets (`GROUP BY` over the matches' facet terms) and the page (ts_rank
for relevance; OFFSET for a cursor's page 2), and answers `{items, total, facets, next_cursor}`.
No typo tolerance and no synonyms: less work than the engine does, which flatters the baseline.

    BARE_PORT=8099 python -m bench.bare_search DSN

The same table is the quality check's SQL truth (`truth`): it holds the visible listings with
the words the engine indexes, from the catalogue's own rows (`build`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from aiohttp import web

FACETS = ("category", "metal", "stone_origin", "production", "sourcing")
PAGE = 24
_FINENESS_NAMES = (
    "CASE (m->>'metal') || (m->>'fineness') WHEN 'gold375' THEN '9ct' WHEN 'gold585' THEN '14ct' "
    "WHEN 'gold750' THEN '18ct' WHEN 'gold916' THEN '22ct' WHEN 'silver925' THEN 'sterling' "
    "WHEN 'silver958' THEN 'Britannia' END"
)


def _texts(path: str) -> str:
    return f"ARRAY(SELECT jsonb_array_elements_text(COALESCE(l.fields->'{path}', '[]')))"


_TAGS = " || ".join(_texts(path) for path in ("techniques", "style_tags", "occasions"))


async def build(admin: asyncpg.Connection) -> None:
    """(Re)create `bare.listings` from the catalogue's visible listings, with its indexes."""
    has_rating = await admin.fetchval(
        "SELECT count(*) = 2 FROM information_schema.columns WHERE table_schema = 'catalogue' "
        "AND table_name = 'listing_search' AND column_name IN ('rating_average', 'rating_count')"
    )
    rating = "s.rating_average::float8, s.rating_count::int" if has_rating else "0::float8, 0::int"
    await admin.execute("DROP SCHEMA IF EXISTS bare CASCADE; CREATE SCHEMA bare")
    await admin.execute(
        f"""
        CREATE TABLE bare.listings AS
        SELECT l.id, l.published_at, (l.fields->'price'->>'amount')::bigint AS price,
               {rating.split(", ")[0]} AS rating_average, {rating.split(", ")[1]} AS rating_count,
               ARRAY['category:' || (l.fields->>'category'),
                     'production:' || (l.fields->'production'->>'kind'),
                     'maker:' || l.maker_id]
               || ARRAY(SELECT DISTINCT t FROM jsonb_array_elements(l.fields->'metals') m,
                        LATERAL (VALUES ('metal:' || (m->>'metal')), ('fineness:' || (m->>'fineness')),
                                        ('metal_fineness:' || (m->>'metal') || ':' || (m->>'fineness'))) v(t))
               || ARRAY(SELECT DISTINCT t FROM jsonb_array_elements(l.fields->'stones') s,
                        LATERAL (VALUES ('stone_origin:' || (s->>'origin')), ('stone:' || (s->>'type')),
                                        ('stone_type_origin:' || (s->>'type') || ':' || (s->>'origin'))) v(t))
               || ARRAY(SELECT 'sourcing:' || c FROM jsonb_array_elements_text(l.fields->'sourcing_claims') c)
               || ARRAY(SELECT 'occasion:' || o FROM jsonb_array_elements_text(l.fields->'occasions') o)
               AS terms,
               setweight(to_tsvector('english', l.fields->>'title'), 'A')
               || setweight(to_tsvector('english', concat_ws(' ',
                    array_to_string({_TAGS}, ' '),
                    l.fields->>'category', mk.display_name,
                    (SELECT string_agg(concat_ws(' ', m->>'metal', m->>'colour', {_FINENESS_NAMES},
                                     CASE WHEN (m->>'recycled')::boolean THEN 'recycled' END), ' ')
                       FROM jsonb_array_elements(l.fields->'metals') m),
                    (SELECT string_agg(concat_ws(' ', s->>'type', replace(s->>'origin', '_', '-')), ' ')
                       FROM jsonb_array_elements(l.fields->'stones') s))), 'B')
               || setweight(to_tsvector('english', COALESCE(l.fields->>'description', '')), 'C') AS document,
               jsonb_build_object('id', l.id, 'title', l.fields->>'title', 'price', l.fields->'price',
                                  'category', l.fields->>'category', 'maker', mk.display_name,
                                  'photos', l.fields->'photos', 'published_at', l.published_at) AS card
        FROM catalogue.listings l
        JOIN catalogue.listing_search ls ON ls.listing_id = l.id AND ls.visible
        JOIN catalogue.makers mk ON mk.id = l.maker_id
        {"JOIN catalogue.listing_search s ON s.listing_id = l.id" if has_rating else ""}
        """
    )
    await admin.execute(
        "ALTER TABLE bare.listings ADD PRIMARY KEY (id);"
        "CREATE INDEX ON bare.listings USING gin (document);"
        "CREATE INDEX ON bare.listings USING gin (terms);"
        "CREATE INDEX ON bare.listings (published_at DESC, id);"
        "CREATE INDEX ON bare.listings (price, id);"
        "CREATE INDEX ON bare.listings (rating_average DESC, id);"
        "ANALYZE bare.listings"
    )


_TERM_FILTERS = ("category", "production", "sourcing", "maker_id", "occasion")
_ORDER = {
    "newest": "published_at DESC, id",
    "price_asc": "price, id",
    "price_desc": "price DESC, id",
    "rating": "rating_average DESC, rating_count DESC, id",
}


def where(params: dict[str, str]) -> tuple[str, list[Any], bool]:
    """The WHERE clause of a query string, its arguments (the words, when there are, are $1),
    and whether it has words."""
    words = bool(params.get("q"))
    conditions = ["document @@ websearch_to_tsquery('english', $1)"] if words else ["true"]
    args: list[Any] = [params["q"]] if words else []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    terms = [
        f"{'maker' if k == 'maker_id' else k}:{params[k].lower()}" for k in _TERM_FILTERS if params.get(k)
    ]
    metal, fineness = params.get("metal"), params.get("fineness")
    if metal and fineness:
        terms.append(f"metal_fineness:{metal}:{fineness}")
    elif metal or fineness:
        terms.append(f"metal:{metal}" if metal else f"fineness:{fineness}")
    stone, origin = (params.get("stone") or "").lower(), params.get("stone_origin")
    if stone and origin:
        terms.append(f"stone_type_origin:{stone}:{origin}")
    elif stone or origin:
        terms.append(f"stone:{stone}" if stone else f"stone_origin:{origin}")
    if terms:
        conditions.append(f"terms @> {arg(terms)}::text[]")
    for name, op, cast in (("min_price", ">=", int), ("max_price", "<=", int), ("min_rating", ">=", float)):
        if params.get(name):
            column = "rating_average" if name == "min_rating" else "price"
            conditions.append(f"{column} {op} {arg(cast(params[name]))}")
    return " AND ".join(conditions), args, words


async def truth(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, params: dict[str, str]
) -> tuple[int, dict[str, dict[str, int]]]:
    """The exact total and facet counts of a query over the visible listings."""
    clause, args, _ = where(params)
    total = await conn.fetchval(f"SELECT count(*) FROM bare.listings WHERE {clause}", *args)
    rows = await conn.fetch(
        f"SELECT t, count(*) AS n FROM bare.listings, unnest(terms) t WHERE {clause} "
        f"AND split_part(t, ':', 1) = ANY('{{{','.join(FACETS)}}}') GROUP BY t",
        *args,
    )
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for row in rows:
        dimension, value = row["t"].split(":", 1)
        facets[dimension][value] = row["n"]
    return total, facets


async def search(request: web.Request) -> web.Response:
    params = dict(request.query)
    clause, args, words = where(params)
    sort = params.get("sort") or ("relevance" if words else "newest")
    order = _ORDER.get(sort, "rank DESC, published_at DESC, id")
    rank = "ts_rank(document, websearch_to_tsquery('english', $1))" if words and sort == "relevance" else "0"
    offset = PAGE if params.get("cursor") else 0
    async with request.app[POOL].acquire() as conn:
        total, facets = await truth(conn, params)
        page = await conn.fetch(
            f"SELECT card::text, {rank} AS rank FROM bare.listings WHERE {clause} "
            f"ORDER BY {order} LIMIT {PAGE + 1} OFFSET {offset}",
            *args,
        )
    body = {
        "items": [json.loads(row["card"]) for row in page[:PAGE]],
        "total": total,
        "facets": {
            name: [
                {"value": v, "count": n} for v, n in sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
            for name, values in facets.items()
        },
        "next_cursor": "page2" if len(page) > PAGE and not offset else None,
    }
    return web.Response(body=json.dumps(body).encode(), content_type="application/json")


POOL = web.AppKey("pool", asyncpg.Pool)


async def _ready(request: web.Request) -> web.Response:
    await request.app[POOL].fetchval("SELECT 1")
    return web.Response(text="ok")


def main(argv: list[str]) -> None:
    (dsn,) = argv
    app = web.Application()

    async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
        app[POOL] = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
        yield
        await app[POOL].close()

    app.cleanup_ctx.append(pool_ctx)
    app.router.add_get("/api/v1/listings", search)
    app.router.add_get("/health/ready", _ready)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["BARE_PORT"]), access_log=None, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
