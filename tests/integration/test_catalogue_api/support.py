"""The catalogue API client the modules of this package share, and a small helper."""

from __future__ import annotations

from typing import Any

from tests.support.api import Api as BaseApi
from tests.support.api import codes as codes
from tests.support.catalogue import TestMaker, ring, with_photo


class Api(BaseApi):
    """The shared client, with listings of a given maker in a given state."""

    def token(self, maker: TestMaker) -> str:
        return self.mint("maker", maker.user_id)

    async def draft(self, maker: TestMaker, body: dict[str, Any] | None = None) -> dict[str, Any]:
        body = with_photo(maker, body or ring())
        return await self.ok("POST", "/api/v1/listings", self.token(maker), status=201, json=body)

    async def published(self, maker: TestMaker, body: dict[str, Any] | None = None) -> dict[str, Any]:
        draft = await self.draft(maker, body)
        return await self.ok("POST", f"/api/v1/listings/{draft['id']}/publish", self.token(maker))
