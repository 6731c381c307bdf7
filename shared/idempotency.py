"""Idempotency-Key for writes that must happen once (placing an order moves money; see docs/api.md).

    return await idempotent(call, "orders", create_the_thing, status=201)

`create_the_thing(uow)` runs in a unit of work whose transaction also stores the response, so
either both the change and its stored response commit or neither does. Per (user, key):

    no key, or not 1-255 characters        400
    first time                             run it; store (status, exact body bytes) and respond
    done before with the same request      replay the stored status and body, with
                                           `Idempotent-Replayed: true`
    done before with another request       422 `idempotency_key_reused`
    the first one is still running         409 `idempotency_request_in_flight`

"In flight" is a transaction-scoped advisory lock on the (user, key) pair taken without
waiting: held exactly as long as the first request's transaction, so nothing is left behind by
a request that crashes. The request is the method, the path and the body as parsed (canonical
JSON with sorted keys), so formatting and key order do not make two requests different.

Only successful responses are stored: a request refused by validation or state changed
nothing, so the same key may be used again once the body is fixed.

Stored keys are deleted by `delete_expired` (a periodic job) after the retention (at least
24 h). The table is `idempotency_keys` in the service's own schema.
Nothing here is specific to one service: each service that uses it creates the table in its
own migration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pydantic_core
from aiohttp import web
from pydantic import BaseModel

from shared.db import UnitOfWork
from shared.errors import ProblemError, bad_request, conflict
from shared.http import POOL, Call

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
HEADER_DOC = (
    "Required, 1-255 characters, unique per request you mean to make once: a retry with the "
    "same key and body replays the first response (`Idempotent-Replayed: true`)"
)
RESPONSES = {
    400: "idempotency_key_required / idempotency_key_invalid",
    409: "idempotency_request_in_flight: the first request with this key is still running",
}
MAX_KEY_LENGTH = 255


def request_hash(method: str, path: str, body: Any) -> str:
    """The fingerprint of a request: what makes a retry "the same request"."""
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    canonical = json.dumps(
        [method.upper(), path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key(call: Call) -> str:
    key = call.header(HEADER)
    if key is None or not key.strip():
        raise bad_request(f"This request needs an {HEADER} header", code="idempotency_key_required")
    if len(key) > MAX_KEY_LENGTH:
        raise bad_request(f"{HEADER} is at most {MAX_KEY_LENGTH} characters", code="idempotency_key_invalid")
    return key


async def idempotent(
    call: Call,
    producer: str,
    action: Callable[[UnitOfWork], Awaitable[Any]],
    *,
    status: int = 201,
) -> web.Response:
    """Run `action` at most once per (user, Idempotency-Key); see the module docstring."""
    assert call.principal is not None, "idempotent writes are authenticated"
    key = idempotency_key(call)
    user_id = call.principal.user_id
    fingerprint = request_hash(call.request.method, call.request.path, call.body)
    async with UnitOfWork(call.app[POOL], producer) as uow:
        if not await uow.conn.fetchval(
            "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))", f"{user_id}:{key}"
        ):
            raise conflict(
                "idempotency_request_in_flight",
                f"A request with this {HEADER} is still running; retry shortly",
            )
        stored = await uow.conn.fetchrow(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            user_id,
            key,
        )
        if stored is not None:
            if stored["request_hash"] != fingerprint:
                raise ProblemError(
                    422,
                    "Unprocessable entity",
                    f"This {HEADER} was used for a different request; use a new key",
                    code="idempotency_key_reused",
                )
            return _response(stored["status"], stored["body"], replayed=True)
        body = pydantic_core.to_json(await action(uow))
        await uow.conn.execute(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, status, body) "
            "VALUES ($1, $2, $3, $4, $5)",
            user_id,
            key,
            fingerprint,
            status,
            body,
        )
    return _response(status, body, replayed=False)


def _response(status: int, body: bytes, *, replayed: bool) -> web.Response:
    headers = {REPLAYED_HEADER: "true"} if replayed else None
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


async def delete_expired(db: asyncpg.Pool | asyncpg.Connection, retention_s: float) -> int:
    """Forget keys older than the retention; returns how many."""
    result = await db.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
        float(retention_s),
    )
    return int(result.split()[-1])
