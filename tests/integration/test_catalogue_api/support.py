"""The catalogue API client the modules of this package share, and a small helper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.support.catalogue import TestMaker, ring, with_photo


@dataclass
class Response:
    status: int
    body: Any


@dataclass
class Api:
    session: aiohttp.ClientSession
    url: str
    mint: Callable[..., str]

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(method, self.url + path, json=json, headers=headers) as r:
            body = await r.json(content_type=None) if await r.read() else None
            if r.status >= 400:
                assert r.content_type == "application/problem+json", (r.status, body)
            return Response(r.status, body)

    async def ok(
        self, method: str, path: str, token: str | None = None, *, status: int = 200, json: Any = None
    ) -> Any:
        response = await self.call(method, path, token, json=json)
        assert response.status == status, (method, path, response.status, response.body)
        return response.body

    def token(self, maker: TestMaker) -> str:
        return self.mint("maker", maker.user_id)

    async def draft(self, maker: TestMaker, body: dict[str, Any] | None = None) -> dict[str, Any]:
        body = with_photo(maker, body or ring())
        return await self.ok("POST", "/api/v1/listings", self.token(maker), status=201, json=body)

    async def published(self, maker: TestMaker, body: dict[str, Any] | None = None) -> dict[str, Any]:
        draft = await self.draft(maker, body)
        return await self.ok("POST", f"/api/v1/listings/{draft['id']}/publish", self.token(maker))


def codes(problem: dict[str, Any]) -> list[str]:
    return [error["code"] for error in problem.get("errors", [])]
