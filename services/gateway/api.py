"""Accounts over HTTP (/api/v1/auth/*): thin handlers over accounts.py.

    anyone      register as a customer or a maker; exchange email and password for a token
    any user    read their own account

The rules (password policy, email normalisation, the sign-in throttle) are in domain.py.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.gateway import accounts, store
from services.gateway.accounts import Passwords
from services.gateway.domain import (
    DISPLAY_NAME_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    Account,
    LoginThrottle,
    SelfServiceRole,
    normalise_email,
    valid_display_name,
    valid_email,
)
from services.gateway.edge import client_address
from shared.auth import Role, TokenIssuer
from shared.errors import unauthorized
from shared.http import POOL, Call, Routes, json_response

routes = Routes("accounts")

PASSWORDS = web.AppKey("passwords", Passwords)
ISSUER = web.AppKey("issuer", TokenIssuer)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)


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

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            user_id=account.id, email=account.email, role=account.role, display_name=account.display_name
        )


class TokenIn(_Body):
    email: Annotated[str, Field(min_length=1, max_length=EMAIL_MAX_LENGTH), AfterValidator(normalise_email)]
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the token expires")


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
    """Exchange email and password for a short-lived access token (a Bearer JWT)."""
    body: TokenIn = call.body
    account = await accounts.sign_in(
        call.app[POOL],
        call.app[PASSWORDS],
        call.app[LOGIN_THROTTLE],
        body.email,
        body.password,
        client_address(call.request),
    )
    issuer = call.app[ISSUER]
    token = TokenOut(access_token=issuer.issue(account.id, account.role), expires_in=issuer.lifetime_s)
    return json_response(token, headers={"Cache-Control": "no-store"})


@routes.get("/api/v1/auth/me", response=AccountOut)
async def me(call: Call) -> AccountOut:
    """The calling user's account."""
    account = await store.get_user(call.app[POOL], call.user.user_id)
    if account is None:
        raise unauthorized("The account of this token no longer exists")
    return AccountOut.of(account)
