"""Orders' settings: read from their own environment variables and checked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.orders.settings import OrdersSettings


def test_defaults() -> None:
    settings = OrdersSettings()
    assert (settings.commission_rate, settings.payment_window_s, settings.payment_provider) == (
        Decimal("0.15"),
        900,
        "sandbox",
    )
    assert settings.idempotency_retention_s == 86400


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_COMMISSION_RATE", "0.125")
    monkeypatch.setenv("ORDERS_PAYMENT_WINDOW_S", "600")
    settings = OrdersSettings()
    # A Decimal, never a float: it multiplies money.
    assert settings.commission_rate == Decimal("0.125") and isinstance(settings.commission_rate, Decimal)
    assert settings.payment_window_s == 600


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ORDERS_COMMISSION_RATE", "1"),
        ("ORDERS_COMMISSION_RATE", "-0.01"),
        ("ORDERS_PAYMENT_WINDOW_S", "0"),
        ("ORDERS_PAYMENT_PROVIDER", "stripe"),
        ("ORDERS_PAYMENT_ATTEMPTS", "0"),
        # docs/api.md: keys are kept at least 24 hours.
        ("ORDERS_IDEMPOTENCY_RETENTION_S", "86399"),
    ],
)
def test_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        OrdersSettings()
