"""Wiring of the orders service: settings, routes, event handlers, jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Literal

from aiohttp import web
from pydantic import Field

from services.orders import saga, store
from services.orders.api import ORDER_CHANGES, routes
from services.orders.handlers import handlers
from services.orders.payments import provider_context
from shared.config import ServiceSettings
from shared.http import SETTINGS
from shared.service import PeriodicJob, ServiceDefinition
from shared.watch import ChangeFeed


class OrdersSettings(ServiceSettings):
    service = "orders"

    port: int = Field(8083, validation_alias="ORDERS_PORT", description="HTTP port of the orders service")
    commission_rate: Decimal = Field(
        Decimal("0.15"), ge=0, lt=1, validation_alias="ORDERS_COMMISSION_RATE",
        description="The marketplace's commission on each maker order (0.15 is 15%), frozen on "
        "the maker order when it is created",
    )
    payment_window_s: int = Field(
        900, ge=1, validation_alias="ORDERS_PAYMENT_WINDOW_S",
        description="Seconds a pending order has to get its stock reserved and payment "
        "authorised before it is cancelled as expired",
    )
    payment_provider: Literal["sandbox"] = Field(
        "sandbox", validation_alias="ORDERS_PAYMENT_PROVIDER",
        description="The payment provider adapter (sandbox: test tokens tok_visa, tok_declined, "
        "tok_error, tok_unavailable)",
    )
    payment_attempts: int = Field(
        3, ge=1, le=10, validation_alias="ORDERS_PAYMENT_ATTEMPTS",
        description="Authorisation attempts on transient provider errors before the event is "
        "left to the consumer's retry queues",
    )
    payment_retry_backoff_s: float = Field(
        0.2, ge=0, le=10, validation_alias="ORDERS_PAYMENT_RETRY_BACKOFF_S",
        description="First backoff between authorisation attempts; doubles each time",
    )
    idempotency_retention_s: int = Field(
        86400, ge=86400, validation_alias="ORDERS_IDEMPOTENCY_RETENTION_S",
        description="How long an Idempotency-Key and its response are kept (at least 24 h)",
    )


async def order_changes(app: web.Application) -> AsyncIterator[None]:
    """The feed long polls wait on; it connects at the first wait, so only API processes
    that are asked to wait hold its connection."""
    app[ORDER_CHANGES] = feed = ChangeFeed(app[SETTINGS], store.ORDER_CHANGED)
    yield
    await feed.close()


SERVICE = ServiceDefinition(
    name="orders",
    title="Orders service",
    settings_cls=OrdersSettings,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes],
    handlers=handlers,
    # Periods are fixed here because jobs are declared with the service; what they act on
    # (expires_at, retention) comes from the database and the settings.
    jobs=[
        PeriodicJob("orders-expiry", every_s=1.0, run=saga.expire_orders),
        PeriodicJob("orders-compensation", every_s=5.0, run=saga.retry_compensations),
        PeriodicJob("orders-idempotency-keys", every_s=3600.0, run=saga.forget_idempotency_keys),
    ],
    contexts=[provider_context, order_changes],
)
