"""Accounts over HTTP (/api/v1/auth/*): thin handlers over accounts.py.

    anyone      register as a customer or a maker; exchange email and password for tokens;
                refresh them; sign out of one sign-in; verify an address; reset a password
    any user    read their own account; change its email address; ask for another
                verification email; sign out everywhere

The rules (password policy, email normalisation, the sign-in throttle, sign-ins and email
links) are in domain.py.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.gateway import accounts, email_links, sessions, store
from services.gateway.accounts import Passwords
from services.gateway.domain import (
    DISPLAY_NAME_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    SECRET_TOKEN_MAX_LENGTH,
    SIGN_IN_LIFETIME,
    Account,
    LoginThrottle,
    SelfServiceRole,
    normalise_email,
    valid_display_name,
    valid_email,
)
from services.gateway.edge import client_address
from services.gateway.email_links import ResetRequests
from shared.auth import Role, TokenIssuer
from shared.errors import unauthorized
from shared.http import POOL, Call, Routes, json_response
from shared.text import single_line

routes = Routes("accounts")

PASSWORDS = web.AppKey("passwords", Passwords)
ISSUER = web.AppKey("issuer", TokenIssuer)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
RESET_REQUESTS = web.AppKey("reset_requests", ResetRequests)

_NO_STORE = {"Cache-Control": "no-store"}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_Body):
    email: Annotated[str, Field(max_length=EMAIL_MAX_LENGTH), AfterValidator(valid_email)] = Field(
        description="Compared case-insensitively; stored trimmed and lower-cased"
    )
    password: str = Field(
        description=f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters, not the email "
        "address nor its local part (else 422 `weak_password`)"
    )
    display_name: Annotated[
        str, Field(max_length=DISPLAY_NAME_MAX_LENGTH), AfterValidator(valid_display_name)
    ]
    role: SelfServiceRole = Field(description="Operators are never created through the API")


class AccountOut(BaseModel):
    user_id: uuid.UUID
    email: str
    role: Role
    display_name: str
    email_verified: bool

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            user_id=account.id,
            email=account.email,
            role=account.role,
            display_name=account.display_name,
            email_verified=account.email_verified,
        )


class TokenIn(_Body):
    email: Annotated[str, Field(min_length=1, max_length=EMAIL_MAX_LENGTH), AfterValidator(normalise_email)]
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


SecretTokenField = Annotated[str, single_line(1, SECRET_TOKEN_MAX_LENGTH)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str = Field(
        description="Single use: POST it to /api/v1/auth/refresh for new tokens; it is then spent"
    )
    refresh_expires_in: int = Field(
        description="Seconds the sign-in lasts unless refreshed (30 days; each refresh renews it)"
    )


class RefreshIn(_Body):
    refresh_token: SecretTokenField


class EmailTokenIn(_Body):
    token: SecretTokenField = Field(description="The token of the link in the email")


class EmailChangeIn(_Body):
    email: Annotated[str, Field(max_length=EMAIL_MAX_LENGTH), AfterValidator(valid_email)] = Field(
        description="The new address; it is unverified until the link sent to it is followed"
    )
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH, description="The current password")


class ResetIn(_Body):
    # Looked up after the answer is sent, so refused here if it could not be looked up.
    email: Annotated[str, single_line(1, EMAIL_MAX_LENGTH), AfterValidator(normalise_email)]


class ResetConfirmIn(_Body):
    token: SecretTokenField = Field(description="The token of the link in the reset email")
    password: str = Field(
        max_length=PASSWORD_MAX_LENGTH,
        description="The new password: the rules of registration (else 422 `weak_password`)",
    )


def _tokens(call: Call, session: sessions.Session) -> web.Response:
    issuer = call.app[ISSUER]
    account = session.account
    tokens = TokenOut(
        access_token=issuer.issue(account.id, account.role, email_verified=account.email_verified),
        expires_in=issuer.lifetime_s,
        refresh_token=session.refresh_token,
        refresh_expires_in=int(SIGN_IN_LIFETIME.total_seconds()),
    )
    return json_response(tokens, headers=_NO_STORE)


@routes.post(
    "/api/v1/auth/register",
    body=RegisterIn,
    response=AccountOut,
    status=201,
    auth="none",
    extra_responses={
        409: "email_taken: an account with this email exists",
        422: "Validation failed; weak_password names the password rule broken",
    },
)
async def register(call: Call) -> AccountOut:
    """Register a customer or maker account."""
    body: RegisterIn = call.body
    account = await accounts.register(
        call.app[POOL], call.app[PASSWORDS], body.email, body.password, body.display_name, body.role
    )
    return AccountOut.of(account)


@routes.post(
    "/api/v1/auth/token",
    body=TokenIn,
    response=TokenOut,
    auth="none",
    extra_responses={
        401: "Invalid email or password",
        429: "Too many sign-in attempts for this account or from this "
        "address; Retry-After says when to try again",
    },
)
async def issue_token(call: Call) -> web.Response:
    """Sign in: exchange email and password for a short-lived access token (a Bearer JWT) and a
    refresh token."""
    body: TokenIn = call.body
    account = await accounts.sign_in(
        call.app[POOL],
        call.app[PASSWORDS],
        call.app[LOGIN_THROTTLE],
        body.email,
        body.password,
        client_address(call.request),
    )
    return _tokens(call, await sessions.start(call.app[POOL], account))


@routes.post(
    "/api/v1/auth/refresh",
    body=RefreshIn,
    response=TokenOut,
    auth="none",
    extra_responses={
        401: "refresh_token_reused: the token was spent already, and its sign-in is now revoked; "
        "refresh_token_invalid: unknown, expired or revoked"
    },
)
async def refresh(call: Call) -> web.Response:
    """Spend a refresh token for a new access token and a new refresh token (rotation)."""
    body: RefreshIn = call.body
    return _tokens(call, await sessions.refresh(call.app[POOL], body.refresh_token))


@routes.post("/api/v1/auth/logout", body=RefreshIn, status=204, auth="none")
async def logout(call: Call) -> web.Response:
    """Sign out: revoke the sign-in this refresh token belongs to (204 whether or not it was
    known). An access token already issued lives out its short lifetime."""
    body: RefreshIn = call.body
    await sessions.sign_out(call.app[POOL], body.refresh_token)
    return web.Response(status=204)


@routes.post("/api/v1/auth/logout-all", status=204)
async def logout_all(call: Call) -> web.Response:
    """Sign out everywhere: revoke every sign-in of the calling user."""
    await sessions.sign_out_everywhere(call.app[POOL], call.user.user_id)
    return web.Response(status=204)


@routes.get("/api/v1/auth/me", response=AccountOut)
async def me(call: Call) -> AccountOut:
    """The calling user's account."""
    account = await store.get_user(call.app[POOL], call.user.user_id)
    if account is None:
        raise unauthorized("The account of this token no longer exists")
    return AccountOut.of(account)


@routes.post(
    "/api/v1/auth/verify-email",
    body=EmailTokenIn,
    response=AccountOut,
    auth="none",
    extra_responses={422: "token_invalid: the link was used already or has expired"},
)
async def verify_email(call: Call) -> AccountOut:
    """Verify an address with the token from the email sent at registration (single use, 48 h).
    Tokens issued before carry `email_verified: false` until refreshed."""
    body: EmailTokenIn = call.body
    return AccountOut.of(await email_links.verify_email(call.app[POOL], body.token))


@routes.post(
    "/api/v1/auth/verify-email/resend",
    status=202,
    extra_responses={429: "Asked too often (as many as sign-in attempts); Retry-After says when"},
)
async def resend_verification(call: Call) -> web.Response:
    """Send another verification email (nothing when the address is verified already)."""
    await email_links.resend_verification(call.app[POOL], call.app[LOGIN_THROTTLE], call.user.user_id)
    return web.Response(status=202)


@routes.post(
    "/api/v1/auth/email",
    body=EmailChangeIn,
    response=AccountOut,
    extra_responses={
        409: "email_taken: another account has this address",
        422: "password_incorrect: the current password is not right",
        429: "Too many wrong passwords, as at sign-in; Retry-After says when to try again",
    },
)
async def change_email(call: Call) -> AccountOut:
    """Change the account's email address (with the current password). The new address gets a
    verification link; until it is followed the account is unverified. Links sent to the old
    address stop working."""
    body: EmailChangeIn = call.body
    account = await email_links.change_email(
        call.app[POOL],
        call.app[PASSWORDS],
        call.app[LOGIN_THROTTLE],
        call.user.user_id,
        body.email,
        body.password,
        client_address(call.request),
    )
    return AccountOut.of(account)


@routes.post(
    "/api/v1/auth/password-reset",
    body=ResetIn,
    status=202,
    auth="none",
    extra_responses={429: "Too many reset requests waiting on this gateway; Retry-After says when"},
)
async def request_password_reset(call: Call) -> web.Response:
    """Email a single-use reset link (valid 1 hour) to the account of this address, if there is
    one: the answer is the same, and as quick, when there is none."""
    body: ResetIn = call.body
    call.app[RESET_REQUESTS].submit(body.email)
    return web.Response(status=202)


@routes.post(
    "/api/v1/auth/password-reset/confirm",
    body=ResetConfirmIn,
    response=AccountOut,
    auth="none",
    extra_responses={
        422: "token_invalid: the link was used already or has expired; weak_password as at registration"
    },
)
async def confirm_password_reset(call: Call) -> AccountOut:
    """Set a new password with the token of a reset link; every sign-in of the account ends."""
    body: ResetConfirmIn = call.body
    account = await email_links.reset_password(call.app[POOL], call.app[PASSWORDS], body.token, body.password)
    return AccountOut.of(account)
