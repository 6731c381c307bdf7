"""Least privilege of the real services' runtime roles, read from the PostgreSQL catalogue:
each reaches its own schema and nothing else, can create nothing anywhere, and has none of the
dangerous role attributes. (test_least_privilege.py proves the same of the fixture services.)
And on the broker: each service's own RabbitMQ user (`marketplace broker-setup`) is refused
another service's queue, any exchange declaration and another service's routing keys, yet is
enough for the service to run."""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from aiormq.exceptions import ChannelAccessRefused

from ops.broker import broker_setup, remove_user
from ops.services import definition
from shared.config import ServiceSettings
from shared.service import declare_topology
from tests.conftest import REAL_SERVICES
from tests.support.harness import ServiceProcess

ATTRIBUTES = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolbypassrls", "rolreplication")


@pytest.fixture
async def admin(services_db: dict, test_env) -> asyncpg.Connection:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{test_env.database}")
    yield conn
    await conn.close()


@pytest.mark.parametrize("service", REAL_SERVICES)
async def test_runtime_role_has_no_dangerous_attribute(services_db: dict, admin, service: str) -> None:
    settings = services_db[service]
    row = await admin.fetchrow(
        f"SELECT {', '.join(ATTRIBUTES)}, rolcanlogin, rolinherit FROM pg_roles WHERE rolname = $1",
        settings.app_role,
    )
    assert row is not None
    assert {a: row[a] for a in ATTRIBUTES} == dict.fromkeys(ATTRIBUTES, False)
    assert row["rolcanlogin"]
    # Member of no role at all: it can borrow nobody's privileges (the owner's least of all).
    assert (
        await admin.fetch(
            "SELECT b.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
            "JOIN pg_roles b ON b.oid = m.roleid WHERE r.rolname = $1",
            settings.app_role,
        )
        == []
    )


@pytest.mark.parametrize("service", REAL_SERVICES)
async def test_runtime_role_reaches_its_own_schema_only(services_db: dict, admin, service: str) -> None:
    settings = services_db[service]
    role, own = settings.app_role, settings.db_schema
    schemas = [
        r["nspname"]
        for r in await admin.fetch(
            "SELECT nspname FROM pg_namespace "
            "WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
        )
    ]
    for schema in schemas:
        usage = await admin.fetchval("SELECT has_schema_privilege($1, $2, 'USAGE')", role, schema)
        create = await admin.fetchval("SELECT has_schema_privilege($1, $2, 'CREATE')", role, schema)
        assert create is False, (role, schema, "CREATE")
        assert usage is (schema == own), (role, schema, "USAGE")
    # No privilege on any table, sequence or function of another service's schema.
    others = [s for s in schemas if s != own and s != "public"]
    leaks = await admin.fetch(
        "SELECT n.nspname, c.relname, c.relkind "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = ANY($2) AND c.relkind IN ('r', 'v', 'm', 'S', 'p') AND ("
        "  has_table_privilege($1, c.oid, 'SELECT') OR has_table_privilege($1, c.oid, 'INSERT') OR "
        "  has_table_privilege($1, c.oid, 'UPDATE') OR has_table_privilege($1, c.oid, 'DELETE') OR "
        "  has_table_privilege($1, c.oid, 'TRUNCATE') OR has_table_privilege($1, c.oid, 'REFERENCES') OR "
        "  has_table_privilege($1, c.oid, 'TRIGGER'))",
        role,
        others,
    )
    assert leaks == [], leaks
    # In its own schema: DML on its tables and nothing that changes their shape or ownership.
    owned = await admin.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND pg_get_userbyid(c.relowner) = $2",
        own,
        role,
    )
    assert owned == [], f"{role} owns {owned}: it could ALTER or DROP them"
    assert not await admin.fetchval(
        "SELECT bool_or(has_table_privilege($1, c.oid, 'TRUNCATE')) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $2 AND c.relkind = 'r'",
        role,
        own,
    )
    # Database level: connect, but neither CREATE (schemas) nor TEMPORARY.
    assert await admin.fetchval("SELECT has_database_privilege($1, current_database(), 'CONNECT')", role)
    assert not await admin.fetchval("SELECT has_database_privilege($1, current_database(), 'CREATE')", role)
    assert not await admin.fetchval(
        "SELECT has_database_privilege($1, current_database(), 'TEMPORARY')", role
    )


@pytest.mark.parametrize("service", REAL_SERVICES)
async def test_runtime_role_is_refused_in_practice(services_db: dict, service: str) -> None:
    settings = services_db[service]
    conn = await asyncpg.connect(settings.dsn())
    try:
        assert await conn.fetchval("SHOW search_path") == settings.db_schema
        other = next(s.db_schema for name, s in services_db.items() if name != service)
        for sql in (
            f"SELECT 1 FROM {other}.outbox LIMIT 1",
            "CREATE TABLE sneaky (id int)",
            "CREATE TEMP TABLE sneaky (id int)",
            "CREATE SCHEMA sneaky",
            f"DROP TABLE {settings.db_schema}.outbox",
            f"ALTER TABLE {settings.db_schema}.outbox ADD COLUMN x int",
            f"TRUNCATE {settings.db_schema}.outbox",
            "CREATE ROLE sneaky",
            "SET ROLE postgres",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql)
    finally:
        await conn.close()


# --- the broker: each service its own RabbitMQ user ------------------------------------------------

BROKER_PASSWORD = "broker-test-only"


@pytest.fixture(scope="module")
async def broker_users(services_db: dict) -> AsyncIterator[dict[str, ServiceSettings]]:
    """Each real service's own broker user, made by broker-setup as migrate makes them, and the
    queues declared by migrate; removed after the module."""
    users = {name: s.model_copy(update={"amqp_password": BROKER_PASSWORD}) for name, s in services_db.items()}
    for name, settings in users.items():
        await broker_setup(settings)
        await declare_topology(definition(name), settings)
    yield users
    for settings in users.values():
        await remove_user(settings)


async def _refused(settings: ServiceSettings, attempt: Callable[[AbstractChannel], Awaitable[Any]]) -> None:
    connection = await aio_pika.connect(settings.broker_url)
    try:
        channel = await connection.channel()
        with pytest.raises(ChannelAccessRefused):
            await attempt(channel)
    finally:
        await connection.close()


async def test_a_service_user_cannot_read_another_services_queue_or_declare_an_exchange(
    broker_users: dict[str, ServiceSettings],
) -> None:
    catalogue, orders = broker_users["catalogue"], broker_users["orders"]

    async def consume_orders_queue(channel: AbstractChannel) -> None:
        async def ack(message: AbstractIncomingMessage) -> None:
            await message.ack()

        await (await channel.get_queue(orders.queue, ensure=False)).consume(ack)

    async def read_orders_parking(channel: AbstractChannel) -> None:
        queue = await channel.get_queue(orders.parking_queue, ensure=False)
        await queue.get(fail=False)

    async def purge_orders_queue(channel: AbstractChannel) -> None:
        await (await channel.get_queue(orders.queue, ensure=False)).purge()

    async def declare_an_exchange(channel: AbstractChannel) -> None:
        await channel.declare_exchange(f"{catalogue.namespace}.sneaky", aio_pika.ExchangeType.FANOUT)

    async def redeclare_the_events_exchange(channel: AbstractChannel) -> None:
        await channel.declare_exchange(catalogue.exchange, aio_pika.ExchangeType.TOPIC, durable=True)

    async def declare_a_queue_of_orders(channel: AbstractChannel) -> None:
        await channel.declare_queue(f"{orders.queue}.retry.9", durable=True)

    async def publish_an_orders_event(channel: AbstractChannel) -> None:
        exchange = await channel.get_exchange(catalogue.exchange, ensure=False)
        await exchange.publish(aio_pika.Message(b"{}"), "orders.order.placed.v1")
        await channel.get_exchange(catalogue.exchange)  # a round trip: the refusal arrives first

    for attempt in (
        consume_orders_queue,
        read_orders_parking,
        purge_orders_queue,
        declare_an_exchange,
        redeclare_the_events_exchange,
        declare_a_queue_of_orders,
        publish_an_orders_event,
    ):
        await _refused(catalogue, attempt)


async def test_a_service_runs_as_its_own_broker_user(
    broker_users: dict[str, ServiceSettings], service_processes: Callable[..., ServiceProcess]
) -> None:
    """What the service itself does (declare and bind its queues, consume, publish its own events,
    read its parking queue's depth) is all its user needs: it starts and is ready."""
    makers = service_processes("makers", MARKET_AMQP_PASSWORD=BROKER_PASSWORD)
    connection = await aio_pika.connect(broker_users["makers"].broker_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(broker_users["makers"].exchange)
        await exchange.publish(aio_pika.Message(b"{}"), "makers.test.probe.v1")
        queue = await channel.get_queue(broker_users["makers"].parking_queue)
        assert await queue.get(fail=False) is None
    finally:
        await connection.close()
    with urllib.request.urlopen(makers.url + "/metrics", timeout=5) as response:
        assert b"parking_queue_depth" in response.read()
