"""Sign-ins that last: refresh tokens, rotated on every use, and signing out (the rules are in
domain.py, "sign-ins").

A refresh token is a SecretToken: the person holds the raw value, the database its digest.
Refreshing runs in one transaction holding the token's row lock, so of two refreshes with one
token the second finds it spent, which is reuse: the sign-in is revoked, and that revocation
commits even though the request is refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from services.gateway import store
from services.gateway.domain import SIGN_IN_LIFETIME, Account, SecretToken, digest_of
from shared.db import UnitOfWork
from shared.errors import ProblemError

PRODUCER = "gateway"
SCHEMA = "identity"


@dataclass(frozen=True)
class Session:
    """What a sign-in or a refresh gives: whose it is, and the refresh token to use next."""

    account: Account
    refresh_token: str


def refresh_refused(code: str, detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail, code=code, headers={"WWW-Authenticate": "Bearer"})


def _now() -> datetime:
    return datetime.now(UTC)


async def start(pool: asyncpg.Pool, account: Account) -> Session:
    """A new sign-in for an account whose credentials were just checked."""
    now = _now()
    token = SecretToken.new()
    sign_in_id = uuid.uuid4()
    async with UnitOfWork(pool, PRODUCER, SCHEMA) as uow:
        await store.insert_sign_in(uow.conn, sign_in_id, account.id, now, now + SIGN_IN_LIFETIME)
        await store.insert_refresh_token(uow.conn, token.digest, sign_in_id, now)
    return Session(account, token.raw)


async def refresh(pool: asyncpg.Pool, raw: str) -> Session:
    """Spend `raw` for a new refresh token in the same sign-in, whose expiry moves on. 401
    `refresh_token_reused` (and the sign-in revoked) for a spent token; 401
    `refresh_token_invalid` for one unknown, expired or of a revoked sign-in."""
    now = _now()
    digest = digest_of(raw)
    async with UnitOfWork(pool, PRODUCER, SCHEMA) as uow:
        row = await store.lock_refresh_token(uow.conn, digest)
        live = row is not None and not row["spent"] and not row["revoked"] and row["expires_at"] > now
        account = await store.get_user(uow.conn, row["user_id"]) if row is not None and live else None
        if row is not None and account is not None:
            token = SecretToken.new()
            await store.spend_refresh_token(uow.conn, digest, now)
            await store.insert_refresh_token(uow.conn, token.digest, row["sign_in_id"], now)
            await store.extend_sign_in(uow.conn, row["sign_in_id"], now, now + SIGN_IN_LIFETIME)
            return Session(account, token.raw)
        if row is not None and row["spent"]:
            await store.revoke_sign_in(uow.conn, row["sign_in_id"], "reused", now)
    # Out of the unit of work: the revocation is committed before the refusal.
    if row is not None and row["spent"]:
        raise refresh_refused(
            "refresh_token_reused", "This refresh token was already used; the sign-in is revoked"
        )
    raise refresh_refused("refresh_token_invalid", "This refresh token is unknown, expired or revoked")


async def sign_out(pool: asyncpg.Pool, raw: str) -> None:
    """Revoke the sign-in `raw` belongs to (whether or not it is spent); an unknown token
    revokes nothing, and the answer is the same."""
    async with UnitOfWork(pool, PRODUCER, SCHEMA) as uow:
        row = await store.lock_refresh_token(uow.conn, digest_of(raw))
        if row is not None:
            await store.revoke_sign_in(uow.conn, row["sign_in_id"], "logout", _now())


async def sign_out_everywhere(pool: asyncpg.Pool, user_id: uuid.UUID) -> None:
    async with UnitOfWork(pool, PRODUCER, SCHEMA) as uow:
        await store.revoke_sign_ins_of(uow.conn, user_id, "logout_all", _now())


async def sweep(pool: asyncpg.Pool) -> None:
    await store.sweep_expired_tokens(pool, _now())
