"""The gateway's SQL (schema identity): accounts and the token buckets of the sign-in throttle
and the API limit.

Email uniqueness is the database's (a unique index over the normalised address), so two
concurrent registrations of one address cannot both succeed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.gateway.domain import Account, Bucket, EmailTokenPurpose, RevokedBecause
from shared.db import Executor
from shared.errors import Conflict, Violation

_USER = (
    "SELECT id, email, display_name, role, password_hash, email_verified_at IS NOT NULL AS email_verified "
    "FROM users"
)


# --- accounts ------------------------------------------------------------------------------------


async def insert_user(db: Executor, account: Account, now: datetime) -> None:
    try:
        await db.execute(
            "INSERT INTO users (id, email, display_name, role, password_hash, email_verified_at, "
            "created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::boolean THEN $7::timestamptz END, $7, $7)",
            account.id,
            account.email,
            account.display_name,
            account.role,
            account.password_hash,
            account.email_verified,
            now,
        )
    except asyncpg.UniqueViolationError:
        raise _email_taken() from None


def _email_taken() -> Conflict:
    return Conflict(
        "An account with this email exists",
        code="email_taken",
        errors=[Violation(("body", "email"), "Email is taken", "email_taken")],
    )


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


async def set_email(db: Executor, user_id: uuid.UUID, email: str, now: datetime) -> None:
    """A new address for the account, not verified yet. 409 email_taken."""
    try:
        await db.execute(
            "UPDATE users SET email = $2, email_verified_at = NULL, updated_at = $3 WHERE id = $1",
            user_id,
            email,
            now,
        )
    except asyncpg.UniqueViolationError:
        raise _email_taken() from None


async def mark_email_verified(db: Executor, user_id: uuid.UUID, now: datetime) -> bool:
    """Whether this marked the address verified (False: it already was)."""
    changed = await db.fetchval(
        "UPDATE users SET email_verified_at = $2, updated_at = $2 "
        "WHERE id = $1 AND email_verified_at IS NULL RETURNING true",
        user_id,
        now,
    )
    return bool(changed)


def _account(row: asyncpg.Record | None) -> Account | None:
    return None if row is None else Account(**dict(row))


# --- links sent by email -------------------------------------------------------------------------


async def insert_email_token(
    db: Executor,
    digest: bytes,
    user_id: uuid.UUID,
    purpose: EmailTokenPurpose,
    now: datetime,
    expires_at: datetime,
) -> None:
    await db.execute(
        "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        digest,
        user_id,
        purpose,
        now,
        expires_at,
    )


_LIVE_EMAIL_TOKEN = "token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"


async def email_token_user(
    db: Executor, digest: bytes, purpose: EmailTokenPurpose, now: datetime
) -> uuid.UUID | None:
    """Whose account an unspent, unexpired token opens (without spending it)."""
    user_id: uuid.UUID | None = await db.fetchval(
        f"SELECT user_id FROM email_tokens WHERE {_LIVE_EMAIL_TOKEN}", digest, purpose, now
    )
    return user_id


async def spend_email_token(
    db: Executor, digest: bytes, purpose: EmailTokenPurpose, now: datetime
) -> uuid.UUID | None:
    """Spend the token: whose account it opened, or None when it is unknown, spent or expired.
    Of two concurrent spends one gets the row; the other waits for it, then finds it spent."""
    user_id: uuid.UUID | None = await db.fetchval(
        f"UPDATE email_tokens SET used_at = $3 WHERE {_LIVE_EMAIL_TOKEN} RETURNING user_id",
        digest,
        purpose,
        now,
    )
    return user_id


async def spend_email_tokens_of(
    db: Executor, user_id: uuid.UUID, purpose: EmailTokenPurpose, now: datetime
) -> None:
    await db.execute(
        "UPDATE email_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        user_id,
        purpose,
        now,
    )


# --- sign-ins and their refresh tokens -----------------------------------------------------------


async def insert_sign_in(
    db: Executor, sign_in_id: uuid.UUID, user_id: uuid.UUID, now: datetime, expires_at: datetime
) -> None:
    await db.execute(
        "INSERT INTO sign_ins (id, user_id, created_at, refreshed_at, expires_at) "
        "VALUES ($1, $2, $3, $3, $4)",
        sign_in_id,
        user_id,
        now,
        expires_at,
    )


async def insert_refresh_token(db: Executor, digest: bytes, sign_in_id: uuid.UUID, now: datetime) -> None:
    await db.execute(
        "INSERT INTO refresh_tokens (token_hash, sign_in_id, issued_at) VALUES ($1, $2, $3)",
        digest,
        sign_in_id,
        now,
    )


async def lock_refresh_token(db: Executor, digest: bytes) -> asyncpg.Record | None:
    """The token and its sign-in, locked until the transaction ends, so two refreshes with one
    token run one after the other: the second finds it spent."""
    return await db.fetchrow(
        "SELECT t.sign_in_id, t.spent_at IS NOT NULL AS spent, s.user_id, s.expires_at, "
        "s.revoked_at IS NOT NULL AS revoked "
        "FROM refresh_tokens t JOIN sign_ins s ON s.id = t.sign_in_id "
        "WHERE t.token_hash = $1 FOR UPDATE OF t, s",
        digest,
    )


async def spend_refresh_token(db: Executor, digest: bytes, now: datetime) -> None:
    await db.execute("UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1", digest, now)


async def extend_sign_in(db: Executor, sign_in_id: uuid.UUID, now: datetime, expires_at: datetime) -> None:
    await db.execute(
        "UPDATE sign_ins SET refreshed_at = $2, expires_at = $3 WHERE id = $1", sign_in_id, now, expires_at
    )


async def revoke_sign_in(db: Executor, sign_in_id: uuid.UUID, reason: RevokedBecause, now: datetime) -> None:
    await db.execute(
        "UPDATE sign_ins SET revoked_at = $3, revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL",
        sign_in_id,
        reason,
        now,
    )


async def revoke_sign_ins_of(db: Executor, user_id: uuid.UUID, reason: RevokedBecause, now: datetime) -> int:
    """Revoke every live sign-in of the account; how many there were."""
    revoked = await db.fetch(
        "UPDATE sign_ins SET revoked_at = $3, revoked_reason = $2 "
        "WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
        user_id,
        reason,
        now,
    )
    return len(revoked)


async def sweep_expired_tokens(db: Executor, now: datetime) -> None:
    """Forget sign-ins past their expiry (their refresh tokens go with them) and email links
    past theirs: neither can open anything any more."""
    await db.execute("DELETE FROM sign_ins WHERE expires_at < $1", now)
    await db.execute("DELETE FROM email_tokens WHERE expires_at < $1", now)


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
