"""Token verification refuses every forgery it can be shown."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from shared.auth import TokenIssuer, TokenVerifier, generate_keypair
from shared.errors import ProblemError

PRIVATE, PUBLIC = generate_keypair()
OTHER_PRIVATE, _ = generate_keypair()


def verifier() -> TokenVerifier:
    return TokenVerifier(PUBLIC, "marketplace", "marketplace")


def claims(**overrides) -> dict:
    now = int(time.time())
    return {
        "iss": "marketplace",
        "aud": "marketplace",
        "sub": str(uuid.uuid4()),
        "role": "customer",
        "iat": now,
        "exp": now + 900,
    } | overrides


def sign(payload: dict, key: str = PRIVATE) -> str:
    from cryptography.hazmat.primitives import serialization

    return jwt.encode(payload, serialization.load_pem_private_key(key.encode(), None), algorithm="EdDSA")


def test_a_valid_token_names_the_user_and_role() -> None:
    user = uuid.uuid4()
    token = TokenIssuer(PRIVATE, "marketplace", "marketplace", 900).issue(user, "maker")
    principal = verifier().verify(token)
    assert principal.user_id == user and principal.role == "maker"


@pytest.mark.parametrize(
    ("claim", "verified"),
    [(True, True), (False, False), ("true", False), (1, False), (None, False)],
)
def test_only_a_true_email_verified_claim_says_the_address_is_verified(claim: object, verified: bool) -> None:
    payload = claims() if claim is None else claims(email_verified=claim)
    assert verifier().verify(sign(payload)).email_verified is verified


def test_the_issuer_says_whether_the_address_is_verified() -> None:
    issuer = TokenIssuer(PRIVATE, "marketplace", "marketplace", 900)
    assert verifier().verify(issuer.issue(uuid.uuid4(), "maker", email_verified=True)).email_verified
    assert not verifier().verify(issuer.issue(uuid.uuid4(), "maker")).email_verified


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims()) + ".", id="alg-none"),
        pytest.param(_b64({"alg": "HS256"}) + "." + _b64(claims()) + ".c2lnbmF0dXJl", id="hmac-confusion"),
        pytest.param(sign(claims(), OTHER_PRIVATE), id="wrong-key"),
        pytest.param(sign(claims(exp=int(time.time()) - 60)), id="expired"),
        pytest.param(sign(claims(aud="elsewhere")), id="wrong-audience"),
        pytest.param(sign(claims(iss="someone-else")), id="wrong-issuer"),
        pytest.param(sign(claims(role="admin")), id="unknown-role"),
        pytest.param(sign(claims(sub="not-a-uuid")), id="bad-subject"),
        pytest.param(sign({k: v for k, v in claims().items() if k != "exp"}), id="no-expiry"),
        pytest.param("garbage", id="garbage"),
    ],
)
def test_forged_or_unusable_tokens_are_401(token: str) -> None:
    with pytest.raises(ProblemError) as refused:
        verifier().verify(token)
    assert refused.value.status == 401


def test_tampered_claims_break_the_signature() -> None:
    header, _payload, signature = sign(claims()).split(".")
    forged = _b64(claims(role="operator"))
    with pytest.raises(ProblemError) as refused:
        verifier().verify(f"{header}.{forged}.{signature}")
    assert refused.value.status == 401


def test_a_remembered_token_still_expires() -> None:
    now = [float(int(time.time()))]
    check = TokenVerifier(PUBLIC, "marketplace", "marketplace", clock=lambda: now[0])
    token = sign(claims(exp=int(now[0]) + 60))
    first = check.verify(token)
    assert check.verify(token) == first  # remembered, the same answer
    now[0] += 60 + 5  # the leeway's last second
    assert check.verify(token) == first
    now[0] += 1
    with pytest.raises(ProblemError) as refused:
        check.verify(token)
    assert refused.value.status == 401
