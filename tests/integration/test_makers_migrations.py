"""Makers data migrations against the real PostgreSQL: records written before evidence needed
an operator's verification (0002, 0003) load, count their evidence as pending, and are marked for
a fresh snapshot so the catalogue stops showing it as badges."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import pytest

from services.makers import store
from services.makers.app import SERVICE
from services.makers.settings import MakersSettings
from shared.migrate import migrate
from tests.support.harness import TestEnvironment as Environment
from tests.support.harness import admin_dsn, reads_jsonb
from tests.support.migrations import migrated_before

pytestmark = pytest.mark.timeout(120)

CLAIMS = {
    "evidenced_before": [
        {"scheme": "fairmined", "scope": "metal", "certificate_id": "x"},
        # An http evidence URL, allowed before 0002: the record still loads.
        {"scheme": "recycled", "scope": "metal", "evidence_url": "http://evidence.example.org/r.pdf"},
    ],
    "self_declared": [{"scheme": "recycled", "scope": "metal"}],
}


@pytest.fixture
async def before_reviews(tmp_path: Path) -> AsyncIterator[tuple[Environment, MakersSettings, Path]]:
    """A makers schema migrated up to 0001 only; the folder to add later migrations to."""
    async with migrated_before(tmp_path, SERVICE, MakersSettings, "0002") as migrated:
        yield migrated


async def test_claims_stored_before_verification_become_pending_and_are_republished(
    before_reviews: tuple[Environment, MakersSettings, Path],
) -> None:
    env, settings, folder = before_reviews
    now = datetime.now(UTC)
    ids = {name: uuid.uuid4() for name in CLAIMS}
    conn = await asyncpg.connect(admin_dsn(env.database))
    try:
        for name, claims in CLAIMS.items():
            history = [{"from": None, "to": "draft", "at": now.isoformat(), "by": str(uuid.uuid4())}]
            await conn.execute(
                "INSERT INTO makers.makers (id, user_id, status, handle, display_name, business_type, "
                "sourcing_claims, history, created_at, updated_at, version) "
                "VALUES ($1, $2, 'draft', $3, 'A maker', 'individual', $4::jsonb, $5::jsonb, $6, $6, 1)",
                ids[name],
                uuid.uuid4(),
                name.replace("_", "-"),
                json.dumps(claims),
                json.dumps(history),
                now,
            )

        for path in sorted(SERVICE.migrations.glob("*.sql")):
            shutil.copy(path, folder)
        applied = await migrate(settings, folder)
        assert {"claim_reviews", "republish_snapshots"} <= {m.name for m in applied}

        rows = {
            r["id"]: (r["pending_claims"], r["snapshot_stale"])
            for r in await conn.fetch("SELECT id, pending_claims, snapshot_stale FROM makers.makers")
        }
        assert rows == {ids["evidenced_before"]: (2, True), ids["self_declared"]: (0, False)}

        # Read back through the service's own store, as the service's connections decode it.
        await conn.execute("SET search_path = makers")
        await reads_jsonb(conn)
        maker = await store.get(conn, ids["evidenced_before"])
    finally:
        await conn.close()
    assert maker is not None
    assert [maker.claim_status(c) for c in maker.profile.sourcing_claims] == ["pending_verification"] * 2
    assert [c.evidenced for c in maker.catalogue_snapshot(date.today()).sourcing_claims] == [False, False]
