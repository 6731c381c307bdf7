"""The payment retry policy (authorisations and captures), the sandbox's test tokens, and the
Idempotency-Key fingerprint."""

from __future__ import annotations

import pytest

from services.orders.domain import (
    AuthorisationOutcome,
    AuthorisationResult,
    CaptureOutcome,
    CaptureResult,
    PaymentProviderError,
)
from services.orders.payments import _capture_outcome, _outcome, authorise_with_retries, capture_with_retries
from shared.idempotency import request_hash
from shared.money import Money

AMOUNT = Money(amount=12500, currency="GBP")


class ScriptedProvider:
    """Answers authorisations and captures from a script; records every call."""

    def __init__(self, *answers: AuthorisationOutcome | CaptureOutcome | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, Money, str]] = []

    def _next(self, call: tuple[str, Money, str]) -> AuthorisationOutcome | CaptureOutcome:
        self.calls.append(call)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def authorise(self, token: str, amount: Money, idempotency_key: str) -> AuthorisationResult:
        answer = AuthorisationOutcome(self._next((token, amount, idempotency_key)))
        return AuthorisationResult(answer, "ref" if answer is AuthorisationOutcome.AUTHORISED else None)

    async def capture(self, reference: str, amount: Money, idempotency_key: str) -> CaptureResult:
        answer = CaptureOutcome(self._next((reference, amount, idempotency_key)))
        return CaptureResult(answer, "cap" if answer is CaptureOutcome.CAPTURED else None)

    async def void(self, reference: str) -> None: ...

    async def void_attempt(self, idempotency_key: str) -> None: ...

    async def refund(self, reference: str, amount: Money, idempotency_key: str) -> None: ...


T, A, D = (
    AuthorisationOutcome.TRANSIENT_ERROR,
    AuthorisationOutcome.AUTHORISED,
    AuthorisationOutcome.DECLINED,
)


async def test_transient_errors_are_retried_with_the_same_key() -> None:
    provider = ScriptedProvider(T, T, A)
    result = await authorise_with_retries(provider, "tok_error", AMOUNT, "order-1", attempts=3, backoff_s=0)
    assert (result.outcome, result.reference) == (A, "ref")
    assert provider.calls == [("tok_error", AMOUNT, "order-1")] * 3


async def test_a_decision_is_final() -> None:
    provider = ScriptedProvider(T, D, A)
    result = await authorise_with_retries(provider, "t", AMOUNT, "k", attempts=3, backoff_s=0)
    assert result.outcome is D and len(provider.calls) == 2


async def test_out_of_attempts_the_transient_error_is_returned() -> None:
    provider = ScriptedProvider(T, T)
    result = await authorise_with_retries(provider, "t", AMOUNT, "k", attempts=2, backoff_s=0)
    assert result.outcome is T and len(provider.calls) == 2


async def test_a_provider_error_counts_as_transient() -> None:
    provider = ScriptedProvider(PaymentProviderError("502"), PaymentProviderError("timeout"), A)
    result = await authorise_with_retries(provider, "t", AMOUNT, "k", attempts=3, backoff_s=0)
    assert result.outcome is A


async def test_backoff_doubles(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("services.orders.payments.asyncio.sleep", sleep)
    await authorise_with_retries(ScriptedProvider(T, T, T, T), "t", AMOUNT, "k", attempts=4, backoff_s=0.2)
    assert slept == [0.2, 0.4, 0.8]


@pytest.mark.parametrize(
    ("token", "attempt", "expected"),
    [
        ("tok_visa", 1, A),
        ("tok_declined", 1, D),
        ("tok_error", 1, T),
        ("tok_error", 2, T),
        ("tok_error", 3, A),
        ("tok_unavailable", 9, T),
        ("tok_unknown", 1, D),
    ],
)
def test_sandbox_tokens(token: str, attempt: int, expected: AuthorisationOutcome) -> None:
    assert _outcome(token, attempt) is expected


async def test_a_transient_capture_is_retried_with_the_same_key_until_captured() -> None:
    provider = ScriptedProvider(
        CaptureOutcome.TRANSIENT_ERROR, PaymentProviderError("502"), CaptureOutcome.CAPTURED
    )
    result = await capture_with_retries(provider, "ref", AMOUNT, "order-1-capture", attempts=3, backoff_s=0)
    assert (result.outcome, result.reference) == (CaptureOutcome.CAPTURED, "cap")
    assert provider.calls == [("ref", AMOUNT, "order-1-capture")] * 3


async def test_a_declined_capture_is_final_and_out_of_attempts_stays_transient() -> None:
    declined = ScriptedProvider(CaptureOutcome.DECLINED, CaptureOutcome.CAPTURED)
    result = await capture_with_retries(declined, "ref", AMOUNT, "k", attempts=3, backoff_s=0)
    assert result.outcome is CaptureOutcome.DECLINED and len(declined.calls) == 1
    failing = ScriptedProvider(CaptureOutcome.TRANSIENT_ERROR, CaptureOutcome.TRANSIENT_ERROR)
    result = await capture_with_retries(failing, "ref", AMOUNT, "k", attempts=2, backoff_s=0)
    assert result.transient and len(failing.calls) == 2


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("tok_visa", [CaptureOutcome.CAPTURED]),
        ("tok_error", [CaptureOutcome.CAPTURED]),
        ("tok_capture_declined", [CaptureOutcome.DECLINED] * 3),
        (
            "tok_capture_error",
            [CaptureOutcome.TRANSIENT_ERROR, CaptureOutcome.TRANSIENT_ERROR, CaptureOutcome.CAPTURED],
        ),
    ],
)
def test_sandbox_capture_tokens(token: str, expected: list[CaptureOutcome]) -> None:
    assert _outcome(token, 3) is AuthorisationOutcome.AUTHORISED
    assert [_capture_outcome(token, attempt) for attempt in range(1, len(expected) + 1)] == expected


def test_the_fingerprint_ignores_key_order_and_whitespace_but_not_values() -> None:
    body = {"lines": [{"listing_id": "a", "quantity": 1}], "payment": {"token": "tok_visa"}}
    same = {"payment": {"token": "tok_visa"}, "lines": [{"quantity": 1, "listing_id": "a"}]}
    assert request_hash("POST", "/api/v1/orders", body) == request_hash("post", "/api/v1/orders", same)
    other = {**body, "lines": [{"listing_id": "a", "quantity": 2}]}
    assert request_hash("POST", "/api/v1/orders", body) != request_hash("POST", "/api/v1/orders", other)
    assert request_hash("POST", "/api/v1/orders", body) != request_hash("POST", "/api/v1/x", body)
