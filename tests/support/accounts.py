"""Accounts in tests: a client of the gateway's auth API (people registering, signing in,
refreshing, verifying), and the links the gateway asks to email, read where they are first
written: the gateway's outbox (schema identity). A test follows a verification or reset link as
a person would, without the notifications service or an SMTP server running."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import asyncpg
import jwt
import pytest

from tests.support.api import Api, Response
from tests.support.harness import ServiceProcess, admin_dsn, eventually

EmailLink = Literal["verification_requested", "password_reset_requested"]


def run_database_dsn() -> str:
    """The superuser's DSN of the run's own database (the harness puts its name in the
    environment)."""
    return admin_dsn(os.environ["MARKET_PG_DATABASE"])


async def emailed_token(user_id: str, link: EmailLink = "verification_requested", after: int = 0) -> str:
    """The token of the newest link of this kind the gateway asked to send the user, once one
    with an outbox id above `after` is there."""
    conn = await asyncpg.connect(run_database_dsn())
    try:

        async def newest() -> str | None:
            token: str | None = await conn.fetchval(
                "SELECT envelope->'data'->>'token' FROM identity.outbox "
                "WHERE envelope->>'type' = $1 AND envelope->'data'->>'user_id' = $2 AND id > $3 "
                "ORDER BY id DESC LIMIT 1",
                f"gateway.user.{link}",
                str(user_id),
                after,
            )
            return token

        token: str = await eventually(newest, message=f"a {link} link for {user_id}")
        return token
    finally:
        await conn.close()


# --- the gateway's auth API, as the account tests use it (import the fixtures by name) ---------

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def gateway(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    makers = service_processes("makers")
    return service_processes("gateway", GATEWAY_MAKERS_URL=makers.url, GATEWAY_LOGIN_ADDRESS_BURST="500")


@dataclass
class Person:
    email: str
    user_id: str
    access_token: str = ""
    refresh_token: str = ""


@dataclass
class Client(Api):
    """The shared API client (tests.support.api) with the account journeys; its tokens come from
    signing in, not from `mint`."""

    async def register(self, role: str = "customer") -> Person:
        email = f"user-{uuid.uuid4().hex[:12]}@example.com"
        body = {"email": email, "password": PASSWORD, "display_name": "Ada Lovelace", "role": role}
        registered = await self.call("POST", "/api/v1/auth/register", json=body)
        assert registered.status == 201, registered.body
        return Person(email, registered.body["user_id"])

    async def sign_in(self, person: Person, password: str = PASSWORD) -> Response:
        signed_in = await self.call(
            "POST", "/api/v1/auth/token", json={"email": person.email, "password": password}
        )
        if signed_in.status == 200:
            person.access_token = signed_in.body["access_token"]
            person.refresh_token = signed_in.body["refresh_token"]
        return signed_in

    async def refresh(self, refresh_token: str) -> Response:
        return await self.call("POST", "/api/v1/auth/refresh", json={"refresh_token": refresh_token})

    async def verify(self, person: Person) -> Response:
        token = await emailed_token(person.user_id)
        return await self.call("POST", "/api/v1/auth/verify-email", json={"token": token})


@pytest.fixture
async def client(gateway: ServiceProcess) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(session, gateway.url)


def claims(access_token: str) -> dict[str, Any]:
    return jwt.decode(access_token, options={"verify_signature": False})


def code(response: Response) -> str:
    return str(response.body["code"])


async def outbox_events(db: asyncpg.Connection, user_id: str, event_type: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT envelope FROM identity.outbox WHERE envelope->>'type' = $1 "
        "AND envelope->>'aggregate_id' = $2 ORDER BY id",
        f"gateway.user.{event_type}",
        user_id,
    )
    return [json.loads(row["envelope"]) for row in rows]
