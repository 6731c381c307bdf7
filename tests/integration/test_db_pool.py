"""A service's connection pool (`shared.db.create_pool`) against real PostgreSQL: handing a
connection back sends nothing to the server (asyncpg's default reset was one more round trip on
every release), a transaction its holder left open still ends there, and JSON reads back as
it was written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.makers.app import SERVICE
from services.makers.settings import MakersSettings
from shared.db import create_pool
from shared.migrate import migrate
from tests.support.harness import TestEnvironment, admin_dsn


@pytest.fixture(scope="module")
async def pool(test_env: TestEnvironment) -> AsyncIterator[asyncpg.Pool]:
    # One connection: every acquire gets the same one back.
    settings = test_env.track(MakersSettings(pg_pool_min=1, pg_pool_max=1))
    await migrate(settings, SERVICE.migrations)
    pool = await create_pool(settings)
    yield pool
    await pool.close()


async def _last_statement(test_env: TestEnvironment, pid: int) -> str:
    """What the server last ran on that backend (pg_stat_activity keeps it while idle)."""
    admin = await asyncpg.connect(admin_dsn(test_env.database))
    try:
        return str(await admin.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid))
    finally:
        await admin.close()


async def test_handing_a_connection_back_sends_nothing(pool: asyncpg.Pool, test_env: TestEnvironment) -> None:
    async with pool.acquire() as conn:
        pid = conn.get_server_pid()
        await conn.execute("SELECT 'the last statement before the release'")
    assert await _last_statement(test_env, pid) == "SELECT 'the last statement before the release'"


async def test_a_transaction_left_open_is_rolled_back_on_release(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        pid = conn.get_server_pid()
        transaction = conn.transaction()
        await transaction.start()
        # A session setting changed inside the transaction: a rollback undoes it, a commit keeps it.
        await conn.execute("SELECT set_config('market.left_open', 'yes', false)")
    async with pool.acquire() as conn:
        assert conn.get_server_pid() == pid
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT current_setting('market.left_open', true)") in ("", None)


async def test_json_reads_back_as_it_was_written(pool: asyncpg.Pool) -> None:
    document = {
        "name": "Émeraude ring",
        "sizes": ["L", "M½"],
        "price": 12_500,
        "largest": 2**63 - 1,
        "ratio": 0.75,
        "none": None,
        "nested": {"photos": [{"alt": 'A ring "on" a hand'}]},
    }
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT $1::jsonb", document) == document
        assert await conn.fetchval("SELECT $1::json", document) == document
