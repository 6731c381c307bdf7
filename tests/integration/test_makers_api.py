"""The makers service over HTTP, against the real PostgreSQL and RabbitMQ: the onboarding path,
the lists, validation and conflicts, the authorisation matrix and the events that reach the
broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from shared.contracts.makers import DEFAULT_SHIPPING
from tests.support.broker import drain, tap
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.waits import remaining, unsent

pytestmark = pytest.mark.timeout(180)

TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)

# The private parts of a record: never in a public view, nor in an event.
LEGAL_NAME = "Ada Lovelace-Smith"
SUPPLIER = "Secret Refinery Ltd"
CERTIFICATE = "FM-CERT-77431"
EVIDENCE_HOST = "evidence.example.org"

PUBLIC_FIELDS = {
    "id",
    "handle",
    "display_name",
    "bio",
    "location",
    "techniques",
    "sourcing_claims",
    "hallmarking",
    "joined_at",
    "accepts_commissions",
    "shipping",
    "rating",
}


def new_handle() -> str:
    return f"maker-{uuid.uuid4().hex[:12]}"


def draft_profile(handle: str | None = None) -> dict[str, Any]:
    """The least a draft needs."""
    return {"handle": handle or new_handle(), "display_name": "Silver & Stone"}


def complete_profile(handle: str | None = None) -> dict[str, Any]:
    """A profile meeting every blocking checklist item, with private parts and an expired claim."""
    return {
        **draft_profile(handle),
        "legal_name": LEGAL_NAME,
        "business_type": "individual",
        "bio": "Rings forged in Sheffield.",
        "location": {"country": "GB", "region": "South Yorkshire"},
        "techniques": ["lost-wax casting", "stone setting"],
        "production_partners": [{"name": "Hallam Casting", "role": "casting"}],
        "portfolio_urls": ["https://example.com/portfolio"],
        "sourcing_claims": [
            {
                "scheme": "fairmined",
                "scope": "metal",
                "supplier": SUPPLIER,
                "certificate_id": CERTIFICATE,
                "evidence_url": f"https://{EVIDENCE_HOST}/fm.pdf",
                "expires_on": TODAY.isoformat(),
            },
            {"scheme": "recycled", "scope": "metal"},
            {
                "scheme": "rjc_coc",
                "scope": "stone",
                "certificate_id": "RJC-OLD",
                "expires_on": YESTERDAY.isoformat(),
            },
        ],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "works_precious_metals": True,
        "natural_diamonds": True,
        "system_of_warranties_attested": True,
        "accepts_commissions": True,
        "terms_accepted": True,
    }


# --- the client ----------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: Any
    headers: Any


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
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(method, self.url + path, json=json, data=data, headers=headers) as r:
            body = await r.json(content_type=None) if await r.read() else None
            if r.status >= 400:
                assert r.content_type == "application/problem+json", (r.status, body)
            return Response(r.status, body, r.headers)

    async def ok(
        self, method: str, path: str, token: str | None = None, *, status: int = 200, json: Any = None
    ) -> Any:
        response = await self.call(method, path, token, json=json)
        assert response.status == status, (method, path, response.status, response.body)
        return response.body

    # --- actors and makers in a given state ---

    def user(self, role: str) -> tuple[uuid.UUID, str]:
        user_id = uuid.uuid4()
        return user_id, self.mint(role, user_id)

    def operator(self) -> str:
        return self.user("operator")[1]

    async def draft(self, profile: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """(owner token, record) of a new draft."""
        _, token = self.user("maker")
        record = await self.ok("POST", "/api/v1/makers", token, status=201, json=profile or draft_profile())
        return token, record

    async def maker_in(self, status: str) -> tuple[str, dict[str, Any]]:
        """(owner token, record) of a maker brought to `status` through the API."""
        token, record = await self.draft(complete_profile())
        path = f"/api/v1/makers/{record['id']}"
        if status == "draft":
            return token, record
        record = await self.ok("POST", f"{path}/submit", token)
        decisions = {
            "approved": ("approve", None),
            "suspended": ("approve", None),
            "rejected": ("reject", "Not handmade"),
            "changes_requested": ("request_changes", "More close-ups"),
        }
        if status in decisions:
            decision, note = decisions[status]
            record = await self.ok(
                "POST", f"{path}/review", self.operator(), json={"decision": decision, "note": note}
            )
        if status == "suspended":
            record = await self.ok(
                "POST", f"{path}/suspend", self.operator(), json={"reason": "Complaints under investigation"}
            )
        assert record["status"] == status
        return token, record


@pytest.fixture(scope="module")
def makers(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("makers")


@pytest.fixture
async def api(makers: ServiceProcess, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, makers.url, mint)


def codes(problem: dict[str, Any]) -> list[str]:
    return [error["code"] for error in problem.get("errors", [])]


# --- the onboarding path -------------------------------------------------------------------------


async def test_the_whole_onboarding_path(api: Api, db: asyncpg.Connection) -> None:
    owner_id, owner = api.user("maker")
    operator_id, operator = api.user("operator")
    handle = new_handle()

    # A maker user starts a draft with the least it needs.
    created = await api.ok("POST", "/api/v1/makers", owner, status=201, json=draft_profile(handle))
    maker_id, path = created["id"], f"/api/v1/makers/{created['id']}"
    assert (created["status"], created["handle"], created["user_id"], created["version"]) == (
        "draft",
        handle,
        str(owner_id),
        1,
    )
    assert [(h["from"], h["to"], h["by"]) for h in created["history"]] == [(None, "draft", str(owner_id))]
    assert {i["item"]: (i["status"], i["blocking"]) for i in created["checklist"]} == {
        "terms_accepted": ("unmet", True),
        "portfolio_url": ("unmet", True),
        "sponsor_mark": ("not_applicable", False),
        "system_of_warranties": ("not_applicable", False),
        "sourcing_evidence": ("not_applicable", False),
    }
    assert await api.ok("GET", "/api/v1/makers/me", owner) == created

    # Submitting is refused while blocking items are open, each named.
    refused = await api.call("POST", f"{path}/submit", owner)
    assert refused.status == 422
    assert [(e["loc"], e["code"]) for e in refused.body["errors"]] == [
        (["checklist", "terms_accepted"], "checklist_terms_accepted"),
        (["checklist", "portfolio_url"], "checklist_portfolio_url"),
    ]

    # Declaring precious metals and natural diamonds opens two more items.
    edited = await api.ok(
        "PATCH", path, owner, json={"works_precious_metals": True, "natural_diamonds": True}
    )
    assert edited["version"] == 2
    refused = await api.call("POST", f"{path}/submit", owner)
    assert codes(refused.body) == [
        "checklist_terms_accepted",
        "checklist_portfolio_url",
        "checklist_sponsor_mark",
        "checklist_system_of_warranties",
    ]

    # Completing the profile meets them; submission succeeds.
    complete = complete_profile(handle)
    edited = await api.ok("PATCH", path, owner, json=complete)
    assert all(i["status"] == "met" for i in edited["checklist"] if i["blocking"])
    assert {i["item"]: i["status"] for i in edited["checklist"]}["sourcing_evidence"] == "unmet"
    claims = {c["scheme"]: c for c in edited["sourcing_claims"]}
    assert (
        claims["fairmined"]["status"],
        claims["fairmined"]["evidenced"],
        claims["fairmined"]["expired"],
    ) == ("pending_verification", False, False)  # evidence alone is not a badge: an operator looks first
    assert (claims["recycled"]["status"], claims["recycled"]["evidenced"]) == ("self_declared", False)
    assert claims["rjc_coc"]["expired"] is True
    assert claims["fairmined"]["certificate_id"] == CERTIFICATE  # the owner sees evidence

    submitted = await api.ok("POST", f"{path}/submit", owner)
    assert submitted["status"] == "submitted"

    # Not public yet: others get 404, the directory does not list it.
    assert (await api.call("GET", path)).status == 404
    assert (await api.call("GET", f"/api/v1/makers/by-handle/{handle}")).status == 404
    assert maker_id not in await directory_ids(api)

    # It is in the operators' review queue.
    assert maker_id in await all_ids(api, "submitted", operator)

    # The operator approves it.
    approved = await api.ok(
        "POST", f"{path}/review", operator, json={"decision": "approve", "note": "Lovely work"}
    )
    assert approved["status"] == "approved"
    assert approved["joined_at"] == approved["history"][-1]["at"]
    last = approved["history"][-1]
    assert (last["from"], last["to"], last["by"], last["note"]) == (
        "submitted",
        "approved",
        str(operator_id),
        "Lovely work",
    )

    # Public now: public fields only, expired claim hidden, evidence never shown.
    public = await api.ok("GET", path)
    assert set(public) == PUBLIC_FIELDS
    assert public["joined_at"] == approved["joined_at"]
    assert public["sourcing_claims"] == [
        {
            "scheme": "fairmined",
            "scope": "metal",
            "expires_on": TODAY.isoformat(),
            "evidenced": False,
            "status": "pending_verification",
        },
        {
            "scheme": "recycled",
            "scope": "metal",
            "expires_on": None,
            "evidenced": False,
            "status": "self_declared",
        },
    ]
    assert_no_private_parts(public)
    assert await api.ok("GET", f"/api/v1/makers/by-handle/{handle}") == public
    assert maker_id in await directory_ids(api)
    assert await api.ok("GET", path, owner) == await api.ok("GET", "/api/v1/makers/me", owner)

    # Suspended: gone from public view and directory; the owner still sees it all.
    suspended = await api.ok(
        "POST", f"{path}/suspend", operator, json={"reason": "Counterfeit hallmarks reported"}
    )
    assert suspended["status"] == "suspended"
    assert suspended["history"][-1]["note"] == "Counterfeit hallmarks reported"
    assert (await api.call("GET", path)).status == 404
    assert maker_id not in await directory_ids(api)
    assert (await api.ok("GET", path, owner))["status"] == "suspended"

    # Reinstated (no body needed), public again with the original joining date.
    reinstated = await api.ok("POST", f"{path}/reinstate", operator)
    assert (reinstated["status"], reinstated["joined_at"]) == ("approved", approved["joined_at"])
    assert (await api.ok("GET", path))["id"] == maker_id

    assert [(h["from"], h["to"]) for h in reinstated["history"]] == [
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("approved", "suspended"),
        ("suspended", "approved"),
    ]
    assert reinstated["version"] == 7  # created, 2 edits, submit, approve, suspend, reinstate

    row = await db.fetchrow(
        "SELECT status, handle, legal_name, version, submitted_at, joined_at "
        "FROM makers.makers WHERE id = $1",
        uuid.UUID(maker_id),
    )
    assert (row["status"], row["handle"], row["legal_name"], row["version"]) == (
        "approved",
        handle,
        LEGAL_NAME,
        7,
    )
    assert row["joined_at"] == datetime.fromisoformat(approved["joined_at"])


async def test_changes_requested_then_resubmitted(api: Api) -> None:
    owner, record = await api.maker_in("changes_requested")
    path = f"/api/v1/makers/{record['id']}"
    assert record["history"][-1]["note"] == "More close-ups"
    edited = await api.ok("PATCH", path, owner, json={"portfolio_urls": ["https://example.com/close-ups"]})
    assert edited["portfolio_urls"] == ["https://example.com/close-ups"]
    resubmitted = await api.ok("POST", f"{path}/submit", owner)
    assert resubmitted["status"] == "submitted"
    assert [h["to"] for h in resubmitted["history"]] == [
        "draft",
        "submitted",
        "changes_requested",
        "submitted",
    ]


def assert_no_private_parts(document: Any) -> None:
    text = str(document)
    for private in (
        LEGAL_NAME,
        SUPPLIER,
        CERTIFICATE,
        EVIDENCE_HOST,
        "RJC-OLD",
        "legal_name",
        "production_partners",
        "portfolio_urls",
        "history",
        "checklist",
        "user_id",
    ):
        assert private not in text, private


# --- lists ---------------------------------------------------------------------------------------


async def pages(api: Api, query: str, token: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        path = f"/api/v1/makers?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        page = await api.ok("GET", path, token)
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def directory_ids(api: Api) -> list[str]:
    return [item["id"] for item in await pages(api, "")]


async def all_ids(api: Api, status: str, operator: str) -> list[str]:
    return [item["id"] for item in await pages(api, f"&status={status}", operator)]


async def test_review_queue_is_oldest_submission_first_and_pages_cleanly(api: Api) -> None:
    operator = api.operator()
    mine = []
    for _ in range(5):
        owner, record = await api.draft(complete_profile())
        await api.ok("POST", f"/api/v1/makers/{record['id']}/submit", owner)
        mine.append(record["id"])
    # A maker sent back for changes leaves the queue.
    first = mine.pop(0)
    await api.ok(
        "POST",
        f"/api/v1/makers/{first}/review",
        operator,
        json={"decision": "request_changes", "note": "Add close-ups"},
    )

    queue = await pages(api, "&status=submitted", operator, limit=2)
    ids = [item["id"] for item in queue]
    assert len(ids) == len(set(ids)), "a page repeated a maker"
    assert [i for i in ids if i in mine] == mine
    assert first not in ids
    submitted_at = [item["history"][-1]["at"] for item in queue]
    assert submitted_at == sorted(submitted_at)
    assert all(item["status"] == "submitted" and "checklist" in item for item in queue)


async def test_resubmission_goes_to_the_back_of_the_queue(api: Api) -> None:
    operator = api.operator()
    owner, record = await api.maker_in("changes_requested")
    other_owner, other = await api.draft(complete_profile())
    await api.ok("POST", f"/api/v1/makers/{other['id']}/submit", other_owner)
    await api.ok("POST", f"/api/v1/makers/{record['id']}/submit", owner)
    ids = await all_ids(api, "submitted", operator)
    assert ids.index(other["id"]) < ids.index(record["id"])


async def test_directory_lists_approved_makers_only_with_public_fields(api: Api) -> None:
    approved = [(await api.maker_in("approved"))[1]["id"] for _ in range(3)]
    hidden = [
        (await api.maker_in(status))[1]["id"]
        for status in ("draft", "submitted", "suspended", "rejected", "changes_requested")
    ]

    items = await pages(api, "", limit=1)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i in approved] == approved  # in order of joining
    assert not set(hidden) & set(ids)
    for item in items:
        assert set(item) == PUBLIC_FIELDS
        assert_no_private_parts(item)

    # A customer or a maker sees the same; an operator sees full records.
    assert [i["id"] for i in await pages(api, "", api.user("customer")[1])] == ids
    operator_items = await pages(api, "", api.operator())
    assert [i["id"] for i in operator_items] == ids
    assert all("legal_name" in item for item in operator_items)
    suspended = await all_ids(api, "suspended", api.operator())
    assert hidden[2] in suspended


async def test_list_parameters_are_checked(api: Api) -> None:
    operator = api.operator()
    for query, status in [
        ("?limit=0", 422),
        ("?limit=101", 422),
        ("?limit=x", 422),
        ("?cursor=%%%", 400),
        ("?cursor=WyJ4Il0", 400),
        ("?cursor=WyJub3QgYSBkYXRlIiwieCJd", 400),
        ("?status=pending", 422),
        ("?limit=100", 200),
    ]:
        response = await api.call("GET", f"/api/v1/makers{query}", operator)
        assert response.status == status, (query, response.body)


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


async def test_openapi_describes_every_makers_endpoint(api: Api) -> None:
    document = await api.ok("GET", "/openapi.json")
    assert set(document["paths"]) >= {
        "/api/v1/makers",
        "/api/v1/makers/me",
        "/api/v1/makers/{id}",
        "/api/v1/makers/{id}/submit",
        "/api/v1/makers/{id}/review",
        "/api/v1/makers/{id}/suspend",
        "/api/v1/makers/{id}/reinstate",
        "/api/v1/makers/{id}/reopen",
        "/api/v1/makers/{id}/claims",
        "/api/v1/makers/{id}/claims/{scheme}/verify",
        "/api/v1/makers/by-handle/{handle}",
    }


# --- events --------------------------------------------------------------------------------------

SNAPSHOT_FIELDS = {
    "maker_id",
    "user_id",
    "maker_version",
    "status",
    "handle",
    "display_name",
    "sourcing_claims",
    "hallmarking",
    "accepts_commissions",
    "works_precious_metals",
    "natural_diamonds",
    "system_of_warranties_attested",
    "invoicing",
    "shipping",
}


async def events_of(
    queue: Any, db: asyncpg.Connection, aggregate_ids: set[str], expected: int
) -> list[dict[str, Any]]:
    """The envelopes of these makers' events, in arrival order (others are skipped), including
    any beyond the `expected` many: read once every outbox row of these makers is published, when
    each copy the relay published is already in the tap queue and no further one can come."""
    found: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while len(found) < expected and loop.time() < deadline:
        for envelope in await drain(queue, 1, timeout_s=max(0.1, deadline - loop.time())):
            if envelope["aggregate_id"] in aggregate_ids:
                found.append(envelope)

    async def all_published() -> bool:
        return await unsent(db, "makers.outbox", aggregate_ids=sorted(aggregate_ids)) == 0

    await eventually(all_published, message="the makers' outbox rows published")
    return found + [e for e in await remaining(queue) if e["aggregate_id"] in aggregate_ids]


async def test_events_reach_the_broker(api: Api, db: asyncpg.Connection, test_env: Environment) -> None:
    operator = api.operator()
    request_id = f"req-{uuid.uuid4().hex}"
    async with tap(f"{test_env.namespace}.events", "makers.maker.#") as queue:
        owner_id, owner = api.user("maker")
        record = await api.ok("POST", "/api/v1/makers", owner, status=201, json=draft_profile())
        path = f"/api/v1/makers/{record['id']}"
        steps = [
            ("PATCH", "", owner, complete_profile(record["handle"])),
            ("POST", "/submit", owner, None),
            ("POST", "/review", operator, {"decision": "request_changes", "note": "Photos"}),
            ("PATCH", "", owner, {"bio": "Better photos now."}),
            ("PATCH", "", owner, {"bio": "Better photos now."}),  # no change: no event
            ("POST", "/submit", owner, None),
            ("POST", "/review", operator, {"decision": "approve"}),
            ("POST", "/suspend", operator, {"reason": "Investigation"}),
            ("POST", "/reinstate", operator, None),
        ]
        for method, suffix, token, body in steps:
            response = await api.call(
                method, path + suffix, token, json=body, headers={"X-Request-ID": request_id}
            )
            assert response.status == 200, response.body
        # A refused request and a no-op edit publish nothing.
        assert (await api.call("POST", f"{path}/suspend", owner, json={"reason": "x"})).status == 403

        rejected_owner, rejected = await api.draft(complete_profile())
        await api.ok("POST", f"/api/v1/makers/{rejected['id']}/submit", rejected_owner)
        await api.ok(
            "POST",
            f"/api/v1/makers/{rejected['id']}/review",
            operator,
            json={"decision": "reject", "note": "Not handmade"},
        )

        received = await events_of(queue, db, {record["id"], rejected["id"]}, expected=10)

    mine = [e for e in received if e["aggregate_id"] == record["id"]]
    assert [(e["type"], e["data"]["status"]) for e in mine] == [
        ("makers.maker.profile_updated", "draft"),
        ("makers.maker.submitted", "submitted"),
        ("makers.maker.changes_requested", "changes_requested"),
        ("makers.maker.profile_updated", "changes_requested"),
        ("makers.maker.submitted", "submitted"),
        ("makers.maker.approved", "approved"),
        ("makers.maker.suspended", "suspended"),
        ("makers.maker.reinstated", "approved"),
    ]
    # Versions: 1 was the draft's creation, which is not published.
    assert [e["aggregate_version"] for e in mine] == list(range(2, 10))
    for envelope in mine:
        assert envelope["version"] == 1
        assert envelope["producer"] == "makers"
        assert envelope["correlation_id"] == request_id
        assert envelope["data"]["maker_version"] == envelope["aggregate_version"]
        assert set(envelope["data"]) == SNAPSHOT_FIELDS
        # The legal name travels only in `invoicing`, for orders' invoices (shared/contracts/makers.py).
        assert envelope["data"]["invoicing"] == {"legal_name": LEGAL_NAME, "vat_number": None}
        assert_no_private_parts(
            {k: v for k, v in envelope["data"].items() if k not in ("user_id", "invoicing")}
        )

    approved = next(e for e in mine if e["type"] == "makers.maker.approved")
    assert approved["data"] == {
        "maker_id": record["id"],
        "user_id": str(owner_id),
        "maker_version": 7,
        "status": "approved",
        "handle": record["handle"],
        "display_name": "Silver & Stone",
        "sourcing_claims": [  # the expired claim is left out
            # Evidence no operator has verified yet is no badge.
            {"scheme": "fairmined", "scope": "metal", "evidenced": False, "expires_on": TODAY.isoformat()},
            {"scheme": "recycled", "scope": "metal", "evidenced": False, "expires_on": None},
        ],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "accepts_commissions": True,
        "works_precious_metals": True,
        "natural_diamonds": True,
        "system_of_warranties_attested": True,
        "invoicing": {"legal_name": LEGAL_NAME, "vat_number": None},
        "shipping": DEFAULT_SHIPPING.model_dump(mode="json"),  # never set: the default profile
    }

    theirs = [e for e in received if e["aggregate_id"] == rejected["id"]]
    assert [e["type"] for e in theirs] == ["makers.maker.submitted", "makers.maker.rejected"]
    assert theirs[-1]["data"]["status"] == "rejected"


async def test_every_event_is_registered_with_its_own_type() -> None:
    from shared.contracts import event_class
    from shared.contracts.makers import MAKER_EVENTS

    names = {
        "submitted",
        "approved",
        "rejected",
        "changes_requested",
        "suspended",
        "reinstated",
        "profile_updated",
        "reopened",
        "claims_updated",
        "claim_reviewed",
        "compliance_updated",
        "shipping_updated",
    }
    assert {cls.event_type for cls in MAKER_EVENTS} == {f"makers.maker.{n}" for n in names}
    for cls in MAKER_EVENTS:
        assert event_class(cls.event_type, 1) is cls
        assert cls.routing_key() == f"{cls.event_type}.v1"


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
