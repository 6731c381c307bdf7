"""Links sent by email: verifying an address (also a new one, after changing it), and resetting
a forgotten password (the rules are in domain.py, "email tokens").

The gateway only asks for the emails (`gateway.user.verification_requested`,
`gateway.user.password_reset_requested`, through its outbox, with the raw token the link
needs); the notifications service sends them. Only a token's digest is stored.

A reset request is answered 202 at once and carried out after the answer, by one task working
through a queue in order, so the answer takes the same time whether the address has an account
or not: nothing the answer waits for depends on it. A request the process dies holding is lost,
and the person asks again.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from math import ceil

import asyncpg

from services.gateway import store
from services.gateway.accounts import Passwords, ask_verification, send_email_link, sign_in
from services.gateway.domain import (
    RESET_LIFETIME,
    Account,
    EmailTokenPurpose,
    LoginThrottle,
    digest_of,
    password_violations,
    weak_password,
)
from services.gateway.sessions import PRODUCER, SCHEMA
from shared.contracts.identity import (
    EmailChanged,
    EmailVerified,
    PasswordResetRequested,
)
from shared.db import UnitOfWork
from shared.errors import ProblemError, RulesViolated, Violation, too_many_requests, unauthorized
from shared.logging import get_logger

log = get_logger()


def _now() -> datetime:
    return datetime.now(UTC)


def token_invalid() -> RulesViolated:
    return RulesViolated("This link was already used or has expired", code="token_invalid")


async def _verified(uow: UnitOfWork, account: Account, now: datetime) -> Account:
    """The account with its address marked verified, announcing it if that is news."""
    if await store.mark_email_verified(uow.conn, account.id, now):
        uow.emit(EmailVerified(user_id=account.id, email=account.email), account.id)
    refreshed = await store.get_user(uow.conn, account.id)
    assert refreshed is not None  # the row is ours in this transaction
    return refreshed


# --- verifying the address -----------------------------------------------------------------------


async def verify_email(pool: asyncpg.Pool, raw: str) -> Account:
    """Spend a verification token: the account, its address verified. 422 token_invalid."""
    now = _now()
    async with UnitOfWork(pool, PRODUCER, SCHEMA) as uow:
        account = await _spend(uow, raw, "verify_email", now)
        return await _verified(uow, account, now)


async def resend_verification(pool: asyncpg.Pool, throttle: LoginThrottle, user_id: uuid.UUID) -> None:
    """Ask for another verification email (an earlier link stays good until it expires);
    nothing when the address is verified already. As many as sign-in attempts (429 beyond),
    so nobody fills an inbox."""
    wait_s = await store.take_login_tokens(pool, [(f"verify:{user_id}", throttle.account)])
    if wait_s is not None:
        raise too_many_requests(ceil(wait_s), "Too many verification emails asked for; try again later")
    now = _now()
    async with UnitOfWork(pool, PRODUCER, SCHEMA) as uow:
        account = await store.get_user(uow.conn, user_id)
        if account is None or account.email_verified:
            return
        await ask_verification(uow, account, now)


async def change_email(
    pool: asyncpg.Pool,
    passwords: Passwords,
    throttle: LoginThrottle,
    user_id: uuid.UUID,
    email: str,
    password: str,
    address: str,
) -> Account:
    """Give the account a new address (`email` valid and normalised), unverified until its link
    is followed. The password is checked as at sign-in (throttled alike): 422
    password_incorrect, 429; 409 email_taken. Links sent to the old address are spent."""
    account = await store.get_user(pool, user_id)
    if account is None:
        raise unauthorized("The account of this token no longer exists")
    try:
        await sign_in(pool, passwords, throttle, account.email, password, address)
    except ProblemError as refused:
        if refused.status != 401:
            raise
        raise RulesViolated(
            "The password is not right",
            code="password_incorrect",
            errors=[Violation(("body", "password"), "The password is not right", "password_incorrect")],
        ) from None
    if email == account.email:
        return account
    now = _now()
    async with UnitOfWork(pool, PRODUCER, SCHEMA) as uow:
        await store.set_email(uow.conn, account.id, email, now)
        for purpose in ("verify_email", "password_reset"):
            await store.spend_email_tokens_of(uow.conn, account.id, purpose, now)
        changed = await store.get_user(uow.conn, account.id)
        assert changed is not None  # the row is ours in this transaction
        uow.emit(EmailChanged(user_id=account.id, email=email, previous_email=account.email), account.id)
        await ask_verification(uow, changed, now)
        return changed


# --- resetting the password ----------------------------------------------------------------------


async def request_password_reset(pool: asyncpg.Pool, email: str) -> None:
    """Ask for a reset email for the account of `email` (normalised); nothing when none has it."""
    now = _now()
    async with UnitOfWork(pool, PRODUCER, SCHEMA) as uow:
        account = await store.get_user_by_email(uow.conn, email)
        if account is None:
            return
        await send_email_link(uow, account, now, "password_reset", RESET_LIFETIME, PasswordResetRequested)


async def reset_password(pool: asyncpg.Pool, passwords: Passwords, raw: str, password: str) -> Account:
    """Set a new password with a reset token: every sign-in of the account is revoked and every
    other reset link spent; the address counts as verified. 422 token_invalid, weak_password."""
    now = _now()
    user_id = await store.email_token_user(pool, digest_of(raw), "password_reset", now)
    account = None if user_id is None else await store.get_user(pool, user_id)
    if account is None:
        raise token_invalid()
    violations = password_violations(password, account.email)
    if violations:
        raise weak_password(violations)
    # Hashed before the transaction, so no row stays locked while it runs (about 140 ms).
    password_hash = await passwords.hash(password)
    async with UnitOfWork(pool, PRODUCER, SCHEMA) as uow:
        account = await _spend(uow, raw, "password_reset", now)
        await store.set_password_hash(uow.conn, account.id, password_hash)
        await store.spend_email_tokens_of(uow.conn, account.id, "password_reset", now)
        await store.revoke_sign_ins_of(uow.conn, account.id, "password_reset", now)
        return await _verified(uow, account, now)


async def _spend(uow: UnitOfWork, raw: str, purpose: EmailTokenPurpose, now: datetime) -> Account:
    user_id = await store.spend_email_token(uow.conn, digest_of(raw), purpose, now)
    account = None if user_id is None else await store.get_user(uow.conn, user_id)
    if account is None:
        raise token_invalid()
    return account


class ResetRequests:
    """Reset requests waiting to be carried out, in order, by `run` (see the module's docstring).
    Bounded: when full, requests are refused with 429 whatever the address. Each address gets as
    many reset emails as an account gets sign-in attempts; beyond that, requests are dropped
    (after the answer, so the answer still says nothing), so nobody fills an inbox."""

    def __init__(self, pool: asyncpg.Pool, throttle: LoginThrottle, capacity: int = 1000) -> None:
        self._pool = pool
        self._throttle = throttle
        self._queue: asyncio.Queue[str] = asyncio.Queue(capacity)

    def submit(self, email: str) -> None:
        try:
            self._queue.put_nowait(email)
        except asyncio.QueueFull:
            raise too_many_requests(5, "Too many password reset requests; try again shortly") from None

    async def run(self) -> None:
        while True:
            email = await self._queue.get()
            try:
                if (
                    await store.take_login_tokens(self._pool, [(f"reset:{email}", self._throttle.account)])
                    is not None
                ):
                    log.info("password_reset_throttled")
                    continue
                await request_password_reset(self._pool, email)
            except Exception:
                log.exception("password_reset_request_failed")
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Wait until every request taken so far is carried out (at shutdown)."""
        await self._queue.join()
