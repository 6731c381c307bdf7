"""Rules of sending: how long a failed email waits before its next attempt, when it is parked,
and the one-click unsubscribe token (RFC 8058) that names a person and a category."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta

from services.notifications.domain.kinds import Category


@dataclass(frozen=True)
class Backoff:
    """Exponential: `base_s`, twice that, four times… never more than `cap_s`; after
    `max_attempts` failed attempts the email is parked for an operator to replay."""

    base_s: float
    cap_s: float
    max_attempts: int

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1 for the first)."""
        exponent = min(max(attempts - 1, 0), 32)  # 2**32 × any base is past every cap
        return timedelta(seconds=min(self.cap_s, self.base_s * 2**exponent))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class Unsubscribe:
    """Who turns off which category. The token is the pair and an HMAC of it under the
    service's secret, so it cannot be made for anyone else, and needs no row to be kept."""

    user_id: uuid.UUID
    category: Category


def _signature(secret: str, user_id: uuid.UUID, category: Category) -> str:
    message = f"unsubscribe:{user_id}:{category.value}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def unsubscribe_token(secret: str, user_id: uuid.UUID, category: Category) -> str:
    if not category.optional:
        raise ValueError(f"{category.value} emails cannot be turned off")
    return f"{user_id.hex}.{category.value}.{_signature(secret, user_id, category)}"


def read_unsubscribe_token(secret: str, token: str) -> Unsubscribe | None:
    """The person and category a genuine token names; None for anything else."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    user_hex, category_name, signature = parts
    try:
        user_id = uuid.UUID(hex=user_hex)
        category = Category(category_name)
    except ValueError:
        return None
    if not category.optional:
        return None
    try:
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(signature, _signature(secret, user_id, category)):
        return None
    return Unsubscribe(user_id, category)
