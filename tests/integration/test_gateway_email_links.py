"""The links the gateway emails, through a real gateway process (and a makers process behind it)
on the real PostgreSQL and RabbitMQ: verifying an address (and makers needing it to submit),
changing it, and resetting a password; each link single-use and expiring."""

from __future__ import annotations

import hashlib
import statistics
import time
import uuid

import asyncpg
import pytest

from tests.support.accounts import (
    PASSWORD,
    Client,
    claims,
    client,  # noqa: F401 — a fixture
    code,
    emailed_token,
    gateway,  # noqa: F401 — a fixture
    outbox_events,
)

pytestmark = pytest.mark.timeout(120)


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
