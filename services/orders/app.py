"""Wiring of the orders service: its settings, routes, event handlers, jobs and contexts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.orders import saga, store
from services.orders.api import ORDER_CHANGES, routes
from services.orders.handlers import handlers
from services.orders.payments import provider_context
from services.orders.payout_provider import payout_provider_context
from services.orders.settings import ORDERS_SETTINGS, OrdersSettings
from shared.http import SETTINGS
from shared.service import PeriodicJob, ServiceDefinition
from shared.watch import ChangeFeed


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
    settings_key=ORDERS_SETTINGS,
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
    contexts=[provider_context, payout_provider_context, order_changes],
)
