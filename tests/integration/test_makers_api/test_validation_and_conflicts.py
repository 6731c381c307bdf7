"""Bad input and conflicts: every invalid body refused with its code, malformed and oversized
bodies, review and suspension bodies, one maker per user and unique handles, a transition from
the wrong state, concurrent edits, and random bodies never a server error."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from tests.integration.test_makers_api.support import Api, codes, complete_profile, draft_profile

pytestmark = pytest.mark.timeout(180)


# --- validation ----------------------------------------------------------------------------------

INVALID_BODIES = [
    # (why, body, expected error (loc, code))
    ("unknown field status", {"status": "approved"}, (["body", "status"], "extra_forbidden")),
    ("unknown field user_id", {"user_id": str(uuid.uuid4())}, (["body", "user_id"], "extra_forbidden")),
    ("slug with capitals", {"handle": "Silver-Stone"}, (["body", "handle"], "string_pattern_mismatch")),
    ("slug too short", {"handle": "ab"}, (["body", "handle"], "string_too_short")),
    ("slug too long", {"handle": "a" * 41}, (["body", "handle"], "string_too_long")),
    (
        "country not ISO",
        {"location": {"country": "UK"}},
        (["body", "location", "country"], "invalid_country"),
    ),
    (
        "country lower case",
        {"location": {"country": "gb"}},
        (["body", "location", "country"], "invalid_country"),
    ),
    (
        "URL not http",
        {"portfolio_urls": ["ftp://example.com/x"]},
        (["body", "portfolio_urls", 0], "invalid_url"),
    ),
    ("URL not a URL", {"portfolio_urls": ["not a url"]}, (["body", "portfolio_urls", 0], "invalid_url")),
    (
        "evidence URL",
        {
            "sourcing_claims": [
                {"scheme": "fairmined", "scope": "metal", "evidence_url": "javascript:alert(1)"}
            ]
        },
        (["body", "sourcing_claims", 0, "evidence_url"], "invalid_url"),
    ),
    ("display name too long", {"display_name": "x" * 81}, (["body", "display_name"], "string_too_long")),
    ("bio too long", {"bio": "x" * 5001}, (["body", "bio"], "string_too_long")),
    ("legal name too long", {"legal_name": "x" * 201}, (["body", "legal_name"], "string_too_long")),
    ("too many techniques", {"techniques": ["x"] * 21}, (["body", "techniques"], "too_long")),
    (
        "too many portfolio URLs",
        {"portfolio_urls": ["https://e.com/"] * 11},
        (["body", "portfolio_urls"], "too_long"),
    ),
    (
        "too many claims",
        {"sourcing_claims": [{"scheme": "recycled", "scope": "metal"}] * 21},
        (["body", "sourcing_claims"], "too_long"),
    ),
    (
        "unknown scheme",
        {"sourcing_claims": [{"scheme": "ethical", "scope": "metal"}]},
        (["body", "sourcing_claims", 0, "scheme"], "literal_error"),
    ),
    (
        "sponsor mark",
        {"hallmarking": {"sponsor_mark": "a", "assay_office": "london"}},
        (["body", "hallmarking", "sponsor_mark"], "string_pattern_mismatch"),
    ),
    (
        "assay office",
        {"hallmarking": {"sponsor_mark": "ADS", "assay_office": "paris"}},
        (["body", "hallmarking", "assay_office"], "literal_error"),
    ),
    ("attestation as string", {"terms_accepted": "yes"}, (["body", "terms_accepted"], "bool_type")),
    ("control character", {"display_name": "a\x1bb"}, (["body", "display_name"], "control_character")),
    ("null for a required field", {"display_name": None}, (["body", "display_name"], "null_not_allowed")),
]


@pytest.mark.parametrize(
    ("why", "patch", "expected"), INVALID_BODIES, ids=[case[0] for case in INVALID_BODIES]
)
async def test_invalid_patch_is_refused(
    api: Api, why: str, patch: dict[str, Any], expected: tuple[list[Any], str]
) -> None:
    owner, record = await api.draft()
    response = await api.call("PATCH", f"/api/v1/makers/{record['id']}", owner, json=patch)
    assert response.status == 422, response.body
    assert expected in [(e["loc"], e["code"]) for e in response.body["errors"]]
    assert (await api.ok("GET", "/api/v1/makers/me", owner))["version"] == 1


async def test_create_validates_the_same_way(api: Api) -> None:
    _, token = api.user("maker")
    cases = [
        ({"display_name": "No handle"}, (["body", "handle"], "missing")),
        ({**draft_profile(), "status": "approved"}, (["body", "status"], "extra_forbidden")),
        (
            {**draft_profile(), "location": {"country": "XX"}},
            (["body", "location", "country"], "invalid_country"),
        ),
    ]
    for body, expected in cases:
        response = await api.call("POST", "/api/v1/makers", token, json=body)
        assert response.status == 422
        assert expected in [(e["loc"], e["code"]) for e in response.body["errors"]]
    assert (await api.call("GET", "/api/v1/makers/me", token)).status == 404


async def test_malformed_and_oversized_bodies(api: Api) -> None:
    owner, record = await api.draft()
    path = f"/api/v1/makers/{record['id']}"
    malformed = await api.call(
        "PATCH", path, owner, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (malformed.status, malformed.body["code"]) == (400, "malformed_json")
    oversized = await api.call("PATCH", path, owner, json={"bio": "x" * 300_000})
    assert oversized.status == 413
    nul = await api.call("PATCH", path, owner, json={"bio": "a\u0000b"})
    assert nul.status == 422
    not_a_list = await api.call("PATCH", path, owner, json=[1, 2])
    assert not_a_list.status == 422


async def test_review_and_suspension_bodies(api: Api) -> None:
    operator = api.operator()
    _, submitted = await api.maker_in("submitted")
    review = f"/api/v1/makers/{submitted['id']}/review"
    for body, code in [
        ({"decision": "maybe"}, "literal_error"),
        ({"decision": "reject"}, "note_required"),
        ({"decision": "request_changes", "note": "   "}, "note_required"),
        ({"decision": "reject", "note": "x" * 2001}, "string_too_long"),
        ({"decision": "approve", "status": "approved"}, "extra_forbidden"),
    ]:
        response = await api.call("POST", review, operator, json=body)
        assert (response.status, code in codes(response.body)) == (422, True), (body, response.body)
    assert (await api.call("POST", review, operator)).status == 400  # no body

    _, approved = await api.maker_in("approved")
    suspend = f"/api/v1/makers/{approved['id']}/suspend"
    for body, code in [
        ({}, "missing"),
        ({"reason": "  "}, "reason_required"),
        ({"reason": "x" * 2001}, "string_too_long"),
    ]:
        response = await api.call("POST", suspend, operator, json=body)
        assert (response.status, code in codes(response.body)) == (422, True), (body, response.body)

    _, suspended = await api.maker_in("suspended")
    reinstate = f"/api/v1/makers/{suspended['id']}/reinstate"
    response = await api.call("POST", reinstate, operator, json={"reason": "x"})
    assert (response.status, codes(response.body)) == (422, ["extra_forbidden"])
    reinstated = await api.ok("POST", reinstate, operator, json={"note": "Cleared"})
    assert reinstated["history"][-1]["note"] == "Cleared"


# --- conflicts -----------------------------------------------------------------------------------


async def test_one_maker_per_user_and_unique_handles(api: Api) -> None:
    owner, record = await api.draft()
    again = await api.call("POST", "/api/v1/makers", owner, json=draft_profile())
    assert (again.status, again.body["code"]) == (409, "maker_exists")

    _, other = api.user("maker")
    taken = await api.call("POST", "/api/v1/makers", other, json=draft_profile(record["handle"]))
    assert (taken.status, taken.body["code"]) == (409, "handle_taken")
    assert (await api.call("GET", "/api/v1/makers/me", other)).status == 404

    other_token, other_record = await api.draft()
    taken = await api.call(
        "PATCH", f"/api/v1/makers/{other_record['id']}", other_token, json={"handle": record["handle"]}
    )
    assert (taken.status, taken.body["code"]) == (409, "handle_taken")

    # Concurrent creations by one user: exactly one wins.
    _, racer = api.user("maker")
    results = await asyncio.gather(
        *(api.call("POST", "/api/v1/makers", racer, json=draft_profile()) for _ in range(5))
    )
    assert sorted(r.status for r in results) == [201, 409, 409, 409, 409]


# (action, from states in which it is refused)
WRONG_STATE = [
    ("edit", ["submitted", "approved", "rejected", "suspended"]),
    ("submit", ["submitted", "approved", "rejected", "suspended"]),
    ("review", ["draft", "approved", "rejected", "changes_requested", "suspended"]),
    ("suspend", ["draft", "submitted", "rejected", "changes_requested", "suspended"]),
    ("reinstate", ["draft", "submitted", "approved", "rejected", "changes_requested"]),
]


@pytest.mark.parametrize(("action", "states"), WRONG_STATE, ids=[a for a, _ in WRONG_STATE])
async def test_a_transition_from_the_wrong_state_is_409_naming_it(
    api: Api, action: str, states: list[str]
) -> None:
    for state in states:
        owner, record = await api.maker_in(state)
        path = f"/api/v1/makers/{record['id']}"
        method, suffix, token, body = {
            "edit": ("PATCH", "", owner, {"bio": "New"}),
            "submit": ("POST", "/submit", owner, None),
            "review": ("POST", "/review", api.operator(), {"decision": "approve"}),
            "suspend": ("POST", "/suspend", api.operator(), {"reason": "Because"}),
            "reinstate": ("POST", "/reinstate", api.operator(), None),
        }[action]
        response = await api.call(method, path + suffix, token, json=body)
        assert response.status == 409, (action, state, response.body)
        assert response.body["current_state"] == state
        assert state in response.body["detail"]
        assert (await api.ok("GET", path, owner))["version"] == record["version"]


async def test_approval_is_refused_while_a_blocking_item_is_open(api: Api, db: asyncpg.Connection) -> None:
    # Submission checks the same list, so only a record changed behind the API's back (or under
    # an older rule) reaches review with an open item.
    _, record = await api.maker_in("submitted")
    await db.execute(
        "UPDATE makers.makers SET terms_accepted = false, hallmarking = NULL WHERE id = $1",
        uuid.UUID(record["id"]),
    )
    response = await api.call(
        "POST", f"/api/v1/makers/{record['id']}/review", api.operator(), json={"decision": "approve"}
    )
    assert response.status == 422
    assert codes(response.body) == ["checklist_terms_accepted", "checklist_sponsor_mark"]


async def test_concurrent_edits_never_lose_an_update(api: Api) -> None:
    owner, record = await api.draft()
    path = f"/api/v1/makers/{record['id']}"
    results = await asyncio.gather(
        *(api.call("PATCH", path, owner, json={"bio": f"Bio {n}"}) for n in range(12))
    )
    statuses = [r.status for r in results]
    assert set(statuses) <= {200, 409}, statuses
    assert all(r.body["code"] == "concurrent_update" for r in results if r.status == 409)
    final = await api.ok("GET", path, owner)
    # Every accepted edit bumped the version once; none was overwritten silently.
    assert final["version"] == 1 + statuses.count(200)
    assert final["bio"] in {r.body["bio"] for r in results if r.status == 200}


async def test_a_patch_that_changes_nothing_records_nothing(api: Api) -> None:
    owner, record = await api.draft()
    same = await api.ok(
        "PATCH", f"/api/v1/makers/{record['id']}", owner, json={"display_name": record["display_name"]}
    )
    assert same == record


# --- never a 5xx for bad input -------------------------------------------------------------------

NASTY_VALUES: list[Any] = [
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
    "\ud7ff\ue000",
    "A-B",
    "ab",
    "ok-handle",
    "GB",
    "ZZ",
    "https://example.com/",
    "ftp://x",
    "2025-02-30",
    "9999-12-31",
    [],
    [None],
    ["x"] * 25,
    {},
    {"country": "GB", "region": "\x07"},
    {"sponsor_mark": "AB", "assay_office": "london"},
    [{"scheme": "other", "scope": "stone"}],
    [{"scheme": "other", "scope": "stone", "expires_on": "0001-01-01"}],
    {"nested": [[[{}]]]},
]


async def test_random_bodies_never_cause_a_server_error(api: Api) -> None:
    import random

    rng = random.Random(20250601)
    fields = [*complete_profile(), "status", "id", "version", "__proto__"]
    owner, record = await api.draft()
    _, creator = api.user("maker")
    for _ in range(150):
        body = {rng.choice(fields): rng.choice(NASTY_VALUES) for _ in range(rng.randint(1, 4))}
        for method, path, token in (
            ("PATCH", f"/api/v1/makers/{record['id']}", owner),
            ("POST", "/api/v1/makers", creator),
        ):
            response = await api.call(method, path, token, json=body)
            assert response.status in (200, 201, 400, 409, 413, 422), (body, response.body)
            if response.status == 201:
                _, creator = api.user("maker")
