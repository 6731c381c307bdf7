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
from services.catalogue.settings import CatalogueSettings
from shared.migrate import migrate
from tests.support.harness import TestEnvironment as Environment
from tests.support.harness import admin_dsn
from tests.support.migrations import migrated_before

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def before_search_index(
    tmp_path: Path,
) -> AsyncIterator[tuple[Environment, CatalogueSettings, Path]]:
    """A catalogue schema migrated up to 0008 (search rows held a tsvector and facet bits for
    the capped PostgreSQL search); the folder to add later migrations to."""
    async with migrated_before(tmp_path, SERVICE, CatalogueSettings, "0009") as migrated:
        yield migrated


async def test_search_rows_get_their_text_and_a_place_in_the_change_sequence(
    before_search_index: tuple[Environment, CatalogueSettings, Path],
) -> None:
    env, settings, folder = before_search_index
    listing_id = uuid.uuid4()
    conn = await asyncpg.connect(admin_dsn(env.database))
    try:
        # The listing and its search row alone: the maker they refer to is not needed.
        await conn.execute("SET session_replication_role = replica")
        await conn.execute(
            "INSERT INTO catalogue.listings (id, maker_id, status, fields, created_at, updated_at, version) "
            "VALUES ($1, $2, 'published', $3::jsonb, now(), now(), 1)",
            listing_id,
            uuid.uuid4(),
            json.dumps({"title": "Opal ring", "description": "Set by hand."}),
        )
        await conn.execute(
            "INSERT INTO catalogue.listing_search (listing_id, visible, terms, document, facet_bits) "
            "VALUES ($1, true, '{category:ring}', ''::tsvector, 1)",
            listing_id,
        )
        before = await conn.fetchval("SELECT pg_current_xact_id()::text")

        for path in sorted(SERVICE.migrations.glob("*.sql")):
            shutil.copy(path, folder)
        applied = await migrate(settings, folder)
        assert {"search_change_sequence", "search_drop_capped_path"} <= {m.name for m in applied}

        row = await conn.fetchrow(
            "SELECT title, description, attributes, stale_on, rating_average, rating_count, "
            "changed_xid > $1::text::xid8 AS moved FROM catalogue.listing_search",
            before,
        )
        columns = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'catalogue' AND table_name = 'listing_search'"
            )
        }
        assert await conn.fetchval("SELECT count(*) FROM catalogue.search_index_source") == 1
    finally:
        await conn.close()
    assert (row["title"], row["description"], row["attributes"]) == ("Opal ring", "Set by hand.", "")
    # The attributes come with the claims refresh, which rewrites every row whose day has come.
    assert str(row["stale_on"]) == "2000-01-01"
    assert (row["rating_average"], row["rating_count"], row["moved"]) == (0, 0, True)
    assert not {"document", "facet_bits"} & columns


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
    conn = await asyncpg.connect(admin_dsn(env.database))
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
