"""The gateway's SQL (schema identity): accounts and the token buckets of the sign-in throttle
and the API limit.

Email uniqueness is the database's (a unique index over the normalised address), so two
concurrent registrations of one address cannot both succeed.
"""

from __future__ import annotations

import uuid

import asyncpg

from services.gateway.domain import Account, Bucket
from shared.db import Executor
from shared.errors import Conflict, Violation

_USER = "SELECT id, email, display_name, role, password_hash FROM users"


# --- accounts ------------------------------------------------------------------------------------


async def insert_user(db: Executor, account: Account) -> None:
    try:
        await db.execute(
            "INSERT INTO users (id, email, display_name, role, password_hash) VALUES ($1, $2, $3, $4, $5)",
            account.id,
            account.email,
            account.display_name,
            account.role,
            account.password_hash,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(
            "An account with this email exists",
            code="email_taken",
            errors=[Violation(("body", "email"), "Email is taken", "email_taken")],
        ) from None


async def get_user(db: Executor, user_id: uuid.UUID) -> Account | None:
    return _account(await db.fetchrow(f"{_USER} WHERE id = $1", user_id))


async def get_user_by_email(db: Executor, email: str) -> Account | None:
    return _account(await db.fetchrow(f"{_USER} WHERE email = $1", email))


async def set_password_hash(db: Executor, user_id: uuid.UUID, password_hash: str) -> None:
    await db.execute(
        "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
        user_id,
        password_hash,
    )


def _account(row: asyncpg.Record | None) -> Account | None:
    return None if row is None else Account(**dict(row))


# --- token buckets (the sign-in throttle, the per-address API limit) ---------------------------


async def take_tokens(db: Executor, key: str, bucket: Bucket, wanted: int = 1) -> tuple[int, float]:
    """Take up to `wanted` tokens from the shared bucket `key` (migration 0004's take_tokens):
    how many were taken, and when none, the seconds until the bucket holds one again."""
    row = await db.fetchrow(
        "SELECT granted, wait_s FROM take_tokens($1, $2, $3, $4)",
        key,
        float(bucket.burst),
        bucket.per_second,
        wanted,
    )
    assert row is not None  # a function with OUT parameters returns one row
    return row["granted"], row["wait_s"]


class _Empty(Exception):
    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s


async def take_login_tokens(pool: asyncpg.Pool, buckets: list[tuple[str, Bucket]]) -> float | None:
    """Take a token from every bucket, or from none: None when taken, else the seconds until
    the empty one holds a token again."""
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                for key, bucket in buckets:
                    granted, wait_s = await take_tokens(conn, key, bucket)
                    if not granted:
                        raise _Empty(wait_s)
        except _Empty as empty:  # rolled back: the other buckets keep their tokens
            return empty.wait_s
    return None


async def return_login_token(db: Executor, key: str, bucket: Bucket) -> None:
    await db.execute(
        "UPDATE login_throttle SET tokens = least($2::float8, tokens + 1) WHERE key = $1",
        key,
        bucket.burst,
    )


async def sweep_login_throttle(db: Executor, idle_s: float) -> None:
    """Forget buckets idle long enough to have refilled (a missing row is a full bucket)."""
    await db.execute(
        "DELETE FROM login_throttle WHERE updated_at < clock_timestamp() - make_interval(secs => $1)",
        idle_s,
    )
