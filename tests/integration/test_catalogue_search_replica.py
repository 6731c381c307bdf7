"""One instance's copy of the search index against the real PostgreSQL: built when missing,
reopened and caught up, a change committed late by a transaction with a lower id is never
skipped (nor does it hold back the changes committed before it), and an index whose count
differs from the visible rows is rebuilt by the reconciliation."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from services.catalogue.search import Filters, Replica
from tests.support.catalogue import (
    add_listing,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    ring,
)
from tests.support.harness import eventually

pytestmark = pytest.mark.timeout(120)


def a_word() -> str:
    return "rp" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


async def visible(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM listing_search WHERE visible"))


def found(replica: Replica, q: str) -> int:
    assert replica.index is not None
    return replica.index.search(Filters(q=q), None, None, 24).total


async def caught_up(replica: Replica, q: str, expected: int) -> None:
    """Catch up until `q` finds `expected` (a round or two)."""

    async def check() -> bool:
        await replica.catch_up()
        return found(replica, q) == expected

    await eventually(check, timeout_s=10, message=f"{q!r} finds {expected}")


async def test_built_when_missing_then_reopened_and_caught_up(
    catalogue_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    maker = await approved_maker(catalogue_pool)
    word = a_word()
    await add_listing(catalogue_pool, maker, ring(title=f"{word} ring"))
    replica = Replica(catalogue_pool, tmp_path)
    await replica.open()
    assert replica.index is not None and replica.index.documents == await visible(catalogue_pool)
    assert found(replica, word) == 1
    state = json.loads((tmp_path / "state.json").read_text())
    del replica

    # Changed while no instance ran: the reopened index catches up from its watermark.
    await add_listing(catalogue_pool, maker, ring(title=f"{word} band"))
    reopened = Replica(catalogue_pool, tmp_path)
    await reopened.open()
    await caught_up(reopened, word, 2)
    assert json.loads((tmp_path / "state.json").read_text())["index"] == state["index"]  # not rebuilt
    del reopened

    # An index of another schema version is rebuilt into a new folder.
    (tmp_path / "state.json").write_text(json.dumps({**state, "schema_version": -1}))
    rebuilt = Replica(catalogue_pool, tmp_path)
    await rebuilt.open()
    await caught_up(rebuilt, word, 2)
    assert json.loads((tmp_path / "state.json").read_text())["index"] != state["index"]
    assert [p.name for p in tmp_path.glob("index-*")] == [
        json.loads((tmp_path / "state.json").read_text())["index"]
    ]


async def test_a_lower_transaction_committing_late_is_not_skipped(
    catalogue_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    maker = await approved_maker(catalogue_pool)
    early, late = a_word(), a_word()
    first = await add_listing(catalogue_pool, maker, ring(title="Plain ring"))
    second = await add_listing(catalogue_pool, maker, ring(title="Plain band"))
    replica = Replica(catalogue_pool, tmp_path)
    await replica.open()

    # Transaction A takes its id first and stays open; B, with a higher id, commits first.
    async with catalogue_pool.acquire() as a, catalogue_pool.acquire() as b:
        transaction = a.transaction()
        await transaction.start()
        await a.execute("UPDATE listing_search SET title = $1 WHERE listing_id = $2", early, first.id)
        a_xid = int(await a.fetchval("SELECT pg_current_xact_id()::text"))
        await b.execute("UPDATE listing_search SET title = $1 WHERE listing_id = $2", late, second.id)
        # B is searchable at once; the watermark stays at or below A, which may still commit.
        await caught_up(replica, late, 1)
        assert found(replica, early) == 0
        assert replica.watermark <= a_xid
        await transaction.commit()
    await caught_up(replica, early, 1)
    assert found(replica, late) == 1


async def test_the_reconciliation_rebuilds_an_index_that_lost_documents(
    catalogue_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    maker = await approved_maker(catalogue_pool)
    word = a_word()
    listing = await add_listing(catalogue_pool, maker, ring(title=f"{word} ring"))
    replica = Replica(catalogue_pool, tmp_path)
    await replica.open()
    assert await replica.reconcile() == (await visible(catalogue_pool),) * 2

    # A document lost behind the follower's back (a disk fault, a bug): the index no longer
    # holds every visible row of the snapshot it was caught up to.
    assert replica.index is not None and replica._writer is not None
    replica._writer.delete_documents_by_term("id", str(listing.id))
    replica._writer.commit()
    replica.index.refresh()
    assert found(replica, word) == 0

    assert await replica.reconcile() == (await visible(catalogue_pool),) * 2
    assert found(replica, word) == 1
