"""What the orders API's handlers share: the route table, the feed long polls wait on, and how
a handler finds its caller, the payment provider and a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from aiohttp import web

from services.orders import store
from services.orders.domain import PaymentProvider
from services.orders.payments import PROVIDER
from services.orders.settings import ORDERS_SETTINGS
from shared.db import UnitOfWork
from shared.http import POOL, Call, Routes
from shared.watch import ChangeFeed

routes = Routes("orders")

# Updates of orders as they commit, for GET /orders/{id}?wait= (opened by app.py).
ORDER_CHANGES = web.AppKey("order_changes", ChangeFeed)

CONFLICT_DOC = "Conflict with the current state (named in `current_state`)"

T = TypeVar("T")


def provider(call: Call) -> PaymentProvider:
    return call.app[PROVIDER]


def currencies(call: Call) -> list[str]:
    """The currencies the marketplace takes (`MARKET_CURRENCIES`)."""
    return call.app[ORDERS_SETTINGS].currencies


def payment_window(call: Call) -> timedelta:
    return timedelta(seconds=call.app[ORDERS_SETTINGS].payment_window_s)


async def in_unit_of_work(call: Call, use_case: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    async with UnitOfWork(call.app[POOL], store.PRODUCER) as uow:
        return await use_case(uow)


async def my_maker_id(call: Call) -> uuid.UUID | None:
    """The calling maker user's maker id, as the makers read model knows it."""
    return await store.maker_id_for_user(call.app[POOL], call.user.user_id)
