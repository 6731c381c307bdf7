"""Reviews SQL: the read models (makers, purchases, images), reviews and their reports, rating
summaries.

A review is written only over the version its unit of work loaded (`save_review`). A summary is
changed by one statement that adds to its histogram and bumps its version, so two reviews of one
listing counted at once both count, each with its own version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.reviews.domain import (
    EMPTY_SUMMARY,
    ImageRecord,
    Photo,
    Purchase,
    RatingSummary,
    Review,
    ReviewStatus,
    already_reviewed,
)
from shared.db import Executor, UnitOfWork, keep_newest
from shared.errors import concurrent_update

# --- read models -------------------------------------------------------------------------------


async def save_maker(conn: asyncpg.Connection, maker_id: UUID, user_id: UUID, version: int) -> None:
    row = {"maker_id": maker_id, "user_id": user_id, "version": version}
    await keep_newest(conn, "makers", row, key=("maker_id",))


async def makers_of_user(db: Executor, user_id: UUID) -> set[UUID]:
    rows = await db.fetch("SELECT maker_id FROM makers WHERE user_id = $1", user_id)
    return {row["maker_id"] for row in rows}


async def confirmed_purchase(
    conn: asyncpg.Connection, maker_order_id: UUID, customer_id: UUID, maker_id: UUID
) -> None:
    await conn.execute(
        "INSERT INTO purchases (maker_order_id, customer_id, maker_id) VALUES ($1, $2, $3) "
        "ON CONFLICT (maker_order_id) DO UPDATE SET "
        "customer_id = COALESCE(purchases.customer_id, EXCLUDED.customer_id)",
        maker_order_id,
        customer_id,
        maker_id,
    )


async def delivered_purchase(
    conn: asyncpg.Connection,
    maker_order_id: UUID,
    customer_id: UUID | None,
    maker_id: UUID,
    listing_ids: list[UUID],
    delivered_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO purchases (maker_order_id, customer_id, maker_id, listing_ids, delivered_at) "
        "VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (maker_order_id) DO UPDATE SET "
        "customer_id = COALESCE(EXCLUDED.customer_id, purchases.customer_id), "
        "listing_ids = EXCLUDED.listing_ids, delivered_at = EXCLUDED.delivered_at",
        maker_order_id,
        customer_id,
        maker_id,
        listing_ids,
        delivered_at,
    )


async def purchase(db: Executor, maker_order_id: UUID) -> Purchase | None:
    row = await db.fetchrow("SELECT * FROM purchases WHERE maker_order_id = $1", maker_order_id)
    if row is None:
        return None
    return Purchase(
        maker_order_id=row["maker_order_id"],
        customer_id=row["customer_id"],
        maker_id=row["maker_id"],
        listing_ids=tuple(row["listing_ids"]),
        delivered_at=row["delivered_at"],
    )


@dataclass(frozen=True)
class Reviewable:
    """A delivered piece a customer may review, and whether they have."""

    maker_order_id: UUID
    listing_id: UUID
    delivered_at: datetime
    review_id: UUID | None


async def reviewables(db: Executor, customer_id: UUID, maker_order_ids: list[UUID]) -> list[Reviewable]:
    rows = await db.fetch(
        "SELECT p.maker_order_id, l.listing_id, p.delivered_at, r.id AS review_id "
        "FROM purchases p CROSS JOIN LATERAL unnest(p.listing_ids) AS l(listing_id) "
        "LEFT JOIN reviews r ON r.maker_order_id = p.maker_order_id AND r.listing_id = l.listing_id "
        "WHERE p.customer_id = $1 AND p.maker_order_id = ANY($2::uuid[]) AND p.delivered_at IS NOT NULL "
        "ORDER BY p.maker_order_id, l.listing_id",
        customer_id,
        maker_order_ids,
    )
    return [Reviewable(**dict(row)) for row in rows]


async def save_image(
    conn: asyncpg.Connection,
    image_id: UUID,
    maker_id: UUID | None,
    owner_user_id: UUID | None,
    status: str,
    version: int,
    urls: dict[str, str] | None = None,
    placeholder: str | None = None,
) -> None:
    row = {
        "image_id": image_id,
        "maker_id": maker_id,
        "owner_user_id": owner_user_id,
        "status": status,
        "urls": urls or {},
        "placeholder": placeholder,
        "version": version,
    }
    # The uploader is kept from the first event that names one (older events name only a maker).
    keep = {
        "maker_id": "images.maker_id",
        "owner_user_id": "COALESCE(EXCLUDED.owner_user_id, images.owner_user_id)",
    }
    await keep_newest(conn, "images", row, key=("image_id",), overrides=keep)


async def images(db: Executor, image_ids: list[UUID]) -> dict[UUID, ImageRecord]:
    rows = await db.fetch("SELECT * FROM images WHERE image_id = ANY($1::uuid[])", image_ids)
    return {
        row["image_id"]: ImageRecord(
            row["image_id"],
            row["maker_id"],
            row["status"],
            row["urls"],
            row["placeholder"],
            row["owner_user_id"],
        )
        for row in rows
    }


# --- reviews -----------------------------------------------------------------------------------


def _photos_json(photos: list[Photo]) -> list[dict[str, Any]]:
    return [
        {"image_id": str(p.image_id), "alt": p.alt, "urls": p.urls, "placeholder": p.placeholder}
        for p in photos
    ]


def _review(row: asyncpg.Record) -> Review:
    data = dict(row)
    data["status"] = ReviewStatus(data["status"])
    data["photos"] = [
        Photo(UUID(p["image_id"]), p["alt"], p.get("urls") or {}, p.get("placeholder"))
        for p in data["photos"]
    ]
    return Review(**data)


_COLUMNS = (
    "id, maker_order_id, listing_id, maker_id, customer_id, rating, title, body, photos, status, "
    "published_at, hidden_reason, hidden_by, hidden_at, reply_body, replied_at, report_count, version"
)


async def insert_review(uow: UnitOfWork, review: Review) -> None:
    try:
        await uow.conn.execute(
            f"INSERT INTO reviews ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
            "$12, $13, $14, $15, $16, $17, $18)",
            review.id,
            review.maker_order_id,
            review.listing_id,
            review.maker_id,
            review.customer_id,
            review.rating,
            review.title,
            review.body,
            _photos_json(review.photos),
            review.status.value,
            review.published_at,
            review.hidden_reason,
            review.hidden_by,
            review.hidden_at,
            review.reply_body,
            review.replied_at,
            review.report_count,
            review.version,
        )
    except asyncpg.UniqueViolationError:
        raise already_reviewed() from None
    uow.mark_saved(review)


async def review_exists(db: Executor, maker_order_id: UUID, listing_id: UUID) -> bool:
    found = await db.fetchval(
        "SELECT 1 FROM reviews WHERE maker_order_id = $1 AND listing_id = $2", maker_order_id, listing_id
    )
    return found is not None


async def load_review(uow: UnitOfWork, review_id: UUID) -> Review | None:
    row = await uow.conn.fetchrow(f"SELECT {_COLUMNS} FROM reviews WHERE id = $1 FOR UPDATE", review_id)
    return None if row is None else uow.track(_review(row))


async def save_review(uow: UnitOfWork, review: Review) -> None:
    done = await uow.conn.execute(
        "UPDATE reviews SET status = $3, hidden_reason = $4, hidden_by = $5, hidden_at = $6, "
        "reply_body = $7, replied_at = $8, report_count = $9, version = $10 "
        "WHERE id = $1 AND version = $2",
        review.id,
        uow.loaded_version(review),
        review.status.value,
        review.hidden_reason,
        review.hidden_by,
        review.hidden_at,
        review.reply_body,
        review.replied_at,
        review.report_count,
        review.version,
    )
    if done != "UPDATE 1":
        raise concurrent_update("review")
    uow.mark_saved(review)


async def visible_review(db: Executor, review_id: UUID) -> Review | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM reviews WHERE id = $1 AND status = 'visible'", review_id)
    return None if row is None else _review(row)


async def any_review(db: Executor, review_id: UUID) -> Review | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM reviews WHERE id = $1", review_id)
    return None if row is None else _review(row)


async def reviews_page(
    db: Executor,
    *,
    listing_id: UUID | None,
    maker_id: UUID | None,
    reported: bool,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> tuple[list[Review], tuple[datetime, UUID] | None]:
    """Visible reviews, newest first, of a listing, a maker, or (operators) those reported."""
    conditions: list[str] = ["status = 'visible'"]
    args: list[object] = []
    if listing_id is not None:
        args.append(listing_id)
        conditions.append(f"listing_id = ${len(args)}")
    if maker_id is not None:
        args.append(maker_id)
        conditions.append(f"maker_id = ${len(args)}")
    if reported:
        conditions.append("report_count > 0")
    if after is not None:
        args += [after[0], after[1]]
        conditions.append(f"(published_at, id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit + 1)
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM reviews WHERE {' AND '.join(conditions)} "
        f"ORDER BY published_at DESC, id DESC LIMIT ${len(args)}",
        *args,
    )
    items = [_review(row) for row in rows[:limit]]
    position = (items[-1].published_at, items[-1].id) if len(rows) > limit else None
    return items, position


async def add_report(
    conn: asyncpg.Connection, report_id: UUID, review_id: UUID, reporter_id: UUID, reason: str, now: datetime
) -> bool:
    """Record a report; False when this person had reported it already."""
    done = await conn.execute(
        "INSERT INTO reports (id, review_id, reporter_id, reason, created_at) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (review_id, reporter_id) DO NOTHING",
        report_id,
        review_id,
        reporter_id,
        reason,
        now,
    )
    if done != "INSERT 0 1":
        return False
    await conn.execute("UPDATE reviews SET report_count = report_count + 1 WHERE id = $1", review_id)
    return True


@dataclass(frozen=True)
class ReportRow:
    reason: str
    created_at: datetime


async def reports_of(db: Executor, review_ids: list[UUID]) -> dict[UUID, list[ReportRow]]:
    rows = await db.fetch(
        "SELECT review_id, reason, created_at FROM reports WHERE review_id = ANY($1::uuid[]) "
        "ORDER BY created_at, id",
        review_ids,
    )
    found: dict[UUID, list[ReportRow]] = {}
    for row in rows:
        found.setdefault(row["review_id"], []).append(ReportRow(row["reason"], row["created_at"]))
    return found


# --- rating summaries --------------------------------------------------------------------------


async def summary_for_update(conn: asyncpg.Connection, subject: str, subject_id: UUID) -> RatingSummary:
    """A subject's summary, its row locked until the transaction ends (created empty, version 0,
    for a subject not counted yet), so two changes of one subject take turns."""
    await conn.execute(
        "INSERT INTO rating_summaries (subject, subject_id, histogram, version) "
        "VALUES ($1, $2, '{0,0,0,0,0}', 0) "
        "ON CONFLICT (subject, subject_id) DO NOTHING",
        subject,
        subject_id,
    )
    row = await conn.fetchrow(
        "SELECT histogram, version FROM rating_summaries WHERE subject = $1 AND subject_id = $2 FOR UPDATE",
        subject,
        subject_id,
    )
    assert row is not None, "inserted just before"
    h = list(row["histogram"])
    return RatingSummary((h[0], h[1], h[2], h[3], h[4]), row["version"])


async def write_summary(
    conn: asyncpg.Connection, subject: str, subject_id: UUID, summary: RatingSummary
) -> None:
    await conn.execute(
        "UPDATE rating_summaries SET histogram = $3, version = $4 WHERE subject = $1 AND subject_id = $2",
        subject,
        subject_id,
        list(summary.histogram),
        summary.version,
    )


async def summary(db: Executor, subject: str, subject_id: UUID) -> RatingSummary:
    row = await db.fetchrow(
        "SELECT histogram, version FROM rating_summaries WHERE subject = $1 AND subject_id = $2",
        subject,
        subject_id,
    )
    if row is None:
        return EMPTY_SUMMARY
    h = list(row["histogram"])
    return RatingSummary((h[0], h[1], h[2], h[3], h[4]), row["version"])


async def my_reviews(
    db: Executor, customer_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> tuple[list[Review], tuple[datetime, UUID] | None]:
    args: list[object] = [customer_id]
    condition = ""
    if after is not None:
        args += [after[0], after[1]]
        condition = " AND (published_at, id) < ($2, $3)"
    args.append(limit + 1)
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM reviews WHERE customer_id = $1{condition} "
        f"ORDER BY published_at DESC, id DESC LIMIT ${len(args)}",
        *args,
    )
    items = [_review(row) for row in rows[:limit]]
    position = (items[-1].published_at, items[-1].id) if len(rows) > limit else None
    return items, position
