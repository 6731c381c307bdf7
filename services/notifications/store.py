"""Notifications SQL: recipients and makers (read models), orders' owners, deliveries,
in-app notifications and preferences.

A delivery and an in-app notification are inserted `ON CONFLICT DO NOTHING` on their
(event, recipient, kind) key, so whatever delivers an event twice, one row stands. Senders claim
due deliveries with `FOR UPDATE SKIP LOCKED` and a lease (`next_attempt_at` moved past the
claim), so two senders never take one row and a dead sender's rows come back when it lapses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.notifications.domain import EmailPreferences, Kind, Notice
from shared.db import Executor, keep_newest
from shared.watch import change_channel, notify_change

# Woken with a user's id when their in-app notifications change (the unread-count long poll).
NOTIFICATIONS_CHANGED = change_channel("notifications", "notifications")
# Woken when deliveries are created or replayed, so an idle sender does not wait for its poll.
DELIVERIES_DUE = change_channel("notifications", "deliveries")
DUE = "due"


# --- recipients, makers, orders ----------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user_id: uuid.UUID
    email: str
    display_name: str
    role: str
    email_verified: bool


async def save_recipient(conn: asyncpg.Connection, recipient: Recipient, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO recipients (user_id, email, display_name, role, email_verified, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, "
        "display_name = EXCLUDED.display_name, role = EXCLUDED.role, "
        "email_verified = recipients.email_verified OR EXCLUDED.email_verified, "
        "updated_at = EXCLUDED.updated_at",
        recipient.user_id,
        recipient.email,
        recipient.display_name,
        recipient.role,
        recipient.email_verified,
        at,
    )


async def set_email(
    conn: asyncpg.Connection, user_id: uuid.UUID, email: str, verified: bool, at: datetime
) -> None:
    await conn.execute(
        "UPDATE recipients SET email = $2, email_verified = $3, updated_at = $4 WHERE user_id = $1",
        user_id,
        email,
        verified,
        at,
    )


async def recipient(db: Executor, user_id: uuid.UUID) -> Recipient | None:
    row = await db.fetchrow(
        "SELECT user_id, email, display_name, role, email_verified FROM recipients WHERE user_id = $1",
        user_id,
    )
    return None if row is None else Recipient(**dict(row))


async def save_maker(
    conn: asyncpg.Connection, maker_id: uuid.UUID, user_id: uuid.UUID, display_name: str, version: int
) -> None:
    """Keep the newest snapshot (the guard is in the statement, so snapshots out of order never
    overwrite a newer one)."""
    row = {"maker_id": maker_id, "user_id": user_id, "display_name": display_name, "version": version}
    await keep_newest(conn, "makers", row, key=("maker_id",))


async def makers(db: Executor, maker_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Maker id to (their user id, their name), for the makers known."""
    rows = await db.fetch(
        "SELECT maker_id, user_id, display_name FROM makers WHERE maker_id = ANY($1)", maker_ids
    )
    return {row["maker_id"]: (row["user_id"], row["display_name"]) for row in rows}


async def save_order(
    conn: asyncpg.Connection, order_id: uuid.UUID, customer_id: uuid.UUID, reference: str | None
) -> None:
    await conn.execute(
        "INSERT INTO orders (order_id, customer_id, reference) VALUES ($1, $2, $3) "
        "ON CONFLICT (order_id) DO UPDATE SET reference = coalesce(EXCLUDED.reference, orders.reference)",
        order_id,
        customer_id,
        reference,
    )


async def order(db: Executor, order_id: uuid.UUID) -> tuple[uuid.UUID, str | None] | None:
    """(customer id, reference) of an order known from its confirmation."""
    row = await db.fetchrow("SELECT customer_id, reference FROM orders WHERE order_id = $1", order_id)
    return None if row is None else (row["customer_id"], row["reference"])


# --- preferences -------------------------------------------------------------------------------

_PREFERENCES = ("order_updates", "maker_orders", "reviews", "marketing")


async def preferences(db: Executor, user_id: uuid.UUID, *, lock: bool = False) -> EmailPreferences:
    suffix = " FOR UPDATE" if lock else ""
    row = await db.fetchrow(
        f"SELECT {', '.join(_PREFERENCES)} FROM preferences WHERE user_id = $1{suffix}", user_id
    )
    return EmailPreferences() if row is None else EmailPreferences(**dict(row))


async def save_preferences(
    conn: asyncpg.Connection, user_id: uuid.UUID, chosen: EmailPreferences, at: datetime
) -> None:
    values = [getattr(chosen, name) for name in _PREFERENCES]
    await conn.execute(
        f"INSERT INTO preferences (user_id, {', '.join(_PREFERENCES)}, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET "
        + ", ".join(f"{name} = EXCLUDED.{name}" for name in _PREFERENCES)
        + ", updated_at = EXCLUDED.updated_at",
        user_id,
        *values,
        at,
    )


# --- deliveries --------------------------------------------------------------------------------


async def insert_delivery(conn: asyncpg.Connection, event_id: uuid.UUID, notice: Notice) -> bool:
    """The email `notice` owes, once per (event, recipient, kind); False when it exists. A new
    one wakes the senders at commit (the NOTIFY in the same statement: one round trip)."""
    created = await conn.fetchval(
        "WITH created AS (INSERT INTO deliveries (id, event_id, recipient, kind, category, email, context) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (event_id, recipient, kind) DO NOTHING RETURNING id) "
        "SELECT count(pg_notify($8, $9)) FROM created",
        uuid.uuid4(),
        event_id,
        notice.recipient,
        notice.kind.value,
        notice.kind.category.value,
        notice.email,
        notice.context,
        DELIVERIES_DUE,
        DUE,
    )
    return bool(created)


@dataclass(frozen=True)
class Claimed:
    """A delivery a sender holds: what to render and where to send it (`email` None: the
    recipient's address is not known yet)."""

    id: uuid.UUID
    recipient: uuid.UUID
    kind: Kind
    email: str | None
    name: str | None
    context: dict[str, Any]
    attempts: int


async def claim_due(pool: asyncpg.Pool, batch: int, lease: timedelta) -> list[Claimed]:
    rows = await pool.fetch(
        "WITH due AS (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now() "
        "ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
        "UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + $2 FROM due "
        "WHERE d.id = due.id RETURNING d.id, d.recipient, d.kind, "
        "coalesce(d.email, (SELECT email FROM recipients WHERE user_id = d.recipient)) AS email, "
        "(SELECT display_name FROM recipients WHERE user_id = d.recipient) AS name, d.context, d.attempts",
        batch,
        lease,
    )
    return [
        Claimed(
            id=row["id"],
            recipient=row["recipient"],
            kind=Kind(row["kind"]),
            email=row["email"],
            name=row["name"],
            context=row["context"],
            attempts=row["attempts"],
        )
        for row in rows
    ]


async def mark_sent(conn: asyncpg.Connection, delivery_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1", delivery_id
    )


async def release(pool: asyncpg.Pool, delivery_ids: list[uuid.UUID]) -> None:
    """Claimed deliveries not attempted after all: due again, their attempt not counted."""
    await pool.execute(
        "UPDATE deliveries SET next_attempt_at = now(), attempts = attempts - 1 "
        "WHERE id = ANY($1) AND status = 'pending'",
        delivery_ids,
    )


async def mark_failed(
    pool: asyncpg.Pool, delivery_id: uuid.UUID, error: str, retry_in: timedelta | None
) -> None:
    """A failed attempt: tried again after `retry_in`, or parked (None) with its reason."""
    if retry_in is None:
        await pool.execute(
            "UPDATE deliveries SET status = 'parked', last_error = $2 WHERE id = $1",
            delivery_id,
            error[:2000],
        )
    else:
        await pool.execute(
            "UPDATE deliveries SET next_attempt_at = now() + $3, last_error = $2 WHERE id = $1",
            delivery_id,
            error[:2000],
            retry_in,
        )


async def unsent(db: Executor) -> dict[str, int]:
    """How many emails wait to be sent (`pending`) and how many were given up on (`parked`)."""
    rows = await db.fetch(
        "SELECT s.status, count(d.id) AS n FROM (VALUES ('pending'), ('parked')) AS s (status) "
        "LEFT JOIN deliveries d ON d.status = s.status GROUP BY s.status"
    )
    return {row["status"]: row["n"] for row in rows}


async def parked(db: Executor, limit: int = 1000) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT id, event_id, recipient, kind, attempts, last_error, created_at FROM deliveries "
        "WHERE status = 'parked' ORDER BY created_at LIMIT $1",
        limit,
    )
    return [dict(row) for row in rows]


async def replay_parked(conn: asyncpg.Connection, ids: list[uuid.UUID] | None) -> int:
    """Parked deliveries (these, or all) due again with their attempts reset."""
    result = await conn.execute(
        "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now() "
        "WHERE status = 'parked' AND ($1::uuid[] IS NULL OR id = ANY($1))",
        ids,
    )
    count = int(result.split()[-1])
    if count:
        await notify_change(conn, DELIVERIES_DUE, DUE)
    return count


# --- in-app notifications ----------------------------------------------------------------------


@dataclass(frozen=True)
class InAppRow:
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    read_at: datetime | None
    created_at: datetime


_IN_APP = "id, kind, title, body, link, read_at, created_at"


async def insert_notification(
    conn: asyncpg.Connection, event_id: uuid.UUID, notice: Notice, at: datetime
) -> None:
    """Once per (event, person, kind); a new one wakes the person's long polls at commit."""
    assert notice.in_app is not None
    await conn.execute(
        "WITH created AS ("
        "INSERT INTO notifications (id, user_id, event_id, kind, title, body, link, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (event_id, user_id, kind) DO NOTHING RETURNING user_id) "
        "SELECT pg_notify($9, user_id::text) FROM created",
        uuid.uuid4(),
        notice.recipient,
        event_id,
        notice.kind.value,
        notice.in_app.title,
        notice.in_app.body,
        notice.in_app.link,
        at,
        NOTIFICATIONS_CHANGED,
    )


async def notifications_page(
    db: Executor, user_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> tuple[list[InAppRow], tuple[datetime, uuid.UUID] | None]:
    """Newest first, keyset paged on (created_at, id)."""
    if after is None:
        rows = await db.fetch(
            f"SELECT {_IN_APP} FROM notifications WHERE user_id = $1 "
            "ORDER BY created_at DESC, id DESC LIMIT $2",
            user_id,
            limit + 1,
        )
    else:
        rows = await db.fetch(
            f"SELECT {_IN_APP} FROM notifications WHERE user_id = $1 AND (created_at, id) < ($2, $3) "
            "ORDER BY created_at DESC, id DESC LIMIT $4",
            user_id,
            after[0],
            after[1],
            limit + 1,
        )
    items = [InAppRow(**dict(row)) for row in rows[:limit]]
    position = (items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return items, position


async def unread_count(db: Executor, user_id: uuid.UUID) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL", user_id
    )
    return count


async def mark_read(
    conn: asyncpg.Connection, user_id: uuid.UUID, notification_id: uuid.UUID
) -> InAppRow | None:
    """The caller's notification, read now if it was not; None when it is not theirs."""
    row = await conn.fetchrow(
        "UPDATE notifications SET read_at = coalesce(read_at, now()) "
        f"WHERE id = $1 AND user_id = $2 RETURNING {_IN_APP}",
        notification_id,
        user_id,
    )
    if row is None:
        return None
    await notify_change(conn, NOTIFICATIONS_CHANGED, user_id)
    return InAppRow(**dict(row))


async def mark_all_read(conn: asyncpg.Connection, user_id: uuid.UUID) -> int:
    result = await conn.execute(
        "UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL", user_id
    )
    count = int(result.split()[-1])
    if count:
        await notify_change(conn, NOTIFICATIONS_CHANGED, user_id)
    return count
