"""Payments: the sandbox adapter behind the domain's `PaymentProvider` port, the process
context that opens the configured provider, and the retry policy for transient failures.

Adding a real provider is one more adapter class with the same three methods, and one more
name for `ORDERS_PAYMENT_PROVIDER` in `provider_context`.

The sandbox stands in for an external provider, so it keeps its own records (tables
`sandbox_authorisations` and `sandbox_refunds`) on its own small pool, outside the saga's
transactions: a handler that rolls back does not undo an attempt the provider has seen, and
the attempt counter of `tok_error` survives restarts and is shared by every process. Test
tokens:

    tok_visa         authorised
    tok_declined     declined (so is any token it does not know)
    tok_error        fails transiently twice for one idempotency key, then authorised
    tok_unavailable  always fails transiently (a provider outage)
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
from aiohttp import web

from services.orders.domain import (
    AuthorisationOutcome,
    AuthorisationResult,
    PaymentProvider,
    PaymentProviderError,
)
from services.orders.settings import ORDERS_SETTINGS
from shared.db import create_pool
from shared.logging import get_logger
from shared.money import Money

log = get_logger()

PROVIDER = web.AppKey("payment_provider", PaymentProvider)

_TRANSIENT_FAILURES_OF_TOK_ERROR = 2
# A pool of its own, apart from the service's: a saga step holds one of the service's
# connections while it waits for the provider, so sharing that pool could exhaust it.
_SANDBOX_POOL_MAX = 4
# The sandbox's own transport failures (what a real adapter's HTTP errors would be).
_UNREACHABLE = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


@contextlib.contextmanager
def _unreachable_is_a_provider_error() -> Iterator[None]:
    """What an adapter owes the port: its transport failures surface as the port's error,
    never as an infrastructure exception the saga would mistake for its own."""
    try:
        yield
    except _UNREACHABLE as exc:
        raise PaymentProviderError(f"sandbox unreachable: {exc!r}") from exc


class SandboxPaymentProvider:
    """Deterministic test tokens with the behaviour of a real provider: idempotent
    authorisations per key, voids that tolerate repetition, refunds capped at what was
    authorised and idempotent per key."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def authorise(self, token: str, amount: Money, idempotency_key: str) -> AuthorisationResult:
        try:
            return await self._authorise(token, amount, idempotency_key)
        except _UNREACHABLE as exc:
            # Worth asking again with the same key: the answer, if there was one, is kept.
            return AuthorisationResult(
                AuthorisationOutcome.TRANSIENT_ERROR, detail=f"sandbox unreachable: {exc!r}"
            )

    async def _authorise(self, token: str, amount: Money, idempotency_key: str) -> AuthorisationResult:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "INSERT INTO sandbox_authorisations "
                "(idempotency_key, token, amount, currency, attempts) VALUES ($1, $2, $3, $4, 1) "
                "ON CONFLICT (idempotency_key) DO UPDATE "
                "SET attempts = sandbox_authorisations.attempts + 1, updated_at = now() "
                "RETURNING attempts, outcome, reference, token, amount, currency",
                idempotency_key,
                token,
                amount.amount,
                amount.currency,
            )
            assert row is not None, "INSERT … RETURNING returns the row"
            if (row["token"], row["amount"], row["currency"]) != (token, amount.amount, amount.currency):
                # What a real provider answers to a reused key with different parameters.
                return AuthorisationResult(
                    AuthorisationOutcome.DECLINED, detail="idempotency key reused with other parameters"
                )
            if row["outcome"] is not None:
                # Already decided: a retry gets the same answer, never a second charge.
                return AuthorisationResult(AuthorisationOutcome(row["outcome"]), row["reference"])
            outcome = _outcome(token, row["attempts"])
            if outcome is AuthorisationOutcome.TRANSIENT_ERROR:
                return AuthorisationResult(outcome, detail=f"sandbox: {token} attempt {row['attempts']}")
            reference = f"sbx_{uuid.uuid4().hex}" if outcome is AuthorisationOutcome.AUTHORISED else None
            await conn.execute(
                "UPDATE sandbox_authorisations SET outcome = $2, reference = $3, updated_at = now() "
                "WHERE idempotency_key = $1",
                idempotency_key,
                outcome.value,
                reference,
            )
            return AuthorisationResult(outcome, reference)

    async def void(self, reference: str) -> None:
        with _unreachable_is_a_provider_error():
            result = await self._pool.execute(
                "UPDATE sandbox_authorisations SET voided_at = coalesce(voided_at, now()), "
                "updated_at = now() WHERE reference = $1 AND outcome = 'authorised'",
                reference,
            )
        if result != "UPDATE 1":
            raise PaymentProviderError(f"no authorisation {reference} to void")

    async def void_attempt(self, idempotency_key: str) -> None:
        with _unreachable_is_a_provider_error():
            await self._pool.execute(
                "UPDATE sandbox_authorisations SET voided_at = coalesce(voided_at, now()), "
                "updated_at = now() WHERE idempotency_key = $1 AND outcome = 'authorised'",
                idempotency_key,
            )

    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> None:
        with _unreachable_is_a_provider_error():
            await self._refund(reference, amount, idempotency_key)

    async def _refund(self, reference: str, amount: Money, idempotency_key: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            authorised = await conn.fetchrow(
                "SELECT amount, currency FROM sandbox_authorisations "
                "WHERE reference = $1 AND outcome = 'authorised' FOR UPDATE",
                reference,
            )
            if authorised is None or authorised["currency"] != amount.currency:
                raise PaymentProviderError(f"no {amount.currency} authorisation {reference} to refund")
            if await conn.fetchval(
                "SELECT 1 FROM sandbox_refunds WHERE idempotency_key = $1", idempotency_key
            ):
                return
            refunded = await conn.fetchval(
                "SELECT coalesce(sum(amount), 0) FROM sandbox_refunds WHERE reference = $1", reference
            )
            if refunded + amount.amount > authorised["amount"]:
                raise PaymentProviderError(f"refunds of {reference} would exceed what was authorised")
            await conn.execute(
                "INSERT INTO sandbox_refunds (idempotency_key, reference, amount, currency) "
                "VALUES ($1, $2, $3, $4)",
                idempotency_key,
                reference,
                amount.amount,
                amount.currency,
            )


def _outcome(token: str, attempt: int) -> AuthorisationOutcome:
    if token == "tok_visa":
        return AuthorisationOutcome.AUTHORISED
    if token == "tok_error":
        return (
            AuthorisationOutcome.TRANSIENT_ERROR
            if attempt <= _TRANSIENT_FAILURES_OF_TOK_ERROR
            else AuthorisationOutcome.AUTHORISED
        )
    if token == "tok_unavailable":
        return AuthorisationOutcome.TRANSIENT_ERROR
    return AuthorisationOutcome.DECLINED


async def authorise_with_retries(
    provider: PaymentProvider,
    token: str,
    amount: Money,
    idempotency_key: str,
    *,
    attempts: int,
    backoff_s: float,
) -> AuthorisationResult:
    """Ask up to `attempts` times while the answer is a transient error, backing off
    exponentially; the same idempotency key each time, so a retry never charges twice. A
    `PaymentProviderError` counts as a transient error too."""
    result = AuthorisationResult(AuthorisationOutcome.TRANSIENT_ERROR, detail="not attempted")
    for attempt in range(attempts):
        if attempt:
            await asyncio.sleep(backoff_s * 2 ** (attempt - 1))
        try:
            result = await provider.authorise(token, amount, idempotency_key)
        except PaymentProviderError as exc:
            result = AuthorisationResult(AuthorisationOutcome.TRANSIENT_ERROR, detail=repr(exc))
        if result.outcome is not AuthorisationOutcome.TRANSIENT_ERROR:
            return result
        log.warning("payment_transient_error", attempt=attempt + 1, detail=result.detail)
    return result


async def provider_context(app: web.Application) -> AsyncIterator[None]:
    """Open the configured payment provider for the life of the process."""
    settings = app[ORDERS_SETTINGS]
    if settings.payment_provider != "sandbox":
        raise ValueError(f"unknown payment provider {settings.payment_provider!r}")
    pool = await create_pool(
        settings.model_copy(update={"pg_pool_min": 1, "pg_pool_max": _SANDBOX_POOL_MAX}),
        role="payments",
    )
    app[PROVIDER] = SandboxPaymentProvider(pool)
    yield
    await pool.close()
