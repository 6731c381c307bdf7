"""Payments: the sandbox adapter behind the domain's `PaymentProvider` port, the process
context that opens the configured provider, and the retry policy for transient failures.

Adding a real provider is one more adapter class with the port's methods, and one more name
for `ORDERS_PAYMENT_PROVIDER` in `provider_context`.

The sandbox stands in for an external provider, so it keeps its own records (tables
`sandbox_authorisations`, `sandbox_captures` and `sandbox_refunds`) on its own small pool,
outside the saga's transactions: a handler that rolls back does not undo an attempt the
provider has seen, and the attempt counters of `tok_error` and `tok_capture_error` survive
restarts and are shared by every process. Test tokens:

    tok_visa              authorised, then captured
    tok_declined          declined (so is any token it does not know)
    tok_error             fails transiently twice for one idempotency key, then authorised
    tok_unavailable       always fails transiently (a provider outage)
    tok_capture_error     authorised; its capture fails transiently twice per key, then captured
    tok_capture_declined  authorised; its capture is declined

Like a real provider it captures an authorisation at most once and never more than was
authorised, refuses to void a captured authorisation, and refuses refunds beyond what was
captured and not yet refunded.

Every call that reaches it is also written to an append-only call log (`sandbox_calls`), in the
transaction of its effect: the operation, its idempotency key, the authorisation and order it
concerns, the amount, the outcome and whether it took effect (moved money or released it). What
was authorised, captured and refunded is counted from that log, call by call, so a second
charge under another key would show there, whatever the other tables' keys allow.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
from aiohttp import web

from services.orders.domain import (
    AuthorisationOutcome,
    AuthorisationResult,
    CaptureOutcome,
    CaptureResult,
    PaymentProvider,
    PaymentProviderError,
)
from services.orders.settings import ORDERS_SETTINGS
from shared.db import Executor, create_pool
from shared.logging import get_logger
from shared.money import Money

log = get_logger()

PROVIDER = web.AppKey("payment_provider", PaymentProvider)

# How many times `tok_error` fails to authorise, and `tok_capture_error` to capture, per key.
_TRANSIENT_FAILURES = 2
# A pool of its own, apart from the service's: a saga step holds one of the service's
# connections while it waits for the provider, so sharing that pool could exhaust it.
_SANDBOX_POOL_MAX = 4
# The sandbox's own transport failures (what a real adapter's HTTP errors would be).
_UNREACHABLE = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
# The order an authorisation's key is for, as the orders service names its keys.
_ORDER_KEY = re.compile(r"^order-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-")


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
    authorisations and captures per key, voids that tolerate repetition, refunds capped at what
    was captured and idempotent per key."""

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
            call = _Call("authorise", idempotency_key, idempotency_key, amount=amount)
            if (row["token"], row["amount"], row["currency"]) != (token, amount.amount, amount.currency):
                # What a real provider answers to a reused key with different parameters.
                await call.log(conn, "refused")
                return AuthorisationResult(
                    AuthorisationOutcome.DECLINED, detail="idempotency key reused with other parameters"
                )
            if row["outcome"] is not None:
                # Already decided: a retry gets the same answer, never a second charge.
                await call.log(conn, row["outcome"], answered=row["reference"])
                return AuthorisationResult(AuthorisationOutcome(row["outcome"]), row["reference"])
            outcome = _outcome(token, row["attempts"])
            if outcome is AuthorisationOutcome.TRANSIENT_ERROR:
                await call.log(conn, outcome.value)
                return AuthorisationResult(outcome, detail=f"sandbox: {token} attempt {row['attempts']}")
            reference = f"sbx_{uuid.uuid4().hex}" if outcome is AuthorisationOutcome.AUTHORISED else None
            await conn.execute(
                "UPDATE sandbox_authorisations SET outcome = $2, reference = $3, updated_at = now() "
                "WHERE idempotency_key = $1",
                idempotency_key,
                outcome.value,
                reference,
            )
            await call.log(
                conn,
                outcome.value,
                answered=reference,
                effective=outcome is AuthorisationOutcome.AUTHORISED,
            )
            return AuthorisationResult(outcome, reference)

    async def capture(self, reference: str, amount: Money, idempotency_key: str) -> CaptureResult:
        try:
            return await self._capture(reference, amount, idempotency_key)
        except _UNREACHABLE as exc:
            return CaptureResult(CaptureOutcome.TRANSIENT_ERROR, detail=f"sandbox unreachable: {exc!r}")

    async def _capture(self, reference: str, amount: Money, idempotency_key: str) -> CaptureResult:
        async with self._pool.acquire() as conn, conn.transaction():
            authorisation = await conn.fetchrow(
                "SELECT idempotency_key, token, amount, currency, voided_at FROM sandbox_authorisations "
                "WHERE reference = $1 AND outcome = 'authorised' FOR UPDATE",
                reference,
            )
            if authorisation is None:
                await _Call("capture", idempotency_key, None, reference, amount).log(conn, "refused")
                return CaptureResult(CaptureOutcome.DECLINED, detail=f"no authorisation {reference}")
            call = _Call("capture", idempotency_key, authorisation["idempotency_key"], reference, amount)
            row = await conn.fetchrow(
                "INSERT INTO sandbox_captures "
                "(idempotency_key, authorisation_reference, amount, currency, attempts) "
                "VALUES ($1, $2, $3, $4, 1) "
                "ON CONFLICT (idempotency_key) DO UPDATE "
                "SET attempts = sandbox_captures.attempts + 1, updated_at = now() "
                "RETURNING attempts, outcome, reference, authorisation_reference, amount, currency",
                idempotency_key,
                reference,
                amount.amount,
                amount.currency,
            )
            assert row is not None, "INSERT … RETURNING returns the row"
            if (row["authorisation_reference"], row["amount"], row["currency"]) != (
                reference,
                amount.amount,
                amount.currency,
            ):
                await call.log(conn, "refused")
                return CaptureResult(
                    CaptureOutcome.DECLINED, detail="idempotency key reused with other parameters"
                )
            if row["outcome"] is not None:
                # Already decided: a retry gets the same answer, never a second capture.
                await call.log(conn, row["outcome"], answered=row["reference"])
                return CaptureResult(CaptureOutcome(row["outcome"]), row["reference"])
            refusal = _capture_refusal(authorisation, amount)
            outcome = (
                CaptureOutcome.DECLINED
                if refusal
                else _capture_outcome(authorisation["token"], row["attempts"])
            )
            if outcome is CaptureOutcome.TRANSIENT_ERROR:
                await call.log(conn, outcome.value)
                return CaptureResult(outcome, detail=f"sandbox: capture attempt {row['attempts']}")
            capture_reference = f"sbx_cap_{uuid.uuid4().hex}" if outcome is CaptureOutcome.CAPTURED else None
            await conn.execute(
                "UPDATE sandbox_captures SET outcome = $2, reference = $3, updated_at = now() "
                "WHERE idempotency_key = $1",
                idempotency_key,
                outcome.value,
                capture_reference,
            )
            await call.log(
                conn, outcome.value, answered=capture_reference, effective=outcome is CaptureOutcome.CAPTURED
            )
            return CaptureResult(outcome, capture_reference, detail=refusal)

    async def void(self, reference: str) -> None:
        with _unreachable_is_a_provider_error():
            voided = await self._void(reference)
        if not voided:
            raise PaymentProviderError(f"no uncaptured authorisation {reference} to void")

    async def _void(self, reference: str) -> bool:
        """Void an uncaptured authorisation (again: harmless); whether there was one."""
        async with self._pool.acquire() as conn, conn.transaction():
            authorisation = await conn.fetchrow(
                "SELECT idempotency_key, amount, currency, voided_at FROM sandbox_authorisations "
                "WHERE reference = $1 AND outcome = 'authorised' FOR UPDATE",
                reference,
            )
            captured = authorisation is not None and await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM sandbox_captures "
                "WHERE authorisation_reference = $1 AND outcome = 'captured')",
                reference,
            )
            if authorisation is None or captured:
                key = authorisation["idempotency_key"] if authorisation else None
                await _Call("void", None, key, reference).log(conn, "refused")
                return False
            call = _Call(
                "void",
                None,
                authorisation["idempotency_key"],
                reference,
                Money(amount=authorisation["amount"], currency=authorisation["currency"]),
            )
            await _void_authorisation(conn, reference)
            await call.log(conn, "voided", effective=authorisation["voided_at"] is None)
            return True

    async def void_attempt(self, idempotency_key: str) -> None:
        with _unreachable_is_a_provider_error():
            await self._void_attempt(idempotency_key)

    async def _void_attempt(self, idempotency_key: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            authorisation = await conn.fetchrow(
                "SELECT reference, amount, currency, voided_at FROM sandbox_authorisations "
                "WHERE idempotency_key = $1 AND outcome = 'authorised' FOR UPDATE",
                idempotency_key,
            )
            if authorisation is None:
                await _Call("void", idempotency_key, idempotency_key).log(conn, "nothing_held")
                return
            reference = authorisation["reference"]
            capture = await conn.fetchrow(
                "SELECT reference, amount, currency FROM sandbox_captures "
                "WHERE authorisation_reference = $1 AND outcome = 'captured'",
                reference,
            )
            if capture is None:
                await _void_authorisation(conn, reference)
                await _Call(
                    "void",
                    idempotency_key,
                    idempotency_key,
                    reference,
                    Money(amount=authorisation["amount"], currency=authorisation["currency"]),
                ).log(conn, "voided", effective=authorisation["voided_at"] is None)
                return
            # Captured by a step that was rolled back: give back whatever is left of it.
            left = capture["amount"] - await _refunded(conn, capture["reference"])
            release = _Call(
                "refund",
                f"{idempotency_key}-release",
                idempotency_key,
                capture["reference"],
                Money(amount=left, currency=capture["currency"]),
            )
            if left > 0:
                await _record_refund(conn, release.key or "", capture["reference"], release.money())
                await release.log(conn, "refunded", effective=True)
            else:
                await release.log(conn, "nothing_held")

    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> None:
        with _unreachable_is_a_provider_error():
            refusal = await self._refund(reference, amount, idempotency_key)
        if refusal:
            raise PaymentProviderError(refusal)

    async def _refund(self, reference: str, amount: Money, idempotency_key: str) -> str:
        """Refund (once per key); why it was refused, or "" (the refusal is logged as a call)."""
        async with self._pool.acquire() as conn, conn.transaction():
            captured = await conn.fetchrow(
                "SELECT c.amount, c.currency, a.idempotency_key AS authorisation_key "
                "FROM sandbox_captures c JOIN sandbox_authorisations a "
                "ON a.reference = c.authorisation_reference "
                "WHERE c.reference = $1 AND c.outcome = 'captured' FOR UPDATE OF c",
                reference,
            )
            authorisation_key = captured["authorisation_key"] if captured else None
            call = _Call("refund", idempotency_key, authorisation_key, reference, amount)
            if captured is None or captured["currency"] != amount.currency:
                await call.log(conn, "refused")
                return f"no {amount.currency} capture {reference} to refund"
            earlier = await conn.fetchrow(
                "SELECT capture_reference, amount FROM sandbox_refunds WHERE idempotency_key = $1",
                idempotency_key,
            )
            if earlier is not None:
                if (earlier["capture_reference"], earlier["amount"]) != (reference, amount.amount):
                    await call.log(conn, "refused")
                    return "idempotency key reused with other parameters"
                await call.log(conn, "refunded")  # a retry: answered, nothing more given back
                return ""
            if await _refunded(conn, reference) + amount.amount > captured["amount"]:
                await call.log(conn, "refused")
                return f"refunds of {reference} would exceed what was captured"
            await _record_refund(conn, idempotency_key, reference, amount)
            await call.log(conn, "refunded", effective=True)
            return ""


@dataclass(frozen=True)
class _Call:
    """One call to the sandbox, for its call log: what was asked (`key`: the call's idempotency
    key; `authorisation_key`: the key of the authorisation it concerns, which names the order)."""

    operation: str
    key: str | None
    authorisation_key: str | None
    reference: str | None = None
    amount: Money | None = None

    def money(self) -> Money:
        assert self.amount is not None
        return self.amount

    async def log(
        self, conn: Executor, outcome: str, *, answered: str | None = None, effective: bool = False
    ) -> None:
        """Append the call to `sandbox_calls`, in the caller's transaction (with its effect)."""
        match = _ORDER_KEY.match(self.authorisation_key or "")
        await conn.execute(
            "INSERT INTO sandbox_calls (operation, idempotency_key, authorisation_key, order_id, "
            "reference, answered_reference, amount, currency, outcome, effective) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            self.operation,
            self.key,
            self.authorisation_key,
            uuid.UUID(match.group(1)) if match else None,
            self.reference,
            answered,
            self.amount.amount if self.amount else None,
            self.amount.currency if self.amount else None,
            outcome,
            effective,
        )


async def _void_authorisation(conn: Executor, reference: str) -> None:
    await conn.execute(
        "UPDATE sandbox_authorisations SET voided_at = coalesce(voided_at, now()), "
        "updated_at = now() WHERE reference = $1",
        reference,
    )


def _capture_refusal(authorisation: asyncpg.Record, amount: Money) -> str:
    """Why a real provider would refuse this capture, or "" when it would not."""
    if authorisation["voided_at"] is not None:
        return "the authorisation was voided"
    if amount.currency != authorisation["currency"] or not 0 < amount.amount <= authorisation["amount"]:
        return f"cannot capture {amount.amount} {amount.currency} of what was authorised"
    return ""


async def _refunded(conn: Executor, capture_reference: str) -> int:
    refunded: int = await conn.fetchval(
        "SELECT coalesce(sum(amount), 0)::bigint FROM sandbox_refunds WHERE capture_reference = $1",
        capture_reference,
    )
    return refunded


async def _record_refund(conn: Executor, idempotency_key: str, capture_reference: str, amount: Money) -> None:
    await conn.execute(
        "INSERT INTO sandbox_refunds (idempotency_key, capture_reference, amount, currency) "
        "VALUES ($1, $2, $3, $4)",
        idempotency_key,
        capture_reference,
        amount.amount,
        amount.currency,
    )


def _outcome(token: str, attempt: int) -> AuthorisationOutcome:
    if token in ("tok_visa", "tok_capture_error", "tok_capture_declined"):
        return AuthorisationOutcome.AUTHORISED
    if token == "tok_error":
        return (
            AuthorisationOutcome.TRANSIENT_ERROR
            if attempt <= _TRANSIENT_FAILURES
            else AuthorisationOutcome.AUTHORISED
        )
    if token == "tok_unavailable":
        return AuthorisationOutcome.TRANSIENT_ERROR
    return AuthorisationOutcome.DECLINED


def _capture_outcome(token: str, attempt: int) -> CaptureOutcome:
    """What capturing an authorisation made with `token` answers at this attempt (per key)."""
    if token == "tok_capture_declined":
        return CaptureOutcome.DECLINED
    if token == "tok_capture_error" and attempt <= _TRANSIENT_FAILURES:
        return CaptureOutcome.TRANSIENT_ERROR
    return CaptureOutcome.CAPTURED


Answer = TypeVar("Answer", AuthorisationResult, CaptureResult)


async def _with_retries(
    ask: Callable[[], Awaitable[Answer]],
    transient: Callable[[str], Answer],
    *,
    attempts: int,
    backoff_s: float,
) -> Answer:
    """Ask up to `attempts` times while the answer is a transient error, backing off
    exponentially; the caller asks with the same idempotency key each time, so a retry never
    moves money twice. A `PaymentProviderError` counts as a transient error too."""
    result = transient("not attempted")
    for attempt in range(attempts):
        if attempt:
            await asyncio.sleep(backoff_s * 2 ** (attempt - 1))
        try:
            result = await ask()
        except PaymentProviderError as exc:
            result = transient(repr(exc))
        if not result.transient:
            return result
        log.warning("payment_transient_error", attempt=attempt + 1, detail=result.detail)
    return result


async def authorise_with_retries(
    provider: PaymentProvider,
    token: str,
    amount: Money,
    idempotency_key: str,
    *,
    attempts: int,
    backoff_s: float,
) -> AuthorisationResult:
    """Authorise, retrying transient errors (`_with_retries`)."""
    return await _with_retries(
        lambda: provider.authorise(token, amount, idempotency_key),
        lambda detail: AuthorisationResult(AuthorisationOutcome.TRANSIENT_ERROR, detail=detail),
        attempts=attempts,
        backoff_s=backoff_s,
    )


async def capture_with_retries(
    provider: PaymentProvider,
    reference: str,
    amount: Money,
    idempotency_key: str,
    *,
    attempts: int,
    backoff_s: float,
) -> CaptureResult:
    """Capture, retrying transient errors (`_with_retries`)."""
    return await _with_retries(
        lambda: provider.capture(reference, amount, idempotency_key),
        lambda detail: CaptureResult(CaptureOutcome.TRANSIENT_ERROR, detail=detail),
        attempts=attempts,
        backoff_s=backoff_s,
    )


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
