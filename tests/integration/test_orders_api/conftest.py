"""The package's fixtures. The orders service's own environment, its process and the
database connection are package-scoped: started once for every module of the package, as they
were once for the one module these tests come from. Each test gets a World of its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import asyncpg
import pytest

from tests.integration.test_orders_api.support import World
from tests.support.harness import ServiceProcess
from tests.support.harness import TestEnvironment as Environment
from tests.support.orders import Api, json_connection, migrated_orders_environment, running_orders


@pytest.fixture(scope="package")
async def alone(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Environment]:
    async with migrated_orders_environment(tmp_path_factory.mktemp("orders-alone")) as (env, _):
        yield env


@pytest.fixture(scope="package")
def orders(alone: Environment) -> Iterator[ServiceProcess]:
    # EUR as well as GBP, so that one currency per order is tested apart from accepted ones.
    with running_orders(
        alone, "orders-alone", ORDERS_PAYMENT_ATTEMPTS="1", MARKET_CURRENCIES='["GBP", "EUR"]'
    ) as process:
        yield process


@pytest.fixture(scope="package")
async def db(alone: Environment) -> AsyncIterator[asyncpg.Connection]:
    async with json_connection(alone.database) as conn:
        yield conn


@pytest.fixture
async def world(orders: ServiceProcess, alone: Environment, db: asyncpg.Connection) -> AsyncIterator[World]:
    issuer = alone.token_issuer()
    async with aiohttp.ClientSession() as session:
        yield World(
            Api(session, orders.url, lambda role, user_id=None: issuer.issue(user_id or uuid.uuid4(), role)),
            db,
            f"{alone.namespace}.events",
            orders.url,
        )
