"""Least privilege of the four real services' runtime roles, read from the PostgreSQL catalogue:
each reaches its own schema and nothing else, can create nothing anywhere, and has none of the
dangerous role attributes. (test_least_privilege.py proves the same of the fixture services.)"""

from __future__ import annotations

import asyncpg
import pytest

from tests.conftest import REAL_SERVICES

ATTRIBUTES = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolbypassrls", "rolreplication")


@pytest.fixture
async def admin(services_db: dict, test_env) -> asyncpg.Connection:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{test_env.database}")
    yield conn
    await conn.close()


@pytest.mark.parametrize("service", REAL_SERVICES)
async def test_runtime_role_has_no_dangerous_attribute(services_db: dict, admin, service: str) -> None:
    settings = services_db[service]
    row = await admin.fetchrow(
        f"SELECT {', '.join(ATTRIBUTES)}, rolcanlogin, rolinherit FROM pg_roles WHERE rolname = $1",
        settings.app_role,
    )
    assert row is not None
    assert {a: row[a] for a in ATTRIBUTES} == dict.fromkeys(ATTRIBUTES, False)
    assert row["rolcanlogin"]
    # Member of no role at all: it can borrow nobody's privileges (the owner's least of all).
    assert (
        await admin.fetch(
            "SELECT b.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
            "JOIN pg_roles b ON b.oid = m.roleid WHERE r.rolname = $1",
            settings.app_role,
        )
        == []
    )


@pytest.mark.parametrize("service", REAL_SERVICES)
async def test_runtime_role_reaches_its_own_schema_only(services_db: dict, admin, service: str) -> None:
    settings = services_db[service]
    role, own = settings.app_role, settings.db_schema
    schemas = [
        r["nspname"]
        for r in await admin.fetch(
            "SELECT nspname FROM pg_namespace "
            "WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
        )
    ]
    for schema in schemas:
        usage = await admin.fetchval("SELECT has_schema_privilege($1, $2, 'USAGE')", role, schema)
        create = await admin.fetchval("SELECT has_schema_privilege($1, $2, 'CREATE')", role, schema)
        assert create is False, (role, schema, "CREATE")
        assert usage is (schema == own), (role, schema, "USAGE")
    # No privilege on any table, sequence or function of another service's schema.
    others = [s for s in schemas if s != own and s != "public"]
    leaks = await admin.fetch(
        "SELECT n.nspname, c.relname, c.relkind "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = ANY($2) AND c.relkind IN ('r', 'v', 'm', 'S', 'p') AND ("
        "  has_table_privilege($1, c.oid, 'SELECT') OR has_table_privilege($1, c.oid, 'INSERT') OR "
        "  has_table_privilege($1, c.oid, 'UPDATE') OR has_table_privilege($1, c.oid, 'DELETE') OR "
        "  has_table_privilege($1, c.oid, 'TRUNCATE') OR has_table_privilege($1, c.oid, 'REFERENCES') OR "
        "  has_table_privilege($1, c.oid, 'TRIGGER'))",
        role,
        others,
    )
    assert leaks == [], leaks
    # In its own schema: DML on its tables and nothing that changes their shape or ownership.
    owned = await admin.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND pg_get_userbyid(c.relowner) = $2",
        own,
        role,
    )
    assert owned == [], f"{role} owns {owned}: it could ALTER or DROP them"
    assert not await admin.fetchval(
        "SELECT bool_or(has_table_privilege($1, c.oid, 'TRUNCATE')) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $2 AND c.relkind = 'r'",
        role,
        own,
    )
    # Database level: connect, but neither CREATE (schemas) nor TEMPORARY.
    assert await admin.fetchval("SELECT has_database_privilege($1, current_database(), 'CONNECT')", role)
    assert not await admin.fetchval("SELECT has_database_privilege($1, current_database(), 'CREATE')", role)
    assert not await admin.fetchval(
        "SELECT has_database_privilege($1, current_database(), 'TEMPORARY')", role
    )


@pytest.mark.parametrize("service", REAL_SERVICES)
async def test_runtime_role_is_refused_in_practice(services_db: dict, service: str) -> None:
    settings = services_db[service]
    conn = await asyncpg.connect(settings.dsn())
    try:
        assert await conn.fetchval("SHOW search_path") == settings.db_schema
        other = next(s.db_schema for name, s in services_db.items() if name != service)
        for sql in (
            f"SELECT 1 FROM {other}.outbox LIMIT 1",
            "CREATE TABLE sneaky (id int)",
            "CREATE TEMP TABLE sneaky (id int)",
            "CREATE SCHEMA sneaky",
            f"DROP TABLE {settings.db_schema}.outbox",
            f"ALTER TABLE {settings.db_schema}.outbox ADD COLUMN x int",
            f"TRUNCATE {settings.db_schema}.outbox",
            "CREATE ROLE sneaky",
            "SET ROLE postgres",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql)
    finally:
        await conn.close()
