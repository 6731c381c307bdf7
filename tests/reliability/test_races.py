"""Races the reliability scenarios found, pinned down deterministically."""

from __future__ import annotations

import asyncio

import asyncpg

from shared.contracts.makers import MakerApproved, MakerSubmitted
from shared.db import UnitOfWork
from tests.support.catalogue import TestMaker, apply_maker, catalogue_pool  # noqa: F401 (fixture)
from tests.support.harness import eventually
from tests.support.waits import blocked_by


async def test_an_older_maker_snapshot_never_overwrites_a_newer_one_for_a_new_maker(
    catalogue_pool: asyncpg.Pool,
) -> None:
    """A maker's `submitted` (v1) and `approved` (v2) reach the catalogue's consumer together
    (prefetch > 1). Neither finds a row to lock; `approved` commits first and `submitted`,
    blocked on the same key until then, must not overwrite it: the maker stays approved.
    (Found under load: listings refused with 403 maker_not_approved for good.)"""
    maker = TestMaker()
    submitted = maker.event(MakerSubmitted, status="submitted")
    approved = maker.event(MakerApproved, status="approved")

    async with UnitOfWork(catalogue_pool, "catalogue") as newer:
        from services.catalogue import handlers
        from tests.support.catalogue import envelope

        await handlers.on_maker_changed(newer, approved, envelope(approved, "makers", maker.maker_id))
        newer_pid = await newer.conn.fetchval("SELECT pg_backend_pid()")
        older = asyncio.create_task(apply_maker(catalogue_pool, submitted))

        async def older_waits_on_newer() -> bool:
            return bool(await blocked_by(catalogue_pool, newer_pid)) and not older.done()

        # `submitted` is now waiting on the row `approved` inserted, and only commits after it.
        await eventually(older_waits_on_newer, timeout_s=10, message="`submitted` blocked by `approved`")
    await older

    row = await catalogue_pool.fetchrow("SELECT status, version FROM makers WHERE id = $1", maker.maker_id)
    assert (row["status"], row["version"]) == ("approved", approved.maker_version)
