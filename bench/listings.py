"""Listings for the search benchmarks: a few dozen template listings made by the catalogue's own
code (domain rules, search row, events), then cloned with COPY to any size.

Templates vary category, metal, stone, production, sourcing, price and a vocabulary of
descriptive words, so text queries and filters match realistic fractions of the catalogue.
Clones get their own id, maker (one of many makers) and publication time (spread over two
years, newest first in id order so no order is accidental); their search row is the template's
with the maker term rewritten, so each clone is exactly what the catalogue would have written.
Photos as well: a template names one or two of its maker's ready photos, and every clone names
its own maker's, whose images the catalogue's read model knows ready with renditions as the
media service describes them, so a listing renders with its photos as a real one does.

Loading: secondary indexes of listings and listing_search are dropped, rows COPYed (text
format, streamed), indexes recreated from their own definitions, then VACUUM ANALYZE, as a
bulk load would be done in production.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.catalogue.store import MAKER_COLUMNS

CATEGORIES = ["ring", "necklace", "pendant", "earrings", "bracelet", "brooch"]
METALS = [  # (metal, fineness, weight, hallmark)
    ("gold", 750, 4.2, "hallmarked"),
    ("gold", 375, 0.8, "exempt_under_weight"),
    ("silver", 925, 9.0, "hallmarked"),
    ("platinum", 950, 3.1, "hallmarked"),
]
STONES = [
    None,
    ("sapphire", "natural"),
    ("sapphire", "lab_grown"),
    ("diamond", "natural"),
    ("diamond", "lab_grown"),
    ("opal", "natural"),
    ("garnet", "natural"),
]
PRODUCTION = [
    {"kind": "ready_to_ship", "stock": 2},
    {"kind": "one_of_a_kind"},
    {"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 10}},
]
WORDS = [
    "hammered",
    "twisted",
    "vintage",
    "celtic",
    "floral",
    "minimal",
    "organic",
    "textured",
    "geometric",
    "art deco",
    "brushed",
    "oxidised",
]
TEMPLATES = 96
PHOTOS_PER_MAKER = 2
ALT_TEXTS = ("The piece on a plain linen background", "The piece seen from above")
# A placeholder the media worker made (of a demo ring photo), so cards carry one of real length.
PLACEHOLDER = (
    "data:image/webp;base64,UklGRlIAAABXRUJQVlA4IEYAAABQBACdASoUAA8APu1iqU2ppaQiMAgBMB2JYwCdMoADTtS2C4"
    "C0CyVP0MQAAP7DgM3KzyT+M6GEyx8OTfejOqsUma8kyIAA"
)


def template_body(n: int, photo_ids: list[str]) -> dict[str, Any]:
    """Template `n`, with one of the maker's photos or two (alternately)."""
    from tests.support.catalogue import ring

    category = CATEGORIES[n % len(CATEGORIES)]
    metal, fineness, weight, hallmark = METALS[(n // 2) % len(METALS)]
    stone = STONES[(n // 3) % len(STONES)]
    word = WORDS[n % len(WORDS)]
    stone_text = f" with a {stone[0]}" if stone else ""
    return ring(
        title=f"{word.capitalize()} {metal} {category}{stone_text}",
        description=f"A {word} {category} made by hand in {metal}{stone_text}. "
        f"Finished and polished in the workshop; every piece is a little different.",
        category=category,
        occasions=["wedding"] if n % 5 == 0 else ["everyday"],
        style_tags=[word],
        price={"amount": 4000 + (n * 1733) % 120000, "currency": "GBP"},
        production=PRODUCTION[n % len(PRODUCTION)],
        metals=[{"metal": metal, "fineness": fineness, "weight_g": weight}],
        hallmark={"status": hallmark}
        if hallmark != "hallmarked"
        else {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "london"},
        stones=[{"type": stone[0], "origin": stone[1]}] if stone else [],
        sourcing_claims=[["fairmined"], ["recycled"], [], []][n % 4],
        options={"ring_size_mm": {"min": 50, "max": 58}} if category == "ring" else None,
        photos=[
            {"image_id": image_id, "alt": alt}
            for image_id, alt in zip(photo_ids[: 1 + n % 2], ALT_TEXTS, strict=False)
        ],
    )


def photo_ids(maker_id: str) -> list[str]:
    """The ids of a maker's photos in the benchmark (derived, so a clone's are known)."""
    return [str(uuid.uuid5(uuid.UUID(maker_id), f"photo-{k}")) for k in range(PHOTOS_PER_MAKER)]


def ready_image_row(image_id: str, maker_id: str) -> tuple[Any, ...]:
    """The catalogue's read-model row of a ready photo (media_images columns, as COPY takes them):
    four renditions of a 1600x1200 photo under content-addressed keys."""
    from shared.contracts.media import RENDITION_WIDTHS

    urls = {
        str(width): f"/media/{hashlib.sha256(f'{image_id}:{width}'.encode()).hexdigest()}.webp"
        for width in RENDITION_WIDTHS
    }
    return (uuid.UUID(image_id), uuid.UUID(maker_id), 2, "ready", 1600, 1200, PLACEHOLDER, json.dumps(urls))


IMAGE_COLUMNS = ["image_id", "maker_id", "image_version", "status", "width", "height", "placeholder", "urls"]


@dataclass
class Template:
    listing: dict[str, Any]  # the listings row, columns as text for COPY
    search: dict[str, Any]  # the listing_search row
    maker_id: str


async def make_templates(settings: Any, admin: asyncpg.Connection) -> tuple[list[Template], dict]:
    """Create the templates through the catalogue's code; returns them and the maker row."""
    from shared.db import create_pool
    from tests.support.catalogue import add_listing, apply_image, approved_maker, claim, image_processed

    pool = await create_pool(settings)
    made = 0
    try:
        maker = await approved_maker(pool, [claim("fairmined"), claim("recycled")])
        photos = photo_ids(str(maker.maker_id))
        for image_id in photos:
            await apply_image(pool, image_processed(maker.maker_id, uuid.UUID(image_id)))
        for n in range(TEMPLATES):
            try:
                await add_listing(pool, maker, template_body(n, photos))
                made += 1
            except Exception:
                continue
    finally:
        await pool.close()
    if made < TEMPLATES // 2:
        raise RuntimeError(f"only {made} of {TEMPLATES} template listings were accepted")
    listing_rows = await admin.fetch(
        "SELECT id::text, maker_id::text, status, fields::text AS fields, "
        "stock_available, stock_reserved, stock_sold, version FROM catalogue.listings "
        "WHERE status = 'published' ORDER BY id"
    )
    search_rows = {
        r["listing_id"]: r
        for r in await admin.fetch(
            "SELECT listing_id::text, price_amount, category, terms, facet_bits, "
            "document::text AS document "
            "FROM catalogue.listing_search WHERE visible"
        )
    }
    maker_record = await admin.fetchrow(
        "SELECT * FROM catalogue.makers WHERE id = $1::uuid", listing_rows[0]["maker_id"]
    )
    assert maker_record is not None  # the maker of the template listings
    maker_row = dict(maker_record)
    templates = [
        Template(dict(r), dict(search_rows[r["id"]]), r["maker_id"])
        for r in listing_rows
        if r["id"] in search_rows
    ]
    # The templates themselves are removed: every listing of the benchmark is a clone.
    ids = [t.listing["id"] for t in templates]
    await admin.execute("DELETE FROM catalogue.listing_search WHERE listing_id = ANY($1::uuid[])", ids)
    await admin.execute("DELETE FROM catalogue.inventory_ledger WHERE listing_id = ANY($1::uuid[])", ids)
    await admin.execute("DELETE FROM catalogue.listings WHERE id = ANY($1::uuid[])", ids)
    return templates, maker_row


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _array(values: list[str]) -> str:
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


class Loader:
    """Grows the catalogue of one namespace by cloning templates."""

    def __init__(
        self, admin: asyncpg.Connection, templates: list[Template], maker_row: dict, seed: int = 7
    ) -> None:
        self.admin = admin
        self.templates = templates
        self.maker_row = maker_row
        self.loaded = 0
        self.makers: list[str] = []
        self.template_photos = photo_ids(str(maker_row["id"]))
        self.photos_of: dict[str, list[str]] = {}  # maker id -> the ids of their photos
        self.rng = random.Random(seed)
        self.origin = datetime(2026, 1, 1, tzinfo=UTC)

    async def grow_to(self, total: int, progress: Any = None) -> float:
        """Add listings until there are `total`; returns the seconds the load took."""
        import time

        started = time.perf_counter()
        adding = total - self.loaded
        if adding <= 0:
            return 0.0
        await self.admin.execute("SET maintenance_work_mem = '512MB'")
        await self.admin.execute("SET session_replication_role = replica")  # no FK triggers
        indexes = await self.admin.fetch(
            "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = 'catalogue' AND t.relname IN ('listings', 'listing_search') "
            "AND NOT i.indisprimary AND NOT i.indisunique"
        )
        for index in indexes:
            await self.admin.execute(f"DROP INDEX {index['name']}")
        await self._add_makers(max(20, total // 200))
        start = self.loaded
        await self.admin.copy_to_table(
            "listings",
            schema_name="catalogue",
            format="text",
            columns=[
                "id",
                "maker_id",
                "status",
                "fields",
                "stock_available",
                "stock_reserved",
                "stock_sold",
                "created_at",
                "updated_at",
                "published_at",
                "version",
            ],
            source=self._rows(start, total, "listings", progress),
        )
        await self.admin.copy_to_table(
            "listing_search",
            schema_name="catalogue",
            format="text",
            columns=[
                "listing_id",
                "visible",
                "published_at",
                "price_amount",
                "category",
                "terms",
                "facet_bits",
                "document",
            ],
            source=self._rows(start, total, "search", progress),
        )
        for index in indexes:
            await self.admin.execute(index["def"])
        await self.admin.execute("SET session_replication_role = origin")
        await self.admin.execute("VACUUM ANALYZE catalogue.listings")
        await self.admin.execute("VACUUM ANALYZE catalogue.listing_search")
        await self.admin.execute("VACUUM ANALYZE catalogue.makers")
        self.loaded = total
        return time.perf_counter() - started

    async def _add_makers(self, count: int) -> None:
        if len(self.makers) >= count:
            return
        rows, images = [], []
        for _ in range(count - len(self.makers)):
            maker_id = uuid.uuid4()
            # The template maker's record, under a new id, user and handle.
            row = {
                **self.maker_row,
                "id": maker_id,
                "user_id": uuid.uuid4(),
                "handle": f"bench-{maker_id.hex[:12]}",
                "sourcing_claims": _json(self.maker_row["sourcing_claims"]),
                "hallmarking": _json(self.maker_row["hallmarking"]),
            }
            rows.append(tuple(row[column] for column in MAKER_COLUMNS))
            self.makers.append(str(maker_id))
            photos = self.photos_of[str(maker_id)] = photo_ids(str(maker_id))
            images += [(*ready_image_row(image_id, str(maker_id)), self.origin) for image_id in photos]
        await self.admin.copy_records_to_table(
            "makers", schema_name="catalogue", records=rows, columns=list(MAKER_COLUMNS)
        )
        await self.admin.copy_records_to_table(
            "media_images", schema_name="catalogue", records=images, columns=[*IMAGE_COLUMNS, "updated_at"]
        )

    def _ids(self, i: int) -> tuple[str, str, Template, datetime]:
        # Deterministic per position, so the listings and search passes agree.
        rng = random.Random(i * 7919 + 17)
        listing_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        template = self.templates[i % len(self.templates)]
        maker_id = self.makers[rng.randrange(len(self.makers))]
        # Spread over two years; positions are not in time order.
        published = self.origin - timedelta(seconds=rng.randrange(2 * 365 * 86400))
        return listing_id, maker_id, template, published

    async def _rows(self, start: int, stop: int, table: str, progress: Any) -> AsyncIterator[bytes]:
        chunk: list[str] = []
        for i in range(start, stop):
            listing_id, maker_id, t, published = self._ids(i)
            at = published.isoformat()
            if table == "listings":
                row = t.listing
                fields = row["fields"]
                for template_photo, own in zip(self.template_photos, self.photos_of[maker_id], strict=True):
                    fields = fields.replace(template_photo, own)
                chunk.append(
                    "\t".join(
                        (
                            listing_id,
                            maker_id,
                            "published",
                            _copy_text(fields),
                            _copy_text(row["stock_available"]),
                            _copy_text(row["stock_reserved"]),
                            _copy_text(row["stock_sold"]),
                            at,
                            at,
                            at,
                            str(row["version"]),
                        )
                    )
                )
            else:
                s = t.search
                terms = [f"maker:{maker_id}" if term.startswith("maker:") else term for term in s["terms"]]
                chunk.append(
                    "\t".join(
                        (
                            listing_id,
                            "t",
                            at,
                            _copy_text(s["price_amount"]),
                            _copy_text(s["category"]),
                            _copy_text(_array(terms)),
                            str(s["facet_bits"]),
                            _copy_text(s["document"]),
                        )
                    )
                )
            if len(chunk) >= 5000:
                if progress is not None:
                    progress.update(len(chunk))
                yield ("\n".join(chunk) + "\n").encode()
                chunk = []
        if chunk:
            if progress is not None:
                progress.update(len(chunk))
            yield ("\n".join(chunk) + "\n").encode()


def _json(value: Any) -> Any:
    return None if value is None else (value if isinstance(value, str) else json.dumps(value))
