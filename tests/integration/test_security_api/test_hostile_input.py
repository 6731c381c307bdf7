"""Hostile input never a 5xx: hostile bodies on every write, hostile ids and query values, and
forged cursors on every list."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import quote

import pytest

from tests.integration.test_security_api.support import World, _ids

pytestmark = pytest.mark.timeout(240)


# --- hostile input ----------------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


HOSTILE_BODIES: dict[str, bytes] = {
    "malformed": b'{"title": ',
    "not utf-8": b'{"title": "\xff\xfe"}',
    "array": b"[]",
    "scalar": b"42",
    "null": b"null",
    "nested 40": json.dumps(_nested(40)).encode(),
    "nested 5000": b'{"a":' * 5000 + b"1" + b"}" * 5000,
    "nul": json.dumps(
        {
            "title": "ring\u0000",
            "reason": "a\u0000",
            "bio": "\u0000",
            "note": "\u0000",
            "display_name": "\u0000",
            "brief": "\u0000",
        }
    ).encode(),
    "surrogate": (
        b'{"title": "ring \\ud800", "reason": "\\udfff", "display_name": "\\ud83d", "brief": "\\ud800"}'
    ),
    "surrogate key": b'{"\\ud800": 1}',
    "overlong": json.dumps(
        dict.fromkeys(
            ("title", "reason", "bio", "brief", "display_name", "note", "description", "carrier", "email"),
            "x" * 100000,
        )
    ).encode(),
    "sql": json.dumps(
        dict.fromkeys(
            ("title", "reason", "bio", "brief", "handle", "display_name", "email", "carrier"),
            "'; DROP TABLE orders; --",
        )
    ).encode(),
    "oversized": b'{"title": "' + b"x" * 300_000 + b'"}',
    "wrong types": json.dumps(
        {
            "title": 1,
            "lines": "x",
            "price": "free",
            "quantity": 1e308,
            "passed": "yes",
            "decision": ["approve"],
        }
    ).encode(),
    "huge numbers": json.dumps(
        {
            "quantity": 10**40,
            "price": {"amount": 10**40, "currency": "GBP"},
            "lead_time_days": 10**40,
            "budget": {"amount": -1, "currency": "XXX"},
        }
    ).encode(),
}

SQL_IDS = [
    "1' OR '1'='1",
    "00000000-0000-0000-0000-000000000000",
    "%27%3B%20DROP%20TABLE%20x",
    "..%2F..%2Fetc",
    "\u0000",
    "a" * 5000,
    "-1",
    "null",
]


async def _operations(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    status, document = await world.call("GET", "/openapi.json")
    assert status == 200
    return [
        (method.upper(), path, op) for path, ops in document["paths"].items() for method, op in ops.items()
    ]


async def test_hostile_bodies_never_5xx(world: World) -> None:
    ids = _ids(world)
    substitutes = {"id": ids["order_x"], "handle": "x"}
    for method, path, operation in await _operations(world):
        if "requestBody" not in operation:
            continue
        concrete = path.replace("{id}", substitutes["id"]).replace("{handle}", "x")
        # A JSON body's bad text is a 400 or 422, and 300 kB is over its limit (413); an upload
        # may be 20 MiB, and any of these is bytes that are no image (415).
        takes_json = "application/json" in operation["requestBody"].get("content", {})
        for who in ("customer_x", "maker_a", "operator", "anonymous"):
            for name, raw in HOSTILE_BODIES.items():
                status, _answer = await world.call(
                    method, concrete, who, raw=raw, headers={"Idempotency-Key": str(uuid.uuid4())}
                )
                assert 400 <= status < 500, (method, path, who, name, status)
                if name == "oversized" and takes_json:
                    assert status in (413, 401, 403, 404), (method, path, who, status)
                if (
                    name in ("nul", "surrogate", "surrogate key")
                    and takes_json
                    and who != "anonymous"
                    and status not in (401, 403, 404)
                ):
                    assert status in (400, 422), (method, path, who, name, status)


async def test_hostile_ids_and_queries_never_5xx(world: World) -> None:
    for method, path, operation in await _operations(world):
        if "{" in path:
            for bad in SQL_IDS:
                concrete = path.replace("{id}", bad).replace("{handle}", bad)
                for who in ("customer_x", "maker_a", "operator", "anonymous"):
                    status, _ = await world.call(method, concrete, who, body={})
                    assert 400 <= status < 500, (method, path, bad, status)
        if method == "GET":
            params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            for name in params:
                for bad in (
                    "'; SELECT pg_sleep(5); --",
                    "\u0000",
                    "%00",
                    "x" * 7000,
                    "-1",
                    "1e309",
                    "[]",
                    "{}",
                    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
                ):
                    for who in ("customer_x", "maker_a", "operator", "anonymous"):
                        started = time.monotonic()
                        status, _ = await world.call(
                            "GET",
                            f"{path.replace('{id}', world.order_x['id']).replace('{handle}', 'x')}"
                            f"?{name}={quote(bad, safe='')}",
                            who,
                        )
                        assert status < 500 and time.monotonic() - started < 4, (path, name, bad, status)


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


FORGED_CURSORS = [
    "not-base64!!",
    "AAAA",
    _cursor({"a": 1}),
    _cursor([]),
    _cursor([1, 2]),
    _cursor(["x", "y"]),
    _cursor(["2024-01-01T00:00:00", str(uuid.uuid4())]),
    _cursor(["2024-01-01T00:00:00+00:00", "not-a-uuid"]),
    _cursor(["newest", "x", "y"]),
    _cursor(["price_asc", 10**30, str(uuid.uuid4())]),
    _cursor(["relevance", "'; DROP TABLE x; --", str(uuid.uuid4())]),
    _cursor([None, None]),
    _cursor(["9999-99-99T00:00:00+00:00", str(uuid.uuid4())]),
    _cursor([1e308, str(uuid.uuid4())]),
    _cursor(["2024-01-01T00:00:00+00:00", str(uuid.uuid4()), "extra"]),
    "x" * 600,
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    _cursor("\u0000"),
]


async def test_forged_cursors_on_every_list(world: World) -> None:
    lists = [
        path
        for method, path, op in await _operations(world)
        if method == "GET" and any(p["name"] == "cursor" for p in op.get("parameters", []))
    ]
    assert len(lists) >= 7, lists
    for path in lists:
        for who in ("customer_x", "maker_a", "operator", "anonymous"):
            for cursor in FORGED_CURSORS:
                extra = "&maker_id=" + world.maker_a.id if path == "/api/v1/payouts" else ""
                for sort in ("", "&sort=price_asc", "&sort=relevance&q=ring"):
                    if sort and path != "/api/v1/listings":
                        continue
                    status, _ = await world.call(
                        "GET", f"{path}?cursor={quote(cursor, safe='')}{extra}{sort}", who
                    )
                    assert status in (400, 401, 403, 422), (path, who, cursor, sort, status)
