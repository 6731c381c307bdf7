"""Tokens and roles: token attacks are 401, no role escalation, and the sign-in and
per-address rate limits (429 with Retry-After)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.integration.test_security_api.support import PROBLEM, World
from tests.reliability.marketplace import Client, Traffic, piece
from tests.support.harness import TestEnvironment

pytestmark = pytest.mark.timeout(240)


# --- tokens and roles ---------------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_token_attacks_are_401(world: World, test_env: TestEnvironment) -> None:
    public_pem = Path(test_env.env["MARKET_JWT_PUBLIC_KEY_FILE"]).read_bytes()
    private = serialization.load_pem_private_key(test_env.private_key_pem.encode(), password=None)
    stranger = Ed25519PrivateKey.generate()
    now = int(time.time())
    customer_id = str(uuid.uuid4())
    claims = {
        "iss": "marketplace",
        "aud": "marketplace",
        "sub": customer_id,
        "role": "customer",
        "iat": now,
        "exp": now + 600,
    }
    good = jwt.encode(claims, private, algorithm="EdDSA")
    header, _payload, signature = good.split(".")
    attacks = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, 'role': 'operator'})}.",
        "HS256 keyed with the public key": _hs256(public_pem, {**claims, "role": "operator"}),
        "another key": jwt.encode(claims, stranger, algorithm="EdDSA"),
        "role edited, signature kept": f"{header}.{_b64({**claims, 'role': 'operator'})}.{signature}",
        "expired": jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, private, algorithm="EdDSA"),
        "wrong issuer": jwt.encode({**claims, "iss": "evil"}, private, algorithm="EdDSA"),
        "wrong audience": jwt.encode({**claims, "aud": "other"}, private, algorithm="EdDSA"),
        "unknown role": jwt.encode({**claims, "role": "admin"}, private, algorithm="EdDSA"),
        "no role": jwt.encode({k: v for k, v in claims.items() if k != "role"}, private, algorithm="EdDSA"),
        "no exp": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, private, algorithm="EdDSA"),
        "sub not a uuid": jwt.encode({**claims, "sub": "1 OR 1=1"}, private, algorithm="EdDSA"),
        "garbage": "not.a.token",
        "empty segments": "..",
        # Under aiohttp's 8 KiB header line limit, so the verifier (not the parser) refuses it.
        "huge": "a" * 7000,
    }
    failures = []
    for name, token in attacks.items():
        for path in (
            "/api/v1/auth/me",
            "/api/v1/orders",
            "/api/v1/maker-orders",
            f"/api/v1/makers/{world.maker_c_id}/review",
        ):
            method = "POST" if path.endswith("review") else "GET"
            status, _ = await world.call(
                method,
                path,
                token=token,
                body={"decision": "approve", "note": None} if method == "POST" else None,
            )
            if status != 401:
                failures.append((name, path, status))
    for header_value in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "bearer", "Token abc"):
        status, _ = await world.call("GET", "/api/v1/orders", headers={"Authorization": header_value})
        if status != 401:
            failures.append((header_value, status))
    assert failures == [], failures
    # The untampered token still works: the attacks failed for their own reasons.
    status, _ = await world.call("GET", "/api/v1/orders", token=good)
    assert status == 200


def _hs256(key: bytes, claims: dict[str, Any]) -> str:
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


async def test_no_role_escalation(world: World) -> None:
    for role in ("operator", "admin", "Operator", "customer "):
        status, answer = await world.call(
            "POST",
            "/api/v1/auth/register",
            body={
                "email": f"{uuid.uuid4().hex}@example.com",
                "password": "a-long-password",
                "display_name": "Eve",
                "role": role,
            },
        )
        assert status == 422, (role, status, answer)
    email = f"{uuid.uuid4().hex}@example.com"
    status, account = await world.call(
        "POST",
        "/api/v1/auth/register",
        body={"email": email, "password": "a-long-password", "display_name": "Eve", "role": "customer"},
    )
    assert status == 201 and account["role"] == "customer"
    status, token = await world.call(
        "POST", "/api/v1/auth/token", body={"email": email, "password": "a-long-password"}
    )
    assert status == 200
    eve = token["access_token"]
    for method, path, body in (
        ("POST", f"/api/v1/makers/{world.maker_c_id}/review", {"decision": "approve", "note": None}),
        ("POST", f"/api/v1/makers/{world.maker_a.id}/suspend", {"reason": "x"}),
        ("GET", "/api/v1/makers?status=submitted", None),
        ("POST", f"/api/v1/maker-orders/{world.order_x['maker_orders'][0]['id']}/deliver", None),
        ("GET", "/api/v1/payouts", None),
        ("POST", "/api/v1/listings", piece({"kind": "ready_to_ship", "stock": 1})),
        ("POST", "/api/v1/makers", {"handle": f"h-{uuid.uuid4().hex[:6]}", "display_name": "Eve"}),
    ):
        status, _ = await world.call(method, path, token=eve, body=body)
        assert status == 403, (method, path, status)
    status, me = await world.call("GET", "/api/v1/auth/me", token=eve)
    assert me["role"] == "customer"


async def test_rate_limits(world: World) -> None:
    # Sign-in: one account's failed attempts are throttled, wherever they come from.
    email = f"{uuid.uuid4().hex}@example.com"
    status, _ = await world.call(
        "POST",
        "/api/v1/auth/register",
        body={"email": email, "password": "a-long-password", "display_name": "Ann", "role": "customer"},
    )
    assert status == 201
    statuses = []
    for _ in range(12):
        status, _problem = await world.call(
            "POST", "/api/v1/auth/token", body={"email": email, "password": "wrong-password-!"}
        )
        statuses.append(status)
    assert statuses[:10] == [401] * 10 and statuses[-1] == 429, statuses
    # One address: a burst over the limit is refused with Retry-After, as problem+json.
    client = Client(world.shop.session, world.shop.gateway_url, Traffic())

    async def one() -> tuple[int, str | None, str]:
        async with world.shop.session.get(
            world.shop.gateway_url + "/api/v1/makers?limit=1", headers={"X-Forwarded-For": client.address}
        ) as r:
            await r.read()
            return r.status, r.headers.get("Retry-After"), r.content_type

    answers = await asyncio.gather(*(one() for _ in range(250)))  # burst 100, then 20/s
    limited = [a for a in answers if a[0] == 429]
    assert limited and all(retry and ctype == PROBLEM for _, retry, ctype in limited)
