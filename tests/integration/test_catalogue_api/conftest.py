"""The package's fixtures. The catalogue process is package-scoped, and so are the
service_processes that starts it and the catalogue_pool (module-scoped in tests/conftest.py
and tests/support/catalogue.py): the process starts once for every module of the package, and
the pool is opened once, as both were for the one module these tests come from. `api` and
`maker` are per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from shared.db import create_pool
from tests.integration.test_catalogue_api.support import Api
from tests.support.catalogue import TestMaker, approved_maker
from tests.support.harness import ServiceProcess, spawner
from tests.support.harness import TestEnvironment as Environment


@pytest.fixture(scope="package")
def service_processes(test_env: Environment, workdir: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """tests/conftest.py's service_processes, for the whole package."""
    with spawner(test_env, workdir) as start:
        yield start


@pytest.fixture(scope="package")
async def catalogue_pool(services_db: dict) -> AsyncIterator[asyncpg.Pool]:
    """tests/support/catalogue.py's catalogue_pool (a pool on the catalogue's schema as its
    runtime role), for the whole package."""
    pool = await create_pool(services_db["catalogue"])
    yield pool
    await pool.close()


@pytest.fixture(scope="package")
def catalogue(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    # EUR as well as GBP: a listing's engraving in another currency than its price is then a
    # publishing rule of its own (currency_mismatch), apart from currencies not accepted.
    return service_processes("catalogue", MARKET_CURRENCIES='["GBP", "EUR"]')


@pytest.fixture
async def api(catalogue: ServiceProcess, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, catalogue.url, mint)


@pytest.fixture
async def maker(catalogue_pool: asyncpg.Pool) -> TestMaker:
    return await approved_maker(catalogue_pool)
