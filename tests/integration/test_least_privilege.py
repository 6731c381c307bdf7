"""Each service's runtime role reaches its own schema only, and cannot create."""

from __future__ import annotations

import asyncpg
import pytest

from shared.migrate import MigrationError, migrate
from tests.support.fixture_services import CONSUMER, PRODUCER


async def _connect_as(settings) -> asyncpg.Connection:
    return await asyncpg.connect(settings.dsn())


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM producer.items",
        "INSERT INTO producer.outbox (event_id, routing_key, aggregate_id, envelope) "
        "VALUES (gen_random_uuid(), 'x', 'x', '{}')",
        "CREATE TABLE sneaky (id int)",
        "CREATE TABLE consumer.sneaky (id int)",
        "CREATE TABLE public.sneaky (id int)",
        "CREATE TEMP TABLE sneaky (id int)",
        "CREATE SCHEMA sneaky",
    ],
)
async def test_runtime_role_is_denied_outside_its_own_tables(fixture_db, sql: str) -> None:
    conn = await _connect_as(fixture_db["consumer"])
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError) as denied:
            await conn.execute(sql)
        assert denied.value.sqlstate == "42501"
    finally:
        await conn.close()


async def test_runtime_role_works_in_its_own_schema_by_default(fixture_db) -> None:
    conn = await _connect_as(fixture_db["consumer"])
    try:
        assert await conn.fetchval("SHOW search_path") == "consumer"
        assert await conn.fetchval("SELECT count(*) >= 0 FROM effects")
    finally:
        await conn.close()


async def test_runtime_roles_have_no_dangerous_attributes(fixture_db, admin_conn) -> None:
    for settings in fixture_db.values():
        row = await admin_conn.fetchrow(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolcanlogin "
            "FROM pg_roles WHERE rolname = $1",
            settings.app_role,
        )
        assert dict(row) == {
            "rolsuper": False,
            "rolcreaterole": False,
            "rolcreatedb": False,
            "rolbypassrls": False,
            "rolcanlogin": True,
        }


async def test_migrations_are_idempotent_and_concurrent_runs_queue(fixture_db) -> None:
    import asyncio

    results = await asyncio.gather(*(migrate(fixture_db["producer"], PRODUCER.migrations) for _ in range(3)))
    assert results == [[], [], []]


async def test_a_changed_applied_migration_is_refused(fixture_db, tmp_path) -> None:
    changed = tmp_path / "migrations"
    changed.mkdir()
    for path in CONSUMER.migrations.glob("*.sql"):
        (changed / path.name).write_text(path.read_text() + "\n-- edited after it was applied\n")
    with pytest.raises(MigrationError, match="has changed"):
        await migrate(fixture_db["consumer"], changed)
