"""Sign-ins that last, through a real gateway process (and a makers process behind it) on the
real PostgreSQL and RabbitMQ: refresh tokens rotated and their reuse detected, signing out of
one sign-in and everywhere, and the identity events the gateway publishes through its outbox.
The links the gateway emails (verifying an address, resetting a password) are in
test_gateway_email_links.py."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.gateway.app import SERVICE
from services.gateway.settings import GatewaySettings
from shared.contracts import Envelope
from shared.contracts.identity import UserRegistered
from shared.migrate import migrate
from tests.support.accounts import (
    Client,
    claims,
    client,  # noqa: F401 — a fixture
    code,
    gateway,  # noqa: F401 — a fixture
)
from tests.support.broker import drain, tap
from tests.support.harness import TestEnvironment, admin_dsn, eventually
from tests.support.migrations import migrated_before

pytestmark = pytest.mark.timeout(120)

THIRTY_DAYS_S = 30 * 24 * 3600


# --- refresh tokens ------------------------------------------------------------------------------


async def test_signing_in_gives_a_refresh_token_that_rotates(client: Client, db: asyncpg.Connection) -> None:
    person = await client.register()
    signed_in = await client.sign_in(person)
    assert signed_in.status == 200
    assert signed_in.body["refresh_expires_in"] == THIRTY_DAYS_S
    first = person.refresh_token
    expires_before = await db.fetchval(
        "SELECT expires_at FROM identity.sign_ins WHERE user_id = $1", uuid.UUID(person.user_id)
    )

    refreshed = await client.refresh(first)
    assert refreshed.status == 200, refreshed.body
    assert refreshed.body["refresh_token"] != first
    assert refreshed.body["refresh_expires_in"] == THIRTY_DAYS_S
    assert claims(refreshed.body["access_token"])["sub"] == person.user_id
    me = await client.call("GET", "/api/v1/auth/me", token=refreshed.body["access_token"])
    assert me.status == 200 and me.body["email"] == person.email

    # Sliding: the sign-in now ends 30 days after the refresh, later than it did.
    expires_after = await db.fetchval(
        "SELECT expires_at FROM identity.sign_ins WHERE user_id = $1", uuid.UUID(person.user_id)
    )
    assert expires_after > expires_before
    # Stored as digests only: neither raw token is anywhere in the table.
    stored = {row["token_hash"] for row in await db.fetch("SELECT token_hash FROM identity.refresh_tokens")}
    for raw in (first, refreshed.body["refresh_token"]):
        assert hashlib.sha256(raw.encode()).digest() in stored
        assert raw.encode() not in stored


async def test_a_spent_refresh_token_presented_again_revokes_the_whole_sign_in(client: Client) -> None:
    person = await client.register()
    await client.sign_in(person)
    stolen = person.refresh_token
    newest = (await client.refresh(stolen)).body["refresh_token"]

    reused = await client.refresh(stolen)
    assert (reused.status, code(reused)) == (401, "refresh_token_reused")
    # The legitimate holder's newer token went with the sign-in.
    after = await client.refresh(newest)
    assert (after.status, code(after)) == (401, "refresh_token_invalid")

    # Another sign-in of the same person is untouched.
    await client.sign_in(person)
    assert (await client.refresh(person.refresh_token)).status == 200


async def test_two_refreshes_racing_with_one_token_are_reuse(client: Client) -> None:
    person = await client.register()
    await client.sign_in(person)
    first, second = await asyncio.gather(
        client.refresh(person.refresh_token), client.refresh(person.refresh_token)
    )
    assert sorted([first.status, second.status]) == [200, 401]
    refused, granted = (first, second) if first.status == 401 else (second, first)
    assert code(refused) == "refresh_token_reused"
    assert (await client.refresh(granted.body["refresh_token"])).status == 401


async def test_unknown_and_expired_refresh_tokens_are_refused(client: Client, db: asyncpg.Connection) -> None:
    unknown = await client.refresh("not-a-token-we-gave")
    assert (unknown.status, code(unknown)) == (401, "refresh_token_invalid")
    malformed = await client.call("POST", "/api/v1/auth/refresh", json={"refresh_token": "x", "extra": 1})
    assert malformed.status == 422

    person = await client.register()
    await client.sign_in(person)
    await db.execute(
        "UPDATE identity.sign_ins SET expires_at = now() - interval '1 second' WHERE user_id = $1",
        uuid.UUID(person.user_id),
    )
    expired = await client.refresh(person.refresh_token)
    assert (expired.status, code(expired)) == (401, "refresh_token_invalid")


# --- signing out ---------------------------------------------------------------------------------


async def test_signing_out_ends_that_sign_in_only(client: Client) -> None:
    person = await client.register()
    await client.sign_in(person)
    laptop = person.refresh_token
    await client.sign_in(person)
    phone = person.refresh_token

    out = await client.call("POST", "/api/v1/auth/logout", json={"refresh_token": laptop})
    assert out.status == 204
    assert (await client.refresh(laptop)).status == 401
    assert (await client.refresh(phone)).status == 200
    # Unknown tokens get the same answer and change nothing.
    assert (await client.call("POST", "/api/v1/auth/logout", json={"refresh_token": "unknown"})).status == 204


async def test_signing_out_everywhere_ends_every_sign_in(client: Client) -> None:
    person = await client.register()
    tokens = []
    for _ in range(3):
        await client.sign_in(person)
        tokens.append(person.refresh_token)
    assert (await client.call("POST", "/api/v1/auth/logout-all")).status == 401

    assert (await client.call("POST", "/api/v1/auth/logout-all", token=person.access_token)).status == 204
    for token in tokens:
        refused = await client.refresh(token)
        assert (refused.status, code(refused)) == (401, "refresh_token_invalid")
    # Signing in again works as ever.
    assert (await client.sign_in(person)).status == 200


# --- events on the bus ---------------------------------------------------------------------------


async def test_identity_events_reach_the_broker(client: Client, test_env: TestEnvironment) -> None:
    async with tap(f"{test_env.namespace}.events", "gateway.user.#") as queue:
        person = await client.register()
        assert (await client.verify(person)).status == 200

        events: list[dict[str, Any]] = []

        async def all_three() -> bool:
            # Earlier tests' events may still be on their way: keep only this person's.
            events.extend(
                e for e in await drain(queue, 1, timeout_s=1) if e["aggregate_id"] == person.user_id
            )
            return len(events) == 3

        await eventually(all_three)
    assert [e["type"] for e in events] == [
        "gateway.user.registered",
        "gateway.user.verification_requested",
        "gateway.user.email_verified",
    ]
    assert all(e["producer"] == "gateway" for e in events)


async def test_accounts_from_before_the_events_are_announced_once_and_count_as_verified(
    workdir: Path,
) -> None:
    async with migrated_before(workdir / "identity-0002", SERVICE, GatewaySettings, "0002") as (
        env,
        settings,
        folder,
    ):
        conn = await asyncpg.connect(admin_dsn(env.database))
        try:
            for name in ("Ada", "Grace"):
                await conn.execute(
                    "INSERT INTO identity.users (id, email, display_name, role, password_hash) "
                    "VALUES ($1, $2, $3, 'maker', '$argon2id$v=19$m=65536,t=3,p=4$x$y')",
                    uuid.uuid4(),
                    f"{name.lower()}@example.com",
                    name,
                )
            assert SERVICE.migrations is not None
            for path in SERVICE.migrations.glob("*.sql"):
                shutil.copy(path, folder)
            await migrate(settings, folder)
            rows = await conn.fetch("SELECT routing_key, envelope::text FROM identity.outbox ORDER BY id")
            verified = await conn.fetchval(
                "SELECT bool_and(email_verified_at IS NOT NULL) FROM identity.users"
            )
        finally:
            await conn.close()
    envelopes = [Envelope.model_validate_json(row["envelope"]) for row in rows]
    assert {row["routing_key"] for row in rows} == {"gateway.user.registered.v1"}
    assert [UserRegistered.model_validate(e.data).display_name for e in envelopes] == ["Ada", "Grace"]
    assert all(UserRegistered.model_validate(e.data).email_verified for e in envelopes)
    assert verified
