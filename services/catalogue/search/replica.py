"""The search index of one catalogue API instance, on its local disk, kept current from the
search rows' change sequence.

Directory (one per instance): `state.json` names the index folder in use, the schema version,
the database it was built from and the watermark; the folder holds the tantivy index. The state
is written (atomically) after each index commit, so a crash between the two replays changes
already applied, which is harmless: applying a row writes its current state.

Following: every write of a search row stamps it with its transaction's id (`changed_xid`). A
round reads the rows stamped at or after the watermark and before the oldest transaction still
running (`pg_snapshot_xmin`), writes each listing's current state (delete by id, add if
visible), commits, opens a new searcher generation, and moves the watermark to that xmin.
Transaction ids are not commit order: a transaction with a lower id can commit after one with a
higher id. Reading only below the oldest running transaction means no transaction that could
still commit is ever passed over; rows stamped later are read by a later round. A rebuild reads
every visible row in one repeatable-read snapshot and starts from that snapshot's xmin.
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
    "WHERE changed_xid >= $1::text::xid8 AND changed_xid < $2::text::xid8 "
    "AND (changed_xid, listing_id) > ($3::text::xid8, $4::uuid) "
    "ORDER BY changed_xid, listing_id LIMIT $5"
)
_XMIN = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text"
BATCH = 5000
_WRITER_HEAP = 96_000_000


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
        self._writer = index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        self._folder = folder
        self.watermark = watermark
        generation = self.index.generation if self.index else 0
        self.index = SearchIndex(index, self.keep_snapshots_s, after_generation=generation)

    async def _rebuild(self) -> None:
        """Build a new index from every visible row, switch to it, and drop the old folders."""
        started = time.monotonic()
        folder = f"index-{time.time_ns()}"
        (self.directory / folder).mkdir(parents=True)
        index = tantivy.Index(build_schema(), path=str(self.directory / folder))
        writer = index.writer(heap_size=_WRITER_HEAP * 2, num_threads=2)
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
        await asyncio.to_thread(writer.commit)
        await asyncio.to_thread(writer.wait_merging_threads)
        self._use(tantivy.Index.open(str(self.directory / folder)), folder, watermark)
        self._write_state()
        for old in self.directory.glob("index-*"):
            if old.name != folder:
                shutil.rmtree(old, ignore_errors=True)
        log.info("search_index_built", documents=count, seconds=round(time.monotonic() - started, 2))

    # --- following --------------------------------------------------------------------------------

    async def catch_up(self) -> int:
        """One round: apply every change finished since the watermark. Returns rows applied."""
        async with self._lock:
            return await self._catch_up()

    async def _catch_up(self) -> int:
        assert self.index is not None and self._writer is not None
        xmin = int(await self.pool.fetchval(_XMIN))
        if xmin <= self.watermark:
            return 0
        after: tuple[str, UUID] = (str(self.watermark), UUID(int=0))
        applied = 0
        while True:
            rows = await self.pool.fetch(_CHANGES, str(self.watermark), str(xmin), *after, BATCH)
            if rows:
                await asyncio.to_thread(_apply, self._writer, rows)
                applied += len(rows)
                after = (rows[-1]["xid"], rows[-1]["listing_id"])
            if len(rows) < BATCH:
                break
        if applied:
            await asyncio.to_thread(self._writer.commit)
            self.index.refresh()
        self.watermark = xmin
        if applied:
            self._write_state()
        return applied

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

    async def lag_seconds(self) -> float:
        """Age of the oldest change not yet applied (0 when none)."""
        lag = await self.pool.fetchval(
            "SELECT coalesce(extract(epoch FROM now() - min(changed_at)), 0)::float8 "
            "FROM listing_search WHERE changed_xid >= $1::text::xid8",
            str(self.watermark),
        )
        return float(lag)

    async def reconcile(self) -> tuple[int, int]:
        """Compare the index with the table; rebuild when they differ by more than the changes
        not yet applied explain. Returns (documents, visible rows)."""
        async with self._lock:
            assert self.index is not None
            row = await self.pool.fetchrow(
                "SELECT count(*) FILTER (WHERE visible AND changed_xid < $1::text::xid8) AS settled, "
                "count(*) FILTER (WHERE changed_xid >= $1::text::xid8) AS moving, "
                "count(*) FILTER (WHERE visible) AS visible FROM listing_search",
                str(self.watermark),
            )
            assert row is not None  # an aggregate without GROUP BY always returns one row
            documents = self.index.documents
            if abs(documents - row["settled"]) > row["moving"]:
                log.warning(
                    "search_index_diverged", documents=documents, settled=row["settled"], moving=row["moving"]
                )
                await self._rebuild()
                await self._catch_up()
                documents = self.index.documents
            return documents, row["visible"]


def _add_all(writer: tantivy.IndexWriter, rows: list[asyncpg.Record]) -> None:
    for row in rows:
        writer.add_document(document(row))


def _apply(writer: tantivy.IndexWriter, rows: list[asyncpg.Record]) -> None:
    for row in rows:
        writer.delete_documents_by_term("id", str(row["listing_id"]))
        if row["visible"]:
            writer.add_document(document(row))
