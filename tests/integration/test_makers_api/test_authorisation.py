"""The authorisation matrix: every endpoint, for a maker in each state, as its owner, another
maker, a customer, an operator and anonymous; and a bad token is 401 even where anonymous may
read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.test_makers_api.support import LEGAL_NAME, PUBLIC_FIELDS, Api, draft_profile

pytestmark = pytest.mark.timeout(180)


# --- the authorisation matrix --------------------------------------------------------------------

ACTORS = ("owner", "other_maker", "customer", "operator", "anonymous")

# An expected cell: a status, or (200, view) where view is "full" (the target's whole record),
# "public" (its public view) or "own" (the caller's own record, not the target's).
FULL, PUBLIC, OWN = (200, "full"), (200, "public"), (200, "own")

# endpoint                    target state    owner   other   customer operator anonymous
MATRIX: list[tuple[str, str, tuple[Any, ...]]] = [
    ("POST /makers", "draft", (409, 409, 403, 403, 401)),
    ("GET /makers/me", "draft", (FULL, OWN, 403, 403, 401)),
    ("GET /makers/{id}", "draft", (FULL, 404, 404, FULL, 404)),
    ("GET /makers/{id}", "submitted", (FULL, 404, 404, FULL, 404)),
    ("GET /makers/{id}", "suspended", (FULL, 404, 404, FULL, 404)),
    ("GET /makers/{id}", "approved", (FULL, PUBLIC, PUBLIC, FULL, PUBLIC)),
    ("GET /by-handle/{handle}", "draft", (FULL, 404, 404, FULL, 404)),
    ("GET /by-handle/{handle}", "approved", (FULL, PUBLIC, PUBLIC, FULL, PUBLIC)),
    ("GET /makers", "approved", (200, 200, 200, 200, 200)),
    ("GET /makers?status=", "submitted", (403, 403, 403, 200, 401)),
    ("PATCH /makers/{id}", "draft", (200, 404, 403, 403, 401)),
    ("POST /{id}/submit", "draft", (200, 404, 403, 403, 401)),
    ("POST /{id}/review", "submitted", (403, 403, 403, 200, 401)),
    ("POST /{id}/suspend", "approved", (403, 403, 403, 200, 401)),
    ("POST /{id}/reinstate", "suspended", (403, 403, 403, 200, 401)),
    ("POST /{id}/reopen", "rejected", (409, 404, 403, 403, 401)),  # 409: too soon after rejection
    ("PUT /{id}/claims", "approved", (200, 404, 403, 403, 401)),
    ("POST /{id}/claims/{scheme}/verify", "approved", (403, 403, 403, 200, 401)),
]

REQUESTS: dict[str, Callable[[dict[str, Any]], tuple[str, str, Any]]] = {
    "POST /makers": lambda m: ("POST", "/api/v1/makers", draft_profile()),
    "GET /makers/me": lambda m: ("GET", "/api/v1/makers/me", None),
    "GET /makers/{id}": lambda m: ("GET", f"/api/v1/makers/{m['id']}", None),
    "GET /by-handle/{handle}": lambda m: ("GET", f"/api/v1/makers/by-handle/{m['handle']}", None),
    "GET /makers": lambda m: ("GET", "/api/v1/makers", None),
    "GET /makers?status=": lambda m: ("GET", "/api/v1/makers?status=submitted", None),
    "PATCH /makers/{id}": lambda m: ("PATCH", f"/api/v1/makers/{m['id']}", {"bio": "Edited"}),
    "POST /{id}/submit": lambda m: ("POST", f"/api/v1/makers/{m['id']}/submit", None),
    "POST /{id}/review": lambda m: ("POST", f"/api/v1/makers/{m['id']}/review", {"decision": "approve"}),
    "POST /{id}/suspend": lambda m: (
        "POST",
        f"/api/v1/makers/{m['id']}/suspend",
        {"reason": "Investigation"},
    ),
    "POST /{id}/reinstate": lambda m: ("POST", f"/api/v1/makers/{m['id']}/reinstate", None),
    "POST /{id}/reopen": lambda m: ("POST", f"/api/v1/makers/{m['id']}/reopen", None),
    "PUT /{id}/claims": lambda m: (
        "PUT",
        f"/api/v1/makers/{m['id']}/claims",
        [{"scheme": "fairtrade", "scope": "metal", "certificate_id": "FT-1"}],
    ),
    "POST /{id}/claims/{scheme}/verify": lambda m: (
        "POST",
        f"/api/v1/makers/{m['id']}/claims/fairmined/verify",
        {"decision": "verified"},
    ),
}

CASES = [
    pytest.param(endpoint, state, actor, expected[i], id=f"{endpoint} [{state}] as {actor}")
    for endpoint, state, expected in MATRIX
    for i, actor in enumerate(ACTORS)
]


def test_the_matrix_covers_every_endpoint() -> None:
    assert {endpoint for endpoint, _, _ in MATRIX} == set(REQUESTS)


@pytest.mark.parametrize(("endpoint", "state", "actor", "expected"), CASES)
async def test_authorisation_matrix(api: Api, endpoint: str, state: str, actor: str, expected: Any) -> None:
    owner, target = await api.maker_in(state)
    other_maker, other_record = await api.draft()  # a maker with a record of their own
    tokens = {
        "owner": owner,
        "other_maker": other_maker,
        "customer": api.user("customer")[1],
        "operator": api.operator(),
        "anonymous": None,
    }
    method, path, body = REQUESTS[endpoint](target)

    response = await api.call(method, path, tokens[actor], json=body)

    status, view = expected if isinstance(expected, tuple) else (expected, None)
    assert response.status == status, response.body
    if status == 404:
        assert response.body["code"] == "not_found"
        assert target["handle"] not in str(response.body)
    if view == "full":
        assert (response.body["id"], response.body["legal_name"]) == (target["id"], LEGAL_NAME)
    elif view == "public":
        assert (response.body["id"], set(response.body)) == (target["id"], PUBLIC_FIELDS)
    elif view == "own":
        assert response.body["id"] == other_record["id"]
    after = await api.ok("GET", f"/api/v1/makers/{target['id']}", owner)
    if status >= 400:
        assert after == target, "a refused request changed the record"


async def test_a_bad_token_is_401_even_where_anonymous_may_read(api: Api) -> None:
    _, approved = await api.maker_in("approved")
    for path in (f"/api/v1/makers/{approved['id']}", "/api/v1/makers"):
        for header in ("Bearer not-a-jwt", "Basic abc", "Bearer "):
            response = await api.call("GET", path, headers={"Authorization": header})
            assert response.status == 401, (path, header)
    assert (await api.call("GET", "/api/v1/makers/not-a-uuid")).status == 404
    assert (await api.call("GET", "/api/v1/makers/by-handle/Not%20A%20Handle")).status == 404
    assert (await api.call("GET", "/api/v1/makers/by-handle/a%00b")).status == 404
