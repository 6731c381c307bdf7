"""Access tokens: EdDSA (Ed25519) JWTs issued by the gateway, verified by every
service with the public key alone. Roles come from the verified token, never
from a request body."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import jwt
from cachetools import LRUCache
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.errors import forbidden, unauthorized

Role = Literal["customer", "maker", "operator"]
ROLES: tuple[Role, ...] = ("customer", "maker", "operator")


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    role: Role
    # Whether the person had verified their email address when the token was issued (its
    # `email_verified` claim; a token without the claim says no).
    email_verified: bool = False

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


_LEEWAY_S = 5


class TokenVerifier:
    """Verifies tokens; a token verified once is remembered (until it expires) with what it
    said, since checking its Ed25519 signature again on every request was ~4 % of a busy
    service's CPU. A token is only ever remembered after its signature, issuer, audience and
    claims were checked, and the key does not change while the process lives."""

    def __init__(
        self, public_key_pem: str, issuer: str, audience: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = serialization.load_pem_public_key(public_key_pem.encode()) if public_key_pem else None
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self._verified: LRUCache[str, tuple[Principal, float]] = LRUCache(maxsize=10_000)

    def verify(self, token: str) -> Principal:
        if self._key is None:
            raise unauthorized("Token verification is not configured")
        known = self._verified.get(token)
        if known is not None:
            principal, expires_at = known
            if self._clock() <= expires_at + _LEEWAY_S:
                return principal
            del self._verified[token]
            raise unauthorized("Invalid token: ExpiredSignatureError")
        principal, expires_at = self._check(token)
        self._verified[token] = (principal, expires_at)
        return principal

    def _check(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._key,  # type: ignore[arg-type]
                algorithms=["EdDSA"],  # never "none", never HMAC with a public key
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=_LEEWAY_S,
            )
            role = claims.get("role")
            if role not in ROLES:
                raise unauthorized("Token has no valid role")
            principal = Principal(uuid.UUID(str(claims["sub"])), role, claims.get("email_verified") is True)
            return principal, float(claims["exp"])
        except (jwt.PyJWTError, ValueError) as exc:
            raise unauthorized(f"Invalid token: {type(exc).__name__}") from exc


class TokenIssuer:
    def __init__(self, private_key_pem: str, issuer: str, audience: str, lifetime_s: int) -> None:
        self._key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        self._issuer = issuer
        self._audience = audience
        self.lifetime_s = lifetime_s

    def issue(self, user_id: uuid.UUID, role: Role, email_verified: bool = False) -> str:
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(user_id),
            "role": role,
            "email_verified": email_verified,
            "iat": now,
            "exp": now + self.lifetime_s,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA")  # type: ignore[arg-type]


def generate_keypair() -> tuple[str, str]:
    """(private PEM, public PEM) — for development keys and tests only."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def require_role(principal: Principal | None, *roles: Role) -> Principal:
    if principal is None:
        raise unauthorized()
    if roles and principal.role not in roles:
        raise forbidden()
    return principal
