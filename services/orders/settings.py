"""The orders service's settings, read by its code as `app[ORDERS_SETTINGS]`."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from aiohttp import web
from pydantic import Field

from shared.config import ServiceSettings


class OrdersSettings(ServiceSettings):
    service = "orders"

    port: int = Field(8083, validation_alias="ORDERS_PORT", description="HTTP port of the orders service")
    commission_rate: Decimal = Field(
        Decimal("0.15"),
        ge=0,
        lt=1,
        validation_alias="ORDERS_COMMISSION_RATE",
        description="The marketplace's commission on each maker order (0.15 is 15%), frozen on "
        "the maker order when it is created",
    )
    payment_window_s: int = Field(
        900,
        ge=1,
        validation_alias="ORDERS_PAYMENT_WINDOW_S",
        description="Seconds a pending order has to get its stock reserved and payment "
        "authorised before it is cancelled as expired",
    )
    payment_provider: Literal["sandbox"] = Field(
        "sandbox",
        validation_alias="ORDERS_PAYMENT_PROVIDER",
        description="The payment provider adapter (sandbox: test tokens tok_visa, tok_declined, "
        "tok_error, tok_unavailable)",
    )
    payment_attempts: int = Field(
        3,
        ge=1,
        le=10,
        validation_alias="ORDERS_PAYMENT_ATTEMPTS",
        description="Authorisation attempts on transient provider errors before the event is "
        "left to the consumer's retry queues",
    )
    payment_retry_backoff_s: float = Field(
        0.2,
        ge=0,
        le=10,
        validation_alias="ORDERS_PAYMENT_RETRY_BACKOFF_S",
        description="First backoff between authorisation attempts; doubles each time",
    )
    payout_hold_days: int = Field(
        14,
        ge=0,
        validation_alias="ORDERS_PAYOUT_HOLD_DAYS",
        description="Days after a maker order's delivery before its earning may be paid out "
        "(and never while a return is open on it)",
    )
    payout_minimum: int = Field(
        1000,
        ge=1,
        validation_alias="ORDERS_PAYOUT_MINIMUM",
        description="The smallest available balance, in minor units, a payout run sends to a maker",
    )
    idempotency_retention_s: int = Field(
        86400,
        ge=86400,
        validation_alias="ORDERS_IDEMPOTENCY_RETENTION_S",
        description="How long an Idempotency-Key and its response are kept (at least 24 h)",
    )


ORDERS_SETTINGS = web.AppKey("orders_settings", OrdersSettings)
