"""The search index of one catalogue API instance, on its local disk, kept current from the
search rows' change sequence.

Directory (one per instance): `state.json` names the index folder in use, the schema version,
the database it was built from and the watermark; the folder holds the tantivy index. The state
is written (atomically) after each index commit, so a crash between the two replays changes
already applied, which is harmless: applying a row writes its current state.

Following: every write of a search row stamps it with its transaction's id (`changed_xid`). A
round reads, in one repeatable-read snapshot, the rows stamped at or after the watermark, writes
each listing's current state (delete by id, add if visible) unless that very version was
applied already, commits, opens a new searcher generation, and moves the watermark to the
snapshot's xmin (`pg_snapshot_xmin`: the oldest transaction then still running). Transaction ids
are not commit order: a transaction with a lower id can commit after one with a higher id. Any
transaction not yet visible to the snapshot has an id at or above its xmin, so its rows are
still at or above the watermark when it commits, and a later round reads them; nothing is ever
passed over. Rows committed above a transaction that stays open (in any database of the
cluster) are applied at once all the same: only the watermark waits. A rebuild reads every
visible row in one repeatable-read snapshot and starts from that snapshot's xmin.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import tantivy

from services.catalogue.search.engine import SCHEMA_VERSION, SearchIndex, build_schema, document
from shared.logging import get_logger

log = get_logger()

_COLUMNS = (
    "listing_id, visible, published_at, price_amount, terms, title, attributes, description, "
    "rating_average, rating_count"
)
_CHANGES = (
    f"SELECT {_COLUMNS}, changed_xid::text AS xid FROM listing_search "
    "WHERE changed_xid >= $1::text::xid8 AND (changed_xid, listing_id) > ($2::text::xid8, $3::uuid) "
    "ORDER BY changed_xid, listing_id LIMIT $4"
)
_XMIN = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text"
BATCH = 5000
# The follower's writer takes a round's changes (small); a rebuild indexes everything at once on
# both cores and is dropped when done.
_FOLLOW_HEAP = 32_000_000
_BUILD_HEAP = 192_000_000


class Replica:
    """One instance's index: opened or built, then followed by `follow` (one task)."""

    def __init__(self, pool: asyncpg.Pool, directory: Path, keep_snapshots_s: float = 300.0) -> None:
        self.pool = pool
        self.directory = directory
        self.keep_snapshots_s = keep_snapshots_s
        self.index: SearchIndex | None = None
        self.watermark = 0
        self._writer: tantivy.IndexWriter | None = None
        self._folder: str | None = None
        self._source = ""
        self._lock = asyncio.Lock()
        # The version (transaction id) applied of each listing changed at or above the
        # watermark: re-read by every round until the watermark passes it, applied once.
        self._applied: dict[UUID, str] = {}
        self.rounds = 0  # rounds completed: a round begun after a commit has applied it
        self.caught_up_at = time.monotonic()  # when the last completed round began

    # --- opening and building ---------------------------------------------------------------------

    async def open(self) -> None:
        """Open the index on disk and catch up; build it anew when it is missing, unreadable,
        of another schema version or of another database (a catalogue schema made anew has a
        new `search_index_source`)."""
        self._source = str(await self.pool.fetchval("SELECT id FROM search_index_source"))
        async with self._lock:
            state = self._read_state()
            if state is not None:
                try:
                    index = tantivy.Index.open(str(self.directory / state["index"]))
                    self._use(index, state["index"], int(state["watermark"]))
                    log.info("search_index_opened", documents=self.index.documents if self.index else 0)
                except (ValueError, OSError) as exc:
                    log.warning("search_index_unreadable", error=repr(exc)[:200])
                    state = None
            if state is None:
                await self._rebuild()
        await self.catch_up()

    def _read_state(self) -> dict[str, Any] | None:
        try:
            state = json.loads((self.directory / "state.json").read_text())
        except (OSError, ValueError):
            return None
        if (
            not isinstance(state, dict)
            or state.get("schema_version") != SCHEMA_VERSION
            or state.get("source") != self._source
            or not (self.directory / str(state.get("index"))).is_dir()
        ):
            return None
        return state

    def _write_state(self) -> None:
        state = {
            "schema_version": SCHEMA_VERSION,
            "source": self._source,
            "index": self._folder,
            "watermark": str(self.watermark),
        }
        temporary = self.directory / "state.json.tmp"
        temporary.write_text(json.dumps(state))
        os.replace(temporary, self.directory / "state.json")

    def _use(self, index: tantivy.Index, folder: str, watermark: int) -> None:
        self._writer = index.writer(heap_size=_FOLLOW_HEAP, num_threads=1)
        self._folder = folder
        self.watermark = watermark
        self._applied = {}  # a new index: every row at or above the watermark is applied again
        generation = self.index.generation if self.index else 0
        self.index = SearchIndex(index, self.keep_snapshots_s, after_generation=generation)

    async def _rebuild(self) -> None:
        """Build a new index from every visible row, switch to it, and drop the old folders."""
        started = time.monotonic()
        folder = f"index-{time.time_ns()}"
        (self.directory / folder).mkdir(parents=True)
        index = tantivy.Index(build_schema(), path=str(self.directory / folder))
        writer = bulk_writer(index)
        count = 0
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            watermark = int(await conn.fetchval(_XMIN))
            rows = conn.cursor(f"SELECT {_COLUMNS} FROM listing_search WHERE visible", prefetch=BATCH)
            batch: list[asyncpg.Record] = []
            async for row in rows:
                batch.append(row)
                if len(batch) == BATCH:
                    await asyncio.to_thread(_add_all, writer, batch)
                    count += len(batch)
                    batch = []
            await asyncio.to_thread(_add_all, writer, batch)
            count += len(batch)
        await asyncio.to_thread(finish_bulk, writer)
        self._use(tantivy.Index.open(str(self.directory / folder)), folder, watermark)
        self._write_state()
        for old in self.directory.glob("index-*"):
            if old.name != folder:
                shutil.rmtree(old, ignore_errors=True)
        log.info("search_index_built", documents=count, seconds=round(time.monotonic() - started, 2))

    # --- following --------------------------------------------------------------------------------

    async def catch_up(self) -> int:
        """One round: apply every change committed since the watermark. Returns rows applied."""
        async with self._lock:
            applied, _ = await self._catch_up()
            return applied

    async def _catch_up(self, count: bool = False) -> tuple[int, int | None]:
        """A round; returns (rows applied, visible rows in the round's snapshot if `count`)."""
        assert self.index is not None and self._writer is not None
        started = time.monotonic()
        applied = 0
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            xmin = int(await conn.fetchval(_XMIN))
            after: tuple[str, UUID] = (str(self.watermark), UUID(int=0))
            while True:
                rows = await conn.fetch(_CHANGES, str(self.watermark), *after, BATCH)
                fresh = [row for row in rows if self._applied.get(row["listing_id"]) != row["xid"]]
                if fresh:
                    await asyncio.to_thread(_apply, self._writer, fresh)
                    self._applied.update((row["listing_id"], row["xid"]) for row in fresh)
                    applied += len(fresh)
                if len(rows) < BATCH:
                    break
                after = (rows[-1]["xid"], rows[-1]["listing_id"])
            visible = (
                await conn.fetchval("SELECT count(*) FROM listing_search WHERE visible") if count else None
            )
        if applied:
            await asyncio.to_thread(self._writer.commit)
            self.index.refresh()
        if xmin > self.watermark:
            self.watermark = xmin
            self._applied = {key: xid for key, xid in self._applied.items() if int(xid) >= xmin}
        if applied:
            self._write_state()
        self.rounds += 1
        self.caught_up_at = started
        return applied, visible

    async def follow(self, listen: asyncpg.Connection | None, channel: str, poll_s: float) -> None:
        """Catch up whenever a change is announced, and every `poll_s` regardless."""
        wake = asyncio.Event()
        if listen is not None:
            await listen.add_listener(channel, lambda *_: wake.set())
        while True:
            wake.clear()
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("search_follow_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll_s)

    async def reconcile(self) -> tuple[int, int]:
        """A round that also counts the visible rows in its snapshot, which the index then
        holds exactly; a different count means the index lost or kept documents it should not
        (a fault outside this code): rebuilt. Returns (documents, visible rows)."""
        async with self._lock:
            assert self.index is not None
            _, visible = await self._catch_up(count=True)
            assert visible is not None
            documents = self.index.documents
            if documents != visible:
                log.warning("search_index_diverged", documents=documents, visible=visible)
                await self._rebuild()
                _, counted = await self._catch_up(count=True)
                visible, documents = counted or 0, self.index.documents
            return documents, visible


def bulk_writer(index: tantivy.Index) -> tantivy.IndexWriter:
    """The writer of a build (every document at once; bench/engine_profile.py builds alike)."""
    return index.writer(heap_size=_BUILD_HEAP, num_threads=2)


def finish_bulk(writer: tantivy.IndexWriter) -> None:
    """Commit a build and wait for its merges (the writer is dropped after)."""
    writer.commit()
    writer.wait_merging_threads()


def _add_all(writer: tantivy.IndexWriter, rows: list[asyncpg.Record]) -> None:
    for row in rows:
        writer.add_document(document(row))


def _apply(writer: tantivy.IndexWriter, rows: list[asyncpg.Record]) -> None:
    for row in rows:
        writer.delete_documents_by_term("id", str(row["listing_id"]))
        if row["visible"]:
            writer.add_document(document(row))
