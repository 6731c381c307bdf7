"""What the API refuses and documents: random bodies and queries never a server error, and the
OpenAPI document of the listings API."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.integration.test_catalogue_api.support import Api
from tests.support.catalogue import TestMaker, ring

pytestmark = pytest.mark.timeout(120)


# --- never a 5xx ----------------------------------------------------------------------------------

NASTY: list[Any] = [
    None,
    True,
    0,
    -1,
    2**63,
    1.5,
    "",
    " ",
    "x" * 6000,
    "\u202e\u0000",
    [],
    [None],
    {},
    ["x"] * 30,
    {"amount": 10**15},
    {"kind": "ready_to_ship", "stock": -1},
    [{"metal": "gold", "fineness": 750, "weight_g": "NaN"}],
    [{"type": "x", "origin": "moon"}],
    {"ring_size_mm": {"min": 80, "max": 20}},
    ["javascript:alert(1)"],
    "2025-02-30",
]


async def test_random_bodies_never_cause_a_server_error(api: Api, maker: TestMaker) -> None:
    rng = random.Random(20250602)
    owner = api.token(maker)
    draft = await api.draft(maker)
    fields = [*ring(), "photos", "images", "status", "maker_id", "id", "version"]
    for _ in range(120):
        body = {rng.choice(fields): rng.choice(NASTY) for _ in range(rng.randint(1, 4))}
        for method, path in (("PATCH", f"/api/v1/listings/{draft['id']}"), ("POST", "/api/v1/listings")):
            response = await api.call(method, path, owner, json=body)
            assert response.status in (200, 201, 400, 409, 413, 422), (body, response.body)
    for query in (
        "limit=0",
        "limit=101",
        "min_price=-1",
        "min_price=9&max_price=3",
        "category=hat",
        "sort=best",
        "fineness=x",
        "cursor=%%%",
        "cursor=WyJ4Il0",
        "q=" + "x" * 201,
        "maker_id=nope",
        "q=%00",
        "stone=" + "y" * 41,
    ):
        response = await api.call("GET", f"/api/v1/listings?{query}")
        assert response.status in (400, 422), (query, response.body)
    publish_again = await api.call("POST", f"/api/v1/listings/{draft['id']}/publish", owner)
    assert publish_again.status in (200, 422)


async def test_openapi_describes_the_listings_api(api: Api) -> None:
    document = await api.ok("GET", "/openapi.json")
    assert set(document["paths"]) >= {
        "/api/v1/listings",
        "/api/v1/listings/mine",
        "/api/v1/listings/{id}",
        "/api/v1/listings/{id}/publish",
        "/api/v1/listings/{id}/pause",
        "/api/v1/listings/{id}/archive",
    }
    results = document["components"]["schemas"]["SearchResults"]
    assert "exact over every match" in results["description"] and "capped" not in results["description"]
    assert "/api/v1/listings/suggest" in document["paths"]
    parameters = {p["name"] for p in document["paths"]["/api/v1/listings"]["get"]["parameters"]}
    assert parameters >= {
        "q",
        "category",
        "metal",
        "fineness",
        "stone",
        "stone_origin",
        "min_price",
        "max_price",
        "production",
        "sourcing",
        "maker_id",
        "occasion",
        "sort",
        "limit",
        "cursor",
    }
