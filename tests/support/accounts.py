"""The links the gateway asks to email, read where they are first written: the gateway's outbox
(schema identity). A test follows a verification or reset link as a person would, without the
notifications service or an SMTP server running."""

from __future__ import annotations

import os
from typing import Literal

import asyncpg

from tests.support.harness import ADMIN_DSN, eventually

EmailLink = Literal["verification_requested", "password_reset_requested"]


def run_database_dsn() -> str:
    """The superuser's DSN of the run's own database (the harness puts its name in the
    environment)."""
    return ADMIN_DSN.rsplit("/", 1)[0] + "/" + os.environ["MARKET_PG_DATABASE"]


async def emailed_token(user_id: str, link: EmailLink = "verification_requested", after: int = 0) -> str:
    """The token of the newest link of this kind the gateway asked to send the user, once one
    with an outbox id above `after` is there."""
    conn = await asyncpg.connect(run_database_dsn())
    try:

        async def newest() -> str | None:
            token: str | None = await conn.fetchval(
                "SELECT envelope->'data'->>'token' FROM identity.outbox "
                "WHERE envelope->>'type' = $1 AND envelope->'data'->>'user_id' = $2 AND id > $3 "
                "ORDER BY id DESC LIMIT 1",
                f"gateway.user.{link}",
                str(user_id),
                after,
            )
            return token

        token: str = await eventually(newest, message=f"a {link} link for {user_id}")
        return token
    finally:
        await conn.close()
