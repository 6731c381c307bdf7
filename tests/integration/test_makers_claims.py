"""Reapplying after a rejection, and sourcing claims' evidence, over HTTP against the real
PostgreSQL and RabbitMQ: `POST /makers/{id}/reopen` (reapply_too_soon), https-only evidence,
`PUT /makers/{id}/claims`, an operator's `POST /makers/{id}/claims/{scheme}/verify`, the events
they publish, and end to end with the real catalogue: verifying a claim makes its badge appear on
a published listing, rejecting it takes the badge away."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.support.api import Api, Response
from tests.support.catalogue import image_processed, publish_image, ring
from tests.support.harness import ServiceProcess, TestEnvironment, eventually
from tests.support.makers import FAIRMINED, profile
from tests.support.waits import consumed

pytestmark = pytest.mark.timeout(180)

TODAY = datetime.now(UTC).date()
REAPPLY_AFTER_DAYS = 30  # the default of MAKERS_REAPPLY_AFTER_DAYS


@dataclass
class Makers:
    client: Api
    url: str

    def user(self, role: str) -> tuple[uuid.UUID, str]:
        user_id = uuid.uuid4()
        return user_id, self.client.mint(role, user_id)

    def operator(self) -> str:
        return self.user("operator")[1]

    def path(self, record: dict[str, Any], suffix: str = "") -> str:
        return f"{self.url}/api/v1/makers/{record['id']}{suffix}"

    async def call(self, method: str, path: str, token: str | None = None, json: Any = None) -> Response:
        return await self.client.call(method, path, token, json=json)

    async def ok(self, method: str, path: str, token: str | None = None, json: Any = None) -> Any:
        return await self.client.ok(method, path, token, json=json)

    async def maker_in(self, status: str, token: str | None = None) -> tuple[str, dict[str, Any]]:
        """(owner token, record) of a maker brought to `status` through the API."""
        token = token or self.user("maker")[1]
        record = await self.client.ok("POST", f"{self.url}/api/v1/makers", token, json=profile(), status=201)
        if status == "draft":
            return token, record
        record = await self.ok("POST", self.path(record, "/submit"), token)
        decision = {"approved": "approve", "suspended": "approve", "rejected": "reject"}.get(status)
        if decision:
            body = {"decision": decision, "note": "Not handmade" if decision == "reject" else None}
            record = await self.ok("POST", self.path(record, "/review"), self.operator(), body)
        if status == "suspended":
            record = await self.ok(
                "POST", self.path(record, "/suspend"), self.operator(), {"reason": "Complaints"}
            )
        assert record["status"] == status
        return token, record

    async def verify(
        self, record: dict[str, Any], scheme: str, decision: str, note: str | None = None
    ) -> Any:
        body = {"decision": decision, "note": note}
        return await self.ok("POST", self.path(record, f"/claims/{scheme}/verify"), self.operator(), body)


@pytest.fixture(scope="module")
def makers_process(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("makers")


@pytest.fixture
async def client(mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, "", mint)  # the tests give whole URLs


@pytest.fixture
def api(client: Api, makers_process: ServiceProcess) -> Makers:
    return Makers(client, makers_process.url)


def claims_of(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {claim["scheme"]: claim for claim in record["sourcing_claims"]}


async def outbox_types(db: asyncpg.Connection, maker_id: str) -> list[str]:
    rows = await db.fetch(
        "SELECT envelope ->> 'type' AS type FROM makers.outbox WHERE aggregate_id = $1 ORDER BY id", maker_id
    )
    return [row["type"] for row in rows]


async def backdate_rejection(db: asyncpg.Connection, maker_id: str, at: datetime) -> None:
    """Move the latest history entry (the rejection) to `at`, as if it had happened then."""
    history = json.loads(
        await db.fetchval("SELECT history::text FROM makers.makers WHERE id = $1", uuid.UUID(maker_id))
    )
    assert history[-1]["to"] == "rejected"
    history[-1]["at"] = at.isoformat()
    await db.execute(
        "UPDATE makers.makers SET history = $2::text::jsonb WHERE id = $1",
        uuid.UUID(maker_id),
        json.dumps(history),
    )


# --- reapplying ----------------------------------------------------------------------------------


async def test_a_rejected_maker_can_apply_again_with_the_same_account(
    api: Makers, db: asyncpg.Connection
) -> None:
    """Live finding: a rejected maker could never apply again with the same account."""
    owner, record = await api.maker_in("rejected")
    reopen = api.path(record, "/reopen")

    # Straight after the rejection: too soon, nothing changes.
    refused = await api.call("POST", reopen, owner)
    assert (refused.status, refused.body["code"]) == (409, "reapply_too_soon")
    rejected_at = datetime.fromisoformat(record["history"][-1]["at"])
    assert datetime.fromisoformat(refused.body["reapply_from"]) == rejected_at + timedelta(
        days=REAPPLY_AFTER_DAYS
    )
    assert await api.ok("GET", api.path(record), owner) == record

    # A minute short of the waiting period: still too soon.
    now = datetime.now(UTC)
    await backdate_rejection(
        db, record["id"], now - timedelta(days=REAPPLY_AFTER_DAYS) + timedelta(minutes=1)
    )
    assert (await api.call("POST", reopen, owner)).body["code"] == "reapply_too_soon"

    # Once the waiting period has passed: a draft again, with the profile kept.
    await backdate_rejection(db, record["id"], now - timedelta(days=REAPPLY_AFTER_DAYS))
    reopened = await api.ok("POST", reopen, owner)
    assert reopened["status"] == "draft"
    assert reopened["handle"] == record["handle"]
    assert [(h["from"], h["to"]) for h in reopened["history"]][-2:] == [
        ("submitted", "rejected"),
        ("rejected", "draft"),
    ]
    # ...edited and submitted like any draft.
    await api.ok("PATCH", api.path(record), owner, {"bio": "Everything made by hand now."})
    assert (await api.ok("POST", api.path(record, "/submit"), owner))["status"] == "submitted"
    assert (await outbox_types(db, record["id"]))[-3:] == [
        "makers.maker.reopened",
        "makers.maker.profile_updated",
        "makers.maker.submitted",
    ]


@pytest.mark.parametrize("state", ["draft", "submitted", "approved", "suspended"])
async def test_reopen_from_any_other_state_is_invalid_state(api: Makers, state: str) -> None:
    owner, record = await api.maker_in(state)
    refused = await api.call("POST", api.path(record, "/reopen"), owner)
    assert (refused.status, refused.body["code"], refused.body["current_state"]) == (
        409,
        "invalid_state",
        state,
    )


async def test_only_the_owner_reopens(api: Makers) -> None:
    _, record = await api.maker_in("rejected")
    _, other = api.user("maker")
    assert (await api.call("POST", api.path(record, "/reopen"), other)).status == 404
    assert (await api.call("POST", api.path(record, "/reopen"), api.operator())).status == 403


# --- evidence ------------------------------------------------------------------------------------

HTTP_CLAIM = {**FAIRMINED, "evidence_url": "http://evidence.example.org/fm.pdf"}


async def test_evidence_urls_must_be_https_everywhere_a_claim_is_sent(api: Makers) -> None:
    owner, record = await api.maker_in("draft")
    _, creator = api.user("maker")
    attempts = [
        (
            "POST",
            f"{api.url}/api/v1/makers",
            creator,
            {**profile(), "sourcing_claims": [HTTP_CLAIM]},
            ["body", "sourcing_claims", 0, "evidence_url"],
        ),
        (
            "PATCH",
            api.path(record),
            owner,
            {"sourcing_claims": [HTTP_CLAIM]},
            ["body", "sourcing_claims", 0, "evidence_url"],
        ),
        ("PUT", api.path(record, "/claims"), owner, [HTTP_CLAIM], ["body", 0, "evidence_url"]),
    ]
    for method, path, token, body, loc in attempts:
        refused = await api.call(method, path, token, body)
        assert refused.status == 422, (method, refused.body)
        assert [(e["loc"], e["code"]) for e in refused.body["errors"]] == [(loc, "evidence_url_not_https")]
    assert await api.ok("GET", api.path(record), owner) == record
    assert (await api.call("GET", f"{api.url}/api/v1/makers/me", creator)).status == 404


async def test_a_typed_certificate_id_is_not_evidence(api: Makers) -> None:
    """Live finding: a certificate id `x` made a claim evidenced, with a badge."""
    owner, record = await api.maker_in("approved")
    x_claim = {"scheme": "fairtrade", "scope": "metal", "certificate_id": "x"}
    updated = await api.ok("PUT", api.path(record, "/claims"), owner, [x_claim])
    assert (claims_of(updated)["fairtrade"]["status"], claims_of(updated)["fairtrade"]["evidenced"]) == (
        "pending_verification",
        False,
    )
    public = await api.ok("GET", api.path(record))
    assert public["sourcing_claims"] == [
        {
            "scheme": "fairtrade",
            "scope": "metal",
            "expires_on": None,
            "evidenced": False,
            "status": "pending_verification",
        }
    ]


async def test_an_operator_verifies_or_rejects_the_evidence(api: Makers, db: asyncpg.Connection) -> None:
    _, record = await api.maker_in("approved")
    assert claims_of(record)["fairmined"]["status"] == "pending_verification"

    verified = await api.verify(record, "fairmined", "verified", "Matches the Fairmined registry")
    claim = claims_of(verified)["fairmined"]
    assert (claim["status"], claim["evidenced"], claim["review"]["decision"]) == (
        "evidenced",
        True,
        "verified",
    )
    assert verified["status"] == "approved"
    public = claims_of(await api.ok("GET", api.path(record)))
    assert (public["fairmined"]["evidenced"], public["recycled"]["evidenced"]) == (True, False)

    # A rejection must say why.
    refused = await api.call(
        "POST", api.path(record, "/claims/fairmined/verify"), api.operator(), {"decision": "rejected"}
    )
    assert (refused.status, refused.body["code"]) == (422, "note_required")

    rejected = await api.verify(record, "fairmined", "rejected", "The certificate names another refiner")
    claim = claims_of(rejected)["fairmined"]
    assert (claim["status"], claim["evidenced"], claim["review"]["note"]) == (
        "rejected",
        False,
        "The certificate names another refiner",
    )
    assert claims_of(await api.ok("GET", api.path(record)))["fairmined"]["evidenced"] is False
    assert (await outbox_types(db, record["id"]))[-2:] == ["makers.maker.claim_reviewed"] * 2


async def test_verify_refusals(api: Makers) -> None:
    owner, record = await api.maker_in("approved")
    operator = api.operator()
    cases = [
        ("fairtrade", {"decision": "verified"}, 404, "not_found"),  # not a claim the maker holds
        ("no-such-scheme", {"decision": "verified"}, 404, "not_found"),
        ("recycled", {"decision": "verified"}, 409, "invalid_state"),  # self-declared: no evidence
        ("fairmined", {"decision": "approve"}, 422, "validation_failed"),
        ("fairmined", {"decision": "verified", "status": "evidenced"}, 422, "validation_failed"),
    ]
    for scheme, body, status, code in cases:
        refused = await api.call("POST", api.path(record, f"/claims/{scheme}/verify"), operator, body)
        assert (refused.status, refused.body["code"]) == (status, code), (scheme, body)
    assert await api.ok("GET", api.path(record), owner) == record
    missing = await api.call(
        "POST",
        f"{api.url}/api/v1/makers/{uuid.uuid4()}/claims/fairmined/verify",
        operator,
        {"decision": "verified"},
    )
    assert missing.status == 404


async def test_an_approved_maker_renews_an_expired_claim_and_stays_approved(
    api: Makers, db: asyncpg.Connection
) -> None:
    """Live finding: an approved maker could not renew an expired claim (409)."""
    owner, record = await api.maker_in("approved")
    await api.verify(record, "fairmined", "verified")
    expired = {**FAIRMINED, "expires_on": (TODAY - timedelta(days=1)).isoformat()}
    # The claim lapses (set here as the maker would have it: an expiry in the past)...
    lapsed = await api.ok("PUT", api.path(record, "/claims"), owner, [expired])
    assert claims_of(lapsed)["fairmined"]["expired"] is True
    assert (await api.ok("GET", api.path(record)))["sourcing_claims"] == []

    # ...and is renewed with new evidence: approved still, pending until an operator looks.
    renewed_claim = {
        **FAIRMINED,
        "certificate_id": "FM-ECO-2291-R",
        "expires_on": (TODAY + timedelta(days=730)).isoformat(),
    }
    renewed = await api.ok("PUT", api.path(record, "/claims"), owner, [renewed_claim])
    assert renewed["status"] == "approved"
    assert (claims_of(renewed)["fairmined"]["status"], claims_of(renewed)["fairmined"]["review"]) == (
        "pending_verification",
        None,
    )
    verified = await api.verify(record, "fairmined", "verified")
    assert claims_of(verified)["fairmined"]["evidenced"] is True
    assert (await outbox_types(db, record["id"]))[-3:] == [
        "makers.maker.claims_updated",
        "makers.maker.claims_updated",
        "makers.maker.claim_reviewed",
    ]

    # The same claims again change nothing.
    same = await api.ok("PUT", api.path(record, "/claims"), owner, [renewed_claim])
    assert same["version"] == verified["version"]


async def test_put_claims_refusals(api: Makers) -> None:
    suspended_owner, suspended = await api.maker_in("suspended")
    refused = await api.call("PUT", api.path(suspended, "/claims"), suspended_owner, [FAIRMINED])
    assert (refused.status, refused.body["code"], refused.body["current_state"]) == (
        409,
        "invalid_state",
        "suspended",
    )

    owner, record = await api.maker_in("submitted")  # any state but suspended
    assert (await api.ok("PUT", api.path(record, "/claims"), owner, []))["status"] == "submitted"
    owner, record = await api.maker_in("approved")
    for body in ({"claims": [FAIRMINED]}, [{**FAIRMINED, "evidenced": True}], [FAIRMINED] * 21, "x"):
        response = await api.call("PUT", api.path(record, "/claims"), owner, body)
        assert (response.status, response.body["code"]) == (422, "validation_failed"), body
    _, other = api.user("maker")
    assert (await api.call("PUT", api.path(record, "/claims"), other, [FAIRMINED])).status == 404


async def evidence_queue(api: Makers, token: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        query = "?evidence=pending_verification&limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = await api.ok("GET", f"{api.url}/api/v1/makers{query}", token)
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


async def test_the_evidence_queue_lists_makers_waiting_for_verification(api: Makers) -> None:
    operator = api.operator()
    owner, submitted = await api.maker_in("submitted")
    declaring_owner, self_declared = await api.maker_in("draft")
    await api.ok(
        "PUT", api.path(self_declared, "/claims"), declaring_owner, [{"scheme": "recycled", "scope": "metal"}]
    )
    _, draft_with_evidence = await api.maker_in("draft")
    queue = await evidence_queue(api, operator)
    assert submitted["id"] in queue
    assert self_declared["id"] not in queue
    assert draft_with_evidence["id"] not in queue  # not sent to the marketplace yet

    await api.verify(submitted, "fairmined", "verified")
    assert submitted["id"] not in await evidence_queue(api, operator)
    # New evidence puts the maker back in the queue.
    await api.ok("PUT", api.path(submitted, "/claims"), owner, [{**FAIRMINED, "certificate_id": "FM-NEW"}])
    assert submitted["id"] in await evidence_queue(api, operator)

    path = f"{api.url}/api/v1/makers?evidence=pending_verification"
    assert (await api.call("GET", path, owner)).status == 403
    assert (await api.call("GET", path)).status == 401
    assert (await api.call("GET", f"{api.url}/api/v1/makers?evidence=evidenced", operator)).status == 422


async def test_a_stale_snapshot_is_republished_by_the_worker(api: Makers, db: asyncpg.Connection) -> None:
    """Makers whose published snapshot predates the verification rule (migration 0003 marks them)
    get a fresh one, so the catalogue stops showing unverified evidence as badges."""
    _, record = await api.maker_in("approved")
    maker_id = uuid.UUID(record["id"])
    await db.execute("UPDATE makers.makers SET snapshot_stale = true WHERE id = $1", maker_id)

    async def republished() -> bool:
        return not await db.fetchval("SELECT snapshot_stale FROM makers.makers WHERE id = $1", maker_id)

    await eventually(republished, message="the worker republished the snapshot")
    assert (await outbox_types(db, record["id"]))[-1] == "makers.maker.claims_updated"
    envelope = await db.fetchval(
        "SELECT envelope FROM makers.outbox WHERE aggregate_id = $1 ORDER BY id DESC LIMIT 1", record["id"]
    )
    data = envelope["data"] if isinstance(envelope, dict) else json.loads(envelope)["data"]
    assert data["maker_version"] == record["version"] + 1
    assert [c["evidenced"] for c in data["sourcing_claims"]] == [False, False]
    after = await api.ok("GET", api.path(record), api.operator())
    assert (after["status"], after["version"], after["history"]) == (
        "approved",
        record["version"] + 1,
        record["history"],
    )


# --- end to end with the catalogue ----------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue_process(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("catalogue")


async def test_verifying_a_claim_puts_its_badge_on_published_listings(
    api: Makers,
    client: Api,
    catalogue_process: ServiceProcess,
    db: asyncpg.Connection,
    test_env: TestEnvironment,
) -> None:
    owner_id, owner = api.user("maker")
    _, record = await api.maker_in("approved", token=owner)
    listings = f"{catalogue_process.url}/api/v1/listings"
    # The maker's photo, ready as the media service says on the bus.
    photo = image_processed(uuid.UUID(record["id"]), uuid.uuid4())
    sent = await publish_image(test_env.namespace, photo)
    await eventually(
        lambda: consumed(db, "catalogue", sent.event_id), message="the catalogue knows the photo"
    )
    body = ring(
        sourcing_claims=["fairmined"], photos=[{"image_id": str(photo.image_id), "alt": "A signet ring"}]
    )

    async def created() -> Any:
        response = await client.call("POST", listings, owner, json=body)
        return response.body if response.status == 201 else None

    draft = await eventually(created, message="the catalogue learned the approved maker")
    listing_url = f"{listings}/{draft['id']}"
    await client.ok("POST", f"{listing_url}/publish", owner)

    async def badge() -> bool:
        listing = await client.ok("GET", listing_url)
        return {"scheme": "fairmined", "basis": "evidenced"} in listing["claims"] and listing["maker"][
            "evidenced_claims"
        ] == ["fairmined"]

    async def no_badge() -> bool:
        listing = await client.ok("GET", listing_url)
        return (
            all(claim["basis"] != "evidenced" for claim in listing["claims"])
            and listing["maker"]["evidenced_claims"] == []
        )

    # Evidence given but not looked at: no badge.
    assert await no_badge()

    await api.verify(record, "fairmined", "verified", "Certificate checked")
    await eventually(badge, timeout_s=10, message="the badge appears once the evidence is verified")

    await api.verify(record, "fairmined", "rejected", "Certificate withdrawn by Fairmined")
    await eventually(no_badge, timeout_s=10, message="the badge goes once the evidence is rejected")

    # Renewed with an expiry already past: the claim is no longer held, so no badge either.
    await api.verify(record, "fairmined", "verified", "Certificate reinstated")
    await eventually(badge, timeout_s=10, message="the badge is back")
    expired = {**FAIRMINED, "expires_on": (TODAY - timedelta(days=1)).isoformat()}
    await api.ok("PUT", api.path(record, "/claims"), api.client.mint("maker", owner_id), [expired])
    await eventually(no_badge, timeout_s=10, message="the badge goes once the claim has expired")


# --- the same codes through the gateway ----------------------------------------------------------


@pytest.fixture(scope="module")
def gateway_process(
    makers_process: ServiceProcess,
    catalogue_process: ServiceProcess,
    service_processes: Callable[..., ServiceProcess],
) -> ServiceProcess:
    return service_processes(
        "gateway", GATEWAY_MAKERS_URL=makers_process.url, GATEWAY_CATALOGUE_URL=catalogue_process.url
    )


async def test_the_stable_codes_through_the_gateway(client: Api, gateway_process: ServiceProcess) -> None:
    api = Makers(client, gateway_process.url)

    owner, rejected = await api.maker_in("rejected")
    too_soon = await api.call("POST", api.path(rejected, "/reopen"), owner)
    assert (too_soon.status, too_soon.body["code"]) == (409, "reapply_too_soon")

    owner, approved = await api.maker_in("approved")
    http = await api.call("PUT", api.path(approved, "/claims"), owner, [HTTP_CLAIM])
    assert (http.status, [e["code"] for e in http.body["errors"]]) == (422, ["evidence_url_not_https"])
    renewed = await api.ok("PUT", api.path(approved, "/claims"), owner, [FAIRMINED])
    assert (renewed["status"], claims_of(renewed)["fairmined"]["status"]) == (
        "approved",
        "pending_verification",
    )
    verified = await api.verify(approved, "fairmined", "verified")
    assert claims_of(verified)["fairmined"]["evidenced"] is True

    suspended_owner, suspended = await api.maker_in("suspended")
    refused = await api.call("PUT", api.path(suspended, "/claims"), suspended_owner, [FAIRMINED])
    assert (refused.status, refused.body["code"]) == (409, "invalid_state")
