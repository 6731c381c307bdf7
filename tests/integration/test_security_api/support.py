"""What the modules of this package share: the World (who is who, what they own, and a request
helper asserting the error contract on every answer), and the ids and snapshot of the objects
the refused requests must leave unchanged."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.reliability.marketplace import Client, Maker, Shop

PROBLEM = "application/problem+json"


@dataclass
class World:
    """Two makers with a listing each (and A a draft), a maker still in draft, two customers
    with a confirmed order each, a commission, an operator and nobody."""

    shop: Shop
    client: Client
    maker_a: Maker
    maker_b: Maker
    maker_c_id: str
    maker_c: str
    customer_x: str
    customer_y: str
    operator: str
    listing_a: dict[str, Any]
    draft_a: dict[str, Any]
    listing_b: dict[str, Any]
    order_x: dict[str, Any]
    order_y: dict[str, Any]
    commission_x: dict[str, Any]
    # Customer X's conversation with maker A about order X.
    conversation_x: dict[str, Any] = field(default_factory=dict)
    # Customer Y's review of maker B's piece (order Y, delivered).
    review_y: dict[str, Any] = field(default_factory=dict)

    def token(self, who: str) -> str | None:
        return {
            "maker_a": self.maker_a.token,
            "maker_b": self.maker_b.token,
            "maker_c": self.maker_c,
            "customer_x": self.customer_x,
            "customer_y": self.customer_y,
            "operator": self.operator,
            "anonymous": None,
        }[who]

    async def call(
        self,
        method: str,
        path: str,
        who: str | None = None,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        """One request from a fresh client address; asserts the error contract."""
        client = Client(self.shop.session, self.shop.gateway_url, self.shop.traffic)
        headers = {"X-Forwarded-For": client.address, **(headers or {})}
        bearer = token if token is not None else (self.token(who) if who else None)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        if raw is not None:
            headers.setdefault("Content-Type", "application/json")
        async with self.shop.session.request(
            method, self.shop.gateway_url + path, headers=headers, **kwargs
        ) as r:
            content = await r.read()
            assert r.status < 500, (method, path, who, r.status, content[:500])
            if r.status >= 400:
                assert r.content_type == PROBLEM, (method, path, r.status, r.content_type, content[:300])
                problem = json.loads(content)
                assert {"type", "title", "status"} <= set(problem) and problem["status"] == r.status
                assert "Traceback" not in content.decode(errors="replace")
            return r.status, (json.loads(content) if content and r.content_type.endswith("json") else content)


def _ids(world: World) -> dict[str, str]:
    [mo_a] = world.order_x["maker_orders"]
    return {
        "maker_a": world.maker_a.id,
        "maker_c": world.maker_c_id,
        "listing_a": world.listing_a["id"],
        "draft_a": world.draft_a["id"],
        "order_x": world.order_x["id"],
        "mo_a": mo_a["id"],
        "commission_x": world.commission_x["id"],
        "conversation_x": world.conversation_x["id"],
        "review_y": world.review_y["id"],
    }


async def _snapshot(world: World) -> dict[str, Any]:
    """Every object of the matrix as the operator (or its owner) sees it."""
    ids = _ids(world)
    op = world.operator
    views = {
        "maker_a": ("GET", f"/api/v1/makers/{ids['maker_a']}", op),
        "maker_c": ("GET", f"/api/v1/makers/{ids['maker_c']}", op),
        "listing_a": ("GET", f"/api/v1/listings/{ids['listing_a']}", world.maker_a.token),
        "draft_a": ("GET", f"/api/v1/listings/{ids['draft_a']}", world.maker_a.token),
        "order_x": ("GET", f"/api/v1/orders/{ids['order_x']}", op),
        "mo_a": ("GET", f"/api/v1/maker-orders/{ids['mo_a']}", op),
        "commission_x": ("GET", f"/api/v1/commissions/{ids['commission_x']}", op),
        "conversation_x": ("GET", f"/api/v1/conversations/{ids['conversation_x']}", op),
        "review_y": ("GET", f"/api/v1/reviews/{ids['review_y']}", op),
    }
    found = {}
    for name, (method, path, token) in views.items():
        status, body = await world.call(method, path, token=token)
        assert status == 200, (name, status, body)
        found[name] = (body.get("status"), body.get("version"), body.get("reply"))
    return found
