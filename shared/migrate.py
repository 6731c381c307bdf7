"""The migration runner: plain SQL files per service, applied once each.

As the superuser DSN it creates the database (if missing), the schema, an owner
role that owns the schema, and the least-privilege runtime role the service
logs in as: USAGE on its own schema and DML on its tables, search_path set to
the schema, no privilege on any other schema and no CREATE anywhere. Files are
applied as the owner role, one transaction per file, under an advisory lock so
concurrent runners queue; a changed checksum of an applied file is an error.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from shared.config import ServiceSettings
from shared.logging import get_logger

log = get_logger()

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    track: str  # "runtime" (shared tables) or "service"
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(service_dir: Path | None) -> list[Migration]:
    found = []
    for track, folder in (("runtime", RUNTIME_MIGRATIONS), ("service", service_dir)):
        if folder is None or not folder.exists():
            continue
        for path in sorted(folder.glob("*.sql")):
            version, _, name = path.stem.partition("_")
            found.append(Migration(track, version, name, path.read_text()))
    return found


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def ensure_database(settings: ServiceSettings) -> None:
    admin = await asyncpg.connect(settings.pg_admin_dsn)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", settings.pg_database)
        if not exists:
            # Another runner may create it first.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await admin.execute(f"CREATE DATABASE {_ident(settings.pg_database)}")
    finally:
        await admin.close()


async def _ensure_roles_and_schema(conn: asyncpg.Connection, settings: ServiceSettings) -> None:
    schema, owner, app = settings.db_schema, settings.owner_role, settings.app_role
    db = _ident(settings.pg_database)
    for role, login in ((owner, False), (app, True)):
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        attrs = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        attrs += " LOGIN" if login else " NOLOGIN"
        if login and settings.role_password:
            password = settings.role_password.replace("'", "''")
            attrs += f" PASSWORD '{password}'"
        verb = "ALTER" if exists else "CREATE"
        try:
            await conn.execute(f"{verb} ROLE {_ident(role)} {attrs}")
        except asyncpg.DuplicateObjectError:
            await conn.execute(f"ALTER ROLE {_ident(role)} {attrs}")
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)} AUTHORIZATION {_ident(owner)}")
    # Nobody gets the public schema or temporary tables by default; each runtime
    # role is granted its own schema alone.
    await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
    await conn.execute(f"REVOKE CREATE, TEMPORARY ON DATABASE {db} FROM PUBLIC")
    await conn.execute(f"GRANT CONNECT ON DATABASE {db} TO {_ident(app)}")
    await conn.execute(f"GRANT USAGE ON SCHEMA {_ident(schema)} TO {_ident(app)}")
    await conn.execute(f"ALTER ROLE {_ident(app)} IN DATABASE {db} SET search_path = {_ident(schema)}")
    for privileges, kind in (
        ("SELECT, INSERT, UPDATE, DELETE", "TABLES"),
        ("USAGE, SELECT", "SEQUENCES"),
        ("EXECUTE", "FUNCTIONS"),
    ):
        await conn.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {_ident(owner)} IN SCHEMA {_ident(schema)} "
            f"GRANT {privileges} ON {kind} TO {_ident(app)}"
        )
    await conn.execute(
        f"CREATE TABLE IF NOT EXISTS {_ident(schema)}.schema_migrations ("
        " track text NOT NULL, version text NOT NULL, name text NOT NULL,"
        " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (track, version))"
    )
    await conn.execute(f"ALTER TABLE {_ident(schema)}.schema_migrations OWNER TO {_ident(owner)}")


async def migrate(settings: ServiceSettings, service_dir: Path | None) -> list[Migration]:
    """Bring the service's schema up to date; returns the migrations applied now."""
    await ensure_database(settings)
    admin_dsn = settings.pg_admin_dsn.rsplit("/", 1)[0] + "/" + settings.pg_database
    conn = await asyncpg.connect(admin_dsn)
    applied_now: list[Migration] = []
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext('migrate:' || $1))", settings.db_schema)
        try:
            await _ensure_roles_and_schema(conn, settings)
            schema = _ident(settings.db_schema)
            rows = await conn.fetch(f"SELECT track, version, checksum FROM {schema}.schema_migrations")
            applied = {(r["track"], r["version"]): r["checksum"] for r in rows}
            for migration in load_migrations(service_dir):
                key = (migration.track, migration.version)
                if key in applied:
                    if applied[key] != migration.checksum:
                        raise MigrationError(
                            f"{settings.db_schema}: applied migration {migration.track}/"
                            f"{migration.version}_{migration.name} has changed since"
                        )
                    continue
                async with conn.transaction():
                    await conn.execute(f"SET LOCAL ROLE {_ident(settings.owner_role)}")
                    await conn.execute(f"SET LOCAL search_path = {schema}")
                    await conn.execute(migration.sql)
                    await conn.execute(
                        f"INSERT INTO {schema}.schema_migrations (track, version, name, checksum)"
                        " VALUES ($1, $2, $3, $4)",
                        migration.track,
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
                applied_now.append(migration)
                log.info(
                    "migration_applied",
                    schema=settings.db_schema,
                    track=migration.track,
                    version=migration.version,
                    name=migration.name,
                )
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext('migrate:' || $1))", settings.db_schema)
    finally:
        await conn.close()
    return applied_now
