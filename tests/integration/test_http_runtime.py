"""The HTTP runtime every service shares, on a real server on loopback: problem
responses for bad input, request ids, auth, operations endpoints, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pydantic import BaseModel, ConfigDict, Field

from shared.http import Call, Routes, create_app
from shared.service import build_app
from tests.support.fixture_services import PRODUCER, ProducerSettings


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=20)


guarded = Routes("test")


@guarded.post("/things", body=Thing, response=Thing, status=201, roles=("maker",))
async def make_thing(call: Call) -> Thing:
    return call.body


@guarded.get("/boom", auth="none")
async def boom(call: Call) -> None:
    raise RuntimeError("secret internals")


@pytest.fixture
async def guarded_server(test_env) -> AsyncIterator[str]:
    settings = ProducerSettings(max_body_bytes=2048)
    app = create_app(settings, "test")
    guarded.install(app)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url(""))


@pytest.fixture
async def producer_server(fixture_db) -> AsyncIterator[str]:
    app = build_app(PRODUCER, fixture_db["producer"], role="api")
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url(""))


async def _problem(response: aiohttp.ClientResponse) -> dict:
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == response.status
    return body


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"", 400, "body_required"),
        (b'{"name": "ok", "status": "approved"}', 422, "validation_failed"),
        (b'{"name": "x' + b"y" * 30 + b'"}', 422, "validation_failed"),
        (b'{"name": "a\\u0000b"}', 422, "invalid_characters"),
        (b'{"name": "\\ud800"}', 422, "invalid_characters"),
        (b"[" * 5000 + b"]" * 5000, 413, "payload_too_large"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, 400, "too_deep"),
    ],
)
async def test_bad_input_is_a_clear_4xx_problem(guarded_server, mint, raw, status, code) -> None:
    headers = {"Authorization": f"Bearer {mint('maker')}", "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(guarded_server + "/things", data=raw, headers=headers) as r,
    ):
        assert r.status == status
        body = await _problem(r)
        assert body["code"] == code


async def test_unknown_fields_are_named(guarded_server, mint) -> None:
    headers = {"Authorization": f"Bearer {mint('maker')}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(guarded_server + "/things", json={"name": "a", "maker_id": "x"}, headers=headers) as r,
    ):
        body = await _problem(r)
    assert r.status == 422
    assert {
        "loc": ["body", "maker_id"],
        "msg": "Extra inputs are not permitted",
        "code": "extra_forbidden",
    } in body["errors"]


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Bearer nonsense", 401), ("Basic dXNlcjpwYXNz", 401), ("customer", 403), ("maker", 201)],
)
async def test_authentication_and_roles(guarded_server, mint, authorization, status) -> None:
    headers = {}
    if authorization in ("customer", "maker"):
        headers["Authorization"] = f"Bearer {mint(authorization)}"
    elif authorization:
        headers["Authorization"] = authorization
    async with (
        aiohttp.ClientSession() as session,
        session.post(guarded_server + "/things", json={"name": "ring"}, headers=headers) as r,
    ):
        assert r.status == status
        if status == 401:
            assert r.headers["WWW-Authenticate"] == "Bearer"


async def test_unexpected_errors_are_500_problems_without_internals(guarded_server) -> None:
    async with aiohttp.ClientSession() as session, session.get(guarded_server + "/boom") as r:
        assert r.status == 500
        body = await _problem(r)
    assert "secret" not in str(body) and "Traceback" not in str(body)


async def test_unknown_paths_and_methods_are_problems(guarded_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(guarded_server + "/nowhere") as r:
            assert r.status == 404 and (await _problem(r))["code"] == "not_found"
        async with session.get(guarded_server + "/things") as r:
            assert r.status == 405 and (await _problem(r))["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("sent", "echoed"), [("abc-123", True), ("bad id with spaces", False), (None, False)]
)
async def test_request_id_is_echoed_when_sane(guarded_server, sent, echoed) -> None:
    headers = {"X-Request-ID": sent} if sent else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(guarded_server + "/health/live", headers=headers) as r,
    ):
        request_id = r.headers["X-Request-ID"]
    assert (request_id == sent) is echoed
    assert request_id


async def test_operations_endpoints(producer_server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(producer_server + "/health/live") as r:
            assert r.status == 200
        async with session.get(producer_server + "/health/ready") as r:
            assert r.status == 200 and (await r.json())["status"] == "ready"
        async with session.post(
            producer_server + "/items/change", json={"item_id": "7d5c1f0e-0a49-4f7e-9a57-0d1c9a3f0b11"}
        ) as r:
            assert r.status == 200
        async with session.get(producer_server + "/metrics") as r:
            metrics = await r.text()
        async with session.get(producer_server + "/openapi.json") as r:
            openapi = await r.json()
    for name in (
        "http_request_duration_seconds",
        "outbox_lag_seconds",
        "outbox_pending_events",
        "parking_queue_depth",
        "events_consumed_total",
    ):
        assert name in metrics
    operation = openapi["paths"]["/items/change"]["post"]
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.split("/")[-1] in openapi["components"]["schemas"]
    assert {"200", "400", "422"} <= operation["responses"].keys()
