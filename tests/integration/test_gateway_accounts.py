"""Accounts through a real gateway process on the real PostgreSQL: registration rules, signing
in, tokens that are refused, throttling, and operators created by the command line."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from services.gateway import store
from services.gateway.accounts import create_operator_account
from services.gateway.domain import Bucket
from shared.auth import TokenVerifier, generate_keypair
from shared.errors import Conflict, RulesViolated
from tests.support.api import Api, Response
from tests.support.harness import ServiceProcess
from tests.support.harness import TestEnvironment as Environment

pytestmark = pytest.mark.timeout(120)

ACCOUNT_BURST = 3
ADDRESS_BURST = 6
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def gateway(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    # One trusted proxy hop: each test claims a client address of its own in X-Forwarded-For,
    # so the per-address limits of one test never meet another's. The buckets refill slowly
    # (one attempt per two minutes), so a busy machine's slow sign-ins never refill a bucket
    # between the attempts a test counts; refilling is tested on the buckets themselves.
    return service_processes(
        "gateway",
        GATEWAY_TRUSTED_PROXY_HOPS="1",
        GATEWAY_LOGIN_ACCOUNT_BURST=str(ACCOUNT_BURST),
        GATEWAY_LOGIN_ADDRESS_BURST=str(ADDRESS_BURST),
        GATEWAY_LOGIN_ACCOUNT_PER_MINUTE="0.5",
        GATEWAY_LOGIN_ADDRESS_PER_MINUTE="0.5",
    )


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def new_address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@dataclass
class Client(Api):
    """The shared API client (tests.support.api), calling from one client address (the gateway's
    rate limits count per address), or from `address` for one call."""

    address: str = field(default_factory=new_address)

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        address: str | None = None,
    ) -> Response:
        headers = {"X-Forwarded-For": address or self.address, **(headers or {})}
        return await super().call(method, path, token, json=json, data=data, headers=headers)

    async def register(
        self, email: str | None = None, password: str = PASSWORD, role: str = "customer", **extra: Any
    ) -> Response:
        body = {
            "email": email or new_email(),
            "password": password,
            "display_name": "Ada Lovelace",
            "role": role,
            **extra,
        }
        return await self.call("POST", "/api/v1/auth/register", json=body)

    async def sign_in(self, email: str, password: str = PASSWORD, address: str | None = None) -> Response:
        return await self.call(
            "POST", "/api/v1/auth/token", json={"email": email, "password": password}, address=address
        )


@pytest.fixture
async def client(gateway: ServiceProcess) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(session, gateway.url)


# --- registering and signing in ------------------------------------------------------------------


async def test_register_sign_in_and_read_my_account(
    client: Client, test_env: Environment, db: asyncpg.Connection
) -> None:
    email = new_email()
    registered = await client.register(f"  {email.upper()} ", role="maker")
    assert registered.status == 201, registered.body
    assert registered.body == {
        "user_id": registered.body["user_id"],
        "email": email,
        "role": "maker",
        "display_name": "Ada Lovelace",
        "email_verified": False,
    }

    issued = await client.sign_in(email.capitalize())
    assert issued.status == 200, issued.body
    assert issued.body["token_type"] == "Bearer" and issued.body["expires_in"] == 900
    assert issued.headers["Cache-Control"] == "no-store"
    token = issued.body["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "marketplace" and claims["aud"] == "marketplace"
    assert (claims["sub"], claims["role"]) == (registered.body["user_id"], "maker")
    assert claims["email_verified"] is False
    assert claims["exp"] - claims["iat"] == 900
    # Every service verifies it with the public key alone.
    public_pem = (test_env.workdir / "keys" / "public.pem").read_text()
    principal = TokenVerifier(public_pem, "marketplace", "marketplace").verify(token)
    assert str(principal.user_id) == registered.body["user_id"]

    me = await client.call("GET", "/api/v1/auth/me", token=token)
    assert me.status == 200
    assert me.body == registered.body

    stored = await db.fetchval("SELECT password_hash FROM identity.users WHERE email = $1", email)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("password", "status", "code"),
    [
        ("a" * 9, 422, "password_too_short"),
        ("a" * 10, 201, None),
        ("b" * 1025, 422, "password_too_long"),
        ("{email}", 422, "password_is_email"),
    ],
)
async def test_weak_passwords_are_refused(
    client: Client, password: str, status: int, code: str | None
) -> None:
    email = new_email()
    response = await client.register(email, password.format(email=email))
    assert response.status == status, response.body
    if code:
        assert response.body["code"] == "weak_password"
        assert [(e["loc"], e["code"]) for e in response.body["errors"]] == [(["body", "password"], code)]


async def test_an_email_has_one_account_whatever_its_case(client: Client) -> None:
    email = new_email()
    assert (await client.register(email)).status == 201
    for variant in (email, email.upper(), f" {email.title()}"):
        taken = await client.register(variant)
        assert taken.status == 409
        assert taken.body["code"] == "email_taken"


async def test_concurrent_registrations_of_one_email_make_one_account(client: Client) -> None:
    email = new_email()
    results = await asyncio.gather(*(client.register(email) for _ in range(4)))
    assert sorted(r.status for r in results) == [201, 409, 409, 409]


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"role": "operator"}, id="operator"),
        pytest.param({"role": "admin"}, id="unknown-role"),
        pytest.param({"role": None}, id="no-role"),
        pytest.param({"user_id": str(uuid.uuid4())}, id="unknown-field"),
        pytest.param({"email": "not-an-email"}, id="bad-email"),
        pytest.param({"display_name": "   "}, id="blank-name"),
    ],
)
async def test_registration_cannot_grant_a_role_or_set_anything_else(
    client: Client, extra: dict[str, Any]
) -> None:
    response = await client.register(**extra)
    assert response.status == 422, response.body
    assert response.body["code"] == "validation_failed"
    named = next(iter(extra))
    assert any(e["loc"][:2] == ["body", named] for e in response.body["errors"]), response.body


async def test_bad_credentials_look_the_same_for_unknown_emails_and_wrong_passwords(client: Client) -> None:
    email = new_email()
    assert (await client.register(email)).status == 201

    async def attempt(who: str, password: str) -> tuple[float, Response]:
        started = time.perf_counter()
        response = await client.sign_in(who, password, address=new_address())
        return time.perf_counter() - started, response

    wrong, unknown = [], []
    for _ in range(3):  # interleaved, so a busy machine slows both alike
        wrong.append(await attempt(email, "wrong password!"))
        unknown.append(await attempt(new_email(), "wrong password!"))
    bodies = {
        json.dumps({k: v for k, v in r.body.items() if k != "request_id"}, sort_keys=True)
        for _, r in wrong + unknown
    }
    assert {r.status for _, r in wrong + unknown} == {401}
    assert len(bodies) == 1, bodies
    # Both paths check one Argon2 hash (the dummy one for an unknown email); skipping it would
    # make an unknown email answer about a hundred times faster.
    wrong_s = statistics.median(t for t, _ in wrong)
    unknown_s = statistics.median(t for t, _ in unknown)
    assert 1 / 3 < unknown_s / wrong_s < 3, (unknown_s, wrong_s)


# --- tokens that are refused ---------------------------------------------------------------------


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _sign(claims: dict, private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), None)
    return jwt.encode(claims, key, algorithm="EdDSA")  # type: ignore[arg-type]


async def test_forged_tokens_are_refused_at_the_gateway(client: Client, test_env: Environment) -> None:
    registered = await client.register()
    user_id = registered.body["user_id"]
    now = int(time.time())
    claims = {
        "iss": "marketplace",
        "aud": "marketplace",
        "sub": user_id,
        "role": "customer",
        "iat": now,
        "exp": now + 900,
    }
    valid = _sign(claims, test_env.private_key_pem)
    header, _, signature = valid.split(".")
    other_key, _ = generate_keypair()
    forged = {
        "alg-none": _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims) + ".",
        "tampered-claims": f"{header}.{_b64(claims | {'role': 'operator'})}.{signature}",
        "wrong-key": _sign(claims, other_key),
        "expired": _sign(claims | {"iat": now - 2000, "exp": now - 60}, test_env.private_key_pem),
        "wrong-audience": _sign(claims | {"aud": "elsewhere"}, test_env.private_key_pem),
        "garbage": "not.a.token",
    }
    assert (await client.call("GET", "/api/v1/auth/me", token=valid)).status == 200
    assert (await client.call("GET", "/api/v1/auth/me")).status == 401
    for name, token in forged.items():
        refused = await client.call("GET", "/api/v1/auth/me", token=token)
        assert refused.status == 401, name
        assert refused.body["code"] == "unauthorized"
        assert refused.headers["WWW-Authenticate"] == "Bearer"


# --- throttling ----------------------------------------------------------------------------------


async def test_sign_ins_are_throttled_per_account(client: Client) -> None:
    email = new_email()
    assert (await client.register(email)).status == 201
    # Successful sign-ins do not wear the account down.
    for _ in range(ACCOUNT_BURST + 1):
        assert (await client.sign_in(email, address=new_address())).status == 200
    # Failures do, from whichever address they come; then even the right password waits.
    for _ in range(ACCOUNT_BURST):
        assert (await client.sign_in(email, "wrong password!", address=new_address())).status == 401
    throttled = await client.sign_in(email, address=new_address())
    assert throttled.status == 429
    assert throttled.body["code"] == "rate_limited"
    assert int(throttled.headers["Retry-After"]) >= 1
    # Unknown emails are throttled alike, so throttling tells nothing about who exists.
    unknown = new_email()
    statuses = [
        (await client.sign_in(unknown, address=new_address())).status for _ in range(ACCOUNT_BURST + 1)
    ]
    assert statuses == [401] * ACCOUNT_BURST + [429]


async def test_sign_ins_are_throttled_per_client_address(client: Client) -> None:
    statuses = [(await client.sign_in(new_email())).status for _ in range(ADDRESS_BURST + 1)]
    assert statuses == [401] * ADDRESS_BURST + [429]
    throttled = await client.sign_in(new_email())
    assert throttled.status == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert (await client.sign_in(new_email(), address=new_address())).status == 401


async def test_throttle_buckets_refill_and_are_taken_all_or_nothing(services_db: dict) -> None:
    pool = await asyncpg.create_pool(services_db["gateway"].dsn(), min_size=1, max_size=2)
    try:
        fast = Bucket(burst=2, per_minute=600)  # a token every 0.1 s
        one, two = f"test:{uuid.uuid4()}", f"test:{uuid.uuid4()}"
        assert await store.take_login_tokens(pool, [(one, fast)]) is None
        assert await store.take_login_tokens(pool, [(one, fast)]) is None
        wait_s = await store.take_login_tokens(pool, [(two, fast), (one, fast)])
        assert wait_s is not None and 0 < wait_s <= 0.1
        # The refused attempt took nothing from the other bucket: it still holds both tokens.
        assert await pool.fetchval("SELECT tokens FROM login_throttle WHERE key = $1", two) is None
        await asyncio.sleep(wait_s + 0.02)
        assert await store.take_login_tokens(pool, [(two, fast), (one, fast)]) is None
        # A bucket never refills beyond its burst; an idle one is swept away.
        await asyncio.sleep(0.5)
        assert await store.take_login_tokens(pool, [(one, fast)]) is None
        assert await store.take_login_tokens(pool, [(one, fast)]) is None
        assert await store.take_login_tokens(pool, [(one, fast)]) is not None
        await pool.execute(
            "UPDATE login_throttle SET updated_at = now() - interval '1 hour' WHERE key = $1", one
        )
        await store.sweep_login_throttle(pool, idle_s=1800)
        assert [
            r["key"]
            for r in await pool.fetch("SELECT key FROM login_throttle WHERE key IN ($1, $2)", one, two)
        ] == [two]
    finally:
        await pool.close()


# --- operators -----------------------------------------------------------------------------------


async def test_operators_are_created_by_the_command_line_only(client: Client, services_db: dict) -> None:
    email = new_email()
    conn = await asyncpg.connect(services_db["gateway"].dsn())
    try:
        operator_id = await create_operator_account(conn, email.upper(), PASSWORD)
        assert await create_operator_account(conn, email, "another password", exist_ok=True) == operator_id
        with pytest.raises(Conflict) as taken:
            await create_operator_account(conn, email, PASSWORD)
        assert taken.value.code == "email_taken"
        with pytest.raises(RulesViolated) as weak:
            await create_operator_account(conn, new_email(), "short")
        assert weak.value.code == "weak_password"
        customer = new_email()
        assert (await client.register(customer)).status == 201
        with pytest.raises(Conflict):  # never promoted
            await create_operator_account(conn, customer, PASSWORD, exist_ok=True)
    finally:
        await conn.close()

    issued = await client.sign_in(email)  # the password of the first call still holds
    assert issued.status == 200
    me = await client.call("GET", "/api/v1/auth/me", token=issued.body["access_token"])
    assert (me.body["user_id"], me.body["role"], me.body["email_verified"]) == (
        str(operator_id),
        "operator",
        True,
    )
    # Announced, so the notifications service knows the address.
    conn = await asyncpg.connect(services_db["gateway"].dsn())
    try:
        announced = await conn.fetchval(
            "SELECT envelope->'data' FROM outbox WHERE envelope->>'type' = 'gateway.user.registered' "
            "AND envelope->>'aggregate_id' = $1",
            str(operator_id),
        )
    finally:
        await conn.close()
    assert json.loads(announced)["role"] == "operator"
