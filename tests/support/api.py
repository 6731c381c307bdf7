"""The HTTP client the API tests share: `Api.call` sends a request as a user (a bearer token from
`mint`) and checks what every service promises of any answer (a refusal is
application/problem+json, and nothing is a 5xx); `Api.ok` also checks the status. `codes` lists
the error codes of a refusal's body."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass
class Response:
    status: int
    body: Any
    headers: Any
    raw: bytes


def _no_mint(*args: Any, **kwargs: Any) -> str:
    raise AssertionError("this Api was made without `mint`: its tests sign in for their tokens")


@dataclass
class Api:
    session: aiohttp.ClientSession
    url: str
    mint: Callable[..., str] = _no_mint

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(method, self.url + path, json=json, data=data, headers=headers) as r:
            raw = await r.read()
            body = await r.json(content_type=None) if raw else None
            if r.status >= 400:
                assert r.content_type == "application/problem+json", (r.status, body)
            assert r.status < 500, (method, path, r.status, body)
            return Response(r.status, body, r.headers, raw)

    async def ok(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        status: int = 200,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = await self.call(method, path, token, json=json, headers=headers)
        assert response.status == status, (method, path, response.status, response.body)
        return response.body

    def user(self, role: str) -> tuple[uuid.UUID, str]:
        user_id = uuid.uuid4()
        return user_id, self.mint(role, user_id)


def codes(problem: dict[str, Any]) -> list[str]:
    """The codes of a problem+json body's `errors`, in order."""
    return [error["code"] for error in problem.get("errors", [])]
