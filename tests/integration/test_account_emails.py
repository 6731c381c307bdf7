"""The account emails end to end, as a person meets them: a real gateway publishes its identity
events, the real notifications service sends the emails to an aiosmtpd server, and the link in
each email does what it says at the gateway (verify the address, reset the password, confirm a
new address while the old one is told of the change)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from tests.support.harness import ServiceProcess
from tests.support.smtp import SmtpCatcher, smtp_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(180)

PUBLIC_URL = "https://shop.example"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def gateway(
    services_db: dict, service_processes: Callable[..., ServiceProcess], smtp_server: SmtpCatcher
) -> ServiceProcess:
    notifications = service_processes("notifications", MARKET_PUBLIC_URL=PUBLIC_URL, **smtp_server.env)
    return service_processes("gateway", GATEWAY_NOTIFICATIONS_URL=notifications.url)


@pytest.fixture
async def http(gateway: ServiceProcess) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=gateway.url) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, path: str, body: Any, token: str | None = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(f"/api/v1{path}", json=body, headers=headers) as response:
        return response.status, await response.json(content_type=None) if await response.read() else None


def token_of(links: list[str], page: str) -> str:
    """The token of the one link to `page` on the storefront."""
    [link] = [link for link in links if link.startswith(f"{PUBLIC_URL}{page}?")]
    return parse_qs(urlsplit(link).query)["token"][0]


async def register(http: aiohttp.ClientSession) -> tuple[str, str]:
    email = f"ada-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": PASSWORD, "display_name": "Ada Lovelace", "role": "maker"}
    status, account = await call(http, "/auth/register", body)
    assert status == 201, account
    return email, account["user_id"]


async def test_the_verification_email_links_to_a_page_that_verifies(
    http: aiohttp.ClientSession, smtp_server: SmtpCatcher
) -> None:
    email, user_id = await register(http)
    [mail] = await smtp_server.wait_for(email)
    token = token_of(mail.links, "/verify-email")
    assert mail.header("List-Unsubscribe") is None  # an account email: always sent

    status, account = await call(http, "/auth/verify-email", {"token": token})
    assert (status, account["user_id"], account["email_verified"]) == (200, user_id, True)
    status, refused = await call(http, "/auth/verify-email", {"token": token})
    assert (status, refused["code"]) == (422, "token_invalid")


async def test_the_reset_email_goes_to_the_account_and_its_link_sets_the_password(
    http: aiohttp.ClientSession, smtp_server: SmtpCatcher
) -> None:
    email, _ = await register(http)
    await smtp_server.wait_for(email)  # the verification email
    nobody = f"nobody-{uuid.uuid4().hex[:10]}@example.com"
    assert (await call(http, "/auth/password-reset", {"email": nobody}))[0] == 202
    assert (await call(http, "/auth/password-reset", {"email": email.upper()}))[0] == 202

    [mail] = (await smtp_server.wait_for(email, 2))[1:]
    # The gateway carries requests out in order: the address without an account got nothing.
    assert smtp_server.to(nobody) == []
    token = token_of(mail.links, "/reset-password")
    status, _ = await call(
        http, "/auth/password-reset/confirm", {"token": token, "password": "a new passphrase"}
    )
    assert status == 200
    status, _ = await call(http, "/auth/token", {"email": email, "password": "a new passphrase"})
    assert status == 200


async def test_a_new_address_gets_its_link_and_the_old_one_is_told(
    http: aiohttp.ClientSession, smtp_server: SmtpCatcher
) -> None:
    email, _ = await register(http)
    await smtp_server.wait_for(email)
    status, tokens = await call(http, "/auth/token", {"email": email, "password": PASSWORD})
    assert status == 200
    new_email = f"moved-{uuid.uuid4().hex[:10]}@example.com"
    status, _ = await call(
        http, "/auth/email", {"email": new_email, "password": PASSWORD}, token=tokens["access_token"]
    )
    assert status == 200

    [told] = (await smtp_server.wait_for(email, 2))[1:]
    assert new_email in told.text
    [mail] = await smtp_server.wait_for(new_email)
    status, account = await call(http, "/auth/verify-email", {"token": token_of(mail.links, "/verify-email")})
    assert (status, account["email"], account["email_verified"]) == (200, new_email, True)
