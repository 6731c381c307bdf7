"""The payment provider port: what the saga needs from a provider. Adapters live outside the
domain (services/orders/payments.py)."""

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
    # The provider's reference when authorised; needed to void or refund later.
    reference: str | None = None
    detail: str = ""


class PaymentProviderError(Exception):
    """A void or refund did not go through; the compensation stays due and is retried."""


class PaymentProvider(Protocol):
    async def authorise(self, token: str, amount: Money, idempotency_key: str) -> AuthorisationResult: ...

    async def void(self, reference: str) -> None: ...

    # Voids whatever the provider authorised under this key, if anything: for an order
    # cancelled while pending, whose authorisation may have happened in a step that was then
    # rolled back (so the order never learnt its reference).
    async def void_attempt(self, idempotency_key: str) -> None: ...

    # The key makes a retried refund (a crash before it was recorded) never pay out twice.
    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> None: ...
