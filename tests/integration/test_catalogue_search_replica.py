"""One instance's copy of the search index against the real PostgreSQL: built when missing,
reopened and caught up, a change committed late by a transaction with a lower id is never
skipped, and a count the changes in flight cannot explain is rebuilt by the reconciliation."""

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

pytestmark = pytest.mark.timeout(120)


def a_word() -> str:
    return "rp" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


async def visible(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM listing_search WHERE visible"))


def found(replica: Replica, q: str) -> int:
    assert replica.index is not None
    return replica.index.search(Filters(q=q), None, None, 24).total


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
    assert found(reopened, word) == 2
    assert json.loads((tmp_path / "state.json").read_text())["index"] == state["index"]  # not rebuilt
    del reopened

    # An index of another schema version is rebuilt into a new folder.
    (tmp_path / "state.json").write_text(json.dumps({**state, "schema_version": -1}))
    rebuilt = Replica(catalogue_pool, tmp_path)
    await rebuilt.open()
    assert found(rebuilt, word) == 2
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
        await b.execute("UPDATE listing_search SET title = $1 WHERE listing_id = $2", late, second.id)
        await replica.catch_up()
        # B is committed but above the oldest running transaction (A): not yet read, and the
        # watermark stays below A, so neither is passed over.
        assert (found(replica, early), found(replica, late)) == (0, 0)
        await transaction.commit()
    await replica.catch_up()
    assert (found(replica, early), found(replica, late)) == (1, 1)


async def test_the_reconciliation_rebuilds_an_index_that_lost_documents(
    catalogue_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    maker = await approved_maker(catalogue_pool)
    word = a_word()
    listing = await add_listing(catalogue_pool, maker, ring(title=f"{word} ring"))
    replica = Replica(catalogue_pool, tmp_path)
    await replica.open()
    assert await replica.reconcile() == (await visible(catalogue_pool),) * 2

    # A document lost behind the follower's back (a disk fault, a bug): the counts disagree
    # with nothing in flight to explain it.
    assert replica.index is not None and replica._writer is not None
    replica._writer.delete_documents_by_term("id", str(listing.id))
    replica._writer.commit()
    replica.index.refresh()
    assert found(replica, word) == 0
    documents, rows = await replica.reconcile()
    assert documents == rows == await visible(catalogue_pool)
    assert found(replica, word) == 1
