"""The payment provider port: what the saga needs from a provider. Adapters live outside the
domain (services/orders/payments.py).

Money moves in three steps: an authorisation holds it at checkout, a capture takes it when the
order is confirmed, and refunds give captured money back (never more than was captured). An
authorisation that is never captured is voided. Every call that moves money carries an
idempotency key, so a retry (after a transient error, a crash or a redelivery) never moves it
twice."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from shared.money import Money


class AuthorisationOutcome(StrEnum):
    AUTHORISED = "authorised"
    DECLINED = "declined"
    # Worth retrying with the same idempotency key.
    TRANSIENT_ERROR = "transient_error"


@dataclass(frozen=True)
class AuthorisationResult:
    outcome: AuthorisationOutcome
    # The provider's reference when authorised; needed to capture or void later.
    reference: str | None = None
    detail: str = ""

    @property
    def transient(self) -> bool:
        return self.outcome is AuthorisationOutcome.TRANSIENT_ERROR


class CaptureOutcome(StrEnum):
    CAPTURED = "captured"
    # The provider will not take the money (e.g. the authorisation lapsed or was voided).
    DECLINED = "declined"
    # Worth retrying with the same idempotency key.
    TRANSIENT_ERROR = "transient_error"


@dataclass(frozen=True)
class CaptureResult:
    outcome: CaptureOutcome
    # The provider's reference for the capture when captured; refunds are made against it.
    reference: str | None = None
    detail: str = ""

    @property
    def transient(self) -> bool:
        return self.outcome is CaptureOutcome.TRANSIENT_ERROR


class PaymentProviderError(Exception):
    """A void or refund did not go through; the compensation stays due and is retried."""


class PaymentProvider(Protocol):
    async def authorise(self, token: str, amount: Money, idempotency_key: str) -> AuthorisationResult: ...

    # Takes `amount` (at most what was authorised) of the authorisation `reference`; one capture
    # per key, and an authorisation is captured at most once.
    async def capture(self, reference: str, amount: Money, idempotency_key: str) -> CaptureResult: ...

    # Releases an authorisation that was not captured; safe to repeat. A captured one cannot be
    # voided (PaymentProviderError): its money goes back by refund.
    async def void(self, reference: str) -> None: ...

    # Gives back whatever the provider holds under this authorisation key, if anything: for an
    # order cancelled while pending, whose authorisation (and capture) may have happened in a
    # step that was then rolled back, so the order never learnt its references. An
    # authorisation is voided; one that was captured is refunded in full.
    async def void_attempt(self, idempotency_key: str) -> None: ...

    # Gives back `amount` of the capture `reference`; refuses (PaymentProviderError) more than
    # was captured and not yet refunded. The key makes a retried refund (a crash before it was
    # recorded) never pay out twice.
    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> None: ...
