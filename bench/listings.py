"""Listings for the search benchmarks and scale tests: a few hundred template listings made by the
catalogue's own code (domain rules, search row, events), then cloned with COPY to any size.

Templates are drawn (seeded) from a jewellery vocabulary (`bench/vocabulary.py`): ten categories,
nine metal and fineness combinations (18ct, 9ct, sterling, Britannia, platinum...), fifteen stones
of three origins, techniques, style tags, occasions, titles and descriptions composed from phrase
pools, so words, typos, synonyms and filters match realistic and different fractions of the
catalogue. Clones get their own id, maker (one of many), publication time (spread over two years,
not in id order), price (the template's within +-30 %) and rating; every other column is the
template's, with the maker's id and photo ids rewritten, so each clone is what the catalogue
would have written. Every column of `listings` and `listing_search` the catalogue writes is
copied, whatever the schema holds at the time; a column whose default marks the writing
transaction (a change sequence) is left to that default.

One listing is special: the oldest of all carries `vocabulary.RARE_WORD` in its title, a word that appears
elsewhere only in descriptions (of about one template in eight): relevance must rank it above
the many newer weak matches.

Loading: secondary indexes of listings and listing_search are dropped, rows COPYed (text
format, streamed), indexes recreated from their own definitions, then VACUUM ANALYZE, as a
bulk load would be done in production.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench.vocabulary import rare_body, template_body
from services.catalogue.store import MAKER_COLUMNS

TEMPLATES = 320
PHOTOS_PER_MAKER = 2
# A placeholder the media worker made (of a demo ring photo), so cards carry one of real length.
PLACEHOLDER = (
    "data:image/webp;base64,UklGRlIAAABXRUJQVlA4IEYAAABQBACdASoUAA8APu1iqU2ppaQiMAgBMB2JYwCdMoADTtS2C4"
    "C0CyVP0MQAAP7DgM3KzyT+M6GEyx8OTfejOqsUma8kyIAA"
)
TABLES = ("listings", "listing_search")
# Columns a clone writes itself; everything else is the template's text with the slots filled.
_OWN = {
    "id": "id",
    "listing_id": "id",
    "created_at": "at",
    "updated_at": "at",
    "published_at": "at",
    "price_amount": "price",
    "rating_average": "rating_average",
    "rating_count": "rating_count",
}
_SLOT = "\x02"  # marks a slot in a template line (never in COPY text of our own values)
# Defaults that stamp the writing transaction: a change sequence the COPY must not copy.
_TRANSACTION_DEFAULTS = ("nextval(", "pg_current_xact_id", "txid_current", "now()", "clock_timestamp")


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
    """A template listing's rows as COPY lines split at their slots: `parts[0] + value of
    parts[1] + parts[2] + ...` per table."""

    lines: dict[str, list[str]]
    price: int


async def copied_columns(admin: asyncpg.Connection, table: str) -> list[str]:
    """The columns of a catalogue table a clone copies: all but generated ones and those whose
    default stamps the writing transaction."""
    rows = await admin.fetch(
        "SELECT column_name, column_default, is_generated, is_identity FROM information_schema.columns "
        "WHERE table_schema = 'catalogue' AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    return [
        r["column_name"]
        for r in rows
        if r["is_generated"] != "ALWAYS"
        and r["is_identity"] != "YES"
        and not any(mark in (r["column_default"] or "") for mark in _TRANSACTION_DEFAULTS)
    ]


async def make_templates(settings: Any, admin: asyncpg.Connection) -> tuple[list[Template], dict, dict]:
    """Create the templates through the catalogue's code; returns them (the rare one last), the
    maker row, and the copied columns of each table."""
    from shared.db import create_pool
    from tests.support.catalogue import add_listing, apply_image, approved_maker, claim, image_processed

    pool = await create_pool(settings)
    made: list[uuid.UUID] = []
    try:
        maker = await approved_maker(pool, [claim("fairmined"), claim("recycled"), claim("fairtrade")])
        photos = photo_ids(str(maker.maker_id))
        for image_id in photos:
            await apply_image(pool, image_processed(maker.maker_id, uuid.UUID(image_id)))
        for n in range(TEMPLATES):
            try:
                made.append((await add_listing(pool, maker, template_body(n, photos))).id)
            except Exception:
                continue
        rare = (await add_listing(pool, maker, rare_body(photos))).id
    finally:
        await pool.close()
    if len(made) < TEMPLATES * 3 // 4:
        raise RuntimeError(f"only {len(made)} of {TEMPLATES} template listings were accepted")
    columns = {table: await copied_columns(admin, table) for table in TABLES}
    maker_record = await admin.fetchrow("SELECT * FROM catalogue.makers WHERE id = $1", maker.maker_id)
    assert maker_record is not None
    templates = [
        await _template(admin, columns, listing_id, str(maker.maker_id), photos)
        for listing_id in [*made, rare]
    ]
    # The templates themselves are removed: every listing of the benchmark is a clone.
    ids = [*made, rare]
    for table, key in (
        ("listing_search", "listing_id"),
        ("inventory_ledger", "listing_id"),
        ("listings", "id"),
    ):
        await admin.execute(f"DELETE FROM catalogue.{table} WHERE {key} = ANY($1::uuid[])", ids)
    return templates, dict(maker_record), columns


async def _template(
    admin: asyncpg.Connection,
    columns: dict[str, list[str]],
    listing_id: uuid.UUID,
    maker_id: str,
    photos: list[str],
) -> Template:
    lines: dict[str, list[str]] = {}
    price = 0
    for table in TABLES:
        key = "id" if table == "listings" else "listing_id"
        select = ", ".join(f"{c}::text" for c in columns[table])
        row = await admin.fetchrow(f"SELECT {select} FROM catalogue.{table} WHERE {key} = $1", listing_id)
        assert row is not None, f"template {listing_id} has no {table} row"
        values = []
        for column, value in zip(columns[table], row.values(), strict=True):
            if column in _OWN:
                values.append(_SLOT + _OWN[column] + _SLOT)
                continue
            text = _copy_text(value)
            if column == "fields":
                fields = json.loads(value)
                price = fields["price"]["amount"]
                text = text.replace(
                    f'{{"amount": {price}, "currency": "GBP"}}',
                    f'{{"amount": {_SLOT}price{_SLOT}, "currency": "GBP"}}',
                )
            text = text.replace(maker_id, f"{_SLOT}maker{_SLOT}")
            for k, photo in enumerate(photos):
                text = text.replace(photo, f"{_SLOT}photo{k}{_SLOT}")
            values.append(text)
        lines[table] = "\t".join(values).split(_SLOT)
    return Template(lines, price)


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Loader:
    """Grows the catalogue of one namespace by cloning templates."""

    def __init__(
        self,
        admin: asyncpg.Connection,
        templates: list[Template],
        maker_row: dict,
        columns: dict[str, list[str]],
    ) -> None:
        self.admin = admin
        self.templates = templates[:-1]
        self.rare = templates[-1]
        self.maker_row = maker_row
        self.columns = columns
        self.loaded = 0
        self.makers: list[str] = []
        self.photos_of: dict[str, list[str]] = {}  # maker id -> the ids of their photos
        self.origin = datetime(2026, 1, 1, tzinfo=UTC)

    @property
    def rare_listing_id(self) -> str:
        """The oldest listing, whose title alone holds RARE_WORD (position 0)."""
        return self.clone(0)["id"]

    async def grow_to(self, total: int, progress: Any = None) -> float:
        """Add listings until there are `total`; returns the seconds the load took."""
        started = time.perf_counter()
        if total <= self.loaded:
            return 0.0
        await self.admin.execute("SET maintenance_work_mem = '512MB'")
        await self.admin.execute("SET session_replication_role = replica")  # no FK triggers
        indexes = await self.admin.fetch(
            "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = 'catalogue' AND t.relname = ANY($1::text[]) "
            "AND NOT i.indisprimary AND NOT i.indisunique",
            list(TABLES),
        )
        for index in indexes:
            await self.admin.execute(f"DROP INDEX {index['name']}")
        await self._add_makers(max(20, total // 200))
        for table in TABLES:
            await self.admin.copy_to_table(
                table,
                schema_name="catalogue",
                format="text",
                columns=self.columns[table],
                source=self._rows(self.loaded, total, table, progress),
            )
        for index in indexes:
            await self.admin.execute(index["def"])
        await self.admin.execute("SET session_replication_role = origin")
        for table in (*TABLES, "makers"):
            await self.admin.execute(f"VACUUM ANALYZE catalogue.{table}")
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

    def clone(self, i: int) -> dict[str, Any]:
        """The slot values of clone `i`, deterministic per position (so both tables' passes and
        any later reader agree)."""
        rng = random.Random(i * 7919 + 17)
        template = self.rare if i == 0 else self.templates[i % len(self.templates)]
        maker_id = self.makers[rng.randrange(len(self.makers))]
        # Spread over two years; positions are not in time order. The rare one is the oldest.
        age = 2 * 365 * 86400 + 86400 if i == 0 else rng.randrange(2 * 365 * 86400)
        rated = rng.random() < 0.6
        slots = {
            "template": template,
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "maker": maker_id,
            "at": (self.origin - timedelta(seconds=age)).isoformat(),
            "price": str(max(100, int(round(template.price * rng.uniform(0.7, 1.3), -2)))),
            "rating_average": f"{rng.uniform(3.0, 5.0):.2f}" if rated else "0",
            "rating_count": str(rng.randrange(1, 250)) if rated else "0",
        }
        for k, photo in enumerate(self.photos_of[maker_id]):
            slots[f"photo{k}"] = photo
        return slots

    async def _rows(self, start: int, stop: int, table: str, progress: Any) -> AsyncIterator[bytes]:
        chunk: list[str] = []
        for i in range(start, stop):
            slots = self.clone(i)
            parts = slots["template"].lines[table]
            chunk.append("".join(part if k % 2 == 0 else slots[part] for k, part in enumerate(parts)))
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
