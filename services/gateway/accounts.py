"""Accounts: password hashing, registering, signing in, and creating operators (the rules are
in domain.py)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from math import ceil

import argon2
import asyncpg

from services.gateway import store
from services.gateway.domain import (
    DISPLAY_NAME_MAX_LENGTH,
    VERIFICATION_LIFETIME,
    Account,
    EmailTokenPurpose,
    LoginThrottle,
    SecretToken,
    password_violations,
    valid_email,
    weak_password,
)
from services.gateway.sessions import PRODUCER, SCHEMA
from shared.auth import Role
from shared.contracts import Envelope
from shared.contracts.identity import PasswordResetRequested, UserRegistered, VerificationRequested
from shared.db import UnitOfWork, outbox_channel, write_outbox
from shared.errors import conflict, too_many_requests, unauthorized


class Passwords:
    """Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: 64 MiB, t=3, p=4;
    about 140 ms a hash on a 2-core machine). Hashes run in worker threads (the C code releases
    the GIL), never on the event loop, and a semaphore bounds how many run at once, so a burst
    of sign-ins queues instead of exhausting CPU and memory (64 MiB each)."""

    def __init__(self, concurrency: int) -> None:
        self._hasher = argon2.PasswordHasher()
        self._slots = asyncio.Semaphore(concurrency)
        # Checked when the email is unknown, so an unknown email costs as much as a wrong
        # password and the two cannot be told apart by timing.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches `stored`; with no stored hash, the same work and False."""
        async with self._slots:
            matches = await asyncio.to_thread(self._verify, stored or self._dummy, password)
        return matches and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False


async def register(
    pool: asyncpg.Pool, passwords: Passwords, email: str, password: str, display_name: str, role: Role
) -> Account:
    """A new account, its address not yet verified; `email` is already valid and normalised.
    422 weak_password, 409 email_taken. The verification email is asked for in the same
    transaction (`gateway.user.verification_requested`)."""
    account = await _new_account(passwords, uuid.uuid4(), email, password, display_name, role, verified=False)
    now = _now()
    async with UnitOfWork(pool, PRODUCER, SCHEMA) as uow:
        await store.insert_user(uow.conn, account, now)
        uow.emit(_registered(account), account.id)
        await ask_verification(uow, account, now)
    return account


async def ask_verification(uow: UnitOfWork, account: Account, now: datetime) -> None:
    """A new verification link for the account's address, and the email that carries it."""
    await send_email_link(uow, account, now, "verify_email", VERIFICATION_LIFETIME, VerificationRequested)


async def send_email_link(
    uow: UnitOfWork,
    account: Account,
    now: datetime,
    purpose: EmailTokenPurpose,
    lifetime: timedelta,
    event: type[VerificationRequested | PasswordResetRequested],
) -> None:
    """A new single-use token of `purpose` for the account, kept as its hash, and the event that
    asks for the email carrying its link (verification and reset links differ only in these)."""
    token = SecretToken.new()
    expires_at = now + lifetime
    await store.insert_email_token(uow.conn, token.digest, account.id, purpose, now, expires_at)
    uow.emit(
        event(
            user_id=account.id,
            email=account.email,
            display_name=account.display_name,
            token=token.raw,
            expires_at=expires_at,
        ),
        account.id,
    )


async def _new_account(
    passwords: Passwords,
    user_id: uuid.UUID,
    email: str,
    password: str,
    display_name: str,
    role: Role,
    verified: bool,
) -> Account:
    violations = password_violations(password, email)
    if violations:
        raise weak_password(violations)
    return Account(user_id, email, display_name, role, await passwords.hash(password), verified)


def _registered(account: Account) -> UserRegistered:
    return UserRegistered(
        user_id=account.id,
        email=account.email,
        display_name=account.display_name,
        role=account.role,
        email_verified=account.email_verified,
    )


def _now() -> datetime:
    return datetime.now(UTC)


async def sign_in(
    pool: asyncpg.Pool, passwords: Passwords, throttle: LoginThrottle, email: str, password: str, address: str
) -> Account:
    """The account these credentials open: 429 when throttled, 401 when they open none (the
    same answer, after the same work, for an unknown email and a wrong password)."""
    account_key = f"account:{email}"
    wait_s = await store.take_login_tokens(
        pool, [(f"address:{address}", throttle.address), (account_key, throttle.account)]
    )
    if wait_s is not None:
        raise too_many_requests(ceil(wait_s), "Too many sign-in attempts; try again later")
    account = await store.get_user_by_email(pool, email)
    matches = await passwords.verify(account.password_hash if account else None, password)
    if account is None or not matches:
        raise unauthorized("Invalid email or password")
    await store.return_login_token(pool, account_key, throttle.account)
    if passwords.needs_rehash(account.password_hash):
        await store.set_password_hash(pool, account.id, await passwords.hash(password))
    return account


async def create_operator_account(
    conn: asyncpg.Connection, email: str, password: str, exist_ok: bool = False
) -> uuid.UUID:
    """An operator account (`marketplace create-operator`, `marketplace up`), its address taken
    as verified (an operator typed it). With `exist_ok` an existing operator with this email is
    kept as it is (its password is not reset); an account of another role is never promoted."""
    email = valid_email(email)
    existing = await store.get_user_by_email(conn, email)
    if existing is not None:
        if exist_ok and existing.role == "operator":
            return existing.id
        raise conflict("email_taken", f"An account with the email {email} exists")
    display_name = email.split("@")[0][:DISPLAY_NAME_MAX_LENGTH]
    account = await _new_account(Passwords(1), uuid.uuid4(), email, password, display_name, "operator", True)
    await _insert_announced(conn, account)
    return account.id


async def ensure_demo_account(
    conn: asyncpg.Connection, user_id: uuid.UUID, email: str, password: str, display_name: str, role: Role
) -> None:
    """A development account with a fixed id (the seeded makers' records name it), its address
    verified, created once; an existing account with that email is left as it is."""
    email = valid_email(email)
    if await store.get_user_by_email(conn, email) is None:
        account = await _new_account(Passwords(1), user_id, email, password, display_name, role, True)
        await _insert_announced(conn, account)


async def _insert_announced(conn: asyncpg.Connection, account: Account) -> None:
    """Insert an account made by the command line, with its `registered` event, in one
    transaction of the command line's own connection."""
    envelope = Envelope.wrap(_registered(account), producer=PRODUCER, aggregate_id=str(account.id))
    async with conn.transaction():
        await store.insert_user(conn, account, _now())
        await write_outbox(conn, outbox_channel(SCHEMA), [envelope])
