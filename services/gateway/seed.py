"""The gateway's demo data: login accounts for the demo makers and a demo customer.

Accounts belong to the gateway (schema identity). The makers' seed names each demo maker's
login account (`user_id`, the `sub` of its tokens, which is how the makers and catalogue
services know the maker, and its email); `ops/seed.py` hands them over and the gateway creates
each as a `maker` account with that id and a development password. The demo data is useless
without them only for signing in as a maker; browsing and buying need none.

An account whose email exists is left as it is, so seeding again is safe.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from services.gateway.accounts import ensure_demo_account
from shared.auth import Role
from shared.config import ServiceSettings

DEMO_MAKER_PASSWORD = "demo-maker-password"


class DemoLogin(Protocol):
    """Who a demo maker's account is for (the makers' seed describes them)."""

    @property
    def user_id(self) -> uuid.UUID: ...
    @property
    def email(self) -> str: ...
    @property
    def display_name(self) -> str: ...


@dataclass(frozen=True)
class DemoAccount:
    user_id: uuid.UUID
    email: str
    display_name: str
    role: Role = "maker"
    password: str = DEMO_MAKER_PASSWORD


# A new id each time: nothing else names the customer, and a repeat keeps the first account.
DEMO_CUSTOMER = DemoAccount(
    uuid.uuid4(), "customer@example.com", "Demo Customer", role="customer", password="customer-dev-password"
)


def demo_maker_accounts(makers: Iterable[DemoLogin]) -> list[DemoAccount]:
    return [DemoAccount(maker.user_id, maker.email, maker.display_name) for maker in makers]


async def seed_accounts(settings: ServiceSettings, accounts: Iterable[DemoAccount]) -> None:
    """Create each account whose email does not exist yet."""
    conn = await asyncpg.connect(settings.dsn())
    try:
        for account in accounts:
            await ensure_demo_account(
                conn, account.user_id, account.email, account.password, account.display_name, account.role
            )
    finally:
        await conn.close()
