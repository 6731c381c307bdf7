"""Accounts that last, through a real gateway process (and a makers process behind it) on the
real PostgreSQL and RabbitMQ: refresh tokens rotated and their reuse detected, signing out of
one sign-in and everywhere, verifying an address (and makers needing it to submit), resetting a
password, and the identity events the gateway publishes through its outbox."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import jwt
import pytest

from services.gateway.app import SERVICE
from services.gateway.settings import GatewaySettings
from shared.contracts import Envelope
from shared.contracts.identity import UserRegistered
from shared.migrate import migrate
from tests.support.accounts import emailed_token
from tests.support.broker import drain, tap
from tests.support.harness import ADMIN_DSN, ServiceProcess, TestEnvironment, eventually
from tests.support.migrations import migrated_before

pytestmark = pytest.mark.timeout(120)

PASSWORD = "correct horse battery"
THIRTY_DAYS_S = 30 * 24 * 3600


@pytest.fixture(scope="module")
def gateway(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    makers = service_processes("makers")
    return service_processes("gateway", GATEWAY_MAKERS_URL=makers.url, GATEWAY_LOGIN_ADDRESS_BURST="500")


@dataclass
class Response:
    status: int
    body: Any


@dataclass
class Person:
    email: str
    user_id: str
    access_token: str = ""
    refresh_token: str = ""


@dataclass
class Client:
    session: aiohttp.ClientSession
    url: str

    async def call(self, method: str, path: str, *, json: Any = None, token: str | None = None) -> Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(method, self.url + path, json=json, headers=headers) as r:
            body = await r.json(content_type=None) if await r.read() else None
            if r.status >= 400:
                assert r.content_type == "application/problem+json", (r.status, body)
            return Response(r.status, body)

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


# --- verifying the address -----------------------------------------------------------------------


async def test_registering_asks_for_a_verification_email_and_the_link_verifies_once(
    client: Client, db: asyncpg.Connection
) -> None:
    person = await client.register()
    await client.sign_in(person)
    assert claims(person.access_token)["email_verified"] is False
    me = await client.call("GET", "/api/v1/auth/me", token=person.access_token)
    assert me.body["email_verified"] is False

    [registered] = await outbox_events(db, person.user_id, "registered")
    assert registered["data"] == {
        "user_id": person.user_id,
        "email": person.email,
        "display_name": "Ada Lovelace",
        "role": "customer",
        "email_verified": False,
    }
    [asked] = await outbox_events(db, person.user_id, "verification_requested")
    token = asked["data"]["token"]
    stored = await db.fetchrow(
        "SELECT purpose, expires_at - created_at AS lifetime FROM identity.email_tokens "
        "WHERE token_hash = $1",
        hashlib.sha256(token.encode()).digest(),
    )
    assert (stored["purpose"], stored["lifetime"].total_seconds()) == ("verify_email", 48 * 3600)

    verified = await client.call("POST", "/api/v1/auth/verify-email", json={"token": token})
    assert verified.status == 200
    assert (verified.body["user_id"], verified.body["email_verified"]) == (person.user_id, True)
    [announced] = await outbox_events(db, person.user_id, "email_verified")
    assert announced["data"] == {"user_id": person.user_id, "email": person.email}

    again = await client.call("POST", "/api/v1/auth/verify-email", json={"token": token})
    assert (again.status, code(again)) == (422, "token_invalid")
    # The next access token says so: a refresh is enough.
    refreshed = await client.refresh(person.refresh_token)
    assert claims(refreshed.body["access_token"])["email_verified"] is True


async def test_asking_again_sends_a_new_link_until_verified(client: Client, db: asyncpg.Connection) -> None:
    person = await client.register()
    await client.sign_in(person)
    assert (await client.call("POST", "/api/v1/auth/verify-email/resend")).status == 401
    resent = await client.call("POST", "/api/v1/auth/verify-email/resend", token=person.access_token)
    assert resent.status == 202
    first, second = await outbox_events(db, person.user_id, "verification_requested")
    assert first["data"]["token"] != second["data"]["token"]

    # Either link works; once verified, asking again sends nothing.
    ok = await client.call("POST", "/api/v1/auth/verify-email", json={"token": first["data"]["token"]})
    assert ok.status == 200
    assert (
        await client.call("POST", "/api/v1/auth/verify-email/resend", token=person.access_token)
    ).status == 202
    assert len(await outbox_events(db, person.user_id, "verification_requested")) == 2


async def test_an_expired_verification_link_is_refused(client: Client, db: asyncpg.Connection) -> None:
    person = await client.register()
    token = await emailed_token(person.user_id)
    await db.execute(
        "UPDATE identity.email_tokens SET created_at = created_at - interval '49 hours', "
        "expires_at = expires_at - interval '49 hours' WHERE token_hash = $1",
        hashlib.sha256(token.encode()).digest(),
    )
    expired = await client.call("POST", "/api/v1/auth/verify-email", json={"token": token})
    assert (expired.status, code(expired)) == (422, "token_invalid")


async def test_a_maker_submits_an_application_only_with_a_verified_address(client: Client) -> None:
    maker = await client.register("maker")
    await client.sign_in(maker)
    profile = {
        "handle": f"forge-{uuid.uuid4().hex[:8]}",
        "display_name": "Hallam Forge",
        "terms_accepted": True,
        "portfolio_urls": ["https://example.com/portfolio"],
    }
    record = await client.call("POST", "/api/v1/makers", json=profile, token=maker.access_token)
    assert record.status == 201, record.body
    submit = f"/api/v1/makers/{record.body['id']}/submit"

    refused = await client.call("POST", submit, token=maker.access_token)
    assert (refused.status, code(refused)) == (403, "email_unverified")
    unchanged = await client.call("GET", "/api/v1/makers/me", token=maker.access_token)
    assert unchanged.body["status"] == "draft"

    assert (await client.verify(maker)).status == 200
    refreshed = await client.refresh(maker.refresh_token)
    submitted = await client.call("POST", submit, token=refreshed.body["access_token"])
    assert (submitted.status, submitted.body["status"]) == (200, "submitted")


async def test_changing_the_address_needs_the_password_and_a_new_verification(
    client: Client, db: asyncpg.Connection
) -> None:
    person = await client.register()
    await client.sign_in(person)
    old_link = await emailed_token(person.user_id)
    other = await client.register()
    change = "/api/v1/auth/email"

    wrong = await client.call(
        "POST",
        change,
        json={"email": "new@example.com", "password": "not my password"},
        token=person.access_token,
    )
    assert (wrong.status, code(wrong)) == (422, "password_incorrect")
    taken = await client.call(
        "POST", change, json={"email": other.email, "password": PASSWORD}, token=person.access_token
    )
    assert (taken.status, code(taken)) == (409, "email_taken")
    me = await client.call("GET", "/api/v1/auth/me", token=person.access_token)
    assert me.body["email"] == person.email

    new_email = f"moved-{uuid.uuid4().hex[:10]}@example.com"
    changed = await client.call(
        "POST", change, json={"email": new_email.upper(), "password": PASSWORD}, token=person.access_token
    )
    assert changed.status == 200, changed.body
    assert (changed.body["email"], changed.body["email_verified"]) == (new_email, False)
    [moved] = await outbox_events(db, person.user_id, "email_changed")
    assert moved["data"] == {"user_id": person.user_id, "email": new_email, "previous_email": person.email}
    first, second = await outbox_events(db, person.user_id, "verification_requested")
    assert (first["data"]["email"], second["data"]["email"]) == (person.email, new_email)

    # The link sent to the old address no longer verifies anything; the new one does.
    stale = await client.call("POST", "/api/v1/auth/verify-email", json={"token": old_link})
    assert (stale.status, code(stale)) == (422, "token_invalid")
    fresh = await client.call("POST", "/api/v1/auth/verify-email", json={"token": second["data"]["token"]})
    assert (fresh.status, fresh.body["email"], fresh.body["email_verified"]) == (200, new_email, True)
    person.email = new_email
    assert (await client.sign_in(person)).status == 200


# --- resetting the password ----------------------------------------------------------------------


async def test_a_password_reset_link_sets_a_new_password_and_ends_every_sign_in(
    client: Client, db: asyncpg.Connection
) -> None:
    person = await client.register()
    await client.sign_in(person)
    old_sign_in = person.refresh_token
    asked = await client.call("POST", "/api/v1/auth/password-reset", json={"email": person.email.upper()})
    assert asked.status == 202
    token = await emailed_token(person.user_id, "password_reset_requested")
    stored = await db.fetchval(
        "SELECT expires_at - created_at FROM identity.email_tokens WHERE token_hash = $1",
        hashlib.sha256(token.encode()).digest(),
    )
    assert stored.total_seconds() == 3600

    confirm = "/api/v1/auth/password-reset/confirm"
    weak = await client.call("POST", confirm, json={"token": token, "password": "short"})
    assert (weak.status, code(weak)) == (422, "weak_password")
    new_password = "a brand new passphrase"
    reset = await client.call("POST", confirm, json={"token": token, "password": new_password})
    assert reset.status == 200
    # Following the link proved the address too.
    assert reset.body["email_verified"] is True

    assert (await client.refresh(old_sign_in)).status == 401
    assert (await client.sign_in(person)).status == 401
    assert (await client.sign_in(person, new_password)).status == 200
    spent = await client.call("POST", confirm, json={"token": token, "password": "yet another passphrase"})
    assert (spent.status, code(spent)) == (422, "token_invalid")


async def test_a_reset_link_expires_after_an_hour(client: Client, db: asyncpg.Connection) -> None:
    person = await client.register()
    await client.call("POST", "/api/v1/auth/password-reset", json={"email": person.email})
    token = await emailed_token(person.user_id, "password_reset_requested")
    await db.execute(
        "UPDATE identity.email_tokens SET created_at = created_at - interval '61 minutes', "
        "expires_at = expires_at - interval '61 minutes' WHERE token_hash = $1",
        hashlib.sha256(token.encode()).digest(),
    )
    expired = await client.call(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": "a brand new passphrase"},
    )
    assert (expired.status, code(expired)) == (422, "token_invalid")
    assert (await client.sign_in(person)).status == 200


async def test_a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(
    client: Client, db: asyncpg.Connection
) -> None:
    unknown = f"nobody-{uuid.uuid4().hex[:10]}@example.com"
    known = await client.register()
    before = await db.fetchval("SELECT coalesce(max(id), 0) FROM identity.outbox")

    async def timed(email: str) -> float:
        started = time.perf_counter()
        answer = await client.call("POST", "/api/v1/auth/password-reset", json={"email": email})
        assert (answer.status, answer.body) == (202, None)
        return time.perf_counter() - started

    known_s, unknown_s = [], []
    for _ in range(15):
        known_s.append(await timed(known.email))
        unknown_s.append(await timed(unknown))
    # The answer waits on nothing that depends on the address.
    assert abs(statistics.median(known_s) - statistics.median(unknown_s)) < 0.005

    # Requests are carried out in order: once a later one for another account is, these were.
    last = await client.register()
    await client.call("POST", "/api/v1/auth/password-reset", json={"email": last.email})
    await emailed_token(last.user_id, "password_reset_requested")
    sent = await db.fetchval(
        "SELECT count(*) FROM identity.outbox WHERE id > $1 AND envelope->>'type' = $2 "
        "AND envelope->>'aggregate_id' = $3",
        before,
        "gateway.user.password_reset_requested",
        known.user_id,
    )
    # As many reset emails as sign-in attempts (a burst of 10), so nobody fills an inbox.
    assert sent == 10
    unexpected = await db.fetchval(
        "SELECT count(*) FROM identity.outbox WHERE id > $1 AND envelope->'data'->>'email' = $2",
        before,
        unknown,
    )
    assert unexpected == 0


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
        conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + "/" + env.database)
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
