"""Catalogue data migrations against the real PostgreSQL: rows written before a migration come
out as the current code would write them."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from services.catalogue.app import SERVICE
from services.catalogue.domain import ListingDraft
from services.catalogue.search import FACET_TERMS, facet_bits
from services.catalogue.settings import CatalogueSettings
from shared.migrate import migrate
from tests.support.harness import ADMIN_DSN
from tests.support.harness import TestEnvironment as Environment
from tests.support.migrations import migrated_before

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def before_facet_bits(
    tmp_path: Path,
) -> AsyncIterator[tuple[Environment, CatalogueSettings, Path]]:
    """A catalogue schema migrated up to 0002 only (search rows had terms alone); the folder
    to add later migrations to."""
    async with migrated_before(tmp_path, SERVICE, CatalogueSettings, "0003") as migrated:
        yield migrated


async def test_facet_bits_and_category_are_backfilled_from_the_terms(
    before_facet_bits: tuple[Environment, CatalogueSettings, Path],
) -> None:
    env, settings, folder = before_facet_bits
    rows = {
        uuid.uuid4(): [
            "category:ring",
            "metal:gold",
            "metal:silver",
            "stone_origin:natural",
            "production:one_of_a_kind",
            "sourcing:fairmined",
            "fineness:750",
            f"maker:{uuid.uuid4()}",
            "stone:sapphire",
            "occasion:wedding",
        ],
        uuid.uuid4(): list(FACET_TERMS),  # every facet value, the highest bit included
        uuid.uuid4(): ["fineness:925", "stone:opal"],  # no facet value at all
    }
    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + "/" + env.database)
    try:
        # Search rows alone are enough here: the listings and makers they refer to are not.
        await conn.execute("SET session_replication_role = replica")
        for listing_id, terms in rows.items():
            await conn.execute(
                "INSERT INTO catalogue.listing_search (listing_id, visible, terms, document) "
                "VALUES ($1, true, $2, ''::tsvector)",
                listing_id,
                terms,
            )

        for path in sorted(SERVICE.migrations.glob("*.sql")):
            shutil.copy(path, folder)
        applied = await migrate(settings, folder)
        assert {"search_facet_bits", "search_by_category"} <= {m.name for m in applied}

        stored = {
            r["listing_id"]: (r["facet_bits"], r["category"])
            for r in await conn.fetch("SELECT listing_id, facet_bits, category FROM catalogue.listing_search")
        }
    finally:
        await conn.close()
    assert stored == {
        listing_id: (facet_bits(terms), category)
        for (listing_id, terms), category in zip(rows.items(), ("ring", "ring", None), strict=False)
    }
    assert stored[next(iter(rows))][0] != 0


@pytest.fixture
async def before_photos(
    tmp_path: Path,
) -> AsyncIterator[tuple[Environment, CatalogueSettings, Path]]:
    """A catalogue schema migrated up to 0006 (listings held external image URLs)."""
    async with migrated_before(tmp_path, SERVICE, CatalogueSettings, "0007") as migrated:
        yield migrated


async def test_external_image_urls_are_dropped_and_listings_read_with_no_photos(
    before_photos: tuple[Environment, CatalogueSettings, Path],
) -> None:
    env, settings, folder = before_photos
    fields = {
        "title": "Sterling silver signet ring",
        "category": "ring",
        "images": ["https://images.example.com/ring.jpg"],
    }
    listing_id, maker_id = uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + "/" + env.database)
    try:
        await conn.execute(
            "INSERT INTO catalogue.makers (id, user_id, version, status, handle, display_name, "
            "works_precious_metals, natural_diamonds, accepts_commissions, updated_at) "
            "VALUES ($1, $2, 1, 'approved', 'maker', 'Maker', true, false, false, now())",
            maker_id,
            uuid.uuid4(),
        )
        await conn.execute(
            "INSERT INTO catalogue.listings (id, maker_id, status, fields, created_at, updated_at, "
            "version) VALUES ($1, $2, 'draft', $3::jsonb, now(), now(), 1)",
            listing_id,
            maker_id,
            json.dumps(fields),
        )

        for path in sorted(SERVICE.migrations.glob("*.sql")):
            shutil.copy(path, folder)
        applied = await migrate(settings, folder)
        assert "photos" in {m.name for m in applied}

        stored = json.loads(
            await conn.fetchval("SELECT fields::text FROM catalogue.listings WHERE id = $1", listing_id)
        )
        images = await conn.fetchval("SELECT count(*) FROM catalogue.media_images")
    finally:
        await conn.close()
    assert stored == {"title": "Sterling silver signet ring", "category": "ring"}
    draft = ListingDraft.model_validate(stored)  # the current code reads the row
    assert (draft.photos, images) == ([], 0)
