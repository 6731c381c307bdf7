"""Events of the gateway's accounts (schema `identity`): who a person is and how to reach them.

The gateway publishes them through its own outbox and consumes nothing. The aggregate is the
user (`aggregate_id` = `user_id`). `registered` carries the address and name a notifier keeps
per user; a migration also published one `registered` per account that existed before these
events did, so a consumer that starts from the beginning learns every address.

`verification_requested` and `password_reset_requested` carry the raw single-use token, since
the email that goes out needs it for its link (`/verify-email?token=…`,
`/reset-password?token=…`); the gateway keeps only its SHA-256 hash. A later request makes a
new token without spending an earlier one; each is accepted once, until `expires_at`. Changing
the address (`email_changed`, then a `verification_requested` for the new one) spends every
link sent to the old address.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from shared.auth import Role
from shared.contracts import Event


class UserRegistered(Event):
    """An account exists: a person registered, an operator was created, or (once, by migration)
    an account from before these events."""

    event_type = "gateway.user.registered"
    version = 1

    user_id: UUID
    email: str = Field(description="Normalised (trimmed, lower-cased)")
    display_name: str
    role: Role
    email_verified: bool


class VerificationRequested(Event):
    """Send the person a link that proves they read this address (at registration, or when
    they ask again)."""

    event_type = "gateway.user.verification_requested"
    version = 1

    user_id: UUID
    email: str
    display_name: str
    token: str = Field(description="Raw single-use token for `/verify-email?token=`")
    expires_at: datetime = Field(description="48 hours after the request")


class EmailVerified(Event):
    """The person followed a verification link: the address is theirs."""

    event_type = "gateway.user.email_verified"
    version = 1

    user_id: UUID
    email: str


class PasswordResetRequested(Event):
    """Someone asked to reset the password of a known account; only its address gets the link."""

    event_type = "gateway.user.password_reset_requested"
    version = 1

    user_id: UUID
    email: str
    display_name: str
    token: str = Field(description="Raw single-use token for `/reset-password?token=`")
    expires_at: datetime = Field(description="1 hour after the request")


class EmailChanged(Event):
    """The account's address changed; the new one is not verified until its link is followed."""

    event_type = "gateway.user.email_changed"
    version = 1

    user_id: UUID
    email: str
    previous_email: str
