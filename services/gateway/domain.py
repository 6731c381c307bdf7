"""The gateway's rules, pure: accounts, passwords and the token buckets that throttle sign-ins.

email     trimmed and lower-cased before it is stored or compared, so `Ada@Example.COM` and
          `ada@example.com` are one account; at most 254 characters, one `@`, a dot in the
          domain, no spaces.
password  10 to 1024 characters, and neither the email address nor its local part. Length
          is the rule rather than composition (NIST SP 800-63B); the upper bound keeps one
          request from buying an unbounded amount of hashing.
name      the display name: trimmed, 1 to 80 characters.
role      `customer` or `maker` by registration; `operator` only by the command line
          (`marketplace create-operator`), never through the public API.
sign-in   every attempt takes a token from the bucket of the account (by normalised email,
          known or not) and from that of the client address; an empty bucket is a 429
          before any password is checked. A successful sign-in gives the account's token
          back, so only failures wear an account down; the address bucket counts every
          attempt.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from shared.auth import Role
from shared.errors import RulesViolated, Violation

EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
DISPLAY_NAME_MAX_LENGTH = 80

SIGN_IN_LIFETIME = timedelta(days=30)
VERIFICATION_LIFETIME = timedelta(hours=48)
RESET_LIFETIME = timedelta(hours=1)
# 32 random bytes, URL-safe base64: 43 characters. Longer input is not a token of ours.
SECRET_TOKEN_MAX_LENGTH = 100

EmailTokenPurpose = Literal["verify_email", "password_reset"]
RevokedBecause = Literal["logout", "logout_all", "reused", "password_reset"]

SelfServiceRole = Literal["customer", "maker"]

_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    password_hash: str
    email_verified: bool


@dataclass(frozen=True)
class SecretToken:
    """A single-use secret handed to a person (in an email, or as a refresh token): `raw` goes
    to them once; only `digest` is stored, so a copy of the database opens nothing."""

    raw: str
    digest: bytes

    @classmethod
    def new(cls) -> SecretToken:
        raw = secrets.token_urlsafe(32)
        return cls(raw, digest_of(raw))


def digest_of(raw: str) -> bytes:
    return hashlib.sha256(raw.encode()).digest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> str:
    """The normalised address; ValueError when it cannot be an address."""
    email = normalise_email(email)
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL_SHAPE.fullmatch(email):
        raise ValueError("not an email address")
    return email


def valid_display_name(name: str) -> str:
    """Trimmed; ValueError when nothing is left."""
    name = name.strip()
    if not name:
        raise ValueError("must not be blank")
    return name


def password_violations(password: str, email: str) -> list[Violation]:
    loc = ("body", "password")
    if len(password) < PASSWORD_MIN_LENGTH:
        return [Violation(loc, f"At least {PASSWORD_MIN_LENGTH} characters", "password_too_short")]
    if len(password) > PASSWORD_MAX_LENGTH:
        return [Violation(loc, f"At most {PASSWORD_MAX_LENGTH} characters", "password_too_long")]
    if password.strip().casefold() in (email.casefold(), email.split("@")[0].casefold()):
        return [Violation(loc, "Must not be your email address", "password_is_email")]
    return []


def weak_password(violations: list[Violation]) -> RulesViolated:
    return RulesViolated(violations[0].msg, code="weak_password", errors=violations)


@dataclass(frozen=True)
class Bucket:
    """A token bucket: `burst` attempts at once, refilled at `per_minute`."""

    burst: int
    per_minute: float

    @property
    def per_second(self) -> float:
        return self.per_minute / 60

    @property
    def refill_s(self) -> float:
        """From empty to full: a bucket idle this long is as good as new."""
        return self.burst / self.per_second


@dataclass(frozen=True)
class LoginThrottle:
    account: Bucket
    address: Bucket

    @property
    def idle_s(self) -> float:
        """How long an idle bucket of either kind is worth keeping."""
        return max(self.account.refill_s, self.address.refill_s)
