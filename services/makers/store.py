"""Makers' SQL: load and save the Maker aggregate, and the lists.

Saving is optimistic: a maker loaded through the unit of work (`load`) is written back only over
the version it was loaded at, so of two concurrent changes to one maker the second is refused
(409 concurrent_update) instead of silently overwriting the first. Uniqueness (one maker per
user, unique handles) is enforced by the database, so concurrent requests cannot both win either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.makers.domain import (
    STORED,
    ClaimReview,
    HistoryEntry,
    Maker,
    MakerProfile,
    MakerStatus,
    ShippingProfile,
)
from shared.contracts.reviews import Rating
from shared.db import Executor, UnitOfWork, keep_newest
from shared.errors import Conflict, Violation, concurrent_update, conflict

_PROFILE_COLUMNS = tuple(MakerProfile.model_fields)  # columns named exactly like the fields
_COLUMNS = (
    "id",
    "user_id",
    "status",
    *_PROFILE_COLUMNS,
    "history",
    "claim_reviews",
    "pending_claims",
    "snapshot_stale",
    "shipping",
    "submitted_at",
    "joined_at",
    "created_at",
    "updated_at",
    "version",
)
# The maker's kept rating as [count, total] (NULL while none is kept) is read with the record.
_SELECT = (
    f"SELECT {', '.join(_COLUMNS)}, (SELECT ARRAY[r.count, r.total] FROM maker_ratings r "
    "WHERE r.maker_id = makers.id) AS rating FROM makers"
)

_INSERT = (
    f"INSERT INTO makers ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(_COLUMNS) + 1))})"
)
_UPDATABLE = tuple(c for c in _COLUMNS if c not in ("id", "user_id", "created_at"))
_UPDATE = (
    "UPDATE makers SET "
    + ", ".join(f"{column} = ${i}" for i, column in enumerate(_UPDATABLE, start=3))
    + " WHERE id = $1 AND version = $2"
)

# The sort key of each list: the review queue is oldest submission first; the directory (and
# suspended makers) in order of joining; any other status oldest record first. Each key is fixed
# while a maker stays in that status, so keyset paging never repeats or skips a maker.
_LIST_ORDER: dict[MakerStatus, str] = {
    MakerStatus.SUBMITTED: "submitted_at",
    MakerStatus.APPROVED: "joined_at",
    MakerStatus.SUSPENDED: "joined_at",
}


def list_sort_column(status: MakerStatus) -> str:
    return _LIST_ORDER.get(status, "created_at")


# --- reads ---------------------------------------------------------------------------------------


async def get(db: Executor, maker_id: UUID) -> Maker | None:
    return _maker_or_none(await db.fetchrow(f"{_SELECT} WHERE id = $1", maker_id))


async def load(uow: UnitOfWork, maker_id: UUID) -> Maker | None:
    """A maker to change and `save` in this unit of work: its loaded version is remembered."""
    maker = await get(uow.conn, maker_id)
    return None if maker is None else uow.track(maker)


async def get_by_user(db: Executor, user_id: UUID) -> Maker | None:
    return _maker_or_none(await db.fetchrow(f"{_SELECT} WHERE user_id = $1", user_id))


async def get_by_handle(db: Executor, handle: str) -> Maker | None:
    return _maker_or_none(await db.fetchrow(f"{_SELECT} WHERE handle = $1", handle))


async def list_by_status(
    db: Executor,
    status: MakerStatus,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> tuple[list[Maker], tuple[datetime, UUID] | None]:
    """One page of makers in `status`, after the keyset position `after`; returns the page and
    the position of its last maker when there is more."""
    column = list_sort_column(status)
    if after is None:
        rows = await db.fetch(
            f"{_SELECT} WHERE status = $1 ORDER BY {column}, id LIMIT $2",
            status.value,
            limit + 1,
        )
    else:
        rows = await db.fetch(
            f"{_SELECT} WHERE status = $1 AND ({column}, id) > ($2, $3) ORDER BY {column}, id LIMIT $4",
            status.value,
            after[0],
            after[1],
            limit + 1,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    position = (rows[-1][column], rows[-1]["id"]) if more else None
    return [_maker(row) for row in rows], position


_IN_EVIDENCE_QUEUE = "pending_claims > 0 AND status NOT IN ('draft', 'rejected')"


async def list_pending_evidence(
    db: Executor, after: tuple[datetime, UUID] | None, limit: int
) -> tuple[list[Maker], tuple[datetime, UUID] | None]:
    """The operators' evidence queue: makers with a claim whose evidence waits for verification,
    oldest record first; a page and the position of its last maker. Drafts (not yet sent to the
    marketplace) and rejected applications wait for their maker, not for an operator."""
    if after is None:
        rows = await db.fetch(
            f"{_SELECT} WHERE {_IN_EVIDENCE_QUEUE} ORDER BY created_at, id LIMIT $1", limit + 1
        )
    else:
        rows = await db.fetch(
            f"{_SELECT} WHERE {_IN_EVIDENCE_QUEUE} AND (created_at, id) > ($1, $2) "
            "ORDER BY created_at, id LIMIT $3",
            after[0],
            after[1],
            limit + 1,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    position = (rows[-1]["created_at"], rows[-1]["id"]) if more else None
    return [_maker(row) for row in rows], position


async def stale_snapshot_ids(uow: UnitOfWork, limit: int) -> list[UUID]:
    """Makers whose published snapshot is out of date (migration 0003), locked for this unit of
    work; rows another worker holds are skipped."""
    rows = await uow.conn.fetch(
        "SELECT id FROM makers WHERE snapshot_stale ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", limit
    )
    return [row["id"] for row in rows]


# --- writes --------------------------------------------------------------------------------------


async def save(uow: UnitOfWork, maker: Maker) -> None:
    """Insert a new maker, or write a loaded one over the version it was loaded at; a
    concurrent change in the meantime is a conflict (concurrent_update)."""
    values = _values(maker)
    loaded_version = uow.loaded_version(maker)
    try:
        if loaded_version is None:
            await uow.conn.execute(_INSERT, *(values[column] for column in _COLUMNS))
        else:
            result = await uow.conn.execute(
                _UPDATE, maker.id, loaded_version, *(values[column] for column in _UPDATABLE)
            )
            if result != "UPDATE 1":
                raise concurrent_update("maker record")
    except asyncpg.UniqueViolationError as exc:
        raise _unique_conflict(exc) from None
    uow.mark_saved(maker)


# --- mapping -------------------------------------------------------------------------------------


def _values(maker: Maker) -> dict[str, Any]:
    profile = maker.profile.model_dump(mode="json")
    return {
        "id": maker.id,
        "user_id": maker.user_id,
        "status": maker.status.value,
        **profile,
        "history": [entry.model_dump(mode="json", by_alias=True) for entry in maker.history],
        "claim_reviews": [review.model_dump(mode="json") for review in maker.claim_reviews],
        "pending_claims": sum(
            maker.claim_status(claim) == "pending_verification" for claim in maker.profile.sourcing_claims
        ),
        "snapshot_stale": False,  # a save publishes the maker's events, so its snapshot is current
        "shipping": None if maker.shipping is None else maker.shipping.model_dump(mode="json"),
        "submitted_at": next(
            (e.at for e in reversed(maker.history) if e.to_status == MakerStatus.SUBMITTED), None
        ),
        "joined_at": maker.joined_at,
        "created_at": maker.created_at,
        "updated_at": maker.updated_at,
        "version": maker.version,
    }


def _maker_or_none(row: asyncpg.Record | None) -> Maker | None:
    return None if row is None else _maker(row)


def _maker(row: asyncpg.Record) -> Maker:
    return Maker(
        id=row["id"],
        user_id=row["user_id"],
        status=MakerStatus(row["status"]),
        profile=MakerProfile.model_validate({c: row[c] for c in _PROFILE_COLUMNS}, context=STORED),
        history=[HistoryEntry.model_validate(entry) for entry in row["history"]],
        claim_reviews=[ClaimReview.model_validate(review, context=STORED) for review in row["claim_reviews"]],
        shipping=None if row["shipping"] is None else ShippingProfile.model_validate(row["shipping"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        rating=Rating(*(row["rating"] or ())),
    )


def _unique_conflict(exc: asyncpg.UniqueViolationError) -> Conflict:
    if exc.constraint_name == "makers_handle_key":
        return Conflict(
            "That handle is taken; choose another",
            code="handle_taken",
            errors=[Violation(("body", "handle"), "Handle is taken", "handle_taken")],
        )
    if exc.constraint_name in ("makers_user_id_key", "makers_pkey"):
        return conflict("maker_exists", "You already have a maker record")
    raise exc


# --- ratings (from reviews) -----------------------------------------------------------------------


async def save_rating(
    conn: asyncpg.Connection,
    maker_id: UUID,
    rating: Rating,
    histogram: dict[str, int],
    version: int,
    now: datetime,
) -> bool:
    """Keep this summary of the maker's visible reviews unless one of the same or a higher
    version is kept already (the guard is in the statement: two summaries may be handled at
    once). Whether it was kept."""
    row = {
        "maker_id": maker_id,
        "count": rating.count,
        "total": rating.total,
        "histogram": histogram,
        "version": version,
        "updated_at": now,
    }
    return await keep_newest(conn, "maker_ratings", row, key=("maker_id",))
